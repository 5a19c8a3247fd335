"""Synthetic contract files that pass validation, built vectorised for tests and benchmarks.

These are plain, valid rows at any size (a million lines in a couple of seconds) — no risk
patterns; the demo generator is the place for realistic data with violations planted in it.
Entry numbers carry correct check digits. Everything is seeded, so a seed gives the same
frames every time.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from tradeguard.contract.entry_number import _LETTER_VALUE

_FILERS = ("ABC", "K7Q", "SP7", "9ZZ", "M2N")
_COUNTRIES = ("CN", "VN", "MX", "DE", "IN", "BD", "TW", "KR", "IT", "CA")
_HTS = ("6109100012", "8471300100", "9403608081", "7318158069", "8504404000", "6403999065")
_UNITS = ("NO", "KG", "DOZ", "M2", "PRS", "NO")
_PORTS = ("2704", "1001", "5301", "3002", "0401", "2809")
_LOCODES = ("CNSHA", "VNSGN", "MXZLO", "DEHAM", "INNSA", "BDCGP")


def _luhn_digits(values: np.ndarray) -> np.ndarray:
    """Sum of the Luhn contributions of 10-digit rows (positions 1..10 left to right)."""
    total = np.zeros(values.shape[0], dtype=np.int64)
    for position in range(10):
        digit = values[:, position]
        if (position + 1) % 2 == 0:
            digit = digit * 2
            digit = np.where(digit > 9, digit - 9, digit)
        total += digit
    return total


def entry_numbers(n: int, seed: int = 0) -> pl.Series:
    """``n`` distinct, well-formed entry numbers with correct check digits."""
    rng = np.random.default_rng(seed)
    filer_idx = rng.integers(0, len(_FILERS), n)
    # Distinct transaction numbers per filer: consecutive blocks from a random start.
    transactions = (np.arange(n, dtype=np.int64) + rng.integers(0, 1_000_000)) % 10_000_000
    filer_digits = np.array(
        [[int(c) if c.isdigit() else _LETTER_VALUE[c] for c in f] for f in _FILERS]
    )[filer_idx]
    tx_digits = (transactions[:, None] // 10 ** np.arange(6, -1, -1)) % 10
    total = _luhn_digits(np.concatenate([filer_digits, tx_digits], axis=1))
    check = (10 - total % 10) % 10
    frame = pl.DataFrame(
        {
            "filer": pl.Series(_FILERS).gather(filer_idx),
            "tx": pl.Series(transactions).cast(pl.String).str.zfill(7),
            "check": check,
        }
    )
    return frame.select(pl.format("{}-{}-{}", "filer", "tx", "check").alias("entry_number"))[
        "entry_number"
    ]


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> pl.Series:
    return pl.Series(options).gather(rng.integers(0, len(options), n))


def synthetic_entries(n: int, seed: int = 0, last_day: date | None = None) -> pl.DataFrame:
    """``n`` valid entries rows, filed over the year before ``last_day`` (default today)."""
    rng = np.random.default_rng(seed)
    end = last_day or date.today()
    base = pl.DataFrame(
        {
            "entry_number": entry_numbers(n, seed),
            "entry_type": _pick(rng, ("01", "01", "01", "03", "11", "86"), n),
            "days": rng.integers(0, 365, n),
            "port_of_entry": _pick(rng, _PORTS, n),
            "importer": rng.integers(0, max(n // 20, 1), n),
            "mode_of_transport": _pick(rng, ("10", "11", "40", "30"), n),
            "country_of_export": _pick(rng, _COUNTRIES, n),
            "port_of_lading": _pick(rng, _LOCODES, n),
            "bol": rng.integers(10**8, 10**9, n),
            "carrier_code": _pick(rng, ("MAEU", "COSU", "FDEG"), n),
            "trusted_trader": rng.random(n) < 0.2,
        }
    )
    return base.select(
        "entry_number",
        "entry_type",
        (pl.lit(end) - pl.duration(days="days")).cast(pl.Date).alias("entry_date"),
        "port_of_entry",
        pl.format("IOR{}", pl.col("importer").cast(pl.String).str.zfill(6)).alias("importer_id"),
        pl.format("Importer {} LLC", "importer").alias("importer_name"),
        pl.lit("US").alias("importer_country"),
        pl.lit("ABC").alias("filer_code"),
        "mode_of_transport",
        "country_of_export",
        "port_of_lading",
        pl.format("MAEU{}", "bol").alias("bill_of_lading"),
        "carrier_code",
        "trusted_trader",
    )


def synthetic_lines(entries: pl.DataFrame, per_entry: int = 4, seed: int = 0) -> pl.DataFrame:
    """``per_entry`` valid lines for each entry of ``entries``."""
    rng = np.random.default_rng(seed + 1)
    n = entries.height * per_entry
    quantity = np.round(rng.uniform(1, 5000, n), 2)
    base = pl.DataFrame(
        {
            "entry_number": entries["entry_number"].gather(
                np.repeat(np.arange(entries.height), per_entry)
            ),
            "line_number": np.tile(np.arange(1, per_entry + 1), entries.height),
            "hts_code": _pick(rng, _HTS, n),
            "description": _pick(
                rng, ("cotton t-shirts", "laptop computers", "wooden chairs", "steel screws"), n
            ),
            "country_of_origin": _pick(rng, _COUNTRIES, n),
            "quantity": quantity,
            "quantity_unit": _pick(rng, _UNITS, n),
            "entered_value_usd": np.round(quantity * rng.uniform(0.5, 40, n), 2),
            "mid": rng.integers(0, 5000, n),
            "duty_rate": _pick(rng, ("0", "0.032", "0.12", "0.165"), n).cast(pl.Float64),
            "related_party": rng.random(n) < 0.1,
        }
    )
    none = pl.lit(None, dtype=pl.String)
    return base.select(
        "entry_number",
        "line_number",
        "hts_code",
        "description",
        "country_of_origin",
        "quantity",
        "quantity_unit",
        "entered_value_usd",
        (pl.col("quantity") * 0.4).round(2).alias("gross_weight_kg"),
        pl.format("{}MANUF{}SHA", "country_of_origin", "mid").alias("manufacturer_id"),
        pl.format("Manufacturer {} Co., Ltd.", "mid").alias("manufacturer_name"),
        pl.format("{} Industrial Road", "mid").alias("manufacturer_address"),
        pl.col("country_of_origin").alias("manufacturer_country"),
        pl.format("Seller {}", pl.col("mid") % 700).alias("seller_name"),
        pl.col("country_of_origin").alias("seller_country"),
        "duty_rate",
        (pl.col("entered_value_usd") * pl.col("duty_rate")).round(2).alias("duty_usd"),
        none.alias("chapter99_numbers"),
        pl.lit(0.0).alias("additional_duty_usd"),
        pl.lit(0.0).alias("adcvd_deposit_usd"),
        none.alias("adcvd_case_number"),
        none.alias("spi"),
        "related_party",
    )
