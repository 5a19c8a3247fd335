"""Targeting metrics: what an exam budget of the top n % would find.

Customs can open only a few percent of declarations, so the model is judged at fixed budgets:
the share of fraud among the examined (precision), the share of the revenue at risk they
recover (revenue capture) and the share of critical cases they catch. Ties in the score are
broken by row order so every number is reproducible.
"""

from __future__ import annotations

import math

import numpy as np


def budget_size(rows: int, pct: float) -> int:
    """How many rows an exam budget of ``pct`` % covers (rounded up, at least one row)."""
    if not 0 < pct <= 100:
        raise ValueError(f"budget percentage must be in (0, 100], got {pct}")
    if rows <= 0:
        raise ValueError("no rows to rank")
    return max(1, math.ceil(rows * pct / 100 - 1e-9))


def top_rows(scores: np.ndarray, pct: float) -> np.ndarray:
    """Indices of the highest-scoring ``pct`` % of rows, highest first, ties by row order."""
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    return order[: budget_size(scores.size, pct)]


def precision_at(scores: np.ndarray, outcome: np.ndarray, pct: float) -> float:
    """Share of positives (0/1 ``outcome``) among the top ``pct`` % by score."""
    return float(np.asarray(outcome, dtype=float)[top_rows(scores, pct)].mean())


def revenue_at(scores: np.ndarray, revenue: np.ndarray, pct: float) -> float:
    """Share of the total ``revenue`` held by the top ``pct`` % by score (0 when none at all)."""
    revenue = np.asarray(revenue, dtype=float)
    total = float(revenue.sum())
    return float(revenue[top_rows(scores, pct)].sum() / total) if total > 0 else 0.0


def catch_rate_at(scores: np.ndarray, flag: np.ndarray, pct: float) -> float:
    """Share of all flagged rows (e.g. critical fraud) that fall in the top ``pct`` %."""
    flag = np.asarray(flag, dtype=bool)
    total = int(flag.sum())
    return float(flag[top_rows(scores, pct)].sum() / total) if total else 0.0
