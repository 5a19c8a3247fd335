"""The fitted valuation tables as dicts, for scoring a request's few lines without Polars.

Peer rows per level and (code, unit[, origin]), each party kind's history per (party, HTS-10,
unit), each importer's lines in the window, and the tariff's general rate per HTS-10: a dict
lookup costs a microsecond where a Polars join costs ~100 us. Built once per fitted baseline
and party history (and per tariff), and kept with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from tradeguard.detectors.peers import ANY_ORIGIN_LEVELS, LEVELS, PEER_COLUMNS
from tradeguard.kept import Kept

Key = tuple[object, ...]
Row = tuple[object, ...]

# Peer columns kept as stored (the code, and counts the findings state as integers); the other
# statistics are cut as floats once here, as the request path would convert each per line.
_AS_STORED = frozenset({"code", "n", "lvpk_n", "lkpu_n"})
_PARTY_STATS = ("_p_med", "_p_sig", "_p_min", "_p_max")


@dataclass(frozen=True, slots=True)
class PartyRows:
    """One party kind's history (:func:`party_table`): (party, HTS-10, unit) -> (lines,
    median, spread, lowest, highest) of log unit value (floats), and the pooled variance of
    the kind."""

    rows: dict[Key, Row]
    pooled2: float


@dataclass(frozen=True, slots=True)
class EntryReferences:
    """The fitted tables as dicts: peer rows per level (the statistics but the code and the
    counts as floats), party histories per kind, and each importer's lines in the window
    (None without a party history)."""

    levels: dict[str, dict[Key, Row]]
    parties: dict[str, PartyRows] | None
    importers: dict[object, object] | None


def _unique(rows: Sequence[Row], width: int) -> dict[Key, Row] | None:
    """``rows`` by their first ``width`` fields (rows with a null key left out: a join never
    matches them); None when a key repeats (a join would repeat the line)."""
    out: dict[Key, Row] = {}
    for row in rows:
        key = row[:width]
        if any(part is None for part in key):
            continue
        if key in out:
            return None
        out[key] = row[width:]
    return out


def entry_references(baseline: pl.DataFrame,
                     parties: dict[str, tuple[pl.DataFrame, float]] | None,
                     counts: pl.DataFrame | None) -> EntryReferences | None:
    """The dicts of one fitted baseline and party history (``parties``: :func:`party_table`
    per kind; ``counts``: :func:`importer_counts`); None when a key repeats."""
    levels: dict[str, dict[Key, Row]] = {}
    for lvl in LEVELS:
        on = ["code", "unit"] + ([] if lvl in ANY_ORIGIN_LEVELS else ["origin"])
        part = baseline.filter(pl.col("level") == lvl).select(
            *[pl.col(c).alias(f"_on_{c}") for c in on],
            *[pl.col(c) if c in _AS_STORED else pl.col(c).cast(pl.Float64)
              for c in PEER_COLUMNS])
        found = _unique(part.rows(), len(on))
        if found is None:
            return None
        levels[lvl] = found
    kinds: dict[str, PartyRows] | None = None
    if parties is not None:
        kinds = {}
        for kind, (own, pooled2) in parties.items():
            rows = _unique(own.select("_party", "hts10", "unit", f"{kind}_history_lines",
                                      *[pl.col(c).cast(pl.Float64) for c in _PARTY_STATS]
                                      ).rows(), 3)
            if rows is None:
                return None
            kinds[kind] = PartyRows(rows, pooled2)
    importers: dict[object, object] | None = None
    if counts is not None:
        found = _unique(counts.select("_importer", "_lines").rows(), 1)
        if found is None:
            return None
        importers = {k[0]: v[0] for k, v in found.items()}
    return EntryReferences(levels, kinds, importers)


_TARIFFS: Kept[int, tuple[pl.DataFrame, dict[object, object]]] = Kept(1)


def tariff_lookup(rates: pl.DataFrame) -> dict[object, object]:
    """hts10 -> general ad valorem rate of :func:`tariff_rates` (one tariff kept at a time)."""
    known = _TARIFFS.get(id(rates))
    if known is not None and known[0] is rates:
        return known[1]
    return _TARIFFS.keep(id(rates), (rates, dict(rates.select("hts10", "_tariff_rate").rows())))[1]
