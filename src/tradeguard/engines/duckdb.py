"""The default engine: DuckDB splits the inputs into entry batches on disk, Python scores them.

DuckDB hashes every row to its entry's batch and writes hive-partitioned Parquet in one pass
(spilling to disk past ``memory_limit``), so one batch at a time is in memory however large
the input. Each batch is read into Polars and scored by the shared batch functions, in this
process or, with ``workers`` > 1, in that many worker processes
(:mod:`~tradeguard.engines.workers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tradeguard.engines import sql
from tradeguard.engines.base import BatchInputs, picked_fields
from tradeguard.engines.entry_batch import (
    CANDIDATE_SCHEMA,
    FittedRun,
    cross_entry_candidates,
    score_entry_batch,
)


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
        self._cut: dict[Path, tuple[Path, Path]] = {}

    def latest_entry_date(self, inputs: BatchInputs) -> date | None:
        """The latest date of an entry with lines."""
        row = self._con.execute(sql.latest_entry_date(
            _scan(inputs.entries.glob), _scan(inputs.lines.glob))).fetchone()
        value = row[0] if row else None
        return value if isinstance(value, date) else None

    def _batches(self, inputs: BatchInputs) -> tuple[Path, Path]:
        """Write both files partitioned by entry batch (once per run)."""
        if inputs.work in self._cut:
            return self._cut[inputs.work]
        dirs = (inputs.work / "batches" / "entries", inputs.work / "batches" / "lines")
        dirs[0].parent.mkdir(parents=True, exist_ok=True)
        for staged, target in zip((inputs.entries, inputs.lines), dirs, strict=True):
            query = sql.entry_batches(_scan(staged.glob), _scan(inputs.entries.glob),
                                      inputs.batches)
            self._con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet, "
                              f"PARTITION_BY ({sql.BATCH_COLUMN}), OVERWRITE_OR_IGNORE)")
        self._cut[inputs.work] = dirs
        return dirs

    def _batch_files(self, inputs: BatchInputs) -> list[tuple[int, list[Path], list[Path]]]:
        """(batch number, entry files, line files) of every non-empty batch."""
        entries_dir, lines_dir = self._batches(inputs)
        out = []
        for number in range(inputs.batches):
            line_dir = lines_dir / f"{sql.BATCH_COLUMN}={number}"
            if not line_dir.exists():
                continue
            entry_dir = entries_dir / f"{sql.BATCH_COLUMN}={number}"
            out.append((number, sorted(entry_dir.glob("*.parquet")),
                        sorted(line_dir.glob("*.parquet"))))
        return out

    def _each_batch(self, inputs: BatchInputs) -> Any:
        for number, entry_files, line_files in self._batch_files(inputs):
            lines = pl.read_parquet(line_files, hive_partitioning=False)
            entries = pl.read_parquet(entry_files, hive_partitioning=False)
            yield number, entries, lines

    def candidates(self, inputs: BatchInputs, run: FittedRun) -> pl.DataFrame:
        """Cross-entry candidate keys of every batch."""
        parts = [pl.DataFrame(schema=CANDIDATE_SCHEMA)]
        for _, entries, lines in self._each_batch(inputs):
            parts.append(cross_entry_candidates(entries, lines, run))
        return pl.concat(parts)

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

    def score(self, inputs: BatchInputs, run: FittedRun, cross_findings: pl.DataFrame,
              out_dir: Path) -> list[Path]:
        """Score every batch, writing each result as it is done (in ``workers`` processes)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        files = self._batch_files(inputs)
        if self.workers > 1 and len(files) > 1:
            from tradeguard.engines.shipping import pack
            from tradeguard.engines.workers import score_in_workers

            jobs = [(e, ln, out_dir / f"part-{n:05d}.parquet") for n, e, ln in files]
            return score_in_workers(jobs, pack((run, cross_findings)), self.workers)
        parts: list[Path] = []
        for number, entries, lines in self._each_batch(inputs):
            part = out_dir / f"part-{number:05d}.parquet"
            score_entry_batch(entries, lines, run, cross_findings).write_parquet(part)
            parts.append(part)
        return parts

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()
