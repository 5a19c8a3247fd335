"""An entry's ring, shipper and violator findings worked out in plain Python are the general
path's.

``NetworkDetector._entry_verdicts`` (:mod:`tradeguard.network.entry_verdicts`) answers for a
request whose clusters only the importer ring, shipper and violator rules might flag. Each test
runs it and the general path (``detect_in_parts``) on the same lines and compares the frames
(rows, order, dtypes), on every demo entry and on entries built to raise each finding.
"""

from __future__ import annotations

import pickle
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.network.test_detector import AS_OF, decl, violator_history
from tests.network.test_entry_path import linked_once, ring_detector
from tests.request_demo import demo_declarations, read_demo, split_latest

from tradeguard.detectors.base import DetectionContext
from tradeguard.network.detector import NetworkDetector
from tradeguard.network.entry_screen import rule_candidates
from tradeguard.network.entry_verdicts import VERDICT_RULES, line_prices
from tradeguard.refdata import load_reference_data

__all__ = ["linked_once"]  # Splink's links worked out once per batch, as in test_entry_path

REDECLARED = 60
LATER_LINES = 60


@pytest.fixture(scope="module")
def ctx() -> DetectionContext:
    return DetectionContext(ref=load_reference_data(), as_of=AS_OF)


def verdict(detector: NetworkDetector, lines: pl.DataFrame, ctx: DetectionContext
            ) -> pl.DataFrame | None:
    """The plain-Python findings of ``lines`` (None when they are not its to answer)."""
    cfg = detector._cfg(ctx)
    scope = detector._entry_scope(lines)
    if scope is None or not scope[0]:
        return None
    parties, clusters, facts = scope
    rules = {code for code, flagged in rule_candidates(parties, clusters, facts, cfg).items()
             if flagged}
    if not rules or not rules <= VERDICT_RULES:
        return None
    return detector._entry_verdicts(lines, parties, clusters, rules, cfg)


def checked(detector: NetworkDetector, lines: pl.DataFrame, ctx: DetectionContext
            ) -> tuple[pl.DataFrame, bool]:
    """(the general path's findings, whether the verdicts answered): ``detect`` and the
    verdicts, when they answer, give exactly those."""
    general = detector.detect_in_parts(lambda: (lines,), ctx)
    assert_frame_equal(detector.detect(lines, ctx), general)
    answer = verdict(detector, lines, ctx)
    if answer is not None:
        assert_frame_equal(answer, general)
    return general, answer is not None


def test_every_demo_entry_with_findings_is_answered_exactly(demo_dir: Path) -> None:
    history, current = split_latest(demo_declarations(demo_dir))
    outcomes = read_demo(demo_dir, "outcomes")
    day = current["entry_date"].max()
    assert isinstance(day, date)
    ctx = DetectionContext(ref=load_reference_data(), as_of=day, outcomes=outcomes)
    detector = NetworkDetector()
    detector.fit(history, ctx)
    answered: set[str] = set()
    latest = history.select("entry_number").unique(maintain_order=True).tail(REDECLARED)
    batches = [current, current.head(LATER_LINES).with_columns(
        pl.col("entry_date") + timedelta(days=30)), history.join(latest, on="entry_number")]
    for batch in batches:
        for _, one in batch.group_by("entry_number", maintain_order=True):
            general, answer = checked(detector, one, ctx)
            if answer:
                answered.update(general["reason_code"].to_list())
    assert {"NET_SHIPPER_CLUSTER", "NET_VIOLATOR_CLUSTER"} <= answered, answered


def test_a_ring_entry_is_answered_exactly(ctx: DetectionContext) -> None:
    detector = ring_detector(ctx)
    shared = decl([("NOW-2", "12-345678901", "Sunrise Imports Inc.", "Apex Export Ltd",
                    "Apex Mfg Co", 10)])
    found, answer = checked(detector, shared, ctx)
    assert answer and found["reason_code"].to_list() == ["NET_SHARED_IDENTITY"]
    # Two lines of the ring: one finding per line.
    seventh = shared.with_columns(pl.lit(7, dtype=pl.Int64).alias("line_number"))
    two = pl.concat([shared, seventh])
    found, answer = checked(detector, two, ctx)
    assert answer and found["line_number"].to_list() == [1, 7]
    # No longer new, long after the history; or before it, moving the data's start.
    for days in (250, -400):
        moved = shared.with_columns(pl.col("entry_date") + timedelta(days=days))
        found, _ = checked(detector, moved, ctx)
        assert found.is_empty()
    # A new spelling of the pair linked by its EIN root, buying the same goods.
    third = decl([("NOW-3", "12-345678902", "SUNRISE WHOLESALE", "Apex Export Ltd",
                   "Apex Mfg Co", 3)])
    found, _ = checked(detector, third, ctx)
    assert found["reason_code"].to_list() == ["NET_SHARED_IDENTITY"]


def test_a_violator_entry_is_answered_with_the_fits_texts(ctx: DetectionContext) -> None:
    history, outcomes = violator_history()
    detector = NetworkDetector(outcomes=outcomes)
    detector.fit(history, ctx)
    # The cluster's two names, as declared in the history, on two lines of one entry.
    now = decl([(f"NOW-{i}", "77-7777777-00", "Lantern Goods Inc.", seller,
                 "Kestrel Manufacturing Co Ltd", 5) for i, seller in enumerate(
        ["Richway Trading Limited", "Richway Trade Co., Ltd."])]).with_columns(
        pl.lit("NOW-1").alias("entry_number"), pl.int_range(1, 3).alias("line_number"))
    found, answer = checked(detector, now, ctx)
    assert answer and found["reason_code"].to_list() == ["NET_VIOLATOR_CLUSTER"] * 2
    # The texts written once per fit are not shipped with the detector.
    assert detector._violator_findings is not None
    shipped = pickle.loads(pickle.dumps(detector))
    assert shipped._violator_findings is None and shipped._cuts is None
    assert_frame_equal(shipped.detect(now, ctx), found)


def test_prices_polars_might_read_otherwise_are_left_to_the_rules(
        ctx: DetectionContext) -> None:
    detector = ring_detector(ctx)
    lines = decl([("NOW-2", "12-345678901", "Sunrise Imports Inc.", "Apex Export Ltd",
                   "Apex Mfg Co", 10)]).with_columns(
        pl.lit("8501.10").alias("hts_code"), pl.lit(10.0).alias("quantity"),
        pl.lit("kg").alias("quantity_unit"))
    cuts: dict[str, float | None] = {"850110|KG": 2500.0}
    assert line_prices(lines, cuts) == [(1, 1, "850110|KG")]
    assert line_prices(lines, {}) == [(0, 0, None)]
    odd = [lines.with_columns(pl.lit(float("nan")).alias("quantity")),
           lines.with_columns(pl.lit("kilogrammé").alias("quantity_unit"))]
    for frame in odd:
        assert line_prices(frame, cuts) is None
        checked(detector, frame, ctx)
