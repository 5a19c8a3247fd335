"""Entry batches scored by worker processes: every core of one machine, no cluster needed.

Python scores one batch on about one core (the detectors' Polars work is partly parallel,
the rest is not), so the DuckDB engine hands batches to ``workers`` processes. Each worker
receives the fitted run once (:mod:`~tradeguard.engines.shipping`), reads its batch's Parquet,
scores it with :func:`~tradeguard.engines.entry_batch.score_entry_batch` and writes the part;
results are the same objects and code as in one process, so the output is identical. Workers
are started with ``spawn`` (forking a process that already runs Polars' thread pool can hang)
and split the machine's threads between them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeguard.cores import worker_threads
from tradeguard.engines.shipping import pack, unpack

if TYPE_CHECKING:
    from tradeguard.engines.duckdb import BatchFiles

_PACKED: list[bytes] = []


def _start(shipped: str) -> None:
    # The run is read from a file, not sent down each worker's pipe: the driver need not
    # keep the bytes while the pool lives.
    _PACKED[:] = [Path(shipped).read_bytes()]
    unpack(_PACKED[0])


def _score(batch: BatchFiles, part: str) -> str:
    """Score one batch (its Parquet files) with the run this worker received."""
    from tradeguard.engines.entry_batch import score_entry_batch

    run, cross = unpack(_PACKED[0])
    entries, lines, chains = batch.read()
    score_entry_batch(entries, lines, run, batch.cross_findings(cross), chains
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


def score_in_workers(jobs: Sequence[tuple[BatchFiles, Path]], shipped: tuple[Any, Any],
                     workers: int, ship_file: Path) -> list[Path]:
    """Score ``(batch files, output part)`` jobs on ``workers`` processes.

    ``shipped`` is ``(fitted run, cross-entry findings)``; it is packed
    (:func:`~tradeguard.engines.shipping.pack`) to ``ship_file``, which each worker reads once.
    Returns the parts in job order; the first failure is raised.
    """
    workers = max(1, min(workers, len(jobs)))
    ship_file.write_bytes(pack(shipped))
    with worker_environment(workers), ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start, initargs=(str(ship_file),)) as pool:
        futures = [pool.submit(_score, batch, str(out)) for batch, out in jobs]
        return [Path(f.result()) for f in futures]
