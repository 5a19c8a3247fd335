"""Benchmark: cold load of all reference data, and expected duty for 1M entry lines.

Run: ``.venv/bin/python bench/bench_refdata.py [--lines 1000000] [--repeat 3]``.
Targets: cold load < 2 s (fresh interpreter, every data set touched); 1M lines < 10 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date

import numpy as np
import polars as pl

COLD_LOAD = """
import time
t = time.perf_counter()
from tradeguard.refdata import load_reference_data
ref = load_reference_data()
ref.tariff.frame; ref.tariff.special; ref.tariff.chapter99; ref.tariff.get("6109100012")
ref.watchlists; ref.adcvd_orders; ref.countries; ref.ports; ref.fx; ref.hs2022
for t_ in ("countries", "subdivisions", "functions", "status", "aliases"):
    ref.locode(t_)
print(time.perf_counter() - t)
"""

ORIGINS = ["CN", "VN", "MX", "CA", "KR", "DE", "IN", "RU", "BR", "JP", "CL", "AU", "TH", "CU"]
SPIS = [None, None, None, None, "KR", "S", "AU", "CL", "A+"]


def cold_load(repeat: int) -> list[float]:
    """Seconds to import and read every data set, each in a fresh interpreter."""
    return [float(subprocess.run([sys.executable, "-c", COLD_LOAD], check=True,
                                 capture_output=True, text=True).stdout.strip())
            for _ in range(repeat)]


def synthetic_lines(n: int, codes: pl.DataFrame, seed: int = 7) -> pl.DataFrame:
    """n contract-shaped lines drawn from real statistical numbers and their first unit."""
    rng = np.random.default_rng(seed)
    pick = codes[rng.integers(0, codes.height, n)]
    return pl.DataFrame({
        "entry_number": [f"ABC-{i // 5:07d}-0" for i in range(n)],
        "line_number": (np.arange(n) % 5 + 1).astype(np.int64),
        "hts_code": pick["hts10"],
        "country_of_origin": np.array(ORIGINS)[rng.integers(0, len(ORIGINS), n)],
        "entered_value_usd": rng.lognormal(8.0, 1.5, n).round(2),
        "quantity": rng.integers(1, 5000, n).astype(np.float64),
        "quantity_unit": pick["units"].list.first(),
        "spi": pl.Series([SPIS[i] for i in rng.integers(0, len(SPIS), n)], dtype=pl.String),
        "entry_date": pl.Series([date(2026, 5, 1)] * n),
    })


def main() -> None:
    """Print the measurements as Markdown rows."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    loads = cold_load(args.repeat)
    print(f"| cold load, all data sets (fresh process) | {min(loads):.2f} s best, "
          f"{max(loads):.2f} s worst of {args.repeat} |")

    from tradeguard.refdata import load_reference_data
    from tradeguard.refdata.duty import compute_duty_frame

    ref = load_reference_data()
    lines = synthetic_lines(args.lines, ref.tariff.frame.select("hts10", "units"))
    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        out = compute_duty_frame(lines, ref)
        runs.append(time.perf_counter() - start)
    known = out["expected_total_usd"].is_not_null().sum()
    print(f"| compute_duty_frame, {args.lines:,} lines | {min(runs):.2f} s best, "
          f"{max(runs):.2f} s worst of {args.repeat} ({known:,} lines fully determined) |")


if __name__ == "__main__":
    main()
