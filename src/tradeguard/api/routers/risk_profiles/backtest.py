"""Back-tests of a profile set over the stored lines, and the published set's hit rates.

A back-test runs the set as ``tradeguard rules test`` does: validity windows ignored (a profile
is tested before it is switched on), hit rates from the stored exam outcomes with Wilson
intervals. It is one vectorised evaluation of the whole store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

from tradeguard.api.problems import ApiProblem
from tradeguard.api.services import Services
from tradeguard.rules import ProfileSet, declaration_lines, evaluate, hit_rates

_HITS_CACHE = "risk_profiles.hit_rates"


@dataclass(frozen=True, slots=True)
class BackTest:
    """Per profile: stored lines hit and, among those examined, the discrepancy rate."""

    version: str
    lines: int
    outcomes: int
    table: pl.DataFrame  # HIT_RATE_SCHEMA


def back_test(services: Services, pset: ProfileSet) -> BackTest:
    """Run ``pset`` over every stored line; hit rates from the stored exam outcomes."""
    from tradeguard.api.records import stored_declarations, stored_outcomes

    history = stored_declarations(services.engine)
    outcomes = stored_outcomes(services.engine)
    try:
        frame = declaration_lines(history.entries, history.lines)
        result = evaluate(pset, frame, on=None)
        table = hit_rates(result.hits, outcomes, [p.id for p in pset.profiles])
    except ValueError as exc:
        raise ApiProblem(422, f"the stored lines cannot be evaluated: {exc}") from exc
    return BackTest(pset.version, frame.height, outcomes.height, table)


def _table_count(conn: sa.Connection, name: str) -> int:
    from tradeguard.store.tables import CONTRACT_TABLES

    return int(conn.execute(sa.select(sa.func.count()).select_from(
        CONTRACT_TABLES[name])).scalar_one())


def stored_hit_rates(services: Services, pset: ProfileSet) -> BackTest | None:
    """:func:`back_test` of the published set, kept until the set or the store changes;
    None while no exam outcome is stored."""
    with services.engine.connect() as conn:
        counts = (_table_count(conn, "lines"), _table_count(conn, "outcomes"))
    if counts[1] == 0:
        return None
    key = (pset.version, counts)
    cached = services.cache.get(_HITS_CACHE)
    if isinstance(cached, tuple) and cached[0] == key:
        found: BackTest = cached[1]
        return found
    result = back_test(services, pset)
    services.cache[_HITS_CACHE] = (key, result)
    return result


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) \
        else float(value)


def hits_of(table: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Rows of a hit-rate table by profile id (NaN as None)."""
    out: dict[str, dict[str, Any]] = {}
    for row in table.to_dicts():
        pid = str(row.pop("profile_id"))
        out[pid] = {k: _number(v) if k in ("hit_rate", "ci_low", "ci_high") else int(v)
                    for k, v in row.items()}
    return out


def back_test_rows(result: BackTest) -> dict[str, Any]:
    """A back-test for JSON (and for the record of a pending publication)."""
    return {"version": result.version, "lines": result.lines, "outcomes": result.outcomes,
            "profiles": [{"profile_id": k, **v} for k, v in hits_of(result.table).items()]}
