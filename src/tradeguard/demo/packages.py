"""Small packages (express and postal consignments) and the schemes planted among them.

Marketplace sellers ship mostly low-value parcels to consumers; descriptions range from the
specific (``BLUETOOTH HEADPHONES WIRELESS``) to the vague (``GIFT``). Planted schemes: one
consignee splitting an order into parcels just under the de minimis line (name and address
respelled), vague descriptions on valuable parcels, gross undervaluation, HTS or origin that
contradicts the description, repeat-offender sellers, and watch-listed shippers.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from tradeguard.demo import geography as geo
from tradeguard.demo.ledger import Ledger
from tradeguard.demo.variants import clean_listed_name, name_variant

_FIRST = ["JOHN", "MARIA", "JAMES", "LINDA", "ROBERT", "JENNIFER", "MICHAEL", "ASHLEY", "DAVID",
          "EMILY", "CARLOS", "WEI", "PRIYA", "AHMED", "SOFIA", "KEVIN", "NGUYEN", "OLGA"]
_LAST = ["SMITH", "JOHNSON", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ", "MARTINEZ", "LEE",
         "WALKER", "HALL", "YOUNG", "KING", "WRIGHT", "LOPEZ", "HILL", "CHEN", "PATEL", "KIM"]
_STREETS = ["MAIN ST", "OAK AVE", "PINE ST", "MAPLE DR", "CEDAR LN", "ELM ST", "PARK AVE",
            "LAKE RD", "HILL ST", "SUNSET BLVD", "RIVER RD", "WASHINGTON ST"]
_CITIES = [("BROOKLYN", "NY", "112"), ("HOUSTON", "TX", "770"), ("PHOENIX", "AZ", "850"),
           ("CHICAGO", "IL", "606"), ("MIAMI", "FL", "331"), ("SEATTLE", "WA", "981"),
           ("COLUMBUS", "OH", "432"), ("DENVER", "CO", "802"), ("ATLANTA", "GA", "303")]
_SHIPPERS = ["SHENZHEN", "GUANGZHOU", "YIWU", "DONGGUAN", "HANGZHOU", "XIAMEN"]
_VAGUE = ["GIFT", "ACCESSORIES", "SAMPLE", "PARTS", "GOODS", "CLOTHES", "HOUSEHOLD ITEMS",
          "PERSONAL EFFECTS", "MERCHANDISE"]
VAGUE_DESCRIPTIONS = _VAGUE
_PLATFORMS = ["AMZ", "TEMU", "SHEIN", "ALI", "EBAY", "WISH"]


def _consignee(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)]
    last = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
    num = rng.integers(1, 9999, n).astype(str)
    street = np.array(_STREETS, dtype=object)[rng.integers(0, len(_STREETS), n)]
    city = rng.integers(0, len(_CITIES), n)
    tail = np.array([f"{c}, {s} {z}{rng.integers(10, 99)}" for c, s, z in _CITIES],
                    dtype=object)[city]
    apt = np.where(rng.random(n) < 0.3, " APT " + rng.integers(1, 40, n).astype(str), "")
    return first + " " + last, num + " " + street + apt + ", " + tail


def seller_pool_size(n: int) -> int:
    """Marketplace sellers behind ``n`` parcels of one quarter."""
    return max(20, n // 40)


def build_packages(rng: np.random.Generator, n: int, catalogue: pl.DataFrame, start: date,
                   end: date, n_sellers: int | None = None) -> dict[str, np.ndarray]:
    """Clean small-package rows (arrays per contract column plus ``product_idx``); pass
    ``n_sellers`` to draw from the same seller pool as another period."""
    share = catalogue["package_share"].to_numpy()
    prods = rng.choice(len(share), n, p=share / share.sum())
    hts = catalogue["hts10"].to_numpy()[prods]
    price = (catalogue["price_low"].to_numpy() + catalogue["price_high"].to_numpy())[prods] / 2
    unit = catalogue["unit"].to_numpy()[prods]
    per_item = np.where(unit == "DOZ", price / 12, np.where(unit == "DPR", price / 12, price))
    items = rng.integers(1, 6, n)
    value = np.round(np.clip(per_item * items * rng.lognormal(0.9, 0.5, n), 3, 790), 2)
    kg = catalogue["kg_per_unit"].to_numpy()[prods]
    kg_item = np.where(np.isin(unit, ["DOZ", "DPR"]), kg / 12, np.minimum(kg, 30))
    weight = np.round(np.maximum(0.05, kg_item * items * rng.uniform(1.05, 1.3, n)), 2)
    phr = [d.split("|") for d in catalogue["descriptions"].to_list()]
    flat = np.array([t for d in phr for t in d], dtype=object)
    counts = np.array([len(d) for d in phr])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    desc = flat[starts[prods] + rng.integers(0, 100, n) % counts[prods]]
    vague = catalogue["vague"].fill_null("GOODS").to_numpy()[prods]
    desc = np.where(rng.random(n) < 0.15, vague, desc)
    hts_decl = np.where(rng.random(n) < 0.4, hts, np.where(rng.random(n) < 0.5,
                                                         hts.astype("U6"), ""))
    n_sellers = n_sellers or seller_pool_size(n)
    seller = rng.zipf(1.6, n) % n_sellers
    seller_ids = np.array([f"{_PLATFORMS[s % len(_PLATFORMS)]}-{(s * 7919) % 10**6:06d}"
                           for s in range(n_sellers)], dtype=object)
    shipper_names = np.array([f"{_SHIPPERS[s % len(_SHIPPERS)]} "
                              f"{['E-COMMERCE', 'TRADING', 'TECHNOLOGY', 'SUPPLY CHAIN'][s % 4]}"
                              f" CO LTD {s:03d}" for s in range(n_sellers)], dtype=object)
    origin = np.where(rng.random(n) < 0.85, "CN", rng.choice(["HK", "VN", "KR", "GB", "CA"], n))
    carrier = rng.choice(geo.EXPRESS_CARRIERS, n)
    serial = rng.integers(10**9, 10**10, n)
    package_id = np.char.add(np.char.add(carrier.astype(str), "-"), serial.astype(str))
    days = max(1, (end - start).days)
    arrival = np.datetime64(start, "D") + rng.integers(0, days + 1, n).astype("timedelta64[D]")
    name, address = _consignee(rng, n)
    return {
        "package_id": package_id.astype(object), "arrival_date": arrival,
        "port_of_entry": rng.choice(geo.PORTS_EXPRESS, n).astype(object),
        "shipper_name": shipper_names[seller], "shipper_country": np.where(
            origin == "HK", "HK", np.where(origin == "CN", "CN", origin)).astype(object),
        "consignee_name": name, "consignee_address": address, "declared_value_usd": value,
        "description": desc, "hts_code": np.asarray(hts_decl, dtype=object),
        "weight_kg": weight, "country_of_origin": origin.astype(object),
        "carrier_code": carrier.astype(object), "seller_id": seller_ids[seller],
        "product_idx": prods,
    }


def _respell(rng: np.random.Generator, name: str, address: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    name_forms = [name, f"{first[0]}. {last}", f"{last} {first}", f"{first} {last[:-1]}",
                  name.title(), f"{first}  {last}"]
    addr = address.replace(" ST,", " STREET,").replace(" AVE,", " AVENUE,")
    addr_forms = [address, addr, address.replace(" APT ", " #"), address.lower(),
                  address.replace(",", "")]
    return (name_forms[int(rng.integers(0, len(name_forms)))],
            addr_forms[int(rng.integers(0, len(addr_forms)))])


def plant_packages(led: Ledger, pk: dict[str, np.ndarray], catalogue: pl.DataFrame,
                   watch: pl.DataFrame, budget: int, end: date) -> dict[str, np.ndarray]:
    """Plant small-package schemes; splitting adds new parcels, the rest alter existing ones."""
    rng = led.rng
    n = len(pk["package_id"])
    taken = np.zeros(n, bool)
    add: list[dict[str, object]] = []
    # splitting: one consignee, one seller, parcels days apart, each just under $800
    for _ in range(max(2, budget // 25)):
        src = int(rng.integers(0, n))
        k = int(rng.integers(3, 7))
        sid = led.scheme_id("small_package", "split_shipment")
        day0 = np.datetime64(end - timedelta(days=int(rng.integers(5, 60))), "D")
        ids = []
        for j in range(k):
            name, addr = _respell(rng, str(pk["consignee_name"][src]),
                                  str(pk["consignee_address"][src]))
            row = {c: pk[c][src] for c in pk}
            pid = f"{pk['carrier_code'][src]}-{int(rng.integers(10**9, 10**10))}"
            row.update(package_id=pid, consignee_name=name, consignee_address=addr,
                       declared_value_usd=round(float(rng.uniform(640, 799)), 2),
                       arrival_date=day0 + np.timedelta64(int(rng.integers(0, 4)) + j, "D"))
            add.append(row)
            ids.append(pid)
        led.add("package", "small_package", "split_shipment", sid,
                package_ids=np.array(ids, object),
                notes=f"{k} parcels to one consignee (respelled) from {pk['seller_id'][src]}")
    out = {c: np.concatenate([pk[c], np.array([r[c] for r in add], dtype=pk[c].dtype)])
           for c in pk}
    taken = np.concatenate([taken, np.ones(len(add), bool)])
    price = ((catalogue["price_low"] + catalogue["price_high"]) / 2).to_numpy()
    hts_all = catalogue["hts10"].to_numpy()
    orgs = watch.filter(pl.col("entity_type") == "organization")

    def pick(k: int, mask: np.ndarray | None = None) -> np.ndarray:
        ok = ~taken if mask is None else (~taken & mask)
        pool = np.flatnonzero(ok)
        idx = np.sort(rng.choice(pool, min(k, len(pool)), replace=False))
        taken[idx] = True
        return idx

    per = max(3, budget // 8)
    for scheme in ("vague_description_high_value", "undervalued_parcel",
                   "hts_contradicts_description", "origin_contradicts_description",
                   "repeat_offender_seller"):
        sid = led.scheme_id("small_package", scheme)
        if scheme == "repeat_offender_seller":
            seller = str(out["seller_id"][int(rng.integers(0, n))])
            idx = pick(per, out["seller_id"] == seller)
            out["declared_value_usd"][idx] = np.round(out["declared_value_usd"][idx] * 0.15, 2)
            out["description"][idx] = rng.choice(_VAGUE, len(idx))
            note = f"seller {seller}: vague descriptions and values at ~15% on every parcel"
        else:
            idx = pick(per)
            if scheme == "vague_description_high_value":
                out["description"][idx] = rng.choice(_VAGUE, len(idx))
                out["declared_value_usd"][idx] = np.round(rng.uniform(450, 790, len(idx)), 2)
                note = "vague description on a parcel near the threshold"
            elif scheme == "undervalued_parcel":
                items = price[out["product_idx"][idx]]
                out["declared_value_usd"][idx] = np.round(np.maximum(
                    1.0, items * rng.uniform(0.03, 0.15, len(idx))), 2)
                note = "declared value a small fraction of the goods' price"
            elif scheme == "hts_contradicts_description":
                other = rng.integers(0, len(hts_all), len(idx))
                out["hts_code"][idx] = hts_all[other]
                note = "HTS of different goods than described"
            else:
                out["country_of_origin"][idx] = rng.choice(["US", "DE", "JP", "IT"], len(idx))
                out["shipper_country"][idx] = "CN"
                note = "origin contradicts shipper and described goods (Chinese shipper)"
        led.add("package", "small_package", scheme, sid, package_ids=out["package_id"][idx],
                notes=note)
    for lst in ("ofac_sdn", "bis_mieu", "dod_1260h"):
        pool = orgs.filter(pl.col("list") == lst)
        if pool.height == 0:
            continue
        ent = pool.row(int(rng.integers(0, pool.height)), named=True)
        variant, kind = name_variant(clean_listed_name(str(ent["name"])),
                                     list(ent["aliases"] or []), rng)
        idx = pick(int(rng.integers(2, 5)))
        out["shipper_name"][idx] = variant
        out["shipper_country"][idx] = ent["country"] or "CN"
        sid = led.scheme_id("watchlist", f"{lst}_package_shipper")
        led.add("package", "watchlist", f"{lst}_package_shipper", sid,
                package_ids=out["package_id"][idx],
                notes=f"{lst} {ent['entity_id']} '{ent['name']}' as '{variant}' ({kind})")
    return out
