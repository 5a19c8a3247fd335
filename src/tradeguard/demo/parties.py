"""The people and firms behind demo declarations: importers, brokers, factories, sellers.

Pools are small (hundreds to a few thousand parties) and built once per run; the bulk line
generation then only draws indices into them. Manufacturer names follow the naming habits of
each country (``Ningbo Hengda Garment Co., Ltd.``, ``PT ... Indonesia``, ``... Sdn. Bhd.``) and
every MID is built from the name and address by the CBP rule in :mod:`tradeguard.demo.mid`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from tradeguard.demo.geography import (
    CITIES,
    GENERIC_STREETS,
    NUMBER_AFTER,
    NUMBER_WITH_NO,
    STREETS,
)
from tradeguard.demo.mid import build_mid

_US_PLACES = [
    ("Los Angeles", "CA", "900"), ("Long Beach", "CA", "908"), ("Ontario", "CA", "917"),
    ("Edison", "NJ", "088"), ("Secaucus", "NJ", "070"), ("Brooklyn", "NY", "112"),
    ("Houston", "TX", "770"), ("Dallas", "TX", "752"), ("Chicago", "IL", "606"),
    ("Atlanta", "GA", "303"), ("Savannah", "GA", "314"), ("Miami", "FL", "331"),
    ("Seattle", "WA", "981"), ("Charlotte", "NC", "282"), ("Columbus", "OH", "432"),
    ("Memphis", "TN", "381"), ("Reno", "NV", "895"), ("Laredo", "TX", "780"),
    ("Detroit", "MI", "482"), ("Portland", "OR", "972"), ("Phoenix", "AZ", "850"),
]
_US_STREETS = ["Commerce Way", "Industrial Pkwy", "Harbor Blvd", "Gateway Dr", "Market St",
               "Logistics Ct", "Enterprise Ave", "Pacific Ave", "Airport Rd", "Main St"]
_IMPORTER_FIRST = [
    "Pacific", "Atlantic", "Summit", "Evergreen", "Harbor", "Keystone", "Pioneer", "Liberty",
    "Golden Gate", "Blue Ridge", "Great Lakes", "Lone Star", "Coastal", "Midwest", "Sunbelt",
    "Redwood", "Cascade", "Heartland", "Bayside", "Northstar", "Silverline", "Ironwood",
    "Brightway", "Crescent", "Meridian", "Prairie", "Trident", "Westbrook", "Oakmont", "Vista",
]
_SECTOR_WORD = {
    "apparel": ["Apparel", "Fashion", "Garment", "Knitting", "Textile"],
    "home_textiles": ["Home Textile", "Textile", "Towel"],
    "textiles": ["Textile", "Spinning", "Weaving"],
    "footwear": ["Footwear", "Shoes", "Shoe Material"],
    "furniture": ["Furniture", "Woodwork", "Home Furnishing"],
    "electronics": ["Electronics", "Technology", "Electric", "Digital"],
    "appliances": ["Electric Appliance", "Home Appliance", "Electrical"],
    "tools": ["Tools", "Hardware", "Machinery"],
    "vehicles": ["Bicycle", "Vehicle", "Mobility"],
    "auto_parts": ["Auto Parts", "Precision", "Bearing"],
    "tires": ["Tyre", "Rubber", "Tire"],
    "toys": ["Toys", "Plastic Products", "Sporting Goods"],
    "steel": ["Steel", "Metal Products", "Hardware"],
    "aluminum": ["Aluminium", "Aluminum", "Metal"],
    "wood": ["Wood", "Timber", "Plywood"],
    "solar": ["Solar", "New Energy", "Photovoltaic"],
    "produce": ["Produce", "Farms", "Agricultural"],
    "food": ["Foods", "Food Products", "Agro"],
    "seafood": ["Seafood", "Aquatic Products", "Fisheries"],
    "chemicals": ["Chemical", "Chemicals", "Materials"],
    "plastics": ["Plastics", "Packaging", "Polymer"],
    "housewares": ["Houseware", "Kitchenware", "Homeware"],
    "bags": ["Bags", "Luggage", "Leather Goods"],
    "cosmetics": ["Cosmetics", "Biotech", "Beauty"],
    "packaging": ["Packaging", "Paper Products", "Carton"],
    "copper": ["Copper", "Nonferrous Metals", "Wire"],
}
_CN_SYLLABLES = ["Heng", "Da", "Xin", "Hua", "Jin", "Tai", "Long", "Sheng", "Yuan", "Feng",
                 "Kang", "Mei", "Rui", "Hong", "Bao", "Fu", "Tian", "Yong", "Cheng", "Jia",
                 "Hai", "Ming", "An", "Xing", "Run", "Chang", "Shun", "Teng", "Yi", "Zhong"]
_VN_WORDS = ["Viet Thang", "Thanh Cong", "Phu Hung", "Minh Anh", "Hoa Tho", "Tan Duc",
             "Phuoc Long", "An Phat", "Hung Thinh", "Nam Viet", "Dong Tien", "Sai Gon"]
_GENERIC = ["Global", "Prime", "Star", "Royal", "Delta", "Apex", "Orient", "United", "Crown",
            "Sun", "Golden", "Silver", "Pearl", "Lotus", "Everbright", "Greenfield", "Ocean",
            "Summit", "Eastern", "Grand", "Zenith", "Victory", "Horizon", "Unity", "Sapphire"]
_LEGAL = {
    "CN": "Co., Ltd.", "VN": "Co., Ltd.", "IN": "Pvt. Ltd.", "BD": "Ltd.", "PK": "(Pvt.) Ltd.",
    "MX": "S.A. de C.V.", "DE": "GmbH", "AT": "GmbH", "IT": "S.p.A.", "KR": "Co., Ltd.",
    "JP": "Co., Ltd.", "TR": "A.S.", "BR": "Ltda.", "CA": "Inc.", "MY": "Sdn. Bhd.",
    "TH": "Co., Ltd.", "TW": "Co., Ltd.", "ES": "S.L.", "PT": "Lda.", "FR": "S.A.S.",
    "PL": "Sp. z o.o.", "CL": "S.A.", "PE": "S.A.C.", "AR": "S.A.", "CO": "S.A.S.",
    "HK": "Limited", "SG": "Pte. Ltd.", "AU": "Pty Ltd", "NZ": "Limited", "SE": "AB",
    "NO": "AS", "KH": "Co., Ltd.", "LK": "(Pvt) Ltd", "PH": "Inc.", "EC": "S.A.",
}
_FILER_NAMES = ["Expeditors", "Livingston", "Flexport", "Kuehne Nagel", "Geodis", "Scarbrough",
                "OIA Global", "Page & Jones", "Apex Customs", "Harbor Brokerage", "Seaport Customs",
                "Border Trade Services", "Great Plains Customs", "Coast to Coast Brokers",
                "Meridian Customs", "Lakeshore Brokerage", "Southern Ports Customs",
                "Desert Gateway Brokers", "Northern Border Customs", "Keystone Customs"]


@dataclass(frozen=True)
class PartyPools:
    """All party pools of one demo run (polars frames indexed by their ``*_idx`` column)."""

    importers: pl.DataFrame
    filers: pl.DataFrame
    manufacturers: pl.DataFrame


def us_addresses(rng: np.random.Generator, n: int) -> list[str]:
    """U.S. business addresses (street, city, state, ZIP)."""
    places = rng.integers(0, len(_US_PLACES), n)
    streets = rng.integers(0, len(_US_STREETS), n)
    numbers = rng.integers(100, 9999, n)
    zips = rng.integers(10, 99, n)
    return [f"{numbers[i]} {_US_STREETS[streets[i]]}, {_US_PLACES[places[i]][0]}, "
            f"{_US_PLACES[places[i]][1]} {_US_PLACES[places[i]][2]}{zips[i]:02d}"
            for i in range(n)]


def build_filers(rng: np.random.Generator, n: int = 20) -> pl.DataFrame:
    """Customs brokers with distinct three-character filer codes."""
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    codes: list[str] = []
    while len(codes) < n:
        pattern = rng.integers(0, 3)
        digit = str(rng.integers(0, 10))
        a, b = rng.choice(letters, 2)
        code = [f"{a}{b}{digit}", f"{a}{digit}{b}", f"{digit}{a}{b}"][int(pattern)]
        if code not in codes:
            codes.append(code)
    names = [f"{_FILER_NAMES[i % len(_FILER_NAMES)]} Customs Brokerage" if i >= len(_FILER_NAMES)
             else f"{_FILER_NAMES[i]}" for i in range(n)]
    return pl.DataFrame({"filer_idx": np.arange(n), "filer_code": codes, "filer_name": names})


def build_importers(rng: np.random.Generator, n: int, sectors: list[str],
                    n_filers: int, new_share: float = 0.08) -> pl.DataFrame:
    """Importers of record from tiny to very large (Pareto volume), some trusted, some new."""
    sector_words = {s: _SECTOR_WORD.get(s, ["Trading"]) for s in sectors}
    sector = rng.choice(np.array(sectors), n)
    first = rng.integers(0, len(_IMPORTER_FIRST), n)
    suffix = rng.choice(np.array(["LLC", "Inc.", "Corp.", "Co.", "Group LLC", "International Inc.",
                                  "Imports LLC", "USA Inc."]), n)
    names: list[str] = []
    seen: set[str] = set()
    for i in range(n):
        words = sector_words[str(sector[i])]
        base = f"{_IMPORTER_FIRST[first[i]]} {words[i % len(words)]} {suffix[i]}"
        if base in seen:  # a second place word keeps names distinct without numbering
            extra = _IMPORTER_FIRST[(first[i] + 1 + i) % len(_IMPORTER_FIRST)]
            base = f"{_IMPORTER_FIRST[first[i]]} {extra} {words[i % len(words)]} {suffix[i]}"
        name = base if base not in seen else f"{base[:-1]} {i % 97}{base[-1]}"
        seen.add(name)
        names.append(name)
    ein = rng.integers(10_0000000, 99_9999999, n)
    ids = [f"{e // 10_000_000:02d}-{e % 10_000_000:07d}00" for e in ein]
    size = (rng.pareto(1.1, n) + 1.0)
    size = np.minimum(size, 400.0)
    trusted = (size > np.quantile(size, 0.7)) & (rng.random(n) < 0.35)
    new = (rng.random(n) < new_share) & ~trusted
    return pl.DataFrame({
        "importer_idx": np.arange(n), "importer_id": ids, "importer_name": names,
        "importer_address": us_addresses(rng, n), "sector": sector, "size": size,
        "trusted_trader": trusted, "new_importer": new,
        "filer_idx": rng.integers(0, n_filers, n),
    })


def manufacturer_name(rng: np.random.Generator, country: str, sector: str, city: str) -> str:
    """A factory name in the style of its country."""
    word = str(rng.choice(np.array(_SECTOR_WORD.get(sector, ["Industrial"]))))
    legal = _LEGAL.get(country, "Ltd.")
    if country == "CN":
        a, b = rng.choice(np.array(_CN_SYLLABLES), 2, replace=False)
        return f"{city} {a}{str(b).lower()} {word} {legal}"
    if country == "VN":
        form = "Joint Stock Company" if rng.random() < 0.4 else legal
        return f"{rng.choice(np.array(_VN_WORDS))} {word} {form}"
    if country == "ID":
        return f"PT {rng.choice(np.array(_GENERIC))} {word} Indonesia"
    return f"{rng.choice(np.array(_GENERIC))} {word} {legal}"


def street_line(rng: np.random.Generator, country: str) -> str:
    """A street line of the country with a building number (the MID takes its digits)."""
    streets = STREETS.get(country, GENERIC_STREETS)
    street = streets[int(rng.integers(0, len(streets)))]
    number = int(rng.integers(1, 3000))
    if country in NUMBER_AFTER:
        return f"{street} {number}"
    if country in NUMBER_WITH_NO:
        return f"No. {number} {street}"
    return f"{number} {street}"


def build_manufacturers(rng: np.random.Generator, demand: dict[tuple[str, str], int],
                        country_names: dict[str, str],
                        new_share: float = 0.08) -> pl.DataFrame:
    """Factory pools per (country, sector), sized by the expected number of lines."""
    rows: list[dict[str, object]] = []
    for (country, sector), lines in sorted(demand.items()):
        size = int(max(3, min(400, np.ceil(lines / 40))))
        cities = CITIES.get(country, [("Capital City", "", "")])
        for _ in range(size):
            city, province, _lading = cities[int(rng.integers(0, len(cities)))]
            name = manufacturer_name(rng, country, sector, city)
            street = street_line(rng, country)
            trader = rng.random() < 0.3
            seller_country = ("HK" if country == "CN" and rng.random() < 0.5 else country)
            legal = _LEGAL.get(seller_country, "Ltd.")
            seller_name = (f"{rng.choice(np.array(_GENERIC))} Trading {legal}" if trader else name)
            rows.append({
                "manufacturer_name": name, "street": street, "city": city,
                "province": province, "manufacturer_country": country, "sector": sector,
                "manufacturer_address": ", ".join(
                    p for p in (street, city, province, country_names.get(country, country)) if p),
                "manufacturer_id": build_mid(name, street, city, country, province),
                "seller_name": seller_name,
                "seller_country": seller_country if trader else country,
                "new_manufacturer": bool(rng.random() < new_share),
            })
    frame = pl.DataFrame(rows)
    return frame.with_row_index("mfr_idx").with_columns(pl.col("mfr_idx").cast(pl.Int64))
