"""Staging benchmark: CPU and wall time of the "stage" step of ``score-batch``.

Staging validates every contract file of a run batch by batch and writes the accepted rows as
Parquet parts (:mod:`tradeguard.engines.staging`). This times each file's ``stage_file`` and
the whole step (``_stage_all``: current entries and lines here, history, outcomes and supply
chains on a second thread). CPU is user + system time of every thread of the process
(``getrusage``), which other work on the machine inflates less than wall time; each
measurement runs in a fresh process, and the median of ``--repeat`` runs is reported.

    .venv/bin/python bench/bench_end_to_end.py make-data --lines 1000000 --out /tmp/tg-e2e-1m
    .venv/bin/python bench/bench_staging.py --data /tmp/tg-e2e-1m --repeat 3
    .venv/bin/python bench/bench_staging.py --data /tmp/tg-e2e-1m --write bench/results/ingest.md

``--write`` replaces the staging section of that Markdown file (from its heading on).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEADING = "## Staging for batch scoring"
FILES = ("entries", "lines", "supply_chain", "history_entries", "history_lines", "outcomes")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    cpu, wall = _cpu(), time.perf_counter()
    out = fn()
    return out, _cpu() - cpu, time.perf_counter() - wall


def _child(data: Path, mode: str, batch_rows: int, work: Path) -> dict[str, list[float]]:
    """One measurement in this process: the whole step, or each file on its own."""
    from tradeguard.engines.run import BatchSources, _stage_all
    from tradeguard.engines.staging import entry_numbers, stage_file

    paths = {k: data / f"{k}.csv" for k in FILES}
    present = {k: p if p.is_file() else None for k, p in paths.items()}
    times: dict[str, list[float]] = {}
    if mode == "all":
        src = BatchSources(paths["entries"], paths["lines"], present["history_entries"],
                           present["history_lines"], present["supply_chain"],
                           present["outcomes"])
        _, cpu, wall = _timed(lambda: _stage_all(src, work / "staged", work, batch_rows))
        return {"_stage_all": [cpu, wall]}

    def stage(kind: str, name: str, **kw: Any) -> Any:
        staged, cpu, wall = _timed(lambda: stage_file(
            paths[name], kind, work / name, work, batch_rows=batch_rows, **kw))
        times[name] = [cpu, wall]
        return staged

    numbers = entry_numbers(stage("entries", "entries"))
    stage("lines", "lines", entries=numbers)
    if present["supply_chain"]:
        stage("supply_chain", "supply_chain", entries=numbers)
    if present["history_entries"] and present["history_lines"]:
        past = entry_numbers(stage("entries", "history_entries"))
        stage("lines", "history_lines", entries=past)
    if present["outcomes"]:
        stage("outcomes", "outcomes")
    return times


def _run(data: Path, mode: str, batch_rows: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="tg-stage-") as tmp:
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--data", str(data),
             "--batch-rows", str(batch_rows), "--work", tmp],
            capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    result: dict[str, list[float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _markdown(medians: dict[str, tuple[float, float]], args: argparse.Namespace) -> str:
    rows = [f"| {name} | {cpu:.2f} | {wall:.2f} |" for name, (cpu, wall) in medians.items()]
    return "\n".join([
        HEADING, "",
        f"The contract files in `{args.data}`, `batch_rows` {args.batch_rows:,}; median of "
        f"{args.repeat} runs, each in its own process. CPU s is user + system time of every "
        "thread (`_stage_all` stages history, outcomes and supply chains on a second thread). "
        f"Machine: {os.cpu_count()} cores, "
        f"{platform.platform()}, Python {platform.python_version()}. Measured "
        f"{time.strftime('%Y-%m-%d')}; 1-minute load average at the end "
        f"{os.getloadavg()[0]:.1f} (other work on the 2 cores inflates wall time most).", "",
        "| step | CPU s | wall s |", "|---|---|---|", *rows, "",
        "Reproduce:", "", "```",
        f".venv/bin/python bench/bench_staging.py --data {args.data} --repeat {args.repeat}"
        f" --batch-rows {args.batch_rows}", "```", "",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--write", type=Path, help="replace the staging section of this file")
    parser.add_argument("--child", choices=("all", "each"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.data, args.child, args.batch_rows, args.work)))
        return 0

    runs: dict[str, list[list[float]]] = {}
    for _ in range(args.repeat):
        for mode in ("each", "all"):
            for name, pair in _run(args.data, mode, args.batch_rows).items():
                runs.setdefault(name, []).append(pair)
            print(json.dumps({k: v[-1] for k, v in runs.items()}), file=sys.stderr)
    medians = {name: (statistics.median(p[0] for p in pairs),
                      statistics.median(p[1] for p in pairs)) for name, pairs in runs.items()}
    print(json.dumps(medians, indent=2))
    if args.write:
        text = args.write.read_text("utf-8") if args.write.exists() else ""
        kept = text.split(HEADING)[0].rstrip("\n")
        args.write.write_text((kept + "\n\n" if kept else "") + _markdown(medians, args),
                              "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
