"""The scorer's steps between stages give on one entry what the general path gives.

A request's findings frames are stacked without the empty ones, its lane input is set side by
side from columns, its reasons are searched for declared parties in Python before any frame
of values is built, and its assessments are stamped from remembered version columns. Each
test runs both ways on the demo's latest entries (with and without findings) and on edge
cases, and compares frames exactly: rows, columns, order, types and values.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tests.request_demo import ENTRIES_USED, read_demo

from tradeguard.api import intake
from tradeguard.detectors.base import DetectionContext
from tradeguard.findings import FINDINGS_SCHEMA, conform, empty_findings, is_canonical
from tradeguard.pipeline import Scorer, lane_request
from tradeguard.pipeline import run as run_module
from tradeguard.pipeline import scorer as scorer_module
from tradeguard.pipeline.lane_request import plain_keys, plain_lane_frame
from tradeguard.pipeline.registry import default_registry
from tradeguard.pipeline.run import ScoringResult
from tradeguard.security import redaction
from tradeguard.targeting.config import load_targeting_config
from tradeguard.targeting.risk import MODEL_SCHEMA, combine_risk

Request = tuple[pl.DataFrame, pl.DataFrame]


@pytest.fixture(scope="module")
def scoring(demo_dir: Path) -> tuple[Scorer, list[Request]]:
    """A scorer pinned on every demo entry but the latest, and those entries as validated
    requests (typed frames, as the score endpoint hands them over)."""
    entries, lines = read_demo(demo_dir, "entries"), read_demo(demo_dir, "lines")
    recent = entries.sort("entry_date", "entry_number").tail(ENTRIES_USED)["entry_number"]
    mine = pl.col("entry_number").is_in(recent.implode())
    scorer = Scorer(history_entries=entries.filter(~mine), history_lines=lines.filter(~mine),
                    outcomes=read_demo(demo_dir, "outcomes"), pin_baseline=True,
                    registry=default_registry().without("classification", "watchlist",
                                                        "network"))
    requests = []
    for entry in entries.filter(mine).to_dicts():
        own = lines.filter(pl.col("entry_number") == entry["entry_number"]).to_dicts()
        typed_entry = intake.validated(
            "entries", [{k: v for k, v in entry.items() if v is not None}], label="entry")
        typed_lines = intake.validated(
            "lines", [{k: v for k, v in ln.items() if v is not None} for ln in own],
            label="line", known_entries=typed_entry.get_column("entry_number"))
        requests.append((typed_entry, typed_lines))
    return scorer, requests


def _general(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request-sized shortcut of the glue off: the batch path's queries."""
    monkeypatch.setattr(run_module, "PLAIN_DECLARATION_LINES", -1)
    monkeypatch.setattr(run_module, "PLAIN_DIGEST_LINES", -1)
    monkeypatch.setattr(run_module, "PLAIN_FINISH_LINES", -1)
    monkeypatch.setattr(lane_request, "PLAIN_LANE_LINES", -1)
    monkeypatch.setattr(redaction, "SMALL_FRAME_ROWS", -1)


def _same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    assert got.schema == want.schema
    assert got.equals(want), (got.to_dicts(), want.to_dicts())


def _same_result(got: ScoringResult, want: ScoringResult) -> None:
    _same(got.assessments, want.assessments)
    _same(got.findings, want.findings)
    assert got.versions == want.versions
    assert got.as_of == want.as_of and got.warnings == want.warnings


def test_scoring_each_entry_as_the_general_path(
    scoring: tuple[Scorer, list[Request]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    scorer, requests = scoring
    with_findings = 0
    for entries, lines in requests:
        got = scorer.score(entries, lines)
        again = scorer.score(entries, lines)  # remembered stamps and versions
        _general(monkeypatch)
        want = scorer.score(entries, lines)
        monkeypatch.undo()
        _same_result(got, want)
        _same_result(again, want)
        with_findings += got.findings.height > 0
    assert with_findings > 10, "many of the demo's latest entries have findings"


def _general_detect(chain: scorer_module.FittedChain, decl: pl.DataFrame,
                    ctx: DetectionContext) -> pl.DataFrame:
    """The chain's findings as the batch path stacks them: every detector's, empty or not."""
    parts = [pl.DataFrame(schema=FINDINGS_SCHEMA)]
    parts += [conform(d.detect(decl, ctx)) for _, d in chain]
    return pl.concat(parts, how="vertical")


def test_findings_of_each_entry_stack_as_the_general_path(
    scoring: tuple[Scorer, list[Request]],
) -> None:
    scorer, requests = scoring
    several = 0
    for entries, lines in requests:
        decl = run_module.declarations(entries, lines)
        day = decl.get_column("entry_date").max()
        assert isinstance(day, date)
        ctx = DetectionContext(ref=scorer.ref, as_of=day)
        chain = scorer.fitted(day, decl)
        detected, versions = chain.detect(decl, ctx)
        _same(detected, _general_detect(chain, decl, ctx))
        assert versions == chain.versions and versions is not chain.versions
        found = scorer.find(decl, ctx)
        parts = [found.detected, found.rule_findings]
        _same(found.findings(), pl.concat(parts, how="vertical"))
        extra = detected.head(1)
        _same(found.findings(extra), pl.concat([parts[0], extra, parts[1]], how="vertical"))
        several += len({d for d in detected.get_column("detector").to_list()}) > 1
    assert several > 0, "some entries have findings of several detectors"


def test_findings_of_other_shapes_stack_as_concat() -> None:
    """Frames not in the canonical shape are concatenated as they are (or refused alike)."""
    from tradeguard.pipeline.scorer import BatchFindings

    empty = empty_findings()
    odd = empty.with_columns(pl.col("line_number").cast(pl.Int32))
    none = pl.DataFrame()
    for parts in ([odd, odd, odd], [empty, odd, empty], [none, none, none]):
        batch = BatchFindings(parts[0], {}, parts[2], pl.DataFrame(), ())
        try:
            want: Any = pl.concat(parts, how="vertical")
        except pl.exceptions.PolarsError as exc:
            with pytest.raises(type(exc)):
                batch.findings(parts[1])
            continue
        _same(batch.findings(parts[1]), want)


def _scores(keys: pl.DataFrame, seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    return pl.DataFrame({
        "entry_number": keys["entry_number"], "line_number": keys["line_number"],
        "probability": [rng.choice([0.0, 0.004, 0.5, 1.0, None]) for _ in range(keys.height)],
        "model_reasons": [["model_value"]] * keys.height,
        "model_reason_texts": [["declared value"]] * keys.height,
    }, schema=MODEL_SCHEMA)


def _same_lane_frame(risk: pl.DataFrame, decl: pl.DataFrame,
                     scores: pl.DataFrame | None) -> bool:
    """The plain lane input, when it answers, is the general one; whether it answered."""
    want = scorer_module._lane_frame(risk, decl, scores)
    got = plain_lane_frame(risk, decl, scores)
    if got is None:
        return False
    _same(got, want)
    return True


def test_lane_input_of_each_entry_as_the_general_path(
    scoring: tuple[Scorer, list[Request]],
) -> None:
    scorer, requests = scoring
    cfg = load_targeting_config()
    answered = 0
    for i, (entries, lines) in enumerate(requests):
        decl = run_module.declarations(entries, lines)
        keys = plain_keys(decl)
        assert keys is not None
        _same(keys, decl.select(pl.col("entry_number").cast(pl.String),
                                pl.col("line_number").cast(pl.Int64)))
        day = decl.get_column("entry_date").max()
        assert isinstance(day, date)
        found = scorer.find(decl, DetectionContext(ref=scorer.ref, as_of=day))
        scores = _scores(keys, i)
        risk = combine_risk(keys, found.findings(), found.treatments, cfg, scores)
        answered += _same_lane_frame(risk, decl, scores)
        answered += _same_lane_frame(risk, decl, None)
        # The model's lines not the risk's own, in order: the join.
        for other in (scores.head(scores.height - 1), pl.concat([scores, scores.head(1)]),
                      scores.clear()):
            assert not _same_lane_frame(risk, decl, other)
        assert _same_lane_frame(risk, decl, scores.reverse()) == (keys.height == 1)
        if keys.height > 1:
            repeated = risk.with_columns(pl.lit(1, dtype=pl.Int64).alias("line_number"))
            twice = scores.with_columns(pl.lit(1, dtype=pl.Int64).alias("line_number"))
            assert not _same_lane_frame(repeated, decl, twice)
    assert answered == 2 * len(requests)


def test_lane_input_edge_cases_as_the_general_path(
    scoring: tuple[Scorer, list[Request]],
) -> None:
    _, requests = scoring
    cfg = load_targeting_config()
    entries, lines = next(r for r in requests if r[1].height > 1)
    decl = run_module.declarations(entries, lines)
    keys = decl.select("entry_number", "line_number")
    empty = pl.DataFrame(schema=FINDINGS_SCHEMA)
    risk = combine_risk(keys, empty, pl.DataFrame(schema={
        "entry_number": pl.String, "line_number": pl.Int64, "lane": pl.String,
        "risk_weight": pl.Float64, "relief_weight": pl.Float64,
        "profile_ids": pl.List(pl.String)}), cfg, None)
    null_key = _scores(keys, 1).with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("line_number"))
        .alias("line_number"))
    cases: list[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]] = [
        (risk, decl, _scores(keys, 2).with_columns(pl.col("probability").cast(pl.Float32))),
        (risk, decl.with_columns(pl.col("trusted_trader").cast(pl.String)), None),
        (risk, decl.with_columns(pl.col("entry_date").cast(pl.Datetime)), None),
        (risk, decl.with_columns(pl.col("port_of_entry").cast(pl.Categorical)), None),
        (risk.with_columns(pl.col("line_number").cast(pl.Int32)), decl, None),
        (risk, decl, null_key),
        (risk.with_columns(null_key.get_column("line_number")), decl, null_key),
        (risk, decl, _scores(keys, 3).with_columns(pl.col("line_number").cast(pl.Int32))),
        (risk.head(0), decl.head(0), _scores(keys, 4).head(0)),
        (risk.head(0), decl.head(0), None),
    ]
    answered = 0
    for r, d, s in cases:
        try:
            want: Any = scorer_module._lane_frame(r, d, s)
        except pl.exceptions.PolarsError:
            assert plain_lane_frame(r, d, s) is None
            continue
        got = plain_lane_frame(r, d, s)
        if got is not None:
            _same(got, want)
            answered += 1
    assert 0 < answered < len(cases)
    assert plain_keys(decl.with_columns(pl.col("line_number").cast(pl.Int32))) is None


def test_version_stamps_that_compare_equal_but_write_differently_stay_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tradeguard.targeting.assessment import ASSESSMENT_SCHEMA

    stamp = set(run_module.version_values({
        "model": "", "rules": "", "targeting": "", "lists": {}, "refdata": {},
        "detectors": {}}))
    schema = {c: t for c, t in ASSESSMENT_SCHEMA.items() if c not in stamp}
    row = {c: None for c in schema} | {"entry_number": "E", "line_number": 1}
    laned = pl.DataFrame([row, {**row, "line_number": 2}], schema=schema)
    base = {"model": "m", "rules": "r", "targeting": "t", "refdata": {"hts": "1"},
            "detectors": {"valuation": "V@1"}}
    for lists in ({"uflpa": "1"}, {"uflpa": 1}, {"uflpa": 1.0}, {"uflpa": True},
                  {"uflpa": "1"}, {"wro": "1", "uflpa": "1"}, {"uflpa": "1", "wro": "1"}):
        versions = {**base, "lists": lists}
        for frame in (laned, laned.head(1), laned, laned.head(1)):
            got = run_module.finish_assessments(frame, versions)
            monkeypatch.setattr(run_module, "PLAIN_FINISH_LINES", -1)
            want = run_module.finish_assessments(frame, versions)
            monkeypatch.undo()
            _same(got, want)


def test_conform_reads_the_canonical_shape_as_its_schema() -> None:
    frame = pl.DataFrame([{
        "entry_number": "E", "line_number": 1, "category": "valuation", "reason_code": "X",
        "severity": "low", "text": "t", "evidence": "{}", "detector": "d",
        "detector_version": "1"}], schema=FINDINGS_SCHEMA)
    assert is_canonical(frame) and is_canonical(empty_findings())
    assert conform(frame) is frame
    variants = [frame.with_columns(pl.col("line_number").cast(pl.Int32)),
                frame.select(reversed(frame.columns)),
                frame.with_columns(pl.col("category").cast(pl.Categorical)),
                frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("line_number"))]
    for v in variants:
        want = v.select([pl.col(c).cast(t) for c, t in FINDINGS_SCHEMA.items()])
        assert not is_canonical(v) or v.schema == frame.schema
        _same(conform(v), want)
    assert not is_canonical(frame.with_columns(pl.lit(1).alias("extra")))
    with pytest.raises(ValueError, match="lacks columns"):
        conform(frame.drop("evidence"))
    many = pl.concat([frame] * 600).with_columns(pl.lit("bogus").alias("category"))
    for bad in (frame.with_columns(pl.lit("bogus").alias("category")), many,
                many.with_columns(pl.col("category").cast(pl.Categorical))):
        with pytest.raises(ValueError, match="bogus"):
            conform(bad)
    clone = empty_findings()
    clone.insert_column(0, pl.Series("x", [], dtype=pl.Int8))
    assert is_canonical(empty_findings()), "a caller's in-place edit stays its own"


def _same_rules(profiles: Any, decl: pl.DataFrame, day: date,
                monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeguard.rules import _request, evaluate

    got = evaluate(profiles, decl, on=day)
    monkeypatch.setattr(_request, "SMALL_REQUEST", -1)
    want = evaluate(profiles, decl, on=day)
    monkeypatch.undo()
    for name in ("findings", "treatments", "hits"):
        _same(getattr(got, name), getattr(want, name))
    assert got.warnings == want.warnings and got.statuses == want.statuses


def test_rules_of_each_entry_as_the_general_path(
    scoring: tuple[Scorer, list[Request]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The profiles' line-by-line test, on each entry as declared and with its numbers
    missing, NaN, infinite, zero or negative (what the batch path orders its own way)."""
    scorer, requests = scoring
    numbers = ("quantity", "entered_value_usd", "gross_weight_kg", "duty_rate")
    for i, (entries, lines) in enumerate(requests):
        decl = run_module.declarations(entries, lines)
        day = decl.get_column("entry_date").max()
        assert isinstance(day, date)
        _same_rules(scorer.profiles, decl, day, monkeypatch)
        value = (None, float("nan"), float("inf"), 0.0, -1.5)[i % 5]
        field = numbers[i % len(numbers)]
        odd = decl.with_columns(pl.lit(value, dtype=pl.Float64).alias(field))
        _same_rules(scorer.profiles, odd, day, monkeypatch)
