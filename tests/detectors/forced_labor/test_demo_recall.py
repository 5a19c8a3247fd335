"""Planted forced-labor and watch-list cases on generated demo data: recall and clean flags."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tradeguard.demo import generate_demo_data
from tradeguard.detectors.base import DetectionContext, declaration_lines
from tradeguard.detectors.forced_labor import ForcedLaborDetector
from tradeguard.detectors.watchlist import WatchlistDetector
from tradeguard.refdata import load_reference_data

KEY = ["entry_number", "line_number"]
CATEGORIES = ["forced_labor", "watchlist"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7, 3])
def test_demo_recall_and_clean_line_rate(tmp_path: Path, seed: int) -> None:
    generate_demo_data(tmp_path, entries=2000, seed=seed, history_months=1)
    read = {n: pl.read_csv(tmp_path / f"{n}.csv", infer_schema_length=0)
            for n in ("entries", "lines", "supply_chain", "truth")}
    batch = declaration_lines(read["entries"], read["lines"]).with_columns(
        pl.col("line_number").cast(pl.Int64))
    ctx = DetectionContext(ref=load_reference_data(), as_of=date(2026, 9, 30),
                           supply_chain=read["supply_chain"])
    findings = pl.concat([ForcedLaborDetector().detect(batch, ctx),
                          WatchlistDetector().detect(batch, ctx)])
    truth = read["truth"].filter(
        (pl.col("record_kind") == "line") & pl.col("category").is_in(CATEGORIES)
    ).with_columns(pl.col("line_number").cast(pl.Int64)).select(*KEY, "category").unique()
    found = truth.join(findings.select(*KEY, "category").unique(), on=[*KEY, "category"])
    assert truth.height >= 20
    assert found.height / truth.height >= 0.95
    clean = batch.select(KEY).join(truth.select(KEY), on=KEY, how="anti")
    flagged = clean.join(findings.select(KEY).unique(), on=KEY)
    assert flagged.height / clean.height <= 0.005
