"""The demo set the request-path tests share (``demo_dir``: 3,000 entries, seed 11) and how
they cut it: the latest entries are the requests, everything before them the history."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.pipeline.run import declarations
from tradeguard.refdata import ReferenceData

#: Requests per test: the latest entries of the demo set.
ENTRIES_USED = 120


def read_demo(folder: Path, name: str) -> pl.DataFrame:
    """One demo file with every cell as text, as a request carries it."""
    return pl.read_csv(folder / f"{name}.csv", infer_schema_length=0)


def demo_declarations(folder: Path) -> pl.DataFrame:
    """Every demo line joined to its entry and typed."""
    return declarations(read_demo(folder, "entries"), read_demo(folder, "lines"))


def latest_entries(decl: pl.DataFrame, n: int = ENTRIES_USED) -> pl.Series:
    """The numbers of the ``n`` latest entries (by date, then number)."""
    return (decl.select("entry_number", "entry_date").unique()
            .sort("entry_date", "entry_number").tail(n)["entry_number"])


def split_latest(decl: pl.DataFrame, n: int = ENTRIES_USED
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(history: every line but the latest ``n`` entries', those entries' lines)."""
    recent = pl.col("entry_number").is_in(latest_entries(decl, n).implode())
    return decl.filter(~recent), decl.filter(recent)


def request_context(ref: ReferenceData, frame: pl.DataFrame) -> DetectionContext:
    """The detection context of a request: its own latest entry date (a fixed day if none)."""
    day = frame["entry_date"].max() if frame.height else None
    return DetectionContext(ref=ref, as_of=day if isinstance(day, date) else date(2026, 7, 1))


def one_by_one(decl: pl.DataFrame) -> list[pl.DataFrame]:
    """Each entry's lines as its own frame (one scoring request each), in first-seen order."""
    return [part for _, part in decl.group_by("entry_number", maintain_order=True)]


def edited(frame: pl.DataFrame, **values: Any) -> pl.DataFrame:
    """``frame`` with columns set to ``values`` (a callable gets the column), types kept."""
    columns = []
    for name, value in values.items():
        dtype = frame.schema[name]
        if callable(value):
            columns.append(value(pl.col(name)).cast(dtype).alias(name))
        else:
            columns.append(pl.lit(value, dtype=dtype).alias(name))
    return frame.with_columns(columns)
