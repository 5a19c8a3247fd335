"""Benchmarks of the name-screening engine (accuracy, candidate recall, false alerts, speed).

Reads evaluation-only data from ``--data`` (default /work/shared/data); nothing is copied into
the package. Run: ``.venv/bin/python bench/bench_screening.py [pairs|lists|all]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import polars as pl

from tradeguard.screening import ScreeningConfig, WatchlistIndex, compare_names, screen_names
from tradeguard.screening.config import PAIR_THRESHOLD
from tradeguard.screening.normalise import name_alternatives, prepared_names

SCHEMA_KIND = {
    "Person": "person",
    "Company": "organization",
    "Organization": "organization",
    "LegalEntity": "organization",
    "Vessel": "vessel",
}


def _f1(scores: pl.DataFrame, threshold: float) -> dict[str, float]:
    pred = scores["score"] >= threshold
    truth = scores["is_match"] == "true"
    tp, fp, fn = int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn, "n": scores.height}


def pair_scores(data: Path, cfg: ScreeningConfig) -> pl.DataFrame:
    """Score every labelled pair; a list-style "A/B" second name counts as alternatives."""
    cases = pl.read_csv(data / "opensanctions_name_bench/cases.csv", infer_schema_length=0)
    cases = cases.with_columns(kind=pl.col("schema").replace_strict(SCHEMA_KIND)).with_row_index(
        "case"
    )
    alt = cases.with_columns(name2=name_alternatives(pl.col("name2"))).explode("name2")
    left, right = prepared_names(alt, "name1", "kind"), prepared_names(alt, "name2", "kind")
    scores = [compare_names(a, b, cfg).score for a, b in zip(left, right, strict=True)]
    best = (
        alt.select("case")
        .with_columns(score=pl.Series(scores))
        .group_by("case")
        .agg(pl.col("score").max())
    )
    return cases.join(best, on="case").sort("case")


def bench_pairs(data: Path, cfg: ScreeningConfig) -> dict[str, Any]:
    """F1 on the OpenSanctions name pairs: all, calibration half (even), held-out half (odd)."""
    scored = pair_scores(data, cfg)
    t = cfg.threshold
    must = scored.filter((pl.col("quality") == "STRONG") & (pl.col("is_match") == "true"))
    missed = must.filter(pl.col("score") < t)
    ref = pl.read_csv(data / "opensanctions_name_bench/logicv2-frozen.csv", infer_schema_length=0)
    ref_f1 = _f1(ref.with_columns(score=(pl.col("predicted_match") == "true").cast(pl.Float64)), 1)
    return {
        "threshold": t,
        "all": _f1(scored, t),
        "calibration_half_even_cases": _f1(scored.filter(pl.col("case") % 2 == 0), t),
        "held_out_half_odd_cases": _f1(scored.filter(pl.col("case") % 2 == 1), t),
        "must_match_pairs": must.height,
        "must_match_missed": missed.select("name1", "name2", "score").rows(),
        "logic_v2_frozen": ref_f1,
    }


def _people(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema_length=0).select("full_name")


def bench_lists(data: Path, cfg: ScreeningConfig, refdata: Path | None) -> dict[str, Any]:
    """Recall on altered UN names and false alerts on 100k synthetic people, with timings."""
    from tradeguard.refdata import load_reference_data

    ref = load_reference_data(refdata)
    shipped = ref.watchlists
    bench = data / "yente_candidate_bench"
    untreated = _people(bench / "positives_un_untreated.csv").with_row_index("n")
    un = untreated.select(
        entity_id=pl.lit("UN-") + pl.col("n").cast(pl.String),
        list=pl.lit("un_bench"),
        name=pl.col("full_name"),
        entity_type=pl.lit("person"),
    )
    t0 = time.perf_counter()
    index = WatchlistIndex.build(
        pl.concat([shipped, un], how="diagonal_relaxed"), ref.versions, cfg
    )
    build_s = time.perf_counter() - t0
    treated = (
        _people(bench / "positives_un_treated.csv")
        .with_row_index("n")
        .select(id=pl.lit("UN-") + pl.col("n").cast(pl.String), name=pl.col("full_name"))
    )
    hits = screen_names(treated, index, cfg)
    found = hits.filter(pl.col("id") == pl.col("entity_id")).get_column("id").n_unique()
    negatives = (
        pl.concat([_people(bench / "negatives_global.csv"), _people(bench / "negatives_us.csv")])
        .with_row_index("n")
        .select(id=pl.col("n").cast(pl.String), name=pl.col("full_name"))
    )
    t0 = time.perf_counter()
    alerts = screen_names(negatives, index, cfg)
    neg_s = time.perf_counter() - t0
    alerted = alerts.get_column("id").n_unique()
    return {
        "index_names": index.names.height,
        "index_build_seconds": round(build_s, 2),
        "recall_treated": round(found / treated.height, 4),
        "treated": treated.height,
        "negatives": negatives.height,
        "false_alert_rate": round(alerted / negatives.height, 5),
        "negatives_alerted": alerted,
        "negatives_seconds": round(neg_s, 2),
        "names_per_second": round(negatives.height / neg_s),
        "sample_false_alerts": alerts.join(negatives, on="id", suffix="_q")
        .select("name", "matched_name", "score")
        .head(15)
        .rows(),
    }


def main() -> None:
    """Parse arguments, run the chosen benchmarks and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["pairs", "lists", "all"], nargs="?", default="all")
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--refdata", type=Path, default=None)
    parser.add_argument("--threshold", type=float, default=None, help="list screening threshold")
    parser.add_argument("--pair-threshold", type=float, default=PAIR_THRESHOLD)
    args = parser.parse_args()
    cfg = ScreeningConfig()
    if args.threshold is not None:
        cfg = cfg.model_copy(update={"threshold": args.threshold})
    out: dict[str, Any] = {"config": cfg.model_dump()}
    if args.what in ("pairs", "all"):
        out["pairs"] = bench_pairs(
            args.data, cfg.model_copy(update={"threshold": args.pair_threshold})
        )
    if args.what in ("lists", "all"):
        out["lists"] = bench_lists(args.data, cfg, args.refdata)
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
