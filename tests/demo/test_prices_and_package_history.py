"""Negotiated price levels (tight per importer, wide across importers) and the package record
(past parcels and exam outcomes) that shows a repeat offender before the current window."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tradeguard.contract import open_source, validate_batch
from tradeguard.demo import generate_demo_data
from tradeguard.demo.pricing import key_uniform, negotiated_price

LINE_KEY = ["entry_number", "line_number"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo_prices")
    generate_demo_data(out, entries=2500, seed=3, history_months=6)
    return out


def _unit_values(demo: Path, prefix: str) -> pl.DataFrame:
    entries = pl.read_csv(demo / f"{prefix}entries.csv", infer_schema_length=0)
    lines = pl.read_csv(demo / f"{prefix}lines.csv", infer_schema_length=0)
    return lines.join(entries.select("entry_number", "importer_id"), on="entry_number").select(
        *LINE_KEY, "importer_id", "hts_code", "manufacturer_id", "description",
        (pl.col("entered_value_usd").cast(pl.Float64) / pl.col("quantity").cast(pl.Float64))
        .alias("uv"), pl.col("line_number").cast(pl.Int64).alias("ln"))


def test_keyed_draws_repeat_for_the_same_keys_only() -> None:
    a = key_uniform(9, np.arange(1000), 5)
    assert np.array_equal(a, key_uniform(9, np.arange(1000), 5))
    assert not np.array_equal(a, key_uniform(10, np.arange(1000), 5))
    assert 0.45 < a.mean() < 0.55 and a.min() >= 0 and a.max() < 1


def test_one_agreement_is_tight_and_buyers_differ() -> None:
    rng = np.random.default_rng(0)
    n = 400
    one = np.zeros(n, np.int64)
    low, high = np.full(n, 10.0), np.full(n, 40.0)
    same = negotiated_price(1, one, one, one, one, np.zeros(n, np.int64), low, high, rng)
    assert np.std(np.log(same)) < 0.05
    buyers = negotiated_price(1, np.arange(n), one, one, one, np.zeros(n, np.int64), low, high,
                              rng)
    assert np.std(np.log(buyers)) > 4 * np.std(np.log(same))
    year = negotiated_price(1, one, one, one, one, np.full(n, -12), low, high, rng)
    assert abs(np.median(np.log(same)) - np.median(np.log(year))) < 0.15


def test_an_importers_own_prices_are_steadier_than_its_peers(demo: Path) -> None:
    truth = pl.read_csv(demo / "truth.csv", infer_schema_length=0).filter(
        pl.col("record_kind") == "line").select(
        "entry_number", pl.col("line_number").cast(pl.Int64).alias("ln")).unique()
    cur = _unit_values(demo, "").join(truth, on=["entry_number", "ln"], how="anti")
    past = _unit_values(demo, "history_")
    key = ["importer_id", "hts_code", "manufacturer_id"]
    own = past.group_by(key).agg(pl.col("uv").median().alias("own"), pl.len().alias("n")) \
        .filter(pl.col("n") >= 3)
    peer = past.group_by("hts_code").agg(pl.col("uv").median().alias("peer"))
    both = cur.join(own, on=key).join(peer, on="hts_code").with_columns(
        (pl.col("uv") / pl.col("own")).log().abs().alias("d_own"),
        (pl.col("uv") / pl.col("peer")).log().abs().alias("d_peer"))
    assert both.height > 300
    assert np.median(both["d_own"].to_numpy()) < 0.5 * np.median(both["d_peer"].to_numpy())


def test_planted_undervaluation_is_a_fraction_of_the_usual_price(demo: Path) -> None:
    truth = pl.read_csv(demo / "truth.csv", infer_schema_length=0).filter(
        pl.col("scheme").is_in(["undervaluation", "related_party_undervaluation"])).select(
        "entry_number", pl.col("line_number").cast(pl.Int64).alias("ln"),
        pl.col("note").str.extract(r"x([\d.]+)").cast(pl.Float64).alias("factor"))
    cur = _unit_values(demo, "").join(truth, on=["entry_number", "ln"])
    past = _unit_values(demo, "history_")
    key = ["importer_id", "hts_code", "manufacturer_id"]
    own = past.group_by(key).agg(pl.col("uv").median().alias("own"), pl.len().alias("n"))
    seen = cur.join(own.filter(pl.col("n") >= 3), on=key).with_columns(
        (pl.col("uv") / pl.col("own")).alias("ratio"))
    assert seen.height >= 10
    assert np.median(seen["ratio"].to_numpy()) < 0.75
    assert (seen["ratio"] < 1.0).mean() > 0.8  # type: ignore[operator]


def test_package_history_and_outcomes_load_through_the_contract(demo: Path) -> None:
    src = open_source(demo / "history_packages.csv", kind="packages")
    batches = [validate_batch(raw, src.schema, today=date(2026, 11, 25))
               for raw in src.batches(50_000)]
    assert sum(b.rejected.height for b in batches) == 0
    assert sum(b.accepted.height for b in batches) > 0
    # outcomes form: every field but the entry-number format (it holds a tracking number)
    src = open_source(demo / "package_outcomes.csv", kind="outcomes")
    for raw in src.batches(50_000):
        rejected = validate_batch(raw, src.schema, today=date(2026, 11, 25)).rejected
        assert (rejected["fields"] == "entry_number").all(), rejected.head(3).to_dicts()
    outcomes = pl.read_csv(demo / "package_outcomes.csv", infer_schema_length=0)
    assert outcomes["line_number"].is_null().all()
    past = pl.read_csv(demo / "history_packages.csv", infer_schema_length=0)
    current = pl.read_csv(demo / "packages.csv", infer_schema_length=0)
    assert past["package_id"].is_unique().all()
    assert outcomes["entry_number"].is_in(past["package_id"].implode()).all()
    assert past["arrival_date"].max() < current["arrival_date"].min()  # type: ignore[operator]
    assert 0.02 < outcomes.height / past.height < 0.15


def test_repeat_offenders_have_a_record_of_violations(demo: Path) -> None:
    truth = pl.read_csv(demo / "truth.csv", infer_schema_length=0).filter(
        pl.col("scheme") == "repeat_offender_seller")
    current = pl.read_csv(demo / "packages.csv", infer_schema_length=0)
    offenders = current.join(truth.select("package_id"), on="package_id")["seller_id"].unique()
    assert offenders.len() >= 1
    past = pl.read_csv(demo / "history_packages.csv", infer_schema_length=0)
    outcomes = pl.read_csv(demo / "package_outcomes.csv", infer_schema_length=0).with_columns(
        pl.col("discrepancy") == "true")
    record = past.join(outcomes, left_on="package_id", right_on="entry_number").with_columns(
        pl.col("seller_id").is_in(offenders.implode()).alias("offender")).group_by(
        "offender").agg(pl.len().alias("exams"), pl.col("discrepancy").mean().alias("rate"))
    rate = dict(zip(record["offender"], record["rate"], strict=True))
    exams = dict(zip(record["offender"], record["exams"], strict=True))
    assert exams[True] >= 3
    assert rate[True] > 0.5 and rate[False] < 0.35
    # the offenders ship as before (same seller ids across periods)
    assert past["seller_id"].is_in(offenders.implode()).sum() >= 5


def test_manifest_names_the_package_record(tmp_path: Path) -> None:
    manifest = generate_demo_data(tmp_path, entries=300, seed=4, history_months=1)
    assert manifest.files["history_packages"] == "history_packages.csv"
    assert manifest.files["package_outcomes"] == "package_outcomes.csv"
    assert manifest.counts["history_packages"] > 0
