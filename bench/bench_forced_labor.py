"""Forced-labor and watch-list detectors on demo data: recall of planted cases, clean-line
flag rate and run time.

    .venv/bin/python bench/bench_forced_labor.py --entries 2000 --seeds 7 11

Recall counts planted ``forced_labor`` / ``watchlist`` entry lines (truth.csv) that got a
finding of the same category; the clean-line rate counts lines planted with neither category
that got any finding from these two detectors.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from tradeguard.demo import generate_demo_data
from tradeguard.detectors.base import DetectionContext, declaration_lines
from tradeguard.detectors.forced_labor import ForcedLaborDetector
from tradeguard.detectors.watchlist import WatchlistDetector
from tradeguard.refdata import load_reference_data

KEY = ["entry_number", "line_number"]


def evaluate(folder: Path) -> dict[str, float]:
    """Run both detectors on one demo folder and score them against its truth file."""
    ref = load_reference_data()
    entries = pl.read_csv(folder / "entries.csv", infer_schema_length=0)
    lines = pl.read_csv(folder / "lines.csv", infer_schema_length=0)
    chain = pl.read_csv(folder / "supply_chain.csv", infer_schema_length=0)
    truth = pl.read_csv(folder / "truth.csv", infer_schema_length=0).filter(
        pl.col("record_kind") == "line"
    ).with_columns(pl.col("line_number").cast(pl.Int64))
    batch = declaration_lines(entries, lines).with_columns(pl.col("line_number").cast(pl.Int64))
    ctx = DetectionContext(ref=ref, as_of=date(2026, 9, 30), supply_chain=chain)
    fl, wl = ForcedLaborDetector(), WatchlistDetector()
    t0 = time.perf_counter()
    fl.fit(batch.clear(), ctx)
    wl.fit(batch.clear(), ctx)
    t1 = time.perf_counter()
    findings = pl.concat([fl.detect(batch, ctx), wl.detect(batch, ctx)])
    t2 = time.perf_counter()
    out: dict[str, float] = {"lines": batch.height, "fit_s": t1 - t0, "detect_s": t2 - t1}
    for cat in ("forced_labor", "watchlist"):
        planted = truth.filter(pl.col("category") == cat).select(KEY).unique()
        got = findings.filter(pl.col("category") == cat).select(KEY).unique()
        out[f"{cat}_planted"] = planted.height
        out[f"{cat}_found"] = planted.join(got, on=KEY).height
    planted_any = truth.filter(pl.col("category").is_in(["forced_labor", "watchlist"]))
    clean = batch.select(KEY).join(planted_any.select(KEY), on=KEY, how="anti")
    flagged = clean.join(findings.select(KEY).unique(), on=KEY)
    out["clean_lines"] = clean.height
    out["clean_flagged"] = flagged.height
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11])
    args = parser.parse_args()
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            generate_demo_data(tmp, entries=args.entries, seed=seed, history_months=1)
            r = evaluate(Path(tmp))
        fl = r["forced_labor_found"] / max(r["forced_labor_planted"], 1)
        wl = r["watchlist_found"] / max(r["watchlist_planted"], 1)
        rate = r["clean_flagged"] / max(r["clean_lines"], 1)
        print(
            f"seed {seed}: lines {r['lines']:.0f}  forced_labor recall {fl:.3f} "
            f"({r['forced_labor_found']:.0f}/{r['forced_labor_planted']:.0f})  watchlist recall "
            f"{wl:.3f} ({r['watchlist_found']:.0f}/{r['watchlist_planted']:.0f})  clean flagged "
            f"{rate:.4f} ({r['clean_flagged']:.0f}/{r['clean_lines']:.0f})  fit {r['fit_s']:.2f}s"
            f"  detect {r['detect_s']:.2f}s"
        )


if __name__ == "__main__":
    main()
