"""Calibration: does a probability of 0.3 mean three in ten? ECE, Brier and the reliability
curve over examined lines, weighted by 1 / selection probability so the random sample stands
for the unexamined lines."""

from __future__ import annotations

import numpy as np

from tradeguard.governance.audit.policy import AuditPolicy
from tradeguard.governance.audit.results import Section, judge
from tradeguard.governance.audit.stats import clean


def reliability_curve(prob: np.ndarray, y: np.ndarray, bins: int,
                      weight: np.ndarray | None = None) -> list[dict[str, float]]:
    """Equal-width bins over [0, 1]: weighted mean predicted, observed rate and weight."""
    p, t = np.asarray(prob, float), np.asarray(y, float)
    w = np.ones_like(p) if weight is None else np.asarray(weight, float)
    idx = np.clip((p * bins).astype(int), 0, bins - 1)
    wsum = np.bincount(idx, w, bins)
    psum = np.bincount(idx, w * p, bins)
    ysum = np.bincount(idx, w * t, bins)
    return [{"bin": i, "weight": float(wsum[i]), "predicted": float(psum[i] / wsum[i]),
             "observed": float(ysum[i] / wsum[i])} for i in np.flatnonzero(wsum > 0)]


def expected_calibration_error(prob: np.ndarray, y: np.ndarray, bins: int = 10,
                               weight: np.ndarray | None = None) -> float:
    """Sum over bins of (bin weight share) x |observed rate - mean predicted|."""
    curve = reliability_curve(prob, y, bins, weight)
    total = sum(c["weight"] for c in curve)
    if total <= 0:
        return float("nan")
    return float(sum(c["weight"] / total * abs(c["observed"] - c["predicted"]) for c in curve))


def brier_score(prob: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Weighted mean squared difference between probability and 0/1 outcome."""
    p, t = np.asarray(prob, float), np.asarray(y, float)
    w = np.ones_like(p) if weight is None else np.asarray(weight, float)
    return float(np.sum(w * (p - t) ** 2) / np.sum(w)) if np.sum(w) > 0 else float("nan")


def validity_section(prob: np.ndarray, y: np.ndarray, weight: np.ndarray,
                     policy: AuditPolicy) -> Section:
    """Calibration of the model probability on examined lines (``weight`` > 0)."""
    pol = policy.validity
    sec = Section("validity", "Do the probabilities mean what they say?",
                  "Expected calibration error, Brier score and the reliability curve of the "
                  "model probability against exam outcomes (inverse-probability weighted).")
    seen = weight > 0
    if not seen.any():
        sec.skipped = "no examined line with a model probability"
        return sec
    p, t, w = prob[seen], y[seen], weight[seen]
    ece = expected_calibration_error(p, t, pol.bins, w)
    brier = brier_score(p, t, w)
    sec.checks += [judge("ece", clean(ece), pol.max_ece, "<="),
                   judge("brier", clean(brier), pol.max_brier, "<=")]
    sec.tables["reliability_curve"] = reliability_curve(p, t, pol.bins, w)
    sec.plots["reliability"] = [(c["predicted"], c["observed"], c["weight"])
                                for c in sec.tables["reliability_curve"]]
    return sec
