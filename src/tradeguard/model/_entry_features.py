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
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import polars as pl

from tradeguard.findings import SEVERITY_RANK, Category
from tradeguard.model._history import HistorySpec, history_lookup, lookup_stats
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
_READ = ("entry_number", *_NUMBERS, *_TEXTS)
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
    when it has it (their places in a frame of these columns found once)."""
    key = (tuple(columns), id(types))
    kept = _PLACES.get(key)
    if kept is None or kept[0] is not types:
        if len(_PLACES) >= _PLACES_KEPT:
            _PLACES.clear()
        at = {name: i for i, name in enumerate(columns)}
        kept = _PLACES[key] = (types, tuple((at[name], kind) for name, kind in types.items()
                                            if name in at))
    places = kept[1]
    dtypes = frame.dtypes
    return all(type(dtypes[i]) is kind for i, kind in places)


# (columns, the types checked) -> those types, and (place, type) of each field checked that
# the frame has
_PLACES: dict[tuple[tuple[str, ...], int], tuple[Mapping[str, type[pl.DataType]],
                                                 tuple[tuple[int, type[pl.DataType]], ...]]] = {}
_PLACES_KEPT = 64


def _text(value: str | None) -> str | None:
    """A text field stripped, blank as None (``_fields.text``)."""
    if value is None:
        return None
    value = value.strip(_SPACE)
    return value or None


def _log1p(x: float | None) -> float | None:
    return math.log1p(x) if x is not None and x >= 0 else None


def _ratio_log(x: float | None, y: float | None) -> float | None:
    return math.log(x / y) if x is not None and y is not None and x > 0 and y > 0 else None


def _differs(other: str | None, origin: str | None) -> float | None:
    if other is None or origin is None:
        return None
    return 1.0 if other.upper() != origin else 0.0


def _present(value: str | None) -> float:
    return 0.0 if value is None else 1.0


def _flag(value: bool | None) -> float | None:
    return None if value is None else float(value)


def _plain(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every text read is ASCII and every number finite (what this path reads
    exactly); a line's texts are tested joined, in one call."""
    for row in rows:
        values = [row.get(name) for name in _READ]
        if not "".join([v for v in values if isinstance(v, str)]).isascii():
            return False
        numbers = [v for v in values if isinstance(v, float)]
        # a finite sum means every number is finite; any other sum (an overflow, say) is
        # checked number by number
        if not math.isfinite(sum(numbers)) and not all(map(math.isfinite, numbers)):
            return False
    return True


def _declared(row: Mapping[str, Any], lines_in_entry: int) -> Line:
    """Declared-field features and history keys of one line (``_declared_exprs``)."""
    def num(name: str) -> float | None:
        value: float | None = row.get(name)
        return value

    value, qty, weight = num("entered_value_usd"), num("quantity"), num("gross_weight_kg")
    duty, extra, deposit = num("duty_usd"), num("additional_duty_usd"), num("adcvd_deposit_usd")
    stake = ((0.0 if duty is None else duty) + (0.0 if extra is None else extra)
             + (0.0 if deposit is None else deposit))
    text = {name: _text(row.get(name)) for name in _TEXTS}
    origin = text["country_of_origin"]
    origin = origin.upper() if origin is not None else None
    hts = text["hts_code"]
    hts = hts.translate(_HTS_DROP) if hts is not None else None
    mid = text["manufacturer_id"]
    return {
        "log_value": _log1p(value),
        "log_unit_value": _ratio_log(value, qty),
        "log_value_per_kg": _ratio_log(value, weight),
        "log_quantity": _log1p(qty), "log_weight": _log1p(weight),
        "duty_rate": num("duty_rate"),
        "log_duty_at_stake": _log1p(stake),
        "effective_duty_rate": stake / value if value is not None and value > 0 else None,
        "has_adcvd_case": _present(text["adcvd_case_number"]),
        "has_chapter99": _present(text["chapter99_numbers"]),
        "spi_claimed": _present(text["spi"]),
        "related_party": _flag(row.get("related_party")),
        "trusted_trader": _flag(row.get("trusted_trader")),
        "origin_export_differ": _differs(text["country_of_export"], origin),
        "manufacturer_origin_differ": _differs(text["manufacturer_country"], origin),
        "mid_origin_differ": _differs(mid[:2] if mid is not None else None, origin),
        "lines_in_entry": float(lines_in_entry),
        "hs_chapter": hts[:2] if hts is not None else None,
        "country_of_origin": origin,
        "entry_type": text["entry_type"], "mode_of_transport": text["mode_of_transport"],
        # history keys (``_history_keys``)
        "importer_id": text["importer_id"],
        "manufacturer_id": mid.upper() if mid is not None else None,
        "hs6": hts[:6] if hts is not None else None,
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
    for line in lines:
        line.update(lookup_stats(lookup, spec, line))
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
    # the fields read, by name (a field the declaration lacks is None, as ``get`` gives it)
    at = {name: i for i, name in enumerate(columns)}
    fields = [(name, at[name]) for name in _FIELDS if name in at]
    rows = [{name: row[i] for name, i in fields} for row in decl.rows()]
    if not _plain(rows):
        return None
    per_entry = Counter(row["entry_number"] for row in rows)
    lines = []
    for row in rows:
        line = _declared(row, per_entry[row["entry_number"]])
        line["entry_number"], line["line_number"] = row["entry_number"], row["line_number"]
        lines.append(line)
    _finding_features(lines, findings, found, categories)
    if not _history_features(lines, history, spec):
        return None
    return lines
