"""Profiles over a request-sized frame: does any firing profile hit any of its few lines?

A scoring request holds 1-5 lines and almost never hits a profile, yet evaluating the set's
compiled expressions costs a few Polars queries (~100 us each, whatever the frame's size).
Here each condition tree is turned once into plain Python predicates with the same
two-valued semantics as :mod:`._compile` (a missing value never satisfies a test; ``not`` of
one is then true), and the lines are tested row by row. Text searches (``contains``,
``matches``) keep the regular-expression engine profiles are written for: each (pattern,
value) is asked of it once and remembered, except where :func:`python_twin` shows Python's
engine reads the pattern alike for every printable-ASCII text (most descriptions: a value
never seen then costs a microsecond, not a Polars query). The answer is only "no hit" when
that is certain;
a hit, or a line the predicates cannot read the way the batch path does (a NaN, a frame not
yet typed), leaves the frame to :func:`._evaluate.evaluate`'s batch path.
"""

from __future__ import annotations

import math
import re
import string
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from typing import Any

import polars as pl

from tradeguard.frame_reads import column_types, named_rows
from tradeguard.kept import Kept
from tradeguard.request_path import REQUEST_LINES
from tradeguard.rules._compile import _alternation
from tradeguard.rules._fields import DECLARED_FIELDS, POLARS_TYPES
from tradeguard.rules._model import Condition, Leaf, NamedList, Profile, ProfileSet, Scalar

#: Frames up to this many lines are tested line by line; larger ones take the batch path.
SMALL_REQUEST = REQUEST_LINES
#: (pattern, value) answers of the regular-expression engine kept.
_SEARCHES_KEPT = 100_000

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]


class _Unreadable(Exception):
    """A line the predicates cannot read as the batch path does."""


#: Escapes read alike by both engines, outside a class (word boundaries, digits, word
#: characters; not ``\\B``, which Python's engine never matches in an empty text) and inside
#: one. Any other escaped character must be printable punctuation (a literal in both), but
#: not ``<`` or ``>`` (word-edge assertions in Polars' engine).
_TWIN_ESCAPES = frozenset("bdDwW")
_TWIN_CLASS_ESCAPES = frozenset("dDwW")
_TWIN_LITERALS = frozenset(string.punctuation + " ") - frozenset("<>")
_CASELESS = "(?i)"


def _range_ends(low: str, high: str) -> bool:
    """Whether a class range runs between two digits or two ASCII letters of one case."""
    return ((low.isdigit() and high.isdigit()) or (low.islower() and high.islower())
            or (low.isupper() and high.isupper()))


def _class_end(body: str, start: int) -> int:
    """Where the character class opened at ``start`` ends (the index after its ``]``), or
    -1 when it uses anything the two engines may read apart: nested brackets (POSIX classes
    and set operations in Polars' engine), doubled ``&``, ``~``, ``|`` or ``-``, a leading
    ``]``, escapes other than digits, word characters and punctuation, or a range that is
    not between two digits or two letters of one case."""
    at = start + 1
    if body.startswith("^", at):
        at += 1
    if body.startswith("]", at):
        return -1
    first = at
    while at < len(body):
        c = body[at]
        if c == "]":
            return at + 1
        if c == "[":
            return -1
        if c == "\\":
            e = body[at + 1:at + 2]
            if e == "" or not (e in _TWIN_CLASS_ESCAPES or e in _TWIN_LITERALS):
                return -1
            at += 2
            continue
        if c in "&~|-" and body.startswith(c * 2, at):
            return -1
        # a range: its low end neither escaped nor the end of another range
        if c == "-" and at != first and not body.startswith("]", at + 1) and (
                body[at - 2:at - 1] in ("-", "\\")
                or not _range_ends(body[at - 1], body[at + 1:at + 2])):
            return -1
        at += 1
    return -1


def python_twin(pattern: str) -> re.Pattern[str] | None:
    """Python's compiled ``pattern`` when it finds a match in exactly the printable-ASCII
    texts Polars' engine finds one in, else None.

    Only a small, common part of the syntax is accepted, one both engines read alike on
    such texts: ASCII literals, ``.``, ``^``, ``$`` (the texts hold no line break), groups
    (plain and ``(?:``), alternation, ``*``, ``+``, ``?`` (and their lazy forms), classes
    without nesting, and the escapes ``\\b \\d \\D \\w \\W`` (Unicode-aware in
    both, so ASCII alike) and escaped punctuation, with an optional leading ``(?i)``
    (simple case folding in both: on ASCII texts, ASCII case). Counted repeats, other
    flags and group kinds, ``\\s`` (which tells ASCII separators apart differently) and
    anything else give None.
    """
    if not pattern.isascii() or not pattern.isprintable():
        return None
    body = pattern.removeprefix(_CASELESS)
    at = 0
    while at < len(body):
        c = body[at]
        if c == "\\":
            e = body[at + 1:at + 2]
            if e == "" or not (e in _TWIN_ESCAPES or e in _TWIN_LITERALS):
                return None
            at += 2
            continue
        if c in "{}]" or (c == "(" and body.startswith("(?", at)
                          and not body.startswith("(?:", at)):
            return None
        if c == "[":
            at = _class_end(body, at)
            if at < 0:
                return None
            continue
        if c in "*+?":
            run = at
            while run < len(body) and body[run] in "*+?":
                run += 1
            if run - at > 2 or (run - at == 2 and body[run - 1] != "?"):
                return None  # possessive or repeated quantifiers
            at = run
            continue
        at += 1
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _plain_text(text: str) -> bool:
    """Whether both engines read ``text`` alike under a :func:`python_twin` pattern."""
    return text.isascii() and text.isprintable()


class _Searches:
    """The regular-expression engine's answer per (pattern, text), remembered; Python's
    answer where :func:`python_twin` vouches for it (a pattern's first search goes to
    Polars, so a pattern Polars rejects still fails as in the batch path)."""

    def __init__(self) -> None:
        self._known: Kept[tuple[str, str], bool] = Kept(_SEARCHES_KEPT)
        self._twins: dict[str, re.Pattern[str] | None] = {}
        self._lock = threading.Lock()

    def __call__(self, pattern: str, text: str) -> bool:
        key = (pattern, text)
        found = self._known.get(key)
        if found is not None:
            return found
        twin = self._twins.get(pattern)
        if twin is not None and _plain_text(text):
            found = twin.search(text) is not None
        else:
            found = bool(pl.Series([text], dtype=pl.String).str.contains(pattern)[0])
        with self._lock:
            self._known.keep(key, found)
            if pattern not in self._twins:
                self._twins[pattern] = python_twin(pattern)
        return found


_SEARCH = _Searches()
_NULL_NOT_IN: list[bool] = []


def _null_not_in() -> bool:
    """What ``not_in`` gives a missing value in the batch path (asked of Polars once)."""
    if not _NULL_NOT_IN:
        probe = ~pl.Series([None], dtype=pl.String).is_in(["x"])
        _NULL_NOT_IN.append(bool(probe.fill_null(False)[0]))
    return _NULL_NOT_IN[0]


def _leaf(leaf: Leaf, lists: Mapping[str, NamedList]) -> Predicate:
    """The Python twin of :func:`._compile._leaf`."""
    name, op = leaf.field, leaf.op
    values: list[Scalar] = (
        list(lists[leaf.list_ref].items) if leaf.list_ref is not None else list(leaf.values)
    )
    if op == "is_null":
        return lambda row: row[name] is None
    if op == "not_null":
        return lambda row: row[name] is not None
    if op in ("eq", "ne", "gt", "ge", "lt", "le"):
        value: Any = values[0]
        test: Callable[[Any], bool] = {
            "eq": lambda v: bool(v == value), "ne": lambda v: bool(v != value),
            "gt": lambda v: bool(v > value), "ge": lambda v: bool(v >= value),
            "lt": lambda v: bool(v < value), "le": lambda v: bool(v <= value),
        }[op]
        return lambda row: row[name] is not None and test(row[name])
    if op in ("in", "not_in"):
        members = frozenset(values)
        if op == "in":
            return lambda row: row[name] is not None and row[name] in members
        null_result = _null_not_in()
        return lambda row: null_result if row[name] is None else row[name] not in members
    if op == "between":
        low, high = values[0], values[1]
        return lambda row: row[name] is not None and bool(low <= row[name] <= high)
    if op == "prefix":
        texts = tuple(str(v) for v in values)
        return lambda row: row[name] is not None and str(row[name]).startswith(texts)
    pattern = _alternation([str(v) for v in values], escape=op == "contains", prefix="(?i)")
    return lambda row: row[name] is not None and _SEARCH(pattern, str(row[name]))


def predicate(cond: Condition, lists: Mapping[str, NamedList]) -> Predicate:
    """The Python twin of :func:`._compile.compile_condition` (short-circuit and/or: every
    part is two-valued, so the order of evaluation cannot change the answer)."""
    if isinstance(cond, Leaf):
        return _leaf(cond, lists)
    parts = tuple(predicate(c, lists) for c in cond.items)
    if cond.op == "not":
        inner = parts[0]
        return lambda row: not inner(row)
    if not parts:  # as ``all`` and ``any`` of nothing
        empty = cond.op == "and"
        return lambda row: empty
    if len(parts) == 1:
        return parts[0]
    # chained pairs: ``all``/``any`` over a generator cost a generator per row and node
    return reduce(_both if cond.op == "and" else _either, parts)


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) and second(row)


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) or second(row)


def predicates(profile_set: ProfileSet, firing: Sequence[Profile]) -> Predicate:
    """Whether any profile of ``firing`` hits a row: their predicates tried in profile order
    up to the first hit (the caller keeps it per set and day). Not a chain of nested ``or``
    closures: a set of a thousand profiles would nest past the recursion limit."""
    tests = [predicate(p.condition, profile_set.lists) for p in firing]

    def hit(row: Row) -> bool:
        return any(test(row) for test in tests)

    return hit


_TYPED_FIELDS = tuple(n for n, spec in DECLARED_FIELDS.items() if spec.source != "derived")
# Each declared field's type class (none is parametric: the class says the type).
_TYPE_CLASSES = {n: type(POLARS_TYPES[DECLARED_FIELDS[n].kind]) for n in _TYPED_FIELDS}
# The fields that can hold a NaN once typed: the numbers.
_NUMBER_FIELDS = tuple(n for n in _TYPED_FIELDS if DECLARED_FIELDS[n].kind == "number")


def _typed(lines: pl.DataFrame) -> bool:
    """Whether ``lines`` has every declared field at its type already (``conform_lines``
    would only recompute the derived fields, which the rows below do themselves)."""
    types = column_types(lines)
    return "_row" not in types and all(
        type(types.get(name)) is cls for name, cls in _TYPE_CLASSES.items())


def _row(values: dict[str, Any]) -> dict[str, Any]:
    """A typed line as ``conform_lines`` leaves it: HTS without dots or spaces, derived
    fields recomputed; raises :class:`_Unreadable` on what the batch path reads otherwise."""
    for name in _NUMBER_FIELDS:  # a typed frame (``_typed``) holds floats nowhere else
        v = values[name]
        if v is not None and math.isnan(v):
            raise _Unreadable  # NaN orders above every number in the batch path
    hts = values.get("hts_code")
    if hts is not None and ("." in hts or any(c.isspace() for c in hts)):
        raise _Unreadable
    value, qty, kg = (values.get(c) for c in ("entered_value_usd", "quantity",
                                              "gross_weight_kg"))
    values["unit_value_usd"] = _ratio(value, qty)
    values["value_per_kg_usd"] = _ratio(value, kg)
    return values


def _ratio(value: float | None, divisor: float | None) -> float | None:
    if value is None or divisor is None or not divisor > 0:
        return None
    try:
        return value / divisor
    except (OverflowError, ZeroDivisionError) as exc:  # pragma: no cover - defensive
        raise _Unreadable from exc


def no_hits(firing: Sequence[Profile], lines: pl.DataFrame, hit: Predicate) -> bool:
    """True only when no profile of ``firing`` hits any line of ``lines`` for certain;
    ``hit``: their :func:`predicates`."""
    if lines.height > SMALL_REQUEST or not _typed(lines):
        return False
    if not firing:
        return True
    try:
        for values in named_rows(lines):
            if hit(_row(dict(values))):  # a copy: the rows are shared with other steps
                return False
    except _Unreadable:
        return False
    return True


__all__ = ["SMALL_REQUEST", "no_hits", "predicate", "predicates", "python_twin"]
