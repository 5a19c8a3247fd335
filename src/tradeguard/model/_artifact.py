"""The model artifact: trees as LightGBM text plus a JSON sidecar, named by a content hash.

A pickle can run code when loaded and cannot be read or diffed, so a trained model is stored as
``model.txt`` (LightGBM's own text format) and ``model.json`` (features, category encoders,
calibration knots, reason codes, metrics, the training-data hash). The version is the SHA-256 of
both, so scoring results, the registry and the audit log can name exactly what produced them,
and any edit to either file is detected on load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.model._calibration import Calibration
from tradeguard.model._reasons import ReasonCode
from tradeguard.model._shap_memo import ContributionMemo
from tradeguard.model._splits import ModelSplits, tree_splits

if TYPE_CHECKING:
    import lightgbm

    from tradeguard.model._entry_scoring import EntryTables

FORMAT = "tradeguard-model/1"
MODEL_FILE = "model.txt"
SIDECAR_FILE = "model.json"


@dataclass(frozen=True)
class ModelArtifact:
    """A trained, calibrated, explainable model, immutable and named by its content hash."""

    name: str
    version: str
    features: tuple[str, ...]
    metrics: Mapping[str, float]
    created_at: datetime
    label: str
    model_text: str = field(repr=False)
    categories: Mapping[str, tuple[str, ...]] = field(repr=False)
    calibration: Calibration = field(repr=False)
    reasons: Mapping[str, ReasonCode] = field(repr=False)
    training_data_hash: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def booster(self) -> lightgbm.Booster:
        """The LightGBM booster, parsed from the stored text once per artifact."""
        import lightgbm

        return lightgbm.Booster(model_str=self.model_text)

    @cached_property
    def splits(self) -> ModelSplits:
        """Each tree's split features and thresholds, for grouped TreeSHAP (read once)."""
        return tree_splits(self.booster)

    @cached_property
    def entry_tables(self) -> EntryTables:
        """Category indexes, reason groups and tree key layout for scoring one entry."""
        from tradeguard.model._entry_scoring import entry_tables

        return entry_tables(self)

    @cached_property
    def contribution_memo(self) -> ContributionMemo:
        """TreeSHAP rows this process has evaluated, per tree and split pattern."""
        return ContributionMemo()

    def content(self) -> dict[str, Any]:
        """Everything the version hash covers (all but the version and the creation time)."""
        return {
            "format": FORMAT,
            "name": self.name,
            "label": self.label,
            "features": list(self.features),
            "categories": {k: list(v) for k, v in sorted(self.categories.items())},
            "calibration": self.calibration.to_json(),
            "reasons": {
                f: {"code": r.code, "text": r.text} for f, r in sorted(self.reasons.items())
            },
            "metrics": dict(sorted(self.metrics.items())),
            "training_data_hash": self.training_data_hash,
            "params": dict(sorted(self.params.items())),
        }


def _canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def content_hash(model_text: str, content: Mapping[str, Any]) -> str:
    """SHA-256 over the model text and the canonical JSON of the sidecar content."""
    digest = hashlib.sha256()
    digest.update(model_text.encode())
    digest.update(b"\n")
    digest.update(_canonical(content))
    return digest.hexdigest()


def frame_hash(frame: pl.DataFrame) -> str:
    """A stable hash of a training table (column names, types and values, in row order)."""
    digest = hashlib.sha256()
    digest.update(_canonical({"columns": frame.columns, "dtypes": [str(t) for t in frame.dtypes]}))
    digest.update(frame.write_csv(float_precision=17).encode())
    return digest.hexdigest()


def save_artifact(artifact: ModelArtifact, directory: Path) -> Path:
    """Write ``model.txt`` and ``model.json`` into ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MODEL_FILE).write_text(artifact.model_text, encoding="utf-8")
    sidecar = dict(artifact.content())
    sidecar["version"] = artifact.version
    sidecar["created_at"] = artifact.created_at.isoformat()
    (directory / SIDECAR_FILE).write_text(
        json.dumps(sidecar, sort_keys=True, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    return directory


def load_artifact(directory: Path) -> ModelArtifact:
    """Read an artifact back, refusing it if either file no longer matches its version."""
    model_path, sidecar_path = directory / MODEL_FILE, directory / SIDECAR_FILE
    for path in (model_path, sidecar_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: model artifact file missing")
    model_text = model_path.read_text(encoding="utf-8")
    try:
        data = json.loads(sidecar_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{sidecar_path}: not valid JSON ({exc})") from exc
    if data.get("format") != FORMAT:
        raise ValueError(f"{sidecar_path}: field 'format' is {data.get('format')!r}, "
                         f"expected {FORMAT!r}")
    artifact = ModelArtifact(
        name=str(data["name"]),
        version=str(data["version"]),
        features=tuple(data["features"]),
        metrics={k: float(v) for k, v in data["metrics"].items()},
        created_at=datetime.fromisoformat(data["created_at"]),
        label=str(data["label"]),
        model_text=model_text,
        categories={k: tuple(v) for k, v in data["categories"].items()},
        calibration=Calibration.from_json(data["calibration"]),
        reasons={f: ReasonCode(r["code"], r["text"]) for f, r in data["reasons"].items()},
        training_data_hash=str(data["training_data_hash"]),
        params=dict(data["params"]),
    )
    actual = content_hash(model_text, artifact.content())
    if actual != artifact.version:
        raise ValueError(
            f"{directory}: content hash {actual[:12]} does not match field 'version' "
            f"{artifact.version[:12]}; the artifact was altered"
        )
    return artifact
