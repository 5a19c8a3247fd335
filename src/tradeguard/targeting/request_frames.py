"""Frames of a scoring request's few lines: fixed schemas, built and checked cheaply.

``pl.Series(name, values, dtype=...)`` spends ~10 us in Python (inspecting the values,
choosing a constructor) before the Rust constructor it ends in runs for under a microsecond
on a request's few values; a list column, one inner series per row, costs ~35 us so. A
:class:`RequestFrame` calls those same constructors directly (the public call where they
raise, or in a Polars laid out otherwise), so each column costs about a microsecond, with
the values, types and column order of ``pl.DataFrame(columns, schema=schema)``. A column of
only empty lists or only nulls of lists (no forced lane, no category: most of a request's
lines) is taken from a shared cache. (Arrow builds lists of text cheaply too, but its first
conversion in a request costs ~150 us.)

Reading a frame's ``schema`` builds and validates a ``Schema`` (tens of microseconds), and
comparing Polars types runs Python code per pair; :func:`conforms` compares type classes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import polars as pl

from tradeguard.kept import Kept

try:
    from polars._plr import PyDataFrame, PySeries

    _RUST = True
except ImportError:  # pragma: no cover - a Polars without its constructors there
    _RUST = False

#: The constructor ``pl.Series`` calls for a flat column of each type given.
_FLAT: dict[Hashable, Callable[[str, Any, bool], PySeries]] = {
    pl.String: PySeries.new_str, pl.Int64: PySeries.new_opt_i64,
    pl.Float64: PySeries.new_opt_f64, pl.Boolean: PySeries.new_opt_bool,
} if _RUST else {}  # fmt: skip

#: Types whose class says everything (no parameters such as a time unit or an inner type).
_PLAIN: frozenset[type[pl.DataType]] = frozenset({
    pl.String, pl.Int64, pl.Int32, pl.Float64, pl.Boolean, pl.Date, pl.Null,
})  # fmt: skip
_TEXT_LISTS = pl.List(pl.String())
_TEXT_LISTS_SIGNATURE: Hashable = (pl.List, pl.String)


def signature(dtype: pl.DataType) -> Hashable:
    """What tells ``dtype`` apart, compared without Polars' Python-level type equality."""
    kind = type(dtype)
    if kind in _PLAIN:
        return kind
    if kind is pl.List:
        inner = getattr(dtype, "inner", None)
        return (pl.List, signature(inner) if isinstance(inner, pl.DataType) else inner)
    return dtype


def signatures(schema: Mapping[str, pl.DataType]) -> dict[str, Hashable]:
    """:func:`signature` of each column of ``schema``."""
    return {c: signature(t) for c, t in schema.items()}


def conforms(frame: pl.DataFrame, expected: Mapping[str, Hashable]) -> bool:
    """Whether ``frame`` has every column of ``expected`` with its type (others may follow)."""
    names, dtypes = frame.columns, frame.dtypes
    if names == list(expected):  # as a request's frames come: the same columns, in order
        return all(map(operator.eq, map(signature, dtypes), expected.values()))
    have = dict(zip(names, dtypes, strict=True))
    return all(c in have and signature(have[c]) == s for c, s in expected.items())


def column(name: str, values: Sequence[Any], dtype: pl.DataType) -> pl.Series:
    """``pl.Series(name, values, dtype=dtype)``: for a flat type, the Rust constructor that
    call picks; for lists of text or nulls, one inner series of text per row put together
    as that call does; anything else (or a value the constructor refuses) by that call."""
    return _column(name, values, dtype, signature(dtype))


def _column(name: str, values: Sequence[Any], dtype: pl.DataType | type[pl.DataType],
            kind: Hashable) -> pl.Series:
    make = _FLAT.get(kind)
    try:
        if make is not None:
            return pl.Series._from_pyseries(make(name, values, True))
        if kind == _TEXT_LISTS_SIGNATURE and _RUST and _text_lists(values):
            new_str = PySeries.new_str
            return pl.Series._from_pyseries(PySeries.new_series_list(
                name, [None if v is None else new_str("", v, True) for v in values], True))
    except (TypeError, OverflowError):
        pass
    return pl.Series(name, values, dtype=dtype)


def _text_lists(values: Sequence[Any]) -> bool:
    """Whether ``values`` are lists of text or nulls, one a list at least (with none, the
    inner type is not known and Polars casts)."""
    listed = False
    for v in values:
        if v is None:
            continue
        if type(v) is not list or not all(x is None or type(x) is str for x in v):
            return False
        listed = True
    return listed


class RequestFrame:
    """One fixed schema's columns, worked out once for every request.

    ``given``: columns a request passes as series already made (such as its keys, taken
    from the input as they are), not built from lists.
    """

    def __init__(self, schema: Mapping[str, pl.DataType], given: Sequence[str] = ()) -> None:
        self.names = list(schema)
        self._given = {c: signature(schema[c]) for c in given}
        #: The built columns: name, type (a plain type as its class, compared in Rust, not
        #: Python), signature.
        self._built = [(c, type(t) if type(t) in _PLAIN else t, signature(t))
                       for c, t in schema.items() if c not in self._given]

    def series(self, columns: Mapping[str, Sequence[Any]],
               given: Mapping[str, pl.Series] | None = None) -> list[pl.Series]:
        """The frame's columns in schema order: ``given`` as they are, the rest built from
        ``columns`` with the values and types of ``pl.DataFrame(columns, schema=schema)``."""
        given = given or {}
        built = {c: given[c] if given[c].name == c else given[c].alias(c) for c in self._given}
        height = len(next(iter(columns.values()))) if columns else len(built[self.names[0]])
        if any(len(columns[c]) != height for c, _, _ in self._built) or any(
                len(s) != height or signature(s.dtype) != self._given[c]
                for c, s in built.items()):
            raise ValueError("columns of a request frame differ in length or type")
        for name, dtype, kind in self._built:
            values = columns[name]
            shared = _constant(name, values, dtype) if kind == _TEXT_LISTS_SIGNATURE else None
            built[name] = shared if shared is not None else _column(name, values, dtype, kind)
        return [built[c] for c in self.names]

    def build(self, columns: Mapping[str, Sequence[Any]],
              given: Mapping[str, pl.Series] | None = None) -> pl.DataFrame:
        """The request's frame (see :meth:`series`)."""
        return frame_of(self.series(columns, given))


#: Columns of only empty lists or only nulls of lists of text, by name and length: on a
#: request most lines have no forced lane and no category, and a list column costs a
#: constructor per row.
_CONSTANT: Kept[tuple[str, int, bool], pl.Series] = Kept(256)


def _constant(name: str, values: Sequence[Any], dtype: pl.DataType | type[pl.DataType]
              ) -> pl.Series | None:
    """The column ``name`` if its ``values`` are all null or all empty lists, made once and
    shared (series are immutable; frames share them), else None."""
    if all(type(v) is list and not v for v in values):
        empty = True
    elif all(v is None for v in values):
        empty = False
    else:
        return None
    key = (name, len(values), empty)
    found = _CONSTANT.get(key)
    if found is None:
        found = _CONSTANT.keep(key, pl.Series(name, [[] if empty else None] * len(values),
                                              dtype=dtype))
    return found


def frame_of(columns: Sequence[pl.Series]) -> pl.DataFrame:
    """``pl.DataFrame(columns)`` for series of distinct names and one length (checked, as
    there): the frame's Rust constructor, without the public call's Python checks."""
    if _RUST:
        return pl.DataFrame._from_pydf(PyDataFrame([s._s for s in columns]))
    return pl.DataFrame(list(columns))
