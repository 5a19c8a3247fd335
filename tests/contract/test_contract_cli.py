"""``tradeguard ingest``: JSON summary, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tradeguard.cli import ingest as ingest_cli

ENTRIES = """entry_number,entry_type,entry_date,port_of_entry,importer_id,importer_name
ABC-1234567-6,01,2026-03-02,2704,IOR1,Acme Imports
"""
LINES_HEADER = (
    "entry_number,line_number,hts_code,description,country_of_origin,quantity,quantity_unit,"
    "entered_value_usd"
)
LINES = f"""{LINES_HEADER}
ABC-1234567-6,1,6109.10.0012,cotton t-shirts,CN,12,DOZ,480
ABC-1234567-6,2,6109100012,cotton t-shirts,CN,-5,DOZ,400
"""


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root."""

    ingest_cli.register(app)
    return app


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    entries, lines = tmp_path / "entries.csv", tmp_path / "lines.csv"
    entries.write_text(ENTRIES)
    lines.write_text(LINES)
    return entries, lines


def run(app: typer.Typer, tmp_path: Path, *args: str) -> tuple[int, dict | None, str]:  # type: ignore[type-arg]
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(
        app, ["ingest", *args, "--db", db, "--quarantine-dir", str(tmp_path / "q")]
    )
    try:
        payload = json.loads(result.stdout)
    except ValueError:
        payload = None
    return result.exit_code, payload, result.stderr


def test_ingest_prints_a_summary_and_exits_0_with_rejects(
    app: typer.Typer, files: tuple[Path, Path], tmp_path: Path
) -> None:
    entries, lines = files
    code, summary, stderr = run(app, tmp_path, str(lines), str(entries))
    assert code == 0
    assert f"1 of 2 rows of {lines} rejected" in stderr and "header is row 1" in stderr
    assert summary is not None
    assert [f["kind"] for f in summary["files"]] == ["entries", "lines"]
    lines_summary = summary["files"][1]
    assert (lines_summary["accepted"], lines_summary["rejected"], lines_summary["rows_read"]) == (
        1,
        1,
        2,
    )
    assert lines_summary["already_present"] == 0
    assert lines_summary["quarantine"]["table"] == "quarantine"
    assert lines_summary["quarantine"]["rejects_file"] == str(
        tmp_path / "q" / "lines.csv.rejects.csv"
    )
    assert summary["total"]["check"] == "accepted + rejected = rows_read (2 + 1 = 3)"
    assert "header is row 1" in summary["row_numbering"]

    code, again, _ = run(app, tmp_path, str(entries), str(lines))
    assert code == 0 and again is not None
    assert again["total"]["already_present"] == 2 and again["total"]["inserted"] == 0


def test_kind_option_overrides_the_file_name(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "declarations_2026.csv"
    path.write_text(ENTRIES)
    code, summary, _ = run(app, tmp_path, str(path), "--kind", "entries")
    assert code == 0 and summary is not None and summary["files"][0]["kind"] == "entries"


def test_unreadable_file_exits_1_naming_file_and_columns(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("entry_number;line_number;hts_code\nA;1;2\n")
    code, summary, stderr = run(app, tmp_path, str(path))
    assert code == 1 and summary is None
    assert str(path) in stderr
    assert (
        "missing required lines columns: entry_number, line_number, hts_code, description, "
        "country_of_origin, quantity, quantity_unit, entered_value_usd" in stderr
    )
    assert "semicolon-separated" in stderr


@pytest.mark.parametrize(
    ("content", "words"), [(b"", "is empty"), (b"\x00\x01\x02binary", "binary file")]
)
def test_empty_and_binary_files_exit_1(
    app: typer.Typer, tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "entries.csv"
    path.write_bytes(content)
    code, _, stderr = run(app, tmp_path, str(path))
    assert code == 1 and str(path) in stderr and words in stderr


def test_usage_errors_exit_2(app: typer.Typer, files: tuple[Path, Path], tmp_path: Path) -> None:
    entries, _ = files
    unknown = tmp_path / "declarations.csv"
    unknown.write_text(ENTRIES)
    assert run(app, tmp_path, str(unknown))[0] == 2  # kind cannot be told
    assert run(app, tmp_path, str(entries), "--kind", "invoices")[0] == 2
    assert CliRunner().invoke(app, ["ingest"]).exit_code == 2  # no file
    assert CliRunner().invoke(app, ["ingest", str(entries), "--bogus"]).exit_code == 2


def test_the_real_cli_has_ingest(files: tuple[Path, Path], tmp_path: Path) -> None:
    from tradeguard.cli import build_app

    entries, _ = files
    code, summary, _ = run(build_app(), tmp_path, str(entries))
    assert code == 0 and summary is not None and summary["total"]["accepted"] == 1
