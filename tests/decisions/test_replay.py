"""Replay of logged decisions, and appeal re-scoring, through the real scoring pipeline.

A small plugged-in detector (value below a floor -> critical valuation finding) keeps the
inline batch deterministic and makes the effect of a corrected value visible.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest
from typer.testing import CliRunner

from tradeguard.cli import build_app
from tradeguard.decisions.appeals import assign_reviewer, file_appeal, rescore_appeal
from tradeguard.decisions.notices import act_and_notify
from tradeguard.decisions.replay import (
    ReplayError,
    apply_corrections,
    pipeline_rescorer,
    pipeline_scorer,
    replay_decision,
)
from tradeguard.decisions.review import ReviewAction, Workflow, enqueue_frame
from tradeguard.detectors.base import DetectionContext
from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.pipeline import DetectorRegistry, score_declarations
from tradeguard.security import AccessDenied

from .test_review import (
    AUDITOR,
    IMPORTER_A,
    OFFICER,
    SUPERVISOR,
    SUPERVISOR_2,
    trained_workflow,
)

ENTRIES = pl.DataFrame({
    "entry_number": ["AB1-0000001-1", "AB1-0000002-9"], "entry_type": ["01", "01"],
    "entry_date": ["2026-07-01", "2026-07-01"], "port_of_entry": ["2704", "2704"],
    "importer_id": ["IMP-A", "IMP-B"], "importer_name": ["A Co", "B Co"],
    "trusted_trader": ["false", "false"],
})
LINES = pl.DataFrame({
    "entry_number": ["AB1-0000001-1", "AB1-0000001-1", "AB1-0000002-9"],
    "line_number": ["1", "2", "1"], "hts_code": ["6109100012"] * 3,
    "description": ["COTTON T-SHIRTS"] * 3, "country_of_origin": ["VN"] * 3,
    "quantity": ["100"] * 3, "quantity_unit": ["DOZ"] * 3,
    "entered_value_usd": ["400", "5000", "5000"], "manufacturer_id": ["VNSAIGAR12HOC"] * 3,
})


class ValueFloor:
    """Critical valuation finding for any line declared under 1,000 USD."""

    name: ClassVar[str] = "value_floor"
    version: ClassVar[str] = "1.0"

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        del history, ctx

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        low = lines.filter(pl.col("entered_value_usd").cast(pl.Float64) < 1000)
        return low.select(
            pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
            pl.lit("valuation").alias("category"), pl.lit("VAL_FLOOR").alias("reason_code"),
            pl.lit("critical").alias("severity"),
            pl.lit("Declared value is below the floor for these goods").alias("text"),
            pl.lit("{}").alias("evidence"), pl.lit(self.name).alias("detector"),
            pl.lit(self.version).alias("detector_version"),
        ).cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]


class ValueFloorV2(ValueFloor):
    version: ClassVar[str] = "2.0"


def _options(detector: type[ValueFloor] = ValueFloor) -> dict[str, Any]:
    reg = DetectorRegistry()
    reg.register("ValueFloor", detector)
    return {"registry": reg}


@pytest.fixture(scope="module")
def scored() -> pl.DataFrame:
    return score_declarations(ENTRIES, LINES, **_options()).assessments


@pytest.fixture
def wf(scored: pl.DataFrame) -> Workflow:
    workflow = trained_workflow()
    enqueue_frame(workflow, OFFICER, scored, ENTRIES)
    return workflow


def _seq(wf: Workflow, entry: str, line: int) -> int:
    item = wf.store.review_item(f"{entry}|{line}")
    assert item is not None
    return item.scored_seq


def test_a_logged_decision_replays_bit_for_bit(wf: Workflow) -> None:
    seq = _seq(wf, "AB1-0000001-1", 1)
    result = replay_decision(wf.log, AUDITOR, seq, pipeline_scorer(ENTRIES, LINES, **_options()))
    assert result.matches, result.differences
    assert result.logged["lane"] == "red" and result.logged["reasons"] == ["VAL_FLOOR"]
    assert result.replayed == result.logged


def test_replay_names_changed_inputs_and_changed_versions(wf: Workflow) -> None:
    seq = _seq(wf, "AB1-0000001-1", 1)
    edited = LINES.with_columns(
        pl.when(pl.col("line_number") == "1").then(pl.lit("6000"))
        .otherwise(pl.col("entered_value_usd")).alias("entered_value_usd"))
    diff = replay_decision(wf.log, AUDITOR, seq, pipeline_scorer(ENTRIES, edited, **_options()))
    assert not diff.matches
    assert diff.differences[0].startswith("input_digest:")
    assert any(d.startswith("lane: logged red") for d in diff.differences)
    other = replay_decision(wf.log, AUDITOR, seq,
                            pipeline_scorer(ENTRIES, LINES, **_options(ValueFloorV2)))
    assert [d for d in other.differences if d.startswith("version")] == [
        "version detector:ValueFloor: logged value_floor@1.0, replayed value_floor@2.0"
    ]


def test_replay_refuses_what_it_cannot_replay(wf: Workflow) -> None:
    scorer = pipeline_scorer(ENTRIES, LINES, **_options())
    with pytest.raises(AccessDenied):
        replay_decision(wf.log, OFFICER, 0, scorer)
    with pytest.raises(ReplayError, match="does not exist"):
        replay_decision(wf.log, AUDITOR, 99, scorer)
    item = "AB1-0000001-1|1"
    _, notice = act_and_notify(wf, OFFICER, item, ReviewAction.EXAM, "value below floor")
    assert notice is not None
    with pytest.raises(ReplayError, match=r"decision\.human_action"):
        replay_decision(wf.log, AUDITOR, wf.log.size - 2, scorer)
    only_b = pipeline_scorer(ENTRIES, LINES.filter(pl.col("entry_number") == "AB1-0000002-9"),
                             **_options())
    with pytest.raises(ReplayError, match="not in the re-scored inputs"):
        replay_decision(wf.log, AUDITOR, _seq(wf, "AB1-0000001-1", 1), only_b)


def test_appeal_rescoring_through_the_pipeline_on_corrected_data(wf: Workflow) -> None:
    item = "AB1-0000001-1|1"
    _, notice = act_and_notify(wf, OFFICER, item, ReviewAction.HOLD, "value below floor")
    assert notice is not None
    appeal = file_appeal(wf, IMPORTER_A, notice.notice_id, "value was mistyped: 4000",
                         corrections={"entered_value_usd": 4000})
    assign_reviewer(wf, SUPERVISOR, appeal.appeal_id, SUPERVISOR_2)
    done = rescore_appeal(wf, SUPERVISOR_2, appeal.appeal_id,
                          pipeline_rescorer(ENTRIES, LINES, **_options()))
    new = done.rescored
    assert new is not None
    assert new["previous"]["lane"] == "red" and "VAL_FLOOR" not in new["reasons"]
    assert new["risk_score"] < new["previous"]["risk_score"]
    assert new["input_digest"] != new["previous"]["input_digest"]
    replayed = replay_decision(
        wf.log, AUDITOR, new["log_seq"],
        pipeline_scorer(*apply_corrections(ENTRIES, LINES, "AB1-0000001-1", 1,
                                           {"entered_value_usd": 4000}), **_options()))
    assert replayed.matches, replayed.differences


def test_corrections_must_name_declared_fields() -> None:
    with pytest.raises(ValueError, match="unit_price"):
        apply_corrections(ENTRIES, LINES, "AB1-0000001-1", 1, {"unit_price": 3})
    e, lines = apply_corrections(ENTRIES, LINES, "AB1-0000001-1", 2,
                                 {"entered_value_usd": "7", "importer_name": "A Corp"})
    assert lines["entered_value_usd"].to_list() == ["400", "7", "5000"]
    assert e["importer_name"].to_list() == ["A Corp", "B Co"]


@pytest.mark.slow
def test_the_workflow_and_audit_replay_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEGUARD_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("TRADEGUARD_ENVIRONMENT", "test")
    monkeypatch.setenv("TRADEGUARD_DB", f"sqlite:///{tmp_path / 'tg.db'}")
    ENTRIES.write_csv(tmp_path / "entries.csv")
    LINES.write_csv(tmp_path / "lines.csv")
    batch = ["--entries", str(tmp_path / "entries.csv"), "--lines", str(tmp_path / "lines.csv")]
    app, runner = build_app(), CliRunner()

    def run(*args: str, code: int = 0) -> Any:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        return json.loads(result.stdout) if code == 0 and result.stdout.strip() else result

    officer = ("--user", "officer-1", "--role", "officer")
    importer_a = ("--user", "compliance-a", "--role", "importer", "--importer", "IMP-A")
    today = date.today().isoformat()
    for who in ("officer-1", "super-2"):
        run("review", "train", who, "--completed", today, "--user", "admin-1", "--role", "admin")
    assert run("review", "enqueue", *batch, *officer)["queued"] == 3
    queue = run("review", "queue", *officer)
    first = next(i for i in queue if i["item_id"] == "AB1-0000001-1|1")
    refused = run("review", "act", first["item_id"], "--action", "hold", *officer, code=1)
    assert "rationale" in refused.stderr
    acted = run("review", "act", first["item_id"], "--action", "hold", "--rationale",
                "entry check digit wrong and value low", *officer)
    notice_id = acted["notice_id"]
    assert run("notice", "show", notice_id, *importer_a)["problems"] == []
    run("notice", "show", notice_id, "--user", "b", "--role", "importer", "--importer", "IMP-B",
        code=1)
    for fmt in ("html", "pdf", "json"):
        out = tmp_path / f"notice.{fmt}"
        run("notice", "render", notice_id, "--format", fmt, "--out", str(out), *importer_a)
        assert out.stat().st_size > 1000
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF- invoice")
    appeal = run("appeal", "file", notice_id, "--grounds", "value is right", "--doc",
                 f"commercial_invoice={invoice}", *importer_a)
    supervisor = ("--user", "super-1", "--role", "supervisor")
    took_part = run("appeal", "assign", appeal["appeal_id"], "--reviewer", "officer-1",
                    *supervisor, code=1)
    assert "took part" in took_part.stderr
    run("appeal", "assign", appeal["appeal_id"], "--reviewer", "super-2", *supervisor)
    run("appeal", "decide", appeal["appeal_id"], "--outcome", "upheld", "--reasons", "checked",
        "--user", "super-2", "--role", "supervisor")
    status = run("appeal", "status", appeal["appeal_id"], *importer_a)
    assert status["outcome"] == "upheld" and status["clock"]["overdue"] is False
    assert status["documents"][0]["sha256"] == hashlib.sha256(b"%PDF- invoice").hexdigest()
    run("appeal", "status", appeal["appeal_id"], "--user", "b", "--role", "importer",
        "--importer", "IMP-B", code=1)
    run("review", "queue", "--user", "x", "--role", "chief", code=2)
    assert run("audit", "verify")["records"] == 3 + 1 + 1 + 1 + 1
    replayed = run("audit", "replay", str(first["scored_seq"]), *batch)
    assert replayed["matches"] is True
    (tmp_path / "lines.csv").write_text(
        (tmp_path / "lines.csv").read_text().replace(",400,", ",450,"))
    differs = run("audit", "replay", str(first["scored_seq"]), *batch, code=1)
    assert "input_digest" in differs.stderr
