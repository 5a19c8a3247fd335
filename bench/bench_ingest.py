"""Ingest benchmark: 1M lines (and their 250k entries) from CSV into SQLite and PostgreSQL.

Targets: each database loads the lines file in at most 60 s on the 2-core reference machine,
with peak memory (RSS) under 2 GB. Every load runs in its own process so its peak RSS is its
own; the CSV files are generated once, vectorised, before any load starts.

    .venv/bin/python bench/bench_ingest.py                      # both databases
    .venv/bin/python bench/bench_ingest.py --targets sqlite --lines 200000
    .venv/bin/python bench/bench_ingest.py --write bench/results/ingest.md

PostgreSQL comes from TRADEGUARD_TEST_PG (default the local server, database ``test``); the
run uses a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

LIMIT_SECONDS = 60.0
LIMIT_RSS_MB = 2048.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def generate(folder: Path, lines: int) -> tuple[Path, Path]:
    """Write entries.csv and lines.csv (4 lines per entry) into ``folder``."""
    from tradeguard.contract.synthetic import synthetic_entries, synthetic_lines

    entries = synthetic_entries(max(lines // 4, 1), seed=42)
    line_rows = synthetic_lines(entries, per_entry=4, seed=42).head(lines)
    entries_csv, lines_csv = folder / "entries.csv", folder / "lines.csv"
    entries.write_csv(entries_csv)
    line_rows.write_csv(lines_csv)
    return entries_csv, lines_csv


def run_one(target: str, entries_csv: Path, lines_csv: Path, work: Path) -> dict[str, Any]:
    """Load both files into a fresh database of ``target``; time each file (in this process)."""
    import sqlalchemy as sa

    from tradeguard.ingest import ingest_files
    from tradeguard.store import open_store

    schema = None
    if target == "sqlite":
        url = f"sqlite:///{work / 'bench.db'}"
    else:
        base = os.environ.get("TRADEGUARD_TEST_PG", DEFAULT_PG)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        store = open_store(url)
        timings: dict[str, Any] = {}
        for path in (entries_csv, lines_csv):
            started = time.perf_counter()
            report = ingest_files([path], store=store, quarantine_dir=work / "quarantine")
            summary = report.files[0]
            timings[summary.kind] = {
                "seconds": round(time.perf_counter() - started, 2),
                "rows_read": summary.rows_read,
                "inserted": summary.inserted,
                "rejected": summary.rejected,
            }
        # Idempotent re-ingest of the lines: everything already present.
        started = time.perf_counter()
        again = ingest_files([lines_csv], store=store, quarantine_dir=work / "quarantine")
        timings["lines_again"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "already_present": again.files[0].already_present,
        }
        store.close()
    finally:
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "target": target,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "load_average_1min": round(os.getloadavg()[0], 1),
        **timings,
    }


def _child(args: argparse.Namespace) -> None:
    work = Path(args.work)
    result = run_one(args.child, Path(args.entries), Path(args.lines_csv), work)
    print(json.dumps(result))


def _markdown(results: list[dict[str, Any]], lines: int, command: str) -> str:
    rows = []
    for r in results:
        ok = r["lines"]["seconds"] <= LIMIT_SECONDS and r["peak_rss_mb"] <= LIMIT_RSS_MB
        rows.append(
            f"| {r['target']} | {r['entries']['rows_read']:,} | {r['entries']['seconds']} | "
            f"{r['lines']['rows_read']:,} | {r['lines']['seconds']} | "
            f"{r['lines_again']['seconds']} | {r['peak_rss_mb']:,} | {r['cpu_seconds']} | "
            f"{r['load_average_1min']} | {'pass' if ok else 'FAIL'} |"
        )
    return "\n".join(
        [
            "# Ingest benchmark",
            "",
            f"{lines:,} lines (4 per entry) from CSV, each database fresh, each load in its own "
            f"process. Target: lines load in at most {LIMIT_SECONDS:.0f} s with peak RSS under "
            f"{LIMIT_RSS_MB:.0f} MB, on the 2-core reference machine.",
            "",
            f"Machine: {os.cpu_count()} cores, {platform.platform()}, Python "
            f"{platform.python_version()}. Measured {time.strftime('%Y-%m-%d')}.",
            "",
            "| database | entries | entries s | lines | lines s | lines again s "
            "| peak RSS MB | CPU s | load | result |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            '"lines again" re-ingests the same file: every row is reported already present '
            "and nothing is written (idempotency). CPU s is the process's user + system time "
            "for all three loads; load is the machine's 1-minute load average when the process "
            "finished (other work on the 2 cores slows the wall-clock times).",
            "",
            "Reproduce:",
            "",
            "```",
            command,
            "```",
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--targets", default="sqlite,postgres")
    parser.add_argument("--write", type=Path, help="write the results as Markdown here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--entries", help=argparse.SUPPRESS)
    parser.add_argument("--lines-csv", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return 0

    results = []
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        entries_csv, lines_csv = generate(folder, args.lines)
        print(
            f"generated {args.lines:,} lines in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        for target in args.targets.split(","):
            work = folder / target
            work.mkdir()
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    target,
                    "--entries",
                    str(entries_csv),
                    "--lines-csv",
                    str(lines_csv),
                    "--work",
                    str(work),
                ],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps(result), file=sys.stderr)
            results.append(result)
    failed = [
        r["target"]
        for r in results
        if r["lines"]["seconds"] > LIMIT_SECONDS or r["peak_rss_mb"] > LIMIT_RSS_MB
    ]
    command = "bash scripts/setup.sh && .venv/bin/python bench/bench_ingest.py"
    if args.lines != 1_000_000:
        command += f" --lines {args.lines}"
    if args.write:
        command += f" --write {args.write}"
        args.write.parent.mkdir(parents=True, exist_ok=True)
        # Sections after this table (staging, bench_staging.py) are kept as they are.
        previous = args.write.read_text("utf-8") if args.write.exists() else ""
        kept = previous[previous.find("\n## ") + 1:] if "\n## " in previous else ""
        args.write.write_text(_markdown(results, args.lines, command) + kept)
    print(json.dumps({"results": results, "failed": failed}, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
