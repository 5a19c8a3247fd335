"""The trees' contributions and raw score for the few lines of one entry, from the memo.

Grouped TreeSHAP (:mod:`~tradeguard.model._treeshap`) spends some tens of microseconds of
NumPy and pandas calls on each tree of each batch, whatever its size: milliseconds for one
entry over the line model's trees, although nearly every pattern of a request was met before.
For a request's few lines each line's interval among every numeric feature's thresholds is
counted in one comparison, every tree's key found in one gather over a table laid out once per
model (:class:`KeyPlan`), and every tree's remembered row (its columns and leaf value) read in
one gather from the memo's flat store (:meth:`~tradeguard.model._shap_memo.ContributionMemo.
entry_values`). Trees with a pattern not remembered take the general step first (:func:`~
tradeguard.model._treeshap.tree_terms`), which remembers it. The values are then added up per
column in tree order from zero, the additions :func:`~tradeguard.model._treeshap.contributions`
makes, so the sums are the same doubles; and the leaf values likewise, the additions of
LightGBM's own raw prediction (:func:`~tradeguard.model._treeshap.explain` relies on the same),
with the leaves not yet known read in one ``pred_leaf`` call and kept.
"""

from __future__ import annotations

import ctypes
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tradeguard.model._shap_memo import ContributionMemo, tree_columns
from tradeguard.model._splits import _ZERO, ModelSplits
from tradeguard.model._treeshap import tree_terms


@dataclass(frozen=True)
class KeyPlan:
    """A model's tree keys as one gather: the key of row ``r`` in tree ``t`` adds up
    ``table[offset[i] + bins[r, position[i]]]`` over the tree's fields ``i`` (from
    ``first[t]``; a tree without numeric splits has one field reading a zero), plus its
    category ids times their place values (``category_position``: padding points at a zero).

    The intervals: matrix columns ``features`` with ``sizes`` thresholds each, laid end to end
    in ``thresholds`` (``threshold_feature``: the position in ``features`` of each, ``bounds``:
    where each feature's start). The memo rows: place ``i`` of a row's values is place
    ``inner[i]`` of tree ``tree_of[i]``'s row and adds to column ``targets[i]`` (``width`` for
    the leaf value, at ``leaf_at`` per tree, ``leaf_start`` into its row; ``columns``: the
    trees' own). ``leaves``: every tree's leaf values end to end, each from ``leaf_offset``.
    ``usable``: every tree has a key and every numeric split feature thresholds."""

    features: np.ndarray
    sizes: np.ndarray
    thresholds: np.ndarray
    threshold_feature: np.ndarray
    bounds: np.ndarray
    position: np.ndarray
    offset: np.ndarray
    first: np.ndarray
    table: np.ndarray
    categorical: tuple[int, ...]
    category_position: np.ndarray
    category_place: np.ndarray
    columns: tuple[np.ndarray, ...]
    tree_of: np.ndarray
    inner: np.ndarray
    targets: np.ndarray
    leaf_at: np.ndarray
    leaf_start: np.ndarray
    leaves: np.ndarray
    leaf_offset: np.ndarray
    width: int
    usable: bool
    leaf_sums: bool
    # the matrix column of each threshold; each feature's interval of zero and of NaN
    threshold_column: np.ndarray = field(init=False, compare=False)
    zero_bin: np.ndarray = field(init=False, compare=False)
    missing_bin: np.ndarray = field(init=False, compare=False)
    # row count -> where each of that many rows' values add up (row after row)
    spread: dict[int, np.ndarray] = field(default_factory=dict, compare=False)
    # the keys by rank (:func:`_rank_keys`; None for a model too large to lay them out)
    ranked: RankedKeys | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold_column", self.features[self.threshold_feature])
        object.__setattr__(self, "zero_bin", self.sizes + 1)
        object.__setattr__(self, "missing_bin", self.sizes + 2)
        object.__setattr__(self, "ranked", _rank_keys(self))

    def places(self, rows: int) -> np.ndarray:
        """:attr:`targets` for ``rows`` rows laid end to end (row ``r`` from ``r`` times
        ``width + 1``), worked out once per row count."""
        at = self.spread.get(rows)
        if at is None:
            at = (self.targets + (self.width + 1) * np.arange(rows)[:, None]).ravel()
            self.spread[rows] = at
        return at


@dataclass(frozen=True)
class RankedKeys:
    """The tree keys of a value's rank among every threshold of the model: ``ranks`` the
    distinct thresholds with the edges of LightGBM's zero and +inf (so that a value's
    count of those below it tells its interval, zero and NaN for every feature);
    ``interval[start[f] + rank]`` the row of ``key_rows`` for feature ``f`` at that rank, each
    row what that interval adds to every tree's key."""

    ranks: np.ndarray
    start: np.ndarray
    interval: np.ndarray
    key_rows: np.ndarray


#: Largest tables (entries) :class:`RankedKeys` lays out; larger models take the gathers.
_RANKED_MOST = 4_000_000


def _rank_keys(plan: KeyPlan) -> RankedKeys | None:
    """:class:`RankedKeys` of ``plan`` (one search and one gather find a row's keys instead
    of a comparison per threshold and a gather per tree field); None when too large."""
    n_features, n_trees = plan.features.size, plan.first.size
    if not plan.usable or plan.thresholds.size == 0 or n_trees == 0:
        return None
    below_zero = np.nextafter(-_ZERO, -np.inf)
    ranks = np.unique(np.concatenate([plan.thresholds, [below_zero, _ZERO, np.inf]]))
    width = ranks.size + 1  # counts 0..size; NaN counts them all
    intervals = plan.sizes + 3
    base = np.concatenate([[0], np.cumsum(intervals)[:-1]]).astype(np.int64)
    if n_features * width + int(intervals.sum()) * n_trees > _RANKED_MOST or not bool(
            (plan.offset + intervals[plan.position] <= plan.table.size).all()):
        return None
    interval = np.empty((n_features, width), dtype=np.int64)
    zero = np.searchsorted(ranks, [below_zero, _ZERO])
    count = np.arange(width)
    for f in range(n_features):
        own = plan.thresholds[plan.bounds[f]:plan.bounds[f] + plan.sizes[f]]
        # thresholds of the feature below a value whose count below it among ``ranks`` is r
        below = np.searchsorted(own, np.append(ranks, np.nan)[count], side="left")
        below = np.where((count > zero[0]) & (count <= zero[1]), plan.sizes[f] + 1, below)
        below[-1] = plan.sizes[f] + 2
        interval[f] = base[f] + below
    key_rows = np.zeros((int(intervals.sum()), n_trees), dtype=np.int64)
    tree_of_field = np.repeat(np.arange(n_trees), np.diff(np.append(plan.first,
                                                                      plan.position.size)))
    for i, (f, start) in enumerate(zip(plan.position.tolist(), plan.offset.tolist(),
                                       strict=True)):
        n = int(intervals[f])
        key_rows[base[f]:base[f] + n, tree_of_field[i]] += plan.table[start:start + n]
    return RankedKeys(ranks, np.arange(n_features, dtype=np.int64) * width,
                      interval.ravel(), key_rows)


def key_plan(splits: ModelSplits, n_features: int) -> KeyPlan:
    """The :class:`KeyPlan` of a model's splits (laid out once per model)."""
    features = tuple(splits.thresholds)
    column = {f: i for i, f in enumerate(features)}
    categorical = tuple(splits.category_bits)
    category_column = {f: i for i, f in enumerate(categorical)}
    sizes = np.array([splits.thresholds[f].size for f in features], dtype=np.int64)
    tables: list[np.ndarray] = []
    size = 0
    fields: list[tuple[int, int]] = []
    first: list[int] = []
    category_rows: list[list[tuple[int, int]]] = []
    padding: list[int] = []  # fields that read the zeros after the table
    for tree in splits.trees:
        first.append(len(fields))
        category_fields: list[tuple[int, int]] = []
        if tree.placed is not None:
            for (feature, _, _), placed in zip(tree.numeric, tree.placed, strict=True):
                fields.append((column[feature], size))
                tables.append(placed.astype(np.int64))
                size += placed.size
            category_fields = [(category_column[f], place) for f, place in
                               zip(tree.categorical, tree.category_places, strict=True)]
        if len(fields) == first[-1]:
            padding.append(len(fields))
            fields.append((0, 0))
        category_rows.append(category_fields)
    # zeros after the table, as many as the intervals of the first feature
    tables.append(np.zeros(int(sizes[0]) + 3 if sizes.size else 1, dtype=np.int64))
    offset = np.array([start for _, start in fields], dtype=np.int64)
    offset[padding] = size
    category_depth = max((len(r) for r in category_rows), default=0) or 1
    category_position = np.full((len(category_rows), category_depth), len(categorical),
                                dtype=np.int64)
    category_place = np.zeros((len(category_rows), category_depth), dtype=np.int64)
    for t, category_fields in enumerate(category_rows):
        for j, (col, place) in enumerate(category_fields):
            category_position[t, j], category_place[t, j] = col, place
    width = n_features + 1
    columns = tuple(tree_columns(tree, width) for tree in splits.trees)
    # each tree's row in the memo's store: its columns, then its leaf value
    spans = [c.size + 1 for c in columns]
    leaf_counts = [tree.leaves.size for tree in splits.trees]
    usable = (all(tree.placed is not None for tree in splits.trees) and sizes.size > 0
              and bool((sizes > 0).all()) and len(splits.trees) > 0)
    return KeyPlan(
        features=np.array(features, dtype=np.int64), sizes=sizes,
        thresholds=np.concatenate([np.zeros(0), *(splits.thresholds[f] for f in features)]),
        threshold_feature=np.repeat(np.arange(len(features), dtype=np.int64), sizes),
        bounds=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
        position=np.array([col for col, _ in fields], dtype=np.int64), offset=offset,
        first=np.array(first, dtype=np.int64), table=np.concatenate(tables),
        categorical=categorical, category_position=category_position,
        category_place=category_place, columns=columns,
        tree_of=np.repeat(np.arange(len(columns), dtype=np.int64), spans),
        inner=np.concatenate([np.zeros(0, dtype=np.int64),
                              *(np.arange(n, dtype=np.int64) for n in spans)]),
        targets=np.concatenate([np.zeros(0, dtype=np.int64),
                                *(np.append(c, width) for c in columns)]).astype(np.int64),
        leaf_at=(np.cumsum(spans) - 1).astype(np.int64),
        leaf_start=np.array([c.size for c in columns], dtype=np.int64),
        leaves=np.concatenate([np.zeros(0), *(tree.leaves for tree in splits.trees)]),
        leaf_offset=np.concatenate([[0], np.cumsum(leaf_counts)[:-1]]).astype(np.int64)
        if leaf_counts else np.zeros(0, dtype=np.int64),
        width=width, usable=usable, leaf_sums=splits.leaf_sums)


def _bins(plan: KeyPlan, matrix: np.ndarray) -> np.ndarray:
    """Rows x numeric features: each value's model-wide interval, as
    :meth:`ModelSplits.bins` finds it (the thresholds below the value, counted; zero and NaN
    past them)."""
    x = matrix[:, plan.features]
    below = np.add.reduceat(plan.thresholds < matrix[:, plan.threshold_column], plan.bounds,
                            axis=1, dtype=np.int64)
    out: np.ndarray = np.where(x != x, plan.missing_bin,
                               np.where(np.abs(x) <= _ZERO, plan.zero_bin, below))
    return out


def _keys(plan: KeyPlan, matrix: np.ndarray, ids: dict[int, np.ndarray | None]
          ) -> np.ndarray | None:
    """Rows x trees: every tree's key of each row; None when a category outgrew its ids."""
    ranked = plan.ranked
    keys: np.ndarray
    if ranked is not None:
        # the array's own methods and the ufunc: no Python wrapper in between
        rank = ranked.ranks.searchsorted(matrix.take(plan.features, axis=1), side="left")
        keys = np.add.reduce(ranked.key_rows[ranked.interval[rank + ranked.start]], axis=1)
    else:
        parts = plan.table[plan.offset + _bins(plan, matrix)[:, plan.position]]
        keys = np.add.reduceat(parts, plan.first, axis=1)
    if plan.categorical:
        category = np.zeros((matrix.shape[0], len(plan.categorical) + 1), dtype=np.int64)
        for i, feature in enumerate(plan.categorical):
            given = ids.get(feature)
            if given is None:
                return None
            category[:, i] = given
        keys += (category[:, plan.category_position] * plan.category_place).sum(axis=2)
    return keys


Predictor = Callable[[np.ndarray, list[int]], np.ndarray]
# booster -> (the handle its predictor calls, the predictor): a request meeting a new
# pattern sets it up once per booster, not per call
_PREDICTORS: weakref.WeakKeyDictionary[Any, tuple[Any, Predictor | None]] = (
    weakref.WeakKeyDictionary())


def _kept_predictor(booster: Any) -> Predictor | None:
    """:func:`_tree_predictor` of ``booster``, kept while its handle stays the same."""
    handle = getattr(booster, "_handle", None)
    try:
        kept = _PREDICTORS.get(booster)
    except TypeError:  # not weakly referable: set up each time
        return _tree_predictor(booster)
    if kept is None or kept[0] is not handle:
        kept = _PREDICTORS[booster] = (handle, _tree_predictor(booster))
    return kept[1]


def _tree_predictor(booster: Any) -> Predictor | None:
    """Per tree of a list, the ``pred_contrib`` rows (trees x rows x outputs) as
    ``booster.predict(rows, start_iteration=tree, num_iteration=1, pred_contrib=True,
    num_threads=1)`` gives them (the same call into LightGBM with the same arguments),
    without the wrapper's set-up per call: a tree a new pattern meets costs some 10 us
    instead of 40. None for a booster that is not LightGBM's own (or a LightGBM without
    that call)."""
    try:
        from lightgbm import Booster
        from lightgbm.basic import (
            _C_API_DTYPE_FLOAT64,
            _C_API_IS_ROW_MAJOR,
            _C_API_PREDICT_CONTRIB,
            _safe_call,
        )
        from lightgbm.libpath import _LIB
    except ImportError:
        return None
    if type(booster) is not Booster or not hasattr(_LIB, "LGBM_BoosterPredictForMat"):
        return None
    handle = booster._handle
    parameter = ctypes.c_char_p(b"num_threads=1")
    kind, layout, dtype = (ctypes.c_int(_C_API_PREDICT_CONTRIB), ctypes.c_int(
        _C_API_IS_ROW_MAJOR), ctypes.c_int(_C_API_DTYPE_FLOAT64))
    one = ctypes.c_int(1)

    def predict(rows: np.ndarray, trees: list[int]) -> np.ndarray:
        data = np.ascontiguousarray(rows, dtype=np.float64)
        n, m = data.shape
        size, written = ctypes.c_int64(0), ctypes.c_int64(0)
        pointer = ctypes.c_void_p(data.ctypes.data)
        _safe_call(_LIB.LGBM_BoosterCalcNumPredict(handle, ctypes.c_int(n), kind,
                                                   ctypes.c_int(trees[0]), one,
                                                   ctypes.byref(size)))
        if size.value % n:
            raise ValueError("Wrong length for predict results")
        out = np.empty((len(trees), size.value), dtype=np.float64)
        at, step = out.ctypes.data, size.value * out.itemsize
        for tree in trees:
            _safe_call(_LIB.LGBM_BoosterPredictForMat(
                handle, pointer, dtype, ctypes.c_int32(n), ctypes.c_int32(m), layout, kind,
                ctypes.c_int(tree), one, parameter, ctypes.byref(written),
                ctypes.c_void_p(at)))
            if written.value != size.value:
                raise ValueError("Wrong length for predict results")
            at += step
        return out.reshape(len(trees), n, -1)

    return predict


def _remembered(booster: Any, matrix: np.ndarray, splits: ModelSplits, plan: KeyPlan,
                memo: ContributionMemo, keys: np.ndarray, generation: int
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """Every tree's stored row for each row (rows x places) and where the rows start; trees
    with a pattern not remembered are evaluated (and remembered) first. None when the memo
    started afresh or a tree does not remember."""
    listed = keys.tolist()
    found = memo.entry_values(listed, generation, plan.columns, plan.tree_of, plan.inner)
    if isinstance(found, list):
        predict = _kept_predictor(booster)
        if predict is not None:
            width = plan.width

            def evaluate(trees: list[int]) -> np.ndarray:
                phi: np.ndarray = predict(matrix, trees)[:, :, :width]
                return phi

            if not memo.entry_remember(listed, found, generation, plan.columns, evaluate):
                return None
            found = memo.entry_values(listed, generation, plan.columns, plan.tree_of,
                                      plan.inner)
            return found if isinstance(found, tuple) else None
        for tree in found:
            tree_terms(booster, matrix, tree, splits.trees[tree], keys[:, tree].copy(),
                       memo, generation, False)
        found = memo.entry_values(listed, generation, plan.columns, plan.tree_of, plan.inner)
    return found if isinstance(found, tuple) else None


def entry_contributions(booster: Any, matrix: np.ndarray, splits: ModelSplits,
                        plan: KeyPlan, memo: ContributionMemo
                        ) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Rows x (features + 1) TreeSHAP contributions of a few rows (bias last), as
    :func:`~tradeguard.model._treeshap.contributions` gives them with the identity
    projection and ``memo``, and the raw scores as LightGBM predicts them (None for a model
    whose raw score is not its leaves added up); None when the rows take the general path (a
    category outgrew its ids, a tree has no key or does not remember, the memo started
    afresh)."""
    rows, width = matrix.shape[0], plan.width
    if not plan.usable or rows == 0:
        return None
    ids, generation = memo.category_ids(matrix, splits.category_bits)
    keys = _keys(plan, matrix, ids)
    if keys is None:
        return None
    found = _remembered(booster, matrix, splits, plan, memo, keys, generation)
    if found is None:
        return None
    values, starts = found
    if plan.leaf_sums:
        leaves = values.take(plan.leaf_at, axis=1)
        unknown = np.isnan(leaves)
        if unknown.any():
            leaf = np.asarray(booster.predict(matrix, pred_leaf=True, num_threads=1))
            if leaf.shape != keys.shape:
                return None
            leaves = plan.leaves[plan.leaf_offset + leaf.astype(np.int64)]
            values[:, plan.leaf_at] = leaves
            memo.note_leaves((starts + plan.leaf_start)[unknown], leaves[unknown], generation)
    # row by row, tree by tree: each cell gets its trees' terms in tree order, from zero
    total = np.bincount(plan.places(rows), weights=values.ravel(),
                        minlength=rows * (width + 1)).reshape(rows, width + 1)
    raw = total[:, width].copy() if plan.leaf_sums else None
    return np.ascontiguousarray(total[:, :width]), raw
