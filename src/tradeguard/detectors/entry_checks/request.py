"""Which entry checks can flag a request-sized batch, decided in plain Python.

A scoring request carries one entry of 1-5 lines and almost every entry passes every check,
yet the general path runs some sixty Polars queries on it (each ~100 us of fixed cost, ~10 ms
in all). Here every check's test is evaluated line by line on the same normalised values,
with dict lookups kept per check tables (:mod:`.request_lookups`); the detector then runs
only the checks that flag a line, on a line frame made from the same values
(:func:`line_frame`), so their general form writes the findings: sentences and evidence have
one source.

A test read here may flag a line the general check passes (that only costs its query), never
the reverse. Inputs whose plain reading could differ from Polars' (column types other than
the contract's, non-ASCII codes, NaN or infinite numbers, ambiguous reference rows) give
``None``: the caller takes the general path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.contract.entry_number import ENTRY_NUMBER_PATTERN
from tradeguard.detectors.entry_checks.entry_level import check_digit
from tradeguard.detectors.entry_checks.frame import _NUMBER_COLUMNS, _TEXT_COLUMNS
from tradeguard.detectors.entry_checks.mid_checks import KEY, REMEMBERED_PARTIES, _checked
from tradeguard.detectors.entry_checks.mid_plain import plain_verdict
from tradeguard.detectors.entry_checks.party_checks import party_fields
from tradeguard.detectors.entry_checks.request_duty import Ambiguous
from tradeguard.detectors.entry_checks.request_lookups import (
    RequestLookups,
    Unsure,
    request_lookups,
)
from tradeguard.frame_reads import column_types, row_tuples
from tradeguard.request_path import REQUEST_LINES as REQUEST_PATH_LINES

if TYPE_CHECKING:
    from tradeguard.detectors.entry_checks.config import EntryChecksConfig
    from tradeguard.detectors.entry_checks.reference import CheckTables

#: Batches of at most this many lines are screened here first.
REQUEST_LINES = REQUEST_PATH_LINES
#: The checks the detector runs by name when a line may be flagged.
CHECKS = ("hts", "unit", "duty", "spi", "adcvd", "entry_number", "importer", "mid", "party",
          "plausibility")

# What Polars' ``strip_chars()`` and regex ``\s`` treat as white space (Unicode White_Space;
# Python's ``str.strip()`` would also strip \x1c-\x1f).
_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
DOT_OR_SPACE = re.compile("[." + re.escape(_SPACE) + "]")
_ENTRY_NUMBER = re.compile(ENTRY_NUMBER_PATTERN)
_STAT = re.compile(r"[0-9]{10}")
_NOT_DIGIT = re.compile(r"[^0-9]")
_CHAPTER = re.compile(r"[0-9]+")
_CODES = ("entry_number", "entry_type", "hts_code", "country_of_origin", "quantity_unit", "spi",
          "adcvd_case_number", "manufacturer_country")
# Column types read here, compared by class (a data type's ``==`` is a slow Python call).
_INTEGERS = frozenset({pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32,
                       pl.Null})
_TEXTS = frozenset({pl.String, pl.Null})
_NUMBERS = _INTEGERS | {pl.Float64}
_DATES = frozenset({pl.Date, pl.Null})
# Types every value of which converts to Python without fail (dates are read first).
_ROW_SAFE = _NUMBERS | {pl.Float32, pl.UInt64, pl.String, pl.Boolean, pl.Categorical, pl.Enum}
# The input columns read.
_READ = (*_TEXT_COLUMNS, *_NUMBER_COLUMNS, "line_number", "entry_date")


@dataclass
class Screen:
    """Checks that may flag a line (empty: the batch gives no finding), the run statistics
    the general path would record, the rows its line frame would have, and the values read
    (for :func:`line_frame` and :mod:`.request_findings`)."""

    flagged: set[str]
    not_checked: dict[str, int]
    rows: int
    look: RequestLookups
    columns: dict[str, list[Any]]
    tariffs: list[tuple[Any, ...] | None]
    verdicts: dict[tuple[str | None, ...], tuple[object, ...]]  # MID verdicts by party


def _columns(lines: pl.DataFrame, as_of: date) -> dict[str, list[Any]]:
    """The normalised columns of :func:`~.frame.prepare_lines`, plus ``_raw_hts``."""
    # the column types as a dict, read once per request by whichever step looks first
    schema = column_types(lines)
    read = _read(lines, schema)
    out: dict[str, list[Any]] = {}
    n = lines.height
    for name in _TEXT_COLUMNS:
        if name not in schema:
            out[name] = [None] * n
            continue
        if type(schema[name]) not in _TEXTS:
            raise Unsure
        out[name] = [None if v is None else (v.strip(_SPACE) or None) for v in read[name]]
    for name in _NUMBER_COLUMNS:
        if name not in schema:
            out[name] = [None] * n
            continue
        if type(schema[name]) not in _NUMBERS:
            raise Unsure
        values = [None if v is None else float(v) for v in read[name]]
        if any(v is not None and not math.isfinite(v) for v in values):
            raise Unsure
        out[name] = values
    if "line_number" in schema:
        if type(schema["line_number"]) not in _INTEGERS:
            raise Unsure
        out["line_number"] = list(read["line_number"])
    else:
        out["line_number"] = [None] * n
    if "entry_date" in schema:
        if type(schema["entry_date"]) not in _DATES:
            raise Unsure
        days = read["entry_date"]
        if any(d is not None and d.year < 1000 for d in days):
            raise Unsure
        out["entry_date"] = [as_of if d is None else d for d in days]
    else:
        out["entry_date"] = [as_of] * n
    if "hts_code" in schema:
        out["_raw_hts"] = list(read["hts_code"])
    else:
        out["_raw_hts"] = [None] * n
    # one text of every code read (ASCII only if each is)
    if not "".join(v for name in (*_CODES, "_raw_hts") for v in out[name] if v).isascii():
        raise Unsure
    return out


def _read(lines: pl.DataFrame, schema: dict[str, Any]) -> dict[str, Sequence[Any]]:
    """The values of the columns, read as rows in one call (a third of the cost of reading
    twenty columns one by one) when every column's values convert to Python for sure. Dates
    are read alone first: a year Python cannot hold fails there, not in a panic of
    ``rows()``. With a column of any other type, the columns read are taken one by one."""
    read: dict[str, Sequence[Any]] = {}
    if not set(map(type, schema.values())) <= _ROW_SAFE:  # one C-level pass when all are
        for name, dtype in schema.items():
            if type(dtype) is pl.Date:
                read[name] = _column(lines, name)
            elif type(dtype) not in _ROW_SAFE:
                return {name: _column(lines, name) for name in _READ if name in schema}
    rows = row_tuples(lines)  # shared with the request's other steps: read-only
    read.update(zip(schema, zip(*rows, strict=True), strict=True) if rows
                else dict.fromkeys(schema, ()))
    return read


def _column(lines: pl.DataFrame, name: str) -> list[Any]:
    try:
        return lines.get_column(name).to_list()
    except ValueError:  # a year Python's dates cannot hold
        raise Unsure from None


def screen(lines: pl.DataFrame, tables: CheckTables, cfg: EntryChecksConfig,
           remembered: dict[tuple[str | None, ...], tuple[object, ...]],
           as_of: date) -> Screen | None:
    """The checks that may flag a line of ``lines`` (at most :data:`REQUEST_LINES`), or
    ``None`` when the general path must decide."""
    try:
        return _screen(lines, tables, cfg, remembered, as_of)
    except (Unsure, Ambiguous):
        return None


def _screen(lines: pl.DataFrame, tables: CheckTables, cfg: EntryChecksConfig,
            remembered: dict[tuple[str | None, ...], tuple[object, ...]],
            as_of: date) -> Screen:
    look = request_lookups(tables)
    col = _columns(lines, as_of)
    n = lines.height
    flagged: set[str] = set()
    not_checked: dict[str, int] = {}
    undetermined: dict[str, int] = {}
    tol = cfg.duty
    col["hts_digits"], col["hts10"] = [], []
    tariffs: list[tuple[Any, ...] | None] = []
    for i in range(n):
        hts_code = col["hts_code"][i]
        raw_hts = col["_raw_hts"][i]
        digits = None if raw_hts is None else DOT_OR_SPACE.sub("", raw_hts)
        when: date = col["entry_date"][i]
        hts10 = None if hts_code is None else _NOT_DIGIT.sub("", hts_code)
        tariff = look.tariff_row(hts10)
        col["hts_digits"].append(digits)
        col["hts10"].append(hts10)
        tariffs.append(tariff)
        # hts: 10 digits, listed and in force on the entry date
        is_stat = digits is not None and _STAT.fullmatch(digits) is not None
        in_force = tariff is not None and (tariff[1] is None or tariff[1] <= when) \
            and (tariff[2] is None or when < tariff[2])
        if not is_stat or not in_force:
            flagged.add("hts")
        unit = col["quantity_unit"][i]
        unit = None if unit is None else DOT_OR_SPACE.sub("", unit.upper())
        # unit: the tariff's first unit
        if tariff is not None and tariff[0] and unit is not None and tariff[0][0] is not None \
                and tariff[0][0] != unit:
            flagged.add("unit")
        # duty: declared against expected, beyond both tolerances
        declared = col["duty_usd"][i]
        if declared is not None:
            expected, reason, _, _ = look.duty.expected(
                hts10, col["country_of_origin"][i], col["entered_value_usd"][i],
                col["quantity"][i], col["quantity_unit"][i], col["spi"][i], when)
            if expected is None:
                key = f"duty_undetermined:{reason}"
                undetermined[key] = undetermined.get(key, 0) + 1
            else:
                diff = declared - expected
                if abs(diff) > tol.abs_usd and abs(diff) > tol.rel * abs(expected):
                    flagged.add("duty")
        if col["spi"][i] is not None and _spi_flags(look, col, i, tariff, when):
            flagged.add("spi")
        if _adcvd_flags(look, col, i, digits, when):
            flagged.add("adcvd")
        if _implausible(look, col, i, digits, unit):
            flagged.add("plausibility")
    not_checked.update(undetermined)
    not_checked["duty_not_declared"] = sum(v is None for v in col["duty_usd"])
    _entry_flags(col, flagged)
    _party_flags(lines, col, cfg, flagged, not_checked)
    if _mid_flags(look, col, remembered):
        flagged.add("mid")
    return Screen(flagged, not_checked, n, look, col, tariffs, remembered)


def line_frame(screened: Screen) -> pl.DataFrame:
    """The frame :func:`~.frame.prepare_lines` and :func:`~.tariff_checks.with_tariff` give,
    built from the values screened (one frame made instead of ~25 queries): the flagged
    checks run on it."""
    col, look = screened.columns, screened.look
    schema: dict[str, Any] = {**dict.fromkeys(_TEXT_COLUMNS, pl.String),
                              **dict.fromkeys(_NUMBER_COLUMNS, pl.Float64),
                              "line_number": pl.Int64, "entry_date": pl.Date,
                              "hts_digits": pl.String}
    data = {name: col[name] for name in schema}
    duties = [look.duty.expected(
        col["hts10"][i], col["country_of_origin"][i], col["entered_value_usd"][i],
        col["quantity"][i], col["quantity_unit"][i], col["spi"][i], col["entry_date"][i])
        for i in range(screened.rows)]
    version = look.tables.ref.versions.get("tariff")
    data.update(hts10=col["hts10"], tariff_found=[d.column is not None for d in duties],
                rate_column=[d.column for d in duties], rate_text=[d.rate_text for d in duties],
                expected_duty_usd=[d.expected for d in duties],
                duty_undetermined_reason=[d.reason for d in duties],
                tariff_version=[version] * screened.rows)
    schema.update(hts10=pl.String, tariff_found=pl.Boolean, rate_column=pl.String,
                  rate_text=pl.String, expected_duty_usd=pl.Float64,
                  duty_undetermined_reason=pl.String,
                  tariff_version=pl.Null if version is None else pl.String)
    tariff_schema = look.tables.tariff.schema
    for k, name in enumerate(("tariff_units", "valid_from", "valid_to", "tariff_programs")):
        data[name] = [None if t is None else t[k] for t in screened.tariffs]
        schema[name] = tariff_schema[name]
    data["_listed"] = [t is not None for t in screened.tariffs]
    schema["_listed"] = pl.Boolean
    return pl.DataFrame(data, schema=schema).with_row_index("_row")


def _spi_flags(look: RequestLookups, col: dict[str, list[Any]], i: int,
               tariff: tuple[Any, ...] | None, when: date) -> bool:
    """Whether the SPI claim of line ``i`` may be ineligible (:func:`~.spi_findings`)."""
    spi = col["spi"][i].upper()
    origin = col["country_of_origin"][i]
    origin = None if origin is None else origin.upper()
    for _program, partners, start, end, _basis in look.programs.get(spi) or [(None,) * 5]:
        if _program is None:
            return True
        if (start is not None and when < start) or (end is not None and when >= end):
            return True
        if partners is None or origin is None or origin not in partners:
            return True
        if tariff is not None and (tariff[3] is None or spi not in tariff[3]):
            return True
    return False


def _adcvd_flags(look: RequestLookups, col: dict[str, list[Any]], i: int, digits: str | None,
                 when: date) -> bool:
    """Whether type-01 line ``i`` without a case number matches an order in effect."""
    origin = col["country_of_origin"][i]
    if col["entry_type"][i] != "01" or col["adcvd_case_number"][i] is not None \
            or digits is None or origin is None:
        return False
    for length, by_key in look.orders:
        for order_date in by_key.get((origin, digits[:length]), ()):
            if order_date is None or order_date <= when:
                return True
    return False


def _implausible(look: RequestLookups, col: dict[str, list[Any]], i: int, digits: str | None,
                 unit: str | None) -> bool:
    """Whether some plausibility test holds for line ``i`` (:mod:`.plausibility`)."""
    cfg = look.tables.plausibility
    qty, gross, value = col["quantity"][i], col["gross_weight_kg"][i], col["entered_value_usd"][i]
    per_unit = look.units.get(unit) if unit is not None else None
    kg_per_unit, whole_mass, articles, unit_min, unit_max = per_unit or (None,) * 5
    chapter = None if digits is None else digits[:2]
    low, high = cfg.article_weight_default
    if digits is not None:
        for length, rows in look.articles:
            bound = rows.get(digits[:length])
            if bound is not None:
                low, high = bound
                break
    if qty is not None and qty <= 0:
        return True
    if value is not None and value <= 0:
        return True
    if gross is not None and gross > 0 and value is not None:
        per_kg = value / gross
        floor = look.floors.get(chapter) if chapter is not None else None
        if floor is not None and per_kg < floor:
            return True
        exempt = (chapter is not None and _CHAPTER.fullmatch(chapter) is not None
                  and int(chapter) in cfg.ceiling_exempt_chapters)
        if not exempt and per_kg > cfg.value_ceiling_usd_per_kg:
            return True
    if qty is None or qty <= 0 or gross is None:
        return False
    weighs = unit is None or unit not in cfg.weightless_units
    if weighs and gross <= 0:
        return True
    if kg_per_unit is not None:
        net_kg = qty * kg_per_unit
        if gross < net_kg * (1 - cfg.net_weight_tolerance):
            return True
        if whole_mass and gross > net_kg * cfg.max_packing_ratio + cfg.packing_allowance_kg:
            return True
    if gross > 0:
        if articles is not None:
            per_article = gross / (qty * articles)
            if per_article < low or per_article > high:
                return True
        per_qty = gross / qty
        if (unit_min is not None and per_qty < unit_min) or \
                (unit_max is not None and per_qty > unit_max):
            return True
    return False


def _entry_flags(col: dict[str, list[Any]], flagged: set[str]) -> None:
    """Entry number format and check digit, and the importer of record, per entry."""
    checked: set[str] = set()
    for i, number in enumerate(col["entry_number"]):
        if number is None:
            continue
        if col["importer_id"][i] is None or col["importer_name"][i] is None:
            flagged.add("importer")  # any line of the entry: the check reads its first
        if number in checked:  # an entry's lines share its number
            continue
        checked.add(number)
        upper = number.upper()
        if _ENTRY_NUMBER.fullmatch(upper) is None \
                or int(upper[12]) != check_digit(upper.replace("-", "")[:10]):
            flagged.add("entry_number")


def _party_flags(lines: pl.DataFrame, col: dict[str, list[Any]], cfg: EntryChecksConfig,
                 flagged: set[str], not_checked: dict[str, int]) -> None:
    """Parties a formal entry line must name (:func:`~.party_checks.party_findings`)."""
    rules = cfg.parties
    fields = party_fields(rules, set(column_types(lines)), lines.height, not_checked)
    for i, entry_type in enumerate(col["entry_type"]):
        formal = entry_type is None or entry_type not in rules.informal_entry_types
        if formal and any(col[f][i] is None for f in fields):
            flagged.add("party")


def _mid_flags(look: RequestLookups, col: dict[str, list[Any]],
               remembered: dict[tuple[str | None, ...], tuple[object, ...]]) -> bool:
    """Whether some manufacturer's MID fails a check (:func:`~.mid_checks.mid_findings`);
    verdicts of new parties are worked out here and remembered with the others."""
    keys = list(dict.fromkeys(tuple(col[k][i] for k in KEY)
                              for i in range(len(col["manufacturer_id"]))
                              if col["manufacturer_id"][i] is not None))
    new = [k for k in keys if k not in remembered]
    if new and len(remembered) + len(new) > REMEMBERED_PARTIES:
        remembered.clear()
        new = keys
    unsure = []
    for key in new:
        verdict = plain_verdict(key, look.iso2_not_ca)
        if verdict is None:
            unsure.append(key)
        else:
            remembered[key] = verdict
    if unsure:
        fresh = pl.DataFrame(unsure, schema=dict.fromkeys(KEY, pl.String()), orient="row")
        for row in _checked(fresh, look.tables.iso2_not_ca).iter_rows():
            remembered[row[:len(KEY)]] = row[len(KEY):]
    for key in keys:
        problems, country_ok, _, _, _, _, name_ok, address_ok = remembered[key]
        has_name, has_addr = key[1] is not None, key[2] is not None
        if problems or not country_ok or (has_name and not name_ok) \
                or (has_name and has_addr and not address_ok):
            return True
    return False
