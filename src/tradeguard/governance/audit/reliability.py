"""Reliability: has the data moved away from what the model was trained on, and do two
versions rank lines alike? PSI per feature and for the score against the training snapshot;
Spearman rank correlation and lane churn between versions."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from tradeguard.governance.audit.policy import AuditPolicy
from tradeguard.governance.audit.results import Section, judge
from tradeguard.governance.audit.stats import clean

_EPS = 1e-4


def psi_from_shares(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index: sum (a - e) ln(a / e), empty bins floored at 1e-4."""
    e = np.clip(np.asarray(expected, float), _EPS, None)
    a = np.clip(np.asarray(actual, float), _EPS, None)
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))


def psi(expected: pl.Series, actual: pl.Series, bins: int = 10) -> float:
    """PSI of ``actual`` against ``expected``: quantile bins of the expected for numbers,
    categories for text (nulls are their own bin)."""
    if expected.dtype.is_numeric() and actual.dtype.is_numeric():
        e = expected.cast(pl.Float64).drop_nulls().to_numpy()
        a = actual.cast(pl.Float64).drop_nulls().to_numpy()
        if e.size == 0 or a.size == 0:
            return float("nan")
        edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
        ec = np.bincount(np.searchsorted(edges, e, side="right"), minlength=edges.size + 1)
        ac = np.bincount(np.searchsorted(edges, a, side="right"), minlength=edges.size + 1)
        return psi_from_shares(ec / ec.sum(), ac / ac.sum())
    ev = expected.cast(pl.String).fill_null("<null>").value_counts(name="n")
    av = actual.cast(pl.String).fill_null("<null>").value_counts(name="n")
    name = ev.columns[0]
    both = ev.join(av, on=name, how="full", coalesce=True, suffix="_a").fill_null(0)
    return psi_from_shares(both["n"].to_numpy() / max(1, ev["n"].sum()),
                           both["n_a"].to_numpy() / max(1, av["n"].sum()))


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    ra = pl.Series(a).rank("average").to_numpy()
    rb = pl.Series(b).rank("average").to_numpy()
    if np.std(ra) == 0 or np.std(rb) == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def reliability_section(current: pl.DataFrame, training: pl.DataFrame | None,
                        features: list[str], score_col: str, previous: pl.DataFrame | None,
                        policy: AuditPolicy) -> Section:
    """Drift of every feature and of the score, and stability against ``previous``."""
    pol = policy.reliability
    sec = Section("reliability", "Has the data drifted, and is the ranking stable?",
                  "Population stability index (PSI) of every model feature and of the score "
                  "against the training snapshot; rank correlation and lane changes between "
                  "this version and the previous one on the same lines.")
    rows: list[dict[str, Any]] = []
    if training is not None:
        for col in features:
            if col in training.columns and col in current.columns:
                rows.append({"feature": col, "psi": clean(psi(training[col], current[col],
                                                               pol.psi_bins))})
        worst = max((float(r["psi"]) for r in rows if r["psi"] is not None), default=None)
        sec.checks.append(judge("max_feature_psi", worst, pol.max_feature_psi, "<=",
                                note=f"{len(rows)} features compared"))
        if score_col in training.columns:
            sec.checks.append(judge("score_psi", clean(psi(training[score_col],
                                                           current[score_col], pol.psi_bins)),
                                    pol.max_score_psi, "<="))
    else:
        sec.checks.append(judge("max_feature_psi", None, pol.max_feature_psi, "<=",
                                note="no training snapshot given"))
    sec.tables["feature_psi"] = sorted(rows, key=lambda r: -(r["psi"] or 0))
    sec.plots["psi"] = [(r["feature"], r["psi"]) for r in sec.tables["feature_psi"][:15]]
    if previous is not None:
        keys = ["entry_number", "line_number"]
        both = current.select(*keys, score_col, "lane").join(
            previous.select(*keys, pl.col(score_col).alias("_prev"),
                            pl.col("lane").alias("_prev_lane")), on=keys, how="inner")
        if both.height >= 3:
            rho = spearman(both[score_col].to_numpy(), both["_prev"].to_numpy())
            churn = float((both["lane"] != both["_prev_lane"]).to_numpy().mean())
            sec.checks += [judge("rank_correlation", clean(rho), pol.min_rank_correlation,
                                 ">=", note=f"{both.height} lines scored by both versions"),
                           judge("lane_churn", churn, pol.max_lane_churn, "<=")]
    return sec
