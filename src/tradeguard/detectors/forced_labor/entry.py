"""One entry's lines without frame queries, for the common cases: nothing to report, or only
high-priority goods with no supply chain declared.

A scored request holds 1-5 lines, and most name no listed party and no Xinjiang place. Proving
that takes a few dict lookups here (screening through the party cache, see
:meth:`ListScreen.any_listed`), where the batch path runs some forty Polars queries of ~100 us
fixed cost each; the ``FL_NO_TRACEABILITY`` findings such an entry may still have are then
written row by row from the same sector table, texts and settings. Each check errs on the side
of caution: whenever a line might give another finding, or its columns or texts are not in the
usual shape, the detector takes its batch path, so the findings are always the batch path's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import polars as pl

from tradeguard.detectors.finding_text import findings_frame_of
from tradeguard.detectors.forced_labor.parties import LINE_ROLES, PartyKey
from tradeguard.detectors.forced_labor.report import EVIDENCE_TEXT, NO_TRACEABILITY_TEXT, fill
from tradeguard.detectors.forced_labor.sectors import COTTON, sector_table
from tradeguard.findings import Category, empty_findings
from tradeguard.frame_reads import column_types, row_tuples
from tradeguard.request_path import REQUEST_LINES
from tradeguard.screening.places import xuar_pattern, xuar_places

#: Declaration frames up to this many lines may take the entry path (a request has 1-5).
ENTRY_LINES = REQUEST_LINES
# Characters ``str.strip_chars`` removes (Unicode White_Space), so a name is "declared" here
# exactly when the batch path keeps it.
_WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_TEXT_TYPES = (pl.String, pl.Null)
_DATE_TYPES = (pl.String, pl.Date, pl.Datetime, pl.Null)
_FINDINGS = empty_findings()
_LINE_NUMBER_TYPES = frozenset({pl.Int64, pl.Int32, pl.Int16, pl.Int8})
# Column types every value of which converts to Python without fail (dates are read first).
_ROW_SAFE = frozenset({pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32,
                       pl.UInt64, pl.Float32, pl.Float64, pl.String, pl.Boolean, pl.Null,
                       pl.Categorical, pl.Enum})
_UNREAD = object()  # the source of tariff texts not read yet


def no_findings() -> pl.DataFrame:
    """An empty findings frame (the canonical schema)."""
    return _FINDINGS.clear()


class EntryLines:
    """One entry's declaration lines with their column types read once (reading a column's
    type from Polars costs ~20 us; the checks below read a dozen columns). Text columns are
    taken from the frame's rows, read once per request and shared by its steps
    (:mod:`tradeguard.frame_reads`), when every column's values convert to Python for sure.
    """

    def __init__(self, lines: pl.DataFrame) -> None:
        self.frame = lines
        self.schema = column_types(lines)
        self._columns: dict[str, Sequence[object]] | None = None
        self._unsafe = False

    def texts(self, name: str | None) -> Sequence[str | None] | None:
        """A text column's values (``None`` values where it is absent); ``None`` (take the
        batch path) when the column is not text."""
        if name is None or name not in self.schema:
            return [None] * self.frame.height
        if not isinstance(self.schema[name], _TEXT_TYPES):
            return None
        columns = self._row_columns()
        if columns is None:
            return self.frame.get_column(name).to_list()
        return columns[name]  # type: ignore[return-value]  # text columns hold text

    def values(self, name: str) -> Sequence[Any]:
        """A column's values as Python reads them (``to_list``), from the shared rows when
        they are safe to read."""
        columns = self._row_columns()
        if columns is None:
            return self.frame.get_column(name).to_list()
        return columns[name]

    def _row_columns(self) -> dict[str, Sequence[object]] | None:
        """Column -> values of the shared rows; None when a column might not convert (a date
        Python cannot hold makes ``rows()`` panic, so dates are read alone first)."""
        if self._columns is None and not self._unsafe:
            kinds = set(map(type, self.schema.values()))
            if not kinds <= _ROW_SAFE:
                self._unsafe = not kinds <= _ROW_SAFE | {pl.Date} or not all(
                    _readable(self.frame, name) for name, dtype in self.schema.items()
                    if type(dtype) is pl.Date)
                if self._unsafe:
                    return None
            rows = row_tuples(self.frame)
            self._columns = dict(zip(self.schema, zip(*rows, strict=True), strict=True)) \
                if rows else dict.fromkeys(self.schema, ())
        return self._columns

    def usual_shape(self) -> bool:
        """Whether the key columns are in the shape the batch path casts without failing
        (type classes compared: a Polars type's ``==`` runs Python code)."""
        schema = self.schema
        return (
            isinstance(schema.get("entry_number"), pl.String)
            and type(schema.get("line_number")) in _LINE_NUMBER_TYPES
            and ("entry_date" not in schema or isinstance(schema["entry_date"], _DATE_TYPES))
        )


def _readable(frame: pl.DataFrame, name: str) -> bool:
    """Whether every date of column ``name`` converts to Python (else ``rows()`` panics)."""
    try:
        frame.get_column(name).to_list()
    except ValueError:  # a year Python's dates cannot hold
        return False
    return True


def entry_parties(lines: EntryLines, roles: Sequence[str]) -> list[PartyKey] | None:
    """The distinct (name, country, address) of the declared parties of ``roles`` on
    ``lines`` (the rows ``line_parties`` keeps), or None when the batch path must decide."""
    if not lines.usual_shape():
        return None
    found: dict[PartyKey, None] = {}
    for role in roles:
        name_col, country_col, address_col = LINE_ROLES[role]
        if name_col not in lines.schema:
            continue
        names = lines.texts(name_col)
        countries = lines.texts(country_col)
        addresses = lines.texts(address_col)
        if names is None or countries is None or addresses is None:
            return None
        for key in zip(names, countries, addresses, strict=True):
            if key[0] is not None and key[0].strip(_WHITE_SPACE):
                found[key] = None
    return list(found)


@lru_cache(maxsize=1)
def _xinjiang() -> re.Pattern[str]:
    return re.compile(xuar_pattern())


@lru_cache(maxsize=1 << 14)
def names_xinjiang(address: str) -> bool:
    """Whether ``address`` names a Xinjiang place as ``xuar_places`` finds them: by Python's
    regular expressions for plain ASCII (where both engines read the pattern alike), by the
    column expression itself otherwise."""
    if address.isascii():
        return _xinjiang().search(address) is not None
    found = pl.select(xuar_places(pl.lit(address, dtype=pl.String))).to_series()
    return bool(found.list.len()[0])


@dataclass(frozen=True)
class SectorRule:
    """One row of the sector table as the entry path reads it."""

    sector: str
    prefix: str
    qualifier: re.Pattern[str] | None
    designated_on: date
    source: str


@lru_cache(maxsize=4)
def sector_rules(apparel_requires_cotton: bool, include_downstream: bool
                 ) -> tuple[SectorRule, ...]:
    """The sector table under the detector's settings, as :func:`priority_sectors` reads it."""
    out = []
    for sector, prefix, qualifier, designated, downstream, source in sector_table().rows():
        if downstream and not include_downstream:
            continue
        if sector == "apparel" and apparel_requires_cotton:
            qualifier = COTTON
        out.append(SectorRule(sector, prefix, re.compile(qualifier) if qualifier else None,
                              designated, source))
    return tuple(out)


class TariffTexts:
    """Tariff description by 10-digit number, read once from a tariff frame (``source``, kept
    so another tariff is read again); numbers with several descriptions are set apart."""

    def __init__(self, source: object, frame: pl.DataFrame | None) -> None:
        self.source = source
        self.by_number: dict[str, str | None] = {}
        self.repeated: set[str] = set()
        if frame is None:
            return
        for number, text in frame.select("hts10", "description").iter_rows():
            if number in self.by_number:
                self.repeated.add(number)
            self.by_number[number] = text

    def __getstate__(self) -> dict[str, object]:
        # A fitted detector shipped to a worker does not carry the tariff twice: it is read
        # again there, on first use.
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(_UNREAD, None)  # type: ignore[misc]


def _plain(text: str | None) -> bool:
    """Printable ASCII without JSON escapes: written alike by both JSON encoders."""
    return text is None or (text.isascii() and text.isprintable() and '"' not in text
                            and "\\" not in text)


def traceability_findings(
    lines: EntryLines, as_of: date, tariff: TariffTexts, at_risk: Sequence[str],
    rules: Sequence[SectorRule], severity: str, detector: str, version: str,
) -> pl.DataFrame | None:
    """The ``FL_NO_TRACEABILITY`` findings of one entry's lines when no supply chain is
    declared and no party or address gave another finding, exactly as the batch path
    (``_traceability_hits`` then ``to_findings``) writes them; None to leave it to that path
    (text not plain ASCII, dates as text, a number with several tariff texts, a line number
    twice, or two sectors equally specific)."""
    frame, schema = lines.frame, lines.schema
    if "entry_date" in schema and type(schema["entry_date"]) is not pl.Date:
        return None
    entries, codes = lines.texts("entry_number"), lines.texts("hts_code")
    origins, descriptions = lines.texts("country_of_origin"), lines.texts("description")
    if entries is None or codes is None or origins is None or descriptions is None:
        return None
    days = lines.values("entry_date") if "entry_date" in schema else [None] * frame.height
    numbers = lines.values("line_number")
    found: list[tuple[str, int, str, str]] = []
    seen: set[tuple[str | None, int | None]] = set()
    for entry, line, hts_code, origin, description, day in zip(
            entries, numbers, codes, origins, descriptions, days, strict=True):
        if (entry, line) in seen or entry is None or line is None:
            return None
        seen.add((entry, line))
        if origin is None or hts_code is None:
            continue
        if not (origin.isascii() and hts_code.isascii()):
            return None
        if origin.upper() not in at_risk:
            continue
        hts = re.sub(r"\D", "", hts_code)
        on = day or as_of
        dated = [r for r in rules if hts.startswith(r.prefix) and on >= r.designated_on]
        if not dated:
            continue
        text = f"{tariff.by_number.get(hts) or ''} | {description or ''}"
        if hts in tariff.repeated or (any(r.qualifier for r in dated) and not text.isascii()):
            return None
        chosen = [r for r in dated if r.qualifier is None or r.qualifier.search(text)]
        if not chosen:
            continue
        if not _plain(origin):
            return None
        longest = max(len(r.prefix) for r in chosen)
        top = [r for r in chosen if len(r.prefix) == longest]
        if len(top) > 1:
            return None
        rule = top[0]
        item = json.dumps({"sector": rule.sector, "hts_code": hts, "hts_prefix": rule.prefix,
                           "country_of_origin": origin, "source": rule.source,
                           "supply_chain_rows": 0}, separators=(",", ":"))
        found.append((entry, line, fill(NO_TRACEABILITY_TEXT, rule.sector, origin), item))
    if not found:
        return no_findings()
    found.sort(key=lambda f: (f[0], f[1]))
    return findings_frame_of(
        [(entry, line, Category.FORCED_LABOR.value, "FL_NO_TRACEABILITY", severity, text,
          fill(EVIDENCE_TEXT, 1, item), detector, version)
         for entry, line, text, item in found])
