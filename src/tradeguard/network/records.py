"""Party records: every importer, manufacturer, seller, shipper and consignee as declared.

One record per distinct (kind, name, address, country, identifier) — a party declared on a
thousand lines is one record with a thousand occurrences, so linkage works on the distinct
spellings, not on rows. ``occurrences`` says where each record was declared (entry line or
package, current or history), which is where network findings attach.
"""

from __future__ import annotations

import polars as pl

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(), "name": pl.String(), "address": pl.String(),
    "country": pl.String(), "identifier": pl.String(),
}
# Who can be one firm with whom: a U.S. importer is never the Chinese factory it buys from.
FAMILY: dict[str, str] = {"importer": "domestic", "consignee": "domestic",
                          "manufacturer": "foreign", "seller": "foreign", "shipper": "foreign"}


def _col(frame: pl.DataFrame, name: str) -> pl.Expr:
    return (pl.col(name) if name in frame.columns else pl.lit(None)).cast(pl.String)


def _declared(entries: pl.DataFrame | None, lines: pl.DataFrame | None,
              packages: pl.DataFrame | None, history: bool) -> list[pl.DataFrame]:
    parts: list[pl.DataFrame] = []
    key = [pl.lit(history).alias("history")]
    if entries is not None and lines is not None:
        head = entries.select(
            _col(entries, "entry_number").alias("entry_number"),
            _col(entries, "importer_id").alias("identifier"),
            _col(entries, "importer_name").alias("name"),
            _col(entries, "importer_address").alias("address"),
            _col(entries, "importer_country").alias("country"),
            _col(entries, "entry_date").alias("date"),
        )
        ln = lines.select(_col(lines, "entry_number").alias("entry_number"),
                          pl.col("line_number").cast(pl.Int64),
                          *[_col(lines, c).alias(c) for c in (
                              "manufacturer_id", "manufacturer_name", "manufacturer_address",
                              "manufacturer_country", "seller_name", "seller_country",
                              "entered_value_usd")])
        imp = ln.select("entry_number", "line_number", "entered_value_usd").join(
            head, on="entry_number")
        parts.append(imp.select(pl.lit("importer").alias("kind"), "name", "address",
                                pl.col("country").fill_null("US"), "identifier",
                                "entry_number", "line_number", "date", "entered_value_usd",
                                pl.lit(None, dtype=pl.String).alias("package_id"), *key))
        dated = ln.join(head.select("entry_number", "date"), on="entry_number", how="left")
        parts.append(dated.select(
            pl.lit("manufacturer").alias("kind"), pl.col("manufacturer_name").alias("name"),
            pl.col("manufacturer_address").alias("address"),
            pl.col("manufacturer_country").alias("country"),
            pl.col("manufacturer_id").alias("identifier"), "entry_number", "line_number",
            "date", "entered_value_usd", pl.lit(None, dtype=pl.String).alias("package_id"),
            *key))
        parts.append(dated.select(
            pl.lit("seller").alias("kind"), pl.col("seller_name").alias("name"),
            pl.lit(None, dtype=pl.String).alias("address"),
            pl.col("seller_country").alias("country"),
            pl.lit(None, dtype=pl.String).alias("identifier"), "entry_number", "line_number",
            "date", "entered_value_usd", pl.lit(None, dtype=pl.String).alias("package_id"),
            *key))
    if packages is not None:
        pk = packages.select(*[_col(packages, c).alias(c) for c in (
            "package_id", "shipper_name", "shipper_country", "consignee_name",
            "consignee_address", "seller_id", "arrival_date", "declared_value_usd")])
        common: list[pl.Expr | str] = [pl.lit(None, dtype=pl.String).alias("entry_number"),
                  pl.lit(None, dtype=pl.Int64).alias("line_number"),
                  pl.col("arrival_date").alias("date"),
                  pl.col("declared_value_usd").alias("entered_value_usd"), "package_id", *key]
        parts.append(pk.select(pl.lit("shipper").alias("kind"),
                               pl.col("shipper_name").alias("name"),
                               pl.lit(None, dtype=pl.String).alias("address"),
                               pl.col("shipper_country").alias("country"),
                               pl.col("seller_id").alias("identifier"), *common))
        parts.append(pk.select(pl.lit("consignee").alias("kind"),
                               pl.col("consignee_name").alias("name"),
                               pl.col("consignee_address").alias("address"),
                               pl.lit("US").alias("country"),
                               pl.lit(None, dtype=pl.String).alias("identifier"), *common))
    return parts


def party_occurrences(entries: pl.DataFrame | None = None, lines: pl.DataFrame | None = None,
                      packages: pl.DataFrame | None = None,
                      history_entries: pl.DataFrame | None = None,
                      history_lines: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every declaration of a party: kind, name, address, country, identifier, where
    (entry_number + line_number, or package_id), date, value, and whether it is history."""
    parts = _declared(entries, lines, packages, history=False)
    parts += _declared(history_entries, history_lines, None, history=True)
    if not parts:
        raise ValueError("no declarations given: pass entries with lines, or packages")
    frame = pl.concat(parts, how="vertical_relaxed").filter(
        pl.col("name").is_not_null() & (pl.col("name").str.strip_chars() != ""))
    return frame.with_columns(
        pl.col("entered_value_usd").cast(pl.Float64, strict=False),
        pl.col("date").cast(pl.Date, strict=False),
        pl.concat_str([pl.col(c).fill_null("") for c in RECORD_SCHEMA], separator="|")
        .alias("record_id"),
    )


def party_records(occurrences: pl.DataFrame) -> pl.DataFrame:
    """Distinct records with their family and how often, and since when, each was declared."""
    return occurrences.group_by("record_id").agg(
        *[pl.col(c).first() for c in RECORD_SCHEMA],
        pl.len().alias("declarations"),
        pl.col("history").any().alias("in_history"),
        pl.col("date").min().alias("first_seen"),
    ).with_columns(pl.col("kind").replace_strict(FAMILY, default="other").alias("family")
                   ).sort("record_id")
