"""Efficacy without selection bias: what an exam budget of the top k % would find.

Outcomes exist only for examined lines, and the model chose most of them. Each examined line
is weighted by 1 / its recorded selection probability (1 for forced and targeted lines, the
sample rate for random-sample lines), which gives Horvitz-Thompson totals over *all* lines;
precision, recall, revenue capture and lift over random selection are ratios of those totals
(Hajek), with Poisson-bootstrap intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tradeguard.governance.audit.policy import AuditPolicy
from tradeguard.governance.audit.results import Check, Section, judge
from tradeguard.governance.audit.stats import clean, interval, poisson_weights, ratio


@dataclass(frozen=True)
class Observed:
    """Per-line arrays: score, examined flag, IPW weight (0 when unobserved), outcome, duty."""

    score: np.ndarray
    weight: np.ndarray
    y: np.ndarray
    revenue: np.ndarray

    @classmethod
    def build(cls, score: np.ndarray, examined: np.ndarray, probability: np.ndarray,
              y: np.ndarray, revenue: np.ndarray) -> Observed:
        p = np.asarray(probability, dtype=float)
        ok = np.asarray(examined, dtype=bool) & (p > 0)
        w = np.where(ok, 1.0 / np.where(p > 0, p, 1.0), 0.0)
        return cls(np.asarray(score, dtype=float), w,
                   np.nan_to_num(np.asarray(y, dtype=float)) * ok,
                   np.nan_to_num(np.asarray(revenue, dtype=float)) * ok)


def top_mask(score: np.ndarray, pct: float) -> np.ndarray:
    """Boolean mask of the top ``pct`` % of all lines by score (ties by row order)."""
    n = score.size
    k = max(1, int(np.ceil(n * pct / 100 - 1e-9)))
    mask = np.zeros(n, dtype=bool)
    mask[np.argsort(-score, kind="stable")[:k]] = True
    return mask


def ipw_estimates(obs: Observed, pct: float, boot: np.ndarray | None = None
                  ) -> dict[str, np.ndarray]:
    """Precision, recall, revenue capture, base rate and lift at ``pct``; one value per
    replicate row of ``boot`` (or a single value without it)."""
    b = np.ones((1, obs.score.size)) if boot is None else boot
    top = top_mask(obs.score, pct)
    w = b * obs.weight
    wy, wr = w * obs.y, w * obs.revenue
    precision = ratio(wy[:, top].sum(1), w[:, top].sum(1))
    base = ratio(wy.sum(1), w.sum(1))
    return {"precision": precision, "recall": ratio(wy[:, top].sum(1), wy.sum(1)),
            "revenue": ratio(wr[:, top].sum(1), wr.sum(1)), "base_rate": base,
            "lift": ratio(precision, base)}


def naive_precision(obs: Observed, pct: float) -> float:
    """Precision among examined top lines, unweighted: what ignoring selection would say."""
    top = top_mask(obs.score, pct) & (obs.weight > 0)
    return float(obs.y[top].mean()) if top.any() else float("nan")


def efficacy_section(obs: Observed, random_lines: int, policy: AuditPolicy,
                     label: str) -> Section:
    """The efficacy section for one score (``label`` says which: model or targeting)."""
    pol, bs = policy.efficacy, policy.bootstrap
    sec = Section("efficacy", "Does it find violations better than random selection?",
                  f"Precision, recall, revenue captured and lift of the {label} at exam "
                  "budgets, estimated over all lines by inverse-probability weighting of "
                  "examined lines.")
    boot = poisson_weights(obs.score.size, bs.replicates, bs.seed)
    rows = []
    for pct in pol.budgets_pct:
        point = {k: float(v[0]) for k, v in ipw_estimates(obs, pct).items()}
        reps = ipw_estimates(obs, pct, boot)
        row: dict[str, Any] = {"budget_pct": pct, "naive_precision":
                                  clean(naive_precision(obs, pct))}
        for k, v in point.items():
            lo, hi = interval(reps[k], bs.confidence)
            row[k], row[f"{k}_low"], row[f"{k}_high"] = clean(v), clean(lo), clean(hi)
        rows.append(row)
        if pct == pol.gate_budget_pct:
            sec.checks.append(judge(
                f"lift_lower_at_{pct:g}pct", row["lift_low"], pol.min_lift_lower, ">=",
                low=row["lift_low"], high=row["lift_high"],
                note=f"lift {row['lift']} (lower bound judged)"))
            sec.checks.append(judge(f"precision_at_{pct:g}pct", row["precision"],
                                    pol.min_precision_at_gate, ">="))
    sec.checks.append(judge("random_sample_lines", float(random_lines),
                            float(pol.min_random_sample_lines), ">=",
                            note="examined lines from the random compliance sample"))
    sec.tables["budgets"] = rows
    sec.plots["lift"] = [(r["budget_pct"], r["lift"], r["lift_low"], r["lift_high"])
                         for r in rows]
    return sec


def as_check_list(sec: Section) -> list[Check]:
    """The checks (for callers that merge sections)."""
    return list(sec.checks)
