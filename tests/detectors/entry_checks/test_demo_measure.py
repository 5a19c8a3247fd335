"""The demo-data measure: planted data-quality errors found, correct lines left alone.

Runs the detector on a generated demo set (1,500 entries). Recall is over ``data_quality``
truth rows (a line row is found by a data_quality finding on that line, an entry row by an
entry-level finding); precision is zero findings on lines with no truth row at all.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tradeguard.detectors.base import DetectionContext, declaration_lines
from tradeguard.detectors.entry_checks import EntryChecks
from tradeguard.refdata import ReferenceData

generator = pytest.importorskip(
    "tradeguard.demo.generator", reason="demo generator (tradeguard.demo.generator) not "
    "importable yet: the demo-data measure cannot run")


def _read(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(folder / name, infer_schema_length=0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generator.generate_demo_data(out, entries=1500, seed=3)
    return out


def _detect(folder: Path, prefix: str, ref: ReferenceData) -> pl.DataFrame:
    lines = declaration_lines(_read(folder, f"{prefix}entries.csv"),
                              _read(folder, f"{prefix}lines.csv"))
    found = EntryChecks().detect(lines, DetectionContext(ref=ref, as_of=date(2026, 9, 30)))
    return found.with_columns(pl.col("line_number").cast(pl.String))


def test_planted_data_quality_recall(demo: Path, ref: ReferenceData) -> None:
    found = _detect(demo, "", ref)
    truth = _read(demo, "truth.csv").filter(pl.col("category") == "data_quality")
    line_truth = truth.filter(pl.col("record_kind") == "line")
    entry_truth = truth.filter(pl.col("record_kind") == "entry")
    assert line_truth.height + entry_truth.height > 10
    dq = found.filter(pl.col("category") == "data_quality")
    hit_lines = line_truth.join(dq, on=["entry_number", "line_number"], how="semi").height
    hit_entries = entry_truth.join(dq.filter(pl.col("line_number").is_null()),
                                   on="entry_number", how="semi").height
    recall = (hit_lines + hit_entries) / (line_truth.height + entry_truth.height)
    assert recall >= 0.95, line_truth.join(dq, on=["entry_number", "line_number"], how="anti")


@pytest.mark.parametrize("prefix", ["", "history_"])
def test_no_findings_on_clean_lines(demo: Path, ref: ReferenceData, prefix: str) -> None:
    found = _detect(demo, prefix, ref)
    lines = _read(demo, f"{prefix}lines.csv")
    truth = _read(demo, "truth.csv")
    on_clean = (found.filter(pl.col("line_number").is_not_null())
                .join(truth.filter(pl.col("record_kind") == "line"),
                      on=["entry_number", "line_number"], how="anti")
                .join(truth.filter(pl.col("record_kind") == "entry"), on="entry_number",
                      how="anti"))
    assert lines.height > 1000
    assert on_clean.height == 0, on_clean.select("entry_number", "line_number", "text")
