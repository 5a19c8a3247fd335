"""Scoring: calibrated probabilities, expected revenue and reason codes for a batch of lines.

The batch is scored in one pass; every row carries the model version that produced it, so a
score in a notice or an appeal can be traced back to the exact artifact. Contributions come from
the trees themselves (TreeSHAP, computed once per tree and split pattern:
:mod:`~tradeguard.model._treeshap`): they are exact for this model and add up to its raw score
(within floating-point rounding), unlike a surrogate explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from tradeguard.model._artifact import ModelArtifact
from tradeguard.model._reasons import top_reasons
from tradeguard.model._training import feature_matrix
from tradeguard.model._treeshap import ONE_THREAD_BELOW as _ONE_THREAD_BELOW
from tradeguard.model._treeshap import contributions as tree_contributions
from tradeguard.model._treeshap import explain as tree_explain


@dataclass(frozen=True)
class ScoreBatch:
    """Scores for a batch: one frame row per input row plus the raw contribution matrix.

    ``frame`` holds ``probability`` (calibrated), ``raw_score`` (margin), ``expected_revenue``
    (when a duty column was given), ``reasons`` (codes, strongest first) and
    ``model_version``. ``contributions`` is rows x (features + 1): per-feature margin
    contributions and, last, the bias; each row sums to ``raw_score`` (to rounding).
    """

    frame: pl.DataFrame
    contributions: np.ndarray
    features: tuple[str, ...]
    model_name: str
    model_version: str


def score(
    artifact: ModelArtifact,
    features: pl.DataFrame,
    *,
    at_stake: str | None = None,
    explain: bool = True,
    top_k: int = 3,
) -> ScoreBatch:
    """Score ``features`` (columns named as in ``artifact.features``; extra columns ignored).

    ``at_stake`` names a column of duty (or revenue) at stake: ``expected_revenue`` is then the
    calibrated probability times that amount — the ranking that recovers the most revenue for
    an exam budget. ``explain=False`` skips the contributions (TreeSHAP costs far more than the
    prediction), leaving ``reasons`` empty and ``contributions`` with zero columns — rank first,
    then explain the lines that will be acted on.
    """
    names = list(artifact.features)
    matrix = feature_matrix(features, names, artifact.categories)
    booster = artifact.booster
    # The margin is LightGBM's raw score whether or not lines are explained, so explaining
    # (or not) never moves a probability: a batch explained whole adds up its trees' leaves
    # while finding their contributions, the same sums as the plain prediction.
    if explain and matrix.shape[0] >= _ONE_THREAD_BELOW and artifact.splits.leaf_sums:
        contributions, raw = tree_explain(booster, matrix, artifact.splits,
                                          artifact.contribution_memo)
    else:
        # A few rows (one entry) are faster on one thread than after starting an OpenMP team.
        if matrix.shape[0] < _ONE_THREAD_BELOW:
            raw = np.asarray(booster.predict(matrix, raw_score=True, num_threads=1), dtype=float)
        else:
            raw = np.asarray(booster.predict(matrix, raw_score=True), dtype=float)
        contributions = tree_contributions(
            booster, matrix, artifact.splits, np.eye(len(names) + 1),
            artifact.contribution_memo) if explain else np.zeros((features.height, 0))
    if explain:
        reasons, _ = top_reasons(contributions, names, artifact.reasons, k=top_k)
    else:
        reasons = pl.Series("reasons", [[]] * features.height, dtype=pl.List(pl.String))
    probability = artifact.calibration.apply(raw)
    columns = [
        pl.Series("probability", probability),
        pl.Series("raw_score", raw),
    ]
    if at_stake is not None:
        if at_stake not in features.columns:
            raise ValueError(f"feature table lacks field {at_stake!r}")
        stake = features.get_column(at_stake).cast(pl.Float64).fill_null(0.0).to_numpy()
        columns.append(pl.Series("expected_revenue", probability * stake))
    frame = pl.DataFrame(columns).with_columns(
        reasons.alias("reasons"), pl.lit(artifact.version).alias("model_version")
    )
    return ScoreBatch(frame, contributions, artifact.features, artifact.name, artifact.version)


def reason_texts(artifact: ModelArtifact) -> dict[str, str]:
    """Reason code -> plain words, for reports and notices that show the codes."""
    return {r.code: r.text for r in artifact.reasons.values()}
