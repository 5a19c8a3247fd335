"""``tradeguard score``, ``plan`` and ``model train/evaluate`` on contract files."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from tradeguard.cli import build_app

RUNNER = CliRunner()


def _files(d: Path) -> list[str]:
    return ["--entries", str(d / "entries.csv"), "--lines", str(d / "lines.csv")]


def test_score_writes_contract_columns_and_quarantines_bad_rows(demo_dir: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    bad = tmp_path / "lines.csv"
    lines = pl.read_csv(demo_dir / "lines.csv", infer_schema_length=0)
    lines.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("lots"))
                       .otherwise(pl.col("quantity")).alias("quantity")).write_csv(bad)
    result = RUNNER.invoke(build_app(), [
        "score", "--entries", str(demo_dir / "entries.csv"), "--lines", str(bad),
        "--history-entries", str(demo_dir / "history_entries.csv"),
        "--history-lines", str(demo_dir / "history_lines.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = pl.read_csv(out, infer_schema_length=0)
    for col in ("entry_number", "line_number", "risk_score", "lane", "categories", "reasons",
                "selection", "selection_probability", "model_version"):
        assert col in scored.columns
    rejects = pl.read_csv(tmp_path / "lines.csv.rejects.csv", infer_schema_length=0)
    assert rejects.filter(pl.col("row") == "2")["reasons"][0].startswith("quantity:")
    assert scored.height + rejects.height == lines.height
    summary = json.loads(result.stderr[result.stderr.index("{"):])
    files = {f["file"]: f for f in summary["files"]}
    assert files[str(bad)]["rejected"] == rejects.height

    port, day = scored.filter(pl.col("lane") == "red").row(0)[10:12]
    plan = RUNNER.invoke(build_app(), ["plan", "--scored", str(out), "--port", port,
                                       "--date", day, "--json"])
    assert plan.exit_code == 0, plan.output
    payload = json.loads(plan.stdout)
    assert payload["port"] == port and len(payload["exams"]) >= 1


def test_score_usage_errors_exit_2(demo_dir: Path, tmp_path: Path) -> None:
    result = RUNNER.invoke(build_app(), ["score", *_files(demo_dir), "--history-entries",
                                         str(demo_dir / "history_entries.csv"),
                                         "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    missing = RUNNER.invoke(build_app(), ["score", "--entries", str(tmp_path / "none.csv"),
                                          "--lines", str(demo_dir / "lines.csv"),
                                          "--out", str(tmp_path / "x.csv")])
    assert missing.exit_code == 1 and "none.csv" in missing.stderr


def test_model_train_then_score_with_it(demo_dir: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    history = ["--history-entries", str(demo_dir / "history_entries.csv"),
               "--history-lines", str(demo_dir / "history_lines.csv")]
    trained = RUNNER.invoke(build_app(), ["model", "train", *_files(demo_dir), "--outcomes",
                                          str(demo_dir / "outcomes.csv"), *history,
                                          "--out", str(model_dir)])
    assert trained.exit_code == 0, trained.output
    version = json.loads(trained.stdout)["version"]
    assert (model_dir / "model.json").is_file()
    out = tmp_path / "scored.parquet"
    registry = ["--registry", str(tmp_path / "registry")]
    refused = RUNNER.invoke(build_app(), ["score", *_files(demo_dir), *history, "--model",
                                          str(model_dir), *registry, "--out", str(out)])
    assert refused.exit_code == 1 and "unregistered" in refused.stderr  # the deployment gate
    assert not out.exists()
    scored = RUNNER.invoke(build_app(), ["score", *_files(demo_dir), *history, "--model",
                                         str(model_dir), *registry, "--unapproved-model",
                                         "--out", str(out)])
    assert scored.exit_code == 0, scored.output
    assert "evaluation only" in scored.stderr
    frame = pl.read_parquet(out)
    assert (frame["model_version"] == version).all()
    assert frame["model_probability"].is_between(0.0, 1.0).all()
    assert frame["reasons"].str.contains("model_").any()

    report = RUNNER.invoke(build_app(), ["model", "evaluate", *_files(demo_dir), "--outcomes",
                                         str(demo_dir / "outcomes.csv"), *history])
    assert report.exit_code == 0, report.output
    numbers = json.loads(report.stdout)
    assert set(numbers["precision_at"]) == {"1", "2", "5", "10"}
    assert numbers["test_rows"] > 0 and numbers["held_out_from"] > "2026"


def test_kill_switch_leaves_rules_and_random_sample_working(demo_dir: Path,
                                                           tmp_path: Path) -> None:
    from tradeguard.governance.registry import open_registry
    from tradeguard.pipeline.run import KILL_SWITCH_OFF
    from tradeguard.security import Principal, Role
    from tradeguard.settings import get_settings

    where = tmp_path / "registry"
    supervisor = Principal("sup-1", frozenset({Role.SUPERVISOR}))
    open_registry(get_settings(), directory=where).set_kill_switch(
        supervisor, True, "drift alert under investigation")
    out = tmp_path / "scored.csv"
    result = RUNNER.invoke(build_app(), ["score", *_files(demo_dir), "--registry", str(where),
                                         "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "kill switch" in result.stderr
    frame = pl.read_csv(out)
    assert (frame["model_version"] == KILL_SWITCH_OFF).all()
    assert not frame["categories"].fill_null("").str.contains("classification").any()
    assert frame["selection"].is_in(["random"]).any()
    assert frame["categories"].fill_null("").str.contains("data_quality").any()
