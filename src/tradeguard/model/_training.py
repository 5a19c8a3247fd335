"""Training: a feature table in, a calibrated and explainable model artifact out.

The function knows nothing about KCS or tradeguard entry lines: any table with a 0/1 outcome
column works, so the same code trains on the public benchmark and on an agency's own exam
results. Text columns become LightGBM categories with their value lists stored in the artifact,
so scoring never depends on how the training frame happened to be ordered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from tradeguard.model._artifact import ModelArtifact, content_hash, frame_hash
from tradeguard.model._calibration import fit_isotonic
from tradeguard.model._metrics import precision_at
from tradeguard.model._reasons import ReasonCode, resolve_reasons

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "deterministic": True,
    "force_col_wise": True,
    # One thread: reproducible, and immune to OpenMP oversubscription on a shared machine.
    "num_threads": 1,
    "verbose": -1,
}

_TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum, pl.Boolean)


def _is_text(dtype: pl.DataType) -> bool:
    return isinstance(dtype, _TEXT_TYPES) or dtype == pl.String


def feature_matrix(
    frame: pl.DataFrame, features: Sequence[str], categories: Mapping[str, Sequence[str]]
) -> np.ndarray:
    """The float matrix LightGBM sees: numbers as-is, categories as their stored index.

    Unknown category values and nulls become NaN (LightGBM's missing value).
    """
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise ValueError(f"feature table lacks field(s) {missing}")
    exprs: list[pl.Expr] = []
    for f in features:
        if f in categories:
            mapping = {v: float(i) for i, v in enumerate(categories[f])}
            exprs.append(
                pl.col(f).cast(pl.String).replace_strict(mapping, default=None,
                                                         return_dtype=pl.Float64)
            )
        else:
            exprs.append(pl.col(f).cast(pl.Float64, strict=False))
    return frame.select(exprs).to_numpy().astype(np.float64, copy=False)


def _outcome(frame: pl.DataFrame, label: str, what: str) -> np.ndarray:
    if label not in frame.columns:
        raise ValueError(f"{what} table lacks field {label!r}")
    col = frame.get_column(label)
    bad = col.is_null() | ~col.cast(pl.Float64, strict=False).is_in([0.0, 1.0])
    if bad.any():
        row = int(bad.arg_true()[0])
        raise ValueError(f"{what} table row {row}: field {label!r} must be 0 or 1, "
                         f"got {col[row]!r}")
    return col.cast(pl.Float64).to_numpy()


def _weights(frame: pl.DataFrame, weight: str | None, what: str) -> np.ndarray | None:
    if weight is None:
        return None
    if weight not in frame.columns:
        raise ValueError(f"{what} table lacks field {weight!r}")
    w = frame.get_column(weight).cast(pl.Float64, strict=False)
    bad = w.is_null() | (w < 0) | w.is_nan()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise ValueError(f"{what} table row {row}: field {weight!r} must be a number >= 0")
    return w.to_numpy()


def _combined(
    frame: pl.DataFrame, weight: str | None, design: str | None, power: float, what: str
) -> np.ndarray | None:
    """Cost weight times tempered design weight (either may be absent)."""
    cost, dw = _weights(frame, weight, what), _weights(frame, design, what)
    tempered = None if dw is None else dw ** power
    if cost is None or tempered is None:
        return cost if tempered is None else tempered
    out: np.ndarray = cost * tempered
    return out


def train_model(
    features: pl.DataFrame,
    label: str,
    weight: str | None = None,
    *,
    design_weight: str | None = None,
    design_power: float = 0.5,
    valid: pl.DataFrame | None = None,
    name: str = "fraud_model",
    exclude: Sequence[str] = (),
    categorical: Sequence[str] = (),
    reasons: Mapping[str, ReasonCode] | None = None,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    max_rounds: int = 3000,
    early_stopping_rounds: int = 100,
    valid_fraction: float = 0.2,
    notes: Mapping[str, float] | None = None,
) -> ModelArtifact:
    """Train gradient-boosted trees on ``label`` and calibrate them on held-out rows.

    Every column except ``label``, ``weight`` and ``exclude`` is a feature; text columns (and
    ``categorical``) are categories. ``weight`` (e.g. duty at stake) makes costly misses count
    more. ``valid`` is used for early stopping and calibration; without it the last
    ``valid_fraction`` of rows is held out — pass rows in time order so that is the most recent.

    ``design_weight`` names a column of inverse selection probabilities (1 / the chance each
    examined row had of being examined). Exams are chosen mostly by targeting, so unweighted
    outcomes describe targeted lines, not all lines. The isotonic calibration is weighted by the
    full design weight, so probabilities estimate the rate over every line the examined rows
    stand for. The trees see ``weight`` times ``design_weight ** design_power``: full weights
    (power 1) let a few heavily weighted random exams dominate the leaves and cost ranking, so
    the default 0.5 tempers them and leaves the level to the calibration. Without
    ``design_weight`` the model is calibrated to the rows as given (metric
    ``selection_weighted`` = 0). ``notes`` are extra numbers recorded with the metrics.
    """
    import lightgbm as lgb
    from sklearn.metrics import log_loss, roc_auc_score

    if not 0.0 <= design_power <= 1.0:
        raise ValueError(f"design_power must be in [0, 1], got {design_power}")
    if valid is None:
        cut = int(features.height * (1 - valid_fraction))
        if cut <= 0 or cut >= features.height:
            raise ValueError("valid_fraction leaves no rows to train or to hold out")
        features, valid = features.slice(0, cut), features.slice(cut)
    skip = {label, *exclude} | ({weight} if weight else set()) | (
        {design_weight} if design_weight else set())
    names = [c for c in features.columns if c not in skip]
    if not names:
        raise ValueError("feature table has no feature columns")
    cat_names = [c for c in names if c in categorical or _is_text(features.schema[c])]
    categories = {
        c: tuple(features.get_column(c).cast(pl.String).drop_nulls().unique().sort().to_list())
        for c in cat_names
    }
    y_train, y_valid = _outcome(features, label, "training"), _outcome(valid, label, "validation")
    x_train = feature_matrix(features, names, categories)
    x_valid = feature_matrix(valid, names, categories)
    lgb_params = {**DEFAULT_PARAMS, **(params or {}), "seed": seed}
    cat_idx = [names.index(c) for c in cat_names]
    design_valid = _weights(valid, design_weight, "validation")
    train_set = lgb.Dataset(x_train, y_train,
                            weight=_combined(features, weight, design_weight, design_power,
                                             "training"),
                            feature_name=names, categorical_feature=cat_idx, free_raw_data=True)
    valid_set = lgb.Dataset(x_valid, y_valid,
                            weight=_combined(valid, weight, design_weight, design_power,
                                             "validation"),
                            reference=train_set)
    booster = lgb.train(
        lgb_params, train_set, num_boost_round=max_rounds, valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)],
    )
    best = booster.best_iteration or booster.current_iteration()
    model_text = booster.model_to_string(num_iteration=best)
    raw_valid = np.asarray(
        lgb.Booster(model_str=model_text).predict(x_valid, raw_score=True), dtype=float
    )
    calibration = fit_isotonic(raw_valid, y_valid, design_valid)
    p_valid = calibration.apply(raw_valid)
    w_valid = np.ones_like(y_valid) if design_valid is None else design_valid
    metrics: dict[str, float] = {
        "best_iteration": float(best),
        "train_rows": float(features.height),
        "valid_rows": float(valid.height),
        "valid_positive_rate": float(y_valid.mean()),
        "selection_weighted": 0.0 if design_valid is None else 1.0,
        "selection_design_power": 0.0 if design_valid is None else float(design_power),
        "valid_weighted_positive_rate": float(np.average(y_valid, weights=w_valid)),
        "valid_mean_probability": float(np.average(p_valid, weights=w_valid)),
        "valid_precision_at_5": precision_at(raw_valid, y_valid, 5),
        "valid_brier": float(np.average((p_valid - y_valid) ** 2, weights=w_valid)),
        "valid_log_loss": float(log_loss(y_valid, np.clip(p_valid, 1e-6, 1 - 1e-6),
                                         sample_weight=w_valid, labels=[0, 1])),
    }
    metrics.update({k: float(v) for k, v in (notes or {}).items()})
    if 0 < y_valid.sum() < y_valid.size:
        metrics["valid_auc"] = float(roc_auc_score(y_valid, raw_valid))
    data_hash = hashlib.sha256(
        (frame_hash(features) + frame_hash(valid)).encode()
    ).hexdigest()
    draft = ModelArtifact(
        name=name, version="", features=tuple(names), metrics=metrics,
        created_at=datetime.now(UTC), label=label, model_text=model_text,
        categories=categories, calibration=calibration,
        reasons=resolve_reasons(names, reasons), training_data_hash=data_hash,
        params={k: v for k, v in lgb_params.items() if isinstance(v, str | int | float | bool)},
    )
    version = content_hash(model_text, draft.content())
    return replace(draft, version=version)
