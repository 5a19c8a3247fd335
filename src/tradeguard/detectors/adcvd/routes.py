"""Documented evasion routes: third countries through which an order has been evaded before.

CBP's EAPA determinations and Commerce's circumvention findings name the countries used to
route goods under an order (plywood via Vietnam and Cambodia, solar cells completed in
Cambodia, Malaysia, Thailand and Vietnam, honey via India, Vietnam and Malaysia). The order list
records them in its notes; this module reads the country names (and slash-separated ISO codes,
``KH/MY/TH/VN``) there, adds any configured ``known_routes``, and marks in-scope lines from such
a country. That says where to look, nothing about one plant: it is a weak tie that only counts
with a tested implausible volume of a new plant (see ``scoring``).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.indicators import INDICATOR_SCHEMA, emit
from tradeguard.detectors.adcvd.parties import normalise_address

ROUTE_SCHEMA: dict[str, pl.DataType] = {"case_number": pl.String(), "route_country": pl.String(),
                                        "source": pl.String()}
_ISO_LIST = r"\b[A-Z]{2}(?:/[A-Z]{2})+\b"


def documented_routes(orders: pl.DataFrame, ref: Any, cfg: AdcvdConfig) -> pl.DataFrame:
    """(case_number, route_country, source): countries other than the subject country that the
    order's notes name, plus ``cfg.known_routes``. Names are matched as whole words against the
    reference country list (short and official names)."""
    parts = [pl.DataFrame(
        [{"case_number": c, "route_country": k.upper(), "source": "configuration"}
         for c, ks in cfg.known_routes.items() for k in ks], schema=ROUTE_SCHEMA)]
    names = getattr(ref, "countries", None)
    if "notes" in orders.columns and isinstance(names, pl.DataFrame) and {
            "iso2", "name"} <= set(names.columns):
        notes = orders.select("case_number", "country", pl.col("notes").cast(pl.String)
                              ).drop_nulls("notes")
        iso = set(names["iso2"].to_list())
        coded = notes.with_columns(pl.col("notes").str.extract_all(_ISO_LIST).alias("code")
                                   ).explode("code").drop_nulls("code").with_columns(
            pl.col("code").str.split("/")).explode("code").filter(pl.col("code").is_in(iso))
        label = [c for c in ("name", "official_name") if c in names.columns]
        countries = names.select(pl.col("iso2").alias("code"), pl.concat_list(label)
                                 .alias("label")).explode("label").with_columns(
            normalise_address("label").alias("label")).filter(
            pl.col("label").str.len_chars() >= 4).unique()
        text = notes.with_columns(
            pl.concat_str([pl.lit(" "), normalise_address("notes"), pl.lit(" ")]).alias("_t"))
        named = text.join(countries, how="cross").filter(pl.col("_t").str.contains(
            pl.concat_str([pl.lit(" "), pl.col("label"), pl.lit(" ")]), literal=True))
        for found in (coded, named):
            parts.append(found.filter(pl.col("code") != pl.col("country")).select(
                "case_number", pl.col("code").alias("route_country"),
                pl.concat_str([pl.lit("order notes: "), pl.col("notes")]).alias("source")))
    return pl.concat(parts).unique(["case_number", "route_country"], keep="first",
                                   maintain_order=True)


def known_route(cand: pl.DataFrame, routes: pl.DataFrame) -> pl.DataFrame:
    """``KNOWN_ROUTE`` per (line, subject country): the declared origin is a documented route
    for one of the orders the line falls under."""
    if routes.height == 0 or cand.height == 0:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    hit = (cand.with_columns(pl.col("cases").alias("_case")).explode("_case")
           .join(routes, left_on=["_case", "origin"], right_on=["case_number", "route_country"],
                 how="inner")
           .unique(["entry_number", "line_number", "subject_country", "primary_case"],
                   keep="first", maintain_order=True))
    return emit(hit, "ADCVD_EVASION_KNOWN_ROUTE", pl.col("entry_date"), {
        "origin": pl.col("origin"), "case_number": pl.col("_case"), "source": pl.col("source")})
