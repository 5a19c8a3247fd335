"""Expected duty for one entry line, each component with its legal basis and the data versions.

Where the data cannot decide (a conditional rate, a specific rate without the quantity in its
unit, an unknown deposit rate) the amount is left null and a note says which fact is missing:
the computation never guesses. ``total_usd`` is null unless every component is known.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.refdata.chapter99 import CHAPTER99_CAVEAT
from tradeguard.refdata.rates import ParsedRate
from tradeguard.refdata.tariff import normalise_hts
from tradeguard.refdata.trade_programs import (
    HMF_LEGAL_BASIS,
    HMF_RATE,
    INFORMAL_ENTRY_LIMIT_USD,
    MPF_LEGAL_BASIS,
    TABLES_VERSION,
    fee_schedule,
    is_column2,
    program_eligibility,
)
from tradeguard.refdata.units import UNIT_CONVERSIONS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tradeguard.refdata.loader import ReferenceData
    from tradeguard.refdata.tariff import TariffLine

__all__ = ["DutyComponent", "DutyResult", "compute_duty", "compute_duty_frame"]

VESSEL_MODES = frozenset({"10", "11", "12"})


@dataclass(frozen=True)
class DutyComponent:
    """One duty, fee or additional duty; ``amount_usd`` null when the data cannot decide."""

    name: str
    legal_basis: str
    rate: str
    amount_usd: float | None


@dataclass
class DutyResult:
    """Everything needed to explain an expected duty: rate used, components, notes, versions."""

    hts10: str
    description: str
    origin: str
    on: date
    value_usd: float
    general_rate: str
    rate_column: str
    applied_rate: str
    components: list[DutyComponent]
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def total_usd(self) -> float | None:
        """Sum of components, or None when any amount is undetermined."""
        amounts = [c.amount_usd for c in self.components]
        if any(a is None for a in amounts):
            return None
        return round(sum(a for a in amounts if a is not None), 2)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``tradeguard duty`` output)."""
        out = asdict(self)
        out["on"] = self.on.isoformat()
        out["total_usd"] = self.total_usd
        out["total_known_usd"] = round(
            sum(c.amount_usd for c in self.components if c.amount_usd is not None), 2)
        return out


def quantity_in(quantity: float | None, unit: str | None, wanted: str) -> float | None:
    """The declared quantity expressed in the rate's unit, by exact conversions only."""
    if quantity is None or unit is None:
        return None
    unit = unit.upper()
    if unit == wanted:
        return quantity
    factor = UNIT_CONVERSIONS.get((unit, wanted))
    return None if factor is None else quantity * factor


def rate_amount(rate: ParsedRate, value_usd: float, quantity: float | None,
                unit: str | None, notes: list[str]) -> float | None:
    """Duty at a parsed rate; None (with a note) when a needed fact is missing."""
    if not rate.computable:
        notes.append(f"rate {rate.text!r} depends on facts not declared ({rate.reason or 'n/a'});"
                     " amount not computed")
        return None
    amount = (rate.ad_valorem or 0.0) * value_usd
    if rate.specific_usd and rate.specific_unit:
        qty = quantity_in(quantity, unit, rate.specific_unit)
        if qty is None:
            notes.append(f"specific rate {rate.text!r} needs the quantity in "
                         f"{rate.specific_unit}; declared {quantity} {unit or '(no unit)'}")
            return None
        amount += rate.specific_usd * qty
    return round(amount, 2)


def _select_rate(ref: ReferenceData, line: TariffLine, origin: str, on: date,
                 spi: str | None, notes: list[str]) -> tuple[str, ParsedRate, str]:
    """(column, rate, legal basis): column 2 first, then an eligible special claim, else general."""
    column2_basis = is_column2(origin, on)
    if column2_basis:
        if spi:
            notes.append(f"SPI {spi} ignored: {origin} is a column 2 country")
        return "column2", line.column2, column2_basis
    if spi:
        listed = spi.upper() in line.special_programs
        eligible, reason = program_eligibility(spi, origin, on)
        special = ref.tariff.special_rate(line.hts10, spi.upper()) if listed else None
        if listed and eligible and special is not None:
            return "special", special, f"{reason}; HTSUS {line.hts8} special column"
        why = reason if listed else f"SPI {spi} is not listed for HTS {line.hts10}"
        notes.append(f"special rate not granted: {why}; general rate applied")
    return "general", line.general, f"HTSUS {line.hts8} column 1 general (General Note 3(a))"


def _chapter99(ref: ReferenceData, origin: str, on: date, spi: str | None, value_usd: float,
               declared: Sequence[str], notes: list[str]) -> list[DutyComponent]:
    table = ref.tariff.chapter99
    if table.is_empty():
        return []
    out: list[DutyComponent] = []
    declared_set = {d.strip() for d in declared if d.strip()}
    naming = table.filter(pl.col("countries").list.contains(origin))
    wide = naming.filter((pl.col("scope") == "country_wide") & (
        pl.col("in_force_until").is_null() | (pl.col("in_force_until") > on)))
    if spi and spi.upper() in {"S", "S+"} and origin in {"CA", "MX"}:
        wide = wide.clear()  # USMCA-originating goods: "no change" headings (e.g. 9903.01.04)
    charged = set(wide["heading"].to_list())
    if len(charged) > 1:
        # Several country-wide headings (rate changes over time) and no way to tell from the
        # data which one governs the date: list them, charge none.
        notes.append(f"Chapter 99 country-wide headings for {origin} are alternatives the data "
                     f"cannot choose between on {on.isoformat()}: {sorted(charged)}; not charged")
        undetermined = True
        charged = set()
    else:
        undetermined = False
    for row in table.filter(pl.col("heading").is_in(sorted(declared_set | charged))).iter_rows(
            named=True):
        pct = row["added_ad_valorem"]
        amount = None if pct is None else round(pct * value_usd, 2)
        if pct is None:
            notes.append(f"Chapter 99 {row['heading']}: no ad valorem add-on in the data")
        out.append(DutyComponent(
            name=f"Chapter 99 additional duty ({row['program'] or 'unlabelled'})",
            legal_basis=f"HTSUS {row['heading']}" + (
                f", subchapter note {row['us_note']}" if row["us_note"] else ""),
            rate=f"+{pct * 100:g}%" if pct is not None else "see heading", amount_usd=amount))
    for unknown in sorted(declared_set - set(table["heading"].to_list())):
        notes.append(f"declared Chapter 99 number {unknown} not in the data; not charged")
    maybe = naming.filter(~pl.col("heading").is_in(sorted(charged | declared_set)))
    if not maybe.is_empty():
        groups = maybe.group_by("program").len().sort("program").rows()
        listed = "; ".join(f"{p or 'unlabelled'} ({n} headings)" for p, n in groups)
        notes.append(f"Chapter 99 measures naming {origin} may apply depending on product "
                     f"lists not in the data: {listed}")
    if undetermined:
        out.append(DutyComponent("Chapter 99 additional duty (undetermined)",
                                 f"HTSUS chapter 99 headings for {origin}", "unknown", None))
    if out or not maybe.is_empty():
        notes.append(CHAPTER99_CAVEAT)
    return out


def _adcvd(ref: ReferenceData, case: str, line: TariffLine, origin: str, value_usd: float,
           notes: list[str]) -> DutyComponent:
    orders = ref.adcvd_orders.filter(pl.col("case_number") == case.strip().upper())
    if orders.is_empty():
        notes.append(f"AD/CVD case {case} not in the order list; deposit unknown")
        return DutyComponent(f"AD/CVD cash deposit ({case})", "19 U.S.C. 1673/1671; case "
                             "not found", "unknown", None)
    order = orders.row(0, named=True)
    if order["country"] and order["country"] != origin:
        notes.append(f"case {case} covers {order['country']}, declared origin is {origin}")
    prefixes = order["hts_prefixes"] or []
    if prefixes and not any(line.hts10.startswith(p) for p in prefixes):
        notes.append(f"HTS {line.hts10} not among the convenience HTS numbers of {case} "
                     "(the written scope governs)")
    statute = "19 U.S.C. 1673 (antidumping)" if order["order_type"] == "AD" else \
        "19 U.S.C. 1671 (countervailing)"
    rate = order["deposit_rate"]
    if rate is None:
        notes.append(f"deposit rate for {case} unknown in the order list: take the "
                     "company-specific cash-deposit rate from Commerce's instructions")
        return DutyComponent(f"AD/CVD cash deposit ({case})", statute, "unknown", None)
    return DutyComponent(f"AD/CVD cash deposit ({case})", statute, f"{rate * 100:g}%",
                         round(rate * value_usd, 2))


def compute_duty(ref: ReferenceData, hts: str, origin: str, value_usd: float, *,
                 quantity: float | None = None, unit: str | None = None,
                 on: date | None = None, spi: str | None = None, adcvd_case: str | None = None,
                 chapter99: Sequence[str] = (), mode_of_transport: str | None = None,
                 formal: bool | None = None) -> DutyResult:
    """Expected duty, fees and deposits for one line (raises UnknownTariffNumber if no code)."""
    when = on or date.today()
    if value_usd < 0:
        raise ValueError(f"value_usd must not be negative: {value_usd}")
    origin = origin.strip().upper()
    line = ref.tariff.require(normalise_hts(hts), when)
    notes: list[str] = []
    column, rate, basis = _select_rate(ref, line, origin, when, spi, notes)
    components = [DutyComponent(f"HTS duty ({column})", basis, rate.text or "(none)",
                                rate_amount(rate, value_usd, quantity, unit, notes))]
    components += _chapter99(ref, origin, when, spi, value_usd, chapter99, notes)
    if adcvd_case:
        components.append(_adcvd(ref, adcvd_case, line, origin, value_usd, notes))
    is_formal = formal if formal is not None else value_usd > INFORMAL_ENTRY_LIMIT_USD
    if is_formal:
        fees = fee_schedule(when)
        if not fees.valid_from <= when < fees.valid_to:
            notes.append(f"no MPF row for {when.isoformat()}; FY{fees.fiscal_year} limits used")
        mpf = min(max(value_usd * fees.mpf_rate, fees.mpf_min_usd), fees.mpf_max_usd)
        components.append(DutyComponent(
            "Merchandise processing fee", f"{MPF_LEGAL_BASIS}; FY{fees.fiscal_year}: "
            f"min ${fees.mpf_min_usd:.2f}, max ${fees.mpf_max_usd:.2f} ({fees.source})",
            f"{fees.mpf_rate * 100:.4f}%", round(mpf, 2)))
    else:
        notes.append("informal entry (value at or under $2,500): formal-entry MPF not charged")
    if mode_of_transport in VESSEL_MODES:
        components.append(DutyComponent("Harbor maintenance fee", HMF_LEGAL_BASIS,
                                        f"{HMF_RATE * 100:.3f}%", round(value_usd * HMF_RATE, 2)))
    versions = {k: v for k, v in ref.versions.items()
                if k in {"tariff", "tariff_special", "chapter99", "adcvd_orders"}}
    versions["trade_programs"] = TABLES_VERSION
    return DutyResult(line.hts10, line.description, origin, when, value_usd, line.general_rate,
                      column, rate.text, components, notes, versions)


def compute_duty_frame(lines: pl.DataFrame, ref: ReferenceData,
                       on: date | None = None) -> pl.DataFrame:
    """Vectorised expected duty for many lines (see :mod:`tradeguard.refdata.duty_frame`)."""
    from tradeguard.refdata.duty_frame import expected_duty_frame

    return expected_duty_frame(lines, ref, on)
