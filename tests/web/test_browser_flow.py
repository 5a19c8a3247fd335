"""End to end in Chromium: officer hold, importer notice and appeal, independent review,
and a second importer kept out of the first importer's entry."""

from __future__ import annotations

import re
from pathlib import Path
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
    importer.locator("select[name=fix_field]").first.select_option("manufacturer_name")
    importer.locator("input[name=fix_value]").first.fill("Kunming Solar Glass Works")
    importer.select_option("select[name=document_type]", "supply_chain_tracing")
    importer.set_input_files("input[name=document]", files=[{
        "name": "tracing.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n% mine-to-module tracing\n%%EOF\n"}])
    shot(importer, "05b-importer-appeal-form")
    importer.get_by_role("button", name="File appeal").click()
    importer.wait_for_load_state()
    main = importer.inner_text("main")
    assert "acknowledged" in main and "tracing.pdf" in main
    assert "Kunming Solar Glass Works" in importer.locator("#corrections").inner_text()
    appeal_url = importer.url
    shot(importer, "06-importer-appeal")

    reviewer = _login(browser, base_url, "supervisor")
    reviewer.goto(appeal_url)
    reviewer.get_by_role("button", name="Assign to me").click()
    reviewer.wait_for_load_state()
    reviewer.get_by_role("button", name="Re-score on the corrected data").click()
    reviewer.wait_for_load_state()
    assert "Re-scored on the corrected data" in reviewer.locator(".flash").inner_text()
    assert reviewer.locator("#rescored tbody tr").count() == 2
    shot(reviewer, "06b-reviewer-rescored")
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


def test_analyst_lead_evidence_network_and_exam_plan(browser: Any, base_url: str,
                                                      shot: Any) -> None:
    analyst = _login(browser, base_url, "analyst")
    assert analyst.url.endswith("/leads")
    analyst.goto(f"{base_url}/leads?since=2000-01-01")
    rows = analyst.locator("table.leads tbody tr a")
    if rows.count() == 0:
        pytest.skip("the demo data raised no AD/CVD lead")
    shot(analyst, "12-analyst-leads")
    rows.first.click()
    analyst.wait_for_load_state()
    assert analyst.locator("#timeline li").count() >= 2
    members = analyst.locator("#members tbody tr").count()
    assert members >= 1
    shot(analyst, "13-analyst-lead")
    with analyst.expect_download() as got:
        analyst.click("#export-csv")
    csv_text = Path(got.value.path()).read_text("utf-8")
    assert len(csv_text.strip().splitlines()) == members + 1
    with analyst.expect_download() as got:
        analyst.click("#export-html")
    html = Path(got.value.path()).read_text("utf-8")
    assert "<script" not in html and "Member lines" in html
    pack = analyst.context.new_page()
    pack.set_content(html)
    shot(pack, "14-evidence-pack")

    analyst.locator("a[href^='/network?q=']").first.click()  # the lead's first importer
    analyst.wait_for_load_state()
    analyst.locator("#parties a", has_text="Open cluster").first.click()
    analyst.wait_for_load_state()
    assert analyst.locator("svg.network circle.member").count() >= 1
    assert analyst.locator("#cluster-members tbody tr").count() >= 1
    shot(analyst, "15-analyst-cluster")

    officer = _login(browser, base_url, "officer")
    officer.click("#exam-plan-link")
    officer.wait_for_load_state()
    officer.locator("#busiest a").first.click()
    officer.wait_for_load_state()
    officer.fill("input[name=capacity]", "1")
    officer.get_by_role("button", name="Plan").click()
    officer.wait_for_load_state()
    assert officer.locator("#exams").count() == 1 and officer.locator("#reviews").count() == 1
    planned = officer.locator("#exams tbody tr, #reviews tbody tr").filter(has=officer.locator("a"))
    assert planned.count() >= 1
    shot(officer, "16-officer-exam-plan")
