"""The ``tradeguard screen`` command: contract columns and errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer
from typer.testing import CliRunner

from tradeguard.cli import screen as screen_cli


def _app() -> typer.Typer:
    app = typer.Typer()
    screen_cli.register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps "screen" addressable by name
        """Nothing."""

    return app


def test_missing_name_column_exits_1_naming_file_and_column(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("id,title\n1,Acme\n")
    result = CliRunner().invoke(
        _app(), ["screen", "--names", str(names), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1
    assert "names.csv" in result.output and "'name'" in result.output


def test_screen_writes_contract_columns(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("id,name,country\n1,Xinjiang Production and Construction Corps,CN\n2,Zz\n")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        _app(), ["screen", "--names", str(names), "--out", str(out), "--lists", "uflpa,ofac_sdn"]
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out, infer_schema_length=0)
    assert frame.columns[:5] == ["id", "list", "entity_id", "matched_name", "score"]
    assert set(frame["id"]) == {"1"}
