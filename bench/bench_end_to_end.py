"""End-to-end batch scoring benchmark: every detector, rules, the model, targeting, lanes.

    python bench/bench_end_to_end.py make-data --lines 1000000 --out /tmp/tg-e2e-1m
    python bench/bench_end_to_end.py expand --data /tmp/tg-e2e-1m --copies 10 --out /tmp/tg-10m
    python bench/bench_end_to_end.py run --data /tmp/tg-e2e-1m --engine duckdb --repeat 3

``make-data`` writes demo sets (``generate_demo_data``) with different seeds until the lines
reach ``--lines`` and merges them (entry numbers clashing across seeds are dropped with their
lines); the history and outcomes of the first seed are the run's history, and a model is
trained on its first seed. ``expand`` makes a large set fast by copying every entry with a
different transaction number (check digit kept valid). ``run`` calls ``tradeguard
score-batch`` in a child process and reports the median wall time and the peak RSS of the
runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl

CLI = [str(Path(sys.executable).parent / "tradeguard")]


def make_data(lines: int, out: Path, per_seed: int) -> None:
    """Demo sets with seeds 1, 2, ... merged until ``lines`` lines."""
    from tradeguard.demo import generate_demo_data
    from tradeguard.pipeline.training import train_line_model

    out.mkdir(parents=True, exist_ok=True)
    entries, lines_parts, chains, total, seed = [], [], [], 0, 1
    while total < lines:
        part = out / f"seed{seed}"
        generate_demo_data(part, entries=per_seed, seed=seed, history_months=3)
        e = pl.read_csv(part / "entries.csv", infer_schema_length=0)
        ln = pl.read_csv(part / "lines.csv", infer_schema_length=0)
        if entries:
            seen = pl.concat([x.select("entry_number") for x in entries])
            e = e.join(seen, on="entry_number", how="anti")
            ln = ln.join(e.select("entry_number"), on="entry_number", how="semi")
        entries.append(e)
        lines_parts.append(ln)
        chains.append(pl.read_csv(part / "supply_chain.csv", infer_schema_length=0)
                      .join(e.select("entry_number"), on="entry_number", how="semi"))
        total += ln.height
        seed += 1
    pl.concat(entries).write_csv(out / "entries.csv")
    pl.concat(lines_parts).head(lines).write_csv(out / "lines.csv")
    pl.concat(chains, how="diagonal_relaxed").write_csv(out / "supply_chain.csv")
    first = out / "seed1"
    for name in ("history_entries", "history_lines", "outcomes"):
        (out / f"{name}.csv").write_bytes((first / f"{name}.csv").read_bytes())
    read = {k: pl.read_csv(first / f"{k}.csv", infer_schema_length=0) for k in
            ("entries", "lines", "outcomes", "history_entries", "history_lines")}
    from tradeguard.model import save_artifact

    save_artifact(train_line_model(read["entries"], read["lines"], read["outcomes"],
                                   read["history_entries"], read["history_lines"]),
                  out / "model")
    print(json.dumps({"out": str(out), "lines": min(total, lines), "seeds": seed - 1}))


def _renumber(col: pl.Expr, k: int) -> pl.Expr:
    """Entry number copy ``k``: the 2nd transaction digit + k (odd Luhn position, undoubled),
    so the check digit moves by -k and stays valid."""
    digit = (col.str.slice(5, 1).cast(pl.Int32) + k) % 10
    check = (col.str.slice(12, 1).cast(pl.Int32) - k) % 10
    return pl.concat_str(col.str.slice(0, 5), digit.cast(pl.String), col.str.slice(6, 6),
                         check.cast(pl.String))


def expand(data: Path, copies: int, out: Path) -> None:
    """``copies`` renumbered copies of the data set's entries, lines and supply chains."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("entries", "lines", "supply_chain"):
        frame = pl.scan_csv(data / f"{name}.csv", infer_schema_length=0)
        parts = [frame.with_columns(_renumber(pl.col("entry_number"), k).alias("entry_number"))
                 for k in range(copies)]
        combined = pl.concat(parts)
        if name == "entries":
            combined = combined.unique("entry_number", keep="first", maintain_order=True)
        combined.sink_csv(out / f"{name}.csv")
    for name in ("history_entries", "history_lines", "outcomes"):
        (out / f"{name}.csv").write_bytes((data / f"{name}.csv").read_bytes())
    if (data / "model").exists():
        os.symlink((data / "model").resolve(), out / "model", target_is_directory=True)
    print(json.dumps({"out": str(out), "copies": copies}))


def _tree_memory_mib(root: int) -> tuple[float, float]:
    """Resident memory of ``root`` and all its descendants (worker processes), from /proc:
    (all resident pages, anonymous pages only). Resident pages include Parquet files mapped
    into memory, which the kernel can drop; anonymous pages are what the processes hold."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [c for c, p in parent.items() if p == pid and c not in tree]
    rss = anon = 0.0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        rss += int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        anon += int(fields.get("RssAnon", "0 kB").split()[0]) / 1024
    return rss, anon


def _watch(proc: subprocess.Popen[str], peak: list[float]) -> None:
    while proc.poll() is None:
        rss, anon = _tree_memory_mib(proc.pid)
        peak[0], peak[1] = max(peak[0], rss), max(peak[1], anon)
        time.sleep(0.5)


def run(data: Path, engine: str, repeat: int, batch_rows: int, extra: list[str]) -> None:
    """``score-batch`` ``repeat`` times; median seconds and peak RSS (MiB) of the child."""
    out = Path(f"/tmp/tg-e2e-{engine}.parquet")
    cmd = [*CLI, "score-batch", "--entries", str(data / "entries.csv"),
           "--lines", str(data / "lines.csv"), "--supply-chain", str(data / "supply_chain.csv"),
           "--history-entries", str(data / "history_entries.csv"),
           "--history-lines", str(data / "history_lines.csv"),
           "--outcomes", str(data / "outcomes.csv"), "--out", str(out),
           "--engine", engine, "--batch-rows", str(batch_rows), *extra]
    if (data / "model").exists():
        # A benchmark evaluates the model; it is not an enforcement deployment.
        cmd += ["--model", str(data / "model"), "--unapproved-model"]
    times, peaks, anon, stages = [], [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        tree_peak = [0.0, 0.0]
        watcher = threading.Thread(target=_watch, args=(proc, tree_peak), daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        watcher.join()
        err = proc.stderr.read() if proc.stderr else ""
        if status != 0:
            sys.exit(f"score-batch failed ({status}):\n{err[-3000:]}")
        times.append(time.perf_counter() - start)
        # The largest single process, and the sum over the process tree (workers included).
        peaks.append(max(usage.ru_maxrss / 1024, tree_peak[0]))
        anon.append(tree_peak[1])
        summary = json.loads(err[err.index("{"):])
        stages.append(summary["seconds"])
    print(json.dumps({"engine": engine, "lines": summary["lines_scored"],
                      "runs": [round(t, 1) for t in times],
                      "median_seconds": round(statistics.median(times), 1),
                      "peak_rss_mib_process_tree": round(max(peaks)),
                      "peak_anonymous_mib_process_tree": round(max(anon)),
                      "lanes": summary["lanes"],
                      "stage_seconds_last_run": stages[-1]}, indent=2))


def main() -> None:
    """Parse the sub-command and run it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make-data")
    m.add_argument("--lines", type=int, default=1_000_000)
    m.add_argument("--per-seed", type=int, default=100_000)
    m.add_argument("--out", type=Path, required=True)
    x = sub.add_parser("expand")
    x.add_argument("--data", type=Path, required=True)
    x.add_argument("--copies", type=int, default=10)
    x.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("run")
    r.add_argument("--data", type=Path, required=True)
    r.add_argument("--engine", default="duckdb")
    r.add_argument("--repeat", type=int, default=3)
    r.add_argument("--batch-rows", type=int, default=200_000)
    args, extra = parser.parse_known_args()
    if args.cmd == "make-data":
        make_data(args.lines, args.out, args.per_seed)
    elif args.cmd == "expand":
        expand(args.data, args.copies, args.out)
    else:
        run(args.data, args.engine, args.repeat, args.batch_rows, extra)


if __name__ == "__main__":
    main()
