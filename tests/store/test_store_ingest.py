"""Ingest into a real database (SQLite file and PostgreSQL): loads, re-ingest, corrections."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from tradeguard.contract import UnreadableFileError
from tradeguard.ingest import ingest_files
from tradeguard.store import open_store
from tradeguard.store.tables import CONTRACT_TABLES, ingest_batches, quarantine, superseded_rows

TODAY = date(2026, 11, 25)
ENTRIES = """\
entry_number,entry_type,entry_date,port_of_entry,importer_id,importer_name,trusted_trader
ABC-1234567-6,01,2026-03-02,2704,IOR1,Acme Imports,Y
ABC-1234568-4,01,2026-03-03,2704,IOR1,Acme Imports,N
"""
LINES_HEADER = (
    "entry_number,line_number,hts_code,description,country_of_origin,quantity,quantity_unit,"
    "entered_value_usd"
)
LINES = f"""{LINES_HEADER}
ABC-1234567-6,1,6109.10.0012,cotton t-shirts,cn,"1,200",DOZ,"48,000.00"
ABC-1234567-6,2,6109100012,cotton t-shirts,CN,10,DOZ,400
ABC-1234568-4,1,8471300100,laptops,VN,5,NO,2500
ABC-9999999-0,1,8471300100,laptops,VN,5,NO,2500
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def rows(url: str, table: sa.Table) -> list[dict[str, object]]:
    with open_store(url) as store, store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).order_by(table.c.id)).mappings()]


def test_entries_load_before_lines_and_rejects_are_quarantined(db_url: str, tmp_path: Path) -> None:
    lines = write(tmp_path, "lines.csv", LINES)
    entries = write(tmp_path, "entries.csv", ENTRIES)
    qdir = tmp_path / "quarantine"
    report = ingest_files([lines, entries], url=db_url, quarantine_dir=qdir, today=TODAY)

    assert [f.kind for f in report.files] == ["entries", "lines"]
    assert report.ok
    total = report.total()
    assert (total["rows_read"], total["accepted"], total["rejected"]) == (6, 5, 1)
    assert total["check"] == "accepted + rejected = rows_read (5 + 1 = 6)"

    stored = rows(db_url, CONTRACT_TABLES["lines"])
    assert [r["natural_key"] for r in stored] == [
        "ABC-1234567-6|1", "ABC-1234567-6|2", "ABC-1234568-4|1",
    ]  # fmt: skip
    assert stored[0]["hts_code"] == "6109100012" and stored[0]["quantity"] == 1200.0
    assert stored[0]["country_of_origin"] == "CN" and stored[0]["entered_value_usd"] == 48000.0
    assert [r["trusted_trader"] for r in rows(db_url, CONTRACT_TABLES["entries"])] == [True, False]

    (record,) = rows(db_url, quarantine)
    lines_summary = report.files[1]
    assert record["batch_id"] == lines_summary.batch_id and record["row_number"] == 5
    assert record["file"] == str(lines) and record["kind"] == "lines"
    assert "ABC-9999999-0 is not stored" in str(record["reasons"])
    assert json.loads(str(record["raw_row"]))["entry_number"] == "ABC-9999999-0"

    rejects = qdir / "lines.csv.rejects.csv"
    assert lines_summary.rejects_file == str(rejects)
    assert pl.read_csv(rejects)["row"].to_list() == [5]
    assert report.files[0].rejects_file is None

    batches = rows(db_url, ingest_batches)
    assert [(b["kind"], b["status"], b["rows_read"], b["rejected"]) for b in batches] == [
        ("entries", "done", 2, 0), ("lines", "done", 4, 1),
    ]  # fmt: skip
    assert all(b["finished_at"] is not None and len(str(b["sha256"])) == 64 for b in batches)


def test_re_ingesting_the_same_files_writes_nothing_new(db_url: str, tmp_path: Path) -> None:
    files = [write(tmp_path, "entries.csv", ENTRIES), write(tmp_path, "lines.csv", LINES)]
    kwargs = {"url": db_url, "quarantine_dir": tmp_path / "q", "today": TODAY}
    first = ingest_files(files, **kwargs)  # type: ignore[arg-type]
    again = ingest_files(files, **kwargs)  # type: ignore[arg-type]

    assert first.total()["inserted"] == 5
    assert again.total()["inserted"] == 0 and again.total()["amended"] == 0
    assert again.total()["already_present"] == 5
    assert again.total()["rejected"] == 1  # the orphan line is still an orphan
    assert len(rows(db_url, CONTRACT_TABLES["entries"])) == 2
    assert len(rows(db_url, CONTRACT_TABLES["lines"])) == 3
    assert rows(db_url, superseded_rows) == []


def test_a_correction_supersedes_the_stored_row_and_keeps_history(
    db_url: str, tmp_path: Path
) -> None:
    kwargs = {"url": db_url, "quarantine_dir": tmp_path / "q", "today": TODAY}
    ingest_files([write(tmp_path, "entries.csv", ENTRIES)], **kwargs)  # type: ignore[arg-type]
    corrected = ENTRIES.replace("Acme Imports,Y", "Acme Imports Inc,Y")
    report = ingest_files([write(tmp_path, "entries_v2.csv", corrected)], **kwargs)  # type: ignore[arg-type]

    summary = report.files[0]
    assert (summary.amended, summary.already_present, summary.inserted) == (1, 1, 0)
    current = {r["entry_number"]: r for r in rows(db_url, CONTRACT_TABLES["entries"])}
    assert current["ABC-1234567-6"]["importer_name"] == "Acme Imports Inc"
    assert current["ABC-1234567-6"]["version"] == 2
    assert current["ABC-1234567-6"]["batch_id"] == summary.batch_id
    assert current["ABC-1234568-4"]["version"] == 1

    (old,) = rows(db_url, superseded_rows)
    assert old["natural_key"] == "ABC-1234567-6" and old["version"] == 1
    assert old["superseded_by_batch_id"] == summary.batch_id
    assert json.loads(str(old["row"]))["importer_name"] == "Acme Imports"


def test_unknown_columns_are_stored_as_extra(db_url: str, tmp_path: Path) -> None:
    text = ENTRIES.replace("trusted_trader\n", "trusted_trader,broker_ref\n", 1)
    text = text.replace(",Y\n", ",Y,BR-1\n").replace(",N\n", ",N,\n")
    ingest_files([write(tmp_path, "entries.csv", text)], url=db_url, today=TODAY,
                 quarantine_dir=tmp_path / "q")  # fmt: skip
    extras = [r["extra"] for r in rows(db_url, CONTRACT_TABLES["entries"])]
    assert [json.loads(str(e)) for e in extras] == [{"broker_ref": "BR-1"}, {"broker_ref": None}]


def test_nothing_is_loaded_when_one_file_cannot_be_read(db_url: str, tmp_path: Path) -> None:
    good = write(tmp_path, "entries.csv", ENTRIES)
    bad = write(tmp_path, "lines.csv", "entry_number;line_number\nA;1\n")
    with pytest.raises(UnreadableFileError, match=r"lines\.csv"):
        ingest_files([good, bad], url=db_url, quarantine_dir=tmp_path / "q", today=TODAY)
    assert rows(db_url, CONTRACT_TABLES["entries"]) == []


def test_a_file_failing_part_way_is_rolled_back(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tradeguard.contract.readers import Source

    entries = write(tmp_path, "entries.csv", ENTRIES)
    lines = write(tmp_path, "lines.csv", LINES)
    real = Source.batches

    def failing(self: Source, batch_size: int):  # type: ignore[no-untyped-def]
        for i, batch in enumerate(real(self, batch_size)):
            if self.kind == "lines" and i == 1:
                raise UnreadableFileError(self.path, "could not be read to the end: test")
            yield batch

    monkeypatch.setattr(Source, "batches", failing)
    report = ingest_files([entries, lines], url=db_url, quarantine_dir=tmp_path / "q",
                          today=TODAY, batch_size=2)  # fmt: skip
    assert not report.ok
    assert [f.status for f in report.files] == ["done", "failed"]
    assert report.files[1].rows_read == 0 and "to the end" in str(report.files[1].error)
    assert len(rows(db_url, CONTRACT_TABLES["entries"])) == 2
    assert rows(db_url, CONTRACT_TABLES["lines"]) == []  # the first batch was rolled back
    assert [b["status"] for b in rows(db_url, ingest_batches)] == ["done", "failed"]
    assert not (tmp_path / "q" / "lines.csv.rejects.csv").exists()


def test_the_same_rows_from_parquet_and_json_lines_are_already_present(
    db_url: str, tmp_path: Path
) -> None:
    csv_path = write(tmp_path, "entries.csv", ENTRIES)
    typed = pl.read_csv(csv_path, schema_overrides={"entry_type": pl.String})
    typed = typed.with_columns(pl.col("entry_date").str.to_date(), pl.col("trusted_trader") == "Y")
    typed.write_parquet(tmp_path / "entries.parquet")
    typed.write_ndjson(tmp_path / "entries.jsonl")
    kwargs = {"url": db_url, "quarantine_dir": tmp_path / "q", "today": TODAY}

    first = ingest_files([csv_path], **kwargs)  # type: ignore[arg-type]
    assert first.files[0].inserted == 2
    for name in ("entries.parquet", "entries.jsonl"):
        report = ingest_files([tmp_path / name], **kwargs)  # type: ignore[arg-type]
        summary = report.files[0]
        assert (summary.already_present, summary.inserted, summary.amended) == (2, 0, 0), name
    assert len(rows(db_url, CONTRACT_TABLES["entries"])) == 2
