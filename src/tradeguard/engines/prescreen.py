"""Parties screened ahead of the batches, in another process, while the driver works.

The first time a batch meets a party, watch-list and forced-labor screening is most of that
batch's detector time (about 1.5 s of a 50,000-line batch), and the same manufacturers and
sellers recur in batch after batch and in every worker. So once the run is fitted, one process
reads the staged lines part by part and has each detector that remembers parties
(:class:`~tradeguard.detectors.base.RemembersParties`) screen every distinct party once; the
detectors come back with what they remembered and replace their cold copies in the run before
it is shipped to the batch workers, which then only look parties up. The work overlaps the
driver's cross-entry step, which keeps about one core busy. Findings are the same either way:
a remembered result is what screening the party again would give.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

import polars as pl

from tradeguard.detectors.base import LineDetector, RemembersParties
from tradeguard.engines.shipping import pack, unpack
from tradeguard.engines.staging import StagedFile

if TYPE_CHECKING:
    from tradeguard.engines.entry_batch import FittedRun

#: Below this many lines a run screens its parties in the batches: starting a process costs
#: more than it saves.
PRESCREEN_FROM_LINES = 20_000


def remember_parties(run: FittedRun, entries: StagedFile, line_parts: Sequence[str]
                     ) -> list[tuple[str, LineDetector]]:
    """The run's party-remembering detectors after screening the parties of every line part
    (one part in memory at a time)."""
    from tradeguard.pipeline.run import declarations

    chosen: list[tuple[str, LineDetector]] = [
        (n, d) for n, d in run.chain if isinstance(d, RemembersParties)]
    if not chosen:
        return []
    every_entry = pl.scan_parquet(entries.glob)
    for part in line_parts:
        lines = pl.read_parquet(part)
        numbers = lines.select(pl.col("entry_number")).unique().lazy()
        header = every_entry.join(numbers, on="entry_number", how="semi").collect()
        decl = declarations(header, lines)
        for _, detector in chosen:
            if isinstance(detector, RemembersParties):
                detector.remember(decl, run.ctx)
    return chosen


def _remember_packed(packed: bytes, entries: StagedFile, line_parts: list[str]) -> bytes:
    return pack(remember_parties(unpack(packed), entries, line_parts))


class Prescreen:
    """Screening under way in another process; :meth:`into` waits and swaps the result in."""

    def __init__(self, future: Future[bytes] | None) -> None:
        self._future = future

    def into(self, run: FittedRun) -> FittedRun:
        """``run`` with its party-remembering detectors replaced by the screened ones."""
        if self._future is None:
            return run
        return run.with_detectors(dict(unpack(self._future.result())))


@contextmanager
def prescreened(run: FittedRun, entries: StagedFile, lines: StagedFile, *, enabled: bool
                ) -> Iterator[Prescreen]:
    """Start screening the parties of ``lines`` in one spawned process (when ``enabled``)."""
    if not enabled or not any(isinstance(d, RemembersParties) for _, d in run.chain):
        yield Prescreen(None)
        return
    from tradeguard.engines.workers import worker_environment

    with worker_environment(2), ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield Prescreen(pool.submit(_remember_packed, pack(run), entries,
                                    [str(p) for p in lines.parts]))
