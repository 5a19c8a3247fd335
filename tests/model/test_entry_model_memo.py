"""A request's trees read from the memo's flat store give the frame path's numbers.

The single-entry path reads every tree's remembered row and leaf value in one gather
(:meth:`~tradeguard.model._shap_memo.ContributionMemo.entry_values`). These tests drive that
store through what can happen to it in a serving process: patterns met first by a request
or first by a batch, leaves not yet known, the memo starting afresh past its bound, and
compare contributions, raw scores and probabilities with the frame path on demo entries.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.model.test_entry_path import demo_model
from tests.request_demo import one_by_one

from tradeguard.model import ModelArtifact, score
from tradeguard.model._entry_scoring import score_entry
from tradeguard.model._shap_memo import ContributionMemo
from tradeguard.model.line_features import AT_STAKE, entry_line_features, line_features

ENTRIES = 40


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict[str, pl.DataFrame]:
    """The demo model and entries of :mod:`tests.model.test_entry_path`."""
    return demo_model(demo_dir)


def _with_memo(artifact: ModelArtifact, memo: ContributionMemo) -> ModelArtifact:
    """A copy of ``artifact`` (nothing laid out yet) that remembers into ``memo``."""
    fresh = dataclasses.replace(artifact)
    fresh.__dict__["contribution_memo"] = memo
    return fresh


def _same(artifact: ModelArtifact, one: pl.DataFrame, findings: pl.DataFrame,
          past: pl.DataFrame) -> None:
    lines = entry_line_features(one, findings, past)
    assert lines is not None
    entry = score_entry(artifact, lines)
    assert entry is not None
    batch = score(artifact, line_features(one, findings, past), at_stake=AT_STAKE)
    assert np.array_equal(entry.contributions, batch.contributions)
    assert np.array_equal(entry.raw, batch.frame["raw_score"].to_numpy())
    assert np.array_equal(entry.probability, batch.frame["probability"].to_numpy())
    assert [list(r) for r in entry.reasons] == batch.frame["reasons"].to_list()


def test_requests_after_a_batch_and_again_score_as_the_frame_path(
        demo: dict[str, pl.DataFrame]) -> None:
    artifact = _with_memo(demo["artifact"], ContributionMemo())  # type: ignore[arg-type]
    findings, past = demo["findings"], demo["past"]
    entries = one_by_one(demo["current"])[:ENTRIES]
    # half the patterns met by requests first, then a batch of every entry, then requests
    # whose patterns the batch put in the store (and whose leaves it did not work out)
    for one in entries[: ENTRIES // 2]:
        _same(artifact, one, findings, past)
    every = pl.concat(entries)
    score(artifact, line_features(every, findings, past), at_stake=AT_STAKE)
    for one in entries:
        _same(artifact, one, findings, past)
    memo = artifact.contribution_memo
    assert len(memo) > 0
    assert memo._stored > 0, "requests read the trees from the flat store"


def test_a_memo_that_starts_afresh_keeps_the_results(
        demo: dict[str, pl.DataFrame]) -> None:
    memo = ContributionMemo(limit=200)
    artifact = _with_memo(demo["artifact"], memo)  # type: ignore[arg-type]
    findings, past = demo["findings"], demo["past"]
    entries = one_by_one(demo["current"])[:ENTRIES]
    generations = set()
    for one in [*entries, *entries[:10]]:
        _same(artifact, one, findings, past)
        generations.add(memo._generation)
    assert len(generations) > 1, "the bound was passed: the memo started afresh"


@pytest.mark.parametrize("rows", [1, 3])
def test_leaves_found_once_are_kept(demo: dict[str, pl.DataFrame], rows: int,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    artifact = _with_memo(demo["artifact"], ContributionMemo())  # type: ignore[arg-type]
    findings, past = demo["findings"], demo["past"]
    one = next(e for e in one_by_one(demo["current"]) if e.height >= rows).head(rows)
    lines = entry_line_features(one, findings, past)
    assert lines is not None
    first = score_entry(artifact, lines)
    booster = artifact.booster
    calls: list[dict[str, object]] = []
    predict = type(booster).predict

    def counted(self: object, data: object, **kwargs: object) -> object:
        calls.append(kwargs)
        return predict(self, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(booster), "predict", counted)
    again = score_entry(artifact, lines)
    assert first is not None and again is not None
    assert calls == [], "every pattern and leaf was kept: LightGBM is not called again"
    assert np.array_equal(first.raw, again.raw)
    assert np.array_equal(first.contributions, again.contributions)
    monkeypatch.undo()
    _same(artifact, one, findings, past)

