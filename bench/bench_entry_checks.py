"""Benchmark: entry checks over synthetic declaration lines built from real tariff numbers.

    .venv/bin/python bench/bench_entry_checks.py --lines 1000000

Lines draw real 10-digit numbers from the shipped tariff with their first unit of quantity,
origins from a few trading partners, a pool of manufacturers with MIDs built by CBP's rule,
declared duty from the tariff rate, and about 2 % deliberate errors so that every check has
work to do. Times the ``detect`` call only (data building is not timed).
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date

import numpy as np
import polars as pl

from tradeguard.contract.entry_number import format_entry_number
from tradeguard.demo.mid import build_mid
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.entry_checks import EntryChecks
from tradeguard.refdata import load_reference_data

ORIGINS = ["CN", "VN", "MX", "DE", "IN", "KR", "BD", "TH"]
CITIES = ["Ningbo", "Dong Nai", "Monterrey", "Stuttgart", "Tiruppur", "Busan", "Dhaka",
          "Bangkok"]


def synthetic_lines(n: int, seed: int = 1) -> pl.DataFrame:
    """``n`` declaration lines with entry headers joined (about 4 lines per entry)."""
    rng = np.random.default_rng(seed)
    ref = load_reference_data()
    tariff = ref.tariff.frame.filter(
        pl.col("general_kind").is_in(["free", "ad_valorem"]) & (pl.col("units").list.len() > 0)
    ).select("hts10", pl.col("units").list.first().alias("unit"),
             pl.col("general_ad_valorem").fill_null(0.0).alias("rate"))
    pick = rng.integers(0, tariff.height, n)
    hts, unit, rate = (tariff[c].to_numpy()[pick] for c in ("hts10", "unit", "rate"))
    n_mfr = max(50, n // 50)
    mfr_country = rng.integers(0, len(ORIGINS), n_mfr)
    names = [f"{w} {s} Industrial Co., Ltd." for w, s in zip(
        rng.choice(["Golden", "Everbright", "Lotus", "Summit", "Orient"], n_mfr),
        rng.choice(["Star", "Sun", "Crown", "Pearl", "Delta"], n_mfr), strict=True)]
    streets = [f"No. {k} Harbour Road" for k in rng.integers(1, 3000, n_mfr)]
    mids = [build_mid(nm, st, CITIES[c], ORIGINS[c], None)
            for nm, st, c in zip(names, streets, mfr_country, strict=True)]
    addresses = [f"{st}, {CITIES[c]}, {ORIGINS[c]}" for st, c in
                 zip(streets, mfr_country, strict=True)]
    m = rng.integers(0, n_mfr, n)
    n_entries = max(1, n // 4)
    entry_idx = np.sort(rng.integers(0, n_entries, n))
    numbers = [format_entry_number("AB1", k + 1000000) for k in range(n_entries)]
    value = np.round(rng.lognormal(8, 1.2, n), 2)
    qty = np.maximum(1, np.round(rng.lognormal(5, 1, n)))
    per_unit = {"KG": 1.05, "T": 1050.0, "M3": 650.0, "L": 1.2, "M2": 0.4, "DOZ": 3.0,
                "GM": 0.0011, "THS": 5.0}  # gross kg per unit; 0.2-3 kg for other units
    kg = pl.Series(unit).replace_strict(per_unit, default=None, return_dtype=pl.Float64)
    weight = qty * kg.fill_null(pl.Series(rng.uniform(0.2, 3.0, n))).to_numpy()
    duty = np.round(value * rate, 2)
    bad = rng.random(n) < 0.02
    duty = np.where(bad & (rng.random(n) < 0.5), np.round(duty * 0.5, 2), duty)
    country = np.array(ORIGINS)[mfr_country[m]]
    frame = pl.DataFrame({
        "entry_number": np.array(numbers, dtype=object)[entry_idx],
        "line_number": np.arange(n) + 1, "entry_type": "01", "entry_date": "2026-06-15",
        "importer_id": "12-345678900", "importer_name": "Pacific Imports LLC",
        "hts_code": hts, "country_of_origin": country, "quantity": qty,
        "quantity_unit": np.where(bad & (rng.random(n) < 0.3), "NO", unit),
        "entered_value_usd": value, "gross_weight_kg": np.round(weight, 2),
        "manufacturer_id": np.array(mids, dtype=object)[m],
        "manufacturer_name": np.array(names, dtype=object)[m],
        "manufacturer_address": np.array(addresses, dtype=object)[m],
        "manufacturer_country": country, "seller_name": np.array(names, dtype=object)[m],
        "duty_usd": duty, "adcvd_case_number": None, "spi": None,
    }, schema_overrides={"adcvd_case_number": pl.String, "spi": pl.String})
    return frame.with_columns(pl.int_range(1, pl.len() + 1).over("entry_number")
                              .alias("line_number"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    lines = synthetic_lines(args.lines)
    ref = load_reference_data()
    ctx = DetectionContext(ref=ref, as_of=date(2026, 9, 30))
    detector = EntryChecks()
    times = []
    found = pl.DataFrame()
    for _ in range(args.repeat):
        start = time.perf_counter()
        found = detector.detect(lines, ctx)
        times.append(time.perf_counter() - start)
    print(f"machine: {platform.machine()} {platform.python_version()} polars {pl.__version__}")
    print(f"lines: {lines.height:,}  entries: {lines['entry_number'].n_unique():,}  "
          f"manufacturers: {lines['manufacturer_id'].n_unique():,}")
    print(f"detect seconds: best {min(times):.2f}  all {[round(t, 2) for t in times]}")
    print(f"lines per second: {lines.height / min(times):,.0f}")
    print(f"findings: {found.height:,}")
    print(found.group_by("reason_code").len().sort("reason_code"))
    if detector.last_stats:
        print(f"not checked: {detector.last_stats.not_checked}")


if __name__ == "__main__":
    main()
