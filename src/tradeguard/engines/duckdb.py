"""The default engine: DuckDB splits the inputs into entry batches on disk, Python scores them.

DuckDB hashes every row to its entry's batch and writes hive-partitioned Parquet in one pass
(spilling to disk past ``memory_limit``), so one batch at a time is in memory however large
the input. Each batch is read into Polars and scored by the shared batch functions, in this
process or, with ``workers`` > 1, in that many worker processes
(:mod:`~tradeguard.engines.workers`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.engines import sql
from tradeguard.engines.base import BatchInputs, picked_fields
from tradeguard.engines.entry_batch import (
    FittedRun,
    score_entry_batch,
)
from tradeguard.findings import empty_findings

if TYPE_CHECKING:
    from tradeguard.engines.workers import BatchWorkers


@dataclass(frozen=True)
class BatchFiles:
    """The Parquet files of one entry batch; supply chains (with their schema, for a batch
    that has none) only when the run has a supply-chain file."""

    number: int
    entries: list[Path]
    lines: list[Path]
    supply_chain: list[Path] | None = None
    chain_schema: dict[str, pl.DataType] | None = None
    # The run's cross-entry findings on this batch's entries, when they were cut by batch.
    findings: Path | None = None

    def cross_findings(self, run_wide: pl.DataFrame) -> pl.DataFrame:
        """The batch's own cross-entry findings when they were cut, else ``run_wide``."""
        return run_wide if self.findings is None else pl.read_parquet(self.findings)

    def read(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
        """(entries, lines, supply chains) of the batch."""
        def frame(files: list[Path]) -> pl.DataFrame:
            return pl.read_parquet(files, hive_partitioning=False)

        chains = None
        if self.supply_chain:
            chains = frame(self.supply_chain)
        elif self.chain_schema is not None:
            chains = pl.DataFrame(schema=self.chain_schema)
        return frame(self.entries), frame(self.lines), chains

    def read_fields(self, fields: Sequence[str] | None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(entries, lines) of the batch, only their keys and ``fields`` when given."""
        def frame(files: list[Path], keys: tuple[str, ...]) -> pl.DataFrame:
            columns = picked_fields(list(pl.read_parquet_schema(files[0])), fields, keys)
            return pl.read_parquet(files, columns=columns, hive_partitioning=False)

        return (frame(self.entries, ("entry_number",)),
                frame(self.lines, ("entry_number", "line_number")))


# Scheduling priority of the workers that find batches' findings ahead (see find_ahead).
FIND_AHEAD_NICE = 10


@dataclass(frozen=True)
class _Ahead:
    """The worker pool of a :meth:`DuckDBEngine.find_ahead` block and, per batch number, the
    job finding its own findings and the file they go to."""

    pool: BatchWorkers
    found: dict[int, tuple[Future[str], Path]]


def _scan(glob: str) -> str:
    return f"read_parquet('{glob}')"


class DuckDBEngine:
    """Entry batches cut by DuckDB, scored in this process (one batch in memory at a time)."""

    name = "duckdb"

    def __init__(self, memory_limit: str | None = None, workers: int = 1) -> None:
        import duckdb

        if workers < 1:
            raise ValueError(f"workers must be at least 1 (got {workers})")
        self.workers = workers

        self._con: Any = duckdb.connect()
        if memory_limit:
            self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._cut: dict[Path, dict[str, Path]] = {}
        self._ahead: _Ahead | None = None

    def latest_entry_date(self, inputs: BatchInputs) -> date | None:
        """The latest date of an entry with lines."""
        row = self._con.execute(sql.latest_entry_date(
            _scan(inputs.entries.glob), _scan(inputs.lines.glob))).fetchone()
        value = row[0] if row else None
        return value if isinstance(value, date) else None

    def _batches(self, inputs: BatchInputs) -> dict[str, Path]:
        """Write the files partitioned by entry batch (once per run): entries, lines and,
        when given, the supply chains, so each batch carries its own."""
        if inputs.work in self._cut:
            return self._cut[inputs.work]
        staged = {"entries": inputs.entries, "lines": inputs.lines}
        if inputs.supply_chain is not None:
            staged["supply_chain"] = inputs.supply_chain
        dirs = {kind: inputs.work / "batches" / kind for kind in staged}
        dirs["entries"].parent.mkdir(parents=True, exist_ok=True)
        for kind, file in staged.items():
            query = sql.entry_batches(_scan(file.glob), _scan(inputs.entries.glob),
                                      inputs.batches)
            self._con.execute(f"COPY ({query}) TO '{dirs[kind]}' (FORMAT parquet, "
                              f"PARTITION_BY ({sql.BATCH_COLUMN}), OVERWRITE_OR_IGNORE)")
        self._cut[inputs.work] = dirs
        return dirs

    def _batch_files(self, inputs: BatchInputs) -> list[BatchFiles]:
        """The files of every non-empty batch."""
        dirs = self._batches(inputs)
        schema = (dict(pl.read_parquet_schema(inputs.supply_chain.parts[0]))
                  if inputs.supply_chain is not None else None)
        out = []
        for number in range(inputs.batches):
            part = f"{sql.BATCH_COLUMN}={number}"
            if not (dirs["lines"] / part).exists():
                continue
            chains = (sorted((dirs["supply_chain"] / part).glob("*.parquet"))
                      if "supply_chain" in dirs else None)
            out.append(BatchFiles(number, sorted((dirs["entries"] / part).glob("*.parquet")),
                                  sorted((dirs["lines"] / part).glob("*.parquet")), chains,
                                  schema))
        return out

    def candidates(self, inputs: BatchInputs, run: FittedRun) -> pl.DataFrame:
        """Cross-entry candidate keys of every batch (each read with only the fields the
        candidate rules need)."""
        from tradeguard.engines.cross_entry import run_candidates

        return run_candidates(lambda fields: self.batch_rows(inputs, fields), run)

    def batch_rows(self, inputs: BatchInputs, fields: Sequence[str] | None
                   ) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        """(entries, lines) of each batch in turn, read from the batch's own files."""
        for batch in self._batch_files(inputs):
            yield batch.read_fields(fields)

    def rows_for(self, inputs: BatchInputs, keys: pl.DataFrame,
                 fields: Sequence[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Entries and lines of ``keys``, picked by SQL from the staged Parquet."""
        line_cols = picked_fields(list(pl.read_parquet_schema(inputs.lines.parts[0])), fields,
                                  ("entry_number", "line_number"))
        entry_cols = picked_fields(list(pl.read_parquet_schema(inputs.entries.parts[0])),
                                   fields, ("entry_number",))
        self._con.register("wanted", keys)
        try:
            lines = self._con.execute(sql.rows_of_lines(
                _scan(inputs.lines.glob), "wanted", columns=line_cols)).pl()
            entries = self._con.execute(sql.rows_of_entries(
                _scan(inputs.entries.glob), "wanted", columns=entry_cols)).pl()
        finally:
            self._con.unregister("wanted")
        return entries, lines

    @contextmanager
    def find_ahead(self, inputs: BatchInputs, run: FittedRun) -> Iterator[None]:
        """While the block runs (the driver's cross-entry step), the worker processes find
        each batch's own findings; :meth:`score` inside the block then finishes each batch
        with them. Nothing ahead with one worker or one batch."""
        files = self._batch_files(inputs)
        if self.workers <= 1 or len(files) <= 1:
            yield
            return
        from tradeguard.engines.workers import BatchWorkers

        folder = inputs.work / "batches" / "found"
        folder.mkdir(parents=True, exist_ok=True)
        # Each batch brings its own supply chains; the run's need not travel with the run.
        lean = run.for_batches(supply_chain=inputs.supply_chain is None)
        # The cross-entry step is what the run waits for; the workers take the CPU it
        # leaves (a lower priority only matters while the driver works).
        with BatchWorkers((lean, empty_findings()), min(self.workers, len(files)),
                          inputs.work / "run.pickle", nice=FIND_AHEAD_NICE) as pool:
            found = {b.number: (folder / f"part-{b.number:05d}.pickle") for b in files}
            self._ahead = _Ahead(pool, {b.number: (pool.find(b, found[b.number]),
                                                   found[b.number]) for b in files})
            try:
                yield
            finally:
                self._ahead = None

    def score(self, inputs: BatchInputs, run: FittedRun, cross_findings: pl.DataFrame,
              out_dir: Path) -> list[Path]:
        """Score every batch, writing each result as it is done (in ``workers`` processes;
        inside :meth:`find_ahead`, with the findings found there)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        files = self._batch_files(inputs)
        if self._ahead is not None:
            ahead = self._ahead
            scored = []
            for batch in self._cut_findings(inputs, files, cross_findings):
                job, found = ahead.found[batch.number]
                job.result()  # a batch is finished once its own findings are in
                scored.append(ahead.pool.score(
                    batch, out_dir / f"part-{batch.number:05d}.parquet", found))
            return [Path(f.result()) for f in scored]
        jobs = [(batch, out_dir / f"part-{batch.number:05d}.parquet") for batch in files]
        # Each batch brings its own supply chains; the run's need not travel with the run.
        run = run.for_batches(supply_chain=inputs.supply_chain is None)
        if self.workers > 1 and len(files) > 1:
            from tradeguard.engines.workers import score_in_workers

            # Each worker reads its batches' cross-entry findings, not the run's (at 10M
            # lines the party networks' alone are a gigabyte or more).
            files = self._cut_findings(inputs, files, cross_findings)
            jobs = [(batch, out_dir / f"part-{batch.number:05d}.parquet") for batch in files]
            return score_in_workers(jobs, (run, cross_findings.clear()), self.workers,
                                    inputs.work / "run.pickle")
        for batch, part in jobs:
            entries, lines, chains = batch.read()
            score_entry_batch(entries, lines, run, cross_findings, chains).write_parquet(part)
        return [part for _, part in jobs]

    def _cut_findings(self, inputs: BatchInputs, files: list[BatchFiles],
                      findings: pl.DataFrame) -> list[BatchFiles]:
        """``files`` with each batch's share of ``findings`` (by entry) in a file of its own."""
        folder = inputs.work / "batches" / "cross_findings"
        folder.mkdir(parents=True, exist_ok=True)
        batch_of = pl.scan_parquet(self._batches(inputs)["entries"] / "**" / "*.parquet",
                                   hive_partitioning=True).select(
            pl.col("entry_number").cast(pl.String), pl.col(sql.BATCH_COLUMN).cast(pl.Int64)
        ).collect()
        by_batch = findings.join(batch_of, on="entry_number", how="inner").partition_by(
            sql.BATCH_COLUMN, as_dict=True, include_key=False)
        out = []
        for batch in files:
            path = folder / f"part-{batch.number:05d}.parquet"
            by_batch.get((batch.number,), findings.clear()).write_parquet(path)
            out.append(replace(batch, findings=path))
        return out

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()
