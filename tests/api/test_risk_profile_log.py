"""Risk-profile publications in the tamper-evident decision log.

Proposing, approving and rejecting a profile set each append one log record whose public
fields name the publication, the versions, the people and a SHA-256 of the files, with the
rationale, note or reason sealed; the ledger keeps the record's sequence number. When the log
does not take the record, the step fails and the published set and the ledger stay as they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.profile_sites import Headers, cached_headers, profiles_site

from tradeguard.api import services_of
from tradeguard.api.accounts import get_account
from tradeguard.api.demo_site import DemoSite
from tradeguard.api.routers.risk_profiles.ledger import LEDGER_NAME
from tradeguard.decisions import Receipt, verify_log, verify_receipt
from tradeguard.decisions.events import (
    LogRecord,
    ProfilesApproved,
    ProfilesProposed,
    ProfilesRejected,
    profile_files_hash,
    utc_timestamp,
)
from tradeguard.decisions.review import Workflow, reveal
from tradeguard.rules import CHANGE_LOG_NAME, load_profile_set

URL = "/api/v1/admin/risk-profiles"


@pytest.fixture(scope="module")
def site(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[TestClient, FastAPI, Path]]:
    """A client over a copy of the demo database, its app, and the profiles folder."""
    with profiles_site(demo_site, tmp_path_factory, "profile-log-site") as made:
        yield made


@pytest.fixture(scope="module")
def who(site: tuple[TestClient, FastAPI, Path]) -> Headers:
    return cached_headers(site[0])


def _workflow(site: tuple[TestClient, FastAPI, Path]) -> Workflow:
    return services_of(site[1]).workflow


def _profile(code: str) -> str:
    """A profile that sends one (fictitious) importer's lines to exam."""
    return f"""profiles:
  - id: LOG-{code}
    title: Importer IMP-{code} under a new referral
    owner: Test targeting unit
    rationale: An open referral warrants an exam of every line until it is closed.
    when:
      - {{field: importer_id, op: eq, value: IMP-{code}}}
    treatment:
      lane: red
      category: watchlist
      reason_code: LOG_{code}
      reason: The importer is the subject of an open referral under test.
"""


def _rationale(code: str) -> str:
    return f"Confidential referral {code} from the enforcement desk."


def _propose(client: TestClient, who: Headers, code: str) -> Any:
    return client.post(f"{URL}/publish", headers=who("analyst"), json={
        "file": f"zz_{code.lower()}.yaml", "yaml": _profile(code),
        "rationale": _rationale(code)})


def _on_disk(folder: Path) -> dict[str, bytes]:
    """Everything scoring and the ledger read: profile files, change log, ledger."""
    if not folder.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.suffix in (".yaml", ".yml") or p.name in (CHANGE_LOG_NAME, LEDGER_NAME)}


def _record(wf: Workflow, seq: int) -> LogRecord:
    return wf.log.read(seq)


def _opened(site: tuple[TestClient, FastAPI, Path], commitment: str) -> dict[str, Any]:
    """What an auditor (commitment:reveal) reads behind a logged commitment."""
    services = services_of(site[1])
    account = get_account(services.engine, "auditor")
    assert account is not None
    return dict(reveal(services.workflow, account.principal(), commitment).payload)


def _when(stamp: str) -> str:
    return utc_timestamp(datetime.fromisoformat(stamp.replace("Z", "+00:00")))


def test_propose_then_approve_logs_two_records_that_verify(
        site: tuple[TestClient, FastAPI, Path], who: Headers) -> None:
    client, _, folder = site
    wf = _workflow(site)
    size_before = wf.log.size
    before = client.get(URL, headers=who("analyst")).json()["version"]

    r = _propose(client, who, "ALPHA")
    assert r.status_code == 201, r.text
    pub = r.json()
    assert pub["proposed_log_seq"] == size_before and pub["decided_log_seq"] is None
    assert pub["proposed_proof"] == f"/api/v1/log/proof/{size_before}"
    files = client.get(f"{URL}/publications/{pub['id']}", headers=who("analyst")).json()["files"]

    r = client.post(f"{URL}/publications/{pub['id']}/approve", json={"note": "Referral seen."},
                    headers=who("supervisor"))
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["decided_log_seq"] == size_before + 1 and wf.log.size == size_before + 2
    assert load_profile_set(folder).version == pub["version"]

    proposed = _record(wf, done["proposed_log_seq"])
    assert isinstance(proposed.event, ProfilesProposed)
    assert proposed.event == ProfilesProposed(
        publication_id=pub["id"], version_before=before, version_after=pub["version"],
        proposed_by="analyst", files_hash=profile_files_hash(files),
        rationale_commitment=proposed.event.rationale_commitment)
    assert proposed.recorded_at == _when(pub["proposed_at"])

    approved = _record(wf, done["decided_log_seq"])
    assert isinstance(approved.event, ProfilesApproved)
    assert approved.event == ProfilesApproved(
        publication_id=pub["id"], version_before=before, version_after=pub["version"],
        proposed_by="analyst", approved_by="supervisor", files_hash=profile_files_hash(files),
        note_commitment=approved.event.note_commitment, superseded=())
    assert approved.recorded_at == _when(done["decided_at"])

    # Confidential text is sealed: not in the log bytes, but an auditor can open it.
    for rec in (proposed, approved):
        canonical = rec.canonical()
        assert b"Confidential referral" not in canonical and b"LOG-ALPHA" not in canonical
        assert b"Referral seen." not in canonical
    opened = _opened(site, proposed.event.rationale_commitment)
    assert opened["rationale"] == _rationale("ALPHA") and opened["files"] == files
    assert profile_files_hash(opened["files"]) == proposed.event.files_hash
    assert _opened(site, approved.event.note_commitment)["note"] == "Referral seen."

    # The whole log verifies, and the proof link hands out a receipt for the record.
    assert verify_log(wf.log.store, wf.log.signer.verifier_key).ok
    proof = client.get(done["decided_proof"], headers=who("auditor"))
    assert proof.status_code == 200, proof.text
    body = proof.json()
    receipt = Receipt.from_json(body)
    assert receipt.leaf_index == done["decided_log_seq"]
    assert verify_receipt(receipt, body["verifier_key"], approved.canonical())
    assert not verify_receipt(receipt, body["verifier_key"], proposed.canonical())


def test_approval_records_the_proposals_it_supersedes(
        site: tuple[TestClient, FastAPI, Path], who: Headers) -> None:
    client, _, _ = site
    wf = _workflow(site)
    first, second = _propose(client, who, "BRAVO").json(), _propose(client, who, "CHARLIE").json()
    done = client.post(f"{URL}/publications/{second['id']}/approve", json={},
                       headers=who("supervisor")).json()
    event = _record(wf, done["decided_log_seq"]).event
    assert isinstance(event, ProfilesApproved) and event.superseded == (first["id"],)
    stale = client.get(f"{URL}/publications/{first['id']}", headers=who("analyst")).json()
    assert stale["state"] == "superseded" and stale["decided_log_seq"] is None


def test_rejection_logs_its_record_with_the_reason_sealed(
        site: tuple[TestClient, FastAPI, Path], who: Headers) -> None:
    client, _, folder = site
    wf = _workflow(site)
    pub = _propose(client, who, "DELTA").json()
    files_before = _on_disk(folder)
    r = client.post(f"{URL}/publications/{pub['id']}/reject",
                    json={"reason": "Referral DELTA was closed this morning."},
                    headers=who("supervisor"))
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["decided_log_seq"] == pub["proposed_log_seq"] + 1
    assert done["decided_proof"] == f"/api/v1/log/proof/{done['decided_log_seq']}"
    rec = _record(wf, done["decided_log_seq"])
    assert isinstance(rec.event, ProfilesRejected)
    assert (rec.event.publication_id, rec.event.proposed_by, rec.event.rejected_by,
            rec.event.version_before, rec.event.version_after) == \
        (pub["id"], "analyst", "supervisor", pub["previous_version"], pub["version"])
    assert b"closed this morning" not in rec.canonical()
    assert _opened(site, rec.event.reason_commitment)["reason"] == \
        "Referral DELTA was closed this morning."
    # The page names the log record next to the decision.
    cookie = {"Cookie": f"tg_session={who('supervisor')['Authorization'].split()[1]}"}
    page = client.get("/admin/risk-profiles", headers=cookie)
    assert page.status_code == 200
    assert f"rejected <span class=\"muted small\">(log #{done['decided_log_seq']})</span>" \
        in page.text
    # Only the ledger changed on disk; the published set did not.
    after = _on_disk(folder)
    assert {k: v for k, v in after.items() if k != LEDGER_NAME} == \
        {k: v for k, v in files_before.items() if k != LEDGER_NAME}
    assert verify_log(wf.log.store, wf.log.signer.verifier_key).ok


def test_a_step_the_log_refuses_changes_nothing(
        site: tuple[TestClient, FastAPI, Path], who: Headers,
        monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, folder = site
    wf = _workflow(site)
    pending = _propose(client, who, "ECHO").json()
    store_append = wf.log.store.append

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("log database unreachable")

    monkeypatch.setattr(wf.log.store, "append", refuse)
    size, disk = wf.log.size, _on_disk(folder)
    version = client.get(URL, headers=who("analyst")).json()["version"]

    for attempt in (
        lambda: _propose(client, who, "FOXTROT"),
        lambda: client.post(f"{URL}/publications/{pending['id']}/approve", json={},
                            headers=who("supervisor")),
        lambda: client.post(f"{URL}/publications/{pending['id']}/reject",
                            json={"reason": "Not now."}, headers=who("supervisor")),
    ):
        r = attempt()
        assert r.status_code == 503, r.text
        doc = r.json()
        assert doc["type"].endswith("decision-log-unavailable")
        assert "log database unreachable" in doc["detail"] and "nothing was" in doc["detail"]
        assert _on_disk(folder) == disk
        assert wf.log.size == size
        view = client.get(URL, headers=who("analyst")).json()
        assert view["version"] == version
        assert [p["id"] for p in view["pending"]] == [pending["id"]]

    # Once the log takes records again, the same approval goes through and is logged.
    monkeypatch.setattr(wf.log.store, "append", store_append)
    r = client.post(f"{URL}/publications/{pending['id']}/approve", json={},
                    headers=who("supervisor"))
    assert r.status_code == 200, r.text
    assert r.json()["decided_log_seq"] == size and wf.log.size == size + 1
    assert verify_log(wf.log.store, wf.log.signer.verifier_key).ok


def test_the_ledger_checks_out_against_the_log_and_a_rewrite_shows(
        site: tuple[TestClient, FastAPI, Path], who: Headers) -> None:
    client, _, folder = site
    pub = _propose(client, who, "GOLF").json()
    check = f"{URL}/publications/log-check"
    r = client.get(check, headers=who("auditor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agree"] is True and body["differences"] == []
    assert body["publications"] >= 1 and body["log_records"] >= body["publications"]

    ledger = folder / LEDGER_NAME
    saved = ledger.read_text(encoding="utf-8")
    doc = json.loads(saved)
    mine = next(p for p in doc["publications"] if p["id"] == pub["id"])
    mine["proposed_by"] = "supervisor"  # as if the supervisor had proposed it
    ledger.write_text(json.dumps(doc), encoding="utf-8")
    try:
        body = client.get(check, headers=who("auditor")).json()
        assert body["agree"] is False
        assert body["differences"] == [
            f"{pub['id']}: proposal record #{pub['proposed_log_seq']}: proposed by analyst on "
            "the log, supervisor in the ledger"]
        doc["publications"].remove(mine)  # or dropped from the ledger altogether
        ledger.write_text(json.dumps(doc), encoding="utf-8")
        body = client.get(check, headers=who("auditor")).json()
        assert body["differences"] == [
            f"log record #{pub['proposed_log_seq']} (profiles.proposed of {pub['id']}) is not "
            "in the ledger"]
    finally:
        ledger.write_text(saved, encoding="utf-8")
    assert client.get(check, headers=who("auditor")).json()["agree"] is True
    assert client.get(check, headers=who("importer_a")).status_code == 403
