"""A request with something to find gets from the request path the batch path's findings.

When a request's few lines may hold a finding, the classification and valuation steps build
the finding rows in Python (or with kept expressions) instead of the batch path's queries.
These tests run both paths (the batch path forced by lowering the size bar) on every one of
the latest demo entries and on edited copies that produce each kind of finding (foreign
descriptions, missing or odd duty rates and values, codes and texts Polars writes in its own
way), without history and on an empty frame, and require identical frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.request_demo import (
    demo_declarations,
    edited,
    one_by_one,
    request_context,
    split_latest,
)

from tradeguard.detectors import valuation_findings as valuation_findings_module
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.classification import detector as classification_module
from tradeguard.detectors.classification.detector import ClassificationDetector
from tradeguard.detectors.finding_text import json_object, number_text
from tradeguard.detectors.valuation import ValuationDetector
from tradeguard.detectors.valuation_entry_findings import findings_of_rows, plain_findings
from tradeguard.detectors.valuation_evidence import ValuationConfig
from tradeguard.refdata import ReferenceData, load_reference_data


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(history declarations, the latest ENTRIES_USED entries' declarations)."""
    return split_latest(demo_declarations(demo_dir))


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return load_reference_data()


class _Classification:
    """One fitted detector; each frame scored on the request path and on the batch path."""

    def __init__(self, ref: ReferenceData, history: pl.DataFrame) -> None:
        self.ref = ref
        self.detector = ClassificationDetector()
        self.detector.fit(history, request_context(ref, history))
        self.found = 0
        self.built = 0  # findings the request path built (not declined)
        build = self.detector._request_findings

        def counted(*args: Any) -> pl.DataFrame | None:
            out = build(*args)
            self.built += 0 if out is None else out.height
            return out

        self.detector._request_findings = counted  # type: ignore[method-assign,assignment]

    def check(self, frame: pl.DataFrame) -> pl.DataFrame:
        ctx = request_context(self.ref, frame)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(classification_module, "SMALL_REQUEST", -1)
            want = self.detector.detect(frame, ctx)
        for _ in range(2):  # first seen, then with the verdicts remembered
            got = self.detector.detect(frame, ctx)
            assert_frame_equal(got, want)
        self.found += want.height
        return want


@pytest.fixture(scope="module")
def classification(demo: tuple[pl.DataFrame, pl.DataFrame], ref: ReferenceData
                   ) -> _Classification:
    return _Classification(ref, demo[0])


def _foreign_descriptions(current: pl.DataFrame, count: int) -> list[pl.DataFrame]:
    """Entries whose lines carry the description of a line declared under another chapter
    (most of these read as another heading: a finding)."""
    texts = current.select("description", pl.col("hts_code").str.slice(0, 2).alias("ch"))
    out = []
    for i, one in enumerate(one_by_one(current)[:count]):
        chapter = one["hts_code"].str.slice(0, 2)[0]
        other = texts.filter(pl.col("ch") != chapter)
        if other.is_empty():
            continue
        pick = other["description"][(7 * i) % other.height]
        out.append(edited(one, description=pick))
    return out


CLASSIFICATION_EDITS: list[dict[str, Any]] = [
    {}, {"duty_rate": None}, {"duty_rate": 0.0}, {"duty_rate": 0.5},
    {"duty_rate": float("nan")}, {"entered_value_usd": None},
    {"entered_value_usd": float("nan")}, {"entered_value_usd": 1e18},
    {"entered_value_usd": 0.0}, {"entered_value_usd": 123456789.0},
    {"hts_code": "9801001000"}, {"hts_code": "0000.00.0000"}, {"hts_code": 'ab"\\x'},
    {"hts_code": "Straße"}, {"hts_code": None}, {"description": None},
    {"line_number": lambda c: c + 10},
]


def test_classification_request_findings_are_the_batch_findings(
    demo: tuple[pl.DataFrame, pl.DataFrame], classification: _Classification,
) -> None:
    _, current = demo
    for one in one_by_one(current):
        classification.check(one)
    foreign = _foreign_descriptions(current, 40)
    found = classification.found
    for one in foreign:
        classification.check(one)
    assert classification.found > found, "foreign descriptions make findings"
    assert classification.built > (classification.found - found), "the request path built them"
    for one in foreign[:8]:
        for edit in CLASSIFICATION_EDITS:
            classification.check(edited(one, **edit))
    # Several entries at once, a duplicated line, the declared rate missing as a column.
    classification.check(pl.concat(foreign[:6]))
    classification.check(pl.concat([foreign[0], foreign[0]]))
    classification.check(foreign[1].drop("duty_rate"))


def test_classification_without_history_and_empty(
    demo: tuple[pl.DataFrame, pl.DataFrame], ref: ReferenceData,
) -> None:
    history, current = demo
    bare = _Classification(ref, history.clear())
    for one in _foreign_descriptions(current, 10):
        bare.check(one)
    bare.check(current.clear())
    assert bare.found > 0


def test_numbers_are_written_as_polars_writes_them() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate([
        rng.random(2000) * 10.0 ** rng.integers(-12, 22, 2000),
        -rng.random(1000) * 10.0 ** rng.integers(-12, 22, 1000),
        np.round(rng.random(2000) * 10.0 ** rng.integers(-6, 18, 2000), 4),
        10.0 ** np.arange(-20, 25), 2.5 * 10.0 ** np.arange(-20, 25),
        [0.0, -0.0, 1e-5, 1e-6, 1e15, 1e16, 5e-324, 1.7976931348623157e308]])
    frame = pl.DataFrame({"a": values, "b": [True] * len(values), "c": list(range(len(values)))})
    texts = frame["a"].cast(pl.String).to_list()
    encoded = frame.select(pl.struct("a", "b", "c").struct.json_encode()).to_series().to_list()
    for i, value in enumerate(values.tolist()):
        assert number_text(value) == texts[i]
        assert json_object(["a", "b", "c"], [value, True, i]) == encoded[i]


@pytest.fixture(scope="module")
def valuation(demo: tuple[pl.DataFrame, pl.DataFrame], ref: ReferenceData
              ) -> tuple[ValuationDetector, DetectionContext]:
    history, current = demo
    ctx = request_context(ref, current)
    detector = ValuationDetector()
    detector.fit(history, ctx)
    return detector, ctx


@pytest.fixture(scope="module")
def scored(demo: tuple[pl.DataFrame, pl.DataFrame],
           valuation: tuple[ValuationDetector, DetectionContext]) -> pl.DataFrame:
    """Every current line scored by the valuation batch path (flagged or not: the findings
    functions write any line, so every branch of the sentence is reached)."""
    detector, ctx = valuation
    return detector.score(demo[1], detector.config, ctx)


def _both_valuation(frame: pl.DataFrame, cfg: ValuationConfig) -> None:
    got = valuation_findings_module.valuation_findings(frame, cfg, "valuation", "v1")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(valuation_findings_module, "PLAIN_LINES", -1)
        want = valuation_findings_module.valuation_findings(frame, cfg, "valuation", "v1")
    assert_frame_equal(got, want)


def test_valuation_plain_findings_are_the_expression_findings(scored: pl.DataFrame) -> None:
    cfg = ValuationConfig()
    flagged = scored.filter(pl.col("_under") | pl.col("_over") | pl.col("_quantity")
                            | pl.col("_light"))
    assert flagged.height > 0
    assert plain_findings(flagged.head(5), cfg, "valuation", "v1") is not None
    _both_valuation(flagged, cfg)
    for start in range(0, scored.height, 40):
        _both_valuation(scored.slice(start, 40), cfg)
    # Every flag and corroboration on and off, and each read column missing on some line.
    sample = scored.head(24)
    flags = ["_under", "_over", "_quantity", "_light", "_under_uv", "related",
             "below_own_floor", "above_own_ceiling", "below_market_floor",
             "above_market_ceiling", "_entry_corroborated", "_account_corroborated"]
    i = pl.int_range(pl.len())
    for k, flag in enumerate(flags):
        for other in flags[k + 1:]:
            _both_valuation(sample.with_columns(((i + k) % 3 == 0).alias(flag),
                                                (i % 2 == 0).alias(other)), cfg)
        _both_valuation(sample.with_columns(
            pl.when(i % 4 == k % 4).then(None).otherwise(pl.col(flag)).alias(flag)), cfg)
    numbers = [c for c, t in sample.schema.items() if t.is_numeric() and c != "line_number"]
    for k, column in enumerate(numbers):
        nulled = sample.with_columns(
            pl.when(i % 5 == k % 5).then(None).otherwise(pl.col(column)).alias(column),
            *[(i % 2 == 0).alias(f) for f in flags[k % len(flags):][:3]])
        _both_valuation(nulled, cfg)
    strict = ValuationConfig(account_alpha=0.5, ceiling_ratio=1.01, floor_min_lines=3)
    _both_valuation(sample.with_columns(pl.lit(True).alias("_account_corroborated"),
                                        pl.lit(True).alias("above_own_ceiling"),
                                        pl.lit(True).alias("_over")), strict)
    # What Polars writes its own way is left to the expressions.
    for odd in (sample.with_columns(pl.lit(float("inf")).alias("value_gap_usd")),
                sample.with_columns(pl.col("ratio_uv").cast(pl.Float32)),
                sample.with_columns(pl.col("z_kg").cast(pl.Int64)),
                sample.drop("line_p_value")):
        assert plain_findings(odd, cfg, "valuation", "v1") is None
        if "line_p_value" in odd.columns:
            _both_valuation(odd, cfg)
    _both_valuation(sample.clear(), cfg)


def test_valuation_request_findings_take_the_plain_path(
    demo: tuple[pl.DataFrame, pl.DataFrame],
    valuation: tuple[ValuationDetector, DetectionContext], monkeypatch: pytest.MonkeyPatch,
) -> None:
    detector, ctx = valuation
    built: list[int] = []

    def counted(*args: Any) -> pl.DataFrame | None:
        out = plain_findings(*args)
        built.append(-1 if out is None else out.height)
        return out

    def counted_rows(*args: Any) -> pl.DataFrame | None:
        out = findings_of_rows(*args)
        built.append(-1 if out is None else out.height)
        return out

    monkeypatch.setattr(valuation_findings_module, "plain_findings", counted)
    # a request's flagged lines are written from their values, the flagged frame not built
    monkeypatch.setattr(valuation_findings_module, "findings_of_rows", counted_rows)
    entries = one_by_one(demo[1])
    fast = [detector.detect(one, ctx) for one in entries]
    assert built and min(built) >= 0, "the flagged lines of a request are written in Python"
    monkeypatch.setattr(valuation_findings_module, "PLAIN_LINES", -1)
    for one, got in zip(entries, fast, strict=True):
        assert_frame_equal(got, detector.detect(one, ctx))
