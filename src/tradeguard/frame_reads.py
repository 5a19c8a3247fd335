"""A request frame's column types and rows, read from Polars once and shared.

Every step of a scoring request looks at the same declaration frame: the digest, the rules,
the origin, AD/CVD, classification and forced-labour screens and redaction each read its
column types (``columns`` plus ``dtypes``, ~10 us on its forty-odd columns) and most read its
rows (``rows(named=True)``, ~10 us a line). Read once here, each later look costs a dict
lookup. The reads are kept for a few recent frames of at most :data:`KEPT_ROWS` rows, told by
identity (a weak reference, so a frame's id reused by another frame is never mistaken for
it) and shape. Polars frames change in place only through explicit calls the scoring chain
never makes, so a frame's reads stay true while it lives. Callers must treat what they get as
read-only: other steps are handed the same objects.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import polars as pl

from tradeguard.kept import Kept
from tradeguard.request_path import REQUEST_LINES

#: Frames of at most this many rows have their reads kept; larger ones are read each time.
KEPT_ROWS = REQUEST_LINES
#: Frames whose reads are kept (a request's declaration frame, its supply chain, ...).
_FRAMES_KEPT = 8


class _Reads:
    """What has been read of one frame so far."""

    __slots__ = ("frame", "named", "rows", "shape", "types")

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = weakref.ref(frame)
        self.shape = frame.shape
        self.types: dict[str, pl.DataType] | None = None
        self.rows: list[tuple[Any, ...]] | None = None
        self.named: list[dict[str, Any]] | None = None


_READS: Kept[int, _Reads] = Kept(_FRAMES_KEPT)
_LOCK = threading.Lock()


def _reads(frame: pl.DataFrame) -> _Reads | None:
    """The kept reads of ``frame`` (made empty on its first look); None for a large frame."""
    key = id(frame)
    found = _READS.get(key)
    if found is not None and found.frame() is frame and found.shape == frame.shape:
        return found
    if frame.height > KEPT_ROWS:
        return None
    found = _Reads(frame)
    with _LOCK:
        return _READS.keep(key, found)


def column_types(frame: pl.DataFrame) -> dict[str, pl.DataType]:
    """Column name -> type of ``frame``, in column order (as ``dict(frame.schema)``, without
    the schema's checks: the types are the objects it holds). Shared: do not change it."""
    reads = _reads(frame)
    if reads is None:
        return dict(zip(frame.columns, frame.dtypes, strict=True))
    if reads.types is None:
        reads.types = dict(zip(frame.columns, frame.dtypes, strict=True))
    return reads.types


def row_tuples(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    """``frame.rows()``. Shared: do not change it."""
    reads = _reads(frame)
    if reads is None:
        return frame.rows()
    if reads.rows is None:
        reads.rows = frame.rows()
    return reads.rows


def named_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """``frame.rows(named=True)``. Shared: do not change it or its rows (copy a row to)."""
    reads = _reads(frame)
    if reads is None:
        return frame.rows(named=True)
    if reads.named is None:
        names = list(column_types(frame))
        reads.named = [dict(zip(names, row, strict=True)) for row in row_tuples(frame)]
    return reads.named


def short_type_names(frame: pl.DataFrame) -> list[str] | None:
    """The short names Polars gives ``frame``'s column types (``str``, ``i64``, ``f64``,
    ``date``, ``bool``, ``list[str]``...), read without making a type object per column
    (~0.3 us each); None where this Polars cannot read them so. A plain type's name, and a
    list of one's, is its own: equal names are then equal types."""
    read = getattr(getattr(frame, "_df", None), "dtype_strings", None)
    names = read() if read is not None else None
    return names if isinstance(names, list) else None
