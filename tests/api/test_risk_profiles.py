"""Risk profiles in the admin API and page: view, check, back-test, publish and approve.

Each test runs against an app over a copy of the demo database with its own profiles folder,
so publishing here changes nothing the other API tests score with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.conftest import bearer
from tests.api.profile_sites import Headers, cached_headers, profiles_site
from tests.api.score_requests import entry_request

from tradeguard.api import ApiConfig, create_app, services_of
from tradeguard.api.demo_site import DemoSite
from tradeguard.rules import CHANGE_LOG_NAME, load_profile_set, shipped_profiles_dir

URL = "/api/v1/admin/risk-profiles"
SHIPPED = {p.name: p.read_text(encoding="utf-8")
           for p in sorted(shipped_profiles_dir().glob("*.yaml"))}



@pytest.fixture(scope="module")
def site(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[TestClient, Path]]:
    """A client over a copy of the demo database, and the profiles folder it publishes to."""
    with profiles_site(demo_site, tmp_path_factory, "profiles-site") as (client, _, folder):
        yield client, folder


@pytest.fixture(scope="module")
def who(site: tuple[TestClient, Path]) -> Headers:
    return cached_headers(site[0])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))} if folder.exists() else {}


def _current_file(client: TestClient, headers: dict[str, str], name: str) -> str:
    files: dict[str, str] = client.get(URL, headers=headers).json()["files"]
    return files[name]


def test_admin_and_analyst_see_every_profile_with_status_and_history(
        site: tuple[TestClient, Path], who: Headers) -> None:
    client, _ = site
    for user in ("admin", "analyst"):
        r = client.get(URL, headers=who(user))
        assert r.status_code == 200, (user, r.text)
        body = r.json()
        current = load_profile_set(Path(body["folder"])) if body["published"] \
            else load_profile_set(shipped_profiles_dir())
        assert body["version"] == current.version
        assert {p["id"] for p in body["profiles"]} == {p.id for p in current.profiles}
        for p in body["profiles"]:
            assert p["owner"] and p["rationale"] and p["treatment"]["reason_code"]
            assert p["status"] in {"active", "review_due", "pending", "expired", "lapsed"}
            assert p["version"] == current.profile_versions[p["id"]]
        assert body["change_log"], "the shipped history is shown"
        # The demo stores exam outcomes: every profile carries its hit counts.
        assert body["outcomes"] > 0
        assert all(p["hits"] is not None for p in body["profiles"])
        for p in body["profiles"]:
            h = p["hits"]
            assert h["examined"] <= h["lines_hit"] and h["discrepancies"] <= h["examined"]
            if h["examined"]:
                assert h["ci_low"] <= h["hit_rate"] <= h["ci_high"]
            else:
                assert h["hit_rate"] is None
    token = who("analyst")["Authorization"].split()[1]
    page = client.get("/admin/risk-profiles", headers={"Cookie": f"tg_session={token}"})
    assert page.status_code == 200
    assert "Change log" in page.text and "TEX-001" in page.text


def test_importer_and_officer_are_refused(site: tuple[TestClient, Path], who: Headers) -> None:
    client, folder = site
    before = _snapshot(folder)
    body = {"file": "textiles.yaml", "yaml": SHIPPED["textiles.yaml"]}
    for user in ("importer_a", "officer"):
        h = who(user)
        assert client.get(URL, headers=h).status_code == 403
        assert client.post(f"{URL}/check", json=body, headers=h).status_code == 403
        assert client.post(f"{URL}/test", json=body, headers=h).status_code == 403
        r = client.post(f"{URL}/publish", json={**body, "rationale": "x"}, headers=h)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")
        assert client.get(f"{URL}/publications", headers=h).status_code == 403
        for decision in ("approve", "reject"):
            r = client.post(f"{URL}/publications/P-0001/{decision}", json={"reason": "x"},
                            headers=h)
            assert r.status_code == 403, (user, decision, r.text)
    token = who("importer_a")["Authorization"].split()[1]
    page = client.get("/admin/risk-profiles", headers={"Cookie": f"tg_session={token}"})
    assert page.status_code == 403
    assert _snapshot(folder) == before


def test_check_names_the_line_of_a_broken_profile(site: tuple[TestClient, Path],
                                                  who: Headers) -> None:
    client, folder = site
    before = _snapshot(folder)
    text = _current_file(client, who("analyst"), "textiles.yaml")
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.strip() == "lane: yellow")
    lines[at] = lines[at].replace("yellow", "purple")
    r = client.post(f"{URL}/check", json={"file": "textiles.yaml", "yaml": "\n".join(lines)},
                    headers=who("analyst"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ok"] is False and out["version"] is None
    assert {"file": "textiles.yaml", "line": at + 1,
            "message": "lane must be green, yellow or red, not 'purple'"} in out["problems"]

    syntax = client.post(f"{URL}/check", json={"file": "new.yaml",
                                                "yaml": "profiles:\n  - id: [unclosed\n"},
                         headers=who("admin")).json()
    assert not syntax["ok"]
    assert syntax["problems"][0]["file"] == "new.yaml"
    assert syntax["problems"][0]["message"].startswith("YAML syntax")

    good = client.post(f"{URL}/check", json={"file": "textiles.yaml", "yaml": text},
                       headers=who("analyst")).json()
    assert good == {"ok": True, "problems": [], "version": good["version"], "added": [],
                    "edited": [], "removed": []}
    bad_name = client.post(f"{URL}/check", json={"file": "../escape.yaml", "yaml": text},
                           headers=who("analyst"))
    assert bad_name.status_code == 422
    # Text the YAML reader refuses without a line number is still reported with one.
    hostile = {"profiles:\n  - id: a\x07b\n": 2, "[" * 3000 + "]" * 3000: 1}
    for yaml_text, line in hostile.items():
        r = client.post(f"{URL}/check", headers={**who("analyst"),
                                                 "Content-Type": "application/json"},
                        content=json.dumps({"file": "odd.yaml", "yaml": yaml_text}))
        assert r.status_code == 200, r.text
        assert r.json()["problems"][0]["line"] == line
        assert r.json()["problems"][0]["message"].startswith("YAML syntax")
    surrogate = client.post(f"{URL}/check", headers={**who("analyst"),
                                                     "Content-Type": "application/json"},
                            content=json.dumps({"file": "odd.yaml", "yaml": "# \ud800"}))
    assert surrogate.status_code == 422
    assert _snapshot(folder) == before


def _origin_profile(pid: str, origin: str) -> str:
    return f"""profiles:
  - id: {pid}
    title: Every line from {origin}
    owner: Test risk team
    rationale: A back-test needs a criterion whose hits can be counted independently.
    when:
      - {{field: country_of_origin, op: eq, value: {origin}}}
    treatment:
      weight: 0.3
      category: origin
      reason_code: TEST_ORIGIN
      reason: The line comes from the origin under test.
"""


def test_back_test_counts_the_stored_lines_a_profile_hits(
        site: tuple[TestClient, Path], who: Headers, demo_site: DemoSite) -> None:
    from tradeguard.api.records import stored_declarations
    from tradeguard.store import open_store

    client, folder = site
    with open_store(demo_site.db_url) as store:
        lines = stored_declarations(store.engine).lines
    counts = lines.group_by("country_of_origin").len().sort("len", descending=True)
    origin, expected = counts.row(0)
    r = client.post(f"{URL}/test", json={"file": "zz_test.yaml",
                                         "yaml": _origin_profile("TEST-ORIGIN", origin)},
                    headers=who("analyst"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["lines"] == lines.height
    rows = {row["profile_id"]: row for row in out["profiles"]}
    assert rows["TEST-ORIGIN"]["lines_hit"] == expected
    assert set(rows) >= {"TEX-001", "TEST-ORIGIN"}
    broken = client.post(f"{URL}/test", json={"file": "zz_test.yaml", "yaml": "profiles: 3"},
                         headers=who("analyst"))
    assert broken.status_code == 422
    assert broken.json()["problems"][0]["file"] == "zz_test.yaml"
    assert not (folder / "zz_test.yaml").exists()


def test_publish_then_approve_changes_the_version_the_log_and_what_scoring_uses(
        site: tuple[TestClient, Path], who: Headers, demo_site: DemoSite) -> None:
    client, folder = site
    analyst = who("analyst")
    before = client.get(URL, headers=analyst).json()
    text = _current_file(client, analyst, "textiles.yaml")
    edited = text.replace("review_date: 2027-06-30", "review_date: 2027-03-31", 1)
    assert edited != text
    body = {"file": "textiles.yaml", "yaml": edited,
            "rationale": "Review brought forward after the spring valuation audit."}

    # The library's role matrix gives profile:edit to analysts, not to administrators.
    assert client.post(f"{URL}/publish", json=body, headers=who("admin")).status_code == 403
    assert client.post(f"{URL}/publish", json={**body, "rationale": " "},
                       headers=analyst).status_code == 422

    on_disk_before = _snapshot(folder)
    r = client.post(f"{URL}/publish", json=body, headers=analyst)
    assert r.status_code == 201, r.text
    pending = r.json()
    assert pending["state"] == "pending" and pending["proposed_by"] == "analyst"
    assert pending["previous_version"] == before["version"]
    assert pending["version"] != before["version"]
    assert pending["edited"] == ["TEX-001"] and pending["recorded"] == []
    assert "-    review_date: 2027-06-30" in pending["diff"]
    assert "+    review_date: 2027-03-31" in pending["diff"]
    assert {row["profile_id"] for row in pending["back_test"]["profiles"]} >= {"TEX-001"}
    # Proposed, not published: the profile files and the change log are untouched.
    assert {k: v for k, v in _snapshot(folder).items() if k.endswith((".yaml", ".json"))
            and k != "publications.json"} == \
        {k: v for k, v in on_disk_before.items() if k.endswith((".yaml", ".json"))
         and k != "publications.json"}
    assert client.get(URL, headers=analyst).json()["version"] == before["version"]

    r = client.post(f"{URL}/publications/{pending['id']}/approve",
                    json={"note": "Checked against the audit memo."}, headers=who("supervisor"))
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "approved" and done["decided_by"] == "supervisor"
    assert [c["profile_id"] for c in done["recorded"]] == ["TEX-001"]
    change = done["recorded"][0]
    assert change["author"] == "analyst" and change["reason"] == body["rationale"]
    assert change["approved_by"] == "supervisor"

    assert (folder / "textiles.yaml").read_text(encoding="utf-8") == edited
    on_disk = load_profile_set(folder)
    assert on_disk.version == done["version"] and not on_disk.change_issues
    after = client.get(URL, headers=analyst).json()
    assert after["published"] and after["version"] == done["version"]
    assert len(after["change_log"]) == len(before["change_log"]) + 1
    assert after["change_log"][0]["reason"] == body["rationale"]
    assert after["change_log"][0]["approved_by"] == "supervisor"

    score = client.post("/api/v1/score", json=entry_request(demo_site.directory),
                        headers=who("officer"))
    assert score.status_code == 200, score.text
    assert {a["versions"]["rules"] for a in score.json()["assessments"]} == {done["version"]}

    again = client.post(f"{URL}/publish", json=body, headers=analyst)
    assert again.status_code == 422 and again.json()["type"].endswith("no-change")

    # A restarted service (here: a second app handed the same fitted scorer, reset to the
    # shipped profiles) scores with the published set from its first request.
    first = client.app
    assert isinstance(first, FastAPI)
    fitted = services_of(first).scorer.get()
    fitted.scorer.profiles = load_profile_set(shipped_profiles_dir())
    restarted = create_app(services_of(first).settings,
                           config=ApiConfig(rate_per_second=1000, rate_burst=1000),
                           scorer=fitted)
    with TestClient(restarted) as second:
        r2 = second.post("/api/v1/score", json=entry_request(demo_site.directory),
                         headers=bearer(second, "officer"))
        assert r2.status_code == 200, r2.text
        assert {a["versions"]["rules"] for a in r2.json()["assessments"]} == {done["version"]}
    services_of(restarted).close()


def test_publishing_an_invalid_set_is_refused_and_changes_nothing(
        site: tuple[TestClient, Path], who: Headers) -> None:
    client, folder = site
    analyst = who("analyst")
    before_files, before = _snapshot(folder), client.get(URL, headers=analyst).json()
    text = _current_file(client, analyst, "textiles.yaml")
    for bad in (text.replace("lane: yellow", "lane: purple", 1),
                text.replace("id: TEX-001", "id: ADCVD-001", 1),  # duplicate of another file
                "profiles:\n  - id: [unclosed\n"):
        r = client.post(f"{URL}/publish", headers=analyst, json={
            "file": "textiles.yaml", "yaml": bad, "rationale": "should never land"})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["problems"]
    empty = client.post(f"{URL}/publish", headers=analyst, json={
        "file": "all.yaml", "yaml": "{}", "replace_set": True, "rationale": "wipe"})
    assert empty.status_code == 422
    assert _snapshot(folder) == before_files
    assert client.get(URL, headers=analyst).json()["version"] == before["version"]


def test_page_checks_and_publishes_through_the_form(site: tuple[TestClient, Path],
                                                   who: Headers) -> None:
    client, folder = site
    token = who("analyst")["Authorization"].split()[1]
    cookie = {"Cookie": f"tg_session={token}"}
    page = client.get("/admin/risk-profiles?file=watchlists.yaml", headers=cookie)
    assert page.status_code == 200
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert form_token is not None
    text = _current_file(client, who("analyst"), "watchlists.yaml")
    form = {"form_token": form_token.group(1), "file": "watchlists.yaml",
            "text": "profiles:\n  - id: [unclosed\n", "action": "check"}
    checked = client.post("/admin/risk-profiles", data=form, headers=cookie)
    assert checked.status_code == 422
    assert "<code>watchlists.yaml:" in checked.text and "YAML syntax" in checked.text
    before = _snapshot(folder)
    refused = client.post("/admin/risk-profiles", headers=cookie,
                          data={**form, "action": "publish", "rationale": "no"})
    assert refused.status_code == 422 and "YAML syntax" in refused.text
    assert _snapshot(folder) == before
    edited = text.replace("owner:", "owner: Watchlist desk,", 1)
    proposed = client.post("/admin/risk-profiles", headers=cookie, follow_redirects=False,
                           data={**form, "text": edited, "action": "publish",
                                 "rationale": "Ownership moved to the watchlist desk."})
    assert proposed.status_code == 303, proposed.text
    assert "Proposed%20P-" in proposed.headers["location"]
    assert _snapshot(folder).get("watchlists.yaml") == before.get("watchlists.yaml")
    pending = client.get(URL, headers=who("analyst")).json()["pending"]
    pub = next(p for p in pending if p["rationale"] == "Ownership moved to the watchlist desk.")

    # The analyst sees the pending version but no approve button; the supervisor has one.
    shown = client.get("/admin/risk-profiles", headers=cookie).text
    assert f'id="publication-{pub["id"]}"' in shown
    assert f'action="/admin/risk-profiles/publications/{pub["id"]}"' not in shown
    sup_token = who("supervisor")["Authorization"].split()[1]
    sup_cookie = {"Cookie": f"tg_session={sup_token}"}
    sup_page = client.get("/admin/risk-profiles", headers=sup_cookie)
    assert sup_page.status_code == 200
    assert f'action="/admin/risk-profiles/publications/{pub["id"]}"' in sup_page.text
    sup_form = re.search(r'name="form_token" value="([^"]+)"', sup_page.text)
    assert sup_form is not None
    approved = client.post(f"/admin/risk-profiles/publications/{pub['id']}",
                           headers=sup_cookie, follow_redirects=False,
                           data={"form_token": sup_form.group(1), "action": "approve",
                                 "reason": ""})
    assert approved.status_code == 303, approved.text
    assert (folder / "watchlists.yaml").read_text(encoding="utf-8") == edited
    records = json.loads((folder / CHANGE_LOG_NAME).read_text(encoding="utf-8"))
    last = records[-1]
    assert last["reason"] == "Ownership moved to the watchlist desk."
    assert (last["author"], last["approved_by"]) == ("analyst", "supervisor")
