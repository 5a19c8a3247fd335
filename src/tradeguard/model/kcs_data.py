"""The Korea Customs Service synthetic declarations, read and turned into a feature table.

Evaluation-only public data (MIT, read from ``--data DIR`` at bench time, never shipped). The
files come pre-split in time order — train 2020, valid 2021-Q1, test 2021-Q2 — and the split is
kept: history features for valid use train outcomes only, for test train + valid outcomes only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from tradeguard.model._history import HistoryKey, HistorySpec, split_history_features

SPLIT_FILES = {
    "train": "df_syn_train_eng.csv",
    "valid": "df_syn_valid_eng.csv",
    "test": "df_syn_test_eng.csv",
}
LABEL = "Fraud"
CRITICAL = "Critical Fraud"
DUTY = "duty_at_stake"
UNIT_PRICE = "log_unit_price"

_TEXT = ["Declaration ID", "Date", "Office ID", "Process Type", "Import Type", "Import Use",
         "Payment Type", "Mode of Transport", "Declarant ID", "Importer ID", "Seller ID",
         "Courier ID", "HS6 Code", "Country of Departure", "Country of Origin", "Tax Type",
         "Country of Origin Indicator"]
_NUMBERS = ["Tax Rate", "Net Mass", "Item Price"]
_FLAGS = [LABEL, CRITICAL]

# Low-cardinality declaration fields the trees use directly (as categories).
CATEGORICAL = ["Office ID", "Process Type", "Import Type", "Import Use", "Payment Type",
               "Mode of Transport", "Country of Departure", "Country of Origin", "Tax Type",
               "Country of Origin Indicator"]
NUMERIC = ["Tax Rate", "Net Mass", "Item Price", DUTY, UNIT_PRICE]

HISTORY = HistorySpec(
    keys=(
        HistoryKey("importer", ("Importer ID",), "importer"),
        HistoryKey("declarant", ("Declarant ID",), "declarant (broker)"),
        HistoryKey("seller", ("Seller ID",), "foreign seller"),
        HistoryKey("hs6", ("HS6 Code",), "HS code"),
        HistoryKey("hs4", ("HS4",), "HS heading"),
        HistoryKey("hs2", ("HS2",), "HS chapter"),
        HistoryKey("origin", ("Country of Origin",), "country of origin"),
        HistoryKey("departure", ("Country of Departure",), "country of departure"),
        HistoryKey("office", ("Office ID",), "customs office"),
        HistoryKey("tax_type", ("Tax Type",), "tariff treatment"),
        HistoryKey("importer_hs6", ("Importer ID", "HS6 Code"), "importer for this HS code"),
        HistoryKey("declarant_importer", ("Declarant ID", "Importer ID"),
                   "declarant with this importer"),
        HistoryKey("hs6_origin", ("HS6 Code", "Country of Origin"), "HS code from this origin"),
        HistoryKey("office_hs6", ("Office ID", "HS6 Code"), "HS code at this office"),
        HistoryKey("route", ("Country of Departure", "Country of Origin"),
                   "departure-origin route"),
    ),
    outcome=LABEL,
    critical="critical_flag",
    unit_value=UNIT_PRICE,
)


@dataclass(frozen=True)
class KcsSplits:
    """The three time-ordered splits as read, plus the SHA-256 of each input file."""

    train: pl.DataFrame
    valid: pl.DataFrame
    test: pl.DataFrame
    file_hashes: dict[str, str]


def read_split(path: Path) -> pl.DataFrame:
    """Read one split, checking every column; errors name the file, row and field."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    raw = pl.read_csv(path, infer_schema=False)
    missing = [c for c in _TEXT + _NUMBERS + _FLAGS if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    typed = raw.with_columns(
        [pl.col(c).cast(pl.Float64, strict=False) for c in _NUMBERS]
        + [pl.col(c).cast(pl.Int64, strict=False) for c in _FLAGS]
    )
    for c in _NUMBERS + _FLAGS:
        bad = typed.get_column(c).is_null() & raw.get_column(c).is_not_null()
        if c in _FLAGS:
            bad = bad | raw.get_column(c).is_null()
        if bad.any():
            row = int(bad.arg_true()[0])
            raise ValueError(f"{path}: row {row + 1}: field {c!r} is not a number "
                             f"({raw.get_column(c)[row]!r})")
    return typed


def load_kcs(data_dir: Path) -> KcsSplits:
    """Read the train/valid/test files of the KCS folder (see its PROVENANCE.md)."""
    frames = {name: read_split(data_dir / file) for name, file in SPLIT_FILES.items()}
    hashes = {
        file: hashlib.sha256((data_dir / file).read_bytes()).hexdigest()
        for file in SPLIT_FILES.values()
    }
    return KcsSplits(frames["train"], frames["valid"], frames["test"], hashes)


def declaration_fields(frame: pl.DataFrame) -> pl.DataFrame:
    """Derived per-line fields: duty at stake, log unit price, HS heading and chapter."""
    return frame.with_columns(
        (pl.col("Item Price") * pl.col("Tax Rate") / 100).alias(DUTY),
        (pl.col("Item Price") / (pl.col("Net Mass") + 1e-3)).clip(0).log1p().alias(UNIT_PRICE),
        pl.col("HS6 Code").str.slice(0, 4).alias("HS4"),
        pl.col("HS6 Code").str.slice(0, 2).alias("HS2"),
        (pl.col(CRITICAL) == 2).cast(pl.Int64).alias("critical_flag"),
    )


def revenue_proxy(frame: pl.DataFrame) -> pl.Series:
    """The benchmark's revenue at risk: Fraud x Item Price x Tax Rate (duty that fraud hides)."""
    revenue = pl.col(LABEL) * pl.col("Item Price") * pl.col("Tax Rate") / 100
    return frame.select(revenue.alias("revenue")).to_series()


def feature_tables(
    splits: KcsSplits, *, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Model tables (declaration fields + history features + label) for train, valid, test."""
    train, valid, test = (declaration_fields(f) for f in (splits.train, splits.valid, splits.test))
    hist = split_history_features(train, valid, test, HISTORY, seed=seed)
    own = [*CATEGORICAL, *NUMERIC, LABEL]
    return tuple(  # type: ignore[return-value]
        pl.concat([f.select(own), h], how="horizontal")
        for f, h in zip((train, valid, test), hist, strict=True)
    )
