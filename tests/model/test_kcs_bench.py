"""End-to-end KCS benchmark against the measured anchors (needs the public data set)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradeguard.cli import build_app


@pytest.mark.slow
def test_bench_kcs_reaches_the_anchors(tmp_path: Path,
                                       shared_file: Callable[[str], Path]) -> None:
    kcs = shared_file("customs-declarations-kcs")
    out = tmp_path / "kcs.json"
    result = CliRunner().invoke(build_app(), ["bench", "kcs", "--data", str(kcs),
                                              "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["precision_at"]["5"] >= 0.979
    assert doc["revenue_at"]["5"] >= 0.968
    assert doc["operating_points"][0]["meets_target"]
    assert set(doc["precision_at"]) == {"1", "2", "5", "10"}


def test_bench_kcs_rejects_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), ["bench", "kcs", "--data", str(tmp_path / "nope"),
                                              "--out", str(tmp_path / "o.json")])
    assert result.exit_code == 2
