"""The model's line features for the few lines of one entry, worked out in plain Python.

A scoring request holds one entry of 1-5 lines. :func:`~tradeguard.model.line_features.
line_features` builds them with some twenty Polars queries of ~100 us fixed cost each; here
the lines are read once and the same values are worked out with scalar Python (the same IEEE
operations in the same order, so the same doubles) and dictionary lookups into the history's
statistics (:func:`~tradeguard.model._history.history_lookup`).

Only lines this path reads exactly as the frame path does are taken: typed fields (numbers as
Float64, text as String, flags as Boolean), ASCII text (whose case mapping and white space
both paths agree on) and finite numbers. For anything else :func:`entry_features` answers
None and the caller takes the frame path.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

import polars as pl

from tradeguard.findings import SEVERITY_RANK, Category
from tradeguard.kept import Kept
from tradeguard.model._history import HistorySpec, add_lookup_stats, history_lookup
from tradeguard.request_path import REQUEST_LINES

#: Up to this many lines a batch may take this path (a request holds 1-5).
SMALL_ENTRY_LINES = REQUEST_LINES

# ASCII white space as Polars strips it (and as its regex ``\s`` matches it).
_SPACE = " \t\n\x0b\x0c\r"
_HTS_DROP = str.maketrans("", "", "." + _SPACE)

_NUMBERS = ("entered_value_usd", "quantity", "gross_weight_kg", "duty_rate", "duty_usd",
            "additional_duty_usd", "adcvd_deposit_usd")
_TEXTS = ("country_of_origin", "hts_code", "manufacturer_id", "importer_id",
          "adcvd_case_number", "chapter99_numbers", "spi", "country_of_export",
          "manufacturer_country", "entry_type", "mode_of_transport")
_FLAGS = ("related_party", "trusted_trader")
# The fields a line is read for (the others of a declaration are never looked at).
_FIELDS = ("entry_number", "line_number", *_NUMBERS, *_TEXTS, *_FLAGS)
# The type each field must have where a frame holds it (the classes: these types take no
# parameters, so a class test is the equality test without Polars' slower comparison).
_TYPES: dict[str, type[pl.DataType]] = {
    "entry_number": pl.String, "line_number": pl.Int64,
    **dict.fromkeys(_NUMBERS, pl.Float64), **dict.fromkeys(_TEXTS, pl.String),
    **dict.fromkeys(_FLAGS, pl.Boolean)}

_KEYS = frozenset({"entry_number", "line_number"})
_FINDING_COLUMNS = ("entry_number", "line_number", "category", "severity")
_FOUND = frozenset(_FINDING_COLUMNS)
_FINDING_TYPES: dict[str, type[pl.DataType]] = {
    "entry_number": pl.String, "category": pl.String, "severity": pl.String,
    "line_number": pl.Int64}

_MODEL = Category.MODEL.value  # the model's own findings: never a feature
#: More findings than this are not only one entry's: its own are picked out first.
_FEW_FINDINGS = 256

Line = dict[str, Any]


def _typed(columns: Sequence[str], frame: pl.DataFrame,
           types: Mapping[str, type[pl.DataType]]) -> bool:
    """Whether ``frame`` (of ``columns``) holds each of the fields ``types`` names typed so,
    when it has it (their places in a frame of these columns found once, and read in one
    call)."""
    key = (tuple(columns), id(types))
    kept = _PLACES.get(key)
    if kept is None or kept[0] is not types:
        at = {name: i for i, name in enumerate(columns)}
        places = [at[name] for name in types if name in at]
        kinds = tuple(kind for name, kind in types.items() if name in at)
        # each place twice: a tuple even for one field
        read: _Read | None = itemgetter(*places, *places) if places else None
        kept = _PLACES.keep(key, (types, read, kinds * 2))
    if kept[1] is None:
        return True
    return tuple(map(type, kept[1](frame.dtypes))) == kept[2]


# (columns, the types checked) -> those types, a read of the fields checked that the frame
# has (each twice, so that it gives a tuple), and their types (twice likewise)
_Read = Callable[[Sequence[Any]], tuple[Any, ...]]
_PLACES_KEPT = 64
_PLACES: Kept[tuple[tuple[str, ...], int],
              tuple[Mapping[str, type[pl.DataType]], _Read | None,
                    tuple[type[pl.DataType], ...]]] = Kept(_PLACES_KEPT)


def _log1p(x: float | None) -> float | None:
    return math.log1p(x) if x is not None and x >= 0 else None


def _ratio_log(x: float | None, y: float | None) -> float | None:
    return math.log(x / y) if x is not None and y is not None and x > 0 and y > 0 else None


def _differs(other: str | None, origin: str | None) -> float | None:
    if other is None or origin is None:
        return None
    return 1.0 if other.upper() != origin else 0.0


def _reader(columns: Sequence[str]) -> itemgetter[tuple[Any, ...]]:
    """Reads a row of a frame of ``columns`` (with a None appended) as the values of
    :data:`_FIELDS` in their order, None for a field the frame lacks (found once per
    columns: a request's frames share them)."""
    key = tuple(columns)
    get = _READERS.get(key)
    if get is None:
        at = {name: i for i, name in enumerate(columns)}
        get = _READERS.keep(key, itemgetter(*[at.get(name, len(at)) for name in _FIELDS]))
    return get


_READERS: Kept[tuple[str, ...], itemgetter[tuple[Any, ...]]] = Kept(_PLACES_KEPT)


def _plain(values: tuple[Any, ...]) -> bool:
    """Whether every text read is ASCII and every number finite (what this path reads
    exactly); the texts are tested joined, in one call."""
    texts = [v for v in values[_TEXT_AT] if v is not None]
    if values[0] is not None:
        texts.append(values[0])
    if not "".join(texts).isascii():
        return False
    numbers = [v for v in values[_NUMBER_AT] if v is not None]
    # a finite sum means every number is finite; any other sum (an overflow, say) is
    # checked number by number
    return math.isfinite(sum(numbers)) or all(map(math.isfinite, numbers))


# Where the numbers, texts and flags sit among the values of :data:`_FIELDS`.
_NUMBER_AT = slice(2, 2 + len(_NUMBERS))
_TEXT_AT = slice(_NUMBER_AT.stop, _NUMBER_AT.stop + len(_TEXTS))
_FLAG_AT = slice(_TEXT_AT.stop, None)


def _declared(values: tuple[Any, ...], lines_in_entry: int) -> Line:
    """Declared-field features and history keys of one line (``_declared_exprs``), from
    its values of :data:`_FIELDS`; with its keys."""
    value, qty, weight, rate, duty, extra, deposit = values[_NUMBER_AT]
    stake = ((0.0 if duty is None else duty) + (0.0 if extra is None else extra)
             + (0.0 if deposit is None else deposit))
    # each text stripped, blank as None (``_fields.text``)
    (origin, hts, mid, importer, case, chapter99, spi, export, made_in, entry_type,
     transport) = [None if v is None else v.strip(_SPACE) or None for v in values[_TEXT_AT]]
    related, trusted = values[_FLAG_AT]
    origin = origin.upper() if origin is not None else None
    hts = hts.translate(_HTS_DROP) if hts is not None else None
    return {
        "log_value": _log1p(value),
        "log_unit_value": _ratio_log(value, qty),
        "log_value_per_kg": _ratio_log(value, weight),
        "log_quantity": _log1p(qty), "log_weight": _log1p(weight),
        "duty_rate": rate,
        "log_duty_at_stake": _log1p(stake),
        "effective_duty_rate": stake / value if value is not None and value > 0 else None,
        "has_adcvd_case": 0.0 if case is None else 1.0,
        "has_chapter99": 0.0 if chapter99 is None else 1.0,
        "spi_claimed": 0.0 if spi is None else 1.0,
        "related_party": None if related is None else float(related),
        "trusted_trader": None if trusted is None else float(trusted),
        "origin_export_differ": _differs(export, origin),
        "manufacturer_origin_differ": _differs(made_in, origin),
        "mid_origin_differ": _differs(mid[:2] if mid is not None else None, origin),
        "lines_in_entry": float(lines_in_entry),
        "hs_chapter": hts[:2] if hts is not None else None,
        "country_of_origin": origin,
        "entry_type": entry_type, "mode_of_transport": transport,
        # history keys (``_history_keys``)
        "importer_id": importer,
        "manufacturer_id": mid.upper() if mid is not None else None,
        "hs6": hts[:6] if hts is not None else None,
        "entry_number": values[0], "line_number": values[1],
    }


@lru_cache(maxsize=8)
def _finding_names(categories: tuple[str, ...]) -> tuple[tuple[tuple[str, str], ...],
                                                       dict[str, float]]:
    """(category, its feature) pairs, and every finding feature of a line without findings."""
    names = tuple((c, f"findings_{c}") for c in categories)
    return names, {**{name: 0.0 for _, name in names},
                   "findings_max_severity": 0.0, "findings_total": 0.0}


def _finding_features(lines: list[Line], findings: pl.DataFrame, present: list[str],
                      categories: Sequence[str]) -> None:
    """Counts per category, the strongest severity and the total (``finding_features``),
    added to each line: line findings on their line, entry findings on every line
    (``present``: the findings' columns)."""
    names, nothing = _finding_names(tuple(categories))
    columns = _FINDING_COLUMNS
    rows: Iterable[tuple[Any, ...]]
    if findings.is_empty():
        rows = ()
    elif findings.height > _FEW_FINDINGS:  # not only the entry's: its own, in one query
        entries = pl.Series([line["entry_number"] for line in lines], dtype=pl.String)
        rows = findings.select(columns).filter(
            pl.col("entry_number").is_in(entries.implode())).rows()
    else:  # a few rows: read whole, no query
        at = [present.index(c) for c in columns]
        rows = [tuple(row[i] for i in at) for row in findings.rows()]
    on_line: dict[tuple[Any, Any], list[tuple[str, Any]]] = {}
    on_entry: dict[Any, list[tuple[str, Any]]] = {}
    for entry, line, category, severity in rows:
        if category is None or category == _MODEL or entry is None:
            continue
        if line is None:
            on_entry.setdefault(entry, []).append((category, severity))
        else:
            on_line.setdefault((entry, line), []).append((category, severity))
    for line_row in lines:
        entry = line_row["entry_number"]
        found = (on_line.get((entry, line_row["line_number"]), [])
                 + on_entry.get(entry, []))
        if not found:
            line_row.update(nothing)
            continue
        counts = Counter(category for category, _ in found)
        for c, name in names:
            line_row[name] = float(counts.get(c, 0))
        ranks = [float(SEVERITY_RANK.get(s, 0)) for _, s in found if s is not None]
        line_row["findings_max_severity"] = max(ranks, default=0.0)
        line_row["findings_total"] = float(len(found))


def _history_features(lines: list[Line], history: pl.DataFrame | None,
                      spec: HistorySpec) -> bool:
    """History statistics per line (``history_features``); False when the history's
    columns are not ones this path reads as the frame path does."""
    lookup = history_lookup(history, spec)
    if lookup is None:
        return False
    add_lookup_stats(lookup, spec, lines)
    return True


def entry_features(decl: pl.DataFrame, findings: pl.DataFrame, history: pl.DataFrame | None,
                   spec: HistorySpec, categories: Sequence[str]) -> list[Line] | None:
    """Per line of ``decl`` (in order) its features by name, as ``line_features`` gives them
    (None for null); None when the lines need the frame path."""
    columns = decl.columns
    if not 0 < decl.height <= SMALL_ENTRY_LINES or not _KEYS.issubset(columns) \
            or not _typed(columns, decl, _TYPES):
        return None
    found = findings.columns
    if not _FOUND.issubset(found) or not _typed(found, findings, _FINDING_TYPES):
        return None
    get = _reader(columns)
    rows = [get((*row, None)) for row in decl.rows()]
    if not all(map(_plain, rows)):
        return None
    entries = [row[0] for row in rows]
    lines = [_declared(row, entries.count(row[0])) for row in rows]
    _finding_features(lines, findings, found, categories)
    if not _history_features(lines, history, spec):
        return None
    return lines
