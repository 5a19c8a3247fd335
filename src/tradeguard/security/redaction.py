"""Keep declared party names and addresses out of exports and logged assessments.

Names and addresses of an importer's trading partners are confidential business information.
Findings quote them for the officer who reviews the entry, but assessments are exported,
logged and sent onward, so their plain-language reasons carry role labels instead
("[manufacturer] matches UFLPA Entity List entry ..."). Replacement is one Aho-Corasick pass
over all reasons (Polars ``str.replace_many``), not a loop per line.
"""

from __future__ import annotations

import polars as pl

# Declared fields treated as confidential in exports, with the label that replaces them.
CONFIDENTIAL_FIELDS: dict[str, str] = {
    "importer_name": "[importer]",
    "importer_address": "[importer address]",
    "manufacturer_name": "[manufacturer]",
    "manufacturer_address": "[manufacturer address]",
    "seller_name": "[seller]",
    "supplier_name": "[supplier]",
    "supplier_address": "[supplier address]",
    "buyer_name": "[buyer]",
}

# Shorter values are left alone: replacing "AB" would mangle ordinary words.
MIN_REDACTED_CHARS = 4


def confidential_values(*frames: pl.DataFrame | None) -> pl.DataFrame:
    """Distinct confidential values in ``frames`` with their labels, longest first."""
    parts = [
        frame.select(pl.col(field).cast(pl.String).str.strip_chars().alias("value"),
                     pl.lit(label).alias("label"))
        for frame in frames if frame is not None
        for field, label in CONFIDENTIAL_FIELDS.items() if field in frame.columns
    ]
    if not parts:
        return pl.DataFrame(schema={"value": pl.String, "label": pl.String})
    return (pl.concat(parts).drop_nulls()
            .filter(pl.col("value").str.len_chars() >= MIN_REDACTED_CHARS)
            .unique("value", keep="first", maintain_order=True)
            .sort(pl.col("value").str.len_chars(), descending=True))


def redact_texts(frame: pl.DataFrame, column: str, values: pl.DataFrame) -> pl.DataFrame:
    """``column`` (text or list of text) with every confidential value replaced by its label."""
    if values.is_empty() or column not in frame.columns:
        return frame
    patterns, labels = values["value"].to_list(), values["label"].to_list()

    def replace(expr: pl.Expr) -> pl.Expr:
        return expr.str.replace_many(patterns, labels, ascii_case_insensitive=True)

    col = pl.col(column)
    if isinstance(frame.schema[column], pl.List):
        return frame.with_columns(col.list.eval(replace(pl.element())).alias(column))
    return frame.with_columns(replace(col).alias(column))
