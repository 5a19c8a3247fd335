"""The shortcuts a one-entry request takes give what the general (batch) path gives.

A scoring service validates and scores one entry per call, so several steps keep what does
not change between calls (peer rows per HTS/unit/origin, the history's past outcomes per
day, validation expressions) or skip work no line of a small batch needs (Chapter 99 joins,
separate passes). Each test runs both paths on many demo entries and compares the results.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.expr.whenthen import ChainedThen, Then
from polars.testing import assert_frame_equal
from tests.request_demo import one_by_one

from tradeguard.contract import KeyTracker, schema_for, validate_batch
from tradeguard.contract import validate as validate_module
from tradeguard.detectors import valuation as valuation_module
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.valuation import ValuationDetector
from tradeguard.model._history import history_features
from tradeguard.model.line_features import LINE_HISTORY_SPEC, history_keys
from tradeguard.pipeline import run as run_module
from tradeguard.pipeline.run import (
    declarations,
    input_digest,
    known_past_outcomes,
    past_outcome_history,
)
from tradeguard.refdata import duty_frame, load_reference_data
from tradeguard.refdata.duty_frame import expected_duty_frame

ENTRIES_USED = 120


def _read(d: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(d / f"{name}.csv", infer_schema_length=0)


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(history declarations, the latest ENTRIES_USED entries' declarations, outcomes)."""
    decl = declarations(_read(demo_dir, "entries"), _read(demo_dir, "lines"))
    numbers = (decl.select("entry_number", "entry_date").unique()
               .sort("entry_date", "entry_number").tail(ENTRIES_USED)["entry_number"])
    recent = pl.col("entry_number").is_in(numbers.implode())
    return decl.filter(~recent), decl.filter(recent), _read(demo_dir, "outcomes")


def test_valuation_kept_peer_rows_give_the_batch_evidence(
    demo: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    history, current, _ = demo
    day = current["entry_date"].max()
    assert isinstance(day, date)
    ctx = DetectionContext(ref=load_reference_data(), as_of=day)
    detector = ValuationDetector()
    detector.fit(history, ctx)
    cfg = detector.config
    keys = ["entry_number", "line_number"]
    entries = one_by_one(current)
    monkeypatch.setattr(valuation_module, "SMALL_PEER_KEYS", -1)  # the general plan
    batch = detector._evidence(current, cfg, ctx)
    planned = [detector._evidence(one, cfg, ctx) for one in entries]
    monkeypatch.undo()
    assert batch["peer_level"].drop_nulls().len() > 0, "demo lines have peers"
    for _ in range(2):  # first the rows are worked out, then read from those kept
        for one, general in zip(entries, planned, strict=True):
            got = detector._evidence(one, cfg, ctx)
            assert got.equals(general)
            # The batch's arithmetic may differ from one entry's in the last bit (the same
            # on the general plan): flags and levels exactly, numbers to 1e-12.
            want = batch.join(one.select(keys), on=keys, how="semi", maintain_order="left")
            assert_frame_equal(got, want, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)


def test_past_outcomes_kept_per_day_give_the_same_model_history(
    demo: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    history, current, outcomes = demo
    examined = history.filter(pl.col("entry_number").is_in(
        outcomes["entry_number"].unique().implode()))
    day = current["entry_date"].max()
    assert isinstance(day, date)
    kept = known_past_outcomes(examined, outcomes, day)
    assert kept.height > 0, "the demo has exam outcomes"
    keys = ["entry_number", "line_number"]
    # an entry already in the history (re-scored) and new entries
    for one in [history.filter(pl.col("entry_number") == kept["entry_number"][0]),
                *one_by_one(current)[:40]]:
        want = past_outcome_history(one, examined, outcomes, day)
        assert want is not None
        got = kept.join(one.select(pl.col("entry_number").cast(pl.String),
                                   pl.col("line_number").cast(pl.Int64)), on=keys, how="anti")
        assert got.sort(got.columns).equals(want.sort(want.columns))
        target = history_keys(one)
        first = history_features(got, target, LINE_HISTORY_SPEC)
        again = history_features(got, target, LINE_HISTORY_SPEC)  # statistics kept
        assert first.equals(history_features(want, target, LINE_HISTORY_SPEC))
        assert again.equals(first)


def test_duty_frame_without_chapter99_join_when_no_measure_applies(
    demo: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, current, _ = demo
    ref = load_reference_data()
    # origins with country-wide measures, on days before and after they ended
    origins = ["CN", "HK", "MX", "CA", "BR", "IN", "DE", "VN"]
    varied = current.with_columns(
        pl.Series("country_of_origin", [origins[i % len(origins)]
                                        for i in range(current.height)], dtype=pl.String),
        pl.Series("entry_date", [date(2025, 9, 1) + timedelta(days=17 * i % 400)
                                 for i in range(current.height)]))
    frames = [*one_by_one(current), *one_by_one(varied)]
    fast = [expected_duty_frame(one, ref) for one in frames]
    monkeypatch.setattr(duty_frame, "_chapter99_may_apply", lambda df, lookups: True)
    joined = [expected_duty_frame(one, ref) for one in frames]
    assert all(a.equals(b) for a, b in zip(fast, joined, strict=True))
    assert any(f["chapter99_rate"].max() for f in fast), "some lines meet a measure"


def _raw_rows(d: Path, kind: str, numbers: list[str]) -> pl.DataFrame:
    """Demo rows as a file sends them, with what users really send mixed in: dotted HTS
    codes, thousands separators, lower-case codes, formulas, bad dates, repeated keys."""
    rows = _read(d, kind).filter(pl.col("entry_number").is_in(numbers))
    i = pl.int_range(pl.len())
    edits: dict[str, Then | ChainedThen] = {
        "hts_code": pl.when(i % 5 == 1).then(pl.col("hts_code").str.slice(0, 4) + "."
                                              + pl.col("hts_code").str.slice(4))
        .when(i % 11 == 2).then(pl.lit("61091")),
        "entered_value_usd": pl.when(i % 7 == 3).then(pl.lit("1,234.50"))
        .when(i % 13 == 4).then(pl.lit("-5")),
        "country_of_origin": pl.when(i % 6 == 2).then(pl.lit("vn"))
        .when(i % 17 == 5).then(pl.lit("XX")),
        "manufacturer_name": pl.when(i % 9 == 4).then(pl.lit("=HYPERLINK(\"x\")")),
        "entry_date": pl.when(i % 8 == 6).then(pl.lit("03/04/2024"))
        .when(i % 10 == 7).then(pl.lit("20260701")),
        "trusted_trader": pl.when(i % 4 == 1).then(pl.lit("Y")),
        "entry_number": pl.when(i % 12 == 9).then(pl.col("entry_number").str.replace_all(
            "-", "")),
    }
    rows = rows.with_columns(e.otherwise(pl.col(c)).alias(c) for c, e in edits.items()
                             if c in rows.columns)
    rows = pl.concat([rows, rows.gather_every(23)])  # keys repeated in later batches
    return rows.with_columns(pl.int_range(1, rows.height + 1, dtype=pl.Int64).alias("__row"))


def test_small_batch_validation_passes_give_the_same_rows(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    numbers = _read(demo_dir, "entries")["entry_number"].head(400).to_list()
    today = date.today()
    for kind in ("entries", "lines"):
        schema = schema_for(kind)
        raw = _raw_rows(demo_dir, kind, numbers)
        parts = [raw.slice(i, 3) for i in range(0, raw.height, 3)]
        small_keys, general_keys = KeyTracker(), KeyTracker()
        small = [validate_batch(p, schema, today=today, keys=small_keys) for p in parts]
        monkeypatch.setattr(validate_module, "SMALL_BATCH_ROWS", -1)
        general = [validate_batch(p, schema, today=today, keys=general_keys) for p in parts]
        monkeypatch.undo()
        assert sum(c.accepted.height for c in general) > 0
        assert sum(c.rejected.height for c in general) > 0, "the demo plants bad rows"
        for a, b in zip(small, general, strict=True):
            assert a.accepted.equals(b.accepted)
            assert a.rejected.equals(b.rejected)


def test_small_batch_input_digest_equals_the_general_one(
    demo: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, current, _ = demo
    small = [input_digest(one) for one in one_by_one(current)]
    monkeypatch.setattr(run_module, "SMALL_DIGEST_BATCH", -1)
    general = [input_digest(one) for one in one_by_one(current)]
    assert all(a.equals(b) for a, b in zip(small, general, strict=True))
    assert pl.concat(small).n_unique() == current.height
