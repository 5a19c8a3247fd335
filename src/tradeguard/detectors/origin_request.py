"""A request-sized screen for the origin detector: can a few lines give any finding at all?

A scoring request holds 1-5 lines; the batch path runs a dozen Polars queries (~100 us each,
whatever the frame's size) to find that, nearly always, nothing contradicts the declared
origin and every preference claim holds. :class:`OriginScreen` settles that with scalar
Python over the lines: country codes, signal weights summed per indicated country against
the detector's own :class:`~tradeguard.detectors.origin.OriginConfig` bars, the dated program
table and the tariff line's programs as dicts. The manufacturer address's country comes from
the detector's own gazetteer matcher, remembered per address (addresses repeat along a
plant's lines). It answers ``False`` only when the batch path provably finds nothing; a line it
cannot settle, or one that would give a finding, leaves the whole frame to the batch path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any

import polars as pl

from tradeguard.detectors.origin_reference import program_table
from tradeguard.frame_reads import column_types, named_rows
from tradeguard.kept import Kept
from tradeguard.request_path import REQUEST_LINES

#: Frames up to this many lines are screened line by line; larger ones take the batch path.
SMALL_REQUEST = REQUEST_LINES
#: Addresses whose gazetteer country is remembered before the memory starts afresh.
_ADDRESSES_KEPT = 50_000
# (signal, declared column, country code in its first two characters)
_SOURCES = (("mid", "manufacturer_id", True),
            ("manufacturer_country", "manufacturer_country", False),
            ("port_of_lading", "port_of_lading", True),
            ("country_of_export", "country_of_export", False),
            ("seller_country", "seller_country", False))
_ADDRESS = "manufacturer_address"
_TEXT_COLUMNS = ("country_of_origin", _ADDRESS, "spi", "hts_code",
                 *(column for _, column, _ in _SOURCES))
_TEXT = pl.String()
# What Polars' ``strip_chars`` removes from ASCII text (Python's ``strip`` removes more).
_SPACE = " \t\n\r\x0b\x0c"
# A summed weight this close to a bar is left to the batch path (its summation order decides).
_EPS = 1e-9


_UNKNOWN = object()  # an address not looked up yet (None is an answer: no place named)


class _Unsure(Exception):
    """The screen cannot settle a line: the batch path decides."""


def _ascii(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.isascii()):
        raise _Unsure
    return value


def iso2(value: Any, prefix: bool = False) -> str | None:
    """The origin detector's ISO-2 reading of one declared value (first two characters of it
    when ``prefix``): stripped, upper-cased, two letters A-Z, else None."""
    text = _ascii(value)
    if text is None:
        return None
    code = (text[:2] if prefix else text).strip(_SPACE).upper()
    return code if len(code) == 2 and code.isalpha() else None


def spi_code(value: Any) -> str | None:
    """The claimed special program indicator as the batch path reads it (None: no claim)."""
    text = _ascii(value)
    if text is None:
        return None
    return text.strip(_SPACE).upper() or None


@lru_cache(maxsize=64)
def programs_on(on: date) -> dict[str, tuple[frozenset[str], bool] | None]:
    """SPI code -> (partner countries, in force on ``on``) from :func:`program_table`; None
    for a code the table lists twice (the batch path's join would repeat the claim)."""
    out: dict[str, tuple[frozenset[str], bool] | None] = {}
    for code, partners, in_force in program_table(on).select(
            "spi", "partners", "in_force").iter_rows():
        out[code] = None if code in out else (frozenset(partners or ()), bool(in_force))
    return out


class OriginScreen:
    """Signals, claims and addresses of a request, settled without Polars queries."""

    def __init__(self, weights: dict[str, float], min_score: float, min_signals: int,
                 manufacturer_signals: tuple[str, ...],
                 address_country: Callable[[pl.Series], pl.Series],
                 built_for: tuple[object, ...] = ()) -> None:
        self.built_for = built_for
        self.weights = dict(weights)
        self.min_score, self.min_signals = min_score, min_signals
        self.manufacturer = frozenset(manufacturer_signals)
        self.address_country = address_country
        self.usable = set(self.weights) <= {n for n, _, _ in _SOURCES} | {_ADDRESS}
        self._addresses: Kept[str | None, object] = Kept(_ADDRESSES_KEPT)
        self._lock = threading.Lock()
        self._tariff: tuple[pl.DataFrame, dict[str, list[str] | None], bool] | None = None

    def built_from(self, *inputs: object) -> bool:
        """Whether this screen was built for these inputs (the same objects)."""
        return len(inputs) == len(self.built_for) and all(
            a is b for a, b in zip(inputs, self.built_for, strict=True))

    def may_find(self, lines: pl.DataFrame, ref: Any, on: date) -> bool:
        """False only when the batch path finds nothing for ``lines``; True otherwise."""
        if not self.usable or lines.height > SMALL_REQUEST:
            return True
        schema = column_types(lines)
        # type classes compared: a Polars type's own comparison runs Python code per pair
        if "_row" in schema or any(type(schema.get(c, _TEXT)) is not pl.String
                                   for c in _TEXT_COLUMNS):
            return True
        try:
            for row in named_rows(lines):
                if self._contradicted(row) or self._claim_fails(row, ref, on):
                    return True
        except _Unsure:
            return True
        return False

    def _contradicted(self, row: dict[str, Any]) -> bool:
        """Whether signals naming one other country could reach the bars."""
        origin = iso2(row.get("country_of_origin"))
        if origin is None:
            return False
        named: dict[str, list[str]] = {}
        for name, column, prefix in _SOURCES:
            if name in self.weights:
                country = iso2(row.get(column), prefix)
                if country is not None and country != origin:
                    named.setdefault(country, []).append(name)
        if _ADDRESS in self.weights and self._passes(named, _ADDRESS):
            country = self._address(row.get(_ADDRESS))
            if country is not None and country != origin:
                named.setdefault(country, []).append(_ADDRESS)
        return self._passes(named)

    def _passes(self, named: dict[str, list[str]], extra: str | None = None) -> bool:
        """Whether some country's signals (plus ``extra`` for any country) meet the bars."""
        candidates = list(named.values()) if named else []
        if extra is not None:
            candidates = [[*s, extra] for s in candidates] + [[extra]]
        for signals in candidates:
            score = sum(self.weights[s] for s in signals)
            if (score >= self.min_score - _EPS and len(signals) >= self.min_signals
                    and any(s in self.manufacturer for s in signals)):
                return True
        return False

    def _address(self, address: Any) -> str | None:
        """The gazetteer country of one address (the batch path's matcher, remembered)."""
        text = address if address is None else str(address)
        known = self._addresses.get(text, _UNKNOWN)
        if known is not _UNKNOWN:
            return known if known is None else str(known)
        found = self.address_country(pl.Series([text], dtype=pl.String))[0]
        with self._lock:
            self._addresses.keep(text, found)
        return found if found is None else str(found)

    def _claim_fails(self, row: dict[str, Any], ref: Any, on: date) -> bool:
        """Whether a preference claim on the line fails a program check."""
        if "spi" not in row:
            return False
        spi = spi_code(row["spi"])
        if spi is None:
            return False
        programs = programs_on(on)
        if spi in programs and programs[spi] is None:
            raise _Unsure
        program = programs.get(spi)
        if program is not None:
            partners, in_force = program
            if not in_force:
                return True  # lapsed
            origin = iso2(row.get("country_of_origin"))
            if origin is None or origin not in partners:
                return True  # origin not a party
        hts = _ascii(row.get("hts_code"))
        line_programs = self._line_programs(ref, hts.replace(".", "") if hts else hts)
        return line_programs is not None and spi not in line_programs

    def _line_programs(self, ref: Any, hts10: str | None) -> list[str] | None:
        """The tariff line's special programs (None: no such line or no program column)."""
        frame = getattr(getattr(ref, "tariff", None), "frame", None)
        if (not isinstance(frame, pl.DataFrame) or "special_programs" not in frame.columns
                or hts10 is None):
            return None
        kept = self._tariff
        if kept is None or kept[0] is not frame:
            table: dict[str, list[str] | None] = {}
            unique = True
            for code, programs in frame.select("hts10", "special_programs").iter_rows():
                unique &= code not in table
                table[code] = programs
            kept = self._tariff = (frame, table, unique)
        if not kept[2]:
            raise _Unsure  # a tariff line listed twice: the batch path's join repeats it
        return kept[1].get(hts10)
