"""One entry's few lines are scored without a query per step, to the same results.

A scoring service scores one entry (1-5 lines) per call, so the model's features, the trees'
contributions and the reasons of a request are worked out with dictionaries and scalar Python
(:mod:`tradeguard.model._entry_scoring`), and the past outcomes leave out its lines through an
index (:func:`~tradeguard.model.line_features.without_lines`). Each test runs that path and
the frame path (forced by a zero size limit) on many demo entries and compares the results:
features, contributions and the scored frame exactly.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.request_demo import (
    demo_declarations,
    one_by_one,
    read_demo,
    split_latest,
)

from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.model import ModelArtifact, score, train_model
from tradeguard.model import _entry_features as entry_features_module
from tradeguard.model import line_features as line_features_module
from tradeguard.model._entry_scoring import score_entry
from tradeguard.model.line_features import (
    AT_STAKE,
    FINDING_CATEGORIES,
    KEYS,
    LABEL,
    WEIGHT,
    entry_line_features,
    feature_columns,
    line_features,
    reasons_for,
    training_table,
    without_lines,
)
from tradeguard.pipeline.run import known_past_outcomes, model_scores

RESCORED = 30  # history entries scored again: their own outcomes must leave the history


def _findings(decl: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Findings of every kind on the lines: per line and per entry, every category (the
    model's own too), every severity, none and unknown ones."""
    rng = np.random.default_rng(seed)
    keys = decl.select(KEYS)
    picked = keys.filter(pl.Series(rng.random(keys.height) < 0.6))
    categories = [*FINDING_CATEGORIES, "model"]
    severities = ["low", "medium", "high", "critical", None, "unknown"]
    rows = []
    for entry, line in picked.iter_rows():
        for _ in range(int(rng.integers(1, 4))):
            rows.append({"entry_number": entry,
                         "line_number": None if rng.random() < 0.2 else line,
                         "category": categories[int(rng.integers(len(categories)))],
                         "severity": severities[int(rng.integers(len(severities)))]})
    frame = pl.DataFrame(rows, schema={k: FINDINGS_SCHEMA[k] for k in
                                       ("entry_number", "line_number", "category", "severity")})
    return frame.with_columns(pl.lit("X").alias(c) for c in FINDINGS_SCHEMA
                              if c not in frame.columns).select(list(FINDINGS_SCHEMA))


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict[str, pl.DataFrame]:
    """History and latest entries' declarations, outcomes, findings, past outcomes, model."""
    return demo_model(demo_dir)


def demo_model(demo_dir: Path) -> dict[str, pl.DataFrame]:
    """What :func:`demo` holds, built (for other modules' fixtures)."""
    decl = demo_declarations(demo_dir)
    outcomes = read_demo(demo_dir, "outcomes")
    history, current = split_latest(decl)
    findings = _findings(decl, seed=3)
    table = training_table(history, findings, outcomes)
    features = feature_columns(table)
    artifact = train_model(table.select(*features, LABEL, WEIGHT), LABEL, WEIGHT,
                           name="entry_path", reasons=reasons_for(features), seed=0,
                           params={"num_leaves": 15, "min_data_in_leaf": 10},
                           max_rounds=80, early_stopping_rounds=20)
    examined = history.filter(pl.col("entry_number").is_in(
        outcomes["entry_number"].unique().implode()))
    day = current["entry_date"].max()
    assert isinstance(day, date)
    past = known_past_outcomes(examined, outcomes, day)
    return {"history": history, "current": current, "findings": findings, "past": past,
            "examined": examined, "artifact": artifact}  # type: ignore[dict-item]


def _frame_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry_features_module, "SMALL_ENTRY_LINES", 0)
    monkeypatch.setattr(line_features_module, "SMALL_ENTRY_LINES", 0)


def _compare(artifact: ModelArtifact, one: pl.DataFrame, findings: pl.DataFrame,
             past: pl.DataFrame | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Features, contributions and model scores of ``one`` on both paths: the same."""
    lines = entry_line_features(one, findings, past)
    assert lines is not None, "a typed entry takes the entry path"
    got = model_scores(artifact, one, findings, past)
    entry = score_entry(artifact, lines)
    assert entry is not None
    with monkeypatch.context() as patch:
        _frame_path(patch)
        assert entry_line_features(one, findings, past) is None
        want = model_scores(artifact, one, findings, past)
        features = line_features(one, findings, past)
        batch = score(artifact, features, at_stake=AT_STAKE)
    for line, row in zip(lines, features.iter_rows(named=True), strict=True):
        assert {f: line[f] for f in artifact.features} == {f: row[f] for f in artifact.features}
    assert np.array_equal(entry.contributions, batch.contributions)
    # the leaves added up are LightGBM's raw prediction, bit for bit
    assert np.array_equal(entry.raw, batch.frame["raw_score"].to_numpy())
    assert np.array_equal(entry.probability, batch.frame["probability"].to_numpy())
    assert got.equals(want), (got, want)


def test_every_demo_entry_scores_as_on_the_frame_path(
    demo: dict[str, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    artifact: ModelArtifact = demo["artifact"]  # type: ignore[assignment]
    past, findings = demo["past"], demo["findings"]
    rescored = one_by_one(demo["examined"])[:RESCORED]
    removed = 0
    for one in [*one_by_one(demo["current"]), *rescored]:
        kept = without_lines(past, one)
        with monkeypatch.context() as patch:
            _frame_path(patch)
            want = without_lines(past, one)
        assert kept.equals(want)
        removed += past.height - kept.height
        _compare(artifact, one, findings, kept, monkeypatch)
    assert removed > 0, "re-scored entries take their own outcomes out"
    assert without_lines(past, one_by_one(demo["current"])[0]) is past


def test_first_seen_patterns_and_parties_score_as_on_the_frame_path(
    demo: dict[str, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    artifact: ModelArtifact = demo["artifact"]  # type: ignore[assignment]
    entries = one_by_one(demo["current"])[:25]
    for one in entries:
        fresh = dataclasses.replace(artifact)  # nothing remembered: every pattern is new
        unseen = one.with_columns(pl.lit("NEW-IMPORTER").alias("importer_id"),
                                  pl.lit("NEWMID123").alias("manufacturer_id"))
        for lines in (one, unseen):
            _compare(fresh, lines, demo["findings"], demo["past"], monkeypatch)


def test_unusual_lines_score_as_on_the_frame_path(
    demo: dict[str, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    artifact: ModelArtifact = demo["artifact"]  # type: ignore[assignment]
    one = one_by_one(demo["current"])[0].head(1)
    findings, past = demo["findings"], demo["past"]
    variants = [
        one.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in (
            "entered_value_usd", "quantity", "gross_weight_kg", "duty_rate", "duty_usd")),
        one.with_columns(pl.lit(0.0).alias("quantity"), pl.lit(-5.0).alias("entered_value_usd"),
                         pl.lit(None, dtype=pl.Boolean).alias("related_party")),
        one.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in (
            "hts_code", "country_of_origin", "manufacturer_id", "importer_id", "entry_type")),
        one.with_columns(pl.lit(" \tcn ").alias("country_of_origin"),
                         pl.lit(" 8471.30 0100 ").alias("hts_code"),
                         pl.lit("  ").alias("spi"), pl.lit(" cn").alias("country_of_export"),
                         pl.lit(" x").alias("manufacturer_id")),
        one.with_columns(pl.lit("..").alias("hts_code"), pl.lit("").alias("importer_id")),
        one.drop("adcvd_case_number", "chapter99_numbers", "country_of_export"),
    ]
    for lines in variants:
        _compare(artifact, lines, findings, past, monkeypatch)
    for lines in variants[:2]:
        _compare(artifact, lines, findings.clear(), None, monkeypatch)
    # what the entry path does not read exactly goes the frame path, to the same frame
    for lines in (one.with_columns(pl.lit("ČN").alias("country_of_origin")),
                  one.with_columns(pl.lit(float("nan")).alias("quantity")),
                  one.with_columns(pl.col("related_party").cast(pl.String)),
                  one.clear()):
        assert entry_line_features(lines, findings, past) is None
        got = model_scores(artifact, lines, findings, past)
        with monkeypatch.context() as patch:
            _frame_path(patch)
            assert got.equals(model_scores(artifact, lines, findings, past))
