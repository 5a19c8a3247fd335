"""Schemes that need their own parties and entries: AD/CVD evasion, forced labor, watch lists
and networks.

:func:`design_schemes` first invents the parties a scheme needs (a new Vietnamese "factory"
whose MID still points to China, a UFLPA-listed mill under a respelled name, a ring of importers
sharing one EIN and address, one factory filing under many MIDs) and the entries each scheme
files; the generator adds those parties to the pools, builds the entries with the same
assembler as clean trade, and :func:`finish_schemes` applies the scheme's false declarations
and writes the truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from tradeguard.demo import geography as geo
from tradeguard.demo.declarations import Columns, EntryPlan
from tradeguard.demo.ledger import Ledger
from tradeguard.demo.mid import build_mid
from tradeguard.demo.parties import manufacturer_name, street_line, us_addresses
from tradeguard.demo.variants import clean_listed_name, name_variant

TRANSSHIPMENT = [  # (scheme, products, third countries)
    ("transshipment_aluminum_extrusions", ["alu_extrusion", "alu_structures"], ["VN", "MY"]),
    ("transshipment_hardwood_plywood", ["plywood_birch", "plywood_other"], ["VN", "KH"]),
    ("transshipment_solar_cells", ["solar_module", "solar_cell"], ["KH", "MY", "TH", "VN"]),
    ("transshipment_honey", ["honey"], ["IN", "VN", "MY", "TH"]),
]
# WRO findings name firms, but also whole products from a place ("All gold mined ... Congo"),
# regions, prisons and vessels; only firms can stand as a manufacturer or seller name.
_NOT_A_FIRM = (r"(?i)^all\b|region-wide|\bproduced\b|harvested|\bprison\b|penitentiary|camp\b"
               r"|re-?education|laogai|labor reform|reform through labor|fishing vessel"
               r"|diamond fields|\bfarm\b|vocational|tobacco produced|industrial park|ltd\.? and\b")
_FIRM_WORD = (r"(?i)\b(co|ltd|limited|corp|corporation|inc|company|group|berhad|bhd|factory"
              r"|works|plant|industrial|industry|machinery|apparel|holdings|d\.o\.o)\b")
_SECTOR_BY_NAME = [
    (r"Textile|Cotton|Garment|Apparel|Knit|Spinning|Yarn", ["tshirt_men_cotton",
                                                           "sweater_women_cotton", "socks_cotton"]),
    (r"Silicon|Solar|Photovoltaic|New Energy", ["solar_module", "polysilicon"]),
    (r"Alumin|Nonferrous", ["alu_extrusion", "alu_unwrought"]),
    (r"Tomato|Food|Agricult", ["tomato_paste"]),
    (r"Chemical|Chlor|PVC", ["pvc_resin"]),
    (r"Seafood|Aquatic|Fish", ["pollock_fillet"]),
    (r"Electron|Technolog|Semicon|Micro", ["smartphone", "laptop", "monitor"]),
]


@dataclass
class SchemeSpec:
    """One scheme instance: who files which entries, and what is false in them."""

    category: str
    scheme: str
    importer: npt.NDArray[np.int64]  # >= 0 existing importer; < 0: -(1 + new importer row)
    factory: npt.NDArray[np.int64]  # >= 0 existing factory; < 0: -(1 + new factory row)
    product: npt.NDArray[np.int64]
    dates: npt.NDArray[np.datetime64]
    note: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    party_ids: list[str] = field(default_factory=list)


@dataclass
class SchemeDesign:
    """New parties the schemes need, and the schemes themselves."""

    factories: list[dict[str, Any]] = field(default_factory=list)
    importers: list[dict[str, Any]] = field(default_factory=list)
    specs: list[SchemeSpec] = field(default_factory=list)


def _factory(rng: np.random.Generator, country: str, sector: str, *, name: str | None = None,
             city: tuple[str, str] | None = None, mid_country: str | None = None,
             street: str | None = None, seller: tuple[str, str] | None = None,
             names: dict[str, str] | None = None) -> dict[str, Any]:
    places = geo.CITIES.get(country, geo.CITIES["CN"])
    c, p, _ = places[int(rng.integers(0, len(places)))]
    city_name, province = city or (c, p)
    nm = name or manufacturer_name(rng, country, sector, city_name)
    st = street or street_line(rng, country)
    mid_cc = mid_country or country
    mid_city = city_name if mid_cc == country else geo.CITIES[mid_cc][0][0]
    return {
        "manufacturer_name": nm, "street": st, "city": city_name, "province": province,
        "manufacturer_country": country, "sector": sector,
        "manufacturer_address": ", ".join(x for x in (st, city_name, province,
                                                      (names or {}).get(country, country)) if x),
        "manufacturer_id": build_mid(nm, st, mid_city, mid_cc, province),
        "seller_name": seller[0] if seller else nm,
        "seller_country": seller[1] if seller else country, "new_manufacturer": True,
    }


def _dates(rng: np.random.Generator, n: int, start: date, end: date) -> npt.NDArray[Any]:
    days = max(1, (end - start).days)
    return np.datetime64(start, "D") + np.sort(rng.integers(0, days + 1, n)).astype(
        "timedelta64[D]")


def design_schemes(rng: np.random.Generator, catalogue: pl.DataFrame, watchlists: pl.DataFrame,
                   n_importers: int, n_factories: int, start: date, end: date, scale: float,
                   country_names: dict[str, str],
                   chain_rng: np.random.Generator | None = None) -> SchemeDesign:
    """Invent every entry-level scheme; ``scale`` grows entry counts with the data size.

    ``chain_rng`` draws how evaders declare supply chains; a stream of its own keeps every
    other scheme's draws unchanged.
    """
    d = SchemeDesign()
    chain_rng = chain_rng or rng
    pid = {p: i for i, p in enumerate(catalogue["product_id"].to_list())}
    sector_of = catalogue["sector"].to_list()
    chain_of = catalogue["chain"].fill_null("").to_list()

    def new_factory(row: dict[str, Any]) -> int:
        d.factories.append(row)
        return -len(d.factories)

    def count(lo: int, hi: int) -> int:
        return max(lo, int(rng.integers(lo, hi + 1) * scale))

    def existing_importers(k: int) -> npt.NDArray[np.int64]:
        return rng.integers(0, n_importers, k)

    # ---- AD/CVD transshipment: one new third-country factory per scheme, entries late in window
    for scheme, products, thirds in TRANSSHIPMENT:
        third = str(rng.choice(thirds))
        sector = sector_of[pid[products[0]]]
        mid_cn = bool(rng.random() < 0.6)
        seller = (f"{rng.choice(['Sino', 'Hua', 'Jin'])}{rng.choice(['tai', 'feng', 'long'])} "
                  "International Trading Co., Ltd.", "CN") if rng.random() < 0.5 else None
        f = new_factory(_factory(rng, third, sector, mid_country="CN" if mid_cn else None,
                                 seller=seller, names=country_names))
        n = count(5, 12)
        buyers = existing_importers(int(rng.integers(1, 4)))
        # Where the goods are traced, evaders declare the chain as it is: some name their
        # Chinese tier-1 supplier (the importer sees no harm), some declare no chain at all.
        chain_mode = (str(chain_rng.choice(["disclose", "hide"]))
                      if chain_of[pid[products[0]]] else "none")
        chain_note = {"disclose": "; supply chain declared with a CN tier-1 supplier",
                      "hide": "; no supply chain declared", "none": ""}[chain_mode]
        d.specs.append(SchemeSpec(
            "adcvd", scheme, buyers[rng.integers(0, len(buyers), n)],
            np.full(n, f), rng.choice([pid[p] for p in products], n),
            _dates(rng, n, end - timedelta(days=45), end),
            note=(f"new {third} factory; MID points to {'CN' if mid_cn else third}; "
                  f"seller {'CN' if seller else third}; priced at Chinese level{chain_note}"),
            options={"price_factor": 1.0 / geo.PRICE_FACTOR.get(third, 1.1), "third": third,
                     "chain_mode": chain_mode}))
    # ---- AD/CVD: in-scope Chinese goods declared without (or with a wrong) case
    in_scope = ["alu_extrusion", "plywood_birch", "steel_nails", "garment_hangers",
                "bedroom_wood", "candles", "activated_carbon", "threaded_rod", "garlic"]
    for scheme in ("undeclared_adcvd_type01", "wrong_case_number", "missing_deposit"):
        for _ in range(2):
            prod = pid[str(rng.choice(in_scope))]
            f = new_factory(_factory(rng, "CN", sector_of[prod], names=country_names))
            n = count(2, 5)
            d.specs.append(SchemeSpec("adcvd", scheme, existing_importers(n), np.full(n, f),
                                      np.full(n, prod), _dates(rng, n, start, end)))
    # ---- forced labor and watch lists: listed names (respelled) as factory or seller
    firms = watchlists.filter(
        (pl.col("entity_type") == "organization") & ~pl.col("name").str.contains(_NOT_A_FIRM)
        & ((pl.col("list") != "wro") | pl.col("name").str.contains(_FIRM_WORD)))
    if "date_removed" in firms.columns:
        firms = firms.filter(pl.col("date_removed").is_null())
    for category, lists, schemes in (
            ("forced_labor", ["uflpa"], ["uflpa_manufacturer", "uflpa_seller"]),
            ("forced_labor", ["wro"], ["wro_manufacturer"]),
            ("watchlist", ["ofac_sdn"], ["sdn_manufacturer", "sdn_seller"]),
            ("watchlist", ["bis_mieu"], ["mieu_seller"]),
            ("watchlist", ["dod_1260h"], ["dod_1260h_manufacturer", "dod_1260h_seller"])):
        pool = firms.filter(pl.col("list").is_in(lists))
        if category == "watchlist":
            pool = pool.filter(pl.col("country").is_in(["CN", "HK", "RU", "AE", "TR", "MY",
                                                        "SG", "IN", "TH"]))
        if pool.height == 0:
            continue
        for scheme in schemes:
            for _ in range(2 if category == "forced_labor" else 1):
                ent = pool.row(int(rng.integers(0, pool.height)), named=True)
                listed = clean_listed_name(str(ent["name"]))
                variant, kind = name_variant(listed, list(ent["aliases"] or []), rng)
                cc = ent["country"] if ent["country"] in geo.CITIES else "CN"
                choices = next((p for pat, p in _SECTOR_BY_NAME if re.search(pat, listed, re.I)),
                               ["toys_3_12", "headphones", "power_adapter", "backpack"])
                prod = pid[str(rng.choice(choices))]
                sector = sector_of[prod]
                addr = " ".join(ent["addresses"] or [])
                city = None
                if "xinjiang" in addr.lower() or "xinjiang" in listed.lower():
                    city = geo.XUAR_CITIES[int(rng.integers(0, len(geo.XUAR_CITIES)))]
                if scheme.endswith("_seller"):
                    f = new_factory(_factory(rng, "CN" if cc == "CN" else cc, sector,
                                             seller=(variant, cc), names=country_names))
                else:
                    f = new_factory(_factory(rng, cc, sector, name=variant, city=city,
                                             names=country_names))
                n = count(2, 5)
                d.specs.append(SchemeSpec(
                    category, scheme, existing_importers(n), np.full(n, f), np.full(n, prod),
                    _dates(rng, n, start, end),
                    note=f"{ent['list']} {ent['entity_id']} '{listed}' as '{variant}' ({kind})"))
    # forced labor: unnamed factories at Xinjiang addresses
    for _ in range(2):
        prod = pid[str(rng.choice(["tshirt_men_cotton", "tomato_paste", "polysilicon",
                                   "pvc_resin", "jeans_men_cotton"]))]
        city = geo.XUAR_CITIES[int(rng.integers(0, len(geo.XUAR_CITIES)))]
        f = new_factory(_factory(rng, "CN", sector_of[prod], city=city, names=country_names))
        n = count(2, 4)
        d.specs.append(SchemeSpec("forced_labor", "xuar_address", existing_importers(n),
                                  np.full(n, f), np.full(n, prod), _dates(rng, n, start, end),
                                  note=f"manufacturer address in {city[0]}, {city[1]}"))
    # ---- networks
    for _ in range(2):  # importer rings: one EIN, one address, several names
        k = int(rng.integers(3, 6))
        ein = int(rng.integers(10_0000000, 99_9999999))
        address = us_addresses(rng, 1)[0]
        base = str(rng.choice(["Sunrise", "Apex Global", "Tri-Star", "Omni", "Nova"]))
        members = []
        for j in range(k):
            members.append(len(d.importers))
            d.importers.append({
                "importer_id": f"{ein // 10_000_000:02d}-{ein % 10_000_000:07d}{j:02d}",
                "importer_name": [f"{base} Trading LLC", f"{base} Imports Inc.",
                                  f"{base.upper()} TRADING", f"{base} Supply Co.",
                                  f"{base} Wholesale LLC"][j],
                "importer_address": address, "sector": "apparel", "size": 5.0,
                "trusted_trader": False, "new_importer": True,
                "filer_idx": int(rng.integers(0, 20))})
        ring_prod = int(rng.choice([pid["tshirt_men_cotton"], pid["headphones"],
                                    pid["toys_3_12"]]))
        f = new_factory(_factory(rng, "CN", sector_of[ring_prod], names=country_names))
        n = count(2, 4) * k
        who = rng.integers(0, k, n)
        # A ring is several numbers filing: every member files at least once, at the end of
        # the window (the dates are drawn sorted), where the scored entries are.
        who[-k:] = np.arange(k)
        imps = -(1 + np.array(members))[who]
        d.specs.append(SchemeSpec("network", "importer_ring_shared_identity", imps,
                                  np.full(n, f), np.full(n, ring_prod),
                                  _dates(rng, n, start, end),
                                  note=f"{k} importers share EIN {ein} and one address",
                                  party_ids=[d.importers[m]["importer_id"] for m in members]))
    for _ in range(2):  # one factory, many MIDs
        prod = pid[str(rng.choice(["shoes_rubber_men", "backpack", "toys_3_12", "led_bulb"]))]
        home = _factory(rng, "CN", sector_of[prod], names=country_names)
        k = int(rng.integers(4, 8))
        ids = []
        for j in range(k):
            nm = re.sub(r"Co\., Ltd\.", ["Co., Ltd.", "Company Limited", "Industrial Co Ltd",
                                         "Factory", "Trading Co., Ltd.", "Products Co", "Mfg",
                                         "Co Ltd"][j], str(home["manufacturer_name"]))
            digits = re.search(r"\d+", str(home["street"]))
            number = str(home["street"]) if digits is None else (
                str(home["street"]).replace(digits.group(), str(int(digits.group()) + 2 * j), 1))
            row = _factory(rng, "CN", sector_of[prod], name=nm, street=number,
                           city=(home["city"], home["province"]), names=country_names)
            ids.append(new_factory(row))
        n = count(2, 3) * k
        d.specs.append(SchemeSpec("network", "mid_churn_one_factory", existing_importers(n),
                                  np.array(ids)[rng.integers(0, k, n)], np.full(n, prod),
                                  _dates(rng, n, start, end),
                                  note=f"{k} MIDs for one factory address"))
    for _ in range(2):  # fly-by-night importer: new, no history, burst of high-value entries
        m = len(d.importers)
        d.importers.append({
            "importer_id": f"{int(rng.integers(10, 99))}-{int(rng.integers(0, 9999999)):07d}00",
            "importer_name": f"{rng.choice(['Quick', 'Rapid', 'Prime', 'Eagle'])} "
                             f"{rng.choice(['Global', 'Trade', 'Goods'])} LLC",
            "importer_address": us_addresses(rng, 1)[0], "sector": "electronics", "size": 60.0,
            "trusted_trader": False, "new_importer": True, "filer_idx": int(rng.integers(0, 20))})
        prods = rng.choice([pid["laptop"], pid["smartphone"], pid["game_console"],
                            pid["ebike"]], 1)
        fs = [new_factory(_factory(rng, "CN", "electronics", names=country_names))
              for _ in range(2)]
        n = count(8, 16)
        d.specs.append(SchemeSpec("network", "fly_by_night_importer", np.full(n, -(1 + m)),
                                  np.array(fs)[rng.integers(0, 2, n)], np.full(n, prods[0]),
                                  _dates(rng, n, end - timedelta(days=25), end),
                                  note="new importer, no history, burst of entries",
                                  party_ids=[d.importers[m]["importer_id"]]))
    # one foreign shipper cluster behind undervalued lines of many importers; two clusters
    # never share a trade name (they are different shippers), nor one clean firms use
    for stem_choice in rng.choice(["Richway", "Goldsea", "Winhope", "Fortune Link"], 2,
                                  replace=False):
        stem = str(stem_choice)
        sellers = [f"{stem} Trading Limited", f"{stem} Trade Co., Ltd.",
                   f"{stem.upper()} INTL TRADING LTD", f"{stem} International (HK) Ltd"]
        prod = pid[str(rng.choice(["sweater_men_mmf", "shoes_textile_women", "handbag_plastic"]))]
        fs = [new_factory(_factory(rng, "CN", sector_of[prod], seller=(s, "HK"),
                                   names=country_names)) for s in sellers]
        n = count(6, 12)
        d.specs.append(SchemeSpec("network", "foreign_shipper_cluster", existing_importers(n),
                                  np.array(fs)[rng.integers(0, len(fs), n)], np.full(n, prod),
                                  _dates(rng, n, start, end),
                                  note=f"'{stem}' seller cluster, values at 0.3-0.6 of peers",
                                  options={"price_factor": float(rng.uniform(0.3, 0.6))}))
    return d


def plan_for(spec: SchemeSpec, n_importers: int, n_factories: int) -> EntryPlan:
    """The entry plan of one scheme, with new-party references resolved to pool indices."""
    imp = np.where(spec.importer >= 0, spec.importer, n_importers + (-spec.importer - 1))
    fac = np.where(spec.factory >= 0, spec.factory, n_factories + (-spec.factory - 1))
    n = len(imp)
    factor = spec.options.get("price_factor")
    return EntryPlan(imp.astype(np.int64), fac.astype(np.int64), spec.product.astype(np.int64),
                     np.ones(n, np.int64), spec.dates, np.ones(n, bool),
                     None if factor is None else np.full(n, float(factor)))


def finish_scheme(led: Ledger, spec: SchemeSpec, entries: Columns, lines: Columns,
                  case_rates: dict[str, float], all_cases: list[str]) -> None:
    """Apply the scheme's false declarations to its freshly built entries; record truth."""
    rng = led.rng
    sid = led.scheme_id(spec.category, spec.scheme)
    loss: Any = 0.0
    note: Any = spec.note
    value = lines["entered_value_usd"]
    if spec.category == "adcvd":
        case = lines["adcvd_case_number"].copy()
        if spec.scheme.startswith("transshipment"):
            # true origin China: the deposit the importer avoided, at the China case rate
            loss = np.round(value * max(case_rates.values(), default=1.0) * 0.5, 2)
        elif spec.scheme == "undeclared_adcvd_type01":
            loss = np.nan_to_num(lines["adcvd_deposit_usd"].astype(float))
            lines["adcvd_case_number"][:] = ""
            lines["adcvd_deposit_usd"][:] = np.nan
            entries["entry_type"][:] = "01"
            note = "in-scope Chinese goods entered as type 01 without case or deposit"
        elif spec.scheme == "wrong_case_number":
            wrong = [c for c in all_cases if c not in set(case.tolist())]
            picked = rng.choice(wrong, len(case))
            lines["adcvd_case_number"][:] = picked
            new_dep = np.round(value * np.array([case_rates.get(str(c), 0.0) for c in picked]), 2)
            loss = np.maximum(0.0, np.nan_to_num(lines["adcvd_deposit_usd"].astype(float))
                              - new_dep)
            lines["adcvd_deposit_usd"][:] = new_dep
            note = np.array([f"declared {w}, goods fall under {c}" for w, c in zip(
                picked, case, strict=True)], dtype=object)
        else:
            loss = np.nan_to_num(lines["adcvd_deposit_usd"].astype(float))
            lines["adcvd_deposit_usd"][:] = 0.0
            note = "case number declared, no cash deposit"
    elif spec.scheme == "foreign_shipper_cluster":
        loss = np.round(lines["duty_usd"] * 1.0, 2)
    led.add("line", spec.category, spec.scheme, sid, entry_numbers=lines["entry_number"],
            line_numbers=lines["line_number"], notes=note, loss=loss)
    for party in spec.party_ids:
        led.add("party", spec.category, spec.scheme, sid, notes=spec.note, party_id=party)
