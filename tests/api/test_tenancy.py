"""An importer never reaches another importer's entry, notice, appeal, findings or jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tradeguard.api.demo_site import DemoSite

Headers = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def held(demo_client: TestClient, as_user: Headers, demo_site: DemoSite) -> dict[str, Any]:
    """An adverse decision on one of importer A's lines, its notice and an appeal."""
    mine = demo_site.users["importer_a"]["importer_id"]
    queue = demo_client.get("/api/v1/review/queue?limit=500",
                            headers=as_user("officer")).json()["items"]
    item = next(i for i in queue if i["importer_id"] == mine)
    r = demo_client.post(f"/api/v1/review/items/{item['item_id']}/decision",
                         headers=as_user("officer"),
                         json={"action": "exam", "rationale": "Unit value far below peers."})
    assert r.status_code == 201, r.text
    notice = r.json()["notice_id"]
    r = demo_client.post("/api/v1/appeals", headers=as_user("importer_a"),
                         json={"notice_id": notice, "grounds": "Goods are samples."})
    assert r.status_code == 201, r.text
    return {"entry": item["entry_number"], "notice": notice, "appeal": r.json()["appeal_id"],
            "importer": mine}


def test_owner_can_read_everything(demo_client: TestClient, as_user: Headers,
                                   held: dict[str, Any]) -> None:
    a = as_user("importer_a")
    for path in (f"/api/v1/entries/{held['entry']}", f"/api/v1/notices/{held['notice']}",
                 f"/api/v1/notices/{held['notice']}/html",
                 f"/api/v1/appeals/{held['appeal']}"):
        assert demo_client.get(path, headers=a).status_code == 200, path


def test_other_importer_refused_by_every_endpoint(demo_client: TestClient, as_user: Headers,
                                                  held: dict[str, Any]) -> None:
    b = as_user("importer_b")
    for path in (f"/api/v1/entries/{held['entry']}", f"/api/v1/notices/{held['notice']}",
                 f"/api/v1/notices/{held['notice']}/html",
                 f"/api/v1/notices/{held['notice']}/pdf", f"/api/v1/appeals/{held['appeal']}"):
        r = demo_client.get(path, headers=b)
        assert r.status_code == 403, path
        assert held["importer"] not in r.text or "importer" in r.json()["detail"]
    r = demo_client.post("/api/v1/appeals", headers=b,
                         json={"notice_id": held["notice"], "grounds": "not mine"})
    assert r.status_code == 403


def test_lists_are_scoped_in_the_database(demo_client: TestClient, as_user: Headers,
                                          held: dict[str, Any], demo_site: DemoSite) -> None:
    b = as_user("importer_b")
    own = demo_site.users["importer_b"]["importer_id"]
    for path in ("/api/v1/assessments?limit=500", "/api/v1/findings?limit=500",
                 "/api/v1/notices", "/api/v1/appeals"):
        items = demo_client.get(path, headers=b).json()["items"]
        assert all(i["importer_id"] == own for i in items), path
        assert held["entry"] not in {i.get("entry_number") for i in items}
    seen = demo_client.get("/api/v1/assessments?limit=500", headers=b).json()
    assert seen["total"] > 0
    staff = demo_client.get("/api/v1/assessments?limit=1", headers=as_user("auditor")).json()
    assert staff["total"] > seen["total"]


def test_filter_cannot_widen_the_tenant(demo_client: TestClient, as_user: Headers,
                                        held: dict[str, Any]) -> None:
    r = demo_client.get(f"/api/v1/assessments?entry_number={held['entry']}",
                        headers=as_user("importer_b"))
    assert r.status_code == 200 and r.json()["total"] == 0


def test_importer_cannot_score_as_another_importer(demo_client: TestClient, as_user: Headers,
                                                   held: dict[str, Any]) -> None:
    body = {"entry": {"entry_number": "ABC-1234567-8", "entry_type": "01",
                      "entry_date": "2026-09-01", "port_of_entry": "2704",
                      "importer_id": held["importer"], "importer_name": "Someone Else"},
            "lines": [{"line_number": 1, "hts_code": "6109100012", "description": "T-SHIRTS",
                       "country_of_origin": "CN", "quantity": 10, "quantity_unit": "DOZ",
                       "entered_value_usd": 100.0}]}
    assert demo_client.post("/api/v1/score", json=body,
                            headers=as_user("importer_b")).status_code == 403


def test_web_pages_refuse_the_other_importer(demo_site: DemoSite, demo_client: TestClient,
                                             held: dict[str, Any]) -> None:
    browser = TestClient(demo_client.app)
    r = browser.post("/login", data={"username": "importer_b", "password": "pw-importer_b-2026"},
                     follow_redirects=False)
    assert r.status_code == 303
    for path in (f"/entries/{held['entry']}", f"/notices/{held['notice']}",
                 f"/appeals/{held['appeal']}"):
        page = browser.get(path)
        assert page.status_code == 403, path
        assert "Not allowed" in page.text
