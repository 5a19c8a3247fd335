"""The batch chain gives the one-frame chain's assessments, on every engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tradeguard.engines import BatchSources, score_batch

KEYS = ["entry_number", "line_number"]
# Reason texts word for word too: tied screening hits are listed in a fixed order.
EXACT = ["lane", "selection", "categories", "reasons", "top_reasons_text", "forced_by",
         "port_of_entry", "entry_date", "model_version", "rules_version", "targeting_version",
         "list_versions", "refdata_versions", "detector_versions", "input_digest"]
CLOSE = ["risk_score", "selection_probability", "model_probability"]


def _engine(name: str, request: pytest.FixtureRequest) -> Any:
    if name == "spark":
        return request.getfixturevalue("spark_engine")
    from tradeguard.engines.duckdb import DuckDBEngine

    # "duckdb-workers": batches scored in two worker processes, not in this one.
    return DuckDBEngine(workers=1 if name == "duckdb" else 2)


@pytest.mark.parametrize(("engine_name", "batch_rows"), [
    ("duckdb", 97),
    ("duckdb", 1_000_000),
    ("duckdb-workers", 300),
    ("duckdb-prescreened", 300),
    pytest.param("spark", 300, marks=pytest.mark.spark),
])
def test_batches_score_like_one_frame(demo: Any, one_frame: pl.DataFrame, tmp_path: Path,
                                      engine_name: str, batch_rows: int,
                                      request: pytest.FixtureRequest) -> None:
    from tradeguard.model import load_artifact

    engine = _engine(engine_name, request)
    out = tmp_path / "scored.parquet"
    # "-prescreened": the parties are screened ahead in another process, not in the batches.
    run = score_batch(demo.sources(), out, engine, model=load_artifact(demo.model),
                      batch_rows=batch_rows, prescreen=engine_name.endswith("prescreened"))
    if engine_name.startswith("duckdb"):
        engine.close()
    got = pl.read_parquet(out).sort(KEYS)
    want = one_frame.sort(KEYS)
    assert run.lines_scored == want.height == got.height
    assert got.select(KEYS).equals(want.select(KEYS))
    for col in EXACT:
        assert got[col].equals(want[col]), col
    for col in CLOSE:
        diff = (got[col] - want[col]).abs().max()
        assert diff is None or float(str(diff)) < 1e-9, col
    assert run.lanes == {str(k): int(v) for k, v in want.group_by("lane").len().iter_rows()}
    assert got.filter(pl.col("lane") == "red").height > 0
    assert (got["model_probability"].null_count() == 0)


def test_rejected_rows_are_kept_with_reasons(demo: Any, tmp_path: Path) -> None:
    from tradeguard.engines.duckdb import DuckDBEngine

    lines = pl.read_csv(demo.folder / "lines.csv", infer_schema_length=0)
    bad = lines.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("lots")).otherwise(pl.col("quantity"))
        .alias("quantity"))
    bad_path = tmp_path / "lines.csv"
    bad.write_csv(bad_path)
    src = BatchSources(demo.folder / "entries.csv", bad_path)
    engine = DuckDBEngine()
    run = score_batch(src, tmp_path / "out" / "scored.parquet", engine, batch_rows=500)
    engine.close()
    files = {f.kind: f for f in run.files}
    assert run.lines_scored + files["lines"].rejected == lines.height
    rejects = pl.read_csv(tmp_path / "out" / "lines.csv.rejects.csv")
    assert rejects.height == files["lines"].rejected
    mine = rejects.filter(pl.col("raw_row").str.contains("lots"))
    assert mine.height == 1
    assert "quantity" in mine.get_column("fields")[0]
