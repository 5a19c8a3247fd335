"""The importer corrects a data error and uploads a document; the reviewer re-scores."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tradeguard.api.demo_site import DemoSite

Headers = Callable[[str], dict[str, str]]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _form_token(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


def _held_notice(client: TestClient, as_user: Headers, importer_id: str, skip: int) -> dict:
    queue = client.get("/api/v1/review/queue?limit=500", headers=as_user("officer")).json()
    item = [i for i in queue["items"] if i["importer_id"] == importer_id][skip]
    r = client.post(f"/api/v1/review/items/{item['item_id']}/decision",
                    headers=as_user("officer"),
                    json={"action": "hold", "rationale": "Value far below peers."})
    assert r.status_code == 201, r.text
    return {"notice_id": r.json()["notice_id"], **item}


def test_correction_and_document_then_rescore(demo_client: TestClient, as_user: Headers,
                                              demo_site: DemoSite) -> None:
    mine = demo_site.users["importer_a"]["importer_id"]
    held = _held_notice(demo_client, as_user, mine, skip=1)
    notice_id = held["notice_id"]
    demo_client.cookies.set("tg_session", as_user("importer_a")["Authorization"].split()[1])
    try:
        page = demo_client.get(f"/notices/{notice_id}")
        assert page.status_code == 200 and 'name="fix_field"' in page.text
        form = {"form_token": _form_token(page.text), "grounds": "Invoice value was mistyped.",
                "document_type": "commercial_invoice"}
        # refused: a file whose content is not what its name says, and an unknown field
        fake = demo_client.post(f"/notices/{notice_id}/appeal", data=form,
                                files={"document": ("invoice.pdf", b"MZ\x90\x00", "app/pdf")},
                                follow_redirects=False)
        assert fake.status_code == 422 and "not a .pdf file" in fake.text
        exe = demo_client.post(f"/notices/{notice_id}/appeal", data=form,
                               files={"document": ("tool.exe", b"MZ\x90\x00", "x/y")},
                               follow_redirects=False)
        assert exe.status_code == 422
        key = demo_client.post(f"/notices/{notice_id}/appeal",
                               data={**form, "fix_field": "importer_id", "fix_value": "X"},
                               follow_redirects=False)
        assert key.status_code == 422
        ok = demo_client.post(
            f"/notices/{notice_id}/appeal",
            data={**form, "fix_field": ["entered_value_usd", ""], "fix_value": ["125000", ""]},
            files={"document": ("invoice.pdf", PDF, "application/pdf")},
            follow_redirects=False)
        assert ok.status_code == 303, ok.text
        appeal_id = ok.headers["location"].split("/appeals/")[1].split("?")[0]
        shown = demo_client.get(f"/appeals/{appeal_id}").text
        assert "invoice.pdf" in shown and "125000" in shown
        assert "%PDF" not in shown  # the file is never rendered back
    finally:
        demo_client.cookies.clear()

    digest = hashlib.sha256(PDF).hexdigest()
    kept = list((demo_site.directory / "documents").rglob(f"{digest}.bin"))
    assert len(kept) == 1 and kept[0].read_bytes() == PDF
    appeal = demo_client.get(f"/api/v1/appeals/{appeal_id}", headers=as_user("importer_a")).json()
    assert appeal["corrections"] == {"entered_value_usd": 125000.0}
    assert appeal["documents"][0]["sha256"] == digest

    # only the assigned independent reviewer re-scores
    assert demo_client.post(f"/api/v1/appeals/{appeal_id}/rescore",
                            headers=as_user("importer_a")).status_code == 403
    r = demo_client.post(f"/api/v1/appeals/{appeal_id}/assign", headers=as_user("supervisor"),
                         json={"reviewer": "supervisor"})
    assert r.status_code == 200, r.text
    r = demo_client.post(f"/api/v1/appeals/{appeal_id}/rescore", headers=as_user("supervisor"))
    assert r.status_code == 200, r.text
    rescored = r.json()["rescored"]
    assert rescored["corrections"] == {"entered_value_usd": 125000.0}
    assert rescored["previous"]["input_digest"] != rescored["input_digest"]
    assert rescored["lane"] in ("green", "yellow", "red")
    assert rescored["log_seq"] > rescored["previous"]["log_seq"]
