"""Grouped TreeSHAP must give LightGBM's own contributions, only cheaper."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from tradeguard.model._shap_memo import ContributionMemo, batch_category_ids
from tradeguard.model._treeshap import (
    contributions,
    explain,
    groups,
    split_patterns,
    tree_splits,
)


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
    from tradeguard.model._splits import ModelSplits, _tree_table

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


def _booster(zero_as_missing: bool = False, rounds: int = 30) -> lgb.Booster:
    x, y = _data(3000, seed=3)
    return lgb.train(
        {"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 5, "verbose": -1,
         "num_threads": 1, "zero_as_missing": zero_as_missing, "seed": 1},
        lgb.Dataset(x, y, categorical_feature=[3]), num_boost_round=rounds)


def _same_groups(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labellings of the rows make the same groups."""
    pairs = np.unique(np.column_stack([a, b]), axis=0)
    return len(pairs) == len(np.unique(a)) == len(np.unique(b))


def test_a_tree_key_groups_rows_as_its_split_patterns() -> None:
    """Keys (intervals and category ids side by side) make the same groups as folding the
    fields one by one, whether the ids are the batch's own or a memo's."""
    booster = _booster()
    model = tree_splits(booster)
    x, _ = _data(4000, seed=9)
    bins, categories = model.bins(x), dict[int, tuple[np.ndarray, int]]()
    own = batch_category_ids(x, model.category_bits)
    kept, _ = ContributionMemo().category_ids(x, model.category_bits)
    assert any(tree.categorical for tree in model.trees)
    for tree in model.trees:
        pattern = split_patterns(x, bins, tree, categories)
        for ids in (own, kept):
            key = tree.key(bins, ids)
            assert key is not None and _same_groups(key, pattern)


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_explain_gives_the_raw_score_bit_for_bit(zero_as_missing: bool) -> None:
    """The leaves added in tree order are LightGBM's own raw score, not just close to it,
    with or without remembered patterns; the contributions are every tree's own."""
    booster = _booster(zero_as_missing)
    model, memo = tree_splits(booster), ContributionMemo()
    for seed in (4, 5, 6):
        x, _ = _data(2500, seed=seed)
        x[:50, 3] = 40.0  # a category never seen in training
        by_tree = sum(booster.predict(x, start_iteration=t, num_iteration=1, pred_contrib=True)
                      for t in range(booster.num_trees()))
        for kept in (memo, None):
            got, raw = explain(booster, x, model, kept)
            np.testing.assert_array_equal(raw, booster.predict(x, raw_score=True))
            np.testing.assert_array_equal(got, by_tree)


def test_explain_without_ids_for_every_category_is_still_exact() -> None:
    """Too many distinct categories for a key's bits: those trees group the batch by itself
    and are not remembered; nothing else changes."""
    from dataclasses import replace

    booster = _booster()
    model = tree_splits(booster)
    narrow = replace(model, category_bits=dict.fromkeys(model.category_bits, 2))
    x, _ = _data(2000, seed=7)
    memo = ContributionMemo()
    got, raw = explain(booster, x, narrow, memo)
    np.testing.assert_array_equal(raw, booster.predict(x, raw_score=True))
    np.testing.assert_allclose(got, booster.predict(x, pred_contrib=True), rtol=0, atol=1e-12)
    # Every tree splits on the category here, so none remembers a pattern; with the
    # model's own bits they all do.
    assert all(t.categorical for t in model.trees) and len(memo) == 0
    explain(booster, x, model, memo)
    assert len(memo) > 0


def test_explain_of_no_rows() -> None:
    booster = _booster(rounds=3)
    x, _ = _data(10, seed=1)
    got, raw = explain(booster, x[:0], tree_splits(booster), ContributionMemo())
    assert got.shape == (0, 5) and raw.shape == (0,)


def test_only_plain_sums_of_leaves_are_taken_for_the_raw_score() -> None:
    x, y = _data(600, seed=2)
    assert tree_splits(_booster(rounds=3)).leaf_sums
    forest = lgb.train({"objective": "binary", "boosting": "rf", "bagging_fraction": 0.5,
                        "bagging_freq": 1, "verbose": -1}, lgb.Dataset(x, y),
                       num_boost_round=3)
    linear = lgb.train({"objective": "binary", "linear_tree": True, "verbose": -1},
                       lgb.Dataset(x, y), num_boost_round=3)
    assert not tree_splits(forest).leaf_sums and not tree_splits(linear).leaf_sums
