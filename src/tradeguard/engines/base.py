"""The engine interface: where entry batches are formed and scored, nothing about how.

An engine splits the staged inputs into batches of whole entries and calls the Python of
:mod:`tradeguard.engines.entry_batch` on each; everything global (fitting baselines, the
cross-entry detectors, lanes with their per-port-day quotas) is done once by
:mod:`tradeguard.engines.run`, the same for every engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import polars as pl

from tradeguard.engines.staging import StagedFile

if TYPE_CHECKING:
    from tradeguard.engines.entry_batch import FittedRun


def picked_fields(available: Sequence[str], fields: Sequence[str] | None,
                  keys: Sequence[str]) -> list[str] | None:
    """The ``keys`` and ``fields`` a table has, in table order (None: every column)."""
    if fields is None:
        return None
    wanted = {*keys, *fields}
    return [c for c in available if c in wanted]


@dataclass(frozen=True)
class BatchInputs:
    """The staged current declarations and how many entry batches to cut them into."""

    entries: StagedFile
    lines: StagedFile
    batches: int
    work: Path
    supply_chain: StagedFile | None = None


class ScoringEngine(Protocol):
    """An execution engine for the batch chain (DuckDB in process, Spark local or cluster)."""

    name: str

    def latest_entry_date(self, inputs: BatchInputs) -> date | None:
        """The latest date of an entry with lines (the default evaluation date)."""

    def candidates(self, inputs: BatchInputs, run: FittedRun) -> pl.DataFrame:
        """Keys of the lines the cross-entry detectors must see, over every batch."""

    def rows_for(self, inputs: BatchInputs, keys: pl.DataFrame,
                 fields: Sequence[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(entries, lines) rows of the given line keys, gathered to this process (only the
        keys and ``fields`` when given)."""

    def score(self, inputs: BatchInputs, run: FittedRun, cross_findings: pl.DataFrame,
              out_dir: Path) -> list[Path]:
        """Score every batch; one Parquet part per batch (:data:`SCORED_SCHEMA`) in out_dir."""

    def close(self) -> None:
        """Release the engine's resources (connections, sessions)."""


@runtime_checkable
class ReadsBatches(Protocol):
    """An engine that can hand the driver its batches one at a time, a few fields each: a
    detector that reads every line of the run in parts reads the batches as they are cut,
    instead of gathering each part by key from the whole run."""

    def batch_rows(self, inputs: BatchInputs, fields: Sequence[str] | None
                   ) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        """(entries, lines) of each batch in turn, only the keys and ``fields`` when given."""


@runtime_checkable
class FindsAhead(Protocol):
    """An engine that can find each batch's own findings (local detectors, rules profiles)
    while the driver runs the cross-entry step, so the machine's cores are not idle during
    it; ``score`` inside the block then only adds the cross-entry findings, model and risk."""

    def find_ahead(self, inputs: BatchInputs, run: FittedRun) -> AbstractContextManager[None]:
        """A block during which the batches' own findings are found in the background."""


def engine_for(name: str, *, spark_master: str | None = None,
               memory_limit: str | None = None, workers: int = 1) -> ScoringEngine:
    """The engine called ``name`` (``duckdb`` or ``spark``); heavy imports happen here.

    ``workers`` is the DuckDB engine's number of scoring processes (Spark has its own).
    """
    if name == "duckdb":
        from tradeguard.engines.duckdb import DuckDBEngine

        return DuckDBEngine(memory_limit=memory_limit, workers=workers)
    if name == "spark":
        from tradeguard.engines.spark import SparkEngine

        return SparkEngine.start(spark_master or "local[2]")
    raise ValueError(f"unknown engine {name!r}; expected 'duckdb' or 'spark'")
