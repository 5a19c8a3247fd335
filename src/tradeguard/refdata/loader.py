"""Load reference data lazily: one Parquet read per data set, on first use.

The shipped copy lives in ``refdata/data``; ``--refdata DIR`` (or ``Settings.refdata_dir``)
points at another built copy, and a versioned store of imported official files can override
single data sets, chosen by version id or by the date a past decision was made.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from tradeguard.refdata.catalog import MANIFEST, WATCHLIST_NAMES
from tradeguard.refdata.store import VersionStore
from tradeguard.refdata.tariff import TariffSchedule

SHIPPED_DIR = Path(__file__).parent / "data"


class ReferenceDataError(RuntimeError):
    """A reference-data folder is missing, incomplete or does not hold the asked version."""


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """Data set name -> manifest entry, each with the folder it lives in (``dir``)."""
    path = folder / MANIFEST
    if not path.is_file():
        raise ReferenceDataError(
            f"{folder}: no {MANIFEST}; build one with `tradeguard refdata build SRC {folder}`")
    datasets: dict[str, dict[str, Any]] = json.loads(path.read_text("utf-8"))["datasets"]
    return {name: {**entry, "dir": str(folder)} for name, entry in datasets.items()}


class ReferenceData:
    """Every reference data set, each read from Parquet the first time it is used."""

    def __init__(self, entries: dict[str, dict[str, Any]], notes: list[str] | None = None) -> None:
        self.entries = entries
        self.notes = notes or []

    def frame(self, name: str) -> pl.DataFrame:
        """The raw frame of one data set by its manifest name."""
        entry = self.entries.get(name)
        if entry is None:
            raise ReferenceDataError(f"data set {name!r} is not in this reference data")
        return pl.read_parquet(Path(entry["dir"]) / entry["file"])

    @property
    def versions(self) -> dict[str, str]:
        """Data set name -> version id (as-of date + content hash)."""
        return {name: str(entry["version"]) for name, entry in sorted(self.entries.items())}

    def provenance(self, name: str) -> dict[str, Any]:
        """Source, licence, as-of, rows and hashes of one data set."""
        return {k: v for k, v in self.entries[name].items() if k != "dir"}

    @cached_property
    def tariff(self) -> TariffSchedule:
        """HTSUS statistical lines with parsed rates, special programs and Chapter 99."""
        chapter99 = self.frame("chapter99") if "chapter99" in self.entries else pl.DataFrame()
        return TariffSchedule(self.frame("tariff"), self.frame("tariff_special"), chapter99,
                              self.versions["tariff"])

    @cached_property
    def watchlists(self) -> pl.DataFrame:
        """All watch lists in one normalised entity frame (``list`` names the list)."""
        frames = [self.frame(n).with_columns(pl.lit(self.versions[n]).alias("list_version"))
                  for n in WATCHLIST_NAMES if n in self.entries]
        return pl.concat(frames, how="vertical_relaxed")

    def watchlists_on(self, on: date) -> pl.DataFrame:
        """Entities listed on a date: added on or before it and not removed by then."""
        frame = self.watchlists
        return frame.filter(
            (pl.col("date_added").is_null() | (pl.col("date_added") <= on))
            & (pl.col("date_removed").is_null() | (pl.col("date_removed") > on)))

    @cached_property
    def adcvd_orders(self) -> pl.DataFrame:
        """AD/CVD orders; ``deposit_rate`` a fraction or null when the list does not say."""
        return self.frame("adcvd_orders")

    @cached_property
    def countries(self) -> pl.DataFrame:
        """ISO 3166-1 countries (iso2, iso3, name, currency, region)."""
        return self.frame("countries")

    @cached_property
    def ports(self) -> pl.DataFrame:
        """CBP 4-digit port codes."""
        return self.frame("ports")

    @cached_property
    def fx(self) -> pl.DataFrame:
        """Monthly Fed H.10 rates with quote direction and a units-per-USD column."""
        return self.frame("fx_monthly")

    @cached_property
    def hs2022(self) -> pl.DataFrame:
        """WCO HS 2022 nomenclature (2/4/6 digits)."""
        return self.frame("hs2022")

    def locode(self, table: str) -> pl.DataFrame:
        """A UN/LOCODE support table: countries, subdivisions, functions, status, aliases
        (read once per reference data; detectors ask for them on every batch)."""
        cache: dict[str, pl.DataFrame] = self.__dict__.setdefault("_locode", {})
        if table not in cache:
            cache[table] = self.frame(f"locode_{table}")
        return cache[table]


def load_reference_data(path: Path | None = None, *, store: Path | None = None,
                        as_of: date | None = None,
                        versions: dict[str, str] | None = None) -> ReferenceData:
    """Load the shipped (or ``path``) reference data, overridden from a version store.

    With ``as_of`` each data set is the newest version whose as-of date is on or before it
    (so a past decision is explained with the data of its day); ``versions`` pins data sets
    to exact version ids; without either, the newest version wins.
    """
    folder = Path(path) if path is not None else SHIPPED_DIR
    entries = read_manifest(folder)
    notes: list[str] = []
    if store is not None:
        entries = VersionStore(store).overlay(entries, as_of=as_of, versions=versions, notes=notes)
    elif versions:
        for name, wanted in versions.items():
            if entries.get(name, {}).get("version") != wanted:
                raise ReferenceDataError(f"version {wanted!r} of {name!r} not available "
                                         f"in {folder} (no version store given)")
    if as_of is not None:
        for name, entry in entries.items():
            if str(entry["as_of"]) > as_of.isoformat():
                notes.append(f"{name}: no version as of {as_of.isoformat()}; using "
                             f"{entry['version']} (newer than the date asked)")
    return ReferenceData(entries, notes)
