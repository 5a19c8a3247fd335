"""Entry batches scored by worker processes: every core of one machine, no cluster needed.

Python scores one batch on about one core (the detectors' Polars work is partly parallel,
the rest is not), so the DuckDB engine hands batches to ``workers`` processes. Each worker
receives the fitted run once (:mod:`~tradeguard.engines.shipping`), reads its batch's Parquet,
scores it with :func:`~tradeguard.engines.entry_batch.score_entry_batch` and writes the part;
results are the same objects and code as in one process, so the output is identical. Workers
are started with ``spawn`` (forking a process that already runs Polars' thread pool can hang)
and split the machine's threads between them. A pool can also live across the driver's
cross-entry step (:class:`BatchWorkers`): the workers find each batch's own findings while the
driver works, then finish each batch once the cross-entry findings are in.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeguard.cores import worker_threads
from tradeguard.engines.shipping import pack, unpack

if TYPE_CHECKING:
    from tradeguard.engines.duckdb import BatchFiles

_PACKED: list[bytes] = []


def _start(shipped: str, nice: int = 0) -> None:
    # The run is read from a file, not sent down each worker's pipe: the driver need not
    # keep the bytes while the pool lives.
    if nice > 0:
        os.nice(nice)
    _PACKED[:] = [Path(shipped).read_bytes()]
    unpack(_PACKED[0])


def _find(batch: BatchFiles, found: str) -> str:
    """Find one batch's own findings (local detectors, rules) and keep them in ``found``."""
    from tradeguard.engines.entry_batch import find_entry_batch

    run, _ = unpack(_PACKED[0])
    entries, lines, chains = batch.read()
    Path(found).write_bytes(pickle.dumps(find_entry_batch(entries, lines, run, chains),
                                         protocol=pickle.HIGHEST_PROTOCOL))
    return found


def _score(batch: BatchFiles, part: str, found: str | None = None) -> str:
    """Score one batch (its Parquet files) with the run this worker received; with
    ``found``, its own findings were found already (:func:`_find`)."""
    from tradeguard.engines.entry_batch import score_entry_batch

    run, cross = unpack(_PACKED[0])
    entries, lines, chains = batch.read()
    own = None if found is None else pickle.loads(Path(found).read_bytes())
    score_entry_batch(entries, lines, run, batch.cross_findings(cross), chains, own
                      ).write_parquet(part)
    return part


@contextmanager
def worker_environment(workers: int) -> Iterator[None]:
    """Environment of processes spawned meanwhile: ``workers`` processes' share of the cores'
    threads each."""
    share = worker_threads(workers)
    saved = {k: os.environ.get(k) for k in share}
    os.environ.update(share)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class BatchWorkers:
    """``workers`` processes holding one fitted run, for as long as the ``with`` block lasts.

    A batch is scored in one job (:meth:`score`), or in two: its own findings first
    (:meth:`find`, which needs nothing of the cross-entry step, so the workers can work while
    the driver runs that step), then the rest with those findings (:meth:`score` with
    ``found``). Jobs start in the order they are submitted. ``nice`` lowers the workers'
    scheduling priority, so that the driver's own work, which the run waits on, comes first.
    """

    def __init__(self, shipped: tuple[Any, Any], workers: int, ship_file: Path,
                 nice: int = 0) -> None:
        self.workers = max(1, workers)
        ship_file.write_bytes(pack(shipped))
        self._stack = ExitStack()
        # Workers start when jobs come; they must start with their share of the threads.
        self._stack.enter_context(worker_environment(self.workers))
        self._pool = self._stack.enter_context(ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start, initargs=(str(ship_file), nice)))

    def __enter__(self) -> BatchWorkers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None:  # a failed run need not wait for the jobs still queued
            self._pool.shutdown(cancel_futures=True)
        self._stack.close()

    def find(self, batch: BatchFiles, found: Path) -> Future[str]:
        """Find ``batch``'s own findings into ``found`` (a pickle file)."""
        return self._pool.submit(_find, batch, str(found))

    def score(self, batch: BatchFiles, part: Path, found: Path | None = None) -> Future[str]:
        """Score ``batch`` into ``part``, with its own findings from ``found`` when given."""
        return self._pool.submit(_score, batch, str(part), None if found is None else str(found))


def score_in_workers(jobs: Sequence[tuple[BatchFiles, Path]], shipped: tuple[Any, Any],
                     workers: int, ship_file: Path) -> list[Path]:
    """Score ``(batch files, output part)`` jobs on ``workers`` processes.

    ``shipped`` is ``(fitted run, cross-entry findings)``; it is packed
    (:func:`~tradeguard.engines.shipping.pack`) to ``ship_file``, which each worker reads once.
    Returns the parts in job order; the first failure is raised.
    """
    with BatchWorkers(shipped, min(workers, len(jobs)), ship_file) as pool:
        futures = [pool.score(batch, out) for batch, out in jobs]
        return [Path(f.result()) for f in futures]
