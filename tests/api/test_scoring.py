"""Single-entry scoring: the same assessment as the batch pipeline, and contract checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
from fastapi.testclient import TestClient

from tradeguard.api.demo_site import DemoSite

Headers = Callable[[str], dict[str, str]]


def _request(site: DemoSite, entry_number: str | None = None) -> dict[str, Any]:
    data = site.directory / "data"
    entries = pl.read_csv(data / "entries.csv", infer_schema=False)
    lines = pl.read_csv(data / "lines.csv", infer_schema=False)
    entry = entries.filter(pl.col("entry_number") == entry_number).to_dicts()[0] \
        if entry_number else entries.to_dicts()[-1]
    chosen = lines.filter(pl.col("entry_number") == entry["entry_number"]).to_dicts()
    clean = {k: v for k, v in entry.items() if v is not None}
    return {"entry": clean,
            "lines": [{k: v for k, v in ln.items() if v is not None and k != "entry_number"}
                      for ln in chosen]}


def test_score_matches_the_batch_pipeline(demo_client: TestClient, as_user: Headers,
                                          demo_site: DemoSite) -> None:
    from tradeguard.api.records import stored_declarations, stored_outcomes
    from tradeguard.model import load_artifact
    from tradeguard.pipeline import score_declarations
    from tradeguard.store import open_store

    body = _request(demo_site)
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
    expected = score_declarations(one_e, one_l, history_entries=every.entries,
                                  history_lines=every.lines, outcomes=outcomes, model=model,
                                  as_of=every.entries["entry_date"].max())
    for row in expected.assessments.iter_rows(named=True):
        a = got[row["line_number"]]
        assert a["lane"] == row["lane"]
        assert abs(a["risk_score"] - row["risk_score"]) < 1e-9
        assert a["reasons"] == row["reasons"]
        assert a["input_digest"] == row["input_digest"]
        assert a["versions"]["model"] == row["model_version"]


def test_bad_line_is_rejected_naming_row_and_field(demo_client: TestClient,
                                                   as_user: Headers,
                                                   demo_site: DemoSite) -> None:
    body = _request(demo_site)
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

    one = _request(demo_site)
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
