"""A request-sized screen: can a few declaration lines give any AD/CVD finding at all?

A scoring request holds 1-5 lines, and a Polars query costs ~100 us however small its frame,
so :meth:`AdcvdDetector.assess` (dozens of joins) costs tens of milliseconds per request.
Most requests have no line an AD/CVD order could cover; most of the rest declare the order
correctly and come from plants history has known for long. :class:`RequestScreen` answers
"nothing to find" for those from dicts built once per order list and baseline, with scalar
Python over the request's lines. It only ever answers ``False`` (no finding possible) when
the batch path provably finds nothing; anything it cannot settle, or that might fire, goes to
the batch path, which then makes the findings (or, when no line can be reported,
:mod:`.request_ties` and the deposit checks do). Thresholds come from the detector's
:class:`~tradeguard.detectors.adcvd.config.AdcvdConfig`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from tradeguard.detectors.adcvd.baseline import EvasionBaseline
from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.scope import prefixes_by_length
from tradeguard.frame_reads import column_types, named_rows
from tradeguard.request_path import REQUEST_LINES

#: Frames up to this many lines are screened line by line; larger ones take the batch path.
SMALL_REQUEST = REQUEST_LINES

# Columns the screen reads, with the dtypes the typed declaration frame gives them.
_TYPED: dict[str, type[pl.DataType]] = {
    "entry_number": pl.String, "line_number": pl.Int64, "hts_code": pl.String,
    "country_of_origin": pl.String, "entry_date": pl.Date, "quantity": pl.Float64,
    "entered_value_usd": pl.Float64,
}
_OPTIONAL: dict[str, type[pl.DataType]] = {
    "entry_type": pl.String, "adcvd_case_number": pl.String, "adcvd_deposit_usd": pl.Float64,
    "manufacturer_id": pl.String,
}
_NON_DIGIT = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isdigit()))
# A deposit this close to the shortfall bar is left to the batch path (its rounding decides).
_MARGIN_USD = 0.01


@dataclass(frozen=True)
class Order:
    case_number: str
    country: str | None
    order_date: date | None
    deposit_rate: float | None
    order_type: str | None


@dataclass(frozen=True)
class Triage:
    """A request's lines as read by the screen: the rows, each line's orders in force from
    a third country, and whether no deposit check fires on any line."""

    rows: list[dict[str, Any]]
    third: list[list[Order]]
    deposits_clear: bool


class Unsure(Exception):
    """The screen cannot settle a line: the batch path decides."""


def plain_text(value: Any) -> str | None:
    """A text field the batch path only strips and upper-cases: ASCII without surrounding
    whitespace, so both sides agree on it; anything else is left to the batch path."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.isascii() or value != value.strip():
        raise Unsure
    return value


class RequestScreen:
    """Order prefixes, the order list by case and the plants history knows, as dicts."""

    def __init__(self, orders: pl.DataFrame, baseline: EvasionBaseline,
                 cfg: AdcvdConfig) -> None:
        self.orders, self.baseline, self.cfg = orders, baseline, cfg
        by_case: dict[str, Order] = {}
        self.usable = True
        for row in orders.select("case_number", "country", "order_date",
                                 pl.col("deposit_rate").cast(pl.Float64),
                                 pl.col("order_type").cast(pl.String)).iter_rows():
            if row[0] in by_case or row[0] is None:
                self.usable = False  # a case listed twice: the batch path's joins multiply
            by_case[row[0]] = Order(*row)
        self.by_case = by_case
        self.prefixes: list[tuple[int, dict[str, list[str]]]] = []
        for length, rows in prefixes_by_length(orders):
            table: dict[str, list[str]] = {}
            for prefix, case in rows.select("hts_prefix", "case_number").iter_rows():
                table.setdefault(prefix, []).append(case)
            self.prefixes.append((length, table))
        self.first_seen_mid: dict[str, date] = {}
        if baseline.first_seen_mid.height:
            self.first_seen_mid = dict(
                baseline.first_seen_mid.select("mid_key", "first_seen").iter_rows())
        self.settled = (baseline.start + timedelta(days=cfg.established_after_days)
                        if baseline.start is not None else None)

    def fits(self, orders: pl.DataFrame, baseline: EvasionBaseline, cfg: AdcvdConfig) -> bool:
        """Whether this screen was built for these inputs (the same objects)."""
        return orders is self.orders and baseline is self.baseline and cfg is self.cfg

    def may_find(self, lines: pl.DataFrame) -> bool:
        """False only when the batch path finds nothing for ``lines``; True otherwise."""
        read = self.triage(lines)
        if read is None or not read.deposits_clear:
            return True
        if not any(read.third):
            return False
        return self.may_evade(read)

    def triage(self, lines: pl.DataFrame) -> Triage | None:
        """The request's lines read once: the third-country orders of each line and whether
        every deposit check passes; None when the screen cannot read them (too many lines,
        other dtypes, texts the batch path would normalise)."""
        if not self.usable or lines.height > SMALL_REQUEST:
            return None
        schema = column_types(lines)
        # type classes compared (each of these types is plain: its class says it), not
        # Polars types, whose comparison runs Python code per pair
        for name, dtype in _TYPED.items():
            if type(schema.get(name)) is not dtype:
                return None
        if any(c in schema and type(schema[c]) is not t for c, t in _OPTIONAL.items()):
            return None
        # absent optional fields read as None, as prepared; the rows are shared, never changed
        rows = named_rows(lines)
        try:
            read = [self._line(row) for row in rows]
        except Unsure:
            return None
        return Triage(rows, [third for third, _ in read], all(clear for _, clear in read))

    def _matched(self, hts: str | None, day: date | None) -> list[Order]:
        """Orders in force on ``day`` whose HTS prefix the line matches (each case once)."""
        if hts is None:
            return []
        digits = hts.translate(_NON_DIGIT)
        cases: dict[str, Order] = {}
        for length, table in self.prefixes:
            for case in table.get(digits[:length], ()):
                order = self.by_case[case]
                if day is None or order.order_date is None or day >= order.order_date:
                    cases[case] = order
        return list(cases.values())

    def _line(self, row: dict[str, Any]) -> tuple[list[Order], bool]:
        """The orders in force on the line from another country than its origin (the
        third-country candidates of the evasion indicators), and whether every deposit check
        passes on it."""
        hts = plain_text(row["hts_code"])
        matched = self._matched(hts, row["entry_date"])
        case = plain_text(row.get("adcvd_case_number"))
        declared = case.upper() if case else None
        if not matched and declared is None:
            return [], True
        origin_text = plain_text(row["country_of_origin"])
        origin = origin_text.upper() if origin_text is not None else None
        subject = [o for o in matched if origin is not None and o.country == origin]
        clear = True
        if subject or declared is not None:
            try:
                self._deposit_clear(row, subject, declared)
            except Unsure:
                clear = False
        third = [o for o in matched
                 if origin is not None and o.country is not None and o.country != origin]
        return third, clear

    def _deposit_clear(self, row: dict[str, Any], subject: list[Order],
                       declared: str | None) -> None:
        """Raise :class:`Unsure` unless every deposit check passes on this line."""
        valid = declared is not None and any(o.case_number == declared for o in subject)
        if declared is not None and not valid:
            raise Unsure  # a declared case that does not cover the line
        if subject and declared is None:
            raise Unsure  # subject merchandise without a case number
        entry_type = plain_text(row.get("entry_type"))
        if entry_type is None or entry_type != "03":
            raise Unsure  # missing case / entry type checks, or a null the batch path reads
        if not subject:
            return
        if valid:
            assert declared is not None
            rate = self.by_case[declared].deposit_rate
        else:
            rate = None if any(o.deposit_rate is None for o in subject) else sum(
                o.deposit_rate or 0.0 for o in subject)
        value, deposit = row["entered_value_usd"], row.get("adcvd_deposit_usd")
        paid = deposit if deposit is not None else 0.0
        if not all(math.isfinite(x) for x in (paid, rate or 0.0, value or 0.0)):
            raise Unsure  # NaN and infinities order differently in the batch path
        if rate is None:  # rate unknown: short only when no deposit is declared
            if paid <= 0:
                raise Unsure
            return
        if value is None:
            raise Unsure
        bar = rate * value * (1 - self.cfg.deposit_tolerance) - 1.0
        if paid < bar + _MARGIN_USD + 1e-9 * abs(bar):
            raise Unsure

    def may_evade(self, read: Triage) -> bool:
        """Whether a transshipment finding is possible on the candidate lines.

        A report needs a supply-side change on the plant (a new plant or a surge): a surge
        needs ``surge_min_count`` lines of the batch in one month, and a new plant one first
        seen after the settled start of history, which no plant is whose MID history saw by
        then (its first-seen date is at most that)."""
        cfg = self.cfg
        if not cfg.require_link_and_change or len(read.rows) >= cfg.surge_min_count:
            return True
        if self.settled is None:
            return False  # without history neither new-plant indicator fires
        for row, candidate in zip(read.rows, read.third, strict=True):
            if not candidate:
                continue
            mid = row.get("manufacturer_id")
            try:
                text = plain_text(mid)
            except Unsure:
                return True
            key = text.upper() if text else None
            seen = self.first_seen_mid.get(key) if key is not None else None
            if seen is None or seen > self.settled:
                return True
        return False
