"""Reason codes: the trees' own per-feature contributions, said in plain words.

An officer, an importer reading a notice, or an appeal reviewer needs "importer's past
discrepancy rate" rather than ``hist_importer_rate``. Every feature maps to one reason (several
features may share a reason, e.g. the count and the rate of the same party); contributions of
features sharing a reason are summed before ranking, so a reason is as strong as its group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from tradeguard.model._history import (
    STAT_COUNT,
    STAT_CRITICAL,
    STAT_PRICE_GAP,
    STAT_RATE,
    HistorySpec,
    feature_name,
)

# Joins a combination's codes into one string (split back into its list).
_SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class ReasonCode:
    """A stable code (for reports and appeals) and the sentence fragment shown to people."""

    code: str
    text: str


_STAT_REASON: dict[str, tuple[str, str]] = {
    STAT_RATE: ("discrepancy_rate", "{label}'s past discrepancy rate"),
    STAT_COUNT: ("discrepancy_rate", "{label}'s past discrepancy rate"),
    STAT_CRITICAL: ("critical_rate", "{label}'s past rate of critical discrepancies"),
    STAT_PRICE_GAP: ("unit_price_gap", "declared unit price vs {label} peers"),
}


def history_reasons(spec: HistorySpec) -> dict[str, ReasonCode]:
    """Reason codes for every history feature of ``spec`` (count and rate share one reason)."""
    reasons: dict[str, ReasonCode] = {}
    for key in spec.keys:
        for stat, (suffix, template) in _STAT_REASON.items():
            reasons[feature_name(key, stat)] = ReasonCode(
                f"model_{key.name}_{suffix}", template.format(label=key.label)
            )
    return reasons


def default_reason(feature: str) -> ReasonCode:
    """Fallback for a feature nobody described: still stable, still readable."""
    slug = "".join(ch if ch.isalnum() else "_" for ch in feature.lower()).strip("_")
    return ReasonCode(f"model_{slug}", f"declared {feature}")


def resolve_reasons(
    features: Iterable[str], catalog: Mapping[str, ReasonCode] | None
) -> dict[str, ReasonCode]:
    """One reason per feature: from the catalog when described, else the fallback."""
    catalog = catalog or {}
    return {f: catalog.get(f) or default_reason(f) for f in features}


def group_matrix(
    features: list[str], reasons: Mapping[str, ReasonCode]
) -> tuple[list[ReasonCode], np.ndarray]:
    """The distinct reasons and a features x reasons 0/1 matrix that sums contributions."""
    distinct: dict[str, ReasonCode] = {}
    for f in features:
        distinct.setdefault(reasons[f].code, reasons[f])
    codes = list(distinct)
    matrix = np.zeros((len(features), len(codes)))
    for i, f in enumerate(features):
        matrix[i, codes.index(reasons[f].code)] = 1.0
    return list(distinct.values()), matrix


def top_reasons(
    contributions: np.ndarray,
    features: list[str],
    reasons: Mapping[str, ReasonCode],
    k: int = 3,
) -> tuple[pl.Series, np.ndarray]:
    """For each row, the ``k`` reasons pushing its score up the most (positive ones only).

    ``contributions`` is rows x (features + 1) as LightGBM's ``pred_contrib`` returns it (the
    last column is the bias). Returns a list-of-codes series and the rows x reasons summed matrix.
    Equal strengths rank in reason order.
    """
    distinct, matrix = group_matrix(features, reasons)
    grouped = contributions[:, : len(features)] @ matrix
    k = min(k, grouped.shape[1])
    if k <= 0:
        return pl.Series("reasons", [[]] * grouped.shape[0], dtype=pl.List(pl.String)), grouped
    order, strength = _strongest(grouped, k)
    return _lists(np.where(~(strength <= 0), order + 1, 0), [r.code for r in distinct]), grouped


def _lists(picked: np.ndarray, codes: list[str]) -> pl.Series:
    """Per row the codes of ``picked`` (rows x k; code number + 1, 0 for none), in order.

    Rows pick from few combinations of codes (hundreds in 50,000 lines): each distinct one is
    listed once and gathered, far cheaper than concatenating lists row by row.
    """
    import pandas as pd

    combination = np.zeros(picked.shape[0], dtype=np.int64)
    for column in picked.T:
        combination = pd.factorize(combination * (len(codes) + 1) + column)[0]
    first = np.zeros(int(combination.max(initial=-1)) + 1, dtype=np.int64)
    first[combination] = np.arange(picked.shape[0])
    lists = [[codes[c - 1] for c in row if c] for row in picked[first].tolist()]
    if any(not code or _SEPARATOR in code for code in codes):
        return pl.Series("reasons", lists, dtype=pl.List(pl.String)).gather(combination)
    # Each combination's codes joined by a unit separator and split back into a list: a
    # Series built from nested Python lists costs far more per list.
    joined = pl.Series("reasons", [_SEPARATOR.join(c) for c in lists], dtype=pl.String)
    listed = pl.select(pl.when(joined == "").then(pl.lit([], dtype=pl.List(pl.String)))
                       .otherwise(joined.str.split(_SEPARATOR)).alias("reasons")).to_series()
    return listed.gather(combination)


def _strongest(grouped: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row the columns of its ``k`` largest values, largest first and equal ones in
    column order (a stable descending sort), and those values.

    Without NaNs that is ``k`` rounds of the first largest value (set aside after each): a
    few passes over the matrix instead of sorting every row.
    """
    if np.isnan(grouped).any():
        order = np.argsort(-grouped, axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(grouped, order, axis=1)
    rest = grouped.copy()
    rows = np.arange(grouped.shape[0])
    order = np.empty((grouped.shape[0], k), dtype=np.int64)
    strength = np.empty((grouped.shape[0], k))
    for i in range(k):
        column = rest.argmax(axis=1)
        order[:, i] = column
        strength[:, i] = rest[rows, column]
        rest[rows, column] = -np.inf
    return order, strength


def strongest_few(grouped: list[list[float]], k: int) -> list[list[int]] | None:
    """Per row (a few rows, as lists) the columns :func:`_strongest` ranks first among its
    ``k`` and :func:`top_reasons` keeps (above zero), in its order: a stable descending sort,
    equal values in column order. None when a row holds a NaN (the array path ranks it)."""
    out: list[list[int]] = []
    for row in grouped:
        total = sum(row)  # NaN when a value is, or when infinities cancel
        if total != total and any(v != v for v in row):
            return None
        top = sorted(range(len(row)), key=row.__getitem__, reverse=True)[:k]
        out.append([c for c in top if row[c] > 0])
    return out
