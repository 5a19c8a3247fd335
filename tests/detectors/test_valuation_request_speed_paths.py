"""The request path's valuation scores equal the batch path's to the bit.

:func:`line_evidence` writes the null checks out in place, :func:`corroborate_lines` skips the
reviews when no line can be reported or annotated by them, and :func:`entry_scores` reads the
rows every step of a request shares. Each demo entry, the same entries moved so that every
kind of flag occurs, and entries with nulls and zero weights are scored on both paths under
two configurations, with and without party history and base rates: every line's flags and
every flagged line's values (same type, same bits) must match.
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from tests.request_demo import one_by_one

from tradeguard.detectors import valuation_entry_reviews
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.valuation import ValuationDetector, tariff_rates
from tradeguard.detectors.valuation_entry import (
    FINDING_INPUTS,
    EntryScores,
    LineFlags,
    entry_scores,
    tariff_lookup,
)
from tradeguard.detectors.valuation_entry_reviews import ScoredLine
from tradeguard.detectors.valuation_evidence import ValuationConfig
from tradeguard.frame_reads import named_rows

FLAGS = ["_under", "_over", "_quantity", "_light"]
OTHER = ValuationConfig(min_peers=3, use_any_origin=True, min_party_lines=5,
                        related_party_shift=1.0, new_importer_shift=1.0,
                        new_importer_under_ratio=0.7, entry_min_flagged=1)


@pytest.fixture(scope="module")
def frames(valuation_demo: tuple[pl.DataFrame, pl.DataFrame]) -> list[pl.DataFrame]:
    """Demo entries as declared, moved low and high, light and heavy, and with nulls."""
    history, current = valuation_demo
    entries = one_by_one(current)
    value, qty, weight = (pl.col(c) for c in ("entered_value_usd", "quantity",
                                              "gross_weight_kg"))
    first = pl.int_range(pl.len()) == 0
    moved = [one.with_columns(pl.when(first).then(value * factor).otherwise(value)
                              .alias("entered_value_usd"))
             for factor in (0.3, 0.6, 3.5, 12.0) for one in entries[::2]]
    moved += [one.with_columns((qty * 0.25).alias("quantity")) for one in entries[1::3]]
    moved += [one.with_columns((weight * 0.05).alias("gross_weight_kg"))
              for one in entries[2::3]]
    i = pl.int_range(pl.len())
    nulls = [one.with_columns(
        *[pl.when(i % 6 == k).then(pl.lit(None)).otherwise(pl.col(c)).alias(c)
          for k, c in enumerate(["importer_id", "manufacturer_id", "country_of_origin",
                                 "quantity_unit", "gross_weight_kg", "hts_code"])],
        pl.when(i == 1).then(pl.lit(None)).otherwise(pl.col("related_party"))
        .alias("related_party"),
        pl.when(i == 2).then(pl.lit(0.0)).otherwise(pl.col("quantity")).alias("quantity"))
        for one in entries[:20]]
    lowered = current.with_columns(
        pl.when(pl.int_range(pl.len()).over("importer_id") % 2 == 0).then(value * 0.7)
        .otherwise(value).alias("entered_value_usd"))
    accounts = [part for _, part in lowered.group_by("importer_id", maintain_order=True)
                if part.height <= 5]
    return entries + one_by_one(history)[-20:] + moved + nulls + accounts


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        assert isinstance(b, float)
        return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (
            math.isnan(a) and math.isnan(b))
    return a == b


def _small(detector: ValuationDetector, lines: pl.DataFrame, cfg: ValuationConfig,
           ctx: DetectionContext) -> EntryScores | None:
    refs = detector._fitted().entry_references(cfg.min_party_lines, cfg.sigma_floor)
    assert refs is not None
    rates = tariff_rates(ctx)
    return entry_scores(lines, cfg, refs, detector.base_rates,
                        None if rates is None else tariff_lookup(rates))


def _compare(detector: ValuationDetector, frames: list[pl.DataFrame], cfg: ValuationConfig,
             ctx: DetectionContext) -> int:
    """Both paths on each frame, to the bit; the number of flagged lines compared."""
    compared = 0
    for lines in frames:
        got = _small(detector, lines, cfg, ctx)
        assert got is not None, "the demo's declarations are covered"
        scored = detector.score(lines, cfg, ctx)
        assert got.flags == [LineFlags(*row) for row in scored.select(FLAGS).rows()]
        want = scored.filter(pl.any_horizontal(FLAGS)).select(
            [pl.col(c).cast(t) for c, t in FINDING_INPUTS.items()]).rows(named=True)
        rows = got.rows()
        assert rows is not None and len(rows) == len(want)
        for mine, theirs in zip(rows, want, strict=True):
            different = [c for c in FINDING_INPUTS if not _same(mine[c], theirs[c])]
            assert not different, (lines["entry_number"][0], different)
        compared += len(rows)
    return compared


@pytest.mark.parametrize("cfg", [None, OTHER], ids=["default", "other"])
def test_request_scores_equal_the_batch_scores_to_the_bit(
    fitted_valuation: tuple[ValuationDetector, DetectionContext], frames: list[pl.DataFrame],
    cfg: ValuationConfig | None,
) -> None:
    detector, ctx = fitted_valuation
    assert _compare(detector, frames, cfg or detector.config, ctx) >= 40
    bare = ValuationDetector(baseline=detector.baseline, party_history=pl.DataFrame())
    bare.base_rates = detector.base_rates
    assert _compare(bare, frames[::3], cfg or detector.config, ctx) > 0
    rates = detector.base_rates
    detector.base_rates = None  # the batch is its own reference
    try:
        _compare(detector, frames[::4], cfg or detector.config, ctx)
    finally:
        detector.base_rates = rates


def test_skipping_the_reviews_changes_nothing(
    fitted_valuation: tuple[ValuationDetector, DetectionContext], frames: list[pl.DataFrame],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Requests with no line the reviews can reach give the flags and values of a full
    review (and such requests occur among the demo entries)."""
    detector, ctx = fitted_valuation
    cfg = detector.config
    reviewed = valuation_entry_reviews._reviewed
    seen: list[bool] = []

    def counted(ln: ScoredLine, cfg: ValuationConfig) -> bool:
        seen.append(reviewed(ln, cfg))
        return seen[-1]

    monkeypatch.setattr(valuation_entry_reviews, "_reviewed", counted)
    fast, skipped = [], 0
    for one in frames:
        seen.clear()
        fast.append(_small(detector, one, cfg, ctx))
        skipped += not any(seen)
    assert skipped > 0, "some requests skip the reviews"
    monkeypatch.setattr(valuation_entry_reviews, "_reviewed", lambda ln, cfg: True)
    for one, got in zip(frames, fast, strict=True):
        full = _small(detector, one, cfg, ctx)
        assert got is not None and full is not None
        assert got.flags == full.flags
        assert len(got.values) == len(full.values)
        for mine, theirs in zip(got.values, full.values, strict=True):
            assert list(mine) == list(theirs)
            assert all(_same(mine[c], theirs[c]) for c in mine)


def test_the_shared_rows_are_only_read(
    fitted_valuation: tuple[ValuationDetector, DetectionContext], frames: list[pl.DataFrame],
) -> None:
    """The rows every step of a request reads are left as they were."""
    detector, ctx = fitted_valuation
    for one in frames[:40]:
        before = [dict(row) for row in named_rows(one)]
        _small(detector, one, detector.config, ctx)
        assert named_rows(one) == before
