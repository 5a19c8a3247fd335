"""Calibration monotonicity and the exam-budget metrics on hand-computable examples."""

from __future__ import annotations

import numpy as np
import pytest

from tradeguard.model import Calibration, catch_rate_at, fit_isotonic, precision_at, revenue_at
from tradeguard.model._metrics import budget_size


def test_isotonic_calibration_is_monotone_and_round_trips() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(0, 2, 2000)
    outcome = (rng.random(2000) < 1 / (1 + np.exp(-raw))).astype(float)
    cal = fit_isotonic(raw, outcome)
    grid = np.linspace(-10, 10, 500)
    p = cal.apply(grid)
    assert np.all(np.diff(p) >= 0)
    assert p.min() >= 0.0 and p.max() <= 1.0
    assert p[0] < 0.1 and p[-1] > 0.9
    assert Calibration.from_json(cal.to_json()) == cal


def test_non_monotone_calibration_is_refused() -> None:
    with pytest.raises(ValueError, match="monotone"):
        Calibration.from_json({"x": [0.0, 1.0], "y": [0.8, 0.2]})


def test_budget_rounds_up() -> None:
    assert budget_size(100, 5) == 5
    assert budget_size(101, 5) == 6
    assert budget_size(10, 1) == 1
    with pytest.raises(ValueError):
        budget_size(10, 0)


def test_precision_revenue_and_catch_rate_by_hand() -> None:
    scores = np.array([0.9, 0.1, 0.8, 0.3, 0.7, 0.2, 0.6, 0.4, 0.5, 0.0])
    fraud = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    revenue = np.array([10.0, 60.0, 0, 0, 30.0, 0, 0, 0, 0, 0])
    # Top 30 % = rows 0, 2, 4: two frauds of three; revenue 10 + 30 of 100.
    assert precision_at(scores, fraud, 30) == pytest.approx(2 / 3)
    assert revenue_at(scores, revenue, 30) == pytest.approx(0.4)
    assert catch_rate_at(scores, fraud.astype(bool), 30) == pytest.approx(2 / 3)
    assert precision_at(scores, fraud, 100) == pytest.approx(0.3)
    assert revenue_at(scores, np.zeros(10), 50) == 0.0


def test_ties_are_broken_by_row_order() -> None:
    scores = np.array([1.0, 1.0, 1.0, 1.0])
    assert precision_at(scores, np.array([1, 0, 0, 0]), 25) == 1.0
    assert precision_at(scores, np.array([0, 1, 0, 0]), 25) == 0.0
