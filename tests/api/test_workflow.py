"""The decision chain over HTTP: hold, notice with receipts, appeal, independent decision."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tradeguard.api.demo_site import DemoSite

Headers = Callable[[str], dict[str, str]]


def test_hold_notice_appeal_and_independent_review(demo_client: TestClient, as_user: Headers,
                                                   demo_site: DemoSite) -> None:
    mine = demo_site.users["importer_a"]["importer_id"]
    queue = demo_client.get("/api/v1/review/queue?limit=500",
                            headers=as_user("officer")).json()["items"]
    item = next(i for i in queue if i["importer_id"] == mine)
    r = demo_client.post(f"/api/v1/review/items/{item['item_id']}/decision",
                         headers=as_user("officer"),
                         json={"action": "hold", "rationale": "Declared maker is listed."})
    assert r.status_code == 201
    decision = r.json()
    assert decision["notice_id"] and decision["action"] == "hold"

    notice = demo_client.get(f"/api/v1/notices/{decision['notice_id']}",
                             headers=as_user("importer_a")).json()
    receipts = notice["content"]["receipt"]["records"]
    assert {x["record"] for x in receipts} == {"decision.scored", "decision.human_action"}
    for receipt in receipts:
        check = demo_client.post("/api/v1/receipts/verify", headers=as_user("importer_a"),
                                 json=receipt).json()
        assert check["valid"] is True
    forged = {**receipts[0], "leaf_hash": "0" * 64}
    assert demo_client.post("/api/v1/receipts/verify", headers=as_user("importer_a"),
                            json=forged).json()["valid"] is False

    appeal = demo_client.post("/api/v1/appeals", headers=as_user("importer_a"), json={
        "notice_id": decision["notice_id"], "grounds": "The maker is a different firm.",
        "documents": [{"name": "registration.pdf", "doc_type": "business_registration",
                       "sha256": "a" * 64}]}).json()
    assert appeal["status"] == "acknowledged" and appeal["days_left"] >= 29

    # The deciding officer cannot review it; an independent supervisor can.
    r = demo_client.post(f"/api/v1/appeals/{appeal['appeal_id']}/assign",
                         headers=as_user("supervisor"), json={"reviewer": "officer"})
    assert r.status_code in (403, 409)
    r = demo_client.post(f"/api/v1/appeals/{appeal['appeal_id']}/assign",
                         headers=as_user("supervisor"), json={"reviewer": "supervisor"})
    assert r.status_code == 200 and r.json()["reviewer_id"] == "supervisor"
    r = demo_client.post(f"/api/v1/appeals/{appeal['appeal_id']}/decision",
                         headers=as_user("supervisor"),
                         json={"outcome": "overturned", "reasons": "Registration shows it."})
    assert r.status_code == 200
    assert r.json()["status"] == "decided" and r.json()["outcome"] == "overturned"
    status = demo_client.get(f"/api/v1/appeals/{appeal['appeal_id']}",
                             headers=as_user("importer_a")).json()
    assert status["outcome"] == "overturned"

    verify = demo_client.get("/api/v1/log/verify", headers=as_user("auditor")).json()
    assert verify["ok"] is True and verify["records"] >= decision["log_seq"] + 1
