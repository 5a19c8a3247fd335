"""Four-eyes publication of risk profiles: a proposed version changes nothing until a second
person holding ``model:approve`` approves it; nobody approves their own.

The site is a copy of the demo database with its own profiles folder and one extra account,
``lead_analyst``, who both writes profiles (analyst) and approves versions (supervisor): the
person the independence rule exists for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.profile_sites import Headers, cached_headers, profiles_site
from tests.api.score_requests import entry_request

from tradeguard.api import services_of
from tradeguard.api.accounts import create_user
from tradeguard.api.demo_site import DemoSite
from tradeguard.rules import CHANGE_LOG_NAME, load_profile_set

URL = "/api/v1/admin/risk-profiles"
LEAD = ("lead_analyst", "pw-lead-analyst-2026")


@pytest.fixture(scope="module")
def site(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[TestClient, Path]]:
    """A client over a copy of the demo database, and the profiles folder it publishes to."""
    def lead(app: FastAPI) -> None:
        create_user(services_of(app).engine, LEAD[0], LEAD[1], ["analyst", "supervisor"],
                    created_by="test")

    with profiles_site(demo_site, tmp_path_factory, "four-eyes-site", lead) as (
            client, _, folder):
        yield client, folder


@pytest.fixture(scope="module")
def who(site: tuple[TestClient, Path]) -> Headers:
    return cached_headers(site[0], {LEAD[0]: LEAD[1]})


@pytest.fixture(scope="module")
def entry(demo_site: DemoSite) -> dict[str, Any]:
    """The last demo entry with its lines, as ``POST /score`` takes it."""
    return entry_request(demo_site.directory)


def _referral_profile(importer_id: str, code: str) -> str:
    """A profile that sends every line of one importer to the red lane."""
    return f"""profiles:
  - id: TEST-{code}
    title: Importer {importer_id} under a new referral
    owner: Test targeting unit
    rationale: An open referral warrants an exam of every line until it is closed.
    when:
      - {{field: importer_id, op: eq, value: {importer_id}}}
    treatment:
      lane: red
      category: watchlist
      reason_code: TEST_{code}
      reason: The importer is the subject of an open referral under test.
"""


def _score(client: TestClient, who: Headers, entry: dict[str, Any]) -> list[dict[str, Any]]:
    r = client.post("/api/v1/score", json=entry, headers=who("officer"))
    assert r.status_code == 200, r.text
    assessments: list[dict[str, Any]] = r.json()["assessments"]
    return assessments


def _published(folder: Path) -> dict[str, bytes]:
    """The files scoring reads: the profile files and the change log."""
    if not folder.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.suffix in (".yaml", ".yml") or p.name == CHANGE_LOG_NAME}


def _propose(client: TestClient, headers: dict[str, str], entry: dict[str, Any],
             code: str) -> dict[str, Any]:
    body = {"file": f"zz_{code.lower()}.yaml",
            "yaml": _referral_profile(entry["entry"]["importer_id"], code),
            "rationale": f"Referral {code} opened by the enforcement desk."}
    r = client.post(f"{URL}/publish", json=body, headers=headers)
    assert r.status_code == 201, r.text
    pub: dict[str, Any] = r.json()
    return pub


def _problem(r: Any, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, Any] = r.json()
    assert doc["type"].endswith(kind), doc
    return doc


def test_a_proposed_version_changes_no_score_until_another_person_approves_it(
        site: tuple[TestClient, Path], who: Headers, entry: dict[str, Any]) -> None:
    client, folder = site
    before = client.get(URL, headers=who("analyst")).json()
    scored_before = _score(client, who, entry)
    assert all("TEST-ALPHA" not in a["reasons"] for a in scored_before)
    files_before = _published(folder)

    pub = _propose(client, who("analyst"), entry, "ALPHA")
    assert pub["state"] == "pending" and pub["added"] == ["TEST-ALPHA"]
    assert pub["previous_version"] == before["version"]
    tested = {row["profile_id"]: row for row in pub["back_test"]["profiles"]}
    assert tested["TEST-ALPHA"]["lines_hit"] >= len(entry["lines"])

    # Pending: the folder scoring reads, the published version and every score stay the same.
    assert _published(folder) == files_before
    view = client.get(URL, headers=who("analyst")).json()
    assert view["version"] == before["version"]
    assert [p["id"] for p in view["pending"]] == [pub["id"]]
    scored_pending = _score(client, who, entry)
    assert [(a["lane"], a["risk_score"], a["reasons"], a["versions"]["rules"])
            for a in scored_pending] == \
        [(a["lane"], a["risk_score"], a["reasons"], a["versions"]["rules"])
         for a in scored_before]

    # An analyst cannot approve (no model:approve); a supervisor who did not propose it can.
    refused = client.post(f"{URL}/publications/{pub['id']}/approve", json={},
                          headers=who("analyst"))
    _problem(refused, 403, "forbidden")
    r = client.post(f"{URL}/publications/{pub['id']}/approve", json={"note": "Referral seen."},
                    headers=who("supervisor"))
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["state"], done["proposed_by"], done["decided_by"]) == \
        ("approved", "analyst", "supervisor")
    assert done["decision_reason"] == "Referral seen."

    scored_after = _score(client, who, entry)
    assert {a["versions"]["rules"] for a in scored_after} == {pub["version"]}
    assert all(a["lane"] == "red" and "TEST-ALPHA" in a["reasons"] for a in scored_after)
    assert load_profile_set(folder).version == pub["version"]

    # Both people are in the change log, and in the ledger's record of the publication.
    log = json.loads((folder / CHANGE_LOG_NAME).read_text(encoding="utf-8"))
    mine = [c for c in log if c["profile_id"] == "TEST-ALPHA"]
    assert [(c["author"], c["approved_by"], c["version_before"]) for c in mine] == \
        [("analyst", "supervisor", None)]
    assert mine[0]["reason"] == "Referral ALPHA opened by the enforcement desk."
    shown = client.get(f"{URL}/publications/{pub['id']}", headers=who("auditor")).json()
    assert shown["state"] == "approved" and shown["recorded"][0]["approved_by"] == "supervisor"
    assert "zz_alpha.yaml" in shown["files"]

    twice = client.post(f"{URL}/publications/{pub['id']}/approve", json={},
                        headers=who("supervisor"))
    _problem(twice, 409, "not-pending")


def test_nobody_approves_their_own_publication(
        site: tuple[TestClient, Path], who: Headers, entry: dict[str, Any]) -> None:
    client, folder = site
    lead = who(LEAD[0])
    files_before = _published(folder)
    version_before = client.get(URL, headers=lead).json()["version"]
    pub = _propose(client, lead, entry, "BRAVO")
    assert pub["proposed_by"] == LEAD[0]

    own = client.post(f"{URL}/publications/{pub['id']}/approve", json={}, headers=lead)
    doc = _problem(own, 403, "independent-review-required")
    assert doc["detail"].startswith(f"independent review required: {LEAD[0]} proposed "
                                    f"{pub['id']}")
    assert doc["publication"] == pub["id"]
    assert _published(folder) == files_before
    assert client.get(f"{URL}/publications/{pub['id']}", headers=lead).json()["state"] == \
        "pending"
    assert {a["versions"]["rules"] for a in _score(client, who, entry)} == {version_before}

    # The page offers the proposer no approve button, and refuses the post all the same.
    cookie = {"Cookie": f"tg_session={lead['Authorization'].split()[1]}"}
    page = client.get("/admin/risk-profiles", headers=cookie)
    assert "You proposed this version; another person must approve it." in page.text
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token is not None
    posted = client.post(f"/admin/risk-profiles/publications/{pub['id']}", headers=cookie,
                         data={"form_token": token.group(1), "action": "approve"})
    assert posted.status_code == 403
    assert "independent review required" in posted.text
    assert _published(folder) == files_before

    r = client.post(f"{URL}/publications/{pub['id']}/approve", json={},
                    headers=who("supervisor"))
    assert r.status_code == 200, r.text
    assert {a["versions"]["rules"] for a in _score(client, who, entry)} == {pub["version"]}


def test_rejection_leaves_the_published_set_and_scores_unchanged(
        site: tuple[TestClient, Path], who: Headers, entry: dict[str, Any]) -> None:
    client, folder = site
    files_before = _published(folder)
    version_before = client.get(URL, headers=who("analyst")).json()["version"]
    scored_before = _score(client, who, entry)
    pub = _propose(client, who("analyst"), entry, "CHARLIE")

    no_reason = client.post(f"{URL}/publications/{pub['id']}/reject", json={"reason": " "},
                            headers=who("supervisor"))
    _problem(no_reason, 422, "invalid-input")
    r = client.post(f"{URL}/publications/{pub['id']}/reject",
                    json={"reason": "The referral was closed this morning."},
                    headers=who("supervisor"))
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["state"], done["decided_by"], done["recorded"]) == \
        ("rejected", "supervisor", [])
    assert done["decision_reason"] == "The referral was closed this morning."

    assert _published(folder) == files_before
    view = client.get(URL, headers=who("analyst")).json()
    assert view["version"] == version_before and view["pending"] == []
    assert view["decided"][0]["id"] == pub["id"]
    scored_after = _score(client, who, entry)
    assert [(a["lane"], a["reasons"], a["versions"]["rules"]) for a in scored_after] == \
        [(a["lane"], a["reasons"], a["versions"]["rules"]) for a in scored_before]
    late = client.post(f"{URL}/publications/{pub['id']}/approve", json={},
                       headers=who("supervisor"))
    _problem(late, 409, "not-pending")
    rejected = client.get(f"{URL}/publications", params={"state": "rejected"},
                          headers=who("analyst")).json()
    assert [p["id"] for p in rejected] == [pub["id"]]


def test_one_approval_supersedes_the_other_proposals_on_the_same_set(
        site: tuple[TestClient, Path], who: Headers, entry: dict[str, Any]) -> None:
    client, folder = site
    first = _propose(client, who("analyst"), entry, "DELTA")
    again = client.post(f"{URL}/publish", headers=who("analyst"), json={
        "file": "zz_delta.yaml", "yaml": _referral_profile(entry["entry"]["importer_id"],
                                                            "DELTA"),
        "rationale": "The same version twice."})
    _problem(again, 409, "already-pending")
    second = _propose(client, who(LEAD[0]), entry, "ECHO")
    assert first["previous_version"] == second["previous_version"]

    r = client.post(f"{URL}/publications/{second['id']}/approve", json={},
                    headers=who("supervisor"))
    assert r.status_code == 200, r.text
    stale = client.get(f"{URL}/publications/{first['id']}", headers=who("analyst")).json()
    assert (stale["state"], stale["superseded_by"]) == ("superseded", second["id"])
    # Approving it now would silently undo ECHO: refused, the set stays as approved.
    late = client.post(f"{URL}/publications/{first['id']}/approve", json={},
                       headers=who(LEAD[0]))
    _problem(late, 409, "not-pending")
    assert load_profile_set(folder).version == second["version"]
    assert not (folder / "zz_delta.yaml").exists()


def test_the_page_rejects_with_a_reason(site: tuple[TestClient, Path], who: Headers,
                                        entry: dict[str, Any]) -> None:
    client, folder = site
    files_before = _published(folder)
    pub = _propose(client, who("analyst"), entry, "FOXTROT")
    token = who("supervisor")["Authorization"].split()[1]
    cookie = {"Cookie": f"tg_session={token}"}
    page = client.get("/admin/risk-profiles", headers=cookie)
    assert f'action="/admin/risk-profiles/publications/{pub["id"]}"' in page.text
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert form_token is not None
    url = f"/admin/risk-profiles/publications/{pub['id']}"
    form = {"form_token": form_token.group(1), "action": "reject", "reason": ""}
    blank = client.post(url, headers=cookie, data=form)
    assert blank.status_code == 422 and "a rejection needs a reason" in blank.text
    done = client.post(url, headers=cookie, follow_redirects=False,
                       data={**form, "reason": "Duplicate of an open referral."})
    assert done.status_code == 303, done.text
    assert "Rejected%20" in done.headers["location"]
    shown = client.get(f"{URL}/publications/{pub['id']}", headers=who("analyst")).json()
    assert (shown["state"], shown["decided_by"], shown["decision_reason"]) == \
        ("rejected", "supervisor", "Duplicate of an open referral.")
    assert _published(folder) == files_before
