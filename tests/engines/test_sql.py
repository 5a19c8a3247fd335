"""The engines' SQL: written once, transpiled for Spark, batches keep entries whole."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from tradeguard.engines import sql


def test_every_line_of_an_entry_lands_in_its_entry_batch() -> None:
    lines = pl.DataFrame({"entry_number": ["A", "A", "A", "B", "C", "C"],
                          "line_number": [1, 2, 3, 1, 1, 2]})
    entries = pl.DataFrame({"entry_number": ["A", "B", "C"]})
    with duckdb.connect() as con:
        con.register("lines", lines)
        con.register("entries", entries)
        got_lines = con.execute(sql.entry_batches("lines", 2)).pl()
        got_entries = con.execute(sql.entry_batches("entries", 2)).pl()
    per_entry = got_lines.group_by("entry_number").agg(pl.col("_batch").n_unique())
    assert per_entry["_batch"].to_list() == [1, 1, 1]
    joined = got_lines.join(got_entries, on="entry_number", suffix="_e")
    assert (joined["_batch"] == joined["_batch_e"]).all()
    assert got_lines["_batch"].is_between(0, 1).all()


def test_spark_text_is_transpiled_from_the_same_sql() -> None:
    pytest.importorskip("sqlglot")
    spark = sql.entry_batches("tg_lines", 8, "spark")
    assert "HASH(entry_number)" in spark and "% 8" in spark
    assert "EXISTS" in sql.rows_of_lines("t", "k", "spark")


def test_batches_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        sql.entry_batches("lines", 0)


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
