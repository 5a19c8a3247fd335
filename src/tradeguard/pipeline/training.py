"""Training and evaluating the exam-outcome model on tradeguard's own entry lines.

The features include the detectors' findings, so training runs the same detectors and rules
as scoring (fitted on the history files) before building the table. Evaluation is on a
held-out *later* period: the model is trained on the earlier days only, and the later lines'
history features come from earlier outcomes only, as they would in service.
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


def _fit(table: pl.DataFrame, seed: int) -> ModelArtifact:
    from tradeguard.model import train_model
    from tradeguard.model.line_features import (
        LABEL,
        WEIGHT,
        feature_columns,
        reasons_for,
    )

    features = feature_columns(table)
    if table.get_column(LABEL).n_unique() < 2:
        raise ValueError("outcomes need both discrepancies and clean exams to train on")
    return train_model(
        table.select(*features, LABEL, WEIGHT), LABEL, WEIGHT, name=MODEL_NAME,
        reasons=reasons_for(features), seed=seed,
        params={"num_leaves": 15, "min_data_in_leaf": 10}, early_stopping_rounds=50,
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
) -> ModelArtifact:
    """A calibrated model of exam discrepancies, weighted by recovered duty."""
    from tradeguard.model.line_features import past_outcomes, training_table

    decl = declarations(entries, lines)
    history_decl = None
    if history_entries is not None and history_lines is not None:
        history_decl = declarations(history_entries, history_lines)
    findings = _findings(decl, history_decl, ref, profiles, registry)
    past = past_outcomes(history_decl, outcomes) if history_decl is not None else None
    table = training_table(decl, findings, outcomes, history=past, seed=seed)
    return _fit(table, seed)


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
) -> dict[str, Any]:
    """Precision@k and revenue@k (k in % of examined lines) on the latest ``holdout`` days."""
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
    artifact = _fit(table, seed)

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
