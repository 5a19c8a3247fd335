"""The plausibility findings (:mod:`.plausibility`) of a request's lines, in plain Python.

The tests are read in the order of the general check (the first weight test and the first
value test that hold explain the line) on the unit and chapter rows of the screen's lookups.
A comparison with a missing value holds for no line, as a null condition selects no branch
of the general check's ``when`` chain; ratios are taken only where their test can hold (a
positive quantity or gross weight), so no division by zero is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradeguard.detectors.entry_checks.request import DOT_OR_SPACE
from tradeguard.detectors.entry_checks.request_rows import Row, finding
from tradeguard.detectors.entry_checks.request_text import (
    polars_round,
    round_sig_figs,
    text,
    usd,
)

if TYPE_CHECKING:
    from tradeguard.detectors.entry_checks.config import Plausibility
    from tradeguard.detectors.entry_checks.request_lookups import RequestLookups

_COMMON = ("quantity", "quantity_unit", "gross_weight_kg", "entered_value_usd", "hts")


def plausibility_rows(col: dict[str, list[Any]], look: RequestLookups) -> list[Row]:
    """DQ_IMPLAUSIBLE_QUANTITY, DQ_IMPLAUSIBLE_WEIGHT and DQ_IMPLAUSIBLE_VALUE."""
    cfg = look.tables.plausibility
    quantity_rows: list[Row] = []
    weight_rows: list[Row] = []
    value_rows: list[Row] = []
    for i in range(len(col["entry_number"])):
        digits = col["hts_digits"][i]
        declared_unit = col["quantity_unit"][i]
        unit = None if declared_unit is None else DOT_OR_SPACE.sub("", declared_unit.upper())
        qty, gross = col["quantity"][i], col["gross_weight_kg"][i]
        value = col["entered_value_usd"][i]
        low, high = _article_bounds(look, digits)
        chapter = None if digits is None else digits[:2]
        floor = look.floors.get(chapter) if chapter is not None else None
        weight = _weight_why(cfg, look, unit, qty, gross, low, high, digits)
        value_why = _value_why(cfg, value, gross, floor, chapter)
        entry, line = col["entry_number"][i], col["line_number"][i]
        common = (qty, declared_unit, gross, value, digits)
        if qty is not None and qty <= 0:
            quantity_rows.append(finding(
                "DQ_IMPLAUSIBLE_QUANTITY", entry, line,
                f"Quantity {text(qty)} {text(declared_unit)} is not a quantity of goods.",
                _COMMON, common))
        if weight is not None:
            weight_rows.append(finding(
                "DQ_IMPLAUSIBLE_WEIGHT", entry, line,
                f"Weight is not physically plausible: {weight}.",
                (*_COMMON, "bound", "min_kg_per_article", "max_kg_per_article"),
                (*common, weight, low, high)))
        if value_why is not None:
            value_rows.append(finding(
                "DQ_IMPLAUSIBLE_VALUE", entry, line,
                f"Value is not plausible for these goods: {value_why}.",
                (*_COMMON, "bound", "floor_usd_per_kg"), (*common, value_why, floor)))
    return quantity_rows + weight_rows + value_rows


def _article_bounds(look: RequestLookups, digits: str | None) -> tuple[float, float]:
    """Per-article kg bounds: the longest prefix row of the HTS digits, else the default."""
    if digits is not None:
        for length, rows in look.articles:
            bound = rows.get(digits[:length])
            if bound is not None:
                return float(bound[0]), float(bound[1])
    low, high = look.tables.plausibility.article_weight_default
    return float(low), float(high)


def _weight_why(cfg: Plausibility, look: RequestLookups, unit: str | None, qty: float | None,
                gross: float | None, low: float, high: float, digits: str | None
                ) -> str | None:
    """The first weight test that holds, as the sentence's bound (``None``: none holds)."""
    if qty is None or gross is None or qty <= 0:
        return None  # every weight test needs a positive quantity and a gross weight
    kg_per_unit, whole_mass, articles, unit_min, unit_max = \
        look.units.get(unit, (None,) * 5) if unit is not None else (None,) * 5
    weighs = unit is None or unit not in cfg.weightless_units
    if weighs and gross <= 0:
        return f"gross weight {text(gross)} kg for {text(qty)} {text(unit)}"
    net_kg = None if kg_per_unit is None else qty * kg_per_unit
    if net_kg is not None and gross < net_kg * (1 - cfg.net_weight_tolerance):
        return (f"gross weight {text(gross)} kg is less than the "
                f"{text(polars_round(net_kg, 3))} kg declared as quantity")
    if net_kg is not None and whole_mass \
            and gross > net_kg * cfg.max_packing_ratio + cfg.packing_allowance_kg:
        return (f"gross weight {text(gross)} kg is over {text(cfg.max_packing_ratio)}x the "
                f"{text(polars_round(net_kg, 3))} kg of goods declared")
    if gross <= 0:
        return None
    if articles is not None:
        per_article = gross / (qty * articles)
        if per_article < low or per_article > high:
            return (f"{text(round_sig_figs(per_article, 3))} kg per article, outside "
                    f"{text(low)}-{text(high)} kg for HTS {text(digits)}")
    per_unit = gross / qty
    if (unit_min is not None and per_unit < unit_min) \
            or (unit_max is not None and per_unit > unit_max):
        return (f"{text(round_sig_figs(per_unit, 3))} kg per {text(unit)}, outside "
                f"{text(unit_min)}-{text(unit_max)} kg")
    return None


def _value_why(cfg: Plausibility, value: float | None, gross: float | None,
               floor: float | None, chapter: str | None) -> str | None:
    """The first value test that holds, as the sentence's bound (``None``: none holds)."""
    if value is None:
        return None
    if value <= 0:
        return f"entered value {usd(value)}"
    if gross is None or gross <= 0:
        return None
    per_kg = value / gross
    if floor is not None and per_kg < floor:
        return (f"{text(round_sig_figs(per_kg, 3))} per kg, below the {text(floor)} per kg "
                f"floor for chapter {text(chapter)} goods")
    exempt = chapter is not None and len(chapter) == 2 and chapter.isdigit() \
        and chapter.isascii() and int(chapter) in cfg.ceiling_exempt_chapters
    if not exempt and per_kg > cfg.value_ceiling_usd_per_kg:
        return f"{text(round_sig_figs(per_kg, 3))} USD per kg"
    return None
