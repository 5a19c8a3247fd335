"""The party-network step of ``score-batch`` on a large run: the run's lines in one part or
gathered in parts (time, peak memory of the step, identical findings).

    python bench/bench_network_stream.py prepare --data /tmp/tg-e2e/e2e1m --work /tmp/tg-net
    python bench/bench_network_stream.py run --work /tmp/tg-net --part-rows 200000

``prepare`` makes the data set if ``--data`` does not exist (``bench_end_to_end.py
make-data --lines 1000000``), stages it through the contract checks as ``score-batch`` does and
fits the chain's ``network`` detector the way the run fits it (``engines.run._fit``, the other
detectors left out of the registry); the staged files and the pickled fitted run stay in
``--work``. ``run`` then measures the cross-entry step
(:func:`~tradeguard.engines.entry_batch.detect_cross_entry` on the DuckDB engine, every line a
candidate) in a fresh child process per mode: ``whole`` gathers every line's party fields at
once (one part, what the driver held before the step streamed), ``parts`` gathers
``--part-rows`` keys at a time. The child reports the wall time of the step, its resident
memory before the step and the peak during it (the high-water mark is reset just before the
step), and a digest of the sorted findings, which must be the same in every mode. Freed
memory is returned to the system as ``score-batch`` has it (``tradeguard.cores``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

HERE = Path(__file__).resolve().parent
KEYS = ["entry_number", "line_number", "reason_code"]


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def prepare(data: Path, work: Path, batch_rows: int) -> None:
    """Stage ``data`` and pickle the run fitted with the network detector alone."""
    from tradeguard.engines import BatchSources
    from tradeguard.engines.base import BatchInputs
    from tradeguard.engines.run import _fit, _stage_all
    from tradeguard.pipeline.registry import default_registry

    if not (data / "lines.csv").exists():
        subprocess.run([sys.executable, str(HERE / "bench_end_to_end.py"), "make-data",
                        "--lines", "1000000", "--out", str(data)], check=True)
    work.mkdir(parents=True, exist_ok=True)
    src = BatchSources(data / "entries.csv", data / "lines.csv",
                       data / "history_entries.csv", data / "history_lines.csv",
                       None, data / "outcomes.csv")
    start = time.perf_counter()
    staged = _stage_all(src, work / "staged", work, batch_rows)
    staging = time.perf_counter() - start
    day = pl.scan_parquet(staged["entries"].glob).select(
        pl.col("entry_date").cast(pl.Date).max()).collect().item()
    registry = default_registry()
    registry = registry.without(*[n for n in registry.names() if n != "network"])
    start = time.perf_counter()
    run = _fit(staged, day, registry=registry)
    fitting = time.perf_counter() - start
    inputs = BatchInputs(staged["entries"], staged["lines"], 1, work, None)
    with open(work / "run.pickle", "wb") as f:
        pickle.dump((run, inputs), f, protocol=pickle.HIGHEST_PROTOCOL)
    print(json.dumps({"lines": staged["lines"].accepted, "as_of": str(day),
                      "stage_seconds": round(staging, 1), "fit_seconds": round(fitting, 1)}))


def child(run_file: Path, part_rows: int) -> None:
    """The cross-entry step once, measured in this process; one JSON line to stdout."""
    from tradeguard.engines.duckdb import DuckDBEngine
    from tradeguard.engines.entry_batch import detect_cross_entry

    with open(run_file, "rb") as f:
        run, inputs = pickle.load(f)
    engine = DuckDBEngine()
    candidates = pl.scan_parquet(inputs.lines.glob).select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        pl.lit("network").alias("detector")).collect()
    before = _status_mib("VmRSS")
    # The high-water mark from here on: the step's own peak, not loading's.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    start = time.perf_counter()
    found = detect_cross_entry(lambda keys, fields: engine.rows_for(inputs, keys, fields),
                               candidates, run, part_rows=part_rows)
    seconds = time.perf_counter() - start
    peak = _status_mib("VmHWM")
    engine.close()
    ordered = found.sort(KEYS).write_csv()
    print(json.dumps({"seconds": seconds, "rss_before_mib": before, "peak_mib": peak,
                      "findings": found.height,
                      "by_reason": dict(found.group_by("reason_code").len().iter_rows()),
                      "digest": hashlib.sha256(ordered.encode()).hexdigest()[:16]}))


def _measure(run_file: Path, part_rows: int) -> dict[str, Any]:
    from tradeguard.cores import ALLOCATOR_SETTINGS, ALLOCATOR_VARIABLE

    # Freed memory handed back as the command line has it (``cores.return_freed_memory``).
    env = {**os.environ, ALLOCATOR_VARIABLE: ALLOCATOR_SETTINGS}
    out = subprocess.run([sys.executable, __file__, "child", "--run", str(run_file),
                          "--part-rows", str(part_rows)], check=True, capture_output=True,
                         text=True, env=env)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(work: Path, part_rows: int, repeat: int, modes: list[str]) -> None:
    """Each mode ``repeat`` times in fresh processes; median time, largest peak."""
    run_file = work / "run.pickle"
    with open(run_file, "rb") as f:
        lines = pickle.load(f)[1].lines.accepted
    report: dict[str, Any] = {"lines": lines, "part_rows": part_rows}
    for mode in modes:
        rows = lines + 1 if mode == "whole" else part_rows
        runs = [_measure(run_file, rows) for _ in range(repeat)]
        report[mode] = {
            "median_seconds": round(statistics.median(r["seconds"] for r in runs), 1),
            "peak_mib": round(max(r["peak_mib"] for r in runs)),
            "above_start_mib": round(max(r["peak_mib"] - r["rss_before_mib"] for r in runs)),
            "findings": runs[0]["findings"], "by_reason": runs[0]["by_reason"],
            "digest": runs[0]["digest"],
        }
    digests = {report[m]["digest"] for m in modes}
    report["same_findings"] = len(digests) == 1
    print(json.dumps(report, indent=2))


def main() -> None:
    """Parse the sub-command and run it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--data", type=Path, default=Path("/tmp/tg-e2e/e2e1m"))
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--batch-rows", type=int, default=200_000)
    r = sub.add_parser("run")
    r.add_argument("--work", type=Path, required=True)
    r.add_argument("--part-rows", type=int, default=200_000)
    r.add_argument("--repeat", type=int, default=1)
    r.add_argument("--modes", default="whole,parts")
    c = sub.add_parser("child")
    c.add_argument("--run", type=Path, required=True)
    c.add_argument("--part-rows", type=int, required=True)
    args = parser.parse_args()
    if args.cmd == "prepare":
        prepare(args.data, args.work, args.batch_rows)
    elif args.cmd == "run":
        run(args.work, args.part_rows, args.repeat, args.modes.split(","))
    else:
        child(args.run, args.part_rows)


if __name__ == "__main__":
    main()
