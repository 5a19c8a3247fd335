"""Text features shared by training and inference: word and character n-gram TF-IDF.

Words carry the tariff vocabulary; character n-grams (within word boundaries) absorb
truncations and spelling variants that invoices are full of (``PLYWD``, ``T-SHRT``). Both
sides must use these exact settings, so they live here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

WORD_PARAMS: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": (1, 2),
    "token_pattern": r"(?u)\b[\w%'\-]{2,}\b",
    "lowercase": False,
    "dtype": np.float32,
}
CHAR_PARAMS: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (3, 5),
    "lowercase": False,
    "dtype": np.float32,
}


def count_vectorizers(
    word_vocab: dict[str, int] | None = None,
    char_vocab: dict[str, int] | None = None,
    **fit_params: Any,
) -> tuple[CountVectorizer, CountVectorizer]:
    """The word and character counters, fixed to a vocabulary when one is given."""
    word = CountVectorizer(vocabulary=word_vocab, **WORD_PARAMS, **fit_params)
    char = CountVectorizer(vocabulary=char_vocab, **CHAR_PARAMS, **fit_params)
    return word, char


def tfidf(
    counts: sparse.csr_matrix, idf: npt.NDArray[np.float32]
) -> sparse.csr_matrix:
    """Sublinear tf times idf, rows scaled to unit length (cosine geometry)."""
    out = sparse.csr_matrix(counts, dtype=np.float32, copy=True)
    out.data = np.log1p(out.data).astype(np.float32)
    out = sparse.csr_matrix(out.multiply(idf.reshape(1, -1)))
    norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel()).astype(np.float32)
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms).dot(out), dtype=np.float32)


class Featurizer:
    """Normalised descriptions -> unit-length TF-IDF rows over a fixed vocabulary.

    Char columns follow the word columns in the shared index space, so the char counter is
    given local indices and its block is appended after the word block.
    """

    def __init__(
        self, word_vocab: dict[str, int], char_vocab: dict[str, int], idf: npt.NDArray[np.float32]
    ) -> None:
        offset = len(word_vocab)
        local_char = {k: v - offset for k, v in char_vocab.items()}
        self._word, self._char = count_vectorizers(word_vocab, local_char)
        self._idf = idf

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows for ``texts``."""
        counts = sparse.hstack(
            [self._word.transform(texts), self._char.transform(texts)],
            format="csr",
            dtype=np.float32,
        )
        return tfidf(counts, self._idf)
