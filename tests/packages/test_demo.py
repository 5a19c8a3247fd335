"""On a generated demo set: planted small-package violations are found, clean parcels pass.

The rules know nothing of the generator; this checks they find the kinds of violation it
plants (recall over every planted package) at a low false-flag rate on the clean ones.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tradeguard.demo import generate_demo_data
from tradeguard.packages import score_packages
from tradeguard.refdata import load_reference_data
from tradeguard.screening import WatchlistIndex


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    out: Path = tmp_path_factory.mktemp("demo_packages")
    ref = load_reference_data()
    generate_demo_data(out, entries=500, packages=20_000, seed=23, ref=ref)
    packages = pl.read_csv(out / "packages.csv", infer_schema_length=0)
    index = WatchlistIndex.build(ref.watchlists, ref.versions)
    scores = score_packages(packages, index=index).scores
    truth = (pl.read_csv(out / "truth.csv", infer_schema_length=0)
             .filter(pl.col("record_kind") == "package").unique("package_id"))
    return scores.join(truth.select("package_id", "category", "scheme"), on="package_id",
                       how="left").with_columns((pl.col("lane") != "green").alias("flagged"))


@pytest.mark.slow
def test_planted_package_violations_found(scored: pl.DataFrame) -> None:
    planted = scored.filter(pl.col("scheme").is_not_null())
    assert planted.height > 100
    assert planted["flagged"].mean() >= 0.9  # type: ignore[operator]


@pytest.mark.slow
def test_clean_packages_rarely_flagged(scored: pl.DataFrame) -> None:
    clean = scored.filter(pl.col("scheme").is_null())
    assert clean["flagged"].mean() <= 0.01  # type: ignore[operator]


@pytest.mark.slow
def test_watchlisted_shippers_go_red(scored: pl.DataFrame) -> None:
    listed = scored.filter(pl.col("category") == "watchlist")
    assert listed.height > 0
    assert (listed["lane"] == "red").mean() >= 0.9  # type: ignore[operator]
    assert listed["categories"].str.contains("watchlist").all()


@pytest.fixture(scope="module", params=[23, 41])
def scored_with_record(request: pytest.FixtureRequest,
                       tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The demo scored with its past parcels and their exam outcomes (mostly targeted exams,
    so the hit rate among examined parcels is far above the share of bad parcels)."""
    out: Path = tmp_path_factory.mktemp(f"demo_packages_record_{request.param}")
    ref = load_reference_data()
    generate_demo_data(out, entries=500, packages=20_000, seed=request.param, ref=ref)

    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(out / name, infer_schema_length=0)

    index = WatchlistIndex.build(ref.watchlists, ref.versions)
    result = score_packages(read("packages.csv"), index=index,
                            history=read("history_packages.csv"),
                            outcomes=read("package_outcomes.csv"))
    truth = read("truth.csv").filter(pl.col("record_kind") == "package").unique("package_id")
    offender_record = result.findings.filter(
        (pl.col("reason_code") == "PKG_REPEAT_OFFENDER")
        & pl.col("evidence").str.json_path_match("$.past_violations").cast(pl.Int64).gt(0)
    ).select(pl.col("entry_number").alias("package_id"), pl.lit(True).alias("by_record"))
    frame = result.scores.join(truth.select("package_id", "scheme"), on="package_id",
                               how="left").join(offender_record, on="package_id", how="left")
    frame = frame.with_columns((pl.col("lane") != "green").alias("flagged"),
                               pl.col("by_record").fill_null(False))
    by_scheme = frame.filter(pl.col("scheme").is_not_null()).group_by("scheme").agg(
        pl.col("flagged").mean().round(3).alias("recall"), pl.len()).sort("scheme")
    print(f"\nseed {request.param}: recall by scheme with history and outcomes\n{by_scheme}")
    return frame


@pytest.mark.slow
def test_with_exam_history_planted_violations_found(scored_with_record: pl.DataFrame) -> None:
    planted = scored_with_record.filter(pl.col("scheme").is_not_null())
    assert planted["flagged"].mean() >= 0.9  # type: ignore[operator]


@pytest.mark.slow
def test_with_exam_history_clean_packages_rarely_flagged(
        scored_with_record: pl.DataFrame) -> None:
    clean = scored_with_record.filter(pl.col("scheme").is_null())
    assert clean["flagged"].mean() <= 0.01  # type: ignore[operator]


@pytest.mark.slow
def test_with_exam_history_offender_is_named_by_its_confirmed_violations(
        scored_with_record: pl.DataFrame) -> None:
    offender = scored_with_record.filter(pl.col("scheme") == "repeat_offender_seller")
    assert offender.height > 0
    assert offender["by_record"].any()
    # Named by exams, not by chance: the raised parcels of clean senders stay few.
    clean = scored_with_record.filter(pl.col("scheme").is_null())
    assert clean["by_record"].mean() <= 0.01  # type: ignore[operator]
