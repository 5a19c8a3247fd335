"""Single-entry scoring: the same assessment as the batch pipeline, and contract checks."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from fastapi.testclient import TestClient
from tests.api.score_requests import entry_request

from tradeguard.api.demo_site import DemoSite, demo_settings

Headers = Callable[[str], dict[str, str]]


def test_score_matches_the_batch_pipeline(demo_client: TestClient, as_user: Headers,
                                          demo_site: DemoSite) -> None:
    from tradeguard.api.records import stored_declarations, stored_outcomes
    from tradeguard.model import load_artifact
    from tradeguard.pipeline import score_declarations
    from tradeguard.store import open_store
    from tradeguard.targeting.config import load_targeting_config

    body = entry_request(demo_site.directory)
    r = demo_client.post("/api/v1/score", json=body, headers=as_user("officer"))
    assert r.status_code == 200, r.text
    got = {a["line_number"]: a for a in r.json()["assessments"]}
    assert set(got) == {int(ln["line_number"]) for ln in body["lines"]}

    number = body["entry"]["entry_number"]
    with open_store(demo_site.db_url) as store:
        every = stored_declarations(store.engine)
        outcomes = stored_outcomes(store.engine)
    one_e = every.entries.filter(pl.col("entry_number") == number)
    one_l = every.lines.filter(pl.col("entry_number") == number)
    model = load_artifact(demo_site.model_dir) if demo_site.model_dir else None
    # The service targets with the demo's configuration (its compliance sample), as the
    # stored run did.
    targeting = demo_settings(demo_site.directory).targeting_config
    assert targeting is not None
    config = load_targeting_config(targeting)
    expected = score_declarations(one_e, one_l, history_entries=every.entries,
                                  history_lines=every.lines, outcomes=outcomes, model=model,
                                  as_of=every.entries["entry_date"].max(), config=config)
    assert set(expected.assessments["targeting_version"]) == {config.version}
    for row in expected.assessments.iter_rows(named=True):
        a = got[row["line_number"]]
        assert a["lane"] == row["lane"]
        assert abs(a["risk_score"] - row["risk_score"]) < 1e-9
        assert a["reasons"] == row["reasons"]
        assert a["input_digest"] == row["input_digest"]
        assert a["versions"]["model"] == row["model_version"]
        assert a["versions"]["targeting"] == row["targeting_version"]


def test_bad_line_is_rejected_naming_row_and_field(demo_client: TestClient,
                                                   as_user: Headers,
                                                   demo_site: DemoSite) -> None:
    body = entry_request(demo_site.directory)
    body["lines"][0]["country_of_origin"] = "ZZ"
    r = demo_client.post("/api/v1/score", json=body, headers=as_user("officer"))
    assert r.status_code == 422
    problem = r.json()
    assert problem["rejected"][0]["row"] == 1
    assert "country_of_origin" in problem["rejected"][0]["fields"]
    assert problem["detail"].startswith("line row 1:")


def test_batch_job_reports_progress_and_result(demo_client: TestClient, as_user: Headers,
                                               demo_site: DemoSite) -> None:
    import time

    one = entry_request(demo_site.directory)
    body = {"entries": [one["entry"]],
            "lines": [{**ln, "entry_number": one["entry"]["entry_number"]}
                      for ln in one["lines"]]}
    r = demo_client.post("/api/v1/score/batch", json=body, headers=as_user("analyst"))
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    for _ in range(300):
        state = demo_client.get(f"/api/v1/jobs/{job}", headers=as_user("analyst")).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["status"] == "done", state
    assert state["done"] == state["total"] == 1
    assert state["result"]["lines_scored"] == len(one["lines"])
    assert demo_client.get(f"/api/v1/jobs/{job}",
                           headers=as_user("importer_a")).status_code == 403
