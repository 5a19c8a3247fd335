"""Case leads, evidence packs and the party network over HTTP and as pages."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def analyst_pages(demo_client: TestClient, as_user: Headers) -> Iterator[TestClient]:
    """The demo client carrying the analyst's session cookie (for the web pages)."""
    demo_client.cookies.set("tg_session", as_user("analyst")["Authorization"].split()[1])
    yield demo_client
    demo_client.cookies.clear()


def test_leads_rank_by_exposure_and_carry_versions(demo_client: TestClient,
                                                   as_user: Headers) -> None:
    r = demo_client.get("/api/v1/leads?since=2000-01-01", headers=as_user("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    exposures = [x["exposure_usd"] for x in body["leads"]]
    assert exposures == sorted(exposures, reverse=True)
    assert [x["rank"] for x in body["leads"]] == list(range(1, len(exposures) + 1))
    assert body["versions"]["detector"].startswith("adcvd ")
    assert body["versions"]["adcvd_orders"]


def test_lead_detail_and_evidence_packs(demo_client: TestClient, as_user: Headers) -> None:
    analyst = as_user("analyst")
    leads = demo_client.get("/api/v1/leads?since=2000-01-01", headers=analyst).json()["leads"]
    if not leads:
        pytest.skip("the demo data raised no AD/CVD lead")
    top = leads[0]
    one = demo_client.get(f"/api/v1/leads/{top['lead_id']}?since=2000-01-01",
                          headers=analyst).json()
    members = {(m["entry_number"], m["line_number"]) for m in one["member_lines"]}
    assert members == {(e, n) for e, n in one["members"]}
    assert set(one["timeline"]) <= set(one["reason_codes"])

    pack = demo_client.get(f"/api/v1/leads/{top['lead_id']}/evidence.csv?since=2000-01-01",
                           headers=analyst)
    assert pack.status_code == 200
    assert "attachment" in pack.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(pack.text)))
    assert len(rows) == top["lines"]
    assert {r["lead_id"] for r in rows} == {top["lead_id"]}

    html = demo_client.get(f"/api/v1/leads/{top['lead_id']}/evidence.html?since=2000-01-01",
                           headers=analyst)
    assert html.status_code == 200
    # self-contained: nothing fetched from anywhere, no script
    assert "<script" not in html.text and "src=" not in html.text and "href=" not in html.text
    assert "script-src" not in html.headers["content-security-policy"]
    for entry_number, _ in one["members"]:
        assert entry_number in html.text

    bad = demo_client.get(f"/api/v1/leads/{top['lead_id']}/evidence.pdf", headers=analyst)
    assert bad.status_code == 404
    missing = demo_client.get("/api/v1/leads/L-0000000000000000", headers=analyst)
    assert missing.status_code == 404


def test_leads_and_network_are_refused_outside_investigation(demo_client: TestClient,
                                                             as_user: Headers) -> None:
    for user in ("officer", "importer_a", "auditor", "admin", "model_owner"):
        for path in ("/api/v1/leads", "/api/v1/network/parties?q=co"):
            r = demo_client.get(path, headers=as_user(user))
            assert r.status_code == 403, (user, path)
    # supervisors read leads but do not export evidence
    leads = demo_client.get("/api/v1/leads?since=2000-01-01",
                            headers=as_user("supervisor")).json()["leads"]
    if leads:
        r = demo_client.get(f"/api/v1/leads/{leads[0]['lead_id']}/evidence.csv?since=2000-01-01",
                            headers=as_user("supervisor"))
        assert r.status_code == 403


def test_party_search_and_cluster(demo_client: TestClient, as_user: Headers) -> None:
    analyst = as_user("analyst")
    found = demo_client.get("/api/v1/network/parties?q=co&limit=5", headers=analyst).json()
    parties = found["parties"]
    assert parties and all("co" in p["name"].lower() or p["identifier"] == "co"
                           for p in parties)
    cluster = parties[0]["cluster"]
    from urllib.parse import quote

    summary = demo_client.get(f"/api/v1/network/clusters/{quote(cluster, safe='')}",
                              headers=analyst).json()
    ids = {m["record_id"] for m in summary["members"]}
    assert parties[0]["record_id"] in ids
    assert all(link["left"] in ids and link["right"] in ids for link in summary["links"])
    assert demo_client.get("/api/v1/network/clusters/nobody", headers=analyst).status_code == 404
    assert demo_client.get("/api/v1/network/parties?q=c", headers=analyst).status_code == 422


def test_analyst_pages(analyst_pages: TestClient) -> None:
    listing = analyst_pages.get("/leads?since=2000-01-01")
    assert listing.status_code == 200
    assert analyst_pages.get("/leads?since=not-a-day").status_code == 422
    search = analyst_pages.get("/network?q=co")
    assert search.status_code == 200 and "Open cluster" in search.text
    link = search.text.split('href="/network/clusters/', 1)[1].split('"', 1)[0]
    page = analyst_pages.get(f"/network/clusters/{link}")
    assert page.status_code == 200, page.text[:300]
    assert "<svg" in page.text and 'class="member' in page.text
