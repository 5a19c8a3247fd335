"""The request path's shortcuts give what the longer way gives: tree keys found from a value's
rank among all thresholds, the history's statistics for several lines at once, and the tree
predictor kept per booster."""

from __future__ import annotations

import weakref

import lightgbm as lgb
import numpy as np
import pytest
from tests.model.test_treeshap import _data

import tradeguard.model._entry_trees as entry_trees
from tradeguard.model._entry_trees import KeyPlan, _bins, _keys, key_plan
from tradeguard.model._history import (
    HistoryKey,
    HistorySpec,
    add_lookup_stats,
    history_features,
    history_lookup,
    note_subset,
)
from tradeguard.model._splits import _ZERO
from tradeguard.model._treeshap import tree_splits


def _gathered_keys(plan: KeyPlan, matrix: np.ndarray) -> np.ndarray:
    """The keys as a gather per tree field over the intervals (the way without ranks)."""
    parts = plan.table[plan.offset + _bins(plan, matrix)[:, plan.position]]
    keys: np.ndarray = np.add.reduceat(parts, plan.first, axis=1)
    return keys


def _edge_values(plan: KeyPlan) -> np.ndarray:
    """Every threshold and its neighbours, LightGBM's zero and its edges, infinities, NaN."""
    t = plan.thresholds
    zero = np.array([0.0, -0.0, _ZERO, -_ZERO, 2 * _ZERO, -2 * _ZERO])
    return np.concatenate([t, np.nextafter(t, np.inf), np.nextafter(t, -np.inf), zero,
                           np.nextafter(zero, np.inf), np.nextafter(zero, -np.inf),
                           [np.inf, -np.inf, np.nan, 1e300, -1e300]])


def test_ranked_keys_are_the_gathered_keys(booster: lgb.Booster) -> None:
    x, _ = _data(400, seed=21)
    plan = key_plan(tree_splits(booster), x.shape[1])
    assert plan.ranked is not None
    edges = _edge_values(plan)
    rng = np.random.default_rng(5)
    # with categories left out (ids of their own), the numeric part of every key
    plain = KeyPlan(**{**{f: getattr(plan, f) for f in (
        "features", "sizes", "thresholds", "threshold_feature", "bounds", "position",
        "offset", "first", "table", "category_position", "category_place", "columns",
        "tree_of", "inner", "targets", "leaf_at", "leaf_start", "leaves", "leaf_offset",
        "width", "usable", "leaf_sums")}, "categorical": ()})
    assert plain.ranked is not None
    for rows in [x[i:i + 5] for i in range(0, 400, 5)] + [
            rng.choice(edges, size=(5, x.shape[1])) for _ in range(300)]:
        got = _keys(plain, rows, {})
        assert got is not None
        np.testing.assert_array_equal(got, _gathered_keys(plain, rows))


def test_a_model_too_large_to_rank_takes_the_gathers(booster: lgb.Booster,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    x, _ = _data(50, seed=22)
    splits = tree_splits(booster)
    ranked = key_plan(splits, x.shape[1])
    monkeypatch.setattr(entry_trees, "_RANKED_MOST", 0)
    gathered = key_plan(splits, x.shape[1])
    assert gathered.ranked is None
    ids = {f: np.arange(1, 6, dtype=np.int64) for f in splits.category_bits}
    for start in range(0, 50, 5):
        rows = x[start:start + 5]
        got, want = _keys(ranked, rows, ids), _keys(gathered, rows, ids)
        assert got is not None and want is not None
        np.testing.assert_array_equal(got, want)


def test_stats_of_several_lines_are_each_lines_own() -> None:
    import polars as pl

    spec = HistorySpec(keys=(HistoryKey("a", ("a",), "a"), HistoryKey("ab", ("a", "b"), "ab")),
                       outcome="y")
    rng = np.random.default_rng(3)
    history = pl.DataFrame({"a": [str(v) for v in rng.integers(0, 5, 200)],
                            "b": [None if v == 0 else str(v) for v in rng.integers(0, 4, 200)],
                            "y": rng.integers(0, 2, 200)})
    removed = history.head(7)
    subset = history.slice(7)
    note_subset(subset, history, removed)
    lines = [{"a": a, "b": b} for a in ("0", "3", "9", None) for b in ("1", None, "x")]
    target = pl.DataFrame(lines, schema={"a": pl.String, "b": pl.String})
    for frame in (history, subset):
        lookup = history_lookup(frame, spec)
        assert lookup is not None
        # the batch path, on the rows the lookup stands for
        want = [{**line, **stats} for line, stats in zip(
            lines, history_features(frame, target, spec).to_dicts(), strict=True)]
        got = [dict(line) for line in lines]
        add_lookup_stats(lookup, spec, got)
        assert [list(line.items()) for line in got] == [list(w.items()) for w in want]


def test_the_kept_predictor_follows_its_booster(booster: lgb.Booster,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    first = entry_trees._kept_predictor(booster)
    assert first is not None and entry_trees._kept_predictor(booster) is first
    # set up afresh only for a booster not met yet
    monkeypatch.setattr(entry_trees, "_PREDICTORS", weakref.WeakKeyDictionary())
    monkeypatch.setattr(entry_trees, "_tree_predictor", lambda _: None)
    assert entry_trees._kept_predictor(booster) is None
    monkeypatch.undo()
    assert entry_trees._kept_predictor(booster) is first
    copy = lgb.Booster(model_str=booster.model_to_string())
    again = entry_trees._kept_predictor(copy)
    assert again is not None and again is not first
    rows = _data(5, seed=4)[0]
    want = np.stack([copy.predict(rows, start_iteration=t, num_iteration=1,
                                     pred_contrib=True, num_threads=1) for t in (0, 3)])
    np.testing.assert_array_equal(again(rows, [0, 3]), want)
