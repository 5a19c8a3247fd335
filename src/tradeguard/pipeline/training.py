"""Training and evaluating the exam-outcome model on tradeguard's own entry lines.

The features include the detectors' findings, so training runs the same detectors and rules
as scoring (fitted on the history files) before building the table. Evaluation is on a
held-out *later* period: the model is trained on the earlier days only, and the later lines'
history features come from earlier outcomes only, as they would in service.

Exams are not a random sample of lines: targeting picks most of them. When the chance each
examined line had of being picked is known, training weights by its inverse and calibrates to
the rate over ALL lines (see :func:`train_line_model`); otherwise the model stays calibrated to
examined lines and its metrics say so (``selection_weighted`` = 0).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.pipeline.registry import DetectorRegistry, default_registry
from tradeguard.pipeline.run import collect_findings, declarations

if TYPE_CHECKING:
    from tradeguard.model import ModelArtifact
    from tradeguard.refdata import ReferenceData
    from tradeguard.rules import ProfileSet

MODEL_NAME = "line_exam_outcome"
BUDGETS = (1, 2, 5, 10)


def _findings(
    decl: pl.DataFrame, history_decl: pl.DataFrame | None, ref: ReferenceData | None,
    profiles: ProfileSet | None, registry: DetectorRegistry | None,
) -> pl.DataFrame:
    from tradeguard.refdata import load_reference_data
    from tradeguard.rules import load_profile_set, shipped_profiles_dir

    day = decl.get_column("entry_date").max()
    assert isinstance(day, date)
    ctx = DetectionContext(ref=ref or load_reference_data(), as_of=day)
    found, _, _ = collect_findings(decl, history_decl,
                                   ctx, profiles or load_profile_set(shipped_profiles_dir()),
                                   registry or default_registry())
    return found


def _checked_probability(frame: pl.DataFrame, what: str) -> pl.DataFrame:
    """Keys and a validated ``selection_probability`` (null where not recorded)."""
    from tradeguard.model.line_features import SELECTION

    for field in ("entry_number", "line_number", SELECTION):
        if field not in frame.columns:
            raise ValueError(f"{what} lacks field {field!r}")
    raw = frame.get_column(SELECTION)
    prob = raw.cast(pl.Float64, strict=False)
    bad = (raw.is_not_null() & prob.is_null()) | (prob <= 0) | (prob > 1) | prob.is_nan()
    if bad.fill_null(False).any():
        row = int(bad.fill_null(False).arg_true()[0])
        raise ValueError(f"{what} row {row}: field {SELECTION!r} must be a number in (0, 1], "
                         f"got {raw[row]!r}")
    return frame.select(pl.col("entry_number").cast(pl.String),
                        pl.col("line_number").cast(pl.Int64), prob.alias(SELECTION))


def _check_outcome_probability(outcomes: pl.DataFrame) -> None:
    """Refuse a malformed ``selection_probability`` in the outcomes before any work is done."""
    from tradeguard.model.line_features import SELECTION

    if SELECTION in outcomes.columns:
        _checked_probability(outcomes, "outcomes")


def _with_design_weight(
    table: pl.DataFrame, selection: pl.DataFrame | None
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Add ``design_weight`` = 1 / selection probability, or report that none is known.

    ``selection`` (checked line keys + ``selection_probability``) wins over a probability
    carried by the outcomes. Examined lines without one count as certain picks (weight 1),
    which is what targeted and forced exams are; their number is recorded so a partial join
    shows.
    """
    from tradeguard.model.line_features import DESIGN_WEIGHT, KEYS, SELECTION

    if selection is not None:
        known = selection.drop_nulls(SELECTION).unique(KEYS, keep="last")
        table = table.join(known.rename({SELECTION: "_given"}), on=KEYS, how="left").with_columns(
            pl.coalesce("_given", SELECTION).alias(SELECTION)).drop("_given")
    prob = table.get_column(SELECTION)
    unknown = int(prob.null_count())
    if unknown == table.height:
        return table, {}
    return table.with_columns((1.0 / pl.col(SELECTION).fill_null(1.0)).alias(DESIGN_WEIGHT)), {
        "selection_known_rows": float(table.height - unknown),
        "selection_unknown_rows": float(unknown),
    }


def _fit(table: pl.DataFrame, seed: int, selection: pl.DataFrame | None = None
         ) -> ModelArtifact:
    from tradeguard.model import train_model
    from tradeguard.model.line_features import (
        DESIGN_WEIGHT,
        LABEL,
        WEIGHT,
        feature_columns,
        reasons_for,
    )

    features = feature_columns(table)
    if table.get_column(LABEL).n_unique() < 2:
        raise ValueError("outcomes need both discrepancies and clean exams to train on")
    table, notes = _with_design_weight(table, selection)
    design = DESIGN_WEIGHT if DESIGN_WEIGHT in table.columns else None
    return train_model(
        table.select(*features, LABEL, WEIGHT, *([design] if design else [])), LABEL, WEIGHT,
        design_weight=design, name=MODEL_NAME, reasons=reasons_for(features), seed=seed,
        params={"num_leaves": 15, "min_data_in_leaf": 10}, early_stopping_rounds=50,
        notes=notes,
    )


def train_line_model(
    entries: pl.DataFrame,
    lines: pl.DataFrame,
    outcomes: pl.DataFrame,
    history_entries: pl.DataFrame | None = None,
    history_lines: pl.DataFrame | None = None,
    *,
    seed: int = 0,
    ref: ReferenceData | None = None,
    profiles: ProfileSet | None = None,
    registry: DetectorRegistry | None = None,
    selection: pl.DataFrame | None = None,
) -> ModelArtifact:
    """A calibrated model of exam discrepancies, weighted by recovered duty.

    How each examined line was picked comes from ``selection`` (``entry_number``,
    ``line_number``, ``selection_probability`` — e.g. the scored assessments of the period,
    whose ``selection_probability`` is 1 for forced and targeted lines and the sample rate for
    the random compliance sample) or from a ``selection_probability`` column in ``outcomes``.
    With it, rows are weighted by 1 / probability and the calibration estimates the violation
    rate over all lines; without it, over examined lines (``selection_weighted`` = 0).
    """
    from tradeguard.model.line_features import past_outcomes, training_table

    _check_outcome_probability(outcomes)
    if selection is not None:
        selection = _checked_probability(selection, "selection")
    decl = declarations(entries, lines)
    history_decl = None
    if history_entries is not None and history_lines is not None:
        history_decl = declarations(history_entries, history_lines)
    findings = _findings(decl, history_decl, ref, profiles, registry)
    past = past_outcomes(history_decl, outcomes) if history_decl is not None else None
    table = training_table(decl, findings, outcomes, history=past, seed=seed)
    return _fit(table, seed, selection)


def evaluate_line_model(
    entries: pl.DataFrame,
    lines: pl.DataFrame,
    outcomes: pl.DataFrame,
    history_entries: pl.DataFrame | None = None,
    history_lines: pl.DataFrame | None = None,
    *,
    holdout: float = 0.3,
    seed: int = 0,
    ref: ReferenceData | None = None,
    profiles: ProfileSet | None = None,
    registry: DetectorRegistry | None = None,
    selection: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """Precision@k and revenue@k (k in % of examined lines) on the latest ``holdout`` days.

    ``selection`` is as for :func:`train_line_model` (used for training only).
    """
    from tradeguard.model import precision_at, revenue_at, score
    from tradeguard.model.line_features import (
        AT_STAKE,
        LABEL,
        RECOVERED,
        line_features,
        outcome_labels,
        past_outcomes,
        training_table,
    )

    _check_outcome_probability(outcomes)
    if selection is not None:
        selection = _checked_probability(selection, "selection")
    decl = declarations(entries, lines)
    history_decl = None
    if history_entries is not None and history_lines is not None:
        history_decl = declarations(history_entries, history_lines)
    days = decl.get_column("entry_date").drop_nulls().unique().sort()
    if days.len() < 2:
        raise ValueError("evaluation needs entries on at least two days")
    cut = days[min(days.len() - 1, max(1, int(days.len() * (1 - holdout))))]
    train_decl = decl.filter(pl.col("entry_date") < cut)
    test_decl = decl.filter(pl.col("entry_date") >= cut)
    findings = _findings(decl, history_decl, ref, profiles, registry)
    older = past_outcomes(history_decl, outcomes) if history_decl is not None else None
    table = training_table(train_decl, findings, outcomes, history=older, seed=seed)
    artifact = _fit(table, seed, selection)

    known = [f for f in (older, past_outcomes(train_decl, outcomes)) if f is not None]
    history = pl.concat(known, how="vertical_relaxed")
    labels = outcome_labels(test_decl, outcomes)
    examined = test_decl.join(labels.select("entry_number", "line_number"),
                              on=["entry_number", "line_number"], how="semi")
    if examined.is_empty():
        raise ValueError(f"no examined line on or after {cut} to evaluate on")
    features = line_features(examined, findings, history).join(
        labels, on=["entry_number", "line_number"], how="left")
    batch = score(artifact, features, at_stake=AT_STAKE)
    y = features.get_column(LABEL).to_numpy().astype(float)
    recovered = features.get_column(RECOVERED).to_numpy().astype(float)
    prob = batch.frame.get_column("probability").to_numpy()
    revenue = batch.frame.get_column("expected_revenue").to_numpy()
    return {
        "model_version": artifact.version, "held_out_from": cut.isoformat(),
        "train_rows": table.height, "test_rows": features.height,
        "test_positive_rate": float(np.mean(y)),
        "precision_at": {str(k): precision_at(prob, y, k) for k in BUDGETS},
        "revenue_at": {str(k): revenue_at(revenue, recovered, k) for k in BUDGETS},
        "train_metrics": dict(artifact.metrics),
    }
