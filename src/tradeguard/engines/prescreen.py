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
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import polars as pl

from tradeguard.detectors.base import DetectionContext, LineDetector, RemembersParties
from tradeguard.engines.shipping import pack, unpack
from tradeguard.engines.staging import StagedFile

if TYPE_CHECKING:
    from tradeguard.engines.entry_batch import FittedRun

#: Below this many lines a run screens its parties in the batches: starting a process costs
#: more than it saves.
PRESCREEN_FROM_LINES = 20_000


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


def _remember_packed(packed: bytes, staged: dict[str, StagedFile]) -> bytes:
    detectors, ctx = unpack(packed)
    return pack(remember_parties(detectors, ctx, staged))


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
def prescreened(run: FittedRun, staged: Mapping[str, StagedFile], *, enabled: bool
                ) -> Iterator[Prescreen]:
    """Start screening the parties of the staged lines in one spawned process (when
    ``enabled``). Only the screening detectors and the context travel, not the run's
    supply chains: the process reads each part's own from the staged files."""
    chosen = [(n, d) for n, d in run.chain if isinstance(d, RemembersParties)]
    if not enabled or not chosen:
        yield Prescreen(None)
        return
    from tradeguard.engines.workers import worker_environment

    payload = pack((chosen, replace(run.ctx, supply_chain=None)))
    wanted = {k: staged[k] for k in ("entries", "lines", "supply_chain") if k in staged}
    with worker_environment(2), ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield Prescreen(pool.submit(_remember_packed, payload, wanted))
