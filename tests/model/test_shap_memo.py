"""Remembered TreeSHAP rows: the same contributions, bit for bit, with fewer evaluations."""

from __future__ import annotations

import pickle

import lightgbm as lgb
import numpy as np
import pytest
from tests.model.test_treeshap import _data

from tradeguard.model._shap_memo import ContributionMemo
from tradeguard.model._treeshap import contributions, tree_splits


@pytest.fixture(scope="module")
def booster() -> lgb.Booster:
    x, y = _data(3000, seed=3)
    return lgb.train(
        {"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 5, "verbose": -1,
         "num_threads": 1, "seed": 1},
        lgb.Dataset(x, y, categorical_feature=[3]), num_boost_round=30)


def _tree_by_tree(booster: lgb.Booster, x: np.ndarray) -> np.ndarray:
    """Every row's own pred_contrib per tree, summed in tree order (no grouping, no memo)."""
    total = np.zeros((x.shape[0], x.shape[1] + 1))
    for tree in range(booster.num_trees()):
        total += booster.predict(x, start_iteration=tree, num_iteration=1, pred_contrib=True)
    return total


def test_remembered_patterns_give_the_same_bits(booster: lgb.Booster) -> None:
    splits, eye = tree_splits(booster), np.eye(5)
    first, _ = _data(2000, seed=4)
    later, _ = _data(2000, seed=5)  # mostly patterns met in ``first``, some new
    memo = ContributionMemo()
    np.testing.assert_array_equal(contributions(booster, first, splits, eye, memo),
                                  _tree_by_tree(booster, first))
    known = len(memo)
    assert known > 0
    np.testing.assert_array_equal(contributions(booster, later, splits, eye, memo),
                                  _tree_by_tree(booster, later))
    # Only the patterns ``later`` had that ``first`` did not were evaluated and kept.
    assert known < len(memo) < 2 * known
    again = len(memo)
    np.testing.assert_array_equal(contributions(booster, first[:300], splits, eye, memo),
                                  _tree_by_tree(booster, first[:300]))
    assert len(memo) == again


def test_memo_arrives_empty_after_pickling_and_starts_afresh_past_its_bound(
        booster: lgb.Booster) -> None:
    splits, eye = tree_splits(booster), np.eye(5)
    x, _ = _data(1500, seed=6)
    memo = ContributionMemo(limit=50)
    contributions(booster, x, splits, eye, memo)
    kept = len(memo)
    assert kept > 50
    copy = pickle.loads(pickle.dumps(memo))
    assert len(copy) == 0 and copy.limit == 50
    # Past the bound the next call forgets what was kept, then keeps only its own patterns.
    y, _ = _data(100, seed=7)
    np.testing.assert_array_equal(contributions(booster, y, splits, eye, memo),
                                  _tree_by_tree(booster, y))
    assert 0 < len(memo) < kept


def test_a_projection_is_never_remembered(booster: lgb.Booster) -> None:
    splits = tree_splits(booster)
    x, _ = _data(500, seed=8)
    projection = np.zeros((5, 2))
    projection[[0, 1], 0] = 1.0
    projection[[2, 3], 1] = 1.0
    memo = ContributionMemo()
    np.testing.assert_allclose(contributions(booster, x, splits, projection, memo),
                               _tree_by_tree(booster, x) @ projection, rtol=0, atol=1e-12)
    assert len(memo) == 0


def test_a_tree_moving_other_columns_is_not_remembered() -> None:
    memo = ContributionMemo()
    columns = np.array([0, 2])
    calls: list[int] = []

    def evaluate(at: np.ndarray) -> np.ndarray:
        calls.append(at.size)
        return np.array([[1.0, 0.0, 2.0], [3.0, 0.0, 4.0]])[at]

    got = memo.contributions(0, [b"a", b"b"], columns, evaluate)
    assert got is not None
    np.testing.assert_array_equal(got, [[1.0, 2.0], [3.0, 4.0]])
    again = memo.contributions(0, [b"b", b"a"], columns, evaluate)
    assert again is not None and calls == [2]  # both remembered: nothing evaluated
    np.testing.assert_array_equal(again, [[3.0, 4.0], [1.0, 2.0]])

    def stray(at: np.ndarray) -> np.ndarray:
        return np.array([[5.0, 0.5, 6.0]])[np.zeros(at.size, dtype=int)]

    assert memo.contributions(1, [b"c"], columns, stray) is None
    assert memo.contributions(1, [b"c"], columns, stray) is None  # never remembered
    assert len(memo) == 2
