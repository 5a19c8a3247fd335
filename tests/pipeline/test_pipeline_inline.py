"""The chain on inline frames: a plugged-in detector, loud failures, replayable digests."""

from __future__ import annotations

from typing import ClassVar

import polars as pl
import pytest
from tests.pipeline.declarations import two_entries

from tradeguard.detectors.base import DetectionContext
from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.pipeline import DetectorError, DetectorRegistry, score_declarations
from tradeguard.targeting import Assessment, assessments_to_records, decision_events

ENTRIES, LINES = two_entries()


class FlagFirstLine:
    """Raises a critical valuation finding on line 1 of the first entry."""

    name: ClassVar[str] = "flag_first"
    version: ClassVar[str] = "9.9"

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        del history, ctx

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        return pl.DataFrame([{
            "entry_number": "AB1-0000001-1", "line_number": 1, "category": "valuation",
            "reason_code": "TEST_CRIT", "severity": "critical", "text": "way too cheap",
            "evidence": "{}", "detector": self.name, "detector_version": self.version}],
            schema=FINDINGS_SCHEMA)


class Broken(FlagFirstLine):
    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        raise RuntimeError("baseline missing")


def _registry(*detectors: type[FlagFirstLine]) -> DetectorRegistry:
    reg = DetectorRegistry()
    for d in detectors:
        reg.register(d.__name__, d)
    return reg


def test_plugged_in_detector_drives_a_forced_red_with_its_reason() -> None:
    result = score_declarations(ENTRIES, LINES, registry=_registry(FlagFirstLine))
    a = result.assessments.sort("entry_number", "line_number")
    assert a["lane"].to_list()[0] == "red" and a["selection"].to_list()[0] == "forced"
    assert a["reasons"].to_list()[0] == ["TEST_CRIT"]
    assert a["reason_texts"].to_list()[0] == ["way too cheap"]
    assert a["categories"].to_list() == [["valuation"], [], []]
    assert a["selection"].to_list()[2] in ("trusted", "random")
    assert '"FlagFirstLine": "flag_first@9.9"' in a["detector_versions"][0]


def test_a_failing_detector_stops_the_run_with_its_name() -> None:
    with pytest.raises(DetectorError, match=r"'Broken' failed to detect.*baseline missing"):
        score_declarations(ENTRIES, LINES, registry=_registry(FlagFirstLine, Broken))


def test_registry_rejects_unknown_names() -> None:
    with pytest.raises(KeyError, match="nope"):
        _registry(FlagFirstLine).without("nope")


def test_rescoring_reproduces_and_digest_tracks_declared_fields() -> None:
    first = score_declarations(ENTRIES, LINES, registry=_registry(FlagFirstLine)).assessments
    again = score_declarations(ENTRIES, LINES, registry=_registry(FlagFirstLine)).assessments
    assert first.drop("findings").equals(again.drop("findings"))
    changed = LINES.with_columns(pl.when(pl.col("line_number") == "2").then(pl.lit("4000"))
                                 .otherwise(pl.col("entered_value_usd"))
                                 .alias("entered_value_usd"))
    other = score_declarations(ENTRIES, changed, registry=_registry(FlagFirstLine)).assessments
    same = (first["input_digest"] == other["input_digest"]).to_list()
    assert same == [True, False, True]


def test_assessments_round_trip_to_records_and_log_events() -> None:
    a = score_declarations(ENTRIES, LINES, registry=_registry(FlagFirstLine)).assessments
    row = a.sort("entry_number", "line_number").row(0, named=True)
    assessment = Assessment.from_row(row)
    assert assessment.findings[0].reason_code == "TEST_CRIT"
    assert assessment.versions()["targeting"] == row["targeting_version"]
    records = assessments_to_records(a)
    assert {r["lane"] for r in records} == set(a["lane"])
    events = decision_events(a.head(1))
    assert events[0].feature_vector_hash == a["input_digest"][0]
