"""Remembered TreeSHAP rows: the same contributions, bit for bit, with fewer evaluations."""

from __future__ import annotations

import pickle

import lightgbm as lgb
import numpy as np
from tests.model.test_treeshap import _data

from tradeguard.model._shap_memo import ContributionMemo
from tradeguard.model._treeshap import contributions, tree_splits


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

    got = memo.contributions(0, np.array([7, 9]), columns, evaluate)
    assert got is not None
    np.testing.assert_array_equal(got[0], [[1.0, 2.0], [3.0, 4.0]])
    again = memo.contributions(0, np.array([9, 7]), columns, evaluate)
    assert again is not None and calls == [2]  # both remembered: nothing evaluated
    np.testing.assert_array_equal(again[0], [[3.0, 4.0], [1.0, 2.0]])

    def stray(at: np.ndarray) -> np.ndarray:
        return np.array([[5.0, 0.5, 6.0]])[np.zeros(at.size, dtype=int)]

    assert memo.contributions(1, np.array([3]), columns, stray) is None
    assert memo.contributions(1, np.array([3]), columns, stray) is None  # never remembered
    assert len(memo) == 2


def test_leaves_are_remembered_once_asked_for() -> None:
    memo = ContributionMemo()
    columns = np.array([0, 1])
    leaf = {11: 0.5, 12: -0.25, 13: 0.125}
    asked: list[int] = []

    def call(keys: list[int], with_leaves: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """One batch's patterns ``keys``; evaluating a position gives its key's values."""
        at_keys = np.array(keys)

        def evaluate(at: np.ndarray) -> np.ndarray:
            return np.column_stack([at_keys[at], -at_keys[at]]).astype(float)

        def leaves(at: np.ndarray) -> np.ndarray:
            asked.extend(at_keys[at].tolist())
            return np.array([leaf[k] for k in at_keys[at].tolist()])

        got = memo.contributions(0, at_keys, columns, evaluate,
                                 leaves if with_leaves else None)
        assert got is not None
        np.testing.assert_array_equal(got[0][:, 0], keys)
        return got

    assert call([11, 12], with_leaves=False)[1] is None
    # Patterns kept without their leaf get it when a later call asks, then keep it.
    np.testing.assert_array_equal(call([12, 13, 11], with_leaves=True)[1],
                                  [-0.25, 0.125, 0.5])
    assert sorted(asked) == [11, 12, 13]
    np.testing.assert_array_equal(call([13, 11], with_leaves=True)[1], [0.125, 0.5])
    assert len(asked) == 3


def test_ids_of_an_earlier_generation_are_not_looked_up() -> None:
    memo = ContributionMemo(limit=1)
    matrix = np.array([[0.0], [3.0], [np.nan]])
    ids, generation = memo.category_ids(matrix, {0: 4})
    assert ids[0] is not None
    np.testing.assert_array_equal(ids[0], [1, 2, 0])  # in order of value; missing is 0

    def evaluate(at: np.ndarray) -> np.ndarray:
        return np.ones((at.size, 2))

    assert memo.contributions(0, np.array([1]), np.array([0, 1]), evaluate,
                              generation=generation) is not None
    # Past its bound the memory starts afresh at the next batch, with new ids.
    _, later = memo.category_ids(matrix[1:], {0: 4})
    assert later != generation and len(memo) == 0
    assert memo.contributions(0, np.array([1]), np.array([0, 1]), evaluate,
                              generation=generation) is None


def test_category_ids_mean_the_same_value_in_every_batch() -> None:
    memo = ContributionMemo()
    first, _ = memo.category_ids(np.array([[5.0], [2.0], [5.0], [np.nan]]), {0: 4})
    later, _ = memo.category_ids(np.array([[7.0], [-0.0], [2.0], [5.0], [0.0]]), {0: 4})
    assert first[0] is not None and later[0] is not None
    # 2 and 5 keep their ids; 7 and zero (either sign: one value to the trees) get new ones.
    assert first[0].tolist() == [2, 1, 2, 0]
    assert later[0].tolist()[2:4] == [1, 2]
    assert later[0][1] == later[0][4] and len({*later[0].tolist()}) == 4
    # More distinct values than the bits hold: no ids (the trees are grouped per batch).
    crowded, _ = memo.category_ids(np.arange(20.0)[:, None], {0: 4})
    assert crowded[0] is None
