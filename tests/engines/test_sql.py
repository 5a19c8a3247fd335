"""The engines' SQL: written once, transpiled for Spark, batches keep entries whole."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from tradeguard.engines import sql


def test_every_line_of_an_entry_and_account_lands_in_one_batch() -> None:
    numbers = [f"E{i:03d}" for i in range(60)]
    entries = pl.DataFrame({"entry_number": numbers,
                            "importer_id": [None if i % 7 == 0 else f"IMP{i % 5}"
                                            for i in range(60)]})
    lines = pl.DataFrame({"entry_number": [n for n in numbers for _ in range(3)],
                          "line_number": [k for _ in numbers for k in (1, 2, 3)]})
    with duckdb.connect() as con:
        con.register("lines", lines)
        con.register("entries", entries)
        got_lines = con.execute(sql.entry_batches("lines", "entries", 4)).pl()
        got_entries = con.execute(sql.entry_batches("entries", "entries", 4)).pl()
    assert got_lines.height == lines.height and got_entries.height == entries.height
    per_entry = got_lines.group_by("entry_number").agg(pl.col("_batch").n_unique())
    assert per_entry["_batch"].max() == 1
    joined = got_lines.join(got_entries, on="entry_number", suffix="_e")
    assert (joined["_batch"] == joined["_batch_e"]).all()
    per_account = got_entries.filter(pl.col("importer_id").is_not_null()).group_by(
        "importer_id").agg(pl.col("_batch").n_unique())
    assert per_account["_batch"].max() == 1
    assert got_lines["_batch"].is_between(0, 3).all()
    # Entries without an importer are spread by entry number, not piled into one batch.
    alone = got_entries.filter(pl.col("importer_id").is_null())
    assert alone["_batch"].n_unique() > 1


def test_spark_text_is_transpiled_from_the_same_sql() -> None:
    pytest.importorskip("sqlglot")
    spark = sql.entry_batches("tg_lines", "tg_entries", 8, "spark")
    assert "HASH(COALESCE(e.importer_id, e.entry_number))" in spark and "% 8" in spark
    assert "EXISTS" in sql.rows_of_lines("t", "k", "spark")


def test_batches_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        sql.entry_batches("lines", "entries", 0)


def test_rows_of_lines_picks_exact_keys() -> None:
    lines = pl.DataFrame({"entry_number": ["A", "A", "B"], "line_number": [1, 2, 1]})
    wanted = pl.DataFrame({"entry_number": ["A"], "line_number": [2]})
    with duckdb.connect() as con:
        con.register("lines", lines)
        con.register("wanted", wanted)
        got = con.execute(sql.rows_of_lines("lines", "wanted")).pl()
        day = con.execute(sql.latest_entry_date(
            "(SELECT 'A' AS entry_number, DATE '2026-01-02' AS entry_date UNION ALL "
            "SELECT 'Z', DATE '2026-03-01')", "lines")).fetchone()
    assert got.rows() == [("A", 2)]
    assert day is not None and str(day[0]) == "2026-01-02"


def test_rows_can_be_gathered_with_only_the_fields_a_detector_reads() -> None:
    lines = pl.DataFrame({"entry_number": ["A", "A", "B"], "line_number": [1, 2, 1],
                          "description": ["x", "y", "z"], "seller_name": ["S1", "S2", "S3"]})
    wanted = pl.DataFrame({"entry_number": ["A", "B"], "line_number": [2, 1]})
    with duckdb.connect() as con:
        con.register("lines", lines)
        con.register("wanted", wanted)
        got = con.execute(sql.rows_of_lines(
            "lines", "wanted", columns=["entry_number", "line_number", "seller_name"])).pl()
    assert got.columns == ["entry_number", "line_number", "seller_name"]
    assert sorted(got.rows()) == [("A", 2, "S2"), ("B", 1, "S3")]
