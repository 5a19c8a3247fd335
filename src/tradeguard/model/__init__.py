"""The supervised fraud model: gradient-boosted trees on exam outcomes.

A feature table goes in (any table with a 0/1 outcome column), a :class:`ModelArtifact` comes
out: LightGBM trees stored as text plus a JSON sidecar (features, category encoders, isotonic
calibration, reason codes, metrics, training-data hash), named by the SHA-256 of both — never a
pickle. :func:`score` returns calibrated probabilities, expected revenue (probability x duty at
stake), the trees' exact per-feature contributions and the strongest reason codes per line.

History features (:func:`history_features`, :func:`split_history_features`) profile parties,
products and routes from past outcomes only, so nothing about a line's own result leaks into
its features. The KCS benchmark lives in :mod:`tradeguard.model.kcs`.
"""

from tradeguard.model._artifact import ModelArtifact, load_artifact, save_artifact
from tradeguard.model._calibration import Calibration, fit_isotonic
from tradeguard.model._history import (
    HistoryKey,
    HistorySpec,
    history_features,
    out_of_fold_history_features,
    split_history_features,
)
from tradeguard.model._metrics import catch_rate_at, precision_at, revenue_at, top_rows
from tradeguard.model._reasons import ReasonCode, history_reasons
from tradeguard.model._scoring import ScoreBatch, reason_texts, score
from tradeguard.model._training import train_model

__all__ = [
    "Calibration",
    "HistoryKey",
    "HistorySpec",
    "ModelArtifact",
    "ReasonCode",
    "ScoreBatch",
    "catch_rate_at",
    "fit_isotonic",
    "history_features",
    "history_reasons",
    "load_artifact",
    "out_of_fold_history_features",
    "precision_at",
    "reason_texts",
    "revenue_at",
    "save_artifact",
    "score",
    "split_history_features",
    "top_rows",
    "train_model",
]
