"""The check tables as dicts, for screening a request's lines in plain Python (:mod:`.request`).

Built once per :class:`~.reference.CheckTables` (a few small tables); the tariff row of an HTS
number is read on its first use and kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.detectors.entry_checks.reference import article_rows
from tradeguard.detectors.entry_checks.request_duty import DutyRates, duty_rates
from tradeguard.kept import Kept

if TYPE_CHECKING:
    from tradeguard.detectors.entry_checks.reference import CheckTables

#: HTS numbers whose rows are kept (numbers a request declares need not be in the tariff,
#: so what is kept is bounded).
KEPT_NUMBERS = 50_000


@dataclass
class RequestLookups:
    """The check tables as dicts (built once per tables; tariff rows per HTS number on first
    use, ~20 us each)."""

    tables: CheckTables
    duty: DutyRates
    units: dict[str, tuple[Any, ...]]
    floors: dict[str, float]
    articles: list[tuple[int, dict[str, tuple[float, float]]]]
    programs: dict[str, list[tuple[Any, ...]]]
    orders: list[tuple[int, dict[tuple[str, str], list[date | None]]]]
    #: (order_date, case_number, product) of the orders by prefix length and (country,
    #: prefix), in the order of the tables' rows
    order_cases: list[tuple[int, dict[tuple[str, str], list[tuple[Any, ...]]]]]
    iso2_not_ca: frozenset[str]
    tariff_rows: pl.DataFrame  # the tariff columns read, in the order of tables.tariff
    tariff: Kept[str, tuple[Any, ...] | None] = field(
        default_factory=lambda: Kept(KEPT_NUMBERS))

    @classmethod
    def build(cls, tables: CheckTables) -> RequestLookups:
        """Dicts of the small tables (the tariff is read per number later)."""
        programs: dict[str, list[tuple[Any, ...]]] = {}
        for row in tables.programs.iter_rows():
            programs.setdefault(row[0], []).append(row[1:])
        orders, cases = [], []
        for length, table in tables.orders_by_length:
            by_key: dict[tuple[str, str], list[date | None]] = {}
            case_rows: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
            for country, prefix, when, case, product in table.select(
                    "country", "prefix", "order_date", "case_number", "product").iter_rows():
                by_key.setdefault((country, prefix), []).append(when)
                case_rows.setdefault((country, prefix), []).append((when, case, product))
            orders.append((length, by_key))
            cases.append((length, case_rows))
        return cls(tables, duty_rates(tables.ref),
                   {r[0]: r[1:] for r in tables.units.select(
                       "_unit", "_kg_per_unit", "_whole_mass", "_articles_per_unit",
                       "_unit_min", "_unit_max").iter_rows()},
                   dict(tables.chapter_floor.select("_chapter", "_floor").iter_rows()),
                   article_rows(tables.plausibility), programs, orders, cases,
                   frozenset(tables.iso2_not_ca.to_list()),
                   tables.tariff.select("tariff_units", "valid_from", "valid_to",
                                        "tariff_programs"))

    def tariff_row(self, hts10: str | None) -> tuple[Any, ...] | None:
        """(tariff_units, valid_from, valid_to, tariff_programs) of a listed number."""
        if hts10 is None:
            return None
        if hts10 not in self.tariff:
            span = self.tables.tariff_spans.get(hts10)
            if span is not None and span[1] != 1:
                raise Unsure  # several rows: the join would repeat the line
            return self.tariff.keep(
                hts10, None if span is None else self.tariff_rows.row(span[0]))
        return self.tariff[hts10]


class Unsure(Exception):
    """The plain reading cannot vouch for this input: take the general path."""


_KEPT: list[tuple[CheckTables, RequestLookups]] = []
_KEPT_LOCK = threading.Lock()


def request_lookups(tables: CheckTables) -> RequestLookups:
    """The lookups of ``tables``, built on first use and kept."""
    with _KEPT_LOCK:
        for kept_tables, kept in _KEPT:
            if kept_tables is tables:
                return kept
        built = RequestLookups.build(tables)
        _KEPT[:] = [(tables, built)]  # one set of tables at a time, as a detector keeps them
        return built
