"""End to end in Chromium: officer hold, importer notice and appeal, independent review,
and a second importer kept out of the first importer's entry."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.web.conftest import PASSWORDS

pytestmark = pytest.mark.browser


def _login(browser: Any, base_url: str, user: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_hold_notice_appeal_review_and_tenancy(browser: Any, base_url: str, shot: Any) -> None:
    officer = _login(browser, base_url, "officer")
    assert officer.url.endswith("/queue")
    shot(officer, "01-officer-queue")
    first = officer.locator("table.queue tbody tr").first
    entry_line = first.locator("td").nth(2).inner_text()
    entry_number, line = (x.strip() for x in entry_line.split("·"))
    officer.keyboard.press("j")
    officer.keyboard.press("Enter")
    officer.wait_for_url(re.compile(f"/entries/{re.escape(entry_number)}$"))
    section = officer.locator(f"#line-{line}")
    reasons = section.locator("ol.reasons li")
    assert reasons.count() >= 1 and reasons.first.inner_text().strip()
    shot(officer, "02-officer-entry")
    section.locator("input[name=action][value=hold]").check()
    section.locator("textarea[name=rationale]").fill(
        "Manufacturer matches a listed entity; hold for supply-chain documents.")
    section.locator("button[type=submit]").click()
    officer.wait_for_load_state()
    flash = officer.locator(".flash").inner_text()
    assert "Recorded: hold" in flash and "Notice" in flash
    shot(officer, "03-officer-decided")

    importer = _login(browser, base_url, "importer_a")
    assert importer.url.endswith("/portal")
    shot(importer, "04-importer-portal")
    importer.get_by_role("link", name="Read notice").first.click()
    importer.wait_for_load_state()
    assert entry_number in importer.inner_text("main")
    assert importer.locator("#receipt .ok").count() == 2
    shot(importer, "05-importer-notice")
    importer.fill("textarea[name=grounds]", "The listed firm is not our supplier; "
                  "registration attached.")
    importer.fill("input[name=document_name]", "business-registration.pdf")
    importer.fill("textarea[name=document_text]", "Registration no. 9131-0000")
    importer.get_by_role("button", name="File appeal").click()
    importer.wait_for_load_state()
    assert "acknowledged" in importer.inner_text("main")
    appeal_url = importer.url
    shot(importer, "06-importer-appeal")

    reviewer = _login(browser, base_url, "supervisor")
    reviewer.goto(appeal_url)
    reviewer.get_by_role("button", name="Assign to me").click()
    reviewer.wait_for_load_state()
    reviewer.locator("input[name=outcome][value=overturned]").check()
    reviewer.fill("textarea[name=reasons]", "Registration shows a different firm.")
    reviewer.get_by_role("button", name="Record decision").click()
    reviewer.wait_for_load_state()
    assert "overturned" in reviewer.inner_text("main")
    shot(reviewer, "07-reviewer-decided")

    importer.goto(appeal_url)
    assert "overturned" in importer.inner_text("main")

    other = _login(browser, base_url, "importer_b")
    response = other.goto(f"{base_url}/entries/{entry_number}")
    assert response is not None and response.status == 403
    assert "Not allowed" in other.inner_text("main")
    assert entry_number not in other.inner_text("main").replace(
        other.inner_text(".card p"), "")
    shot(other, "08-other-importer-refused")


def test_oversight_admin_and_docs_pages(browser: Any, base_url: str, shot: Any) -> None:
    auditor = _login(browser, base_url, "auditor")
    assert auditor.url.endswith("/oversight")
    auditor.get_by_role("button", name="Verify the whole log now").click()
    auditor.wait_for_load_state()
    assert "nothing altered" in auditor.locator(".flash").inner_text()
    shot(auditor, "09-auditor-oversight")
    admin = _login(browser, base_url, "admin")
    assert admin.url.endswith("/admin")
    assert admin.locator("text=ai-assisted-targeting").count() >= 2
    shot(admin, "10-admin")
    admin.goto(f"{base_url}/docs")
    assert "/api/v1/score" in admin.inner_text("main")
    shot(admin, "11-api-docs")
