"""Frames of a scoring request's few lines: fixed schemas, built and checked cheaply.

From Python lists, Polars builds a column for ~10 us and a list column for ~35 us (one inner
series per row); a request's risk frame has eleven columns. A :class:`RequestFrame` builds the
columns of one type as one series and cuts it (a slice shares the buffer), builds lists of
text from the values at once (type inferred, not given), and takes a column of only nulls or
only empty lists (no forced lane, no category: most of a request's lines) from a shared
cache, so a frame takes at most three or four constructions whatever its width, with the
values, types and column order of ``pl.DataFrame(columns, schema=schema)``. (Arrow would
build lists of text for less in a loop, but its first conversion in a request costs ~150 us.)

Reading a frame's ``schema`` builds and validates a ``Schema`` (tens of microseconds), and
comparing Polars types runs Python code per pair; :func:`conforms` compares type classes.
"""

from __future__ import annotations

import operator
from collections.abc import Hashable, Mapping, Sequence
from itertools import chain
from typing import Any

import polars as pl

#: Types whose class says everything (no parameters such as a time unit or an inner type).
_PLAIN: frozenset[type[pl.DataType]] = frozenset({
    pl.String, pl.Int64, pl.Int32, pl.Float64, pl.Boolean, pl.Date, pl.Null,
})  # fmt: skip
_TEXT_LISTS = pl.List(pl.String())
_TEXT_LISTS_SIGNATURE: Hashable = (pl.List, pl.String)
#: What Polars infers for lists without any text (empty or null): cast to lists of text.
_NO_TEXT: frozenset[Hashable] = frozenset({pl.Null, (pl.List, pl.Null)})
#: Request frames are stacked onto this one (``hstack`` returns a new frame; this stays empty).
_NO_COLUMNS = pl.DataFrame()


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


class RequestFrame:
    """One fixed schema's columns grouped by type, worked out once for every request.

    ``given``: columns a request passes as series already made (such as its keys, taken
    from the input as they are), not built from lists.
    """

    def __init__(self, schema: Mapping[str, pl.DataType], given: Sequence[str] = ()) -> None:
        self.names = list(schema)
        self._given = {c: signature(schema[c]) for c in given}
        groups: dict[Hashable, tuple[pl.DataType, list[str]]] = {}
        for name, dtype in schema.items():
            if name not in self._given:
                groups.setdefault(signature(dtype), (dtype, []))[1].append(name)
        # A plain type is passed as its class: Polars compares an instance in Python code.
        self._groups = [(type(dtype) if type(dtype) in _PLAIN else dtype,
                         signature(dtype) == _TEXT_LISTS_SIGNATURE, names)
                        for dtype, names in groups.values()]

    def series(self, columns: Mapping[str, Sequence[Any]],
               given: Mapping[str, pl.Series] | None = None) -> list[pl.Series]:
        """The frame's columns in schema order: ``given`` as they are, the rest built from
        ``columns`` with the values and types of ``pl.DataFrame(columns, schema=schema)``."""
        given = given or {}
        built = {c: given[c] if given[c].name == c else given[c].alias(c) for c in self._given}
        height = len(next(iter(columns.values()))) if columns else len(built[self.names[0]])
        if any(len(columns[c]) != height for c in self.names if c not in built) or any(
                len(s) != height or signature(s.dtype) != self._given[c]
                for c, s in built.items()):
            raise ValueError("columns of a request frame differ in length or type")
        for dtype, text_lists, names in self._groups:
            made = [c for c in names if not _constant(built, c, columns[c], dtype, text_lists)]
            if len(made) == 1:
                name = made[0]
                built[name] = _text_lists(list(columns[name]), name) if text_lists \
                    else pl.Series(name, columns[name], dtype=dtype)
            elif made:
                values = list(chain.from_iterable(columns[c] for c in made))
                whole = _text_lists(values) if text_lists \
                    else pl.Series(values=values, dtype=dtype)
                for k, name in enumerate(made):
                    built[name] = whole.slice(k * height, height).alias(name)
        return [built[c] for c in self.names]

    def build(self, columns: Mapping[str, Sequence[Any]],
              given: Mapping[str, pl.Series] | None = None) -> pl.DataFrame:
        """The request's frame (see :meth:`series`)."""
        return frame_of(self.series(columns, given))


#: Columns of only nulls or only empty lists, by name, type and length: on a request most
#: lines have no forced lane and no category, and building a column costs ~10-70 us.
_CONSTANT: dict[tuple[str, Hashable, int, bool], pl.Series] = {}
_CONSTANT_KEPT = 256


def _constant(built: dict[str, pl.Series], name: str, values: Sequence[Any],
              dtype: pl.DataType | type[pl.DataType], text_lists: bool) -> bool:
    """Put into ``built`` the column ``name`` if its ``values`` are all null or (lists of
    text) all empty, made once and shared (series are immutable; frames share them)."""
    if all(v is None for v in values):
        empty = False
    elif text_lists and all(type(v) is list and not v for v in values):
        empty = True
    else:
        return False
    key = (name, signature(dtype) if isinstance(dtype, pl.DataType) else dtype,
           len(values), empty)
    found = _CONSTANT.get(key)
    if found is None:
        if len(_CONSTANT) >= _CONSTANT_KEPT:
            _CONSTANT.clear()
        found = _CONSTANT[key] = pl.Series(name, [[] if empty else None] * len(values),
                                           dtype=dtype)
    built[name] = found
    return True


def frame_of(columns: Sequence[pl.Series]) -> pl.DataFrame:
    """``pl.DataFrame(columns)`` for series of distinct names and one length (checked, as
    there): stacked onto an empty frame, at a third of the cost."""
    return _NO_COLUMNS.hstack(list(columns))


def _text_lists(values: list[Any], name: str = "") -> pl.Series:
    """A list-of-text column built by Polars from the values at once (given the type, it
    builds one inner series per row). Only lists of text or nulls are built so: their
    inferred type is the wanted one or, with no text at all, one that casts to it without
    a value to convert; anything else is built with the type given."""
    if all(v is None or (type(v) is list and all(x is None or type(x) is str for x in v))
           for v in values):
        built = pl.Series(name, values)
        kind = signature(built.dtype)
        if kind == _TEXT_LISTS_SIGNATURE:
            return built
        if kind in _NO_TEXT:
            return built.cast(_TEXT_LISTS)
    return pl.Series(name, values, dtype=_TEXT_LISTS)
