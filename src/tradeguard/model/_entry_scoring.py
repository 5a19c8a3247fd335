"""Scoring the few lines of one entry without a Polars query per step.

A scoring request holds one entry of 1-5 lines, and a Polars query or a NumPy/pandas call per
tree costs ~50-300 us whatever the size of the batch; the frame path (features,
:func:`~tradeguard.model._scoring.score`, reason texts) spends ~10 ms on that fixed overhead.
Here the features come from :mod:`~tradeguard.model._entry_features`, the contributions from
:mod:`~tradeguard.model._entry_trees`, and the model's lookup tables (category indexes, reason
groups, the trees' key layout) are laid out once per artifact (:class:`EntryTables`). The
operations on the numbers are those of the frame path, in the same order, so probabilities,
contributions and reasons are the same; the raw score is the trees' leaf values added up as
LightGBM adds them (:func:`~tradeguard.model._entry_trees.entry_contributions`), else
LightGBM's prediction. Anything outside what this path reads exactly answers None: the caller
takes the frame path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from tradeguard.model._entry_features import Line
from tradeguard.model._entry_trees import KeyPlan, entry_contributions, key_plan
from tradeguard.model._reasons import _strongest, group_matrix, strongest_few
from tradeguard.model._treeshap import ONE_THREAD_BELOW
from tradeguard.model._treeshap import contributions as tree_contributions

if TYPE_CHECKING:
    from tradeguard.model._artifact import ModelArtifact
    from tradeguard.model._calibration import Calibration

#: Reasons given per line (as :func:`~tradeguard.model._scoring.score` gives by default).
TOP_REASONS = 3


@dataclass(frozen=True)
class EntryTables:
    """What scoring one entry reads from a model, laid out once: per feature its category
    index (None for a numeric one), the reason codes and the features x reasons matrix, the
    codes' texts and the trees' key layout."""

    categories: tuple[dict[str, float] | None, ...]
    codes: tuple[str, ...]
    reason_matrix: np.ndarray
    texts: dict[str, str]
    plan: KeyPlan
    # a line's features in the model's order, read in one call (None for a model of one);
    # the categorical ones' places and indexes
    read: itemgetter[Any] | None
    coded: tuple[tuple[int, dict[str, float]], ...]
    # the calibration's knots as arrays, and the calibration they are of
    calibration: Calibration
    knots: tuple[np.ndarray, np.ndarray]


def entry_tables(artifact: ModelArtifact) -> EntryTables:
    """The :class:`EntryTables` of ``artifact`` (``artifact.entry_tables`` keeps them)."""
    names = list(artifact.features)
    categories = tuple(
        {v: float(i) for i, v in enumerate(artifact.categories[f])}
        if f in artifact.categories else None for f in names)
    distinct, matrix = group_matrix(names, artifact.reasons)
    return EntryTables(categories, tuple(r.code for r in distinct), matrix,
                       {r.code: r.text for r in artifact.reasons.values()},
                       key_plan(artifact.splits, len(names)),
                       itemgetter(*names) if len(names) > 1 else None,
                       tuple((c, index) for c, index in enumerate(categories)
                             if index is not None),
                       artifact.calibration,
                       (np.array(artifact.calibration.x), np.array(artifact.calibration.y)))


@dataclass(frozen=True)
class EntryScores:
    """Per line, in the order of the declaration: calibrated probability, reason codes
    (strongest first) and their texts, and the contributions (rows x (features + 1))."""

    probability: np.ndarray
    reasons: list[list[str]]
    texts: list[list[str | None]]
    contributions: np.ndarray
    raw: np.ndarray


# What the features of :mod:`~tradeguard.model._entry_features` hold (None for null).
_PLAIN = frozenset({float, type(None)})


def _matrix(lines: list[Line], names: tuple[str, ...], tables: EntryTables
            ) -> np.ndarray | None:
    """The matrix :func:`~tradeguard.model._training.feature_matrix` builds; None for a value
    it would have to parse or format (text as a number, a number as a category).

    Each line's values are read in one call, its categories looked up, and the rows made one
    array (None as NaN) once every value is a float or None; other values are checked one
    by one."""
    if not lines:
        return None
    rows: list[list[Any]] = []
    for line in lines:
        try:
            values = list(tables.read(line)) if tables.read is not None else [line[names[0]]]
        except KeyError:
            return None
        for c, index in tables.coded:
            value = values[c]
            if value is not None:
                if not isinstance(value, str):
                    return None
                values[c] = index.get(value, math.nan)
        rows.append(values)
    if set(map(type, chain.from_iterable(rows))) <= _PLAIN:
        return np.array(rows, dtype=float)
    return _checked_matrix(lines, names, tables.categories)


def _checked_matrix(lines: list[Line], names: tuple[str, ...],
                    categories: tuple[dict[str, float] | None, ...]) -> np.ndarray | None:
    """:func:`_matrix` value by value (numbers of a float type other than ``float``)."""
    out = np.empty((len(lines), len(names)))
    nan = math.nan
    for r, line in enumerate(lines):
        for c, (name, index) in enumerate(zip(names, categories, strict=True)):
            if name not in line:
                return None
            value: Any = line[name]
            if value is None:
                out[r, c] = nan
            elif index is not None:
                if not isinstance(value, str):
                    return None
                out[r, c] = index.get(value, nan)
            elif isinstance(value, float):
                out[r, c] = value
            else:
                return None
    return out


def score_entry(artifact: ModelArtifact, lines: list[Line]) -> EntryScores | None:
    """:func:`~tradeguard.model._scoring.score` (explained, top three reasons) of a few lines'
    features (:func:`~tradeguard.model._entry_features.entry_features`)."""
    tables: EntryTables = artifact.entry_tables
    matrix = _matrix(lines, artifact.features, tables)
    if matrix is None or matrix.shape[0] >= ONE_THREAD_BELOW:
        return None
    booster = artifact.booster
    found = entry_contributions(booster, matrix, artifact.splits, tables.plan,
                                artifact.contribution_memo)
    raw: np.ndarray | None = None
    if found is not None:
        contributions, raw = found
    else:
        contributions = tree_contributions(
            booster, matrix, artifact.splits, np.eye(len(artifact.features) + 1),
            artifact.contribution_memo)
    if raw is None:
        raw = np.asarray(booster.predict(matrix, raw_score=True, num_threads=1), dtype=float)
    grouped = contributions[:, : len(artifact.features)] @ tables.reason_matrix
    k = min(TOP_REASONS, grouped.shape[1])
    reasons: list[list[str]] = [[] for _ in lines]
    if k > 0:
        few = strongest_few(grouped.tolist(), k)
        if few is not None:
            reasons = [[tables.codes[c] for c in row] for row in few]
        else:
            order, strength = _strongest(grouped, k)
            picked = np.where(~(strength <= 0), order + 1, 0)
            reasons = [[tables.codes[c - 1] for c in row if c] for row in picked.tolist()]
    texts = [[tables.texts.get(code) for code in row] for row in reasons]
    calibration = artifact.calibration
    # :meth:`Calibration.apply` with its knots laid out once
    probability = (np.interp(np.asarray(raw, dtype=float), *tables.knots)
                   if calibration is tables.calibration else calibration.apply(raw))
    return EntryScores(probability, reasons, texts, contributions, raw)
