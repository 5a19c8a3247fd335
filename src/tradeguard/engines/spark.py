"""Apache Spark engine: entry batches as Spark groups, scored by the same Python on executors.

Both staged files get their entry batch from the same SQL as DuckDB (transpiled to Spark SQL),
are co-grouped by batch, and each group — every line of its entries plus their headers — is
scored with ``applyInArrow`` by :mod:`tradeguard.engines.entry_batch`. The fitted run (the
pipeline's scorer without its history) goes to the executors once as a broadcast variable. Runs
in local mode (``local[2]``) or on a cluster through ``--spark-master``; the staged Parquet and
the work folder must then be on storage every executor can read.
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
    KEY_SCHEMA,
    SCORED_SCHEMA,
    FittedRun,
    cross_entry_candidates,
    score_entry_batch,
)
from tradeguard.engines.shipping import pack, unpack

_SPARK_TYPES: dict[str, str] = {
    "String": "string", "Int64": "bigint", "Float64": "double", "Date": "date",
    "Boolean": "boolean",
}


def spark_ddl(schema: dict[str, pl.DataType]) -> str:
    """A Spark DDL schema string for a Polars schema of flat columns and string lists."""
    cols = []
    for name, dtype in schema.items():
        if isinstance(dtype, pl.List):
            cols.append(f"{name} array<{_SPARK_TYPES[str(dtype.inner)]}>")
        else:
            cols.append(f"{name} {_SPARK_TYPES[str(dtype)]}")
    return ", ".join(cols)


def _to_arrow(frame: pl.DataFrame) -> Any:
    """Arrow with plain (not large) strings and lists, which Spark's Arrow path reads."""
    import pyarrow as pa

    table = frame.to_arrow()
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        elif pa.types.is_large_list(t):
            t = pa.list_(pa.string())
        fields.append(pa.field(f.name, t))
    return table.cast(pa.schema(fields))


def _polars(table: Any) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.drop(sql.BATCH_COLUMN, strict=False)


def _received(shared: Any) -> Any:
    """The broadcast object, unpickled once per worker process rather than once per batch."""
    return unpack(shared.value)  # the same bytes object for every task of this broadcast


class SparkEngine:
    """Entry batches as co-grouped Spark groups; results written by Spark as Parquet."""

    name = "spark"

    def __init__(self, session: Any, *, own_session: bool = False) -> None:
        self.session = session
        self._own = own_session

    @classmethod
    def start(cls, master: str = "local[2]") -> SparkEngine:
        """A session for ``master`` (small shuffles, no UI; stopped by :meth:`close`)."""
        import os
        import sys

        from pyspark.sql import SparkSession

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

        # Executors in local mode must run this interpreter (it has the package installed).
        session = (SparkSession.builder.master(master).appName("tradeguard-score-batch")
                   .config("spark.pyspark.python", sys.executable)
                   .config("spark.pyspark.driver.python", sys.executable)
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.shuffle.partitions", "4")
                   .config("spark.sql.session.timeZone", "UTC")
                   .getOrCreate())
        return cls(session, own_session=True)

    def _frames(self, inputs: BatchInputs) -> tuple[Any, Any]:
        """Both staged files with their entry batch, as Spark DataFrames."""
        spark = self.session
        out = []
        for name, staged in (("entries", inputs.entries), ("lines", inputs.lines)):
            spark.read.parquet(*[str(p) for p in staged.parts]).createOrReplaceTempView(
                f"tg_{name}")
        for name in ("entries", "lines"):
            out.append(spark.sql(sql.entry_batches(f"tg_{name}", "tg_entries", inputs.batches,
                                                   "spark")))
        return out[0], out[1]

    def latest_entry_date(self, inputs: BatchInputs) -> date | None:
        """The latest date of an entry with lines."""
        self._frames(inputs)
        row = self.session.sql(sql.latest_entry_date("tg_entries", "tg_lines", "spark")).first()
        value = row[0] if row else None
        return value if isinstance(value, date) else None

    def _apply(self, inputs: BatchInputs, fn: Any, schema: dict[str, pl.DataType]) -> Any:
        entries, lines = self._frames(inputs)
        grouped = lines.groupBy(sql.BATCH_COLUMN).cogroup(entries.groupBy(sql.BATCH_COLUMN))
        return grouped.applyInArrow(fn, spark_ddl(schema))

    def candidates(self, inputs: BatchInputs, run: FittedRun) -> pl.DataFrame:
        """Cross-entry candidate keys of every batch, gathered to the driver."""
        shared = self.session.sparkContext.broadcast(pack(run))

        def keys(lines: Any, entries: Any) -> Any:
            return _to_arrow(cross_entry_candidates(_polars(entries), _polars(lines),
                                                    _received(shared)))

        found = self._apply(inputs, keys, CANDIDATE_SCHEMA).toArrow()
        return _polars(found).select([pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items()])

    def rows_for(self, inputs: BatchInputs, keys: pl.DataFrame,
                 fields: Sequence[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Entries and lines of ``keys``, picked by the transpiled SQL."""
        self._frames(inputs)
        self.session.createDataFrame(_to_arrow(keys).to_pandas() if keys.height else [],
                                     schema=spark_ddl(KEY_SCHEMA)
                                     ).createOrReplaceTempView("tg_wanted")
        line_cols = picked_fields(self.session.table("tg_lines").columns, fields,
                                  ("entry_number", "line_number"))
        entry_cols = picked_fields(self.session.table("tg_entries").columns, fields,
                                   ("entry_number",))
        lines = self.session.sql(sql.rows_of_lines("tg_lines", "tg_wanted", "spark", line_cols))
        entries = self.session.sql(sql.rows_of_entries("tg_entries", "tg_wanted", "spark",
                                                       entry_cols))
        return _polars(entries.toArrow()), _polars(lines.toArrow())

    def score(self, inputs: BatchInputs, run: FittedRun, cross_findings: pl.DataFrame,
              out_dir: Path) -> list[Path]:
        """Score every batch on the executors; Spark writes the parts."""
        shared = self.session.sparkContext.broadcast(pack((run.for_batches(), cross_findings)))

        def scored(lines: Any, entries: Any) -> Any:
            fitted, cross = _received(shared)
            return _to_arrow(score_entry_batch(_polars(entries), _polars(lines), fitted, cross))

        self._apply(inputs, scored, SCORED_SCHEMA).write.mode("overwrite").parquet(
            str(out_dir))
        return sorted(out_dir.glob("*.parquet"))

    def close(self) -> None:
        """Stop the session if this engine started it."""
        if self._own:
            self.session.stop()
