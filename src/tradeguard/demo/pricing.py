"""Negotiated prices and standing suppliers: why one importer's prices are tight and peers' wide.

An importer buys a product again and again from the same few suppliers at a price agreed once
(a contract or a price list), then moves a little month to month and drifts a few per cent a
year. Peers differ because their agreements differ. Every level here is a pure function of a
salt and the parties' indices (a counter-based hash), so history and the current window, and
clean entries and scheme entries, see the same agreement without carrying a table between them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
# Month-to-month movement of an agreed price, its yearly drift range, and invoice-level noise
# (mix of sizes, freight terms, small spec changes).
MONTHLY_SIGMA = 0.03
DRIFT_PER_YEAR = (-0.03, 0.06)
LINE_SIGMA = 0.02
# How an importer spreads its orders of one kind of goods over its standing suppliers.
SUPPLIER_SLOTS = np.array([0.72, 0.18, 0.10])


def _splitmix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The splitmix64 finaliser: a well-mixed 64-bit value per input (wraps by design)."""
    with np.errstate(over="ignore"):
        z = (x + _GOLDEN) & _MASK
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return z ^ (z >> np.uint64(31))


def key_uniform(salt: int, *keys: npt.NDArray[Any] | int) -> npt.NDArray[np.float64]:
    """Uniform [0, 1) draws fixed by (salt, keys): the same keys always give the same draw."""
    h = np.asarray(_splitmix(np.asarray([salt % 2**64], dtype=np.uint64)))
    for k in keys:
        arr = np.asarray(k).astype(np.int64).astype(np.uint64)
        with np.errstate(over="ignore"):
            h = _splitmix(h ^ (arr + (h << np.uint64(6)) + (h >> np.uint64(2))))
    return np.asarray((h >> np.uint64(11)).astype(np.float64) / float(2**53))


def key_normal(salt: int, *keys: npt.NDArray[Any] | int) -> npt.NDArray[np.float64]:
    """Standard normal draws fixed by (salt, keys) (Box-Muller on two keyed uniforms)."""
    u1 = np.maximum(key_uniform(salt, *keys, 1), 1e-12)
    u2 = key_uniform(salt, *keys, 2)
    return np.asarray(np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2))


def sku_count(size: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Articles (SKUs) an importer carries under one tariff number: one or two for a small
    buyer, a range of grades for a big retailer."""
    return np.asarray(np.clip(np.round(np.sqrt(size)), 1, 16).astype(np.int64))


def negotiated_price(salt: int, importer: npt.NDArray[np.int64], product: npt.NDArray[np.int64],
                     supplier: npt.NDArray[np.int64], sku: npt.NDArray[np.int64],
                     month: npt.NDArray[np.int64], low: npt.NDArray[np.float64],
                     high: npt.NDArray[np.float64], rng: np.random.Generator
                     ) -> npt.NDArray[np.float64]:
    """Unit price per line before the origin's cost factor.

    The agreed level of (importer, product, supplier, article) sits in the product's market
    range (log scale), half set by the buyer's market position and half by the article. It
    moves by a keyed monthly step and a keyed yearly drift (two invoices in one month agree; a
    year apart they differ by a few per cent), plus a little invoice noise. ``month`` counts
    months from the month the levels are drawn for (the end of the data set, so history lies
    at negative months).
    """
    # a buyer's position in the market (budget to premium) for the goods, then the article
    u = 0.5 * key_uniform(salt, importer, product, 6) + 0.5 * key_uniform(
        salt, importer, product, supplier, sku, 0)
    level = np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
    lo, hi = DRIFT_PER_YEAR
    drift = lo + (hi - lo) * key_uniform(salt, importer, product, supplier, sku, 3)
    step = MONTHLY_SIGMA * key_normal(salt, importer, product, supplier, sku, month, 4)
    noise = rng.normal(0.0, LINE_SIGMA, len(importer))
    return np.asarray(level * np.exp(drift * month / 12.0 + step + noise))


def standing_slot(salt: int, importer: npt.NDArray[np.int64], group: npt.NDArray[np.int64],
                  rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """A keyed uniform naming which of the importer's standing suppliers for ``group`` (a
    country and kind of goods) fills this order: mostly the main one, sometimes a second."""
    slot = rng.choice(len(SUPPLIER_SLOTS), len(importer), p=SUPPLIER_SLOTS)
    return key_uniform(salt, importer, group, slot, 5)


def months_since(dates: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
    """Calendar months since 1970-01 (the drift clock)."""
    return np.asarray(dates.astype("datetime64[M]").astype(np.int64))
