"""In Chromium: an analyst opens the risk profiles from the menu and checks a broken edit."""

from __future__ import annotations

from typing import Any

import pytest
from tests.web.conftest import PASSWORDS

pytestmark = pytest.mark.browser


def test_analyst_reviews_profiles_and_checks_a_change(browser: Any, base_url: str,
                                                      shot: Any) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORDS["analyst"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.get_by_role("link", name="Risk profiles").click()
    page.wait_for_load_state()
    assert page.locator("tr#profile-TEX-001").count() == 1
    shot(page, "17-analyst-risk-profiles")

    page.locator("tr#profile-TEX-001 a", has_text="edit").click()
    page.wait_for_load_state()
    assert page.input_value("input[name=file]") == "textiles.yaml"
    text = page.input_value("textarea[name=text]")
    page.fill("textarea[name=text]", text.replace("lane: yellow", "lane: purple", 1))
    page.get_by_role("button", name="Check").click()
    page.wait_for_load_state()
    problem = page.locator("ul.problems li").first.inner_text()
    assert problem.startswith("textiles.yaml:") and "purple" in problem
    shot(page, "18-analyst-profile-check")
