"""Fit once, score many: a Scorer gives the batch pipeline's answers without refitting."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest
from tests.pipeline.declarations import two_entries

from tradeguard.contract.schema import schema_for
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.forced_labor import parties
from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.pipeline import DetectorRegistry, Scorer, score_declarations
from tradeguard.pipeline.run import declarations, input_digest

ENTRIES, LINES = two_entries(second_date="2026-07-02", second_trusted=False)


class CountingFits:
    """Flags every line; counts how often it is fitted and on which dates."""

    name: ClassVar[str] = "counting"
    version: ClassVar[str] = "1"
    fits: ClassVar[list[object]] = []

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        CountingFits.fits.append(ctx.as_of)

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        return lines.select(
            pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
            category=pl.lit("valuation"), reason_code=pl.lit("SEEN"), severity=pl.lit("low"),
            text=pl.lit("seen"), evidence=pl.lit("{}"), detector=pl.lit(self.name),
            detector_version=pl.lit(self.version)).cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]


def _registry() -> DetectorRegistry:
    reg = DetectorRegistry()
    reg.register("counting", CountingFits)
    return reg


def _one(number: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (ENTRIES.filter(pl.col("entry_number") == number),
            LINES.filter(pl.col("entry_number") == number))


def test_a_pinned_baseline_is_fitted_once_and_matches_the_batch_run() -> None:
    CountingFits.fits.clear()
    scorer = Scorer(history_entries=ENTRIES, history_lines=LINES, registry=_registry(),
                    pin_baseline=True)
    assert len(CountingFits.fits) == 1
    for number in ENTRIES["entry_number"]:
        got = scorer.score(*_one(number))
        want = score_declarations(*_one(number), history_entries=ENTRIES, history_lines=LINES,
                                  registry=_registry(), as_of=scorer.baseline_as_of)
        assert got.assessments.drop("findings").equals(want.assessments.drop("findings"))
        assert got.findings.equals(want.findings)
    assert len(CountingFits.fits) == 1 + 2  # the two score_declarations runs fitted anew


def test_an_unpinned_scorer_fits_once_per_batch_date() -> None:
    CountingFits.fits.clear()
    scorer = Scorer(registry=_registry())
    for _ in range(3):
        for number in ENTRIES["entry_number"]:
            scorer.score(*_one(number))
    assert sorted(map(str, CountingFits.fits)) == ["2026-07-01", "2026-07-02"]


def test_a_scorer_without_history_ships_and_assesses_the_same() -> None:
    import pickle

    from tradeguard.pipeline import declarations

    CountingFits.fits.clear()
    scorer = Scorer(history_entries=ENTRIES, history_lines=LINES, registry=_registry(),
                    pin_baseline=True)
    assert scorer.baseline_as_of is not None
    shipped = pickle.loads(pickle.dumps(scorer.without_history()))
    assert shipped.history is None and len(CountingFits.fits) == 1
    decl = declarations(ENTRIES, LINES)
    ctx = DetectionContext(ref=scorer.ref, as_of=scorer.baseline_as_of)
    want = scorer.assess(decl, ctx, past=None)
    got = shipped.assess(decl, ctx, past=None)
    assert got.frame.equals(want.frame) and got.findings.equals(want.findings)
    assert len(CountingFits.fits) == 1  # nothing refitted after the trip
    # A chain without the detector reports nothing; findings added by the caller still count.
    none = shipped.fitted(scorer.baseline_as_of, decl).without(["counting"])
    alone = shipped.assess(decl, ctx, past=None, chain=none)
    assert alone.findings.filter(pl.col("reason_code") == "SEEN").is_empty()
    added = shipped.assess(decl, ctx, past=None, chain=none, extra_findings=want.findings)
    assert added.frame.equals(want.frame)


def test_only_a_pinned_fitted_scorer_drops_its_history() -> None:
    with pytest.raises(ValueError, match="pinned baseline"):
        Scorer(registry=_registry()).without_history()


def _read(d: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(d / f"{name}.csv", infer_schema_length=0)


def test_cached_party_screening_gives_the_batch_findings(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries, lines = _read(demo_dir, "entries").head(300), _read(demo_dir, "lines")
    lines = lines.filter(pl.col("entry_number").is_in(entries["entry_number"].implode()))
    chain = _read(demo_dir, "supply_chain").filter(
        pl.col("entry_number").is_in(entries["entry_number"].implode()))
    reg = DetectorRegistry()
    from tradeguard.pipeline import BUILTIN

    for name in ("forced_labor", "watchlist"):
        reg.register(name, BUILTIN[name])
    scorer = Scorer(registry=reg)
    day = entries["entry_date"].str.to_date().max()
    assert isinstance(day, date)
    batch = scorer.score(entries, lines, supply_chain=chain, as_of=day).findings
    listed = batch.filter(pl.col("category").is_in(["forced_labor", "watchlist"]))
    numbers = listed["entry_number"].unique().sort().head(8).to_list()
    assert numbers, "the demo plants listed parties"
    for _ in range(2):  # the second pass is answered from the cache
        for number in numbers:
            one = scorer.score(entries.filter(pl.col("entry_number") == number),
                               lines.filter(pl.col("entry_number") == number),
                               supply_chain=chain.filter(pl.col("entry_number") == number),
                               as_of=day).findings
            want = batch.filter(pl.col("entry_number") == number)
            assert one.sort(one.columns).equals(want.sort(want.columns))
    monkeypatch.setattr(parties, "CACHED_BATCH", 10**9)  # the whole batch via the cache
    again = Scorer(registry=reg).score(entries, lines, supply_chain=chain, as_of=day).findings
    assert again.sort(again.columns).equals(batch.sort(batch.columns))


def test_input_digest_hashes_every_contract_field_by_name() -> None:
    decl = declarations(*two_entries())
    names = list(dict.fromkeys([*schema_for("entries").names, *schema_for("lines").names]))
    texts = decl.select(pl.concat_str(
        [pl.lit(f"{n}=") + (pl.col(n).cast(pl.String).fill_null("\\N") if n in decl.columns
                            else pl.lit("\\N")) for n in names], separator="\x1f")).to_series()
    expected = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    assert input_digest(decl).to_list() == expected
    assert texts[0].startswith("entry_number=AB1-0000001-1\x1f")
    assert "\x1fhts_code=6109100012\x1f" in texts[0]
