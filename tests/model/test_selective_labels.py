"""Selective labels: exams mostly follow targeting, which also uses intelligence the model
never sees, so examined lines are far riskier than lines with the same features. Weighting by
1 / selection probability must recover the population rate; unweighted training cannot."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tradeguard.model import fit_isotonic, score, train_model

TARGETED = 0.06
SAMPLE_RATE = 0.05


def _population(rows: int, seed: int) -> pl.DataFrame:
    """Low violation rate overall; ``intel`` (a tip, not a model feature) drives it most."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(0.0, 1.0, rows)
    intel = rng.normal(0.0, 1.0, rows)
    origin = rng.choice(["CN", "VN", "DE"], rows)
    logit = -3.6 + 0.8 * signal + 1.8 * intel + np.where(origin == "CN", 0.6, 0.0)
    violation = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pl.DataFrame({"signal": signal, "intel": intel, "origin": origin,
                         "violation": violation})


def _examined(pop: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Targeting takes the top signal + intel (probability 1); a random sample covers the rest.

    The intelligence is dropped: the model trains on what the declaration shows.
    """
    rng = np.random.default_rng(seed)
    noisy = pop["signal"].to_numpy() + 2 * pop["intel"].to_numpy() + rng.normal(
        0.0, 0.3, pop.height)
    targeted = noisy >= np.quantile(noisy, 1 - TARGETED)
    sampled = ~targeted & (rng.random(pop.height) < SAMPLE_RATE)
    chance = np.where(targeted, 1.0, SAMPLE_RATE)
    return pop.with_columns(pl.Series("design", 1.0 / chance)).filter(
        pl.Series(targeted | sampled)).drop("intel")


@pytest.fixture(scope="module")
def selective() -> tuple[pl.DataFrame, pl.DataFrame]:
    pop = _population(40_000, seed=3)
    return _examined(pop, seed=4), _population(20_000, seed=5)


def test_weighted_model_estimates_the_population_rate(
    selective: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    examined, fresh = selective
    truth = float(fresh["violation"].mean())  # type: ignore[arg-type]
    assert float(examined["violation"].mean()) > 2.5 * truth  # type: ignore[arg-type]
    naive = train_model(examined.drop("design"), "violation", seed=0)
    weighted = train_model(examined, "violation", design_weight="design", seed=0)
    p_naive = score(naive, fresh).frame["probability"].to_numpy().mean()
    p_weighted = score(weighted, fresh).frame["probability"].to_numpy().mean()
    assert abs(p_weighted - truth) < 0.025
    assert p_naive - truth > 0.08
    assert weighted.metrics["selection_weighted"] == 1.0
    assert naive.metrics["selection_weighted"] == 0.0
    assert "design" not in weighted.features


def test_weighted_model_keeps_its_ranking(
    selective: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    from sklearn.metrics import roc_auc_score

    examined, fresh = selective
    truth = fresh["violation"].to_numpy()
    naive = train_model(examined.drop("design"), "violation", seed=0)
    weighted = train_model(examined, "violation", design_weight="design", seed=0)
    auc_naive = roc_auc_score(truth, score(naive, fresh).frame["probability"].to_numpy())
    auc_weighted = roc_auc_score(truth, score(weighted, fresh).frame["probability"].to_numpy())
    assert auc_weighted > 0.6
    assert auc_weighted > auc_naive - 0.02


def test_weighted_isotonic_matches_weighted_rate() -> None:
    raw = np.array([0.0, 0.0, 1.0, 1.0])
    y = np.array([0.0, 1.0, 0.0, 1.0])
    flat = fit_isotonic(raw, y, np.array([3.0, 1.0, 3.0, 1.0]))
    assert np.allclose(flat.apply(raw), 0.25)
    with pytest.raises(ValueError, match="weights"):
        fit_isotonic(raw, y, np.array([1.0, -1.0, 1.0, 1.0]))


def test_bad_design_weight_names_row_and_field(
    selective: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    examined, _ = selective
    bad = examined.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(None).otherwise(pl.col("design"))
        .alias("design"))
    with pytest.raises(ValueError, match=r"row 7: field 'design'"):
        train_model(bad, "violation", design_weight="design", valid_fraction=0.5)
