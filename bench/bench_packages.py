"""Benchmark: score 1M small packages; resolve 1M party records into clusters.

Usage: ``.venv/bin/python bench/bench_packages.py [--packages N] [--data DIR]
[--part packages|network|both] [--training priors|u_sampling|em]``. Generates a demo set
(200 entries, N packages) into DIR once (reused when present), then times ``score_packages``
(watch-list screening included, index built outside the timing) and ``build_network`` (Splink
on DuckDB) over the packages' shippers and consignees plus the entries' parties.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import polars as pl

from tradeguard.demo import generate_demo_data
from tradeguard.network import LinkageConfig, build_network
from tradeguard.packages import score_packages
from tradeguard.refdata import ReferenceData, load_reference_data
from tradeguard.screening import WatchlistIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/tradeguard-bench-packages"))
    parser.add_argument("--part", choices=["packages", "network", "both"], default="both")
    parser.add_argument("--training", choices=["priors", "u_sampling", "em"], default="priors")
    args = parser.parse_args()
    ref = load_reference_data()
    if not (args.data / "packages.csv").is_file():
        t = time.perf_counter()
        generate_demo_data(args.data, entries=200, packages=args.packages, seed=3, ref=ref)
        print(f"generated in {time.perf_counter() - t:.1f} s")

    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(args.data / f"{name}.csv", infer_schema_length=0)

    packages = read("packages")
    report: dict[str, object] = {"packages": packages.height}
    if args.part in ("packages", "both"):
        report.update(bench_scoring(packages, read("truth"), ref))
    if args.part in ("network", "both"):
        t = time.perf_counter()
        net = build_network(read("entries"), read("lines"), packages,
                            history_entries=read("history_entries"),
                            history_lines=read("history_lines"),
                            linkage=LinkageConfig(training=args.training))
        resolve_s = time.perf_counter() - t
        sizes = net.records.group_by("cluster").len()
        report.update({
            "training": args.training, "party_records": net.records.height,
            "party_declarations": net.occurrences.height, "links": net.links.height,
            "multi_record_clusters": sizes.filter(pl.col("len") > 1).height,
            "largest_cluster": int(sizes["len"].max() or 0),
            "resolve_seconds": round(resolve_s, 1)})
    print(json.dumps(report, indent=2))


def bench_scoring(packages: pl.DataFrame, truth: pl.DataFrame,
                  ref: ReferenceData) -> dict[str, object]:
    """Time ``score_packages`` and measure recall and false flags against the truth file."""
    index = WatchlistIndex.build(ref.watchlists, ref.versions)
    t = time.perf_counter()
    result = score_packages(packages, index=index)
    score_s = time.perf_counter() - t
    truth = truth.filter(pl.col("record_kind") == "package").unique("package_id")
    joined = result.scores.join(truth.select("package_id", "scheme"), on="package_id",
                                how="left").with_columns(flag=pl.col("lane") != "green")
    planted = joined.filter(pl.col("scheme").is_not_null())
    clean = joined.filter(pl.col("scheme").is_null())
    return {
        "score_seconds": round(score_s, 1),
        "recall": round(float(planted["flag"].mean() or 0), 4),
        "clean_flagged": round(float(clean["flag"].mean() or 0), 5),
        "recall_by_scheme": dict(planted.group_by("scheme").agg(pl.col("flag").mean())
                                 .sort("scheme").iter_rows()),
    }

if __name__ == "__main__":
    main()
