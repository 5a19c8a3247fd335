"""A request's assessments stamped with their versions from the laned frame's columns.

:func:`~tradeguard.pipeline.run.finish_assessments` adds the version columns and casts every
column to :data:`~tradeguard.targeting.assessment.ASSESSMENT_SCHEMA` in a query (~50-100 us
whatever the size). When a request's laned columns already have their types, the same frame
is those columns side by side with the version columns (made once per version block).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from tradeguard.frame_reads import short_type_names
from tradeguard.kept import Kept
from tradeguard.targeting.request_frames import frame_of


def version_values(versions: Mapping[str, Any]) -> dict[str, Any]:
    """The version columns' values, from a ``ScoringResult.versions`` block."""
    return {
        "model_version": versions["model"],
        "rules_version": versions["rules"],
        "list_versions": json.dumps(versions["lists"], sort_keys=True),
        "refdata_versions": json.dumps(versions["refdata"], sort_keys=True),
        "detector_versions": json.dumps(versions["detectors"], sort_keys=True),
        "targeting_version": versions["targeting"],
    }


def plain_assessments(laned: pl.DataFrame, stamps: dict[str, Any],
                      schema: Mapping[str, pl.DataType]) -> pl.DataFrame | None:
    """:func:`~tradeguard.pipeline.run.finish_assessments` when every column is there with
    its type (the casts do nothing) and every version is text: the columns themselves, side
    by side (``stamps``: :func:`stamped`).

    Types are compared by their short names where those say the type (:func:`_named`),
    read for all columns at once without a type object each."""
    at = {n: i for i, n in enumerate(laned.columns)}
    named = _named(schema)
    shorts = short_type_names(laned) if named is not None else None
    types: list[pl.DataType] | None = None
    every = laned.get_columns()  # one call for all: a column at a time costs more
    height = laned.height
    columns = []
    for name, dtype in schema.items():
        if name in stamps:
            value = stamps[name]
            if type(dtype) is not pl.String or not (value is None or isinstance(value, str)):
                return None
            columns.append(_repeated(name, value, height))
            continue
        i = at.get(name)
        if i is None:
            return None
        if shorts is not None and named is not None and name in named:
            if shorts[i] != named[name]:
                return None
        else:
            types = types if types is not None else laned.dtypes
            if not same_type(types[i], dtype):
                return None
        columns.append(every[i])
    return frame_of(columns)


#: Per schema (held, so its id stays its own): column -> the short name of its type, for
#: the types whose short name says them (plain types and lists of them).
_NAMED: Kept[int, tuple[Mapping[str, pl.DataType], dict[str, str] | None]] = Kept(64)


def _named(schema: Mapping[str, pl.DataType]) -> dict[str, str] | None:
    """Column -> short type name (:func:`~tradeguard.frame_reads.short_type_names`) of the
    columns of ``schema`` whose type is plain or a list of a plain type, as Polars names
    them (asked once per schema); None where Polars cannot name them so."""
    kept = _NAMED.get(id(schema))
    if kept is not None and kept[0] is schema:
        return kept[1]
    shorts = short_type_names(pl.DataFrame(schema=dict(schema)))
    named = None if shorts is None else {
        name: short for (name, dtype), short in zip(schema.items(), shorts, strict=True)
        if _says_type(dtype)}
    _NAMED.keep(id(schema), (schema, named))
    return named


def _says_type(dtype: pl.DataType) -> bool:
    """Whether ``dtype`` is plain, or a list of a plain type: no other type has its name."""
    if type(dtype) in _PLAIN_TYPES:
        return True
    inner = getattr(dtype, "inner", None)
    return type(dtype) is pl.List and type(inner) in _PLAIN_TYPES


#: Types equal when their classes are (no parameters).
_PLAIN_TYPES = frozenset([pl.String, pl.Boolean, pl.Date, pl.Float64, pl.Float32, pl.Int64,
                          pl.Int32, pl.Int16, pl.Int8, pl.UInt64, pl.UInt32, pl.UInt16,
                          pl.UInt8, pl.Null])


def same_type(have: pl.DataType | None, want: pl.DataType) -> bool:
    """``have == want`` for a column's type, told from the classes where they say it all
    (a Polars type comparison costs a few microseconds; a frame's schema tens)."""
    if have is None:
        return False
    kind = type(want)
    if type(have) is not kind:
        return have == want
    if kind in _PLAIN_TYPES:
        return True
    if isinstance(want, pl.List) and isinstance(have, pl.List) \
            and isinstance(have.inner, pl.DataType) and isinstance(want.inner, pl.DataType):
        return same_type(have.inner, want.inner)
    return have == want


#: Version stamps by version block, and constant columns by (name, value, lines): a scorer
#: stamps every request with the same few blocks.
_STAMPS: Kept[tuple[Any, ...], dict[str, Any]] = Kept(64)
_REPEATED: Kept[tuple[str, str | None, int], pl.Series] = Kept(64)


def stamped(versions: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`version_values`, remembered for blocks of text versions (a key of texts
    only, so values that compare equal but write differently, 1 and 1.0, never share).

    Only keys of texts are kept, so a key found equals one of texts element by element:
    its values are checked for being texts only when it is not found."""
    lists, refdata, detectors = (versions.get(k) for k in ("lists", "refdata", "detectors"))
    if not (isinstance(lists, dict) and isinstance(refdata, dict)
            and isinstance(detectors, dict)):
        return version_values(versions)
    key = (versions.get("model"), versions.get("rules"), versions.get("targeting"),
           tuple(lists.items()), tuple(refdata.items()), tuple(detectors.items()))
    try:
        found = _STAMPS.get(key)
    except TypeError:  # a value that cannot be hashed: not a text
        return version_values(versions)
    if found is None:
        texts = [*key[:3], *(x for block in key[3:] for kv in block for x in kv)]
        if not all(type(x) is str for x in texts):
            return version_values(versions)
        found = _STAMPS.keep(key, version_values(versions))
    return dict(found)


def _repeated(name: str, value: str | None, height: int) -> pl.Series:
    """A text column of ``height`` copies of ``value`` (made once; frames share it)."""
    key = (name, value, height)
    found = _REPEATED.get(key)
    if found is None:
        found = _REPEATED.keep(key, pl.Series(name, [value] * height, dtype=pl.String))
    return found
