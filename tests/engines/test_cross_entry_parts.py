"""The cross-entry step gathers the party-network detector's lines in parts, and finds the same
whatever the size of the parts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest


def test_the_network_detector_finds_the_same_in_small_and_large_parts(
        demo: Any, tmp_path: Path) -> None:
    from tradeguard.engines.base import BatchInputs
    from tradeguard.engines.duckdb import DuckDBEngine
    from tradeguard.engines.entry_batch import detect_cross_entry
    from tradeguard.engines.run import _fit, _stage_all
    from tradeguard.network.detector import NetworkDetector

    src = demo.sources()
    staged = _stage_all(src, tmp_path / "staged", tmp_path, batch_rows=400)
    day = pl.read_parquet(list(staged["entries"].parts))["entry_date"].max()
    run = _fit(staged, day)
    engine = DuckDBEngine()
    try:
        inputs = BatchInputs(staged["entries"], staged["lines"], 3, tmp_path,
                             staged.get("supply_chain"))
        candidates = engine.candidates(inputs, run)
        gathered: list[int] = []  # keys per gathering of the network detector's fields

        def gather(keys: pl.DataFrame, fields: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
            if fields == NetworkDetector.reads:
                gathered.append(keys.height)
            return engine.rows_for(inputs, keys, fields)

        whole = detect_cross_entry(gather, candidates, run, part_rows=10**9)
        once = list(gathered)
        small = detect_cross_entry(gather, candidates, run, part_rows=97)
        with pytest.raises(ValueError, match="part_rows"):
            detect_cross_entry(gather, candidates, run, part_rows=0)
        # The engine's own batches instead of gathering by key: read batch by batch, twice.
        read: list[int] = []

        def batches(fields: Any) -> Any:
            for entries, lines in engine.batch_rows(inputs, fields):
                if fields == NetworkDetector.reads:
                    read.append(lines.height)
                    assert set(lines.columns) <= {*NetworkDetector.reads, "line_number"}
                yield entries, lines

        keyed, gathered[:] = list(gathered), []
        by_batch = detect_cross_entry(gather, candidates, run, part_rows=97, batches=batches)
        # Every line a candidate: the batches are read whole, with no candidate filter.
        unfiltered = detect_cross_entry(gather, candidates, run, batches=batches,
                                        run_lines=staged["lines"].accepted)
        # Workers get their batches' findings in files of their own, not the run's.
        files = engine._cut_findings(inputs, engine._batch_files(inputs), whole)
        shares = []
        for batch in files:
            assert batch.findings is not None
            share = batch.cross_findings(whole.clear())
            entries, _, _ = batch.read()
            assert share.join(entries, on="entry_number", how="anti").is_empty()
            shares.append(share)
    finally:
        engine.close()
    assert gathered == []  # the network's lines came from the batches, not by key
    assert len(read) == 4 * 3 and sum(read) == 4 * staged["lines"].accepted
    assert by_batch.sort(pl.all()).equals(whole.sort(pl.all()))
    assert unfiltered.sort(pl.all()).equals(whole.sort(pl.all()))
    assert len(shares) == 3 and all(share.height for share in shares)
    assert pl.concat(shares).sort(pl.all()).equals(whole.sort(pl.all()))
    network = candidates.filter(pl.col("detector") == "network").height
    # Every line is a network candidate, read twice (two passes): at once, or 97 keys a time.
    assert network == staged["lines"].accepted
    assert once == [network, network]
    parts = keyed[len(once):]
    assert len(parts) == 2 * math.ceil(network / 97) and max(parts) == 97
    assert sum(parts) == 2 * network
    found = whole.filter(pl.col("detector") == "network")
    assert found.height > 0
    assert small.sort(pl.all()).equals(whole.sort(pl.all()))
