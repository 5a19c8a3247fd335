"""The declaration-line frame profiles run on: entry header joined onto each line, typed.

Profiles compare typed values (dates, numbers, booleans), but CSV arrives as text; columns are
parsed here once per batch, and a value that does not parse is an error naming the row and
field rather than a silent null that would make a profile quietly stop matching.
"""

from __future__ import annotations

import polars as pl

from tradeguard.detectors.base import declaration_lines
from tradeguard.rules._fields import DECLARED_FIELDS, POLARS_TYPES, FieldKind, derived_columns

_BOOL_TEXT = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "0": False,
}


class FieldValueError(ValueError):
    """A value in an input frame that does not parse as its field's type."""

    def __init__(self, field: str, row: int, value: str, kind: str, source: str = "") -> None:
        self.field, self.row, self.value, self.kind = field, row, value, kind
        where = f"{source}: " if source else ""
        super().__init__(f"{where}row {row}, field {field!r}: {value!r} is not a valid {kind}")


def parse_column(frame: pl.DataFrame, name: str, kind: FieldKind, source: str = "",
                 schema: pl.Schema | None = None) -> pl.Expr:
    """An expression giving column ``name`` as ``kind``; raises on the first unparsable value.

    ``schema`` is ``frame.schema`` when the caller has it (building it costs per call).
    """
    dtype = (schema if schema is not None else frame.schema)[name]
    target = POLARS_TYPES[kind]
    col = pl.col(name)
    if dtype == target:
        return col
    if dtype != pl.String:
        return col.cast(target)
    text = col.str.strip_chars()
    if kind == "bool":
        parsed = text.str.to_lowercase().replace_strict(_BOOL_TEXT, default=None)
    elif kind == "date":
        parsed = text.str.to_date("%Y-%m-%d", strict=False)
    elif kind == "text":
        parsed = col
    else:
        parsed = text.cast(target, strict=False)
    bad = frame.select(
        pl.arg_where(text.is_not_null() & (text != "") & parsed.is_null()).first()
    ).item()
    if bad is not None:
        raise FieldValueError(name, int(bad) + 1, str(frame[name][int(bad)]), kind, source)
    return parsed.cast(target).alias(name)


def conform_lines(frame: pl.DataFrame, source: str = "") -> pl.DataFrame:
    """Type every declared field, add absent ones as nulls, normalise HTS, add derived fields.

    Extra columns are kept untouched.
    """
    exprs: list[pl.Expr] = []
    schema = frame.schema
    for name, spec in DECLARED_FIELDS.items():
        if spec.source == "derived":
            continue
        if name in schema:
            exprs.append(parse_column(frame, name, spec.kind, source, schema))
        else:
            exprs.append(pl.lit(None, dtype=POLARS_TYPES[spec.kind]).alias(name))
    typed = frame.with_columns(exprs).with_columns(pl.col("hts_code").str.replace_all(r"[.\s]", ""))
    return typed.with_columns(derived_columns())


__all__ = ["FieldValueError", "conform_lines", "declaration_lines", "parse_column"]
