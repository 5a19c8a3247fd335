"""Resampling and weighting shared by the audit sections (vectorised over replicates)."""

from __future__ import annotations

import numpy as np


def poisson_weights(n: int, replicates: int, seed: int) -> np.ndarray:
    """Poisson(1) bootstrap weights, ``replicates x n``: a resample without per-row loops."""
    return np.random.default_rng(seed).poisson(1.0, size=(replicates, n)).astype(np.float64)


def interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of finite replicate values (NaN bounds when there are none)."""
    s = samples[np.isfinite(samples)]
    if s.size == 0:
        return float("nan"), float("nan")
    a = (1 - confidence) / 2
    return float(np.quantile(s, a)), float(np.quantile(s, 1 - a))


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Elementwise num/den with NaN where the denominator is zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def clean(x: float) -> float | None:
    """JSON-safe float (None for NaN/inf)."""
    return float(x) if np.isfinite(x) else None
