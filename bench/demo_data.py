"""Time the demo-data generator at a given size.

Usage: .venv/bin/python bench/demo_data.py --entries 100000 --history-months 12 --out /tmp/demo
"""

from __future__ import annotations

import argparse
import time

from tradeguard.demo import generate_demo_data
from tradeguard.refdata import load_reference_data


def main() -> None:
    """Generate once and print wall time and row counts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--history-months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="/tmp/tradeguard-demo-bench")
    args = parser.parse_args()
    ref = load_reference_data()
    ref.tariff.frame  # noqa: B018 - load reference data outside the timed part
    ref.watchlists  # noqa: B018
    started = time.perf_counter()
    manifest = generate_demo_data(args.out, entries=args.entries, seed=args.seed,
                                  history_months=args.history_months, ref=ref)
    elapsed = time.perf_counter() - started
    print(f"entries={args.entries} history_months={args.history_months} "
          f"seconds={elapsed:.1f} counts={manifest.counts} "
          f"planted_line_share={manifest.planted_line_share}")


if __name__ == "__main__":
    main()
