"""ISO 3166 countries and the name -> ISO2 lookup every watch list and order list needs.

Lists name countries in their own way ("China", "Korea (Republic of)", "Burma"); one lookup
built from the ISO table plus common English short forms turns them into ISO2 codes.
Unresolved names stay null and are counted, never guessed.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

# Common short forms that the ISO/UN official names do not contain verbatim.
EXTRA_NAMES: dict[str, str] = {
    "china": "CN", "prc": "CN", "people's republic of china": "CN", "hong kong": "HK",
    "macau": "MO", "macao": "MO", "taiwan": "TW", "russia": "RU", "iran": "IR", "syria": "SY",
    "north korea": "KP", "south korea": "KR", "korea": "KR", "korea (republic of)": "KR",
    "korea, south": "KR", "korea, north": "KP", "vietnam": "VN", "viet nam": "VN", "laos": "LA",
    "burma": "MM", "myanmar": "MM", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ",
    "moldova": "MD", "czech republic": "CZ", "czechia": "CZ", "turkey": "TR", "turkiye": "TR",
    "cote d'ivoire": "CI", "ivory coast": "CI", "united states": "US", "usa": "US",
    "united kingdom": "GB", "uk": "GB", "britain": "GB", "great britain": "GB",
    "united arab emirates": "AE", "uae": "AE", "congo, democratic republic of the": "CD",
    "democratic republic of the congo": "CD", "congo": "CG", "the gambia": "GM",
    "gambia": "GM", "bahamas": "BS", "the bahamas": "BS", "west bank": "PS", "gaza": "PS",
    "palestine": "PS", "kosovo": "XK", "netherlands": "NL", "the netherlands": "NL",
    "brunei": "BN", "cape verde": "CV", "swaziland": "SZ", "eswatini": "SZ",
    "micronesia": "FM", "vatican": "VA", "region: crimea": "UA", "crimea": "UA",
    "region: northern mali": "ML", "st. kitts and nevis": "KN", "saint kitts and nevis": "KN",
    "st. lucia": "LC", "st. vincent and the grenadines": "VC", "macedonia": "MK",
    "north macedonia": "MK", "euro area": "EU", "european union": "EU",
}

_ISO_COLUMNS = (
    "official_name_en", "CLDR display name", "UNTERM English Short", "UNTERM English Formal",
    "ISO4217-currency_country_name",
)


def normalise_name(name: str) -> str:
    """Lower-case, drop a leading 'the' and trailing '(the)' so list spellings meet ISO ones."""
    text = name.strip().lower().replace("’", "'")
    text = re.sub(r"\s*\(the\)$", "", text)
    return re.sub(r"^the\s+", "", text)


def build_countries(iso_csv: Path) -> pl.DataFrame:
    """One row per ISO2 code: name, alpha-3, numeric, currency, region (from the ISO table)."""
    raw = pl.read_csv(iso_csv, infer_schema_length=0)
    frame = raw.select(
        pl.col("ISO3166-1-Alpha-2").alias("iso2"),
        pl.col("ISO3166-1-Alpha-3").alias("iso3"),
        pl.col("ISO3166-1-numeric").alias("numeric"),
        pl.coalesce("CLDR display name", "official_name_en").alias("name"),
        pl.col("official_name_en").alias("official_name"),
        pl.col("ISO4217-currency_alphabetic_code").alias("currency"),
        pl.col("Region Name").alias("region"),
        pl.col("Sub-region Name").alias("sub_region"),
    ).filter(pl.col("iso2").is_not_null() & (pl.col("iso2").str.len_chars() == 2))
    return frame.unique("iso2", keep="first").sort("iso2")


def name_lookup(iso_csv: Path) -> dict[str, str]:
    """normalised country name -> ISO2, from every English name column plus short forms."""
    raw = pl.read_csv(iso_csv, infer_schema_length=0)
    lookup: dict[str, str] = {}
    for column in _ISO_COLUMNS:
        for name, iso2 in raw.select(column, "ISO3166-1-Alpha-2").iter_rows():
            if name and iso2 and len(iso2) == 2:
                lookup.setdefault(normalise_name(name), iso2)
    for iso2 in raw["ISO3166-1-Alpha-2"].drop_nulls():
        if len(iso2) == 2:
            lookup.setdefault(iso2.lower(), iso2)
    lookup.update(EXTRA_NAMES)
    return lookup


def to_iso2(name: str | None, lookup: dict[str, str]) -> str | None:
    """ISO2 for a country as a list spells it; None when it cannot be resolved."""
    if not name or not name.strip():
        return None
    return lookup.get(normalise_name(name))
