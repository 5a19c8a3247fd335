"""Grouped TreeSHAP must give LightGBM's own contributions, only cheaper."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from tradeguard.model._treeshap import contributions, groups, split_patterns, tree_splits


def _data(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Numbers with NaNs and exact zeros, a count, and a categorical code with NaNs."""
    rng = np.random.default_rng(seed)
    gap = rng.normal(0.0, 1.0, rows)
    gap[rng.random(rows) < 0.1] = np.nan
    mass = np.where(rng.random(rows) < 0.2, 0.0, rng.lognormal(2.0, 1.0, rows))
    count = rng.integers(0, 6, rows).astype(float)
    origin = rng.integers(0, 12, rows).astype(float)
    origin[rng.random(rows) < 0.05] = np.nan
    logit = 1.2 * np.nan_to_num(gap) + (origin % 3 == 0) - 0.3 * count + (mass == 0)
    label = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return np.column_stack([gap, mass, count, origin]), label


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_grouped_contributions_equal_pred_contrib(zero_as_missing: bool) -> None:
    x, y = _data(3000, seed=3)
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 5, "verbose": -1,
         "num_threads": 1, "zero_as_missing": zero_as_missing, "seed": 1},
        lgb.Dataset(x, y, categorical_feature=[3]), num_boost_round=40)
    test, _ = _data(5000, seed=4)
    expected = booster.predict(test, pred_contrib=True)
    width = test.shape[1] + 1
    got = contributions(booster, test, tree_splits(booster), np.eye(width))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # Rows sum to the model's raw score, as TreeSHAP promises.
    np.testing.assert_allclose(got.sum(axis=1), booster.predict(test, raw_score=True),
                               rtol=0, atol=1e-12)
    # A projection (features -> reasons) is the same as projecting afterwards.
    projection = np.zeros((width, 2))
    projection[[0, 1], 0] = 1.0
    projection[[2, 3], 1] = 1.0
    np.testing.assert_allclose(
        contributions(booster, test, tree_splits(booster), projection),
        expected @ projection, rtol=0, atol=1e-12)


def test_equal_patterns_mean_equal_leaves() -> None:
    """Two rows with one pattern reach the same leaf of that tree (the grouping is sound)."""
    x, y = _data(2000, seed=5)
    booster = lgb.train({"objective": "binary", "num_leaves": 15, "verbose": -1, "seed": 2},
                        lgb.Dataset(x, y, categorical_feature=[3]), num_boost_round=10)
    leaves = booster.predict(x, pred_leaf=True)
    model = tree_splits(booster)
    bins, categories = model.bins(x), dict[int, tuple[np.ndarray, int]]()
    for tree, splits in enumerate(model.trees):
        group, representative = groups(split_patterns(x, bins, splits, categories))
        assert representative.size < x.shape[0]
        np.testing.assert_array_equal(group[representative], np.arange(representative.size))
        np.testing.assert_array_equal(leaves[representative[group], tree], leaves[:, tree])


def test_empty_batch_has_no_rows() -> None:
    x, y = _data(500, seed=6)
    booster = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(x, y),
                        num_boost_round=3)
    out = contributions(booster, x[:0], tree_splits(booster), np.eye(5))
    assert out.shape == (0, 5)


def test_tree_interval_from_model_wide_interval_matches_direct_search() -> None:
    """A tree's interval read through its table equals searching its own thresholds, also for
    values equal to a threshold of this tree or of another tree, zeros and NaNs."""
    from tradeguard.model._treeshap import ModelSplits, _tree_table

    rng = np.random.default_rng(11)
    model_wide = np.unique(rng.normal(0, 1, 40))
    own = np.sort(rng.choice(model_wide, 7, replace=False))
    x = np.concatenate([rng.normal(0, 1.5, 2000), model_wide, own, [0.0, np.nan, 1e-40]])
    bins = ModelSplits({0: model_wide}, ()).bins(x[:, None])[0]
    got = _tree_table(model_wide, own)[bins]
    expected = np.searchsorted(own, x, side="left")
    expected[np.abs(x) <= 1e-35] = own.size + 1
    expected[np.isnan(x)] = own.size + 2
    np.testing.assert_array_equal(got, expected)
