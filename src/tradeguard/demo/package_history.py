"""Past small packages and what their exams found: the record a repeat-offender rule reads.

The same marketplace sellers and shippers shipped before the current window. A seller planted
as a repeat offender now was one before: most of its past parcels carry the same pattern (vague
description, value a small fraction of the goods' price). Elsewhere a low base rate of parcels
is misdeclared. Exams cover a few per cent of parcels at random, plus the parcels targeting
would have picked; exams find most real problems and a little noise, as with entry lines.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from tradeguard.demo.packages import VAGUE_DESCRIPTIONS, build_packages

# Share of an offender's past parcels that carry its pattern, and the value it declares.
OFFENDER_SHARE = (0.5, 0.9)
OFFENDER_VALUE_FACTOR = (0.1, 0.25)
BASE_VIOLATION_RATE = 0.015
RANDOM_EXAM_RATE = 0.03
TARGETED_EXAM_RATE = 0.3
FIND_RATE = 0.9
NOISE_FIND_RATE = 0.02


def _unique_ids(rng: np.random.Generator, ids: np.ndarray, carrier: np.ndarray,
                taken: set[str]) -> np.ndarray:
    """Redraw the few tracking numbers that repeat one already used (birthday collisions)."""
    out = ids.astype(object)
    for _ in range(20):
        _, first = np.unique(out.astype(str), return_index=True)
        dup = np.ones(len(out), bool)
        dup[first] = False
        dup |= np.isin(out.astype(str), np.array(sorted(taken), dtype=str))
        if not dup.any():
            break
        serial = rng.integers(10**9, 10**10, int(dup.sum())).astype(str)
        out[dup] = np.char.add(np.char.add(carrier[dup].astype(str), "-"), serial)
    return out


def build_package_history(rng: np.random.Generator, n: int, catalogue: pl.DataFrame,
                          start: date, end: date, n_sellers: int, offenders: list[str],
                          current_ids: set[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Past parcels over [start, end] and a mask of those that were misdeclared."""
    pk = build_packages(rng, n, catalogue, start, end, n_sellers=n_sellers)
    pk["package_id"] = _unique_ids(rng, pk["package_id"], pk["carrier_code"], current_ids)
    price = ((catalogue["price_low"] + catalogue["price_high"]) / 2).to_numpy()
    bad = rng.random(n) < BASE_VIOLATION_RATE
    for seller in offenders:
        mine = pk["seller_id"] == seller
        bad |= mine & (rng.random(n) < rng.uniform(*OFFENDER_SHARE))
    idx = np.flatnonzero(bad)
    is_offender = np.isin(pk["seller_id"][idx].astype(str), np.array(offenders, dtype=str))
    vague = is_offender | (rng.random(len(idx)) < 0.5)
    pk["description"][idx[vague]] = rng.choice(VAGUE_DESCRIPTIONS, int(vague.sum()))
    low = is_offender | ~vague
    factor = rng.uniform(*OFFENDER_VALUE_FACTOR, int(low.sum()))
    goods = price[pk["product_idx"][idx[low]]]
    pk["declared_value_usd"][idx[low]] = np.round(np.maximum(
        1.0, np.minimum(pk["declared_value_usd"][idx[low]], goods) * factor), 2)
    return pk, bad


def build_package_outcomes(rng: np.random.Generator, pk: dict[str, np.ndarray],
                           bad: np.ndarray) -> pl.DataFrame:
    """One outcome row per examined past parcel, in the contract's outcomes form (package id
    in ``entry_number``, empty ``line_number``)."""
    n = len(bad)
    u = rng.random(n)
    examined = np.where(bad, u < TARGETED_EXAM_RATE, u < RANDOM_EXAM_RATE)
    found = np.where(bad, rng.random(n) < FIND_RATE, rng.random(n) < NOISE_FIND_RATE)
    discrepancy = examined & found
    recovered = np.where(discrepancy, np.round(rng.uniform(3, 80, n), 2), 0.0)
    decided = pk["arrival_date"].astype("datetime64[D]") + rng.integers(
        2, 21, n).astype("timedelta64[D]")
    frame = pl.DataFrame({
        "entry_number": pl.Series(pk["package_id"].astype(str)),
        "line_number": pl.Series([None] * n, dtype=pl.Int64),
        "examined": examined, "discrepancy": discrepancy,
        "category": pl.Series(np.where(discrepancy, "small_package", "").astype(str)),
        "recovered_duty_usd": recovered,
        "decided_on": pl.Series(decided).cast(pl.Date),
    })
    return frame.filter(pl.col("examined")).with_columns(
        pl.when(pl.col("category") == "").then(None).otherwise(pl.col("category"))
        .alias("category")).sort("decided_on", "entry_number")
