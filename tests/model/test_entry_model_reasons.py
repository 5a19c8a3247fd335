"""A request's few rows rank their reasons in plain Python exactly as the array path does."""

from __future__ import annotations

import numpy as np

from tradeguard.model._reasons import _strongest, strongest_few


def _array_path(grouped: np.ndarray, k: int) -> list[list[int]]:
    """The columns :func:`~tradeguard.model._reasons.top_reasons` keeps, in its order."""
    order, strength = _strongest(grouped, k)
    picked = np.where(~(strength <= 0), order + 1, 0)
    return [[c - 1 for c in row if c] for row in picked.tolist()]


def test_ties_zeros_and_negatives_rank_as_the_array_path() -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        rows, columns = int(rng.integers(1, 6)), int(rng.integers(1, 12))
        # few distinct values: many ties, zeros of both signs, negatives, infinities
        pool = np.array([0.0, -0.0, 0.25, 0.5, -0.5, 1e-300, np.inf, -np.inf, 3.0])
        grouped = pool[rng.integers(0, pool.size, (rows, columns))]
        for k in range(1, min(columns, 4) + 1):
            assert strongest_few(grouped.tolist(), k) == _array_path(grouped, k)


def test_a_nan_is_left_to_the_array_path() -> None:
    assert strongest_few([[0.5, float("nan")]], 2) is None
