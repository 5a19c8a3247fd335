"""Reference tables the checks join, built once per reference data and thresholds.

The program table, the AD/CVD orders split by HTS prefix length, the unit and chapter bounds
and the country list depend only on the reference data and the configuration, not on the
lines checked; rebuilding them (and hashing the whole tariff in a join) on every call was
most of the cost of checking one entry. The detector keeps one :class:`CheckTables` and
builds a new one only when the reference data or the thresholds it was given change.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from tradeguard.detectors.entry_checks.config import Plausibility
from tradeguard.detectors.entry_checks.mid_checks import VerdictMemory
from tradeguard.refdata.tariff import TariffSchedule
from tradeguard.refdata.trade_programs import SPECIAL_PROGRAMS

if TYPE_CHECKING:
    from tradeguard.refdata import ReferenceData

#: Batches with more distinct HTS numbers than this join the whole tariff instead of taking
#: their rows by index (hashing 20,000 rows beats a Python lookup per code past this point).
SMALL_BATCH_CODES = 2_000

# Units whose quantity is a mass: kilograms per unit, and whether it is the whole net mass
# (so it bounds packing from above too) or only a content (metal content, dry weight).
MASS_UNITS: dict[str, tuple[float, bool]] = {
    "KG": (1.0, True), "GM": (0.001, True), "T": (1000.0, True),
    "CKG": (1.0, False), "CGM": (0.001, False), "CTN": (1000.0, False),
    "CYK": (1.0, False), "KSC": (1.0, False), "KMS": (1.0, False), "KTS": (1.0, False),
    "KAM": (1.0, False), "ADW": (1000.0, False), "DWB": (1000.0, False),
}
# Articles per unit of count units (a pair is one article of footwear or gloves).
ARTICLES: dict[str, float] = {"NO": 1, "PCS": 1, "PRS": 1, "DOZ": 12, "DPR": 12, "DPC": 12,
                              "GRS": 144, "HUN": 100, "THS": 1000}


def program_table() -> pl.DataFrame:
    """One row per special program indicator: program, partner countries, validity, basis."""
    rows = [{"_spi": code, "program": p.name, "partners": sorted(p.countries),
             "prog_from": p.valid_from, "prog_to": p.valid_to, "legal_basis": p.legal_basis}
            for p in SPECIAL_PROGRAMS for code in p.codes]
    return pl.DataFrame(rows, schema={"_spi": pl.String, "program": pl.String,
                                      "partners": pl.List(pl.String), "prog_from": pl.Date,
                                      "prog_to": pl.Date, "legal_basis": pl.String})


def unit_table(cfg: Plausibility) -> pl.DataFrame:
    """Per declared unit: kg per unit (mass units), articles per unit, kg bounds (density)."""
    mass = pl.DataFrame({"_unit": list(MASS_UNITS),
                         "_kg_per_unit": [v[0] for v in MASS_UNITS.values()],
                         "_whole_mass": [v[1] for v in MASS_UNITS.values()]})
    count = pl.DataFrame({"_unit": list(ARTICLES),
                          "_articles_per_unit": [float(v) for v in ARTICLES.values()]})
    dense = pl.DataFrame({"_unit": list(cfg.unit_mass),
                          "_unit_min": [v[0] for v in cfg.unit_mass.values()],
                          "_unit_max": [v[1] for v in cfg.unit_mass.values()]},
                         schema={"_unit": pl.String, "_unit_min": pl.Float64,
                                 "_unit_max": pl.Float64})
    return (mass.join(count, on="_unit", how="full", coalesce=True)
            .join(dense, on="_unit", how="full", coalesce=True))


def chapter_floor(cfg: Plausibility) -> pl.DataFrame:
    """Value floor in USD per gross kg by two-digit HTS chapter."""
    rows = {f"{c:02d}": b.value for b in cfg.value_floor_usd_per_kg
            for c in range(b.first, b.last + 1)}
    return pl.DataFrame({"_chapter": list(rows), "_floor": list(rows.values())},
                        schema={"_chapter": pl.String, "_floor": pl.Float64})


def article_rows(cfg: Plausibility) -> list[tuple[int, dict[str, tuple[float, float]]]]:
    """The article weight rows by prefix length, longest first: (length, prefix -> (min,
    max) kg); a prefix listed twice keeps its last row."""
    by_length: dict[int, dict[str, tuple[float, float]]] = {}
    for row in cfg.article_weight:
        by_length.setdefault(len(row.prefix), {})[row.prefix] = (row.min_kg, row.max_kg)
    return sorted(by_length.items(), reverse=True)


def article_bounds(cfg: Plausibility) -> tuple[pl.Expr, pl.Expr]:
    """Per-article kg bounds of ``hts_digits``: the longest matching prefix row wins (the
    last such row if a prefix is listed twice), else the default band."""
    by_length = article_rows(cfg)
    lo, hi = cfg.article_weight_default
    bounds = []
    for side, default in ((0, lo), (1, hi)):
        found = [pl.col("hts_digits").str.slice(0, n).replace_strict(
            {p: b[side] for p, b in rows.items()}, default=None, return_dtype=pl.Float64)
            for n, rows in by_length]
        bounds.append(pl.coalesce(*found, pl.lit(float(default), pl.Float64)))
    return bounds[0], bounds[1]


def _row_spans(codes: pl.Series) -> dict[str, tuple[int, int]]:
    """First row and row count of each code in a frame sorted by code."""
    runs = (codes.to_frame("code").with_row_index("row")
            .group_by("code", maintain_order=True).agg(pl.col("row").first(), pl.len()))
    return {c: (int(r), int(n)) for c, r, n in runs.iter_rows()}


TariffIndex = tuple[pl.DataFrame, dict[str, tuple[int, int]]]
_TARIFFS: weakref.WeakKeyDictionary[TariffSchedule, TariffIndex] = weakref.WeakKeyDictionary()
_TARIFFS_LOCK = threading.Lock()


def tariff_index(schedule: TariffSchedule) -> TariffIndex:
    """The tariff columns the checks read, sorted by HTS number, with each number's rows.

    Kept per schedule while it lives (indexing 20,000 lines takes ~15 ms), so detectors made
    afresh over the same reference data share it.
    """
    with _TARIFFS_LOCK:
        found = _TARIFFS.get(schedule)
        if found is None:
            tariff = (schedule.frame.select(
                "hts10", pl.col("units").alias("tariff_units"), "valid_from", "valid_to",
                pl.col("special_programs").alias("tariff_programs"),
                pl.lit(True).alias("_listed")).sort("hts10", maintain_order=True))
            found = _TARIFFS[schedule] = (tariff, _row_spans(tariff["hts10"]))
        return found


@dataclass(frozen=True)
class CheckTables:
    """Everything the checks read besides the lines, for one reference data and config."""

    ref: ReferenceData
    plausibility: Plausibility
    tariff: pl.DataFrame  # hts10, tariff_units, validity, tariff_programs, _listed; by hts10
    tariff_spans: dict[str, tuple[int, int]]
    programs: pl.DataFrame
    orders_by_length: tuple[tuple[int, pl.DataFrame], ...]  # AD/CVD prefixes by length
    adcvd_version: str | None
    iso2_not_ca: pl.Series  # ISO country codes a MID may start with (Canada uses provinces)
    units: pl.DataFrame
    chapter_floor: pl.DataFrame
    article_min_kg: pl.Expr
    article_max_kg: pl.Expr
    # MID verdicts of manufacturers already checked against these tables (see mid_checks).
    mid_verdicts: dict[tuple[str | None, ...], tuple[object, ...]] = field(
        default_factory=dict, compare=False, repr=False)
    mid_memory: VerdictMemory = field(default_factory=VerdictMemory, compare=False, repr=False)

    @classmethod
    def build(cls, ref: ReferenceData, plausibility: Plausibility) -> CheckTables:
        """Read and shape the tables once."""
        tariff, spans = tariff_index(ref.tariff)
        orders = (ref.adcvd_orders.select("case_number", "country", "product", "order_date",
                                          pl.col("hts_prefixes").alias("prefix"))
                  .explode("prefix").drop_nulls("prefix")
                  .with_columns(pl.col("prefix").str.len_chars().alias("_len")))
        by_length = tuple((n, orders.filter(pl.col("_len") == n).drop("_len"))
                          for n in orders["_len"].unique().sort().to_list())
        iso2 = [c for c in ref.countries["iso2"].to_list() if c != "CA"]
        low, high = article_bounds(plausibility)
        return cls(ref, plausibility, tariff, spans, program_table(),
                   by_length, ref.versions.get("adcvd_orders"), pl.Series(iso2, dtype=pl.String),
                   unit_table(plausibility), chapter_floor(plausibility), low, high)

    def tariff_for(self, codes: pl.Series) -> pl.DataFrame:
        """The tariff rows a batch with these HTS numbers can join to (all, for big batches)."""
        distinct = codes.drop_nulls().unique()
        if distinct.len() > SMALL_BATCH_CODES:
            return self.tariff
        rows = [r for c in distinct.sort().to_list() if (s := self.tariff_spans.get(c))
                for r in range(s[0], s[0] + s[1])]
        return self.tariff[rows] if rows else self.tariff.clear()
