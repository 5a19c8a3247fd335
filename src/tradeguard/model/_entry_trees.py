"""The trees' contributions for the few lines of one entry, read from the remembered patterns.

Grouped TreeSHAP (:mod:`~tradeguard.model._treeshap`) spends some tens of microseconds of
NumPy and pandas calls on each tree of each batch, whatever its size: milliseconds for one
entry over the line model's trees, although nearly every pattern of a request was met before.
For a request's few lines each line's interval among every numeric feature's thresholds is
found by bisection, every tree's key in one gather over a table laid out once per model
(:class:`KeyPlan`), and the remembered rows by dictionary
(:meth:`~tradeguard.model._shap_memo.ContributionMemo.remembered`). A tree with a pattern not
remembered takes the general step for that tree (:func:`~tradeguard.model._treeshap.
tree_terms`). The rows are then added up per column in tree order from zero, the additions
:func:`~tradeguard.model._treeshap.contributions` makes, so the sums are the same doubles.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

import numpy as np

from tradeguard.model._shap_memo import ContributionMemo, tree_columns
from tradeguard.model._splits import _ZERO, ModelSplits
from tradeguard.model._treeshap import split_patterns, tree_terms


@dataclass(frozen=True)
class KeyPlan:
    """A model's tree keys as one gather: the key of row ``r`` in tree ``t`` is the sum over
    ``j`` of ``table[offset[t, j] + bins[r, position[t, j]]]`` plus its category ids times
    their place values; padding points at a zero. ``keyed``: trees that have a key."""

    thresholds: tuple[tuple[list[float], int], ...]  # per numeric feature, as in ``position``
    features: tuple[int, ...]
    position: np.ndarray
    offset: np.ndarray
    table: np.ndarray
    categorical: tuple[int, ...]
    category_position: np.ndarray
    category_place: np.ndarray
    keyed: tuple[bool, ...]
    columns: tuple[np.ndarray, ...]
    flat_columns: np.ndarray  # every tree's columns, in tree order, as one array
    width: int


def key_plan(splits: ModelSplits, n_features: int) -> KeyPlan:
    """The :class:`KeyPlan` of a model's splits (laid out once per model)."""
    features = tuple(splits.thresholds)
    column = {f: i for i, f in enumerate(features)}
    categorical = tuple(splits.category_bits)
    category_column = {f: i for i, f in enumerate(categorical)}
    tables: list[np.ndarray] = []
    size = 0
    rows: list[list[tuple[int, int]]] = []
    category_rows: list[list[tuple[int, int]]] = []
    for tree in splits.trees:
        fields: list[tuple[int, int]] = []
        category_fields: list[tuple[int, int]] = []
        if tree.placed is not None:
            for (feature, _, _), placed in zip(tree.numeric, tree.placed, strict=True):
                fields.append((column[feature], size))
                tables.append(placed.astype(np.int64))
                size += placed.size
            category_fields = [(category_column[f], place) for f, place in
                               zip(tree.categorical, tree.category_places, strict=True)]
        rows.append(fields)
        category_rows.append(category_fields)
    zero = size  # a zero at the end of the table, for padding
    tables.append(np.zeros(1, dtype=np.int64))
    depth = max((len(r) for r in rows), default=0) or 1
    position = np.full((len(rows), depth), len(features), dtype=np.int64)
    offset = np.full((len(rows), depth), zero, dtype=np.int64)
    for t, fields in enumerate(rows):
        for j, (col, start) in enumerate(fields):
            position[t, j], offset[t, j] = col, start
    category_depth = max((len(r) for r in category_rows), default=0) or 1
    category_position = np.full((len(rows), category_depth), len(categorical), dtype=np.int64)
    category_place = np.zeros((len(rows), category_depth), dtype=np.int64)
    for t, category_fields in enumerate(category_rows):
        for j, (col, place) in enumerate(category_fields):
            category_position[t, j], category_place[t, j] = col, place
    width = n_features + 1
    columns = tuple(tree_columns(tree, width) for tree in splits.trees)
    return KeyPlan(
        thresholds=tuple((splits.thresholds[f].tolist(), splits.thresholds[f].size)
                         for f in features),
        features=features, position=position, offset=offset, table=np.concatenate(tables),
        categorical=categorical, category_position=category_position,
        category_place=category_place,
        keyed=tuple(tree.placed is not None for tree in splits.trees),
        columns=columns, flat_columns=np.concatenate([np.zeros(0, dtype=np.int64), *columns]),
        width=width)


def _bins(plan: KeyPlan, matrix: np.ndarray) -> np.ndarray:
    """Rows x numeric features (+ a zero column for padding): each value's model-wide
    interval, as :meth:`ModelSplits.bins` finds it."""
    out = np.zeros((matrix.shape[0], len(plan.features) + 1), dtype=np.int64)
    for r, row in enumerate(matrix[:, list(plan.features)].tolist()):
        for i, (x, (thresholds, k)) in enumerate(zip(row, plan.thresholds, strict=True)):
            out[r, i] = (k + 2 if x != x else k + 1 if abs(x) <= _ZERO
                         else bisect_left(thresholds, x))
    return out


def entry_contributions(booster: Any, matrix: np.ndarray, splits: ModelSplits,
                        plan: KeyPlan, memo: ContributionMemo) -> np.ndarray | None:
    """Rows x (features + 1) TreeSHAP contributions of a few rows (bias last), as
    :func:`~tradeguard.model._treeshap.contributions` gives them with the identity
    projection and ``memo``; None when a category outgrew its ids (the general path)."""
    rows, width = matrix.shape[0], plan.width
    if rows == 0:
        return np.zeros((0, width))
    ids, generation = memo.category_ids(matrix, splits.category_bits)
    category = np.zeros((rows, len(plan.categorical) + 1), dtype=np.int64)
    for i, feature in enumerate(plan.categorical):
        given = ids.get(feature)
        if given is None:
            return None
        category[:, i] = given
    bins = _bins(plan, matrix)
    keys = plan.table[plan.offset[None, :, :] + bins[:, plan.position]].sum(axis=2)
    keys += (category[:, plan.category_position] * plan.category_place[None]).sum(axis=2)
    per_tree = keys.T.tolist()
    found = memo.remembered(per_tree, generation)
    values: list[np.ndarray]
    if all(f is not None for f in found):
        # every tree's remembered columns are its ``tree_columns``, as laid out in the plan
        values = [f[1][r] for r in range(rows) for f in found if f is not None]
        at = (plan.flat_columns[None, :] + width * np.arange(rows)[:, None]).ravel()
    else:
        values = []
        places: list[np.ndarray] = []
        model_bins: dict[int, np.ndarray] | None = None
        categories: dict[int, tuple[np.ndarray, int]] = {}
        for tree, kept in enumerate(found):
            if kept is not None:
                columns, phi = kept[0], np.vstack(kept[1])
            else:
                if plan.keyed[tree]:
                    key = np.asarray(per_tree[tree], dtype=np.int64)
                else:
                    model_bins = model_bins if model_bins is not None else splits.bins(matrix)
                    key = split_patterns(matrix, model_bins, splits.trees[tree], categories)
                terms = tree_terms(booster, matrix, tree, splits.trees[tree], key,
                                   memo if plan.keyed[tree] else None, generation, False)
                columns, phi = terms.columns, terms.phi[terms.group]
            for r in range(rows):
                values.append(phi[r])
                places.append(columns + r * width)
        at = np.concatenate(places) if places else np.zeros(0, dtype=np.int64)
        # tree-major here: each cell still gets its trees' terms in tree order
    flat = np.concatenate(values) if values else np.zeros(0)
    return np.bincount(at, weights=flat, minlength=rows * width).reshape(rows, width)
