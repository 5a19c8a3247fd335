"""Screening of the few parties of one customs entry, name by name in plain Python.

A scored request holds 1-5 lines, so a handful of parties, most never seen before; the batch
path (:func:`~tradeguard.screening.engine.screen_names`) would pay ~100 us of fixed cost for
each of its sixty-odd Polars queries. :func:`screen_entry` gives the same rows in the same
order from the lookups of :mod:`~tradeguard.screening.entry_lookup` and the batch path's own
scoring, evidence and explanation functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from tradeguard.screening.config import ALGORITHM_NAME, ALGORITHM_VERSION, ScreeningConfig
from tradeguard.screening.engine import MATCH_SCHEMA, _explain, corroborate
from tradeguard.screening.entry_lookup import NameForm, close_slots, name_form
from tradeguard.screening.index import WatchlistIndex
from tradeguard.screening.scorer import NameComparison, PreparedName, compare_names

#: One party to screen: query id, name, country, address.
PartyQuery = tuple[str, str | None, str | None, str | None]
#: One match row, in the column order of :data:`MATCH_SCHEMA`.
MatchRow = tuple[Any, ...]
_ALGORITHM = f"{ALGORITHM_NAME} {ALGORITHM_VERSION}"


def _sort_key(row: MatchRow) -> tuple[Any, ...]:
    # id, score descending, list, entity id, matched name; nulls first, as the batch sort
    return (row[0], -row[4], *((v is not None, v or "") for v in (row[1], row[2], row[3])))


def best_first(rows: list[MatchRow]) -> list[MatchRow]:
    """Best first per id, one row per (id, list, entity): the engine's ``_best_first``."""
    out, seen = [], set()
    for row in sorted(rows, key=_sort_key):
        key = (row[0], row[1], row[2])
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def entry_match_rows(parties: Sequence[PartyQuery], index: WatchlistIndex,
                     cfg: ScreeningConfig) -> list[MatchRow]:
    """Match rows of a few parties, best first per id, as :func:`screen_names` gives them."""
    if index.names.is_empty():
        return []
    lookup = index.entry_lookup()
    prepared, vocabulary = index.prepared, index.commonness
    close: dict[NameForm, list[int]] = {}
    compared: dict[tuple[NameForm, int], NameComparison] = {}
    rows: list[MatchRow] = []
    for qid, name, country, address in parties:
        form = name_form(name)
        if not form[0]:
            continue
        if form not in close:
            close[form] = close_slots(form, lookup, prepared, vocabulary, cfg)
        query = PreparedName(" ".join(form[0]), form[0], form[1], form[2])
        for slot in close[form]:
            comp = compared.get((form, slot))
            if comp is None:
                comp = compared[(form, slot)] = compare_names(query, prepared[slot], cfg,
                                                              vocabulary)
            listed = lookup.listed[slot]
            evidence = corroborate(country, address, listed.country, listed.addresses, cfg)
            score = round(min(1.0, max(0.0, comp.score + evidence.adjustment)), 4)
            if score < cfg.threshold:
                continue
            tokens_text, q_only, l_only, form_text, text = _explain(comp)
            text += f"; country {evidence.country}; address {evidence.address}"
            lst = listed.list_name
            version = (listed.list_version
                       or (index.versions.get(lst) if lst is not None else None)
                       or index.versions.get("watchlists", "unversioned"))
            rows.append((qid, lst, listed.entity_id, listed.variant, score, comp.score,
                         listed.is_alias, tokens_text, q_only, l_only, form_text,
                         evidence.country, evidence.address, text, version, _ALGORITHM))
    return best_first(rows)


def screen_entry(parties: Sequence[PartyQuery], index: WatchlistIndex,
                 config: ScreeningConfig | None = None) -> pl.DataFrame:
    """:func:`~tradeguard.screening.engine.screen_names` of a few parties, as a frame."""
    rows = entry_match_rows(parties, index, config or ScreeningConfig())
    return pl.DataFrame(rows, schema=MATCH_SCHEMA, orient="row")
