"""100k lines with ~1% broken in every way the contract rejects, on SQLite and PostgreSQL.

A valid synthetic base is written to CSV, then chosen rows are broken (each rule at least
once, some rows several ways) and others are made messy but valid (dotted HTS, lower-case
countries, thousands separators, Y/N). The ingest must quarantine exactly the broken rows —
plus the lines whose entry was rejected — with their reasons, store every other row
normalised, and keep accepted + rejected = rows read.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import sqlalchemy as sa

from tradeguard.contract.synthetic import synthetic_entries, synthetic_lines
from tradeguard.ingest import ingest_files
from tradeguard.store import open_store
from tradeguard.store.tables import CONTRACT_TABLES, quarantine

TODAY = date(2026, 11, 25)
N_ENTRIES = 25_000  # x 4 lines = 100k lines

# name -> (column, broken value, field named in the quarantine record, words of the reason)
ENTRY_BREAKS = {
    "missing": ("importer_name", None, "importer_name", "required value is missing"),
    "future": ("entry_date", str(TODAY + timedelta(days=30)), "entry_date", "date in the future"),
    "bad_date": ("entry_date", "2026-13-45", "entry_date", "not a date"),
    "us_date": ("entry_date", "03/04/2026", "entry_date", "not a date"),
    "bad_number": ("entry_number", "AB-12345-1", "entry_number", "malformed entry number"),
    "country": ("country_of_export", "XX", "country_of_export", "unknown country code"),
    "bool": ("trusted_trader", "perhaps", "trusted_trader", "not a yes/no value"),
    "port": ("port_of_entry", "27A4", "port_of_entry", "malformed port code"),
}
LINE_BREAKS = {
    "missing": ("description", None, "description", "required value is missing"),
    "type_qty": ("quantity", "12abc", "quantity", "not a number"),
    "type_line": ("line_number", "one", "line_number", "not a whole number"),
    "neg_qty": ("quantity", "-3", "quantity", "negative value"),
    "neg_value": ("entered_value_usd", "-100.00", "entered_value_usd", "negative value"),
    "country": ("country_of_origin", "ZZ", "country_of_origin", "unknown country code"),
    "hts": ("hts_code", "12345", "hts_code", "malformed HTS code"),
    "entry_number": ("entry_number", "ABC-123-4", "entry_number", "malformed entry number"),
    "orphan": ("entry_number", "ZZZ-9999999-0", "entry_number", "is not stored"),
    "bool": ("related_party", "maybe", "related_party", "not a yes/no value"),
    "rate": ("duty_rate", "1.2.3", "duty_rate", "not a number"),
}
PER_BREAK_ENTRIES = 25  # (8 kinds + multi + duplicates) x 25 = 1% of entries
PER_BREAK_LINES = 80  # (11 kinds + multi) x 80 + 60 duplicates = ~1% of lines


def _set(frame: pl.DataFrame, rows: np.ndarray, column: str, value: str | None) -> pl.DataFrame:
    hit = pl.int_range(pl.len()).is_in(rows.tolist())
    return frame.with_columns(
        pl.when(hit).then(pl.lit(value, dtype=pl.String)).otherwise(pl.col(column)).alias(column)
    )


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(pl.Boolean).replace_strict({True: "Y", False: "N"}, return_dtype=pl.String),
        pl.exclude(pl.Boolean).cast(pl.String),
    )


class Plan:
    """The broken files and what the ingest must make of them."""

    def __init__(self, folder: Path) -> None:
        rng = np.random.default_rng(7)
        typed_entries = synthetic_entries(N_ENTRIES, seed=7, last_day=TODAY)
        entries = _as_text(typed_entries)
        lines = _as_text(synthetic_lines(typed_entries))
        original_numbers = entries["entry_number"]

        # Entries: disjoint groups of rows, one group per way of breaking. A duplicate copies
        # the entry number of the row before it, which must itself stay valid.
        picks = iter(rng.permutation(np.arange(1, N_ENTRIES)))
        self.entry_breaks = {
            name: np.array([next(picks) for _ in range(PER_BREAK_ENTRIES)])
            for name in [*ENTRY_BREAKS, "multi"]
        }
        taken = set(np.concatenate(list(self.entry_breaks.values())).tolist())
        candidates = [next(picks) for _ in range(PER_BREAK_ENTRIES * 2)]
        self.entry_breaks["duplicate"] = np.array(
            [d for d in candidates if d - 1 not in taken and d - 1 not in candidates]
        )[:PER_BREAK_ENTRIES]
        for name, (column, value, _, _) in ENTRY_BREAKS.items():
            entries = _set(entries, self.entry_breaks[name], column, value)
        multi = self.entry_breaks["multi"]
        entries = _set(_set(entries, multi, "importer_name", None), multi, "port_of_entry", "X")
        entries = entries.with_columns(
            pl.when(pl.int_range(pl.len()).is_in(self.entry_breaks["duplicate"].tolist()))
            .then(pl.col("entry_number").shift(1))
            .otherwise(pl.col("entry_number"))
            .alias("entry_number")
        )
        rejected_entries = np.concatenate(list(self.entry_breaks.values()))
        self.rejected_entry_rows = set((rejected_entries + 2).tolist())
        self.stored_entries = set(
            original_numbers.gather(np.setdiff1d(np.arange(N_ENTRIES), rejected_entries))
        )

        # Lines: break some, make others messy but valid. A duplicate key is a second line of
        # an entry claiming to be line 1, whose real line 1 stays valid.
        n = lines.height
        picks = iter(rng.permutation(np.arange(n)))
        self.line_breaks = {
            name: np.array([next(picks) for _ in range(PER_BREAK_LINES)])
            for name in [*LINE_BREAKS, "multi"]
        }
        taken = set(np.concatenate(list(self.line_breaks.values())).tolist())
        candidates = [i for i in (next(picks) for _ in range(1000)) if i % 4 == 1]
        self.line_breaks["duplicate"] = np.array([i for i in candidates if i - 1 not in taken][:60])
        for name, (column, value, _, _) in LINE_BREAKS.items():
            lines = _set(lines, self.line_breaks[name], column, value)
        lines = _set(lines, self.line_breaks["duplicate"], "line_number", "1")
        multi = self.line_breaks["multi"]
        for column, value in (("quantity", "-1"), ("country_of_origin", "QQ"), ("hts_code", "1")):
            lines = _set(lines, multi, column, value)
        self.messy = {
            "hts": np.array([next(picks) for _ in range(300)]),
            "country": np.array([next(picks) for _ in range(300)]),
            "thousands": np.array([next(picks) for _ in range(300)]),
        }
        lines = lines.with_columns(
            pl.when(pl.int_range(pl.len()).is_in(self.messy["hts"].tolist()))
            .then(pl.format("{}.{}.{}", pl.col("hts_code").str.slice(0, 4),
                            pl.col("hts_code").str.slice(4, 2), pl.col("hts_code").str.slice(6)))
            .otherwise(pl.col("hts_code")).alias("hts_code"),
            pl.when(pl.int_range(pl.len()).is_in(self.messy["country"].tolist()))
            .then(pl.col("country_of_origin").str.to_lowercase())
            .otherwise(pl.col("country_of_origin")).alias("country_of_origin"),
            pl.when(pl.int_range(pl.len()).is_in(self.messy["thousands"].tolist()))
            .then(pl.lit("1,234.50")).otherwise(pl.col("quantity")).alias("quantity"),
        )  # fmt: skip
        # A messy row that also got broken is simply broken; keep the messy sets clean.
        broken = np.concatenate(list(self.line_breaks.values()))
        self.messy = {k: np.setdiff1d(v, broken) for k, v in self.messy.items()}

        orphaned = ~lines["entry_number"].is_in(list(self.stored_entries))
        orphan_rows = np.flatnonzero(orphaned.to_numpy())
        self.rejected_line_rows = set((np.union1d(broken, orphan_rows) + 2).tolist())
        self.lines_good = lines.with_row_index("i").filter(
            ~(pl.col("i") + 2).is_in(list(self.rejected_line_rows))
        )
        self.entries_path, self.lines_path = folder / "entries.csv", folder / "lines.csv"
        entries.write_csv(self.entries_path)
        lines.write_csv(self.lines_path)
        self.n_lines = n


def _check(url: str, folder: Path) -> None:
    plan = Plan(folder)
    qdir = folder / "quarantine"
    report = ingest_files(
        [plan.lines_path, plan.entries_path], url=url, quarantine_dir=qdir, today=TODAY
    )
    entries_summary, lines_summary = report.files
    assert entries_summary.kind == "entries" and report.ok

    # Entries: exactly the broken rows rejected.
    assert entries_summary.rows_read == N_ENTRIES
    assert entries_summary.accepted + entries_summary.rejected == N_ENTRIES
    assert entries_summary.rejected == len(plan.rejected_entry_rows)

    # Lines: broken rows and lines of rejected entries; counts add up.
    assert lines_summary.rows_read == plan.n_lines == 100_000
    assert lines_summary.accepted + lines_summary.rejected == lines_summary.rows_read
    assert lines_summary.rejected == len(plan.rejected_line_rows)
    assert 0.01 <= lines_summary.rejected / plan.n_lines <= 0.03
    assert lines_summary.inserted == lines_summary.accepted
    assert report.to_dict()["total"]["check"].startswith("accepted + rejected = rows_read")

    with open_store(url) as store, store.engine.connect() as conn:
        records = pl.DataFrame(
            [dict(r) for r in conn.execute(sa.select(quarantine)).mappings()],
            infer_schema_length=None,
        )
        stored_lines = pl.DataFrame(
            [
                dict(r)
                for r in conn.execute(
                    sa.select(
                        CONTRACT_TABLES["lines"].c.natural_key,
                        CONTRACT_TABLES["lines"].c.hts_code,
                        CONTRACT_TABLES["lines"].c.country_of_origin,
                        CONTRACT_TABLES["lines"].c.quantity,
                    )
                ).mappings()
            ]
        )
        stored_entries = set(
            conn.execute(sa.select(CONTRACT_TABLES["entries"].c.entry_number)).scalars()
        )

    # Every rejected row is in quarantine once, with the reason of each way it was broken.
    line_records = records.filter(pl.col("batch_id") == lines_summary.batch_id)
    entry_records = records.filter(pl.col("batch_id") == entries_summary.batch_id)
    assert set(line_records["row_number"]) == plan.rejected_line_rows
    assert line_records.height == len(plan.rejected_line_rows)
    assert set(entry_records["row_number"]) == plan.rejected_entry_rows
    by_row = dict(zip(line_records["row_number"], line_records["reasons"], strict=True))
    fields_by_row = dict(zip(line_records["row_number"], line_records["fields"], strict=True))
    for name, (_, _, field, words) in LINE_BREAKS.items():
        for row in plan.line_breaks[name] + 2:
            assert f"{field}: " in by_row[row] and words in by_row[row], (name, by_row[row])
    for row in plan.line_breaks["duplicate"] + 2:
        assert f"same as row {row - 1} of this file" in by_row[row]
    for row in plan.line_breaks["multi"] + 2:
        assert {"quantity", "country_of_origin", "hts_code"} <= set(fields_by_row[row].split(";"))
    entry_reasons = dict(zip(entry_records["row_number"], entry_records["reasons"], strict=True))
    for name, (_, _, field, words) in ENTRY_BREAKS.items():
        for row in plan.entry_breaks[name] + 2:
            assert f"{field}: " in entry_reasons[row] and words in entry_reasons[row]
    for row in plan.entry_breaks["duplicate"] + 2:
        assert "duplicate key" in entry_reasons[row]
    assert pl.read_csv(qdir / "lines.csv.rejects.csv")["row"].sort().to_list() == sorted(
        plan.rejected_line_rows
    )

    # Every good row is stored, normalised.
    assert stored_entries == plan.stored_entries
    key = pl.format("{}|{}", "entry_number", "line_number").alias("natural_key")
    expected = plan.lines_good.select(key, "i")
    assert set(stored_lines["natural_key"]) == set(expected["natural_key"])
    stored = stored_lines.join(expected, on="natural_key")
    assert stored["hts_code"].str.contains(r"^\d{10}$").all()
    assert stored["country_of_origin"].str.contains(r"^[A-Z]{2}$").all()
    thousands = stored.filter(pl.col("i").is_in(plan.messy["thousands"].tolist()))
    assert thousands.height > 250 and (thousands["quantity"] == 1234.5).all()


def test_100k_lines_sqlite(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'tradeguard.db'}", tmp_path)


def test_100k_lines_postgres(pg_schema_url: str, tmp_path: Path) -> None:
    _check(pg_schema_url, tmp_path)
