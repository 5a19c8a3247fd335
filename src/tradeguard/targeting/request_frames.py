"""Frames of a scoring request's few lines: fixed schemas, built and checked cheaply.

From Python lists, Polars builds a column for ~10 us and a list column for ~35 us (one inner
series per row); a request's risk frame has eleven columns. A :class:`RequestFrame` builds the
columns of one type as one series and cuts it (a slice shares the buffer), and lists of text
through one Arrow array in Polars' own layout, so a frame takes three or four constructions
whatever its width, with the values, types and column order of
``pl.DataFrame(columns, schema=schema)``.

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
            values = list(chain.from_iterable(columns[c] for c in names))
            whole = _text_lists(values) if text_lists and _arrow_lists_native() \
                else pl.Series(values=values, dtype=dtype)
            for k, name in enumerate(names):
                built[name] = whole.slice(k * height, height).alias(name)
        return [built[c] for c in self.names]

    def build(self, columns: Mapping[str, Sequence[Any]],
              given: Mapping[str, pl.Series] | None = None) -> pl.DataFrame:
        """The request's frame (see :meth:`series`)."""
        # Stacked onto an empty frame: a third of the cost of ``pl.DataFrame(series)``.
        return _NO_COLUMNS.hstack(self.series(columns, given))


def _text_lists(values: list[Any]) -> pl.Series:
    """A list-of-text column through one Arrow array (Polars builds a series per row)."""
    import pyarrow as pa

    return pl.Series(pa.array(values, type=pa.large_list(pa.string_view())))


_ARROW_NATIVE: list[bool] = []


def _arrow_lists_native() -> bool:
    """Whether Arrow's lists of text views come into Polars in its own layout (checked once:
    lists in another text layout cannot be compared with Polars-built ones)."""
    if not _ARROW_NATIVE:
        probe = [["a", "b" * 20], [], [None], None]
        try:
            same = _text_lists(probe).equals(pl.Series(values=probe, dtype=_TEXT_LISTS))
        except pl.exceptions.PanicException:
            same = False
        _ARROW_NATIVE.append(same)
    return _ARROW_NATIVE[0]
