"""End to end on a small demo set: planted AD/CVD violations and evasion schemes.

Targets (from the detector's brief): recall >= 0.9 over planted ``adcvd`` lines, at most 1 % of
clean in-scope lines flagged, each planted scheme's lines in one lead. Thresholds are the
detector's general defaults; nothing here is fitted to the generator.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tradeguard.detectors.adcvd.detector import AdcvdDetector
from tradeguard.detectors.adcvd.leads import build_leads, leads_frame
from tradeguard.detectors.adcvd.scope import match_scope
from tradeguard.detectors.base import DetectionContext, declaration_lines

demo = pytest.importorskip("tradeguard.demo", reason="demo data generator not installed")
KEY = ["entry_number", "line_number"]


def _read(folder: Path, name: str) -> pl.DataFrame:
    frame = pl.read_csv(folder / f"{name}.csv", infer_schema_length=0)
    casts = [pl.col(c).cast(pl.Float64) for c in ("quantity", "entered_value_usd",
                                                  "adcvd_deposit_usd") if c in frame.columns]
    if "line_number" in frame.columns:
        casts.append(pl.col("line_number").cast(pl.Int64))
    if "entry_date" in frame.columns:
        casts.append(pl.col("entry_date").str.to_date())
    return frame.with_columns(casts)


@pytest.mark.slow
def test_demo_recall_false_positives_and_leads(tmp_path: Path) -> None:
    from tradeguard.refdata import load_reference_data

    ref = load_reference_data()
    demo.generate_demo_data(tmp_path, entries=1000, seed=1, ref=ref)
    batch = declaration_lines(_read(tmp_path, "entries"), _read(tmp_path, "lines"))
    history = declaration_lines(_read(tmp_path, "history_entries"),
                                _read(tmp_path, "history_lines"))
    ctx = DetectionContext(ref=ref, as_of=date(2026, 9, 30))
    det = AdcvdDetector()
    det.fit(history, ctx)
    result = det.assess(batch, ctx)
    findings = det.findings(result)
    truth = _read(tmp_path, "truth")
    planted = truth.filter(pl.col("category") == "adcvd").unique(KEY)
    flagged = findings.select(KEY).unique()

    recall = planted.join(flagged, on=KEY).height / planted.height
    assert planted.height >= 20 and recall >= 0.9

    in_scope = match_scope(batch, ref.adcvd_orders).select(KEY).unique()
    clean = in_scope.join(truth.filter(pl.col("record_kind") == "line").select(KEY), on=KEY,
                          how="anti")
    assert clean.height >= 200
    assert clean.join(flagged, on=KEY).height <= 0.01 * clean.height

    leads = leads_frame(build_leads(result, findings, det.config))
    members = leads.select("lead_id", pl.col("members").str.split(";")).explode("members") \
        .with_columns(pl.col("members").str.split("#").list.get(0).alias("entry_number"),
                      pl.col("members").str.split("#").list.get(1).cast(pl.Int64)
                      .alias("line_number"))
    per_scheme = planted.join(members, on=KEY, how="inner").group_by("scheme_id").agg(
        pl.col("lead_id").n_unique().alias("leads"))
    assert per_scheme.height == planted["scheme_id"].n_unique()
    assert per_scheme["leads"].max() == 1
