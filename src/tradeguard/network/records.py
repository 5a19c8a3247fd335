"""Party records: every importer, manufacturer, seller, shipper and consignee as declared.

One record per distinct (kind, name, address, country, identifier) — a party declared on a
thousand lines is one record with a thousand occurrences, so linkage works on the distinct
spellings, not on rows. ``occurrences`` says where each record was declared (entry line or
package, current or history), which is where network findings attach.

An occurrence row stands for ``n`` declarations between ``date`` and ``last_date`` (one for a
declared line): history kept by a fitted detector is folded to one row per record and buyer
(:func:`fold_history`), so a year of declarations costs what its distinct parties cost.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(), "name": pl.String(), "address": pl.String(),
    "country": pl.String(), "identifier": pl.String(),
}
# Who can be one firm with whom: a U.S. importer is never the Chinese factory it buys from.
FAMILY: dict[str, str] = {"importer": "domestic", "consignee": "domestic",
                          "manufacturer": "foreign", "seller": "foreign", "shipper": "foreign"}
# What a declared line says about its parties (the joined entry header and line).
LINE_PARTY_FIELDS: tuple[str, ...] = (
    "entry_number", "importer_id", "importer_name", "importer_address", "importer_country",
    "entry_date", "manufacturer_id", "manufacturer_name", "manufacturer_address",
    "manufacturer_country", "seller_name", "seller_country", "entered_value_usd",
    "hts_code", "quantity", "quantity_unit",
)
# What a seller's price is compared by: the HTS number and unit of quantity of its line.
PRICE_COLUMNS: dict[str, pl.DataType] = {"price_key": pl.String(), "unit_value": pl.Float64()}


def _col(frame: pl.DataFrame, name: str) -> pl.Expr:
    return (pl.col(name) if name in frame.columns else pl.lit(None)).cast(pl.String)


def line_parties(decl: pl.DataFrame, *, history: bool) -> pl.DataFrame:
    """Importer, manufacturer and seller occurrences of declaration lines (entry header
    joined to each line, as :func:`tradeguard.detectors.base.declaration_lines` gives them).

    Seller occurrences carry the line's ``price_key`` (HTS digits and unit) and ``unit_value``
    (entered value per unit), the price the seller invoiced; other kinds carry nulls."""
    return line_parties_plan(decl, history=history).collect()


def line_parties_plan(decl: pl.DataFrame, *, history: bool) -> pl.LazyFrame:
    """:func:`line_parties` as a query not yet run: handed on to :func:`occurrences_of`, the
    three kinds are typed, filtered and keyed in one pass instead of one frame at a time."""
    typed = {"entry_date": pl.Date(), "entered_value_usd": pl.Float64(),
             "quantity": pl.Float64()}
    ln = decl.lazy().select(
        *[(pl.col(c) if c in decl.columns else pl.lit(None)).cast(typed.get(c, pl.String()),
                                                                   strict=False).alias(c)
          for c in LINE_PARTY_FIELDS], pl.col("line_number").cast(pl.Int64))
    where: list[pl.Expr | str] = [
        pl.col("entry_date").alias("date"), "entered_value_usd",
        pl.lit(None, dtype=pl.String).alias("package_id"), pl.lit(history).alias("history"),
        pl.col("importer_id").alias("importer")]
    unpriced = no_price()
    price = [
        # HTS numbers are written with or without dots; units as the HTS spells them.
        (pl.col("hts_code").str.replace_all(".", "", literal=True) + "|"
         + pl.col("quantity_unit").str.to_uppercase()).alias("price_key"),
        pl.when(pl.col("quantity") > 0).then(pl.col("entered_value_usd") / pl.col("quantity"))
        .alias("unit_value")]
    return pl.concat([
        ln.select(pl.lit("importer").alias("kind"), pl.col("importer_name").alias("name"),
                  pl.col("importer_address").alias("address"),
                  pl.col("importer_country").fill_null("US").alias("country"),
                  pl.col("importer_id").alias("identifier"), "entry_number", "line_number",
                  *where, *unpriced),
        ln.select(pl.lit("manufacturer").alias("kind"),
                  pl.col("manufacturer_name").alias("name"),
                  pl.col("manufacturer_address").alias("address"),
                  pl.col("manufacturer_country").alias("country"),
                  pl.col("manufacturer_id").alias("identifier"), "entry_number",
                  "line_number", *where, *unpriced),
        ln.select(pl.lit("seller").alias("kind"), pl.col("seller_name").alias("name"),
                  pl.lit(None, dtype=pl.String).alias("address"),
                  pl.col("seller_country").alias("country"),
                  pl.lit(None, dtype=pl.String).alias("identifier"), "entry_number",
                  "line_number", *where, *price),
    ])


def no_price() -> list[pl.Expr]:
    """Null price columns, for occurrences that invoice nothing."""
    return [pl.lit(None, dtype=t).alias(c) for c, t in PRICE_COLUMNS.items()]


def _declared(entries: pl.DataFrame | None, lines: pl.DataFrame | None,
              packages: pl.DataFrame | None, history: bool) -> list[pl.DataFrame]:
    parts: list[pl.DataFrame] = []
    if entries is not None and lines is not None:
        head = entries.select(*[_col(entries, c).alias(c) for c in LINE_PARTY_FIELDS[:6]])
        ln = lines.select(*[_col(lines, c).alias(c) for c in LINE_PARTY_FIELDS[6:]],
                          _col(lines, "entry_number").alias("entry_number"),
                          pl.col("line_number").cast(pl.Int64))
        # A line whose entry is unknown has no importer; its foreign parties still count.
        parts.append(line_parties(ln.join(head, on="entry_number", how="left"),
                                  history=history))
    if packages is not None:
        pk = packages.select(*[_col(packages, c).alias(c) for c in (
            "package_id", "shipper_name", "shipper_country", "consignee_name",
            "consignee_address", "seller_id", "arrival_date", "declared_value_usd")])
        common: list[pl.Expr | str] = [pl.lit(None, dtype=pl.String).alias("entry_number"),
                  pl.lit(None, dtype=pl.Int64).alias("line_number"),
                  pl.col("arrival_date").cast(pl.Date, strict=False).alias("date"),
                  pl.col("declared_value_usd").cast(pl.Float64, strict=False)
                  .alias("entered_value_usd"), "package_id",
                  pl.lit(history).alias("history"),
                  pl.lit(None, dtype=pl.String).alias("importer"), *no_price()]
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


def occurrences_of(parts: Sequence[pl.DataFrame | pl.LazyFrame]) -> pl.DataFrame:
    """Declared parties typed, nameless ones dropped, each with its ``record_id`` (one query
    over all ``parts``)."""
    frame = pl.concat([p.lazy() for p in parts], how="vertical_relaxed").filter(
        pl.col("name").is_not_null() & (pl.col("name").str.strip_chars() != ""))
    return frame.with_columns(
        pl.col("entered_value_usd").cast(pl.Float64, strict=False),
        pl.col("date").cast(pl.Date, strict=False),
        pl.concat_str([pl.col(c).fill_null("") for c in RECORD_SCHEMA], separator="|")
        .alias("record_id"),
    ).with_columns(pl.lit(1, dtype=pl.Int64).alias("n"), pl.col("date").alias("last_date")
                   ).collect()


def party_occurrences(entries: pl.DataFrame | None = None, lines: pl.DataFrame | None = None,
                      packages: pl.DataFrame | None = None,
                      history_entries: pl.DataFrame | None = None,
                      history_lines: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every declaration of a party: kind, name, address, country, identifier, where
    (entry_number + line_number, or package_id), date, value, the importer of the entry, and
    whether it is history."""
    parts = _declared(entries, lines, packages, history=False)
    parts += _declared(history_entries, history_lines, None, history=True)
    if not parts:
        raise ValueError("no declarations given: pass entries with lines, or packages")
    return occurrences_of(parts)


def with_occurrence_defaults(occ: pl.DataFrame) -> pl.DataFrame:
    """Occurrences with ``n``, ``last_date`` and ``importer`` (one declaration per row, the
    importer read from the entry's importer row) where a caller built them without."""
    if "n" not in occ.columns:
        occ = occ.with_columns(pl.lit(1, dtype=pl.Int64).alias("n"))
    if "last_date" not in occ.columns:
        occ = occ.with_columns(pl.col("date").alias("last_date"))
    if "importer" not in occ.columns:
        buyers = occ.filter(pl.col("kind") == "importer").select(
            "entry_number", pl.col("identifier").alias("importer")).unique("entry_number",
                                                                           keep="first")
        occ = occ.join(buyers, on="entry_number", how="left", maintain_order="left")
    return occ


def fold_history(occ: pl.DataFrame) -> pl.DataFrame:
    """History occurrences folded to what the cluster rules read of them at scoring time:
    one row per cluster, party and buyer with how many declarations (``n``), the first and
    last date, and (sellers, from :func:`~tradeguard.network.shippers.with_price_flags`)
    how many were priced and how many low. Shippers' history (packages) serves no rule at
    scoring time."""
    keys = ["cluster", "kind", "name", "address", "identifier", "importer"]
    totals = [c for c in ("n", "entered_value_usd", "priced", "low") if c in occ.columns]
    dates = [pl.col("date").min(), pl.col("last_date").max()]
    past = occ.filter(pl.col("history"))
    # Manufacturers are compared by MID; importers also by the names and addresses they use.
    named = pl.col("kind") == "importer"
    parties = past.filter(pl.col("kind").is_in(["importer", "manufacturer"])).with_columns(
        pl.when(named).then(pl.col("name")).alias("name"),
        pl.when(named).then(pl.col("address")).alias("address"),
    ).group_by(keys).agg(pl.col(totals).sum(), *dates).sort(keys, nulls_last=True)
    # Sellers by the names they are declared under (they have no address or identifier).
    by = ["cluster", "name", "importer"]
    sellers = past.filter(pl.col("kind") == "seller").group_by(by).agg(
        pl.col(totals).sum(), *dates).sort(by, nulls_last=True).with_columns(
        pl.lit("seller").alias("kind"), pl.lit(None, dtype=pl.String).alias("address"),
        pl.lit(None, dtype=pl.String).alias("identifier"))
    return pl.concat([parties, sellers.select(parties.columns)])


def party_records(occurrences: pl.DataFrame) -> pl.DataFrame:
    """Distinct records with their family and how often, and since when, each was declared."""
    return occurrences.group_by("record_id").agg(
        *[pl.col(c).first() for c in RECORD_SCHEMA],
        pl.col("n").sum().alias("declarations") if "n" in occurrences.columns
        else pl.len().alias("declarations"),
        pl.col("history").any().alias("in_history"),
        pl.col("date").min().alias("first_seen"),
    ).with_columns(pl.col("kind").replace_strict(FAMILY, default="other").alias("family")
                   ).sort("record_id")
