"""History features: what past exam outcomes say about each party, product and route.

A line's risk is mostly told by its counterparts' record: the importer's and the declarant's
past discrepancy rate, how often the HS code from this origin was found wrong, how far the
declared unit price sits from peers. These are target encodings, so they leak unless built only
from outcomes known *before* the rows they describe. The functions here take the history
explicitly (``history`` -> ``target``) and never look at the target's own outcomes; the
training rows get out-of-fold encodings so the model sees the same kind of noise it meets later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

# Suffixes of the statistics produced per history key; reason texts are keyed on them.
STAT_COUNT = "n"
STAT_RATE = "rate"
STAT_CRITICAL = "critical_rate"
STAT_PRICE_GAP = "price_gap"
_FIXED = 1e6  # fixed-point scale for order-independent sums of unit values


@dataclass(frozen=True, slots=True)
class HistoryKey:
    """One grouping to profile: e.g. ``importer`` over ``("Importer ID",)``."""

    name: str
    columns: tuple[str, ...]
    label: str  # plain words used in reason texts, e.g. "importer", "HS code from this origin"


@dataclass(frozen=True, slots=True)
class HistorySpec:
    """Which groupings to profile and which columns carry the outcomes.

    ``outcome`` is the 0/1 exam result; ``critical`` (optional) is 0/1 for a critical finding;
    ``unit_value`` (optional) is a numeric column (e.g. log unit price) compared with the
    group's past mean. ``prior_weight`` shrinks small groups toward the overall rate.
    """

    keys: tuple[HistoryKey, ...]
    outcome: str
    critical: str | None = None
    unit_value: str | None = None
    prior_weight: float = 5.0

    def feature_names(self) -> list[str]:
        """The columns :func:`history_features` adds, in order."""
        names: list[str] = []
        for key in self.keys:
            names += [feature_name(key, STAT_COUNT), feature_name(key, STAT_RATE)]
            if self.critical is not None:
                names.append(feature_name(key, STAT_CRITICAL))
            if self.unit_value is not None:
                names.append(feature_name(key, STAT_PRICE_GAP))
        return names


def feature_name(key: HistoryKey, stat: str) -> str:
    """Column name of one history statistic (``hist_<key>_<stat>``)."""
    return f"hist_{key.name}_{stat}"


def _check_columns(frame: pl.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks column(s) {missing}")


# The last history's statistics: a service scores one entry per call against the same
# past outcomes (the scorer keeps them per day), so their groups are kept, not rebuilt.
_KEPT: list[tuple[pl.DataFrame, HistorySpec, tuple[float, float, list[pl.DataFrame]]]] = []


def _history_groups(history: pl.DataFrame, spec: HistorySpec
                    ) -> tuple[float, float, list[pl.DataFrame]]:
    """Prior rate, prior critical rate and one statistics frame per key of ``spec``."""
    for kept_history, kept_spec, kept in list(_KEPT):
        if kept_history is history and kept_spec == spec:
            return kept
    outcome = pl.col(spec.outcome).cast(pl.Int64)
    rows = max(history.height, 1)
    prior = float(history.select(outcome.sum()).item() or 0) / rows
    crit_prior = 0.0
    if spec.critical is not None:
        crit_prior = float(history.select(pl.col(spec.critical).cast(pl.Int64).sum()).item()
                           or 0) / rows
    every: list[pl.DataFrame] = []
    for i, key in enumerate(spec.keys):
        aggs = [pl.len().alias(f"__n{i}"), outcome.sum().alias(f"__s{i}")]
        if spec.critical is not None:
            aggs.append(pl.col(spec.critical).cast(pl.Int64).sum().alias(f"__c{i}"))
        if spec.unit_value is not None:
            # Summed as fixed-point integers: a float sum's value depends on the order the
            # parallel group-by adds in, and the features must be bit-identical run to run.
            fixed = (pl.col(spec.unit_value).cast(pl.Float64) * _FIXED).round().cast(pl.Int64)
            aggs.append((fixed.sum() / _FIXED / fixed.count()).alias(f"__v{i}"))
        every.append(history.group_by(list(key.columns)).agg(aggs))
    found = (prior, crit_prior, every)
    _KEPT[:] = [(history, spec, found)]  # one at a time; keeps the frame it keys on alive
    return found


@dataclass(frozen=True, slots=True)
class HistoryLookup:
    """A history's statistics as dictionaries, for the few lines of one entry: per key of a
    spec, the group's values -> (rows, outcome sum, critical sum); and the prior rates."""

    prior: float
    crit_prior: float
    groups: tuple[dict[tuple[Any, ...], tuple[int, int, int]], ...]
    totals: tuple[int, int, int] = (0, 0, 0)  # rows, outcome sum, critical sum
    # Rows left out (a noted subset, :func:`note_subset`), counted per group as ``groups``.
    removed: tuple[dict[tuple[Any, ...], tuple[int, int, int]], ...] | None = None


#: Histories whose lookups are kept: a service scores entries of a few days, each day
#: against its own past outcomes (the scorer keeps those per day).
LOOKUPS_KEPT = 8
_LOOKUPS: list[tuple[pl.DataFrame | None, HistorySpec, HistoryLookup]] = []


# Histories noted as another one less a few rows: (subset, whole, the rows left out); a
# subset is scored right after it is made, so few are kept (each holds a copy of its whole).
SUBSETS_KEPT = 2
_SUBSETS: list[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]] = []


def note_subset(subset: pl.DataFrame, whole: pl.DataFrame, removed: pl.DataFrame) -> None:
    """Note that ``subset`` is ``whole`` less the rows ``removed`` (e.g. the past outcomes
    of a day less a re-scored entry's own lines), so its lookup is ``whole``'s less theirs
    instead of a new one (integer counts: the same statistics)."""
    _SUBSETS[:] = [(subset, whole, removed), *_SUBSETS[:SUBSETS_KEPT - 1]]


def history_lookup(history: pl.DataFrame | None, spec: HistorySpec) -> HistoryLookup | None:
    """:func:`history_features`' statistics of ``history`` as a :class:`HistoryLookup` (built
    once per history frame); None for what only the frame path handles (unit values, key
    columns that are not text, no history with a critical column)."""
    if spec.unit_value is not None or (history is None and spec.critical is not None):
        return None
    for kept_history, kept_spec, kept in tuple(_LOOKUPS):
        if kept_history is history and kept_spec == spec:
            return kept
    for subset, whole, removed in tuple(_SUBSETS):
        if subset is history:
            return _less(history_lookup(whole, spec), removed, spec)
    if history is None:
        lookup = HistoryLookup(0.0, 0.0, tuple({} for _ in spec.keys))
    else:
        if not _text_keys(history, spec):
            return None
        prior, crit_prior, every = _history_groups(history, spec)
        critical = spec.critical is not None
        groups = tuple(_group_dict(g, len(k.columns), critical)
                       for k, g in zip(spec.keys, every, strict=True))
        first = every[0].select(pl.all().exclude(spec.keys[0].columns)).sum().row(0) \
            if every and every[0].height else (0, 0, 0)
        totals = (history.height, first[1] or 0, (first[2] or 0) if critical else 0)
        lookup = HistoryLookup(prior, crit_prior, groups, totals)
    _LOOKUPS[:] = [(history, spec, lookup), *_LOOKUPS[:LOOKUPS_KEPT - 1]]
    return lookup


def _text_keys(history: pl.DataFrame, spec: HistorySpec) -> bool:
    """Whether the key columns are text, as the lines' keys are (joins match them alike)."""
    return all(history.schema.get(c) == pl.String for k in spec.keys for c in k.columns)


def _less(whole: HistoryLookup | None, removed: pl.DataFrame, spec: HistorySpec
          ) -> HistoryLookup | None:
    """``whole`` less the ``removed`` rows: their counts per group, totals and priors."""
    if whole is None or whole.removed is not None or not _text_keys(removed, spec):
        return None
    critical = spec.critical is not None
    names = [spec.outcome, *([spec.critical] if spec.critical is not None else [])]
    less: list[dict[tuple[Any, ...], tuple[int, int, int]]] = []
    rows, hits, crit = whole.totals
    outcomes = removed.select([pl.col(c).cast(pl.Int64) for c in names]).rows()
    for key in spec.keys:
        counted: dict[tuple[Any, ...], tuple[int, int, int]] = {}
        values = removed.select(key.columns).rows()
        for value, outcome in zip(values, outcomes, strict=True):
            n, s, c = counted.get(value, (0, 0, 0))
            counted[value] = (n + 1, s + (outcome[0] or 0),
                              c + ((outcome[1] or 0) if critical else 0))
        less.append(counted)
    rows -= removed.height
    hits -= sum(o[0] or 0 for o in outcomes)
    crit -= sum(o[1] or 0 for o in outcomes) if critical else 0
    # As :func:`_history_groups` works the priors out from the frame's own sums.
    prior = float(hits) / max(rows, 1)
    crit_prior = float(crit) / max(rows, 1) if critical else 0.0
    return HistoryLookup(prior, crit_prior, whole.groups, (rows, hits, crit), tuple(less))


def _group_dict(groups: pl.DataFrame, width: int, critical: bool
                ) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """Group values -> (rows, outcome sum, critical sum); groups with a null value are left
    out (a join never matches them)."""
    out: dict[tuple[Any, ...], tuple[int, int, int]] = {}
    for row in groups.rows():
        values = row[:width]
        if None in values:
            continue
        out[values] = (row[width] or 0, row[width + 1] or 0,
                       (row[width + 2] or 0) if critical else 0)
    return out


# Per spec, each key's columns and the names of its statistics (count, rate, critical or
# None); found by identity first (a spec's hash walks all its keys).
_StatNames = tuple[tuple[tuple[str, ...], str, str, str | None], ...]
_STAT_NAMES: list[tuple[HistorySpec, _StatNames]] = []


def _stat_names(spec: HistorySpec) -> _StatNames:
    """Each key of ``spec``: its columns and its statistics' names, worked out once."""
    for kept, names in _STAT_NAMES:
        if kept is spec:
            return names
    names = tuple(
        (key.columns, feature_name(key, STAT_COUNT), feature_name(key, STAT_RATE),
         feature_name(key, STAT_CRITICAL) if spec.critical is not None else None)
        for key in spec.keys)
    _STAT_NAMES[:] = [(spec, names), *_STAT_NAMES[:LOOKUPS_KEPT - 1]]
    return names


def add_lookup_stats(lookup: HistoryLookup, spec: HistorySpec,
                     lines: Sequence[dict[str, Any]]) -> None:
    """:meth:`HistorySpec.feature_names` of each of a few lines (their key columns by name),
    added to it, as :func:`history_features` works them out (the same operations in the
    same order; the spec's names and the priors read once for them all)."""
    m = spec.prior_weight
    rate_prior, critical_prior = m * lookup.prior, m * lookup.crit_prior
    removed = lookup.removed
    nothing = (0, 0, 0)
    keys = tuple(zip(_stat_names(spec), lookup.groups,
                     removed if removed else [None] * len(lookup.groups), strict=True))
    for line in lines:
        for (columns, count_name, rate_name, critical_name), groups, less in keys:
            values = tuple([line[c] for c in columns])
            if None in values:
                n, hits, critical = nothing
            else:
                n, hits, critical = groups.get(values, nothing)
                if less:
                    gone = less.get(values, nothing)
                    n, hits, critical = n - gone[0], hits - gone[1], critical - gone[2]
            count = float(n)
            line[count_name] = count
            line[rate_name] = (float(hits) + rate_prior) / (count + m)
            if critical_name is not None:
                line[critical_name] = (float(critical) + critical_prior) / (count + m)


def history_features(
    history: pl.DataFrame, target: pl.DataFrame, spec: HistorySpec
) -> pl.DataFrame:
    """History statistics for every ``target`` row, computed from ``history`` rows only.

    Returns a frame aligned row-for-row with ``target`` holding :meth:`HistorySpec.feature_names`.
    Groups never seen in the history get count 0, the prior rate and a null price gap.
    """
    key_cols = sorted({c for k in spec.keys for c in k.columns})
    needed = [spec.outcome] + ([spec.critical] if spec.critical else [])
    value_cols = [spec.unit_value] if spec.unit_value else []
    _check_columns(history, key_cols + needed + value_cols, "history")
    _check_columns(target, key_cols + value_cols, "target")

    prior, crit_prior, every_groups = _history_groups(history, spec)
    m = spec.prior_weight
    # Every key's statistics joined in one query (their columns carry the key's position).
    plan = target.lazy().select([*key_cols, *value_cols]).with_row_index("__row")
    exprs: list[pl.Expr] = []
    for i, (key, groups) in enumerate(zip(spec.keys, every_groups, strict=True)):
        plan = plan.join(groups.lazy(), on=list(key.columns), how="left",
                         maintain_order="left")
        n = pl.col(f"__n{i}").fill_null(0).cast(pl.Float64)
        hits = pl.col(f"__s{i}").fill_null(0).cast(pl.Float64)
        exprs += [
            n.alias(feature_name(key, STAT_COUNT)),
            ((hits + m * prior) / (n + m)).alias(feature_name(key, STAT_RATE)),
        ]
        if spec.critical is not None:
            exprs.append(
                ((pl.col(f"__c{i}").fill_null(0).cast(pl.Float64) + m * crit_prior) / (n + m))
                .alias(feature_name(key, STAT_CRITICAL)))
        if spec.unit_value is not None:
            exprs.append((pl.col(spec.unit_value).cast(pl.Float64) - pl.col(f"__v{i}"))
                         .alias(feature_name(key, STAT_PRICE_GAP)))
    return plan.sort("__row").select(exprs).collect()


def out_of_fold_history_features(
    frame: pl.DataFrame, spec: HistorySpec, *, folds: int = 5, seed: int = 0
) -> pl.DataFrame:
    """History features for training rows, each row encoded from the other folds only.

    Using a row's own outcome in its encoding would teach the model to trust the encoding far
    more than it deserves on new declarations; out-of-fold encoding avoids that.
    """
    if folds < 2:
        raise ValueError("folds must be at least 2")
    fold = np.random.default_rng(seed).integers(0, folds, frame.height)
    parts: list[pl.DataFrame] = []
    order: list[np.ndarray] = []
    for f in range(folds):
        inside = fold == f
        if not inside.any():
            continue
        rows = np.flatnonzero(inside)
        parts.append(history_features(frame.filter(~inside), frame.filter(inside), spec))
        order.append(rows)
    stacked = pl.concat(parts, how="vertical")
    positions = np.argsort(np.concatenate(order), kind="stable")
    return stacked[positions]


def split_history_features(
    train: pl.DataFrame,
    valid: pl.DataFrame,
    test: pl.DataFrame,
    spec: HistorySpec,
    *,
    folds: int = 5,
    seed: int = 0,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """History features for a time-ordered train / valid / test split, without peeking.

    Train rows: out-of-fold within train. Valid rows: train outcomes only. Test rows: train and
    valid outcomes only — a test outcome can never change any feature.
    """
    train_f = out_of_fold_history_features(train, spec, folds=folds, seed=seed)
    valid_f = history_features(train, valid, spec)
    cols = [*sorted({c for k in spec.keys for c in k.columns}), spec.outcome]
    cols += [c for c in (spec.critical, spec.unit_value) if c is not None]
    cols = list(dict.fromkeys(cols))
    known = pl.concat([train.select(cols), valid.select(cols)], how="vertical_relaxed")
    test_f = history_features(known, test, spec)
    return train_f, valid_f, test_f
