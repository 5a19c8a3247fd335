"""Declared upstream suppliers for lines in forced-labor high-priority sectors.

Chains follow the real production steps (cotton: ginner -> spinner -> fabric mill; solar:
polysilicon -> wafer -> cell; aluminum: alumina -> smelter -> billet caster; steel: iron ore ->
steel mill; copper, lithium, caustic soda, red dates, tomatoes, PVC and seafood likewise).
Clean chains source from outside Xinjiang; the planted ones put a listed entity or a Xinjiang
address two or three tiers up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from tradeguard.demo.declarations import Columns
from tradeguard.demo.ledger import Ledger
from tradeguard.demo.variants import clean_listed_name, name_variant

# chain -> tier 1..3 (role, material, [(country, city)] of clean sources)
CHAINS: dict[str, list[tuple[str, str, list[tuple[str, str]]]]] = {
    "cotton": [("Fabric Mill", "cotton fabric", [("CN", "Shaoxing"), ("VN", "Nam Dinh"),
                                                  ("IN", "Surat"), ("PK", "Faisalabad")]),
               ("Spinning", "cotton yarn", [("CN", "Wuxi"), ("IN", "Coimbatore"),
                                            ("PK", "Multan"), ("VN", "Long An")]),
               ("Cotton Ginning", "raw cotton", [("US", "Lubbock"), ("AU", "Moree"),
                                                 ("BR", "Cuiaba"), ("IN", "Rajkot")])],
    "solar": [("Solar Cell", "solar cells", [("VN", "Bac Giang"), ("MY", "Kulim"),
                                             ("TH", "Chonburi"), ("CN", "Yancheng")]),
              ("Wafer", "silicon wafers", [("CN", "Yixing"), ("MY", "Penang"),
                                           ("NO", "Herøya")]),
              ("Polysilicon", "polysilicon", [("DE", "Burghausen"), ("US", "Hemlock"),
                                              ("MY", "Bintulu")])],
    "aluminum": [("Billet Casting", "aluminum billet", [("CA", "Saguenay"), ("AE", "Jebel Ali"),
                                                        ("IN", "Jharsuguda")]),
                 ("Smelter", "primary aluminum", [("CA", "Alma"), ("BH", "Askar"),
                                                  ("AU", "Gladstone")]),
                 ("Alumina Refinery", "alumina", [("AU", "Pinjarra"), ("BR", "Barcarena"),
                                                  ("JM", "Kirkvine")])],
    "tomato": [("Tomato Processing", "tomato paste", [("IT", "Parma"), ("ES", "Badajoz"),
                                                      ("PT", "Santarem")]),
               ("Farm Cooperative", "fresh tomatoes", [("IT", "Foggia"), ("ES", "Almeria"),
                                                       ("MX", "Culiacan")])],
    "pvc": [("Chlor-Alkali", "vinyl chloride monomer", [("TW", "Mailiao"), ("KR", "Yeosu"),
                                                       ("JP", "Mizushima")]),
            ("Salt Works", "industrial salt", [("AU", "Dampier"), ("MX", "Guerrero Negro")])],
    "steel": [("Steel Mill", "hot-rolled steel coil", [("CN", "Tangshan"), ("KR", "Pohang"),
                                                       ("JP", "Kimitsu"), ("IN", "Jamshedpur")]),
              ("Iron Ore Mine", "iron ore", [("AU", "Port Hedland"), ("BR", "Itabira"),
                                             ("CA", "Labrador City")])],
    "copper": [("Copper Refinery", "copper cathode", [("CL", "Mejillones"), ("JP", "Naoshima"),
                                                      ("CN", "Tongling")]),
               ("Copper Mine", "copper concentrate", [("CL", "Antofagasta"), ("PE", "Arequipa"),
                                                      ("AU", "Olympic Dam")])],
    "lithium": [("Lithium Refinery", "lithium carbonate", [("CN", "Yichun"), ("CL", "Antofagasta"),
                                                           ("AU", "Kwinana")]),
                ("Lithium Mine", "spodumene concentrate", [("AU", "Greenbushes"),
                                                           ("AR", "Catamarca"),
                                                           ("CL", "Salar de Atacama")])],
    "caustic_soda": [("Salt Works", "industrial salt", [("AU", "Dampier"),
                                                        ("MX", "Guerrero Negro"),
                                                        ("CN", "Lianyungang")])],
    "red_dates": [("Dried Fruit Processing", "dried jujubes", [("CN", "Cangzhou"),
                                                               ("CN", "Jiaxian")]),
                  ("Jujube Orchard", "fresh jujubes", [("CN", "Cangzhou"), ("CN", "Linfen"),
                                                      ("CN", "Yulin")])],
    "seafood": [("Processing Plant", "frozen fish", [("VN", "Can Tho"), ("TH", "Samut Sakhon"),
                                                     ("IN", "Kochi")]),
                ("Fishing Company", "whole fish", [("US", "Dutch Harbor"), ("RU", "Nakhodka"),
                                                   ("EC", "Manta")])],
}
_NAMES = ["Huafu", "Texhong", "Luthai", "Nam Dinh", "Vardhman", "Nishat", "Alpha", "Meridian",
          "Pacific", "Sunrise", "Golden Field", "Blue Ocean", "Evergreen", "Northern Star"]
_SUBJECT_NAMES = ["Hengtai", "Jinlong", "Xinhua", "Huasheng", "Tianrun", "Yongfeng", "Zhongda",
                  "Ruixin", "Baolong", "Minghai"]
_XUAR = [("CN", "Aksu, Xinjiang"), ("CN", "Shihezi, Xinjiang"), ("CN", "Kashgar, Xinjiang"),
         ("CN", "Korla, Xinjiang"), ("CN", "Urumqi, Xinjiang Uygur Autonomous Region")]


def build_supply_chain(rng: np.random.Generator, lines: Columns, chain_of_product: list[str],
                       skip: npt.NDArray[np.bool_],
                       force: npt.NDArray[np.bool_] | None = None) -> pl.DataFrame:
    """Supply-chain rows for lines of chained products.

    Every CN line of a chained product declares one (an importer doing due diligence traces
    high-priority goods), half of the other origins do; ``skip`` lines declare none and
    ``force`` lines always do.
    """
    chain = np.array(chain_of_product, dtype=object)[lines["product_idx"]]
    has_chain = chain != ""
    cn = lines["country_of_origin"] == "CN"
    forced = np.zeros(len(chain), bool) if force is None else force
    declared = has_chain & ~skip & (cn | forced | (rng.random(len(chain)) < 0.5))
    idx = np.flatnonzero(declared)
    rows: dict[str, list[Any]] = {k: [] for k in (
        "entry_number", "line_number", "tier", "supplier_name", "supplier_country",
        "supplier_address", "material", "buyer_name")}
    # a loop over chain kinds and tiers (a handful), vectorised over lines within each
    for kind, tiers in CHAINS.items():
        sel = idx[chain[idx] == kind]
        if len(sel) == 0:
            continue
        buyer = lines["manufacturer_name"][sel].astype(object)
        for tier, (role, material, sources) in enumerate(tiers, start=1):
            src = rng.integers(0, len(sources), len(sel))
            brand = np.array(_NAMES, dtype=object)[rng.integers(0, len(_NAMES), len(sel))]
            country = np.array([s[0] for s in sources], dtype=object)[src]
            city = np.array([s[1] for s in sources], dtype=object)[src]
            name = brand + " " + role + " Co., Ltd."
            rows["entry_number"] += lines["entry_number"][sel].tolist()
            rows["line_number"] += lines["line_number"][sel].tolist()
            rows["tier"] += [tier] * len(sel)
            rows["supplier_name"] += name.tolist()
            rows["supplier_country"] += country.tolist()
            rows["supplier_address"] += (city + ", " + country).tolist()
            rows["material"] += [material] * len(sel)
            rows["buyer_name"] += buyer.tolist()
            buyer = name
    return pl.DataFrame(rows, schema={
        "entry_number": pl.String, "line_number": pl.Int64, "tier": pl.Int64,
        "supplier_name": pl.String, "supplier_country": pl.String,
        "supplier_address": pl.String, "material": pl.String, "buyer_name": pl.String})


def plant_upstream(led: Ledger, chain: pl.DataFrame, listed: pl.DataFrame, k: int,
                   planted: pl.DataFrame) -> pl.DataFrame:
    """Put UFLPA/WRO entities (respelled) or Xinjiang addresses at tier 2 or 3 of some chains."""
    rng = led.rng
    upstream = chain.with_row_index("row").filter(pl.col("tier") >= 2)
    keys = upstream.select("entry_number", "line_number").unique(maintain_order=True).join(
        planted, on=["entry_number", "line_number"], how="anti")
    if keys.height == 0 or listed.height == 0:
        return chain
    pick = keys.sample(min(k, keys.height), seed=int(rng.integers(0, 2**31)))
    names = chain["supplier_name"].to_list()
    countries = chain["supplier_country"].to_list()
    addresses = chain["supplier_address"].to_list()
    for n_scheme, part in enumerate(np.array_split(np.arange(pick.height), 3)):
        scheme = ["uflpa_entity_upstream", "uflpa_entity_upstream", "xuar_supplier_upstream"][
            n_scheme]
        sid = led.scheme_id("forced_labor", scheme)
        ents, nums, notes = [], [], []
        for j in part:
            en, ln = pick.row(int(j))
            rows = upstream.filter((pl.col("entry_number") == en) & (pl.col("line_number") == ln))
            r = rows.row(int(rng.integers(0, rows.height)), named=True)
            i = int(r["row"])
            if scheme == "xuar_supplier_upstream":
                cc, addr = _XUAR[int(rng.integers(0, len(_XUAR)))]
                countries[i], addresses[i] = cc, addr
                notes.append(f"tier {r['tier']} supplier in {addr}")
            else:
                ent = listed.row(int(rng.integers(0, listed.height)), named=True)
                variant, kind = name_variant(clean_listed_name(str(ent["name"])),
                                             list(ent["aliases"] or []), rng)
                names[i], countries[i] = variant, "CN"
                addresses[i] = " ".join(ent["addresses"] or []) or addresses[i]
                notes.append(f"tier {r['tier']}: {ent['entity_id']} as '{variant}' ({kind})")
            ents.append(en)
            nums.append(ln)
        led.add("line", "forced_labor", scheme, sid, entry_numbers=np.array(ents, object),
                line_numbers=np.array(nums), notes=np.array(notes, object))
    return chain.with_columns(pl.Series("supplier_name", names),
                              pl.Series("supplier_country", countries),
                              pl.Series("supplier_address", addresses))


def disclose_subject_supplier(rng: np.random.Generator, chain: pl.DataFrame,
                              entry_numbers: npt.NDArray[Any], line_numbers: npt.NDArray[Any],
                              subject: str, cities: list[str]) -> pl.DataFrame:
    """Make one subject-country firm the tier-1 supplier of the given lines (one scheme).

    Evaders who declare a chain declare it truthfully: the third-country "factory" buys its
    inputs from the subject country, and the importer sees nothing wrong in saying so.
    """
    if len(entry_numbers) == 0:
        return chain
    city = cities[int(rng.integers(0, len(cities)))]
    brand = _SUBJECT_NAMES[int(rng.integers(0, len(_SUBJECT_NAMES)))]
    keys = pl.DataFrame({"entry_number": entry_numbers.astype(str),
                         "line_number": line_numbers.astype(np.int64), "_hit": True})
    marked = chain.join(keys, on=["entry_number", "line_number"], how="left",
                        maintain_order="left")
    hit = pl.col("_hit").fill_null(False)
    name = pl.lit(f"{city} {brand} ") + pl.col("material").str.to_titlecase() + pl.lit(
        " Co., Ltd.")
    tier1 = hit & (pl.col("tier") == 1)
    return marked.with_columns(
        supplier_name=pl.when(tier1).then(name).otherwise(pl.col("supplier_name")),
        supplier_country=pl.when(tier1).then(pl.lit(subject)).otherwise(
            pl.col("supplier_country")),
        supplier_address=pl.when(tier1).then(pl.lit(f"{city}, {subject}")).otherwise(
            pl.col("supplier_address")),
    ).with_columns(
        # the tier-2 row's buyer is the renamed tier-1 supplier
        buyer_name=pl.when(hit & (pl.col("tier") == 2)).then(
            pl.col("supplier_name").shift(1).over(["entry_number", "line_number"],
                                                  order_by="tier"))
        .otherwise(pl.col("buyer_name")),
    ).drop("_hit")
