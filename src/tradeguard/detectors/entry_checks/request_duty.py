"""The expected HTS duty of one request line in plain Python, for the entry checks' screen.

:func:`tradeguard.refdata.duty_frame.expected_duty_frame` joins five tables and runs a dozen
queries per call (~3 ms whatever the batch size); a request's few lines read the same rows
(:func:`~tradeguard.refdata.duty_lookups.duty_lookups`) through dicts and the same steps:
rate column, rate picks, unit conversion, the duty rounded to cents as Polars rounds
(``round(x * 100) / 100``, ties to even), and the reasons a duty stays undetermined.
Only the columns the entry checks read are given (the fees are not). Reference rows that
would repeat a line in the joins raise :class:`Ambiguous`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

import polars as pl

from tradeguard.kept import Kept
from tradeguard.refdata.duty_frame import COMPUTABLE
from tradeguard.refdata.duty_lookups import TARIFF_COLUMNS, DutyLookups, duty_lookups

if TYPE_CHECKING:
    from tradeguard.refdata import ReferenceData

_COMPUTABLE = frozenset(COMPUTABLE)
_SPECIAL_COLUMNS = ("_spi", "rate_text", "special_ad_valorem", "special_specific",
                    "special_specific_unit", "special_kind")
# The Chapter 99 exception of the duty frame: USMCA claims from Canada and Mexico.
_USMCA_SPI = ("S", "S+")
_USMCA_ORIGINS = ("CA", "MX")


#: HTS numbers whose rows are kept before the memory starts afresh.
KEPT_NUMBERS = 50_000


class LineDuty(NamedTuple):
    """The duty-frame columns the entry checks read of one line."""

    expected: float | None
    reason: str | None
    column: str | None
    rate_text: str | None


class Ambiguous(Exception):
    """Reference rows would repeat a line in the duty frame's joins."""


def round_cents(value: float) -> float:
    """Polars' ``round(2)`` of a float: ``round_ties_even(value * 100) / 100``, the value
    itself where that is not finite."""
    scaled = value * 100.0
    if not math.isfinite(scaled):
        return value
    rounded = float(round(scaled)) / 100.0
    return rounded if math.isfinite(rounded) else value


@dataclass
class DutyRates:
    """The duty lookups as dicts; tariff and special rows are read per HTS number on first
    use."""

    lookups: DutyLookups
    column2: dict[str, date]
    programs: dict[tuple[str, str], list[tuple[date | None, date | None]]]
    conversions: dict[tuple[str, str], float]
    chapter99: dict[str, list[tuple[float | None, date | None]]]
    tariff: pl.DataFrame  # TARIFF_COLUMNS of lookups.tariff
    special: pl.DataFrame  # _SPECIAL_COLUMNS of lookups.special
    rows: Kept[str, tuple[tuple[Any, ...] | None, dict[str, list[tuple[Any, ...]]]]] = field(
        default_factory=lambda: Kept(KEPT_NUMBERS))

    @classmethod
    def build(cls, ref: ReferenceData) -> DutyRates:
        """Dicts of the small tables (the tariff is read per number later)."""
        lookups = duty_lookups(ref.tariff)
        programs: dict[tuple[str, str], list[tuple[date | None, date | None]]] = {}
        for spi, origin, start, end in lookups.programs.iter_rows():
            programs.setdefault((spi, origin), []).append((start, end))
        conversions: dict[tuple[str, str], float] = {}
        for unit, target, factor in lookups.conversions.iter_rows():
            if (unit, target) in conversions:
                raise Ambiguous
            conversions[(unit, target)] = factor
        chapter99: dict[str, list[tuple[float | None, date | None]]] = {}
        if lookups.country_wide is not None:
            for origin, added, until in lookups.country_wide.select(
                    "_origin", "added_ad_valorem", "in_force_until").iter_rows():
                chapter99.setdefault(origin, []).append((added, until))
        column2: dict[str, date] = {}
        for origin, start in lookups.column2.iter_rows():
            if origin in column2:
                raise Ambiguous
            column2[origin] = start
        return cls(lookups, column2, programs, conversions, chapter99,
                   lookups.tariff.select(TARIFF_COLUMNS), lookups.special.select(_SPECIAL_COLUMNS))

    def _rows(self, hts10: str) -> tuple[tuple[Any, ...] | None,
                                         dict[str, list[tuple[Any, ...]]]]:
        found = self.rows.get(hts10)
        if found is None:
            look = self.lookups
            span = look.tariff_spans.get(hts10)
            if span is not None and span[1] != 1:
                raise Ambiguous
            tariff = None if span is None else self.tariff.row(span[0])
            special: dict[str, list[tuple[Any, ...]]] = {}
            start, count = look.special_spans.get(hts10, (0, 0))
            if count:
                for row in self.special.slice(start, count).iter_rows():
                    special.setdefault(row[0], []).append(row[1:])
            found = self.rows.keep(hts10, (tariff, special))
        return found

    def expected(self, hts10: str | None, origin: str | None, value: float | None,
                 qty: float | None, unit: str | None, spi: str | None, when: date,
                 ) -> LineDuty:
        """Expected HTS duty, the reason it is undetermined, rate column and rate text of one
        line whose fields are normalised as the entry checks' line frame has them."""
        origin = None if origin is None else origin.upper()
        unit = None if unit is None else unit.upper()
        spi = None if spi is None else spi.upper()
        tariff, specials = self._rows(hts10) if hts10 is not None else (None, {})
        special = specials.get(spi) if spi is not None else None
        if special is not None and len(special) > 1:
            raise Ambiguous
        (_, general_rate, general_av, general_specific, specific_unit, general_kind,
         column2_rate, column2_av, column2_specific, column2_unit, column2_kind) = (
            tariff or (None,) * len(TARIFF_COLUMNS))
        (rate_text, special_av, special_specific, special_unit, special_kind) = (
            special[0] if special else (None,) * 5)
        windows = self.programs.get((spi, origin), []) if spi is not None and origin is not None \
            else []
        if len(windows) > 1:
            raise Ambiguous
        prog_from, prog_to = windows[0] if windows else (None, None)
        col2_from = self.column2.get(origin) if origin is not None else None
        if general_kind is None:
            column = None
        elif col2_from is not None and when >= col2_from:
            column = "column2"
        elif special_kind is not None and prog_from is not None and when >= prog_from \
                and (prog_to is None or when < prog_to):
            column = "special"
        else:
            column = "general"
        if column == "column2":
            text, kind, av, specific, specific_to = (column2_rate, column2_kind, column2_av,
                                                     column2_specific, column2_unit)
        elif column == "special":
            text, kind, av, specific, specific_to = (rate_text, special_kind, special_av,
                                                     special_specific, special_unit)
        else:
            text, kind, av, specific, specific_to = (general_rate, general_kind, general_av,
                                                     general_specific, specific_unit)
        if unit is not None and specific_to is not None and unit == specific_to:
            factor: float | None = 1.0
        else:
            factor = self.conversions.get((unit, specific_to)) \
                if unit is not None and specific_to is not None else None
        per_unit = specific if specific is not None else 0.0
        needs_qty = per_unit > 0
        part: float | None = 0.0
        if needs_qty:
            part = None if qty is None or factor is None else per_unit * qty * factor
        duty = None
        if kind is not None and kind in _COMPUTABLE and value is not None and part is not None:
            duty = round_cents((av if av is not None else 0.0) * value + part)
        reason = None
        if column is None:
            reason = "hts_not_in_schedule"
        elif kind is not None and kind not in _COMPUTABLE:
            reason = "conditional_rate"
        elif needs_qty and (qty is None or factor is None):
            reason = "quantity_not_in_rate_unit"
        measures = [added for added, until in self.chapter99.get(origin or "", ())
                    if (until is None or until > when)
                    and not (spi in _USMCA_SPI and origin in _USMCA_ORIGINS)]
        if measures and (len(measures) > 1 or measures[0] is None):
            reason = "chapter99_alternatives"  # alternatives the data cannot choose between
        return LineDuty(duty, reason, column, text)


_KEPT: list[tuple[DutyLookups, DutyRates]] = []
_KEPT_LOCK = threading.Lock()


def duty_rates(ref: ReferenceData) -> DutyRates:
    """The :class:`DutyRates` of ``ref``'s tariff (kept for the latest schedule read)."""
    lookups = duty_lookups(ref.tariff)
    with _KEPT_LOCK:
        for kept_lookups, kept in _KEPT:
            if kept_lookups is lookups:
                return kept
        built = DutyRates.build(ref)
        _KEPT[:] = [(lookups, built)]
        return built
