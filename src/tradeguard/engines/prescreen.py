"""Parties screened ahead of the batches, on a second thread, while the driver works.

The first time a batch meets a party, watch-list and forced-labor screening is most of that
batch's detector time (about 1.5 s of a 50,000-line batch), and the same manufacturers and
sellers recur in batch after batch and in every worker. So once the run is fitted, a thread
reads the staged lines part by part and has each detector that remembers parties
(:class:`~tradeguard.detectors.base.RemembersParties`) screen every distinct party once, in
place; the run then travels to the batch workers with what they remembered, and the workers
only look parties up. The thread overlaps the driver's cross-entry step: both are mostly
Polars, DuckDB and RapidFuzz work that runs outside the interpreter lock, and a thread shares
the driver's reference data and list indexes instead of loading a copy (a process would add
about 600 MB at the run's memory peak). Findings are the same either way: a remembered result
is what screening the party again would give.

Off by default: on the two-core reference machine it saves as much batch time as it costs the
cross-entry step, because the exact name scoring is Python that holds the interpreter lock
(1M lines: batches 51.7 -> 41.8 s, cross-entry 22.7 -> 34.0 s, +240 MB at the peak;
bench/results/end_to_end.md). It pays where the cross-entry step leaves the driver idle.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import polars as pl

from tradeguard.detectors.base import DetectionContext, LineDetector, RemembersParties
from tradeguard.engines.staging import StagedFile

if TYPE_CHECKING:
    from tradeguard.engines.entry_batch import FittedRun

def remember_parties(detectors: Sequence[tuple[str, LineDetector]], ctx: DetectionContext,
                     staged: Mapping[str, StagedFile]) -> list[tuple[str, LineDetector]]:
    """``detectors`` after those that remember parties screened the parties of every staged
    line (``staged``: ``entries``, ``lines`` and, when given, ``supply_chain``), one lines
    part and its entries and supply chains in memory at a time."""
    from tradeguard.pipeline.run import declarations

    rememberers = [d for _, d in detectors if isinstance(d, RemembersParties)]
    every_entry = pl.scan_parquet(staged["entries"].glob)
    chains = pl.scan_parquet(staged["supply_chain"].glob) if "supply_chain" in staged else None
    for part in staged["lines"].parts:
        lines = pl.read_parquet(part)
        numbers = lines.select(pl.col("entry_number")).unique().lazy()
        header = every_entry.join(numbers, on="entry_number", how="semi").collect()
        part_ctx = replace(ctx, supply_chain=None if chains is None else chains.join(
            numbers, on="entry_number", how="semi").collect())
        decl = declarations(header, lines)
        for detector in rememberers:
            detector.remember(decl, part_ctx)
    return list(detectors)


class Prescreen:
    """Screening under way on another thread; :meth:`wait` blocks until it is done."""

    def __init__(self, future: Future[object] | None) -> None:
        self._future = future

    def wait(self) -> None:
        """Wait for the screening; re-raises its failure, if any."""
        if self._future is not None:
            self._future.result()


@contextmanager
def prescreened(run: FittedRun, staged: Mapping[str, StagedFile], *, enabled: bool
                ) -> Iterator[Prescreen]:
    """Start screening the parties of the staged lines on one thread (when ``enabled``),
    with the run's own detectors, which remember the results."""
    chosen = [(n, d) for n, d in run.chain if isinstance(d, RemembersParties)]
    if not enabled or not chosen:
        yield Prescreen(None)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prescreen") as pool:
        yield Prescreen(pool.submit(remember_parties, chosen, run.ctx, staged))
