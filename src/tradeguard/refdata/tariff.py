"""The tariff schedule as loaded: fast lookups of one statistical number and the whole frame."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

import polars as pl

from tradeguard.refdata.rates import ParsedRate


class UnknownTariffNumber(LookupError):
    """The code is not a 10-digit statistical number in the schedule in force."""


def normalise_hts(code: str) -> str:
    """``'6109.10.00.12'`` / ``'6109.10.0012'`` -> ``'6109100012'`` (digits only)."""
    return "".join(ch for ch in str(code) if ch.isdigit())


@dataclass(frozen=True)
class TariffLine:
    """One 10-digit statistical number with the rates it inherits from its 8-digit parent."""

    hts10: str
    hts8: str
    description: str
    units: tuple[str, ...]
    general_rate: str
    special_rate: str
    column2_rate: str
    general: ParsedRate
    column2: ParsedRate
    special_programs: tuple[str, ...]
    valid_from: date | None
    valid_to: date | None
    version: str

    def valid_on(self, on: date) -> bool:
        """True when the number is in force on that date (open ends count as in force)."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on < self.valid_to)


def _parsed(row: dict[str, object], prefix: str, text: str) -> ParsedRate:
    unit_key = "specific_unit" if prefix == "general" else f"{prefix}_specific_unit"
    return ParsedRate(
        text=text, kind=str(row[f"{prefix}_kind"]),
        ad_valorem=row[f"{prefix}_ad_valorem"],  # type: ignore[arg-type]
        specific_usd=row[f"{prefix}_specific"],  # type: ignore[arg-type]
        specific_unit=row[unit_key],  # type: ignore[arg-type]
    )


class TariffSchedule:
    """HTSUS statistical lines (``frame``), special-program rates and Chapter 99 measures."""

    def __init__(self, frame: pl.DataFrame, special: pl.DataFrame, chapter99: pl.DataFrame,
                 version: str) -> None:
        self.frame = frame
        self.special = special
        self.chapter99 = chapter99
        self.version = version

    @cached_property
    def _index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.frame["hts10"].to_list())}

    def get(self, code: str) -> TariffLine | None:
        """The statistical line for a code (dots optional), or None if not in the schedule."""
        row_no = self._index.get(normalise_hts(code))
        if row_no is None:
            return None
        row = self.frame.row(row_no, named=True)
        return TariffLine(
            hts10=row["hts10"], hts8=row["hts8"], description=row["description"],
            units=tuple(row["units"] or ()), general_rate=row["general_rate"],
            special_rate=row["special_rate"], column2_rate=row["column2_rate"],
            general=_parsed(row, "general", row["general_rate"]),
            column2=_parsed(row, "column2", row["column2_rate"]),
            special_programs=tuple(row["special_programs"] or ()),
            valid_from=row["valid_from"], valid_to=row["valid_to"], version=self.version,
        )

    def require(self, code: str, on: date | None = None) -> TariffLine:
        """Like :meth:`get` but raises a clear error for an unknown or expired number."""
        line = self.get(code)
        if line is None:
            raise UnknownTariffNumber(
                f"HTS {code!r} is not a 10-digit statistical number in HTS version {self.version}")
        if on is not None and not line.valid_on(on):
            raise UnknownTariffNumber(f"HTS {code!r} is not in force on {on.isoformat()}")
        return line

    def special_rate(self, code: str, program: str) -> ParsedRate | None:
        """The rate a special program gives this line, or None if the line does not list it."""
        hit = self.special.filter(
            (pl.col("hts10") == normalise_hts(code)) & (pl.col("program") == program))
        if hit.is_empty():
            return None
        row = hit.row(0, named=True)
        return ParsedRate(text=row["rate_text"], kind=row["special_kind"],
                          ad_valorem=row["special_ad_valorem"],
                          specific_usd=row["special_specific"],
                          specific_unit=row["special_specific_unit"])

    def is_valid(self, code: str, on: date) -> bool:
        """Validity of a code at a date in this schedule version."""
        line = self.get(code)
        return line is not None and line.valid_on(on)
