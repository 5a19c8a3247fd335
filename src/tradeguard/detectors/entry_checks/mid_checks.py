"""The MID against CBP's construction rule and against the manufacturer it claims to name.

Rule (19 CFR 102 Appendix): ISO country (Canada: province code) + first three letters of
each of the first two words of the name + first four digits of the largest number of the
street line + first three letters of the city; at most 15 characters.

The rule has known ambiguities, and a MID that follows any reasonable reading is accepted:
- name: the canonical reading (:func:`tradeguard.demo.mid.name_part`: English articles
  skipped, initials joined), the same with hyphens splitting words, and the first two words
  as written (an ``An`` or ``The`` that is part of a proper name);
- number: the first four digits of ANY number in the address (the address is one field, so
  the street line cannot always be told from a building or postcode line);
- city: the first three letters of any comma-separated part or word of the address.
A MID that fits none of the readings is a finding. Work is done once per distinct
(MID, name, address, country), not per line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl
from unidecode import unidecode

from tradeguard.demo.mid import CANADA_PROVINCES, name_part
from tradeguard.detectors.entry_checks.frame import emit, fmt, txt

KEY = ["manufacturer_id", "manufacturer_name", "manufacturer_address", "manufacturer_country"]
#: What the findings read of a party's checks, per distinct :data:`KEY`.
VERDICT: dict[str, pl.DataType] = {
    "_problems": pl.List(pl.String()), "_country_ok": pl.Boolean(), "_exp_country": pl.String(),
    "_readings": pl.List(pl.String()), "_exp_number": pl.String(), "_exp_city": pl.String(),
    "_name_ok": pl.Boolean(), "_address_ok": pl.Boolean(),
}
#: Batches with at most this many distinct parties look their verdicts up one by one; bigger
#: ones join them (:class:`VerdictMemory`).
REMEMBERED_BATCH = 64
#: Verdicts remembered per reference data before the memory starts afresh.
REMEMBERED_PARTIES = 50_000
_RULE = "19 CFR 102 Appendix (MID construction)"
_SHAPE = r"^[A-Z]{2}[A-Z0-9]{1,6}[0-9]{0,4}[A-Z]{0,3}$"
_PROVINCE_CODES = sorted(set(CANADA_PROVINCES.values()))
#: The problems a malformed MID is reported with, in the order they are listed.
PROBLEM_CHARACTERS = "characters other than capital letters and digits"
PROBLEM_LENGTH = "longer than 15 characters"
PROBLEM_COUNTRY = "'{}' is not an ISO country code (Canada uses a province code)"
PROBLEM_SHAPE = "not country + name letters + address number + city letters"


@lru_cache(maxsize=200_000)
def _readings(name: str) -> tuple[str, ...]:
    """Name readings of a manufacturer (remembered: names repeat across batches)."""
    words = [w for w in (("".join(ch for ch in part if ch.isalnum()))
                         for part in unidecode(name).upper().split()) if w]
    naive = "".join(w[:3] for w in words[:2])
    found = {name_part(name), name_part(name.replace("-", " ")), naive}
    return tuple(sorted(r for r in found if r))


def _fold(texts: pl.Series) -> pl.Series:
    """Upper-case ASCII spelling; only non-ASCII texts need a Python call (unidecode)."""
    non_ascii = texts.str.contains(r"[^\x00-\x7f]").fill_null(False)
    fixed = {t: unidecode(t).upper() for t in texts.filter(non_ascii).unique().to_list()}
    return (pl.select(pl.when(non_ascii).then(texts.replace_strict(fixed, default=None,
                                                                    return_dtype=pl.String))
                      .otherwise(texts.str.to_uppercase()).alias(texts.name))
            .to_series())


def _province(addr: pl.Expr) -> pl.Expr:
    """The Canadian province code an address names (the last listed that it mentions)."""
    province = pl.lit(None, pl.String)
    for place, code in CANADA_PROVINCES.items():
        province = pl.when(addr.str.contains(place.upper(), literal=True)).then(pl.lit(code)) \
            .otherwise(province)
    return province


def _party_table(df: pl.DataFrame, iso2_not_ca: pl.Series) -> pl.DataFrame:
    parties = df.filter(pl.col("manufacturer_id").is_not_null()).select(KEY).unique()
    names = parties["manufacturer_name"].drop_nulls().unique()
    # Readings are capital letters and digits: passed as one "|"-joined text per name and
    # split in one pass (a list column built from Python lists costs a Series per name).
    joined = pl.Series("_joined", ["|".join(_readings(n)) for n in names.to_list()],
                       dtype=pl.String)
    readings = pl.DataFrame([names, joined]).select(
        "manufacturer_name",
        pl.when(pl.col("_joined") == "").then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(pl.col("_joined").str.split("|")).alias("_readings"))
    parties = parties.join(readings, on="manufacturer_name", how="left", nulls_equal=True)
    addr = pl.col("_addr")
    segments = addr.str.split(",")
    parties = parties.with_columns(_fold(parties["manufacturer_address"]).alias("_addr"))
    parties = parties.with_columns(
        addr.str.extract_all(r"\d+").list.eval(pl.element().str.slice(0, 4)).alias("_numbers"),
        # City letters: the first three letters of each comma-separated part, and of each run
        # of letters (each run cut to three first, then read out).
        segments.list.eval(pl.element().str.replace_all(r"[^A-Z]", "").str.slice(0, 3))
        .alias("_city_parts"),
        addr.str.replace_all(r"([A-Z]{1,3})[A-Z]*", "$1").str.extract_all(r"[A-Z]+")
        .alias("_city_words"),
        segments.list.first().str.extract_all(r"\d+")
        .list.eval(pl.element().cast(pl.Int64, strict=False)).list.max().cast(pl.String)
        .str.slice(0, 4).fill_null("").alias("_exp_number"),
        segments.list.get(1, null_on_oob=True).str.replace_all(r"[^A-Z]", "").str.slice(0, 3)
        .fill_null("").alias("_exp_city"),
    )
    # Only Canadian manufacturers' MIDs carry a province: the address is searched for one
    # only when the batch has such a manufacturer.
    canadian = parties.get_column("manufacturer_country").str.to_uppercase().eq("CA").any()
    province = _province(addr) if canadian else pl.lit(None, pl.String)
    mid = pl.col("manufacturer_id")
    country = pl.col("manufacturer_country").str.to_uppercase()
    valid_country = (mid.str.slice(0, 2).is_in(iso2_not_ca.implode())
                     | mid.str.slice(0, 2).is_in(_PROVINCE_CODES))
    problems = pl.concat_list(
        pl.when(mid.str.contains(r"[^A-Z0-9]")).then(pl.lit(PROBLEM_CHARACTERS)),
        pl.when(mid.str.len_chars() > 15).then(pl.lit(PROBLEM_LENGTH)),
        pl.when(~valid_country).then(fmt(PROBLEM_COUNTRY, mid.str.slice(0, 2))),
        pl.when(~mid.str.contains(_SHAPE)).then(pl.lit(PROBLEM_SHAPE)),
    ).list.drop_nulls()
    expected_country = pl.when(country == "CA").then(province).otherwise(country)
    country_ok = (pl.when(country.is_null()).then(pl.lit(True))
                  .when(country == "CA").then(
                      mid.str.slice(0, 2).is_in(_PROVINCE_CODES)
                      & (province.is_null() | (mid.str.slice(0, 2) == province)))
                  .otherwise(mid.str.slice(0, 2) == country))
    return parties.with_columns(problems.alias("_problems"), country_ok.alias("_country_ok"),
                                expected_country.alias("_exp_country"))



def _component_checks(parties: pl.DataFrame) -> pl.DataFrame:
    """Per party: does some name reading prefix the MID, and then does the rest decompose into
    an address number and city letters of this address."""
    rest = pl.col("manufacturer_id").str.slice(2)
    tail = rest.str.slice(pl.col("_reading").str.len_chars())
    number = tail.str.extract(r"^([0-9]{0,4})[A-Z]{0,3}$", 1)
    city = tail.str.extract(r"^[0-9]{0,4}([A-Z]{0,3})$", 1)
    number_ok = (pl.when(number.is_null()).then(pl.lit(False))
                 .when(number == "").then(pl.col("_numbers").list.len() == 0)
                 .otherwise(pl.col("_numbers").list.contains(number)))
    # An address with no letter has no city letters; parts without letters read as "".
    city_ok = (pl.when(city.is_null()).then(pl.lit(False))
               .when(city == "").then(pl.col("_city_words").list.len() == 0)
               .otherwise(pl.col("_city_parts").list.contains(city)
                          | pl.col("_city_words").list.contains(city)))
    exploded = (parties.with_row_index("_party").explode("_readings")
                .rename({"_readings": "_reading"})
                .with_columns((pl.col("_reading").is_not_null()
                               & rest.str.starts_with(pl.col("_reading").fill_null("")))
                              .alias("_name_ok"))
                .with_columns((pl.col("_name_ok") & number_ok & city_ok).alias("_address_ok")))
    verdict = exploded.group_by("_party").agg(pl.col("_name_ok").any(),
                                              pl.col("_address_ok").any(),
                                              pl.col("_reading").drop_nulls().alias("_readings"))
    return parties.with_row_index("_party").drop("_readings").join(verdict, on="_party")


@dataclass
class VerdictMemory:
    """Verdicts of the parties big batches checked, as one frame (:data:`KEY` +
    :data:`VERDICT` + ``_known``): a batch of 50,000 lines has ~7,500 manufacturers, most of
    them checked in an earlier batch, and joining them to the remembered verdicts costs far
    less than checking them again."""

    frame: pl.DataFrame | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verdicts(self, parties: pl.DataFrame,
                 check: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
        """:data:`KEY` + :data:`VERDICT` of ``parties`` (distinct :data:`KEY` rows), in no
        particular order; those not yet remembered go to ``check`` once."""
        with self.lock:
            known = self.frame
            if known is None or known.height >= REMEMBERED_PARTIES:
                fresh = check(parties)
                self.frame = fresh.with_columns(_known=pl.lit(True))
                return fresh
            # One join finds the remembered verdicts and, by their absence, the new parties.
            found = parties.join(known, on=KEY, how="left", nulls_equal=True)
            seen = pl.col("_known").is_not_null()
            new = found.filter(~seen).select(KEY)
            if new.is_empty():
                return found.drop("_known")
            fresh = check(new)
            self.frame = pl.concat([known, fresh.with_columns(_known=pl.lit(True))])
        return pl.concat([found.filter(seen).drop("_known"), fresh])


def _checked(parties: pl.DataFrame, iso2_not_ca: pl.Series) -> pl.DataFrame:
    """:data:`KEY` + :data:`VERDICT` of ``parties``, in the same column types every time."""
    return _component_checks(_party_table(parties, iso2_not_ca)).select(
        *[pl.col(k).cast(pl.String) for k in KEY], *[pl.col(c).cast(t) for c, t in VERDICT.items()])


def party_verdicts(df: pl.DataFrame, iso2_not_ca: pl.Series,
                   remembered: dict[tuple[str | None, ...], tuple[object, ...]],
                   memory: VerdictMemory | None = None) -> pl.DataFrame:
    """:data:`KEY` + :data:`VERDICT` for each distinct manufacturer of ``df`` with a MID.

    A verdict depends only on the party's own four fields and the country list, so a small
    batch looks its parties up in ``remembered`` (one dict per reference data, kept by the
    caller) and checks only those it has not seen: a factory's MID is checked once, not on
    every entry it ships. A bigger batch does the same with frames, through ``memory``.
    """
    parties = df.filter(pl.col("manufacturer_id").is_not_null()).select(KEY).unique(
        maintain_order=True)
    if parties.height > REMEMBERED_BATCH:
        if memory is None:
            return _checked(parties, iso2_not_ca)
        return memory.verdicts(parties, lambda fresh: _checked(fresh, iso2_not_ca))
    keys = parties.rows()
    new = [k for k in keys if k not in remembered]
    if new:
        fresh = pl.DataFrame(new, schema=dict.fromkeys(KEY, pl.String()), orient="row")
        if len(remembered) + len(new) > REMEMBERED_PARTIES:
            remembered.clear()
        for row in _checked(fresh, iso2_not_ca).iter_rows():
            remembered[row[:len(KEY)]] = row[len(KEY):]
    return pl.DataFrame([(*k, *remembered[k]) for k in keys],
                        schema={**dict.fromkeys(KEY, pl.String()), **VERDICT}, orient="row")


def mid_findings(df: pl.DataFrame, iso2_not_ca: pl.Series,
                 remembered: dict[tuple[str | None, ...], tuple[object, ...]] | None = None,
                 memory: VerdictMemory | None = None) -> list[pl.DataFrame]:
    """DQ_MID_MALFORMED, DQ_MID_COUNTRY, DQ_MID_NAME, DQ_MID_ADDRESS (``iso2_not_ca``: the
    ISO country codes a MID may start with, Canada's MIDs start with a province code;
    ``remembered`` and ``memory``: verdicts of parties already checked, see
    :func:`party_verdicts`)."""
    if df.get_column("manufacturer_id").null_count() == df.height:
        return []
    parties = party_verdicts(df, iso2_not_ca, {} if remembered is None else remembered, memory)
    formed = pl.col("_problems").list.len() == 0
    has_name = pl.col("manufacturer_name").is_not_null()
    has_addr = pl.col("manufacturer_address").is_not_null()
    # Few manufacturers fail a check (~100 of 7,500): only their lines are joined to verdicts.
    failed = (~formed | ~pl.col("_country_ok") | (has_name & ~pl.col("_name_ok"))
              | (has_name & has_addr & ~pl.col("_address_ok")))
    parties = parties.filter(failed.fill_null(True))
    if parties.is_empty():  # every manufacturer passes: no line to report, nothing to join
        return []
    lines = df.filter(pl.col("manufacturer_id").is_in(parties.get_column("manufacturer_id")
                                                      .implode())).join(
        parties, on=KEY, how="inner", nulls_equal=True, maintain_order="left")
    expected = pl.concat_str([pl.col("_exp_country").fill_null("??"),
                              pl.col("_readings").list.first().fill_null(""),
                              pl.col("_exp_number"), pl.col("_exp_city")])
    base: dict[str, pl.Expr] = {"declared_mid": pl.col("manufacturer_id"),
                                "expected_mid": expected, "rule": pl.lit(_RULE)}
    return [
        emit(lines, ~formed, "DQ_MID_MALFORMED",
             fmt("MID '{}' does not follow CBP's construction rule: {}.",
                       pl.col("manufacturer_id"), pl.col("_problems").list.join("; ")),
             {**base, "problems": pl.col("_problems")}),
        emit(lines, formed & ~pl.col("_country_ok"), "DQ_MID_COUNTRY",
             fmt("MID {} starts with {} but the manufacturer is in {} (expected {}).",
                       pl.col("manufacturer_id"), pl.col("manufacturer_id").str.slice(0, 2),
                       pl.col("manufacturer_country"),
                       txt(pl.col("_exp_country"), "a Canadian province code")),
             {**base, "manufacturer_country": pl.col("manufacturer_country")}),
        emit(lines, formed & has_name & ~pl.col("_name_ok"), "DQ_MID_NAME",
             fmt("MID {} does not carry the name letters of '{}' (expected {}).",
                       pl.col("manufacturer_id"), pl.col("manufacturer_name"),
                       pl.col("_readings").list.join(" or ")),
             {**base, "manufacturer_name": pl.col("manufacturer_name"),
              "accepted_name_letters": pl.col("_readings")}),
        emit(lines, formed & has_name & has_addr & pl.col("_name_ok")
             & ~pl.col("_address_ok"), "DQ_MID_ADDRESS",
             fmt("MID {} does not end in a number and city letters from the address "
                       "'{}' (expected {}{}).", pl.col("manufacturer_id"),
                       pl.col("manufacturer_address"), pl.col("_exp_number"),
                       pl.col("_exp_city")),
             {**base, "manufacturer_address": pl.col("manufacturer_address")}),
    ]
