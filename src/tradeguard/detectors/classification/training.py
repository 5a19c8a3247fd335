"""Offline training of the HS classifier from tariff text alone.

Documents are every 10-digit tariff line (full hierarchy text), every HS 2022 six-digit
subheading, and terse trade-style renderings of the tariff lines. Each HS-6 class is the
L2-normalised mean of its documents (a nearest-centroid model: small, inspectable, and easy to
refine later with declared history). Centroids are pruned to their strongest features so the
shipped artifact stays a few MB. The softmax temperature is chosen on held-out tariff lines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import sparse

from tradeguard.detectors.classification.artifact import ClassifierArtifact
from tradeguard.detectors.classification.features import count_vectorizers, tfidf
from tradeguard.detectors.classification.scoring import (
    class_probabilities,
    topk_accuracy,
)
from tradeguard.detectors.classification.trade_text import (
    normalize_description,
    trade_renderings,
)

# Chapters 77 (reserved), 98 and 99 (special provisions, additional duties) are not goods classes.
EXCLUDED_CHAPTERS = ("77", "98", "99")


@dataclass(frozen=True)
class TrainingConfig:
    """Size and smoothing knobs; defaults keep the artifact near 3-5 MB."""

    max_word_features: int = 40_000
    max_char_features: int = 60_000
    centroid_nnz: int = 160
    holdout_share: float = 0.1
    temperatures: tuple[float, ...] = (0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15)


def build_corpus(tariff: pl.DataFrame, hs6: pl.DataFrame) -> pl.DataFrame:
    """Training documents (hs6, text, source, hts10) from tariff lines and HS-6 text.

    ``tariff`` has ``hts10`` and ``description`` (full hierarchy text); ``hs6`` has
    ``hscode``, ``description``, ``level`` (2/4/6) and ``parent``, as in the WCO nomenclature.
    """
    lines = tariff.select(
        pl.col("hts10").str.slice(0, 6).alias("hs6"), "hts10", "description"
    ).filter(~pl.col("hs6").str.slice(0, 2).is_in(EXCLUDED_CHAPTERS))
    full = lines.with_columns(pl.lit("tariff").alias("source"))
    rendered = lines.with_columns(
        pl.col("description")
        .map_elements(trade_renderings, return_dtype=pl.List(pl.String))
        .alias("description"),
        pl.lit("rendering").alias("source"),
    ).explode("description")
    headings = hs6.filter(pl.col("level") == 4).select(
        pl.col("hscode").alias("parent"), pl.col("description").alias("heading_text")
    )
    subheadings = (
        hs6.filter(pl.col("level") == 6)
        .join(headings, on="parent", how="left")
        .select(
            pl.col("hscode").alias("hs6"),
            pl.lit(None, dtype=pl.String).alias("hts10"),
            pl.concat_str(
                [pl.col("heading_text").fill_null(""), pl.col("description")], separator=": "
            ).alias("description"),
            pl.lit("hs2022").alias("source"),
        )
        .filter(~pl.col("hs6").str.slice(0, 2).is_in(EXCLUDED_CHAPTERS))
    )
    corpus = pl.concat([full, rendered, subheadings], how="diagonal_relaxed")
    return corpus.drop_nulls("description").with_columns(
        pl.col("description")
        .map_elements(normalize_description, return_dtype=pl.String)
        .alias("text")
    ).filter(pl.col("text").str.len_chars() > 0)


def _holdout_mask(hts10: pl.Series, share: float) -> npt.NDArray[np.bool_]:
    """Deterministic split by tariff line, so a line and its renderings fall on one side."""
    buckets = [
        int(hashlib.sha256(code.encode()).hexdigest()[:8], 16) % 1000 if code else 1000
        for code in hts10.fill_null("").to_list()
    ]
    return np.asarray(buckets) < int(share * 1000)


def _fit_centroids(
    docs: pl.DataFrame, config: TrainingConfig
) -> tuple[list[str], dict[str, int], dict[str, int], npt.NDArray[np.float32], sparse.csr_matrix]:
    texts = docs["text"].to_list()
    word, char = count_vectorizers(min_df=1)
    word.set_params(max_features=config.max_word_features)
    char.set_params(max_features=config.max_char_features)
    counts_w = word.fit_transform(texts)
    counts_c = char.fit_transform(texts)
    n_words = len(word.vocabulary_)
    word_vocab = {str(k): int(v) for k, v in word.vocabulary_.items()}
    char_vocab = {str(k): int(v) + n_words for k, v in char.vocabulary_.items()}
    counts = sparse.hstack([counts_w, counts_c], format="csr", dtype=np.float32)
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)
    idf = (np.log((1 + counts.shape[0]) / (1 + df)) + 1.0).astype(np.float32)
    vectors = tfidf(counts, idf)
    labels = sorted(set(docs["hs6"].to_list()))
    index = {lab: i for i, lab in enumerate(labels)}
    rows = np.array([index[h] for h in docs["hs6"].to_list()])
    member = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, np.arange(len(rows)))),
        shape=(len(labels), len(rows)),
    )
    centroids = sparse.csr_matrix(member.dot(vectors))
    return labels, word_vocab, char_vocab, idf, _prune(centroids, config.centroid_nnz)


def _prune(centroids: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Keep each class's strongest features, then rescale rows to unit length."""
    data, indices, indptr = [], [], [0]
    for i in range(centroids.shape[0]):
        start, end = centroids.indptr[i], centroids.indptr[i + 1]
        vals, cols = centroids.data[start:end], centroids.indices[start:end]
        if len(vals) > keep:
            top = np.argpartition(-vals, keep)[:keep]
            vals, cols = vals[top], cols[top]
        order = np.argsort(cols)
        vals, cols = vals[order], cols[order]
        norm = float(np.sqrt((vals**2).sum())) or 1.0
        data.append((vals / norm).astype(np.float32))
        indices.append(cols.astype(np.int32))
        indptr.append(indptr[-1] + len(vals))
    return sparse.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.asarray(indptr, dtype=np.int64)),
        shape=centroids.shape,
    )


def _artifact(
    fitted: tuple[
        list[str], dict[str, int], dict[str, int], npt.NDArray[np.float32], sparse.csr_matrix
    ],
    temperature: float,
    config: TrainingConfig,
    metrics: dict[str, object],
) -> ClassifierArtifact:
    labels, word_vocab, char_vocab, idf, centroids = fitted
    return ClassifierArtifact(
        labels=labels,
        word_vocab=word_vocab,
        char_vocab=char_vocab,
        idf=idf,
        centroid_data=centroids.data.astype(np.float32),
        centroid_indices=centroids.indices.astype(np.int32),
        centroid_indptr=centroids.indptr.astype(np.int64),
        temperature=temperature,
        params={
            "max_word_features": config.max_word_features,
            "max_char_features": config.max_char_features,
            "centroid_nnz": config.centroid_nnz,
            "level": "hs6",
        },
        metrics=dict(metrics),
    )


def train(
    tariff: pl.DataFrame, hs6: pl.DataFrame, config: TrainingConfig | None = None
) -> ClassifierArtifact:
    """Fit on held-in lines, measure and calibrate on held-out ones, then refit on all."""
    config = config or TrainingConfig()
    corpus = build_corpus(tariff, hs6)
    held = _holdout_mask(corpus["hts10"], config.holdout_share)
    train_docs, test_docs = corpus.filter(~held), corpus.filter(held)
    fitted = _fit_centroids(train_docs, config)
    probe = _fitted_artifact_probe(fitted, config)
    metrics: dict[str, object] = {"documents": corpus.height, "heldout_documents": test_docs.height}
    best_t, best_nll = config.temperatures[0], float("inf")
    for t in config.temperatures:
        nll = _neg_log_likelihood(probe, test_docs, t)
        if nll < best_nll:
            best_t, best_nll = t, nll
    metrics["temperature_nll"] = round(best_nll, 4)
    for source in ("tariff", "rendering"):
        part = test_docs.filter(pl.col("source") == source)
        metrics[f"heldout_{source}"] = topk_accuracy(probe, part["text"].to_list(),
                                                     part["hs6"].to_list(), best_t)
    return _artifact(_fit_centroids(corpus, config), best_t, config, metrics)


def _fitted_artifact_probe(
    fitted: tuple[
        list[str], dict[str, int], dict[str, int], npt.NDArray[np.float32], sparse.csr_matrix
    ],
    config: TrainingConfig,
) -> ClassifierArtifact:
    return _artifact(fitted, 0.05, config, {})


def _neg_log_likelihood(artifact: ClassifierArtifact, docs: pl.DataFrame, t: float) -> float:
    probs, labels = class_probabilities(artifact, docs["text"].to_list(), t)
    index = {lab: i for i, lab in enumerate(labels)}
    cols = np.array([index.get(h, -1) for h in docs["hs6"].to_list()])
    ok = cols >= 0
    p = probs[np.arange(len(cols))[ok], cols[ok]]
    return float(-np.log(np.clip(p, 1e-9, 1.0)).mean())
