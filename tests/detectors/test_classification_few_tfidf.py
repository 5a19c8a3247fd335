"""A request's few descriptions get the same TF-IDF rows, to the bit and in the same entry
order, from the NumPy path as from SciPy's sparse algebra (whose product with the centroids
sums the entries in that order)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy import sparse

from tradeguard.detectors.classification.features import FEW_TEXTS, tfidf
from tradeguard.detectors.classification.model import HSClassifier


@pytest.fixture(scope="module")
def model() -> HSClassifier:
    return HSClassifier.load()


def _descriptions(model: HSClassifier) -> list[str]:
    rng = random.Random(11)
    words = sorted(w for w in model.artifact.word_vocab if " " not in w)
    out = ["", "a", "zzqx", "cotton cotton cotton cotton t-shirts", "100% cotton denim 12oz"]
    for _ in range(300):
        picked = [rng.choice(words) for _ in range(rng.randint(1, 9))]
        if rng.random() < 0.3:  # a truncation or typo, as invoices have them
            i = rng.randrange(len(picked))
            picked[i] = picked[i][: max(2, len(picked[i]) - rng.randint(1, 3))]
        out.append(" ".join(picked))
    return out


def _reference(model: HSClassifier, texts: list[str]) -> sparse.csr_matrix:
    fz = model._featurizer
    counts = sparse.hstack([fz._word.transform(texts), fz._char.transform(texts)],
                           format="csr", dtype=np.float32)
    return tfidf(counts, fz._idf)


def _same(a: sparse.csr_matrix, b: sparse.csr_matrix) -> bool:
    return (a.shape == b.shape and a.data.dtype == b.data.dtype
            and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and a.data.tobytes() == b.data.tobytes())


def test_few_texts_rows_match_sparse_algebra(model: HSClassifier) -> None:
    texts = _descriptions(model)
    rng = random.Random(5)
    batches = [[t] for t in texts] + [rng.sample(texts, rng.randint(2, FEW_TEXTS))
                                      for _ in range(100)]
    for batch in batches:
        assert _same(model._featurizer.transform(batch), _reference(model, batch)), batch


def test_few_texts_probabilities_match_sparse_algebra(model: HSClassifier) -> None:
    for text in _descriptions(model)[:80]:
        sims = (_reference(model, [text]) @ model._centroids_t).toarray().astype(np.float32)
        logits = (sims - sims.max(axis=1, keepdims=True)) / model.artifact.temperature
        expd = np.exp(logits)
        expected = expd / expd.sum(axis=1, keepdims=True)
        assert model.probabilities([text]).tobytes() == expected.tobytes(), text
