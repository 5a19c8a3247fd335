"""Patterns a request meets first are evaluated in one pass and kept as the batch path keeps
them: the same bits for the request, and for the batches and requests after it."""

from __future__ import annotations

import weakref

import lightgbm as lgb
import numpy as np
import pytest
from tests.model.test_treeshap import _data

import tradeguard.model._entry_trees as entry_trees
from tradeguard.model._entry_trees import entry_contributions, key_plan
from tradeguard.model._shap_memo import ContributionMemo
from tradeguard.model._treeshap import contributions, tree_splits


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.int64)


def _requests(booster: lgb.Booster, x: np.ndarray, memo: ContributionMemo
              ) -> list[tuple[np.ndarray, np.ndarray | None]]:
    splits = tree_splits(booster)
    plan = key_plan(splits, x.shape[1])
    out = []
    start = 0
    while start < x.shape[0]:  # requests of 1 to 5 rows, every row once
        rows = x[start:start + 1 + len(out) % 5]
        start += rows.shape[0]
        found = entry_contributions(booster, rows, splits, plan, memo)
        assert found is not None
        out.append(found)
    return out


def test_first_seen_patterns_give_the_bits_of_the_tree_by_tree_path(
        booster: lgb.Booster, monkeypatch: pytest.MonkeyPatch) -> None:
    x, _ = _data(120, seed=11)
    fast = _requests(booster, x, ContributionMemo())
    monkeypatch.setattr(entry_trees, "_PREDICTORS", weakref.WeakKeyDictionary())
    monkeypatch.setattr(entry_trees, "_tree_predictor", lambda _: None)
    slow = _requests(booster, x, ContributionMemo())
    for (got, got_raw), (want, want_raw) in zip(fast, slow, strict=True):
        assert np.array_equal(_bits(got), _bits(want))
        assert got_raw is not None and want_raw is not None
        assert np.array_equal(_bits(got_raw), _bits(want_raw))


def test_patterns_kept_for_requests_serve_the_batches_after_them(
        booster: lgb.Booster) -> None:
    splits, eye = tree_splits(booster), np.eye(5)
    x, _ = _data(120, seed=12)
    memo = ContributionMemo()
    first = _requests(booster, x, memo)
    kept = len(memo)
    assert kept > 0
    # a batch over the same rows meets no pattern it has to evaluate, and gives its bits
    batch = contributions(booster, x, splits, eye, memo)
    assert len(memo) == kept
    np.testing.assert_array_equal(batch, contributions(booster, x, splits, eye))
    # and the requests again read the same values
    for (got, raw), (want, want_raw) in zip(_requests(booster, x, memo), first, strict=True):
        assert np.array_equal(_bits(got), _bits(want))
        assert raw is not None and want_raw is not None
        assert np.array_equal(_bits(raw), _bits(want_raw))


def _layout(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``tree_of`` and ``inner`` of :meth:`ContributionMemo.entry_values` for one tree."""
    places = columns.size + 1
    return np.zeros(places, dtype=np.int64), np.arange(places, dtype=np.int64)


def test_a_tree_moving_other_columns_is_left_to_the_general_path() -> None:
    columns = np.array([0, 2])
    tree_of, inner = _layout(columns)

    kept = ContributionMemo()
    assert kept.entry_values([[5]], 0, (columns,), tree_of, inner) == [0]
    assert kept.entry_remember([[5]], [0], 0, (columns,),
                               lambda trees: np.array([[[1.0, 0.0, 2.0]]]))
    found = kept.entry_values([[5]], 0, (columns,), tree_of, inner)
    assert isinstance(found, tuple)
    np.testing.assert_array_equal(found[0], [[1.0, 2.0, np.nan]])
    assert len(kept) == 1

    stray = ContributionMemo()
    assert stray.entry_values([[5]], 0, (columns,), tree_of, inner) == [0]
    assert not stray.entry_remember([[5]], [0], 0, (columns,),
                                    lambda trees: np.array([[[1.0, 0.5, 2.0]]]))
    assert stray.entry_values([[5]], 0, (columns,), tree_of, inner) == [0]
    assert stray.contributions(0, np.array([5]), columns,
                               lambda at: np.array([[1.0, 0.5, 2.0]])) is None
    assert len(stray) == 0


def test_ids_of_an_earlier_generation_are_not_kept() -> None:
    columns = np.array([0, 2])
    tree_of, inner = _layout(columns)
    memo = ContributionMemo()
    assert memo.entry_values([[5]], 0, (columns,), tree_of, inner) == [0]
    assert not memo.entry_remember([[5]], [0], 1, (columns,),
                                   lambda trees: np.array([[[1.0, 0.0, 2.0]]]))
    assert len(memo) == 0
