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
