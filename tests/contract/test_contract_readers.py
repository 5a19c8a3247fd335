"""Opening and streaming contract files: formats, encodings, and files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tradeguard.contract import UnknownKindError, UnreadableFileError, open_source

HEADER = "entry_number,entry_type,entry_date,port_of_entry,importer_id,importer_name"


def text_rows(source_path: Path, batch_size: int = 1000) -> pl.DataFrame:
    with open_source(source_path) as source:
        return pl.concat(list(source.batches(batch_size)), how="diagonal")


def test_csv_rows_are_numbered_as_in_a_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    rows = [f"ABC-{i:07d}-1,01,2026-01-02,2704,IOR{i},Acme" for i in range(25)]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    with open_source(path) as source:
        assert (source.kind, source.format, source.encoding) == ("entries", "csv", "utf-8")
        assert source.estimated_rows == 25
        batches = list(source.batches(10))
    assert [b.height for b in batches] == [10, 10, 5]
    rows_seen = pl.concat(batches)["__row"].to_list()
    assert rows_seen == list(range(2, 27))  # header is row 1
    assert all(dtype == pl.String for name, dtype in batches[0].schema.items() if name != "__row")


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "entries_bom.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + f"{HEADER}\nABC-0000001-1,01,2026-01-02,2704,I1,Caf\u00e9\n".encode()
    )
    with open_source(path) as source:
        assert source.encoding == "utf-8-sig"
    frame = text_rows(path)
    assert frame.columns[1] == "entry_number"  # no BOM left on the first header
    assert frame["importer_name"].to_list() == ["Caf\u00e9"]


def test_latin1_file_is_transcoded(tmp_path: Path) -> None:
    path = tmp_path / "entries_latin1.csv"
    name = "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale \u2013 S.A."
    content = f"{HEADER}\nABC-0000001-1,01,2026-01-02,2704,I1,{name}\n"
    path.write_bytes(content.encode("cp1252"))
    with open_source(path) as source:
        assert source.encoding == "cp1252"
        copy = source.read_path
        assert copy is not None and copy.exists()
        frame = pl.concat(list(source.batches(100)))
    assert not copy.exists()  # the transcoded copy is removed with the source
    assert frame["importer_name"].to_list() == [name]


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "entries_raw.csv"
    path.write_bytes(f"{HEADER}\nABC-0000001-1,01,2026-01-02,2704,I1,X".encode() + b"\x81\xe9\n")
    with open_source(path) as source:
        assert source.encoding == "latin-1"
        frame = pl.concat(list(source.batches(100)))
    assert frame["importer_name"].to_list() == ["X\x81\u00e9"]


def test_header_names_are_trimmed_and_matched_regardless_of_case(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    header = " Entry_Number ,ENTRY_TYPE,entry_date,port_of_entry,importer_id,importer_name,Notes"
    path.write_text(f"{header}\nABC-0000001-1,01,2026-01-02,2704,I1,Acme,x\n")
    frame = text_rows(path)
    assert {"entry_number", "entry_type", "Notes"} <= set(frame.columns)


def test_parquet_cells_become_text(tmp_path: Path) -> None:
    from datetime import date

    path = tmp_path / "entries.parquet"
    pl.DataFrame(
        {
            "entry_number": ["ABC-0000001-1"],
            "entry_type": ["01"],
            "entry_date": [date(2026, 1, 2)],
            "port_of_entry": ["2704"],
            "importer_id": ["I1"],
            "importer_name": ["Acme"],
            "trusted_trader": [True],
            "weight": [12.5],
        }
    ).write_parquet(path)
    with open_source(path) as source:
        assert (source.format, source.encoding, source.estimated_rows) == ("parquet", "parquet", 1)
    row = text_rows(path).row(0, named=True)
    assert row["entry_date"] == "2026-01-02" and row["trusted_trader"] == "true"
    assert row["weight"] == "12.5" and row["__row"] == 1


def test_json_lines_with_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    path.write_text(
        '{"entry_number": "ABC-0000001-1", "line_number": 1, "hts_code": "6109.10.0012",'
        ' "description": "x", "country_of_origin": "CN", "quantity": 2.5,'
        ' "quantity_unit": "NO", "entered_value_usd": 10, "related_party": true}\n'
        "\n"
        "{not json\n"
        '{"entry_number": "ABC-0000001-1", "line_number": 2, "extra": {"a": 1}}\n'
    )
    frame = text_rows(path)
    assert frame["__row"].to_list() == [1, 3, 4]  # line numbers; the blank line is skipped
    assert frame["__read_error"].to_list() == [None, "not a JSON object", None]
    first = frame.row(0, named=True)
    assert first["quantity"] == "2.5" and first["related_party"] == "true"
    assert frame["extra"].to_list()[2] == '{"a":1}'


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("entries.csv", b"", "is empty"),
        ("entries.csv", b"\x7fELF\x02\x01\x01\x00\x00\x00binary", "binary file"),
        ("entries.csv", HEADER.replace(",", ";").encode() + b"\nA;B\n", "semicolon-separated"),
        ("entries.csv", b"ABC-0000001-1,01,2026-01-02,2704,I1,Acme\n", "header row"),
        ("entries.csv", b"entry_number,importer_name\nABC-0000001-1,Acme\n", "entry_type"),
        ("entries.parquet", b"PAR1 not really", "not a readable Parquet file"),
        ("entries.jsonl", b"[1, 2]\nnope\n", "no JSON object"),
    ],
)
def test_unreadable_files_fail_naming_the_file(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError) as info:
        open_source(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_missing_columns_are_all_named(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("entry_number,line_number,description\nABC-0000001-1,1,x\n")
    with pytest.raises(UnreadableFileError) as info:
        open_source(path)
    problem = info.value.problem
    for column in (
        "hts_code",
        "country_of_origin",
        "quantity",
        "quantity_unit",
        "entered_value_usd",
    ):
        assert column in problem


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="no such file"):
        open_source(tmp_path / "entries.csv")


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text(HEADER + "\n")
    with open_source(path) as source:
        assert sum(b.height for b in source.batches(10)) == 0


def test_kind_must_be_told_when_the_name_does_not(tmp_path: Path) -> None:
    path = tmp_path / "declarations.csv"
    path.write_text(HEADER + "\n")
    with pytest.raises(UnknownKindError, match="--kind"):
        open_source(path)
    with open_source(path, kind="entries") as source:
        assert source.kind == "entries"
    with pytest.raises(UnknownKindError, match="unknown kind"):
        open_source(path, kind="invoices")


def test_a_ragged_row_fails_the_file_naming_the_row(tmp_path: Path) -> None:
    # Polars' own batch iterator would end early without an error: a truncated load.
    path = tmp_path / "entries.csv"
    rows = [f"ABC-{i:07d}-1,01,2026-01-02,2704,IOR{i},Acme" for i in range(30)]
    rows[23] += ",surplus,cells"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    with open_source(path) as source, pytest.raises(UnreadableFileError) as info:
        for _ in source.batches(10):
            pass
    assert "row 25 has 8 cells but the header has 6" in str(info.value)
    assert str(path) in str(info.value)


def test_a_short_row_reads_with_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text(f"{HEADER}\nABC-0000001-1,01,2026-01-02\n")
    row = text_rows(path).row(0, named=True)
    assert row["entry_date"] == "2026-01-02" and row["importer_name"] is None


def test_stopping_early_releases_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    rows = [f"ABC-{i:07d}-1,01,2026-01-02,2704,IOR{i},Acme" for i in range(100)]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    with open_source(path) as source:
        batches = source.batches(10)
        assert next(batches).height == 10
        batches.close()  # the reader thread must not stay blocked


def test_without_report_the_file_reads_the_same_and_skips_digest_and_count(
    tmp_path: Path,
) -> None:
    utf8, latin = tmp_path / "entries.csv", tmp_path / "entries_latin1.csv"
    rows = [f"ABC-{i:07d}-1,01,2026-01-02,2704,IOR{i},Caf\u00e9" for i in range(25)]
    utf8.write_text("\n".join([HEADER, *rows]) + "\n")
    latin.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("cp1252"))
    for path, encoding in ((utf8, "utf-8"), (latin, "cp1252")):
        with open_source(path) as full, open_source(path, report=False) as quick:
            assert (full.encoding, quick.encoding) == (encoding, encoding)
            assert (quick.sha256, quick.estimated_rows) == ("", 0)
            assert len(full.sha256) == 64 and full.estimated_rows == 25
            assert pl.concat(list(quick.batches(10))).equals(pl.concat(list(full.batches(10))))
