"""The HS classifier at inference: top-k headings for descriptions, refinable with history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tradeguard.detectors.classification.artifact import (
    SHIPPED_ARTIFACT,
    ClassifierArtifact,
    load_artifact,
)
from tradeguard.detectors.classification.features import Featurizer
from tradeguard.detectors.classification.scoring import CHUNK, centroid_matrix, heading_matrix


@dataclass(frozen=True)
class Assessment:
    """Per description: top-k HS-4 and HS-6 with probabilities and the declared heading's."""

    top_hs4: npt.NDArray[np.str_]
    top_hs4_prob: npt.NDArray[np.float32]
    top_hs6: npt.NDArray[np.str_]
    top_hs6_prob: npt.NDArray[np.float32]
    declared_hs4_prob: npt.NDArray[np.float32]


def _top_k(probs: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    part = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(probs, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)


class HSClassifier:
    """Nearest-centroid HS classifier over normalised goods descriptions.

    ``version`` is the artifact content hash, plus the history digest when refined, so every
    finding names the exact model that produced it.
    """

    def __init__(
        self,
        artifact: ClassifierArtifact,
        centroids: sparse.csr_matrix | None = None,
        refinement: str = "",
    ) -> None:
        self.artifact = artifact
        self.centroids = centroid_matrix(artifact) if centroids is None else centroids
        # CSR, the form a CSR product needs: kept as CSC it was converted on every call.
        self._centroids_t = sparse.csr_matrix(self.centroids.T)
        self._featurizer = Featurizer(artifact.word_vocab, artifact.char_vocab, artifact.idf)
        _, self.headings = heading_matrix(artifact.labels)
        # labels are sorted, so each heading's subheadings are one contiguous column block
        first = [lab[:4] for lab in artifact.labels]
        self._heading_starts = np.flatnonzero(
            np.r_[True, np.array(first[1:]) != np.array(first[:-1])])
        self._heading_index = {h: i for i, h in enumerate(self.headings)}
        self._label_index = {lab: i for i, lab in enumerate(artifact.labels)}
        self.version = artifact.content_hash()[:16] + (f"+{refinement}" if refinement else "")

    @classmethod
    def load(cls, path: Path = SHIPPED_ARTIFACT) -> HSClassifier:
        """Load the shipped (or another) artifact."""
        return cls(load_artifact(path))

    def __getstate__(self) -> dict[str, object]:
        # the label arrays are remade on first use: they would only make pickles larger
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_label_array", "_heading_array")}

    @cached_property
    def _label_array(self) -> npt.NDArray[np.str_]:
        """The HS-6 labels as one array, made once: converting the 5,000-odd labels costs
        ~0.4 ms, more than scoring a request's description."""
        return np.asarray(self.artifact.labels)

    @cached_property
    def _heading_array(self) -> npt.NDArray[np.str_]:
        """The HS-4 headings as one array, made once (as :attr:`_label_array`)."""
        return np.asarray(self.headings)

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """(texts x HS-6 classes) probabilities; softmax of cosine / temperature."""
        vec = self._featurizer.transform(texts)
        sims = (vec @ self._centroids_t).toarray().astype(np.float32, copy=False)
        logits = (sims - sims.max(axis=1, keepdims=True)) / self.artifact.temperature
        expd = np.exp(logits)
        probs: npt.NDArray[np.float32] = expd / expd.sum(axis=1, keepdims=True)
        return probs

    def assess(self, texts: Sequence[str], declared_hs4: Sequence[str], k: int = 3,
               pair_text: npt.NDArray[np.intp] | None = None) -> Assessment:
        """Top-k headings and subheadings for each text, and the probability of each declared
        heading (0 for a heading the model does not know).

        By default ``declared_hs4[i]`` belongs to ``texts[i]``; with ``pair_text`` each
        declared heading belongs to ``texts[pair_text[j]]``, so distinct descriptions are
        scored once however many headings they are declared under.
        """
        labels, heads = self._label_array, self._heading_array
        declared_col = np.array([self._heading_index.get(h, -1) for h in declared_hs4],
                                dtype=np.intp)
        owner = np.arange(len(texts)) if pair_text is None else np.asarray(pair_text)
        declared_out = np.zeros(len(declared_col), dtype=np.float32)
        parts: list[tuple[npt.NDArray[np.str_], ...]] = []
        probs_out: list[tuple[npt.NDArray[np.float32], ...]] = []
        for start in range(0, len(texts), CHUNK):
            p6 = self.probabilities(texts[start : start + CHUNK])
            p4 = np.add.reduceat(p6, self._heading_starts, axis=1)
            i6, i4 = _top_k(p6, k), _top_k(p4, k)
            sel = np.flatnonzero((owner >= start) & (owner < start + len(p6)))
            cols = declared_col[sel]
            declared_out[sel] = np.where(
                cols >= 0, p4[owner[sel] - start, np.maximum(cols, 0)], 0.0)
            parts.append((heads[i4], labels[i6]))
            probs_out.append((
                np.take_along_axis(p4, i4, axis=1),
                np.take_along_axis(p6, i6, axis=1),
            ))
        if not parts:
            empty_s = np.empty((0, k), dtype=str)
            empty_f = np.empty((0, k), dtype=np.float32)
            return Assessment(empty_s, empty_f, empty_s, empty_f, declared_out)
        return Assessment(
            top_hs4=np.concatenate([p[0] for p in parts]),
            top_hs4_prob=np.concatenate([p[0] for p in probs_out]),
            top_hs6=np.concatenate([p[1] for p in parts]),
            top_hs6_prob=np.concatenate([p[1] for p in probs_out]),
            declared_hs4_prob=declared_out,
        )

    def refined(
        self, texts: Sequence[str], hs6: Sequence[str], prior_weight: float, digest: str,
        weights: Sequence[float] | None = None,
    ) -> HSClassifier:
        """A copy whose centroids also average in declared history (text, HS-6) pairs.

        Each class keeps its tariff centroid with the weight of ``prior_weight`` documents, so
        a handful of (possibly wrong) declarations cannot pull it away from the tariff text.
        ``weights`` (default 1 each) say how much each pair counts, e.g. how many distinct
        filers declared it.
        """
        rows = np.array([self._label_index.get(h, -1) for h in hs6])
        known = rows >= 0
        if not known.any():
            return self
        kept = [t for t, ok in zip(texts, known, strict=True) if ok]
        vectors = self._featurizer.transform(kept)
        n = int(known.sum())
        w = (np.ones(len(rows), dtype=np.float32) if weights is None
             else np.asarray(weights, dtype=np.float32))
        member = sparse.csr_matrix(
            (w[known], (rows[known], np.arange(n))),
            shape=(len(self.artifact.labels), n),
        )
        blended = sparse.csr_matrix(self.centroids * prior_weight + member.dot(vectors))
        norms = np.sqrt(np.asarray(blended.multiply(blended).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        scaled = sparse.csr_matrix(sparse.diags(1.0 / norms).dot(blended), dtype=np.float32)
        return HSClassifier(self.artifact, scaled, refinement=digest)
