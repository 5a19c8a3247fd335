"""End to end on generated demo data: planted valuation, classification and origin cases.

Fits the three detectors on the history files, runs them on the current lines (as of the
batch's last entry date) and measures recall per category and the share of clean lines (no
planted case of any kind) that get a finding. The bars are the issue's (recall 0.9 per
category, at most 2 % of clean lines flagged), on the ``demo-data`` default set (2,000 entries,
seed 7), two development seeds and two hold-out seeds (29, 37: the classification hold-outs).
Valuation stays close to its bar on seed 7 (0.906 at 3,000 entries, 0.908 at 2,000): part of
the planted price cuts land inside the normal spread of every reference the line has (see
bench/results/anomaly.md).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tradeguard.demo import generate_demo_data
from tradeguard.detectors.base import DetectionContext, declaration_lines
from tradeguard.detectors.classification import ClassificationDetector
from tradeguard.detectors.origin import OriginDetector
from tradeguard.detectors.valuation import ValuationDetector
from tradeguard.refdata import load_reference_data

NUMERIC = {"quantity": pl.Float64, "entered_value_usd": pl.Float64,
           "gross_weight_kg": pl.Float64, "duty_rate": pl.Float64, "line_number": pl.Int64}
KEYS = ["entry_number", "line_number"]
RECALL_BAR = {"origin": 0.9, "classification": 0.9, "valuation": 0.9}


def _read(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{name}.csv", infer_schema_length=0)


def _run(folder: Path) -> tuple[dict[str, float], float]:
    cast = [pl.col(c).cast(t) for c, t in NUMERIC.items()]
    lines = declaration_lines(_read(folder, "entries"),
                              _read(folder, "lines").with_columns(cast))
    history = declaration_lines(_read(folder, "history_entries"),
                                _read(folder, "history_lines").with_columns(cast))
    last = lines["entry_date"].str.to_date().max()
    assert isinstance(last, date)
    ctx = DetectionContext(ref=load_reference_data(), as_of=last)
    truth = _read(folder, "truth").filter(pl.col("record_kind") == "line").with_columns(
        pl.col("line_number").cast(pl.Int64))
    found = []
    for detector in (ValuationDetector(), OriginDetector(), ClassificationDetector()):
        detector.fit(history, ctx)
        found.append(detector.detect(lines, ctx))
    findings = pl.concat(found)
    recall = {}
    for category in RECALL_BAR:
        planted = truth.filter(pl.col("category") == category).select(KEYS).unique()
        hits = findings.filter(pl.col("category") == category).select(KEYS).unique()
        recall[category] = planted.join(hits, on=KEYS, how="semi").height / planted.height
    clean = lines.select(KEYS).join(truth.select(KEYS).unique(), on=KEYS, how="anti")
    flagged = clean.join(findings.select(KEYS).unique(), on=KEYS, how="semi").height
    return recall, flagged / clean.height


@pytest.mark.parametrize(("entries", "seed"), [(2000, 7), (3000, 7), (3000, 11), (3000, 29),
                                               (3000, 37)])
def test_planted_cases_are_found_and_clean_lines_mostly_left_alone(
        tmp_path: Path, entries: int, seed: int) -> None:
    generate_demo_data(tmp_path, entries=entries, seed=seed)
    recall, clean_share = _run(tmp_path)
    for category, bar in RECALL_BAR.items():
        assert recall[category] >= bar, (category, recall)
    assert clean_share <= 0.02, clean_share
