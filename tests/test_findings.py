from __future__ import annotations

import polars as pl
import pytest

from tradeguard.findings import Category, Finding, Severity, conform, findings_frame


def test_finding_round_trips_through_a_frame() -> None:
    f = Finding("ABC-1234567-8", 2, Category.VALUATION, "VAL_LOW", Severity.HIGH,
                "Declared unit value is far below peers.", {"ratio": 0.2}, "valuation", "1.0")
    frame = findings_frame([f])
    assert frame.height == 1
    assert Finding.from_row(frame.row(0, named=True)) == f


def test_conform_rejects_categories_outside_the_contract() -> None:
    frame = findings_frame([Finding("E", 1, Category.ORIGIN, "X", Severity.LOW, "t")])
    bad = frame.with_columns(pl.lit("fraudish").alias("category"))
    with pytest.raises(ValueError, match="fraudish"):
        conform(bad)


def test_cli_help_lists_commands() -> None:
    from typer.testing import CliRunner

    from tradeguard.cli import build_app

    result = CliRunner().invoke(build_app(), ["--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
