"""Targeting on demo data: ranking precision, category naming, lane shares, timings.

Generates two demo data sets with different seeds: the model is trained on the first (its
exam outcomes) and the second is scored, with and without that model, so no score sees its
own outcome. A line counts as a hit when truth.csv has a line row for it.

    .venv/bin/python bench/bench_targeting.py --entries 10000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl

from tradeguard.demo import generate_demo_data
from tradeguard.pipeline import score_declarations
from tradeguard.pipeline.training import train_line_model
from tradeguard.refdata import load_reference_data

# Categories scored by their own chains (score-packages, network build), not the line chain.
NO_DETECTOR = ("small_package", "network")


def _read(d: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(d / f"{name}.csv", infer_schema_length=0)


def _inputs(d: Path) -> dict[str, pl.DataFrame]:
    return {"entries": _read(d, "entries"), "lines": _read(d, "lines"),
            "supply_chain": _read(d, "supply_chain"),
            "history_entries": _read(d, "history_entries"),
            "history_lines": _read(d, "history_lines")}


def _report(name: str, a: pl.DataFrame, truth: pl.DataFrame, seconds: float) -> None:
    hits = truth.select("entry_number", "line_number").unique().with_columns(
        pl.lit(1).alias("hit"))
    ranked = a.join(hits, on=["entry_number", "line_number"], how="left").with_columns(
        pl.col("hit").fill_null(0)).sort(["risk_score", "entry_number", "line_number"],
                                         descending=[True, False, False])
    planted = int(ranked["hit"].sum())
    print(f"\n## {name}: {a.height} lines, {planted} planted "
          f"({planted / a.height:.2%}), scored in {seconds:.1f} s")
    print("| budget | lines | precision | best possible |\n|---|---|---|---|")
    for pct in (1, 2, 3, 5):
        k = max(1, round(a.height * pct / 100))
        print(f"| top {pct} % | {k} | {ranked.head(k)['hit'].mean():.3f} | "
              f"{min(1.0, planted / k):.3f} |")
    named = truth.join(a.select("entry_number", "line_number", "categories"),
                       on=["entry_number", "line_number"], how="inner").with_columns(
        pl.col("categories").list.contains(pl.col("category")).alias("named"))
    print("\n| category | planted lines | named | recall | detector |\n|---|---|---|---|---|")
    for cat, n, k in named.group_by("category").agg(pl.len(), pl.col("named").sum()).sort(
            "category").iter_rows():
        note = "own chain (packages / network)" if cat in NO_DETECTOR else "yes"
        print(f"| {cat} | {n} | {k} | {k / n:.2f} | {note} |")
    lanes = a.group_by("lane", "selection").len().sort("lane", "selection")
    print("\n| lane | selection | lines | share |\n|---|---|---|---|")
    for lane, sel, n in lanes.iter_rows():
        print(f"| {lane} | {sel} | {n} | {n / a.height:.2%} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--train-seed", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ref = load_reference_data()
    with tempfile.TemporaryDirectory() as tmp:
        train_dir, score_dir = Path(tmp) / "train", Path(tmp) / "score"
        generate_demo_data(train_dir, entries=args.entries, seed=args.train_seed, ref=ref)
        generate_demo_data(score_dir, entries=args.entries, seed=args.seed, ref=ref)
        t = time.perf_counter()
        train = _inputs(train_dir)
        artifact = train_line_model(train["entries"], train["lines"],
                                    _read(train_dir, "outcomes"), train["history_entries"],
                                    train["history_lines"], ref=ref)
        print(f"model {artifact.version[:12]} trained in {time.perf_counter() - t:.1f} s; "
              f"valid AUC {artifact.metrics.get('valid_auc', float('nan')):.3f}")
        data = _inputs(score_dir)
        truth = _read(score_dir, "truth").filter(pl.col("record_kind") == "line").with_columns(
            pl.col("line_number").cast(pl.Int64))
        for name, model in (("findings and rules only", None), ("with the model", artifact)):
            t = time.perf_counter()
            result = score_declarations(
                data["entries"], data["lines"], supply_chain=data["supply_chain"],
                history_entries=data["history_entries"], history_lines=data["history_lines"],
                model=model, ref=ref)
            _report(name, result.assessments, truth, time.perf_counter() - t)


if __name__ == "__main__":
    main()
