"""The cross-entry candidates found from a few fields of each batch are the ones the AD/CVD
rules find on whole declarations, and a failing detector stops the step with its name."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

KEYS = ["entry_number", "line_number"]


@pytest.fixture(scope="module")
def fitted(demo: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tradeguard.engines.base import BatchInputs
    from tradeguard.engines.run import _fit, _stage_all

    tmp = tmp_path_factory.mktemp("cross-entry")
    src = demo.sources()
    staged = _stage_all(src, tmp / "staged", tmp, batch_rows=400)
    day = pl.read_parquet(list(staged["entries"].parts))["entry_date"].max()
    run = _fit(staged, day)
    inputs = BatchInputs(staged["entries"], staged["lines"], 3, tmp, staged.get("supply_chain"))
    return run, inputs, staged


def test_candidates_from_a_few_fields_are_the_rules_on_whole_declarations(fitted: Any) -> None:
    from tradeguard.detectors.adcvd.baseline import third_country_scope
    from tradeguard.detectors.adcvd.candidates import CANDIDATE_FIELDS
    from tradeguard.detectors.adcvd.deposits import deposit_checks
    from tradeguard.detectors.adcvd.detector import prepare_lines
    from tradeguard.engines.cross_entry import candidate_fields, run_candidates
    from tradeguard.engines.duckdb import DuckDBEngine
    from tradeguard.pipeline.run import declarations

    run, inputs, staged = fitted
    assert candidate_fields(run) == CANDIDATE_FIELDS
    engine = DuckDBEngine()
    try:
        read: list[set[str]] = []

        def batches(fields: Any) -> Any:
            for entries, lines in engine.batch_rows(inputs, fields):
                read.append(set(entries.columns) | set(lines.columns))
                yield entries, lines

        fast = run_candidates(batches, run)
        whole = engine.candidates(inputs, run)  # every column of every batch
        orders, cfg = run.ctx.ref.adcvd_orders, dict(run.cross_entry())["adcvd"].config
        want = []
        for batch in engine._batch_files(inputs):
            entries, lines, _ = batch.read()
            prepared = prepare_lines(declarations(entries, lines))
            want += [deposit_checks(prepared, orders, cfg).select(KEYS),
                     third_country_scope(prepared, orders).select(KEYS)]
    finally:
        engine.close()
    assert read and all(cols <= {*KEYS, *CANDIDATE_FIELDS} for cols in read)
    adcvd = fast.filter(pl.col("detector") == "adcvd").select(KEYS)
    assert adcvd.height > 0
    assert adcvd.sort(KEYS).equals(pl.concat(want).unique().sort(KEYS))
    assert fast.filter(pl.col("detector") == "network").height == staged["lines"].accepted
    assert fast.sort(pl.all()).equals(whole.sort(pl.all()))


def test_a_failing_detector_stops_the_step_with_its_name(
        fitted: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeguard.detectors.adcvd.detector import AdcvdDetector
    from tradeguard.engines.cross_entry import run_candidates
    from tradeguard.engines.duckdb import DuckDBEngine
    from tradeguard.engines.entry_batch import detect_cross_entry
    from tradeguard.pipeline.registry import DetectorError

    run, inputs, staged = fitted
    engine = DuckDBEngine()
    try:
        def gather(keys: pl.DataFrame, fields: Any) -> Any:
            return engine.rows_for(inputs, keys, fields)

        def batches(fields: Any) -> Any:
            return engine.batch_rows(inputs, fields)

        candidates = run_candidates(batches, run)
        found = detect_cross_entry(gather, candidates, run, batches=batches,
                                   run_lines=staged["lines"].accepted)
        # Each detector's findings in chain order, whichever thread found them.
        names = [name for name, _ in run.cross_entry()]
        assert found["detector"].unique(maintain_order=True).to_list() == names

        def broken(self: Any, lines: Any, ctx: Any) -> Any:
            raise RuntimeError("no orders")

        monkeypatch.setattr(AdcvdDetector, "detect", broken)
        with pytest.raises(DetectorError, match="adcvd"):
            detect_cross_entry(gather, candidates, run, batches=batches,
                               run_lines=staged["lines"].accepted)
    finally:
        engine.close()


def test_no_cross_entry_detector_no_candidates(fitted: Any) -> None:
    from dataclasses import replace

    from tradeguard.engines.cross_entry import candidate_fields, run_candidates

    run, _, _ = fitted
    bare = replace(run, chain=run.chain.without(("adcvd", "network")))
    assert candidate_fields(bare) == ()
    assert run_candidates(lambda fields: iter(()), bare).is_empty()

