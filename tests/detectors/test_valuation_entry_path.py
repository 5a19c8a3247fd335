"""A request-sized batch's valuation scores, worked out from dicts, match the batch path's.

Each demo entry (and the same entries with their values, quantities and weights moved so that
every kind of flag occurs) is scored on both paths: the per-line flags after corroboration
must be equal, the flagged lines' scored columns equal (numbers to 1e-12), and so must the
findings ``detect`` returns. Edge cases: no party history, no
base rates, nulls, first-seen parties, text and numbers the small path leaves to the batch
path, an empty frame, and a configuration override.
"""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.request_demo import (
    one_by_one,
)

from tradeguard.detectors import valuation as valuation_module
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.valuation import ValuationDetector, tariff_rates
from tradeguard.detectors.valuation_entry import (
    ENTRY_LINES,
    FINDING_INPUTS,
    EntryReferences,
    EntryScores,
    LineFlags,
    entry_scores,
    tariff_lookup,
)
from tradeguard.detectors.valuation_evidence import ValuationConfig

FLAGS = ["_under", "_over", "_quantity", "_light"]


def _references(detector: ValuationDetector, cfg: ValuationConfig) -> EntryReferences:
    refs = detector._fitted().entry_references(cfg.min_party_lines, cfg.sigma_floor)
    assert refs is not None
    return refs


def _small(detector: ValuationDetector, lines: pl.DataFrame, cfg: ValuationConfig,
           ctx: DetectionContext) -> EntryScores | None:
    rates = tariff_rates(ctx)
    return entry_scores(lines, cfg, _references(detector, cfg), detector.base_rates,
                        None if rates is None else tariff_lookup(rates))


def _check(detector: ValuationDetector, frames: list[pl.DataFrame], ctx: DetectionContext,
           cfg: ValuationConfig | None = None) -> pl.DataFrame:
    """Both paths on each frame; the batch path's flagged lines of them all."""
    cfg = cfg or detector.config
    flagged = []
    for lines in frames:
        got = _small(detector, lines, cfg, ctx)
        assert got is not None, "the demo's declarations are covered"
        scored = detector.score(lines, cfg, ctx)
        assert got.flags == [LineFlags(*row) for row in scored.select(FLAGS).rows()], \
            lines["entry_number"][0]
        want = scored.filter(pl.any_horizontal(FLAGS)).select(
            [pl.col(c).cast(t) for c, t in FINDING_INPUTS.items()])
        assert_frame_equal(got.flagged, want, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
        flagged.append(want)
    return pl.concat(flagged)


def _moved(entries: list[pl.DataFrame]) -> list[pl.DataFrame]:
    """The entries with values, quantities or weights moved: low, high, and odd weights."""
    value, qty, weight = (pl.col(c) for c in ("entered_value_usd", "quantity",
                                              "gross_weight_kg"))
    moves = [value * 0.3, value * 0.6, value * 3.5, value * 12.0]
    out = []
    for i, one in enumerate(entries):
        first = pl.int_range(pl.len()) == 0  # one line moved, the others as declared
        out.append(one.with_columns(pl.when(first).then(moves[i % len(moves)]).otherwise(value)
                                    .alias("entered_value_usd")))
        if i % 3 == 0:
            out.append(one.with_columns((value * 0.55).alias("entered_value_usd")))
        if i % 4 == 1:
            out.append(one.with_columns((qty * 0.25).alias("quantity")))
        if i % 4 == 2:
            out.append(one.with_columns((weight * 0.05).alias("gross_weight_kg")))
    return out


def test_every_demo_entry_gives_the_batch_flags(
    valuation_demo: tuple[pl.DataFrame, pl.DataFrame],
    fitted_valuation: tuple[ValuationDetector, DetectionContext],
) -> None:
    history, current = valuation_demo
    detector, ctx = fitted_valuation
    entries = one_by_one(current)
    # some past entries too: their parties and keys all have a history
    known = one_by_one(history)[-20:]
    assert _check(detector, entries + known, ctx).height > 0
    kinds = _check(detector, _moved(entries), ctx)
    assert kinds.height >= 40
    for column in [*FLAGS, "_entry_corroborated", "below_own_floor",
                   "below_market_floor", "above_own_ceiling", "above_market_ceiling"]:
        assert kinds[column].any(), f"the moved entries reach {column}"


def test_an_importers_lines_together_give_the_batch_account_review(
    valuation_demo: tuple[pl.DataFrame, pl.DataFrame],
    fitted_valuation: tuple[ValuationDetector, DetectionContext],
) -> None:
    _, current = valuation_demo
    detector, ctx = fitted_valuation
    # each importer's lines, the first low: several contracts per account
    value = pl.col("entered_value_usd")
    lowered = current.with_columns(
        pl.when(pl.int_range(pl.len()).over("importer_id") % 2 == 0).then(value * 0.7)
        .otherwise(value).alias("entered_value_usd"))
    accounts = [part for _, part in lowered.group_by("importer_id", maintain_order=True)
                if part.height <= ENTRY_LINES]
    assert sum(part["entry_number"].n_unique() > 1 for part in accounts) > 0
    reviewed = _check(detector, accounts, ctx)
    assert reviewed["_account_corroborated"].any(), "an account review reports a line"


def test_detect_gives_the_batch_findings(
    valuation_demo: tuple[pl.DataFrame, pl.DataFrame],
    fitted_valuation: tuple[ValuationDetector, DetectionContext], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, current = valuation_demo
    detector, ctx = fitted_valuation
    frames = one_by_one(current)[:20] + _moved(one_by_one(current)[:20])
    fast = [detector.detect(one, ctx) for one in frames]
    monkeypatch.setattr(valuation_module, "ENTRY_LINES", -1)  # the batch path
    for one, got in zip(frames, fast, strict=True):
        assert_frame_equal(got, detector.detect(one, ctx))
    assert sum(f.height for f in fast) > 0


def test_first_seen_parties_nulls_and_no_base_rates(
    valuation_demo: tuple[pl.DataFrame, pl.DataFrame],
    fitted_valuation: tuple[ValuationDetector, DetectionContext],
) -> None:
    _, current = valuation_demo
    detector, ctx = fitted_valuation
    entries = one_by_one(current)[:30]
    i = pl.int_range(pl.len())
    new_parties = [one.with_columns(pl.lit("NEW-IMPORTER").alias("importer_id"),
                                    pl.format("NEW-{}", pl.col("manufacturer_id"))
                                    .alias("manufacturer_id")) for one in entries]
    nulls = [one.with_columns(
        *[pl.when(i % 6 == k).then(pl.lit(None)).otherwise(pl.col(c)).alias(c)
          for k, c in enumerate(["importer_id", "manufacturer_id", "country_of_origin",
                                 "quantity_unit", "gross_weight_kg", "hts_code"])],
        pl.when(i == 1).then(pl.lit(None)).otherwise(pl.col("related_party"))
        .alias("related_party"),
        pl.when(i == 2).then(pl.lit(0.0)).otherwise(pl.col("quantity")).alias("quantity"),
    ).with_columns(pl.lit("").alias("importer_id") if j % 5 == 0 else pl.col("importer_id"))
        for j, one in enumerate(entries)]
    dotted = [one.with_columns(pl.col("hts_code").str.slice(0, 4) + "."
                               + pl.col("hts_code").str.slice(4),
                               pl.col("country_of_origin").str.to_lowercase(),
                               pl.col("related_party").cast(pl.String))
              for one in entries]
    _check(detector, new_parties + nulls + dotted, ctx)
    rates = detector.base_rates
    detector.base_rates = None  # the batch is its own reference
    try:
        _check(detector, _moved(entries[:15]), ctx)
    finally:
        detector.base_rates = rates


def test_without_party_history_and_with_another_configuration(
    valuation_demo: tuple[pl.DataFrame, pl.DataFrame],
    fitted_valuation: tuple[ValuationDetector, DetectionContext], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, current = valuation_demo
    detector, ctx = fitted_valuation
    frames = _moved(one_by_one(current)[:20])
    bare = ValuationDetector(baseline=detector.baseline, party_history=pl.DataFrame())
    bare.base_rates = detector.base_rates
    _check(bare, frames, ctx)
    other = ValuationConfig(min_peers=3, use_any_origin=True, min_party_lines=5,
                            related_party_shift=1.0, new_importer_shift=1.0,
                            new_importer_under_ratio=0.7, entry_min_flagged=1)
    _check(detector, frames, ctx, other)
    # no tariff loaded and no declared rate: no duty at risk
    untaxed = DetectionContext(ref=None, as_of=ctx.as_of)  # type: ignore[arg-type]
    undeclared = [one.drop("duty_rate") for one in frames]
    _check(detector, undeclared, untaxed)
    overridden = DetectionContext(ref=ctx.ref, as_of=ctx.as_of,
                                  config={"valuation": {"min_peers": 3, "under_ratio": 0.7}})
    cases = [(one, overridden) for one in frames] + [(one, untaxed) for one in undeclared]
    fast = [detector.detect(one, at) for one, at in cases]
    assert any(f.height for f in fast)
    monkeypatch.setattr(valuation_module, "ENTRY_LINES", -1)  # the batch path
    for (one, at), got in zip(cases, fast, strict=True):
        assert_frame_equal(got, detector.detect(one, at))


def test_frames_left_to_the_batch_path(
    valuation_demo: tuple[pl.DataFrame, pl.DataFrame],
    fitted_valuation: tuple[ValuationDetector, DetectionContext],
) -> None:
    _, current = valuation_demo
    detector, ctx = fitted_valuation
    cfg = detector.config
    refs = _references(detector, cfg)
    one = one_by_one(current)[0]
    value = pl.col("entered_value_usd")
    for odd in (one.with_columns(pl.lit("CÔTE").alias("country_of_origin")),
                one.with_columns(pl.lit(float("nan")).alias("entered_value_usd")),
                one.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(float("inf"))
                                 .otherwise(value).alias("entered_value_usd")),
                one.with_columns(pl.col("quantity").cast(pl.String)),
                one.drop("gross_weight_kg"),
                pl.concat([one] * (ENTRY_LINES // one.height + 1))):
        assert entry_scores(odd, cfg, refs, detector.base_rates, None) is None
    assert detector.detect(one.clear(), ctx).is_empty()
    empty = entry_scores(one.clear(), cfg, refs, detector.base_rates, None)
    assert empty is not None and empty.flags == [] and empty.flagged.is_empty()
