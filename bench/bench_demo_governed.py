"""The demo's governed path: the shadow audit's verdict by demo size and seed, and the CPU
cost of building the default demo (``build_demo``: generate, ingest, train, audit in shadow,
register and approve, score with what the gate allows, queue, users).

Each size and seed generates demo data (twelve months of history, as ``tradeguard demo``),
trains on the first 60 % of the window's days, scores the rest in shadow under the demo's 5 %
compliance sample and runs the shipped audit policy on it, exactly as the demo does. CPU
seconds are this process's (all threads), so other work on the machine does not inflate them.

    .venv/bin/python bench/bench_demo_governed.py --sizes 600,2000 --seeds 7 --build
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def verdict(entries: int, seed: int, work: Path) -> str:
    """One markdown row: size, seed, verdict, failed checks, exams, CPU seconds."""
    from tradeguard.api.demo_registry import audit_in_shadow
    from tradeguard.demo import generate_demo_data
    from tradeguard.governance.audit.demo import audit_demo_folder

    folder = work / f"demo-{entries}-{seed}"
    generate_demo_data(folder, entries=entries, seed=seed)
    start = time.process_time()
    run = audit_demo_folder(folder, work / "rejected", seed=seed, supply_chain=True)
    result = audit_in_shadow(run.audit_input)
    cpu = time.process_time() - start
    pop = result.extra["population"]
    failed = ", ".join(result.failed_checks) or "-"
    return (f"| {entries} | {seed} | {'pass' if result.passed else 'fail'} | {failed} | "
            f"{pop['lines']} / {pop['examined']} / {pop['random_sample_examined']} | "
            f"{cpu:.1f} |")


def build(work: Path) -> str:
    """CPU and wall seconds of ``build_demo`` at its defaults, and what the registry did."""
    from tradeguard.api.demo_site import DEFAULT_ENTRIES, build_demo, demo_settings

    directory = work / "site"
    cpu, wall = time.process_time(), time.perf_counter()
    site = build_demo(directory, settings=demo_settings(directory, environment="test"))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    record = site.summary["registry"] or {}
    return (f"build_demo({DEFAULT_ENTRIES} entries, seed 7): {cpu:.1f} s CPU, {wall:.1f} s "
            f"wall (load average {os.getloadavg()[0]:.1f}); model "
            f"{'approved' if record.get('approved') else 'NOT approved'}, scored with "
            f"{str(site.summary['scored_with'])[:16]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="600,1000,1500,2000")
    parser.add_argument("--seeds", default="7")
    parser.add_argument("--build", action="store_true", help="also time build_demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tradeguard-bench-demo-") as tmp:
        work = Path(tmp)
        print("| entries | seed | verdict | failed checks | audited lines / exams / random "
              "exams | CPU s (train + shadow + audit) |")
        print("|---|---|---|---|---|---|")
        for entries in (int(s) for s in args.sizes.split(",")):
            for seed in (int(s) for s in args.seeds.split(",")):
                print(verdict(entries, seed, work), flush=True)
        if args.build:
            print(build(work))


if __name__ == "__main__":
    main()
