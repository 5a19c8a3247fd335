"""Benchmark: 20 risk profiles over a synthetic batch of declaration lines.

Run: ``.venv/bin/python bench/bench_rules.py [--lines 1000000] [--repeat 3]``.
Prints the time to type the batch (``conform_lines``) and to evaluate the profiles
(``evaluate``, which includes typing, compiling, hits, findings and treatments), median of runs.
The synthetic frame is random and seeded; it is not meant to resemble any real trade.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

import numpy as np
import polars as pl

from tradeguard.rules import (
    conform_lines,
    evaluate,
    load_profile_set,
    profile_set_from_yaml,
    shipped_profiles_dir,
)
from tradeguard.rules._versioning import build_profile_set

WORDS = [
    "cotton",
    "shirt",
    "sample",
    "steel",
    "bolt",
    "laptop",
    "parts",
    "gift",
    "aluminum",
    "profile",
    "chair",
    "wooden",
    "solar",
    "panel",
    "toy",
    "plastic",
    "knitted",
    "sweater",
]
COUNTRIES = ["CN", "VN", "MX", "DE", "IN", "BD", "KH", "HK", "IT", "TR", "MY", "TH"]


def synthetic_lines(n: int, seed: int = 7) -> pl.DataFrame:
    """A seeded random declaration-line frame with the contract's entry and line columns."""
    rng = np.random.default_rng(seed)
    n_entries = max(1, n // 4)
    entry_idx = np.sort(rng.integers(0, n_entries, n))
    hts = rng.integers(101_000_000, 9_706_000_000, n).astype(str)
    words = np.array(WORDS)
    desc = (
        pl.Series(words[rng.integers(0, len(words), n)])
        + " "
        + pl.Series(words[rng.integers(0, len(words), n)])
    )
    importer = rng.integers(0, 20_000, n_entries)
    return pl.DataFrame(
        {
            "entry_number": pl.Series(entry_idx).cast(pl.String).str.zfill(7),
            "line_number": pl.Series(np.arange(n) % 9 + 1, dtype=pl.Int64),
            "entry_type": np.where(rng.random(n) < 0.1, "03", "01"),
            "entry_date": pl.Series(rng.integers(19_700, 20_400, n)).cast(pl.Date),
            "importer_id": pl.Series(importer[entry_idx]).cast(pl.String).str.zfill(8),
            "trusted_trader": rng.random(n) < 0.2,
            "bill_of_lading": pl.Series(entry_idx % 50_000).cast(pl.String).str.zfill(12),
            "hts_code": pl.Series(hts).str.zfill(10),
            "description": desc,
            "country_of_origin": np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), n)],
            "quantity": rng.integers(1, 5_000, n).astype(float),
            "quantity_unit": np.array(["NO", "DOZ", "KG"])[rng.integers(0, 3, n)],
            "entered_value_usd": np.round(rng.lognormal(7, 1.5, n), 2),
            "gross_weight_kg": np.round(rng.lognormal(4, 1.2, n), 1),
            "manufacturer_id": pl.Series(rng.integers(0, 200_000, n))
            .cast(pl.String)
            .str.zfill(15)
            .set(pl.Series(rng.random(n) < 0.05), None),
            "adcvd_case_number": pl.Series([None] * n, dtype=pl.String),
            "related_party": rng.random(n) < 0.3,
        }
    )


def extra_profiles(n: int) -> str:
    """``n`` synthetic profiles mixing every operator kind, with large named lists."""
    rng = np.random.default_rng(11)
    hts = ", ".join(f"'{p}'" for p in rng.integers(1000, 9999, 500).astype(str))
    firms = ", ".join(f"'{p:08d}'" for p in rng.integers(0, 20_000, 1_000))
    mids = ", ".join(f"'{p:015d}'" for p in rng.integers(0, 200_000, 2_000))
    whens = [
        "- {field: hts_code, op: prefix, list: bench_hts}\n- {field: country_of_origin, op: in, value: [CN, HK]}",  # noqa: E501
        "{field: importer_id, op: in, list: bench_firms}",
        "{field: manufacturer_id, op: in, list: bench_mids}",
        "- {field: description, op: matches, value: '\\b(sample|gift)s?\\b'}\n- {field: entered_value_usd, op: gt, value: 2500}",  # noqa: E501
        "- {field: description, op: contains, value: [solar, panel]}\n- {field: country_of_origin, op: in, value: [MY, TH, VN, KH]}",  # noqa: E501
        "- {field: unit_value_usd, op: lt, value: 0.05}\n- {field: quantity_unit, op: eq, value: 'NO'}",  # noqa: E501
        "- {field: entry_date, op: between, value: [2024-01-01, 2024-03-31]}\n- {field: hts_code, op: prefix, value: ['7604', '7610']}",  # noqa: E501
        "- {field: manufacturer_id, op: is_null}\n- {field: entry_type, op: in, value: ['01', '03']}",  # noqa: E501
        "- {field: value_per_kg_usd, op: lt, value: 0.5}\n- {field: hts_code, op: prefix, value: '85'}",  # noqa: E501
        "- {field: related_party, op: eq, value: true}\n- {field: country_of_origin, op: not_in, value: [DE, IT, MX, IN]}\n- {field: unit_value_usd, op: lt, value: 0.2}",  # noqa: E501
        "- {field: trusted_trader, op: eq, value: false}\n- not: {field: entered_value_usd, op: le, value: 100000}",  # noqa: E501
        "- {field: entry_type, op: ne, value: '03'}\n- {field: adcvd_case_number, op: is_null}\n- {field: hts_code, op: prefix, value: '9403509'}",  # noqa: E501
        "- {field: bill_of_lading, op: prefix, value: '00000000001'}",
    ]
    lists = (
        f"lists:\n  bench_hts: {{kind: hts_prefixes, items: [{hts}]}}\n"
        f"  bench_firms: {{kind: firms, items: [{firms}]}}\n"
        f"  bench_mids: {{kind: mids, items: [{mids}]}}\nprofiles:\n"
    )
    body = []
    for i, when in enumerate(whens[:n]):
        cond = "\n".join("      " + line for line in when.splitlines())
        body.append(
            f"  - id: BENCH-{i:02d}\n    title: bench {i}\n    owner: bench\n"
            f"    rationale: bench\n    when:\n{cond}\n"
            f"    treatment: {{weight: 0.5, category: valuation, reason_code: B{i}, reason: b}}\n"
        )
    return lists + "".join(body)


def main() -> None:
    """Time typing and evaluation of 20 profiles over the synthetic batch."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    shipped = load_profile_set(shipped_profiles_dir())
    extra = profile_set_from_yaml(extra_profiles(20 - len(shipped.profiles)))
    profiles = build_profile_set(
        [*shipped.profiles, *extra.profiles], {**shipped.lists, **extra.lists}
    )
    t0 = time.perf_counter()
    frame = synthetic_lines(args.lines)
    build = time.perf_counter() - t0

    conform_times, eval_times = [], []
    result = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        conform_lines(frame)
        conform_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        result = evaluate(profiles, frame, on=date(2026, 1, 15))
        eval_times.append(time.perf_counter() - t0)
    assert result is not None
    print(f"profiles: {len(profiles.profiles)}  lines: {frame.height:,}")
    print(f"synthetic frame build: {build:.2f} s")
    print(f"conform_lines (typing + derived), median: {statistics.median(conform_times):.2f} s")
    print(
        f"evaluate (all profiles, findings, treatments), median: "
        f"{statistics.median(eval_times):.2f} s  runs: {[round(t, 2) for t in eval_times]}"
    )
    print(
        f"hits: {result.hits.height:,}  findings: {result.findings.height:,}  "
        f"lines with a treatment: {result.treatments.height:,}"
    )


if __name__ == "__main__":
    main()
