"""Reference tables the origin detector reads: the dated special-program table and the place
gazetteer (country and subdivision names that belong to one country only)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import polars as pl

from tradeguard.refdata.trade_programs import SPECIAL_PROGRAMS

# Generic words in subdivision names that say nothing about the place.
_GENERIC = re.compile(
    r"\b(sheng|shi|zizhiqu|zhuangzu|huizu|weiwu'?er|province|state|region|district|county|"
    r"tinh|thanh pho|prefecture|autonomous|special|administrative|municipality|city|territory|"
    r"of|the|and)\b"
)
NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=256)
def program_table(on: date) -> pl.DataFrame:
    """One row per special program indicator from the dated refdata table: partner
    countries, whether the program is in force on ``on``, its name and legal basis.

    Remembered per date: every entry of a day reads the same table. Treat it as read-only.
    """
    rows = [
        {"spi": code, "partners": sorted(prog.countries), "program": prog.name,
         "legal_basis": prog.legal_basis,
         "in_force": prog.valid_from <= on and (prog.valid_to is None or on < prog.valid_to)}
        for prog in SPECIAL_PROGRAMS for code in prog.codes
    ]
    return pl.DataFrame(rows, schema={"spi": pl.String, "partners": pl.List(pl.String),
                                      "program": pl.String, "legal_basis": pl.String,
                                      "in_force": pl.Boolean})


def place_gazetteer(ref: object, min_length: int = 5) -> pl.DataFrame:
    """(place, country) from the reference data's countries and subdivisions, names that
    belong to a single country only, normalised for whole-word matching."""
    parts: list[pl.DataFrame] = []
    countries = getattr(ref, "countries", None)
    if isinstance(countries, pl.DataFrame) and {"iso2", "name"} <= set(countries.columns):
        parts.append(countries.select(pl.col("name").alias("place"),
                                      pl.col("iso2").alias("country")))
    locode = getattr(ref, "locode", None)
    subs = getattr(ref, "subdivisions", None)
    if subs is None and callable(locode):
        try:
            subs = locode("subdivisions")
        except (KeyError, RuntimeError, OSError):
            subs = None
    if isinstance(subs, pl.DataFrame) and {"SUCountry", "SUName"} <= set(subs.columns):
        parts.append(subs.select(pl.col("SUName").alias("place"),
                                 pl.col("SUCountry").alias("country")))
    if not parts:
        return pl.DataFrame(schema={"place": pl.String, "country": pl.String})
    names = pl.concat(parts).with_columns(
        pl.col("place").str.to_lowercase().str.replace_all(_GENERIC.pattern, " ")
        .str.replace_all(NON_ALNUM.pattern, " ").str.strip_chars()
        .str.replace_all(r"\s+", " ").alias("place")
    ).filter(pl.col("place").str.len_chars() >= min_length).unique()
    single = names.group_by("place").agg(pl.col("country").n_unique().alias("k"),
                                         pl.col("country").first())
    return single.filter(pl.col("k") == 1).select("place", "country").sort("place")
