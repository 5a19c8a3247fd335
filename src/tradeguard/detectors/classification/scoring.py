"""Nearest-centroid scoring: cosine similarity to each HS-6 class, softmax to probabilities.

HS-4 probabilities are sums of their HS-6 children, so a heading-level decision uses all the
evidence for the heading rather than its single best subheading.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tradeguard.detectors.classification.artifact import ClassifierArtifact
from tradeguard.detectors.classification.features import Featurizer

CHUNK = 4096


def centroid_matrix(artifact: ClassifierArtifact) -> sparse.csr_matrix:
    """Class centroids as a (classes x features) CSR matrix."""
    return sparse.csr_matrix(
        (artifact.centroid_data, artifact.centroid_indices, artifact.centroid_indptr),
        shape=(len(artifact.labels), artifact.n_features),
    )


def heading_matrix(labels: Sequence[str]) -> tuple[sparse.csr_matrix, list[str]]:
    """(HS-6 classes x HS-4 headings) 0/1 matrix and the heading codes, for summing probs."""
    headings = sorted({lab[:4] for lab in labels})
    index = {h: i for i, h in enumerate(headings)}
    cols = np.array([index[lab[:4]] for lab in labels])
    matrix = sparse.csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (np.arange(len(labels)), cols)),
        shape=(len(labels), len(headings)),
    )
    return matrix, headings


def class_probabilities(
    artifact: ClassifierArtifact,
    texts: Sequence[str],
    temperature: float | None = None,
    centroids: sparse.csr_matrix | None = None,
) -> tuple[npt.NDArray[np.float32], list[str]]:
    """(texts x HS-6 classes) probabilities for normalised descriptions."""
    t = artifact.temperature if temperature is None else temperature
    c = centroid_matrix(artifact) if centroids is None else centroids
    featurizer = Featurizer(artifact.word_vocab, artifact.char_vocab, artifact.idf)
    out = np.empty((len(texts), c.shape[0]), dtype=np.float32)
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        vec = featurizer.transform(chunk)
        sims = np.asarray(vec.dot(c.T).todense(), dtype=np.float32)
        logits = (sims - sims.max(axis=1, keepdims=True)) / t
        expd = np.exp(logits)
        out[start : start + len(chunk)] = expd / expd.sum(axis=1, keepdims=True)
    return out, artifact.labels


def topk_accuracy(
    artifact: ClassifierArtifact,
    texts: Sequence[str],
    gold_hs6: Sequence[str],
    temperature: float | None = None,
) -> dict[str, float | int]:
    """Top-1 / top-3 accuracy at HS-6 and HS-4 for labelled descriptions."""
    if not texts:
        return {"n": 0}
    probs, labels = class_probabilities(artifact, texts, temperature)
    agg, headings = heading_matrix(labels)
    probs4 = np.asarray(sparse.csr_matrix(probs).dot(agg).todense())
    top6 = np.argsort(-probs, axis=1)[:, :3]
    top4 = np.argsort(-probs4, axis=1)[:, :3]
    lab6 = np.asarray(labels)[top6]
    lab4 = np.asarray(headings)[top4]
    gold6 = np.asarray(gold_hs6)
    gold4 = np.asarray([g[:4] for g in gold_hs6])
    return {
        "n": len(texts),
        "hs6_top1": round(float((lab6[:, 0] == gold6).mean()), 4),
        "hs6_top3": round(float((lab6 == gold6[:, None]).any(axis=1).mean()), 4),
        "hs4_top1": round(float((lab4[:, 0] == gold4).mean()), 4),
        "hs4_top3": round(float((lab4 == gold4[:, None]).any(axis=1).mean()), 4),
    }
