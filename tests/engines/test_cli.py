"""``tradeguard score-batch``: usage errors exit 2, a run writes Parquet and a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from typer.testing import CliRunner

from tradeguard.cli import build_app


def _args(folder: Path, out: Path, *extra: str) -> list[str]:
    return ["score-batch", "--entries", str(folder / "entries.csv"),
            "--lines", str(folder / "lines.csv"), "--out", str(out), *extra]


def test_unknown_engine_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), _args(tmp_path, tmp_path / "o.parquet",
                                                   "--engine", "oracle"))
    assert result.exit_code == 2
    assert "--engine" in result.output


def test_spark_master_needs_spark(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), _args(tmp_path, tmp_path / "o.parquet",
                                                   "--spark-master", "local[1]"))
    assert result.exit_code == 2


def test_missing_file_fails_with_its_name(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), _args(tmp_path, tmp_path / "o.parquet"))
    assert result.exit_code == 1
    assert "entries.csv" in result.output


def test_run_writes_scored_lines(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "scored.parquet"
    result = CliRunner().invoke(build_app(), _args(
        demo.folder, out, "--history-entries", str(demo.folder / "history_entries.csv"),
        "--history-lines", str(demo.folder / "history_lines.csv"), "--batch-rows", "400"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    scored = pl.read_parquet(out)
    assert summary["lines_scored"] == scored.height > 0
    assert sum(summary["lanes"].values()) == scored.height
    assert set(scored["lane"].unique()) <= {"red", "yellow", "green"}


def test_a_detector_can_be_left_out_and_the_output_says_so(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "scored.parquet"
    result = CliRunner().invoke(build_app(), _args(
        demo.folder, out, "--history-entries", str(demo.folder / "history_entries.csv"),
        "--history-lines", str(demo.folder / "history_lines.csv"),
        "--without-detector", "network", "--workers", "1"))
    assert result.exit_code == 0, result.output
    ran = json.loads(pl.read_parquet(out)["detector_versions"][0])
    assert "network" not in ran and "valuation" in ran
    bad = CliRunner().invoke(build_app(), _args(
        demo.folder, tmp_path / "x.parquet", "--without-detector", "nosuch"))
    assert bad.exit_code == 2 and "nosuch" in bad.output
    zero = CliRunner().invoke(build_app(), _args(demo.folder, tmp_path / "y.parquet",
                                                 "--workers", "0"))
    assert zero.exit_code == 2 and "--workers" in zero.output


def test_the_deployment_gate_guards_batch_scoring_too(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "scored.parquet"
    registry = ["--registry", str(tmp_path / "registry"), "--model", str(demo.model)]
    refused = CliRunner().invoke(build_app(), _args(demo.folder, out, *registry))
    assert refused.exit_code == 1 and "unregistered" in refused.output
    assert not out.exists()
    allowed = CliRunner().invoke(build_app(), _args(demo.folder, out, *registry,
                                                    "--unapproved-model"))
    assert allowed.exit_code == 0, allowed.output
    assert "evaluation only" in allowed.output
