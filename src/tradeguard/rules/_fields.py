"""The fields a profile may test: entry and line columns of the contract, joined.

A profile is written against the *declaration line*: one row per entry line carrying its
entry's header columns too, so a criterion can mix "importer X" with "HTS 61". Two derived
fields (unit value, value per kilogram) are computed once per batch because valuation
profiles need them and writing arithmetic in YAML would invite mistakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import polars as pl

FieldKind = Literal["text", "number", "int", "date", "bool"]
FieldSource = Literal["entry", "line", "derived"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field a condition may name, its value kind and where it comes from."""

    name: str
    kind: FieldKind
    source: FieldSource


_ENTRY: tuple[tuple[str, FieldKind], ...] = (
    ("entry_number", "text"),
    ("entry_type", "text"),
    ("entry_date", "date"),
    ("port_of_entry", "text"),
    ("importer_id", "text"),
    ("importer_name", "text"),
    ("importer_country", "text"),
    ("filer_code", "text"),
    ("mode_of_transport", "text"),
    ("country_of_export", "text"),
    ("port_of_lading", "text"),
    ("bill_of_lading", "text"),
    ("carrier_code", "text"),
    ("trusted_trader", "bool"),
)

_LINE: tuple[tuple[str, FieldKind], ...] = (
    ("line_number", "int"),
    ("hts_code", "text"),
    ("description", "text"),
    ("country_of_origin", "text"),
    ("quantity", "number"),
    ("quantity_unit", "text"),
    ("entered_value_usd", "number"),
    ("gross_weight_kg", "number"),
    ("manufacturer_id", "text"),
    ("manufacturer_name", "text"),
    ("manufacturer_address", "text"),
    ("manufacturer_country", "text"),
    ("seller_name", "text"),
    ("seller_country", "text"),
    ("duty_rate", "number"),
    ("duty_usd", "number"),
    ("chapter99_numbers", "text"),
    ("additional_duty_usd", "number"),
    ("adcvd_deposit_usd", "number"),
    ("adcvd_case_number", "text"),
    ("spi", "text"),
    ("related_party", "bool"),
)

_DERIVED: tuple[tuple[str, FieldKind], ...] = (
    ("unit_value_usd", "number"),  # entered_value_usd / quantity
    ("value_per_kg_usd", "number"),  # entered_value_usd / gross_weight_kg
)

DECLARED_FIELDS: Mapping[str, FieldSpec] = {
    **{n: FieldSpec(n, k, "entry") for n, k in _ENTRY},
    **{n: FieldSpec(n, k, "line") for n, k in _LINE},
    **{n: FieldSpec(n, k, "derived") for n, k in _DERIVED},
}

POLARS_TYPES: Mapping[FieldKind, pl.DataType] = {
    "text": pl.String(),
    "number": pl.Float64(),
    "int": pl.Int64(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
}


def derived_columns() -> list[pl.Expr]:
    """Expressions for the derived fields; a zero or missing divisor gives null, not inf."""
    value = pl.col("entered_value_usd")
    qty = pl.col("quantity")
    kg = pl.col("gross_weight_kg")
    return [
        pl.when(qty > 0).then(value / qty).otherwise(None).alias("unit_value_usd"),
        pl.when(kg > 0).then(value / kg).otherwise(None).alias("value_per_kg_usd"),
    ]
