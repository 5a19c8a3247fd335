"""``tradeguard demo-data`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tradeguard.cli import build_app


def test_demo_data_command_writes_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), ["demo-data", "--out", str(tmp_path), "--entries",
                                              "300", "--seed", "5", "--history-months", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["counts"]["entries"] == 300
    assert (tmp_path / "truth.csv").is_file()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["reference_versions"]


def test_demo_data_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_date = runner.invoke(build_app(), ["demo-data", "--out", str(tmp_path), "--end-date",
                                           "yesterday"])
    assert bad_date.exit_code == 2
    too_few = runner.invoke(build_app(), ["demo-data", "--out", str(tmp_path), "--entries", "3"])
    assert too_few.exit_code == 2
