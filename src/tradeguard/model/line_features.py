"""Features of tradeguard's own entry lines for the supervised exam-outcome model.

Three kinds, all computed on whole frames:

* **declared** — what the line and its entry say: value, quantity, weight, unit values, duty
  declared and at stake, trade-remedy and free-trade claims, route contradictions, goods
  chapter, origin, entry type and mode of transport;
* **history** — past discrepancy rates of the importer, the manufacturer, the HS-6 from this
  origin and the origin, from exam outcomes known before the line (see
  :mod:`tradeguard.model._history`; training rows are encoded out of fold);
* **findings** — how many findings each detector category raised on the line and the
  strongest severity, so the model learns which findings exams confirm.

Labels come from the contract's outcomes: a line-level outcome, else its entry's outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import polars as pl

from tradeguard.findings import SEVERITY_RANK, Category
from tradeguard.model._entry_features import SMALL_ENTRY_LINES, Line, entry_features
from tradeguard.model._fields import HTS_DIGITS as _HTS
from tradeguard.model._fields import MANUFACTURER_ID as _MID
from tradeguard.model._fields import ORIGIN as _ORIGIN
from tradeguard.model._fields import boolean as _bool
from tradeguard.model._fields import flag as _flag
from tradeguard.model._fields import log1p as _log1p
from tradeguard.model._fields import normalised as _normalised
from tradeguard.model._fields import number as _num
from tradeguard.model._fields import text as _text
from tradeguard.model._history import (
    LOOKUPS_KEPT,
    HistoryKey,
    HistorySpec,
    history_features,
    note_subset,
)
from tradeguard.model._history import out_of_fold_history_features as _oof
from tradeguard.model._reasons import ReasonCode, history_reasons

KEYS = ["entry_number", "line_number"]
LABEL = "discrepancy"
WEIGHT = "revenue_weight"
AT_STAKE = "duty_at_stake_usd"
RECOVERED = "recovered_duty_usd"
SELECTION = "selection_probability"
DESIGN_WEIGHT = "design_weight"
# Columns a feature table carries that are not features (keys, label, weights, evaluation).
NOT_FEATURES = (*KEYS, "entry_date", LABEL, WEIGHT, RECOVERED, AT_STAKE, SELECTION,
                DESIGN_WEIGHT)
FINDING_CATEGORIES = tuple(c.value for c in Category if c is not Category.MODEL)

LINE_HISTORY_SPEC = HistorySpec(
    keys=(
        HistoryKey("importer", ("importer_id",), "importer"),
        HistoryKey("manufacturer", ("manufacturer_id",), "manufacturer"),
        HistoryKey("hs6_origin", ("hs6", "country_of_origin"), "HS-6 from this origin"),
        HistoryKey("origin", ("country_of_origin",), "country of origin"),
    ),
    outcome=LABEL,
)
HISTORY_COLUMNS = ("importer_id", "manufacturer_id", "hs6", "country_of_origin")

_DECLARED_REASONS: dict[str, tuple[str, str]] = {
    "log_value": ("model_declared_value", "declared value of the line"),
    "log_unit_value": ("model_unit_value", "declared unit value"),
    "log_value_per_kg": ("model_value_per_kg", "declared value per kilogram"),
    "log_quantity": ("model_quantity", "declared quantity"),
    "log_weight": ("model_weight", "declared gross weight"),
    "duty_rate": ("model_duty_rate", "declared duty rate"),
    "log_duty_at_stake": ("model_duty_at_stake", "duty at stake on the line"),
    "effective_duty_rate": ("model_effective_rate", "declared duty as a share of value"),
    "has_adcvd_case": ("model_adcvd_claim", "AD/CVD case declared"),
    "has_chapter99": ("model_chapter99", "Chapter 99 measures declared"),
    "spi_claimed": ("model_fta_claim", "free-trade program claimed"),
    "related_party": ("model_related_party", "buyer and seller related"),
    "trusted_trader": ("model_trusted_trader", "trusted-trader membership"),
    "origin_export_differ": ("model_route", "country of export differs from origin"),
    "manufacturer_origin_differ": ("model_manufacturer_country",
                                   "manufacturer country differs from origin"),
    "mid_origin_differ": ("model_mid_country", "MID country differs from origin"),
    "lines_in_entry": ("model_entry_size", "number of lines in the entry"),
    "hs_chapter": ("model_goods_chapter", "goods chapter"),
    "country_of_origin": ("model_origin", "country of origin"),
    "entry_type": ("model_entry_type", "entry type"),
    "mode_of_transport": ("model_transport_mode", "mode of transport"),
    "findings_max_severity": ("model_finding_severity", "strongest detector finding"),
    "findings_total": ("model_finding_count", "number of detector findings"),
}


def feature_reasons() -> dict[str, ReasonCode]:
    """Reason code and plain words for every feature of :func:`line_features`."""
    reasons = {f: ReasonCode(code, text) for f, (code, text) in _DECLARED_REASONS.items()}
    for cat in FINDING_CATEGORIES:
        reasons[f"findings_{cat}"] = ReasonCode(
            f"model_findings_{cat}", f"{cat.replace('_', ' ')} findings on the line")
    reasons.update(history_reasons(LINE_HISTORY_SPEC))
    return reasons


def declared_features(decl: pl.DataFrame) -> pl.DataFrame:
    """Declared-field features, one row per declaration line, keys first."""
    return _declared(_normalised(decl))


def _declared(f: pl.DataFrame) -> pl.DataFrame:
    """:func:`declared_features` of a :func:`_normalised` frame."""
    return f.select(_declared_exprs(tuple(f.schema.items())))


@lru_cache(maxsize=32)
def _declared_exprs(schema: tuple[tuple[str, pl.DataType], ...]) -> tuple[pl.Expr, ...]:
    """The expressions of :func:`_declared` for frames of this schema (they depend on which
    fields are declared and how they are typed, not on the values): built once."""
    f = pl.DataFrame(schema=dict(schema))
    value, qty, weight = _num("entered_value_usd", f), _num("quantity", f), _num(
        "gross_weight_kg", f)
    stake = (_num("duty_usd", f).fill_null(0.0) + _num("additional_duty_usd", f).fill_null(0.0)
             + _num("adcvd_deposit_usd", f).fill_null(0.0))
    origin, hts = pl.col(_ORIGIN), pl.col(_HTS)

    def differs(other: pl.Expr) -> pl.Expr:
        return pl.when(other.is_not_null() & origin.is_not_null()).then(
            (other.str.to_uppercase() != origin).cast(pl.Float64))

    return (
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        pl.col("entry_date").cast(pl.Date, strict=False) if "entry_date" in f.columns
        else pl.lit(None, dtype=pl.Date).alias("entry_date"),
        _log1p(value).alias("log_value"),
        pl.when((value > 0) & (qty > 0)).then((value / qty).log()).alias("log_unit_value"),
        pl.when((value > 0) & (weight > 0)).then((value / weight).log()).alias(
            "log_value_per_kg"),
        _log1p(qty).alias("log_quantity"), _log1p(weight).alias("log_weight"),
        _num("duty_rate", f).alias("duty_rate"), stake.alias(AT_STAKE),
        _log1p(stake).alias("log_duty_at_stake"),
        pl.when(value > 0).then(stake / value).alias("effective_duty_rate"),
        _text("adcvd_case_number", f).is_not_null().cast(pl.Float64).alias("has_adcvd_case"),
        _text("chapter99_numbers", f).is_not_null().cast(pl.Float64).alias("has_chapter99"),
        _text("spi", f).is_not_null().cast(pl.Float64).alias("spi_claimed"),
        _flag("related_party", f).alias("related_party"),
        _flag("trusted_trader", f).alias("trusted_trader"),
        differs(_text("country_of_export", f)).alias("origin_export_differ"),
        differs(_text("manufacturer_country", f)).alias("manufacturer_origin_differ"),
        differs(pl.col(_MID).str.slice(0, 2)).alias("mid_origin_differ"),
        pl.len().over("entry_number").cast(pl.Float64).alias("lines_in_entry"),
        hts.str.slice(0, 2).alias("hs_chapter"), origin.alias("country_of_origin"),
        _text("entry_type", f).alias("entry_type"),
        _text("mode_of_transport", f).alias("mode_of_transport"),
    )


def finding_features(keys: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """Counts of findings per category and the strongest severity, aligned with ``keys``.

    Entry-level findings count on every line of their entry. Model findings are left out:
    the model must not learn from its own earlier output.
    """
    keys = keys.select(pl.col("entry_number").cast(pl.String),
                       pl.col("line_number").cast(pl.Int64))
    found = findings.filter(pl.col("category") != Category.MODEL.value)
    on_line = found.filter(pl.col("line_number").is_not_null()).join(keys, on=KEYS, how="semi")
    on_entry = found.filter(pl.col("line_number").is_null()).drop("line_number").join(
        keys, on="entry_number", how="inner")
    both = pl.concat([on_line.select(*KEYS, "category", "severity"),
                      on_entry.select(*KEYS, "category", "severity")])
    rank = pl.col("severity").replace_strict(SEVERITY_RANK, default=0, return_dtype=pl.Float64)
    agg = both.group_by(KEYS).agg(
        *[(pl.col("category") == c).sum().cast(pl.Float64).alias(f"findings_{c}")
          for c in FINDING_CATEGORIES],
        rank.max().alias("findings_max_severity"),
        pl.len().cast(pl.Float64).alias("findings_total"),
    )
    names = [c for c in agg.columns if c not in KEYS]
    return keys.join(agg, on=KEYS, how="left", maintain_order="left").with_columns(
        [pl.col(c).fill_null(0.0) for c in names])


def history_keys(decl: pl.DataFrame) -> pl.DataFrame:
    """The columns history statistics are grouped by, normalised, keys first."""
    return _history_keys(_normalised(decl))


def _history_keys(f: pl.DataFrame) -> pl.DataFrame:
    """:func:`history_keys` of a :func:`_normalised` frame."""
    return f.select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        _text("importer_id", f).alias("importer_id"),
        pl.col(_MID).str.to_uppercase().alias("manufacturer_id"),
        pl.col(_HTS).str.slice(0, 6).alias("hs6"),
        pl.col(_ORIGIN).alias("country_of_origin"),
    )


def outcome_labels(decl: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """Examined lines with their 0/1 discrepancy, recovered duty, decision date and the
    chance they had of being examined (``selection_probability``, null when not recorded).

    A line-level outcome wins over its entry's; an entry-level outcome (no line number)
    labels every line of the entry. Lines never examined get no row.
    """
    typed = outcomes.filter(_bool("examined", outcomes).fill_null(False)).select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        _bool("discrepancy", outcomes).cast(pl.Int64).alias(LABEL),
        (pl.col(RECOVERED).cast(pl.Float64, strict=False) if RECOVERED in outcomes.columns
         else pl.lit(None, dtype=pl.Float64)).fill_null(0.0).alias(RECOVERED),
        (pl.col("decided_on").cast(pl.Date, strict=False) if "decided_on" in outcomes.columns
         else pl.lit(None, dtype=pl.Date)).alias("decided_on"),
        _num(SELECTION, outcomes).alias(SELECTION),
    ).filter(pl.col(LABEL).is_not_null())
    keys = decl.select(pl.col("entry_number").cast(pl.String),
                       pl.col("line_number").cast(pl.Int64))
    line = keys.join(typed.filter(pl.col("line_number").is_not_null())
                     .unique(KEYS, keep="last"), on=KEYS, how="inner")
    entry = keys.join(typed.filter(pl.col("line_number").is_null()).drop("line_number")
                      .unique("entry_number", keep="last"), on="entry_number", how="inner")
    entry = entry.join(line, on=KEYS, how="anti")
    return pl.concat([line, entry.select(line.columns)])


def past_outcomes(decl: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """History rows for :func:`history_features`: group columns and the 0/1 outcome."""
    labels = outcome_labels(decl, outcomes)
    return history_keys(decl).join(labels.select(*KEYS, LABEL), on=KEYS, how="inner")


# Row positions of each (entry, line) in a past-outcomes frame, per frame (as lookups are).
_LINE_ROWS: list[tuple[pl.DataFrame, dict[tuple[str, int], list[int]]]] = []


def without_lines(past: pl.DataFrame, decl: pl.DataFrame) -> pl.DataFrame:
    """``past`` (:func:`past_outcomes`) without the rows of ``decl``'s lines, so no line sees
    its own outcome; ``past`` itself when it holds none of them (its statistics stay kept).

    One entry's few lines are looked up in an index of ``past``'s rows, built once per frame,
    instead of an anti-join over all of it per call; the rows they take out are noted
    (:func:`~tradeguard.model._history.note_subset`) so the statistics of what is left are
    the kept ones less theirs. Larger batches are anti-joined.
    """
    small = (0 < decl.height <= SMALL_ENTRY_LINES
             and decl.get_column("entry_number").dtype == pl.String
             and decl.get_column("line_number").dtype == pl.Int64)
    rows: list[int] = []
    if small:
        index = _line_rows(past)
        keys = zip(decl.get_column("entry_number").to_list(),
                   decl.get_column("line_number").to_list(), strict=True)
        rows = sorted({at for key in keys for at in index.get(key, ())})
        if not rows:
            return past
    current = decl.select(pl.col("entry_number").cast(pl.String),
                          pl.col("line_number").cast(pl.Int64))
    kept = past.join(current, on=KEYS, how="anti")
    if rows:
        note_subset(kept, past, past[rows])
    return past if kept.height == past.height else kept


def _line_rows(past: pl.DataFrame) -> dict[tuple[str, int], list[int]]:
    """(entry, line) -> its row positions in ``past`` (null keys left out: never matched)."""
    for frame, kept in tuple(_LINE_ROWS):
        if frame is past:
            return kept
    index: dict[tuple[str, int], list[int]] = {}
    for at, key in enumerate(past.select(pl.col("entry_number").cast(pl.String),
                                         pl.col("line_number").cast(pl.Int64)).iter_rows()):
        if None not in key:
            index.setdefault(key, []).append(at)
    _LINE_ROWS[:] = [(past, index), *_LINE_ROWS[:LOOKUPS_KEPT - 1]]
    return index


def line_features(
    decl: pl.DataFrame, findings: pl.DataFrame, history: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Scoring features for every line of ``decl``.

    ``history`` holds past examined lines (:func:`past_outcomes` of earlier declarations);
    it must not contain the lines being scored, or their own outcomes would leak in.
    """
    normalised = _normalised(decl)
    base = _declared(normalised)
    found = finding_features(base.select(KEYS), findings).drop(KEYS)
    hist_source = history if history is not None else pl.DataFrame(
        schema={**{c: pl.String() for c in HISTORY_COLUMNS}, LABEL: pl.Int64()})
    hist = history_features(hist_source, _history_keys(normalised), LINE_HISTORY_SPEC)
    return pl.concat([base, found, hist], how="horizontal")


def entry_line_features(decl: pl.DataFrame, findings: pl.DataFrame,
                        history: pl.DataFrame | None = None) -> list[Line] | None:
    """:func:`line_features` of one entry's few lines, per line by name, worked out without
    a query per step (:mod:`~tradeguard.model._entry_features`); None when the lines need
    the frame path."""
    return entry_features(decl, findings, history, LINE_HISTORY_SPEC, FINDING_CATEGORIES)


def training_table(
    decl: pl.DataFrame,
    findings: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    history: pl.DataFrame | None = None,
    seed: int = 0,
) -> pl.DataFrame:
    """Examined lines with features, label and revenue weight, oldest first.

    History features of training rows are out of fold (each row encoded from the others'
    outcomes plus ``history``), so no row sees its own outcome. The weight
    ``1 + log1p(recovered duty)`` makes costly misses count more without letting one huge
    recovery dominate.
    """
    labels = outcome_labels(decl, outcomes)
    rows = decl.with_columns(pl.col("entry_number").cast(pl.String),
                             pl.col("line_number").cast(pl.Int64)).join(
        labels.select(*KEYS), on=KEYS, how="semi")
    if rows.is_empty():
        raise ValueError("outcomes label no line of the declarations given")
    table = line_features(rows, findings, history).join(labels, on=KEYS, how="left")
    keyed = history_keys(rows).join(labels.select(*KEYS, LABEL), on=KEYS, how="left")
    if history is None or history.is_empty():
        hist = _oof(keyed, LINE_HISTORY_SPEC, seed=seed)
    else:
        hist = _oof_with_history(keyed, history, seed)
    table = table.drop(hist.columns).hstack(hist)
    return table.with_columns(
        (1.0 + pl.col(RECOVERED).log1p()).alias(WEIGHT)).sort(
        ["entry_date", "entry_number", "line_number"], nulls_last=False).drop("decided_on")


def _oof_with_history(keyed: pl.DataFrame, history: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Out-of-fold encodings where every fold also sees the older ``history`` rows."""
    import numpy as np

    folds = 5
    fold = np.random.default_rng(seed).integers(0, folds, keyed.height)
    cols = [*HISTORY_COLUMNS, LABEL]
    parts: list[pl.DataFrame] = []
    order: list[np.ndarray] = []
    for k in range(folds):
        inside = fold == k
        if not inside.any():
            continue
        known = pl.concat([history.select(cols), keyed.filter(~inside).select(cols)],
                          how="vertical_relaxed")
        parts.append(history_features(known, keyed.filter(inside), LINE_HISTORY_SPEC))
        order.append(np.flatnonzero(inside))
    stacked = pl.concat(parts)
    return stacked[np.argsort(np.concatenate(order), kind="stable")]


def feature_columns(table: pl.DataFrame) -> list[str]:
    """The feature columns of a :func:`training_table` or :func:`line_features` frame."""
    return [c for c in table.columns if c not in (*NOT_FEATURES, "decided_on")]


def reasons_for(features: list[str]) -> Mapping[str, ReasonCode]:
    """The reason catalog restricted to ``features``."""
    catalog = feature_reasons()
    return {f: catalog[f] for f in features if f in catalog}
