"""The service's scorer remembers what it can between requests and must answer as if it did not.

Per-process memories (screening results per party, MID verdicts per manufacturer, compiled
rules, reference tables) make a repeat request cheaper. These tests score entries one at a
time, first with everything new and then with everything remembered, and require the same
answers both times and, for the detectors that judge each line on its own, the answers of a
batch too big for the memories. They also check that a served process fits its scorer before
its first request, that API keys authenticate the scoring endpoint, and that a process
holding all the score requests it may answers the next one 503 at once.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient

from tradeguard.api import ApiConfig, create_app, services_of
from tradeguard.api.demo_site import DemoSite, demo_settings
from tradeguard.detectors.entry_checks.mid_checks import KEY as MID_KEY
from tradeguard.detectors.entry_checks.mid_checks import REMEMBERED_BATCH

ENTRIES = 20
BATCH = 400


@pytest.fixture(scope="module")
def scorer_and_history(demo_site: DemoSite) -> tuple[Any, Any]:
    """A freshly fitted service scorer (nothing remembered yet) and the stored declarations."""
    from tradeguard.api.records import stored_declarations
    from tradeguard.api.services import _scorer_from_store
    from tradeguard.store import open_store

    with open_store(demo_site.db_url) as store:
        scorer = _scorer_from_store(store.engine, ApiConfig(model_dir=demo_site.model_dir))
        history = stored_declarations(store.engine)
    return scorer, history


def _body(site: DemoSite) -> dict[str, Any]:
    """The demo's last entry as a score request."""
    data = site.directory / "data"
    entry = pl.read_csv(data / "entries.csv", infer_schema=False).to_dicts()[-1]
    lines = pl.read_csv(data / "lines.csv", infer_schema=False).filter(
        pl.col("entry_number") == entry["entry_number"]).to_dicts()
    return {"entry": {k: v for k, v in entry.items() if v is not None},
            "lines": [{k: v for k, v in ln.items() if v is not None and k != "entry_number"}
                      for ln in lines]}


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


#: Detectors that judge each line on its own: one entry scored alone must get exactly the
#: findings it gets inside a batch (AD/CVD and valuation also compare lines with each other).
LINE_BY_LINE = ("entry_checks", "origin_signals", "watchlist", "forced_labor",
                "classification_hs", "rules")


def test_one_entry_at_a_time_cold_and_warm_agree_with_the_batch(
        scorer_and_history: tuple[Any, Any]) -> None:
    scorer, history = scorer_and_history
    numbers = (history.entries.sort("entry_date", "entry_number")
               .get_column("entry_number").tail(ENTRIES).to_list())
    pick = [(history.entries.filter(pl.col("entry_number") == n),
             history.lines.filter(pl.col("entry_number") == n)) for n in numbers]
    pick = [(e, ln) for e, ln in pick if ln.height]
    assert len(pick) >= ENTRIES // 2
    day = history.entries.get_column("entry_date").max()
    cold = [scorer.score(e, ln, as_of=day) for e, ln in pick]  # parties first seen
    warm = [scorer.score(e, ln, as_of=day) for e, ln in pick]  # everything remembered
    for first, again in zip(cold, warm, strict=True):
        assert again.assessments.equals(first.assessments)
        assert again.findings.equals(first.findings)
    # The reference: a batch big enough to be checked in one vectorised pass, remembering
    # nothing (more distinct parties than the memories serve).
    wide = (history.entries.sort("entry_date", "entry_number")
            .get_column("entry_number").tail(BATCH).implode())
    batch_lines = history.lines.filter(pl.col("entry_number").is_in(wide))
    assert batch_lines.select(MID_KEY).unique().height > REMEMBERED_BATCH
    batch = scorer.score(history.entries.filter(pl.col("entry_number").is_in(wide)),
                         batch_lines, as_of=day)
    line_by_line = pl.col("detector").is_in(LINE_BY_LINE)
    mine = pl.col("entry_number").is_in([e.item(0, "entry_number") for e, _ in pick])
    single = pl.concat([r.findings for r in cold]).filter(line_by_line)
    assert _sorted(single).equals(_sorted(batch.findings.filter(line_by_line & mine)))
    assert "entry_checks" in set(single.get_column("detector").to_list())


def test_a_worker_process_fits_its_scorer_before_the_first_request(
        demo_site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeguard.api.processes import MODEL_ENV, app_from_environment, worker_threads

    monkeypatch.setenv("TRADEGUARD_DB", demo_site.db_url)
    monkeypatch.setenv("TRADEGUARD_WORK_DIR", str(demo_site.directory))
    monkeypatch.setenv("TRADEGUARD_ENVIRONMENT", "test")
    monkeypatch.setenv(MODEL_ENV, str(demo_site.model_dir))
    app = app_from_environment()  # what each uvicorn worker builds
    services = services_of(app)
    assert not services.scorer.ready
    with TestClient(app):  # runs the start-up
        assert services.scorer.ready
    threads = worker_threads(1)
    assert set(threads) >= {"POLARS_MAX_THREADS", "OMP_NUM_THREADS"}
    assert all(int(v) >= 1 for v in threads.values())


def test_api_key_scores_an_entry(demo_client: TestClient, demo_site: DemoSite) -> None:
    from tradeguard.api.accounts import create_api_key, revoke_api_key
    from tradeguard.store import open_store

    with open_store(demo_site.db_url) as store:
        key_id, key = create_api_key(store.engine, "system", ["officer"], created_by="test")
    body = _body(demo_site)
    r = demo_client.post("/api/v1/score", json=body, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    assert len(r.json()["assessments"]) == len(body["lines"])
    with open_store(demo_site.db_url) as store:
        revoke_api_key(store.engine, key_id)
    assert demo_client.post("/api/v1/score", json=body,
                            headers={"X-API-Key": key}).status_code == 401


def test_a_full_scorer_answers_503_at_once(demo_site: DemoSite) -> None:
    from tradeguard.api.scoring import ScorerBusy

    app = create_app(demo_settings(demo_site.directory, environment="test"),
                     config=ApiConfig(model_dir=demo_site.model_dir, max_waiting_scores=1))
    scorer = services_of(app).scorer.get()
    with scorer.admitted(1):  # one request is being scored: the next is refused, not queued
        with pytest.raises(ScorerBusy), scorer.admitted(1):
            pass
        with TestClient(app) as client:
            from tradeguard.api.accounts import create_api_key

            _, key = create_api_key(services_of(app).engine, "busy", ["officer"],
                                    created_by="test")
            r = client.post("/api/v1/score", json=_body(demo_site),
                            headers={"X-API-Key": key})
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "1"
        assert r.json()["type"].endswith("/busy")
    with scorer.admitted(1):  # released: a place is free again
        pass
