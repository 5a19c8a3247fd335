"""Audit statistics on data whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from tradeguard.governance.audit.bias import bias_section, group_metrics
from tradeguard.governance.audit.efficacy import Observed, ipw_estimates, naive_precision
from tradeguard.governance.audit.policy import load_policy
from tradeguard.governance.audit.reliability import psi, psi_from_shares, spearman
from tradeguard.governance.audit.validity import brier_score, expected_calibration_error


def selective_labels(seed: int, n: int = 40_000, rate: float = 0.1
                     ) -> tuple[Observed, np.ndarray, np.ndarray]:
    """The model targets its top 5 % (always examined); a random 10 % of the rest is
    examined too; outcomes are seen only for examined lines."""
    rng = np.random.default_rng(seed)
    score = rng.random(n)
    y = (rng.random(n) < 0.02 + 0.3 * score**4).astype(float)
    targeted = score >= np.quantile(score, 0.95)
    drawn = ~targeted & (rng.random(n) < rate)
    prob = np.where(targeted, 1.0, rate)
    return Observed.build(score, targeted | drawn, prob, y, y * 100.0), y, score


def test_ipw_is_unbiased_where_naive_is_not() -> None:
    estimates, naive_base = [], []
    obs, y, score = selective_labels(0)
    true_base = y.mean()
    top10 = score >= np.quantile(score, 0.90)
    true_precision10 = y[top10].mean()
    for seed in range(20):
        obs, y, score = selective_labels(seed)
        est = ipw_estimates(obs, 10)
        estimates.append((float(est["base_rate"][0]), float(est["precision"][0]),
                          y.mean(), y[score >= np.quantile(score, 0.9)].mean()))
        naive_base.append(obs.y[obs.weight > 0].mean())
    e = np.array(estimates)
    # Mean error over replications is tiny compared with the naive bias.
    assert abs(np.mean(e[:, 0] - e[:, 2])) < 0.002
    assert abs(np.mean(e[:, 1] - e[:, 3])) < 0.01
    assert np.mean(naive_base) - true_base > 0.01  # examined lines over-represent positives
    assert naive_precision(obs, 10) > true_precision10 + 0.02


def test_lift_of_random_scores_is_about_one() -> None:
    obs, _, _ = selective_labels(1)
    noise = Observed(np.random.default_rng(5).random(obs.score.size), obs.weight, obs.y,
                     obs.revenue)
    lift = float(ipw_estimates(noise, 5)["lift"][0])
    assert 0.6 < lift < 1.5


def test_ece_and_brier_by_hand() -> None:
    prob = np.array([0.1, 0.1, 0.9, 0.9])
    y = np.array([0, 1, 1, 1])
    # bins: 0.1 -> observed 0.5 (|0.4|), 0.9 -> observed 1.0 (|0.1|); each half the weight
    assert expected_calibration_error(prob, y, 10) == pytest.approx(0.25)
    assert brier_score(prob, y) == pytest.approx((0.01 + 0.81 + 0.01 + 0.01) / 4)
    # weights count lines: doubling the second line's weight moves both numbers
    w = np.array([1.0, 2.0, 1.0, 1.0])
    assert brier_score(prob, y, w) == pytest.approx((0.01 + 2 * 0.81 + 0.02) / 5)
    assert expected_calibration_error(prob, y, 10, w) == pytest.approx(
        3 / 5 * abs(2 / 3 - 0.1) + 2 / 5 * 0.1)


def test_psi_known_distributions() -> None:
    e, a = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    want = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi_from_shares(e, a) == pytest.approx(want)
    cat = psi(pl.Series(["a", "b"] * 50), pl.Series(["a"] * 25 + ["b"] * 75))
    assert cat == pytest.approx(want)
    rng = np.random.default_rng(0)
    same = psi(pl.Series(rng.normal(size=20_000)), pl.Series(rng.normal(size=20_000)))
    shifted = psi(pl.Series(rng.normal(size=20_000)), pl.Series(rng.normal(1, 1, 20_000)))
    assert same < 0.01 and shifted > 0.25


def test_spearman() -> None:
    a = np.arange(10.0)
    assert spearman(a, a**3) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)


def bias_frame(n: int = 6000, seed: int = 3) -> pl.DataFrame:
    """Small importers are selected twice as often as large ones at the same true rate."""
    rng = np.random.default_rng(seed)
    small = rng.random(n) < 0.5
    y = (rng.random(n) < 0.1).astype(float)
    selected = rng.random(n) < np.where(small, 0.2, 0.05)
    drawn = ~selected & (rng.random(n) < 0.1)
    w = np.where(selected, 1.0, np.where(drawn, 10.0, 0.0))
    return pl.DataFrame({
        "importer_size": np.where(small, "small", "large"), "selected": selected,
        "weight": w, "y": y * (w > 0), "appealed": selected & (rng.random(n) < 0.1),
        "overturned": selected & (rng.random(n) < 0.03)})


def test_bias_metrics_with_intervals() -> None:
    policy = load_policy()
    rows = {r["group"]: r for r in group_metrics(bias_frame(), "importer_size", policy)}
    small, large = rows["small"], rows["large"]
    assert small["selection_rate_low"] < 0.2 < small["selection_rate_high"]
    assert large["selection_rate_low"] < 0.05 < large["selection_rate_high"]
    # false-positive burden: P(selected | no violation) ~ the selection rate here
    assert small["false_positive_rate_low"] < 0.2 < small["false_positive_rate_high"]
    assert small["fairlearn"]["selection_rate"] == pytest.approx(small["selection_rate"])
    assert small["fairlearn"]["false_positive_rate"] == pytest.approx(
        small["false_positive_rate"])
    assert small["selection_rate_ratio_low"] > 1.0 > large["selection_rate_ratio_high"]


def test_bias_section_fails_on_disparity_and_respects_min_n() -> None:
    policy = load_policy()
    frame = bias_frame()
    # ratio band 0.5-2.0 around the overall 0.125: large (0.05) is at ratio 0.4 -> fails
    sec = bias_section(frame, policy)
    check = next(c for c in sec.checks if c.name == "importer_size.selection_rate")
    assert check.passed is False and "large" in check.note
    tiny = frame.head(40)
    sec = bias_section(tiny, policy)
    check = next(c for c in sec.checks if c.name == "importer_size.selection_rate")
    assert check.passed is True and "0 of 2 groups judged" in check.note


def test_a_zero_count_among_a_few_cases_is_not_judged() -> None:
    """A small group whose dozen clean exams hold no selected line has a false-positive rate
    of 0 with a bootstrap interval of [0, 0]: at the overall rate it would expect about one
    such exam, so the zero says nothing and the rate is shown, not judged. The same group
    with enough cases is judged."""
    policy = load_policy()
    base = bias_frame(n=4000).with_columns(pl.lit("established").alias("importer_tenure"))
    few = pl.DataFrame({
        "importer_size": ["small"] * 60, "importer_tenure": ["new"] * 60,
        "selected": [True] * 6 + [False] * 54,
        # 12 clean random-sample exams, none of them selected lines (the selected ones were
        # not examined)
        "weight": [0.0] * 6 + [10.0] * 12 + [0.0] * 42,
        "y": [0.0] * 60, "appealed": [False] * 60, "overturned": [False] * 60})
    frame = pl.concat([base, few.select(base.columns)], how="vertical_relaxed")
    rows = {r["group"]: r for r in group_metrics(frame, "importer_tenure", policy)}
    new = rows["new"]
    assert new["enough_data"] and new["false_positive_rate"] == 0.0
    assert new["false_positive_rate_ratio_high"] == 0.0  # the collapsed interval
    assert 0 < new["false_positive_rate_expected_events"] < policy.bias.min_expected_events
    assert not new["false_positive_rate_judged"] and new["selection_rate_judged"]
    check = next(c for c in bias_section(frame, policy).checks
                 if c.name == "importer_tenure.false_positive_rate")
    assert check.passed is True and "1 of 2 groups judged" in check.note
    # with the rule off the collapsed interval is read as a disparity
    lax = policy.model_copy(update={"bias": policy.bias.model_copy(
        update={"min_expected_events": 0.0})})
    check = next(c for c in bias_section(frame, lax).checks
                 if c.name == "importer_tenure.false_positive_rate")
    assert check.passed is False and "new" in check.note
