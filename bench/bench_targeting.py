"""Targeting on demo data: ranking precision, category naming, lane shares, timings.

Generates two demo data sets with different seeds: the model is trained on the first (its
exam outcomes) and the second is scored, with and without that model, so no score sees its
own outcome. Files are read through the data contract, as ``tradeguard score`` reads them:
rows the contract rejects are quarantined with the field and rule that failed and are not
scored. A scored line counts as a hit when truth.csv has a line row for it; a planted line the
contract quarantined is reported on its own row, as named at intake when the quarantine
reason names a field, never as a hit or a miss of the scoring chain.

A last section scores only the window's last ``--exam-days`` days, with the earlier days as
history and the exam outcomes decided before that period as exam history (what the violator
rule of the ``network`` detector reads), time-ordered: no outcome decided on or after the
first scored day is used.

    .venv/bin/python bench/bench_targeting.py --entries 10000

``--network-cost DIR`` times the ``network`` detector alone (fit on DIR's history, detect on
its window, then detect again with the last fitted detector; medians of ``--runs``) on a
folder written by ``tradeguard demo-data``, and counts the window's lines it raises, clean and
planted:

    .venv/bin/tradeguard demo-data --out /tmp/demo100k --entries 100000 --seed 1 \
        --history-months 3 --packages 1000
    .venv/bin/python bench/bench_targeting.py --network-cost /tmp/demo100k
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from tradeguard.demo import generate_demo_data
from tradeguard.network.detector import NetworkDetector
from tradeguard.pipeline import ScoringResult, score_declarations
from tradeguard.pipeline.inputs import read_contract_file
from tradeguard.pipeline.registry import DetectorRegistry, default_registry
from tradeguard.pipeline.training import train_line_model
from tradeguard.refdata import load_reference_data

# Categories scored by their own chain (score-packages), not the line chain.
NO_DETECTOR = ("small_package",)
KEYS = ["entry_number", "line_number"]


def _read(d: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(d / f"{name}.csv", infer_schema_length=0)


def _contract(d: Path, quarantine: Path) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The scoring inputs as the contract accepts them, and the rejected lines' keys with
    the fields and reasons of their rejection."""
    ent = read_contract_file(d / "entries.csv", "entries", quarantine)
    known = ent.frame.get_column("entry_number")
    lines = read_contract_file(d / "lines.csv", "lines", quarantine, entries=known)
    chain = read_contract_file(d / "supply_chain.csv", "supply_chain", quarantine,
                               entries=known)
    hist = read_contract_file(d / "history_entries.csv", "entries", quarantine)
    hist_lines = read_contract_file(d / "history_lines.csv", "lines", quarantine,
                                    entries=hist.frame.get_column("entry_number"))
    rejected = pl.DataFrame(schema={"entry_number": pl.String, "line_number": pl.Int64,
                                    "fields": pl.String, "reasons": pl.String})
    if lines.rejects_file is not None:
        raw = pl.read_csv(lines.rejects_file, infer_schema_length=0)
        rejected = raw.with_columns(pl.col("raw_row").str.json_decode(pl.Struct({
            "entry_number": pl.String, "line_number": pl.String}))).unnest("raw_row").select(
            "entry_number", pl.col("line_number").cast(pl.Int64, strict=False), "fields",
            "reasons")
    return ({"entries": ent.frame, "lines": lines.frame, "supply_chain": chain.frame,
             "history_entries": hist.frame, "history_lines": hist_lines.frame}, rejected)


def _naming(a: pl.DataFrame, truth: pl.DataFrame, rejected: pl.DataFrame) -> None:
    """Per planted category: lines named by the chain, and lines named at intake."""
    named = truth.join(a.select(*KEYS, "categories"), on=KEYS, how="inner").with_columns(
        pl.col("categories").list.contains(pl.col("category")).alias("named"))
    intake = truth.join(rejected, on=KEYS, how="inner").with_columns(
        (pl.col("fields").fill_null("").str.len_chars() > 0).alias("named"))
    print("\n| category | planted lines | named | recall | detector |\n|---|---|---|---|---|")
    rows = named.group_by("category").agg(pl.len(), pl.col("named").sum()).with_columns(
        pl.lit("").alias("fields"))
    quarantined = intake.group_by("category").agg(
        pl.len(), pl.col("named").sum(),
        pl.col("fields").unique().sort().str.join(", ").alias("fields")).with_columns(
        (pl.col("category") + " — named at intake (quarantined)").alias("category"))
    for cat, n, k, fields in pl.concat([rows, quarantined]).sort("category").iter_rows():
        if fields:
            note = f"contract validation ({fields})"
        else:
            note = "own chain (packages)" if cat in NO_DETECTOR else "yes"
        print(f"| {cat} | {n} | {k} | {k / n:.2f} | {note} |")
    missed = named.filter(~pl.col("named"))
    if missed.height:
        print("\n| unnamed planted lines: category | scheme | lines | categories given instead |"
              "\n|---|---|---|---|")
        for cat, scheme, n, given in missed.group_by("category", "scheme").agg(
                pl.len(), pl.col("categories").flatten().drop_nulls().unique().sort()
                .str.join(", ")).sort("category", "scheme").iter_rows():
            print(f"| {cat} | {scheme} | {n} | {given or '(none)'} |")


def _network_schemes(a: pl.DataFrame, findings: pl.DataFrame, truth: pl.DataFrame) -> None:
    """Which network rule named the planted lines of each network scheme."""
    planted = truth.filter(pl.col("category") == "network").select(*KEYS, "scheme").unique()
    scored = planted.join(a.select(KEYS), on=KEYS, how="semi")
    codes = findings.filter(pl.col("category") == "network").group_by(KEYS).agg(
        pl.col("reason_code").unique().sort().str.join(" + ").alias("rules"))
    by = scored.join(codes, on=KEYS, how="left").group_by("scheme").agg(
        pl.len(), pl.col("rules").is_not_null().sum().alias("named"),
        pl.col("rules").drop_nulls().unique().sort().str.join("; ").alias("rules"))
    print("\n| network scheme | planted lines | named | network rule |\n|---|---|---|---|")
    for scheme, n, k, rules in by.sort("scheme").iter_rows():
        print(f"| {scheme} | {n} | {k} | {str(rules) or '—'} |")
    clean = a.select(KEYS).join(truth.select(KEYS), on=KEYS, how="anti")
    raised = clean.join(codes, on=KEYS)
    print(f"\nLines no scheme planted with a network finding: {raised.height} of {clean.height}"
          + "".join(f"; {r}: {n}" for r, n in raised.group_by("rules").len().sort("rules")
                    .iter_rows()))


def _report(name: str, result: ScoringResult, truth: pl.DataFrame, rejected: pl.DataFrame,
            seconds: float) -> None:
    a, findings = result.assessments, result.findings
    hits = truth.select(KEYS).unique().with_columns(pl.lit(1).alias("hit"))
    ranked = a.join(hits, on=KEYS, how="left").with_columns(
        pl.col("hit").fill_null(0)).sort(["risk_score", *KEYS], descending=[True, False, False])
    planted = int(ranked["hit"].sum())
    print(f"\n## {name}: {a.height} lines scored, {planted} planted "
          f"({planted / a.height:.2%}), scored in {seconds:.1f} s")
    print("| budget | lines | precision | best possible |\n|---|---|---|---|")
    for pct in (1, 2, 3, 5):
        k = max(1, round(a.height * pct / 100))
        print(f"| top {pct} % | {k} | {ranked.head(k).select(pl.col('hit').mean()).item():.3f} | "
              f"{min(1.0, planted / k):.3f} |")
    _naming(a, truth, rejected)
    _network_schemes(a, findings, truth)
    lanes = a.group_by("lane", "selection").len().sort("lane", "selection")
    print("\n| lane | selection | lines | share |\n|---|---|---|---|")
    for lane, sel, n in lanes.iter_rows():
        print(f"| {lane} | {sel} | {n} | {n / a.height:.2%} |")


def _exam_history(data: dict[str, pl.DataFrame], outcomes: pl.DataFrame, days: int,
                  base: DetectorRegistry) -> tuple[dict[str, pl.DataFrame], DetectorRegistry,
                                                   str]:
    """The last ``days`` days to score, the earlier ones added to the history, and a registry
    whose network detector knows the outcomes decided before the first scored day."""
    entries = data["entries"]
    latest = entries["entry_date"].max()
    assert isinstance(latest, date)
    first = latest - timedelta(days=days - 1)
    early = entries.filter(pl.col("entry_date") < first)["entry_number"].implode()
    lines = data["lines"]
    split = {
        "entries": entries.filter(~pl.col("entry_number").is_in(early)),
        "lines": lines.filter(~pl.col("entry_number").is_in(early)),
        "supply_chain": data["supply_chain"].filter(~pl.col("entry_number").is_in(early)),
        "history_entries": pl.concat([data["history_entries"],
                                      entries.filter(pl.col("entry_number").is_in(early))]),
        "history_lines": pl.concat([data["history_lines"],
                                    lines.filter(pl.col("entry_number").is_in(early))]),
    }
    known = outcomes.filter(pl.col("decided_on").cast(pl.Date, strict=False) < first)
    registry = DetectorRegistry(dict(base.factories))
    registry.register("network", lambda: NetworkDetector(outcomes=known))
    return split, registry, (f"{first} to {latest}; {known.height} exam outcomes decided "
                             f"before {first}")


def _network_cost(folder: Path, runs: int) -> None:
    """Fit and detect times of the network detector alone, and what it raises."""
    import statistics

    import duckdb  # noqa: F401  (imported before timing, as a long-running process has it)
    import splink  # noqa: F401

    from tradeguard.detectors.base import DetectionContext
    from tradeguard.pipeline.run import declarations

    batch = declarations(_read(folder, "entries"), _read(folder, "lines"))
    history = declarations(_read(folder, "history_entries"), _read(folder, "history_lines"))
    day = batch["entry_date"].max()
    assert isinstance(day, date)
    ctx = DetectionContext(ref=load_reference_data(), as_of=day)
    # Wall time, and CPU time of the process (all threads): on a shared machine the second
    # moves less with other jobs' load.
    times: dict[str, list[tuple[float, float]]] = {"fit": [], "detect": []}
    found = pl.DataFrame()
    for _ in range(runs):
        detector = NetworkDetector()
        t, c = time.perf_counter(), time.process_time()
        detector.fit(history, ctx)
        times["fit"].append((time.perf_counter() - t, time.process_time() - c))
        t, c = time.perf_counter(), time.process_time()
        found = detector.detect(batch, ctx)
        times["detect"].append((time.perf_counter() - t, time.process_time() - c))
    import pickle

    print(f"{batch.height} lines, {history.height} history lines; fitted detector pickles "
          f"to {len(pickle.dumps(detector)) / 1e6:.1f} MB")
    # The same fitted detector again: what a long-running scorer pays per batch.
    times["detect again"] = []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        detector.detect(batch, ctx)
        times["detect again"].append((time.perf_counter() - t, time.process_time() - c))
    for step, runs_of in times.items():
        print(f"{step} wall s: " + " / ".join(f"{w:.2f}" for w, _ in runs_of)
              + f"; median {statistics.median(w for w, _ in runs_of):.2f}; CPU s median "
              f"{statistics.median(c for _, c in runs_of):.2f}")
    truth = _read(folder, "truth").filter(pl.col("record_kind") == "line").with_columns(
        pl.col("line_number").cast(pl.Int64)).select(*KEYS, "category", "scheme").unique(KEYS)
    network = truth.filter(pl.col("category") == "network")
    named = network.join(found.select(KEYS).unique(), on=KEYS, how="semi")
    print(network.group_by("scheme").len().join(
        named.group_by("scheme").agg(pl.len().alias("named")), on="scheme", how="left")
        .sort("scheme"))
    raised = found.select(*KEYS, "reason_code").join(truth, on=KEYS, how="left").with_columns(
        pl.col("category").fill_null("(clean)"))
    print(raised.group_by("reason_code", "category").agg(pl.col("entry_number").len())
          .sort("reason_code", "category"))
    clean = raised.filter(pl.col("category") == "(clean)").select(KEYS).unique().height
    print(f"clean lines raised: {clean} of {batch.height - truth.height} "
          f"({clean / max(batch.height - truth.height, 1):.3%})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--train-seed", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--exam-days", type=int, default=30,
                        help="Days scored with exam history in the last section (0: none).")
    parser.add_argument("--without", action="append", default=[],
                        help="Leave a registered detector out (repeatable).")
    parser.add_argument("--network-cost", type=Path, default=None,
                        help="Time the network detector alone on this demo-data folder.")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.network_cost is not None:
        _network_cost(args.network_cost, args.runs)
        return
    registry = default_registry().without(*args.without)
    ref = load_reference_data()
    with tempfile.TemporaryDirectory() as tmp:
        train_dir, score_dir = Path(tmp) / "train", Path(tmp) / "score"
        generate_demo_data(train_dir, entries=args.entries, seed=args.train_seed, ref=ref)
        generate_demo_data(score_dir, entries=args.entries, seed=args.seed, ref=ref)
        t = time.perf_counter()
        train, _ = _contract(train_dir, Path(tmp) / "train_quarantine")
        artifact = train_line_model(train["entries"], train["lines"],
                                    _read(train_dir, "outcomes"), train["history_entries"],
                                    train["history_lines"], ref=ref, registry=registry)
        print(f"model {artifact.version[:12]} trained in {time.perf_counter() - t:.1f} s; "
              f"valid AUC {artifact.metrics.get('valid_auc', float('nan')):.3f}")
        data, rejected = _contract(score_dir, Path(tmp) / "quarantine")
        truth = _read(score_dir, "truth").filter(pl.col("record_kind") == "line").with_columns(
            pl.col("line_number").cast(pl.Int64)).unique([*KEYS, "category", "scheme"])
        print(json.dumps({"lines_accepted": data["lines"].height,
                          "lines_quarantined": rejected.height}))
        for name, model in (("findings and rules only", None), ("with the model", artifact)):
            t = time.perf_counter()
            result = score_declarations(
                data["entries"], data["lines"], supply_chain=data["supply_chain"],
                history_entries=data["history_entries"], history_lines=data["history_lines"],
                model=model, ref=ref, registry=registry)
            _report(name, result, truth, rejected, time.perf_counter() - t)
        if args.exam_days > 0 and "network" not in args.without:
            split, with_exams, span = _exam_history(data, _read(score_dir, "outcomes"),
                                                    args.exam_days, registry)
            t = time.perf_counter()
            result = score_declarations(
                split["entries"], split["lines"], supply_chain=split["supply_chain"],
                history_entries=split["history_entries"],
                history_lines=split["history_lines"], ref=ref, registry=with_exams)
            _report(f"last {args.exam_days} days with exam history ({span}), findings and "
                    "rules only", result, truth, rejected.join(
                        split["entries"].select("entry_number"), on="entry_number",
                        how="semi"), time.perf_counter() - t)


if __name__ == "__main__":
    main()
