"""Duty lookup tables built once per tariff schedule and reused by every duty-frame call.

Scoring one entry used to rebuild the program and unit tables and hash the whole tariff and
special-rate tables (about 200,000 rows) in each join. The tables are now built once per
loaded schedule (so once per tariff version) and indexed by HTS number: a small batch takes
only the rows of its own HTS numbers before joining, a large batch joins the full tables.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import date

import polars as pl

from tradeguard.refdata.tariff import TariffSchedule
from tradeguard.refdata.trade_programs import COLUMN2_COUNTRIES, SPECIAL_PROGRAMS
from tradeguard.refdata.units import UNIT_CONVERSIONS

TARIFF_COLUMNS = [
    "hts10", "general_rate", "general_ad_valorem", "general_specific", "specific_unit",
    "general_kind", "column2_rate", "column2_ad_valorem", "column2_specific",
    "column2_specific_unit", "column2_kind",
]
#: Batches with at most this many distinct HTS numbers take rows by index instead of joining
#: the whole tables (gathering a few rows beats hashing 200,000).
SMALL_BATCH_CODES = 2_000


def _programs() -> pl.DataFrame:
    rows = [{"_spi": code, "_origin": country, "prog_from": p.valid_from, "prog_to": p.valid_to}
            for p in SPECIAL_PROGRAMS for code in p.codes for country in p.countries]
    return pl.DataFrame(rows, schema={"_spi": pl.String, "_origin": pl.String,
                                      "prog_from": pl.Date, "prog_to": pl.Date})


def _conversions() -> pl.DataFrame:
    return pl.DataFrame(
        [{"_unit": a, "expected_specific_unit": b, "_factor": f}
         for (a, b), f in UNIT_CONVERSIONS.items()],
        schema={"_unit": pl.String, "expected_specific_unit": pl.String, "_factor": pl.Float64})


def _country_wide(chapter99: pl.DataFrame) -> pl.DataFrame | None:
    if chapter99.is_empty():
        return None
    return (chapter99.filter(pl.col("scope") == "country_wide")
            .explode("countries").select(pl.col("countries").alias("_origin"), "heading",
                                         "added_ad_valorem", "in_force_until"))


def _wide_ends(wide: pl.DataFrame | None) -> dict[str, date | None]:
    """Each origin's latest end of a country-wide measure; None when one has no end."""
    if wide is None:
        return {}
    ends = wide.group_by("_origin").agg(
        pl.when(pl.col("in_force_until").is_null().any()).then(None)
        .otherwise(pl.col("in_force_until").max()).alias("end"))
    return {str(o): e for o, e in ends.iter_rows()}


def _spans(codes: pl.Series) -> dict[str, tuple[int, int]]:
    """First row and row count of each code in a frame sorted by code."""
    runs = (codes.to_frame("code").with_row_index("row")
            .group_by("code", maintain_order=True).agg(pl.col("row").first(), pl.len()))
    return {c: (int(r), int(n)) for c, r, n in runs.iter_rows()}


@dataclass(frozen=True)
class DutyLookups:
    """The tables ``expected_duty_frame`` joins, ready for one tariff schedule version."""

    version: str
    tariff: pl.DataFrame  # TARIFF_COLUMNS, sorted by hts10
    special: pl.DataFrame  # hts10, _spi, rate columns, sorted by hts10
    tariff_spans: dict[str, tuple[int, int]]
    special_spans: dict[str, tuple[int, int]]
    column2: pl.DataFrame  # _origin, _col2_from
    programs: pl.DataFrame  # _spi, _origin, prog_from, prog_to
    conversions: pl.DataFrame  # _unit, expected_specific_unit, _factor
    country_wide: pl.DataFrame | None  # Chapter 99 country-wide measures by origin
    #: origin -> last day a country-wide measure of it is in force (None: no end date)
    country_wide_ends: dict[str, date | None]

    @classmethod
    def build(cls, schedule: TariffSchedule) -> DutyLookups:
        """Sort, index and narrow the schedule's tables (done once per schedule)."""
        tariff = schedule.frame.select(TARIFF_COLUMNS).sort("hts10", maintain_order=True)
        special = (schedule.special.rename({"program": "_spi"})
                   .sort("hts10", maintain_order=True))
        column2 = pl.DataFrame({"_origin": list(COLUMN2_COUNTRIES),
                                "_col2_from": [v[0] for v in COLUMN2_COUNTRIES.values()]})
        wide = _country_wide(schedule.chapter99)
        return cls(schedule.version, tariff, special, _spans(tariff["hts10"]),
                   _spans(special["hts10"]), column2, _programs(), _conversions(),
                   wide, _wide_ends(wide))

    def for_codes(self, codes: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Tariff and special-rate rows a batch with these HTS numbers can join to."""
        distinct = codes.drop_nulls().unique()
        if distinct.len() > SMALL_BATCH_CODES:
            return self.tariff, self.special
        return (self._take(self.tariff, self.tariff_spans, distinct),
                self._take(self.special, self.special_spans, distinct))

    @staticmethod
    def _take(frame: pl.DataFrame, spans: dict[str, tuple[int, int]],
              codes: pl.Series) -> pl.DataFrame:
        rows = [r for c in codes.to_list() if (s := spans.get(c)) for r in range(s[0], s[0] + s[1])]
        return frame[rows] if rows else frame.clear()


_BUILT: weakref.WeakKeyDictionary[TariffSchedule, DutyLookups] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def duty_lookups(schedule: TariffSchedule) -> DutyLookups:
    """The lookups of ``schedule``, built on first use and kept while the schedule lives."""
    with _LOCK:
        found = _BUILT.get(schedule)
        if found is None or found.version != schedule.version:
            found = DutyLookups.build(schedule)
            _BUILT[schedule] = found
        return found
