"""The shipped HS classifier as plain data: vocabulary, idf weights and class centroids.

Stored as gzip-compressed JSON with arrays as base64 of little-endian raw bytes, so loading
never executes code (no pickle) and the file is text-safe and diffable by hash. The content
hash over every field is the model version recorded on each finding.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

SHIPPED_ARTIFACT = Path(__file__).with_name("hs_model.json.gz")
FORMAT = "tradeguard-hs-centroids/1"


def _pack(array: npt.NDArray[Any]) -> dict[str, Any]:
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": little.dtype.str,
        "shape": list(little.shape),
        "data": base64.b64encode(np.ascontiguousarray(little).tobytes()).decode("ascii"),
    }


def _unpack(blob: dict[str, Any]) -> npt.NDArray[Any]:
    raw = base64.b64decode(blob["data"])
    return np.frombuffer(raw, dtype=np.dtype(blob["dtype"])).reshape(blob["shape"]).copy()


@dataclass(frozen=True)
class ClassifierArtifact:
    """Everything inference needs; centroids are a CSR matrix (classes x features).

    ``word_vocab``/``char_vocab`` map n-grams to column indices (char columns follow the word
    columns); ``temperature`` turns cosine similarity into probabilities (fitted on held-out
    tariff lines); ``metrics`` records the held-out accuracy at training time.
    """

    labels: list[str]
    word_vocab: dict[str, int]
    char_vocab: dict[str, int]
    idf: npt.NDArray[np.float32]
    centroid_data: npt.NDArray[np.float32]
    centroid_indices: npt.NDArray[np.int32]
    centroid_indptr: npt.NDArray[np.int64]
    temperature: float
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        """Width of the feature space (word + char n-grams)."""
        return len(self.word_vocab) + len(self.char_vocab)

    def _payload(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "labels": self.labels,
            "word_vocab": self.word_vocab,
            "char_vocab": self.char_vocab,
            "idf": _pack(self.idf.astype(np.float32)),
            "centroid_data": _pack(self.centroid_data.astype(np.float16)),
            "centroid_indices": _pack(self.centroid_indices.astype(np.int32)),
            "centroid_indptr": _pack(self.centroid_indptr.astype(np.int64)),
            "temperature": self.temperature,
            "params": self.params,
            "metrics": self.metrics,
        }

    def content_hash(self) -> str:
        """SHA-256 over the canonical JSON of every field: the model version."""
        canonical = json.dumps(self._payload(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def save(self, path: Path) -> str:
        """Write the artifact (gzip JSON, deterministic bytes) and return its content hash."""
        payload = self._payload()
        digest = self.content_hash()
        payload["content_hash"] = digest
        text = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
        path.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
        return digest


def load_artifact(path: Path = SHIPPED_ARTIFACT) -> ClassifierArtifact:
    """Read an artifact, refusing unknown formats and content that does not match its hash."""
    try:
        payload = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable HS classifier artifact ({exc})") from exc
    if payload.get("format") != FORMAT:
        raise ValueError(f"{path}: field 'format' is {payload.get('format')!r}, expected {FORMAT}")
    artifact = ClassifierArtifact(
        labels=list(payload["labels"]),
        word_vocab={str(k): int(v) for k, v in payload["word_vocab"].items()},
        char_vocab={str(k): int(v) for k, v in payload["char_vocab"].items()},
        idf=_unpack(payload["idf"]).astype(np.float32),
        centroid_data=_unpack(payload["centroid_data"]).astype(np.float32),
        centroid_indices=_unpack(payload["centroid_indices"]).astype(np.int32),
        centroid_indptr=_unpack(payload["centroid_indptr"]).astype(np.int64),
        temperature=float(payload["temperature"]),
        params=dict(payload.get("params", {})),
        metrics=dict(payload.get("metrics", {})),
    )
    stored = payload.get("content_hash")
    if stored != artifact.content_hash():
        raise ValueError(f"{path}: field 'content_hash' does not match the artifact content")
    return artifact
