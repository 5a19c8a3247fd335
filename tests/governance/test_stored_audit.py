"""Audit input, monitoring windows and oversight counts read from the database (SQLite)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tradeguard.decisions import AppealFiled, NoticeSent, SqlLogStore, TransparencyLog
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.decisions.workflow_store import define_workflow_tables
from tradeguard.governance.audit.stored import (
    StoredWindow,
    line_outcomes,
    stored_assessments,
    stored_windows,
)
from tradeguard.governance.oversight import OversightFacts, oversight_markdown
from tradeguard.governance.oversight_store import stored_counts
from tradeguard.governance.records import RegistryState
from tradeguard.store.app_tables import assessments

NOW = datetime(2026, 9, 1, tzinfo=UTC)


def _row(entry: str, line: int, day: date, score: float, lane: str = "green",
         selection: str = "none", prob: float = 0.01) -> dict[str, Any]:
    record = {"entry_number": entry, "line_number": line, "entry_date": day.isoformat(),
              "port_of_entry": "1001", "risk_score": score, "lane": lane,
              "selection": selection, "selection_probability": prob,
              "model_probability": None, "versions": {"model": "none", "rules": "r1"}}
    return {"run_id": "r", "entry_number": entry, "line_number": line, "importer_id": "IMP",
            "port_of_entry": "1001", "entry_date": day, "risk_score": score, "lane": lane,
            "categories": "", "model_version": "none", "input_digest": "0" * 64,
            "record": json.dumps(record), "scored_at": NOW, "log_seq": None}


def _engine(tmp_path: Path, rows: list[dict[str, Any]]) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assessments.metadata.create_all(engine)  # contract tables too (empty declarations)
    with engine.begin() as conn:
        conn.execute(assessments.insert(), rows)
    return engine


def test_newest_assessment_per_line_and_the_previous_one(tmp_path: Path) -> None:
    d = date(2026, 8, 3)
    engine = _engine(tmp_path, [_row("E1", 1, d, 0.2), _row("E1", 2, d, 0.3),
                                _row("E1", 1, d, 0.9, "red", "targeted", 1.0)])
    newest, previous = stored_assessments(engine)
    assert newest.height == 2
    first = newest.filter(pl.col("line_number") == 1).row(0, named=True)
    assert (first["risk_score"], first["lane"], first["selection"]) == (0.9, "red", "targeted")
    assert first["selection_probability"] == 1.0 and first["model_probability"] is None
    assert first["entry_date"] == d
    assert previous is not None and previous["risk_score"].to_list() == [0.2]
    engine.dispose()


def test_window_filters_on_entry_date_and_windows_need_both_halves(tmp_path: Path) -> None:
    start = date(2026, 7, 1)
    engine = _engine(tmp_path, [_row(f"E{i}", 1, start + timedelta(days=i), i / 100)
                                for i in range(40)])
    newest, _ = stored_assessments(engine, StoredWindow(date(2026, 7, 11), date(2026, 7, 20)))
    assert newest.height == 10 and newest["entry_date"].min() == date(2026, 7, 11)
    windows = stored_windows(engine, 20)  # 40 days stored: two full 20-day windows
    assert windows is not None
    ref, cur = windows
    assert (ref.assessments.height, cur.assessments.height) == (20, 20)
    assert cur.assessments["entry_date"].min() == date(2026, 7, 21)
    assert stored_windows(engine, 50) is None  # the reference half would be empty
    engine.dispose()


def test_no_reference_window_gives_none(tmp_path: Path) -> None:
    engine = _engine(tmp_path, [_row("E1", 1, date(2026, 7, 30), 0.5)])
    assert stored_windows(engine, 7) is None
    with pytest.raises(ValueError, match="at least one day"):
        stored_windows(engine, 0)
    engine.dispose()


def test_whole_entry_outcome_applies_to_lines_without_their_own() -> None:
    outcomes = pl.DataFrame({"entry_number": ["E1", "E1", "E2"], "line_number": [None, 2, 1],
                             "examined": [True, True, True], "discrepancy": [True, False, False],
                             "recovered_duty_usd": [50.0, 0.0, 0.0]},
                            schema_overrides={"line_number": pl.Int64})
    lines = pl.DataFrame({"entry_number": ["E1", "E1", "E1", "E2"], "line_number": [1, 2, 3, 1]})
    got = line_outcomes(outcomes, lines).sort("entry_number", "line_number")
    assert got.select("entry_number", "line_number", "discrepancy").rows() == [
        ("E1", 1, True), ("E1", 2, False), ("E1", 3, True), ("E2", 1, False)]


def test_oversight_counts_come_from_log_and_workflow_tables(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    md = sa.MetaData()
    wf = define_workflow_tables(md)
    md.create_all(engine)
    log = TransparencyLog(SqlLogStore(engine), derive_development_signer("k", "test/log"))
    log.append(NoticeSent("N1", "E1", "IMP", "h" * 64, "portal", "2026-08-01"))
    log.append(AppealFiled("A1", "N1", "E1", "IMP", "c" * 64))
    base = {"case_id": "C", "entry_number": "E1", "line_number": 1, "importer_id": "IMP",
            "action_id": "X", "content": "{}", "content_hash": "h", "channel": "portal",
            "issued_at": NOW, "log_seq": 0}
    appeal = {"notice_id": "N1", "case_id": "C", "entry_number": "E1", "line_number": 1,
              "importer_id": "IMP", "filed_by": "imp", "filed_at": NOW,
              "acknowledged_at": NOW, "due_at": NOW, "grounds_commitment": "c",
              "model_version": "m", "filed_seq": 1, "corrections": "{}", "status": "decided",
              "outcome": "overturned", "decided_at": NOW}
    with engine.begin() as conn:
        conn.execute(wf.notices.insert(), [{**base, "notice_id": "N1"},
                                           {**base, "notice_id": "N2"}])
        conn.execute(wf.appeals.insert(), [{**appeal, "appeal_id": "A1"},
                                           {**appeal, "appeal_id": "A2", "outcome": None,
                                            "status": "acknowledged"}])
    counts = stored_counts(engine)
    engine.dispose()
    assert counts.events == {"notice.sent": 1, "appeal.filed": 1}
    assert counts.workflow["notices"] == 2 and counts.workflow["appeals"] == 2
    assert counts.workflow["appeals_decided"] == 1
    assert counts.workflow["appeals_overdue_open"] == 1  # due date already past
    assert counts.appeal_outcomes == {"overturned": 1}
    md_text = oversight_markdown(OversightFacts(
        date(2026, 9, 1), RegistryState(), counts.events, counts.appeal_outcomes,
        counts.ai_assisted_actions, None, counts.workflow, counts.sources))
    assert "overturned: 1 (overturn rate 100%)" in md_text
    # one notice and one decided appeal are not in the log: the report says so
    assert "DIFFERENCE between records and log: notices 2 vs log 1" in md_text
    assert "appeals_decided 1 vs log 0" in md_text


def test_audit_run_without_stored_assessments_fails_and_does_not_use_demo(
        tmp_path: Path) -> None:
    from tradeguard.cli import build_app

    res = CliRunner().invoke(build_app(), ["audit", "run", "--db",
                                           f"sqlite:///{tmp_path / 'empty.db'}",
                                           "--out", str(tmp_path / "out")])
    assert res.exit_code == 1 and "no app_assessments table" in res.output
    assert not (tmp_path / "out" / "work").exists()


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tradeguard.api.demo_site import build_demo

    return build_demo(tmp_path_factory.mktemp("site"), entries=150)


@pytest.mark.slow
def test_audit_run_reads_the_stored_demo(demo_site: Any, tmp_path: Path) -> None:
    from tradeguard.cli import build_app

    res = CliRunner().invoke(build_app(), [
        "audit", "run", "--db", demo_site.db_url, "--model", str(demo_site.model_dir),
        "--out", str(tmp_path)])
    assert res.exit_code in (0, 1), res.output
    doc = json.loads((tmp_path / "evidence.json").read_text())
    assert json.loads(res.stdout)["source"].startswith("database")
    assert "Stored assessments" in doc["data_note"] and "DEMO" not in doc["data_note"]
    engine = sa.create_engine(demo_site.db_url)
    with engine.connect() as conn:
        lines: int = conn.execute(sa.text("select count(*) from (select distinct entry_number, "
                                     "line_number from app_assessments)")).scalar_one()
        examined: int = conn.execute(sa.text(
            "select count(*) from outcomes o join app_assessments a on "
            "a.entry_number = o.entry_number and a.line_number = o.line_number "
            "where o.examined")).scalar_one()
    engine.dispose()
    pop = doc["population"]
    assert pop["lines"] == lines and pop["examined"] == examined
    by = {s["name"]: s for s in doc["sections"]}
    assert not by["robustness"]["skipped"] and by["robustness"]["tables"]["tests"]
    # The model the stored run was scored with: the approved one, or none when refused.
    assert doc["versions"]["model"] == demo_site.summary["scored_with"]


@pytest.mark.slow
def test_monitor_reads_stored_windows_and_logs_them(demo_site: Any, tmp_path: Path) -> None:
    from tradeguard.cli import build_app

    engine = sa.create_engine(demo_site.db_url)
    before = SqlLogStore(engine).size()
    res = CliRunner().invoke(build_app(), ["monitor", "--db", demo_site.db_url,
                                           "--window-days", "30", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    types = [r.event_type for r in SqlLogStore(engine).records(before)]
    engine.dispose()
    assert types == ["monitoring.window"]
    doc = json.loads(Path(out["file"]).read_text())
    assert doc["window_end"] <= demo_site.summary["window"][1]
    assert doc["metrics"]["lines"] == out["lines"] > 0
    assert date.fromisoformat(doc["window_end"]) - date.fromisoformat(
        doc["window_start"]) <= timedelta(days=29)
