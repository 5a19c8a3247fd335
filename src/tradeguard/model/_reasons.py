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
    """
    distinct, matrix = group_matrix(features, reasons)
    grouped = contributions[:, : len(features)] @ matrix
    k = min(k, grouped.shape[1])
    order = np.argsort(-grouped, axis=1, kind="stable")[:, :k]
    strength = np.take_along_axis(grouped, order, axis=1)
    codes = np.array([r.code for r in distinct], dtype=object)[order]
    codes[strength <= 0] = None
    columns = [pl.Series(f"r{i}", codes[:, i].tolist(), dtype=pl.String) for i in range(k)]
    listed = pl.DataFrame(columns).select(
        pl.concat_list(pl.all()).list.drop_nulls().alias("reasons")
    )
    return listed.to_series(), grouped
