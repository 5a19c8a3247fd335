"""A scoring request's few lines read as the network rules read them, each field once.

The network screen (:mod:`~tradeguard.network.entry_screen`) reads a dozen declared fields of a
request's lines. Read column by column, that is a dozen Polars calls of a few us each; the
lines' rows are read once per request and shared by its steps
(:mod:`tradeguard.frame_reads`), so text columns are taken from them whenever every column
converts to Python for sure, and any other column is cast alone as the general path casts it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import polars as pl

from tradeguard.frame_reads import column_types, row_tuples

# Column types every value of which converts to Python without fail: with only these (and
# dates that read), the lines' values come from the frame's rows, read once per request
# (:mod:`tradeguard.frame_reads`). A date Python cannot hold makes ``rows()`` panic.
_ROW_SAFE = frozenset({pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32,
                       pl.UInt64, pl.Float32, pl.Float64, pl.String, pl.Boolean, pl.Null,
                       pl.Categorical, pl.Enum})


class LineFields:
    """A few lines' fields, each read once: text columns from the frame's shared rows when
    every column converts safely, any other column cast alone as the general path casts it.
    """

    def __init__(self, lines: pl.DataFrame) -> None:
        self.lines = lines
        self.types = column_types(lines)
        self.height = lines.height
        self._rows: dict[str, Sequence[Any]] | None = None
        self._read: dict[str, Sequence[Any]] = {}
        self._dates: dict[str, list[date | None]] = {}

    def dates(self) -> list[date | None]:
        """The lines' entry dates, cast as the general path casts them."""
        got = self._dates.get("entry_date")
        if got is None:
            got = self._dates["entry_date"] = _dates(self.lines, self.types)
        return got

    def text(self, name: str | None) -> Sequence[str | None]:
        """A declared field of every line as text (null on every line when absent)."""
        if name is None or name not in self.types:
            return [None] * self.height
        got = self._read.get(name)
        if got is None:
            rows = self._row_values() if type(self.types[name]) is pl.String else None
            got = self._read[name] = rows[name] if rows is not None \
                else _column(self.lines, name, self.types)
        return got

    def _row_values(self) -> dict[str, Sequence[Any]] | None:
        """Column -> values of the shared rows, or None when a column might not convert."""
        if self._rows is None:
            kinds = set(map(type, self.types.values()))
            if not kinds <= _ROW_SAFE:
                if not kinds <= _ROW_SAFE | {pl.Date}:
                    return None
                for name, dtype in self.types.items():
                    if type(dtype) is pl.Date:
                        try:
                            self._dates[name] = self.lines.get_column(name).to_list()
                        except ValueError:  # a year Python's dates cannot hold
                            return None
            rows = row_tuples(self.lines)
            self._rows = dict(zip(self.types, zip(*rows, strict=True), strict=True)) if rows \
                else dict.fromkeys(self.types, ())
        return self._rows


def _column(lines: pl.DataFrame, name: str | None, present: Collection[str]
            ) -> list[str | None]:
    """A declared field of every line as text, cast as the general path casts it
    (``present``: the lines' columns)."""
    if name is None or name not in present:
        return [None] * lines.height
    values = lines.get_column(name)
    if type(values.dtype) is not pl.String:  # a class test: a type's ``!=`` is a Python call
        values = values.cast(pl.String, strict=False)
    return values.to_list()


def _dates(lines: pl.DataFrame, present: Collection[str]) -> list[date | None]:
    """The lines' entry dates, cast as the general path casts them."""
    if "entry_date" not in present:
        return [None] * lines.height
    values = lines.get_column("entry_date")
    if type(values.dtype) is not pl.Date:
        values = values.cast(pl.Date, strict=False)
    return values.to_list()


def line_numbers(lines: pl.DataFrame, present: Collection[str]) -> list[int | None]:
    """The lines' numbers when they are integers (as the general path reads them), else
    none (the general path then reads and checks them itself)."""
    if "line_number" not in present:
        return [None] * lines.height
    values = lines.get_column("line_number")
    if not values.dtype.is_integer():
        return [None] * lines.height
    if type(values.dtype) is not pl.Int64:
        values = values.cast(pl.Int64, strict=False)
    return values.to_list()
