"""Bulk assembly of entry summaries and their lines from a plan of who ships what, when.

A :class:`EntryPlan` says, per entry, the importer, the factory, the first product, the number
of lines and the date. :func:`build_declarations` turns it into contract rows with numpy only:
quantities, negotiated prices (:mod:`tradeguard.demo.pricing`), weights, special-program
claims, duty at the tariff rate (ad valorem and specific parts, quantity in the first HTS
unit), AD/CVD case and deposit where an order covers the goods, modes, ports, carriers, bills
of lading and check-digited entry numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from tradeguard.demo import geography as geo
from tradeguard.demo.entry_number import entry_numbers
from tradeguard.demo.pricing import months_since, negotiated_price, sku_count
from tradeguard.refdata.trade_programs import COLUMN2_COUNTRIES

Columns = dict[str, npt.NDArray[Any]]
_INTEGER_UNITS = {"NO", "DOZ", "PRS", "DPR", "DPC", "THS", "KG", "GRS", "PCS", "L"}


@dataclass
class EntryPlan:
    """Per-entry choices; every array has one element per entry."""

    importer_idx: npt.NDArray[np.int64]
    mfr_idx: npt.NDArray[np.int64]
    product_idx: npt.NDArray[np.int64]
    n_lines: npt.NDArray[np.int64]
    entry_date: npt.NDArray[np.datetime64]
    same_product: npt.NDArray[np.bool_] | None = None
    price_factor: npt.NDArray[np.float64] | None = None


@dataclass
class DeclarationContext:
    """What the builder reads: catalogue arrays, party pools, orders and running serials."""

    catalogue: pl.DataFrame
    importers: pl.DataFrame
    filers: pl.DataFrame
    manufacturers: pl.DataFrame
    orders: pl.DataFrame
    case_rates: dict[str, float]
    price_salt: int = 0
    price_epoch: int = 0  # month (since 1970-01) at which agreed levels are as drawn
    serials: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cat = self.catalogue
        self.cat_np = {c: cat[c].to_numpy() for c in (
            "hts10", "unit", "ad_valorem", "specific", "col2_ad_valorem", "col2_specific",
            "general_kind", "price_low",
            "price_high", "kg_per_unit", "qty_low", "qty_high", "sector")}
        self.cat_floor = cat["price_floor"].cast(pl.Float64).fill_null(0.0).to_numpy()
        self.cat_ceiling = cat["price_ceiling"].cast(pl.Float64).fill_null(np.inf).to_numpy()
        free = [set(p) for p in cat["free_programs"].to_list()]
        self.spi_codes = sorted(set(geo.FTA_SPI.values()))
        self.spi_free = np.array([[code in f for code in self.spi_codes] for f in free], bool)
        phrasings = [d.split("|") for d in cat["descriptions"].to_list()]
        self.desc_flat = np.array([t for d in phrasings for t in d], dtype=object)
        self.desc_count = np.array([len(d) for d in phrasings], dtype=np.int64)
        self.desc_start = np.concatenate([[0], np.cumsum(self.desc_count)[:-1]])
        self.by_sector_country: dict[tuple[str, str], npt.NDArray[np.int64]] = {}
        for row in cat.select("product_idx", "sector", "origins").iter_rows():
            for part in str(row[2]).split(";"):
                key = (str(row[1]), part.split(":")[0])
                prev = self.by_sector_country.get(key, np.zeros(0, np.int64))
                self.by_sector_country[key] = np.append(prev, int(row[0]))
        self.mfr_np = {c: self.manufacturers[c].to_numpy() for c in (
            "manufacturer_id", "manufacturer_name", "manufacturer_address",
            "manufacturer_country", "seller_name", "seller_country", "city")}
        self.imp_np = {c: self.importers[c].to_numpy() for c in (
            "importer_id", "importer_name", "importer_address", "size", "trusted_trader",
            "filer_idx")}


def _pick_extra_products(rng: np.random.Generator, ctx: DeclarationContext,
                         first: npt.NDArray[np.int64], country: npt.NDArray[Any]
                         ) -> npt.NDArray[np.int64]:
    """Products for lines after the first: same sector, also made in the same country."""
    out = first.copy()
    sectors = ctx.cat_np["sector"][first]
    keys = np.char.add(np.char.add(sectors.astype(str), "|"), country.astype(str))
    for key in np.unique(keys):
        sector, cc = str(key).split("|")
        choices = ctx.by_sector_country.get((sector, cc))
        mask = keys == key
        if choices is not None and len(choices):
            out[mask] = rng.choice(choices, int(mask.sum()))
    return out


def line_duty(ctx: DeclarationContext, product: npt.NDArray[np.int64],
              value: npt.NDArray[np.float64], qty: npt.NDArray[np.float64],
              spi: npt.NDArray[Any], origin: npt.NDArray[Any],
              ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(duty_rate, duty_usd): column 2 for its countries, Free under a claimed program,
    else the general rate (HTSUS General Note 3)."""
    claimed = spi != ""
    column2 = np.isin(origin.astype(str), list(COLUMN2_COUNTRIES))
    ad_valorem = np.where(column2, ctx.cat_np["col2_ad_valorem"][product],
                          np.where(claimed, 0.0, ctx.cat_np["ad_valorem"][product]))
    specific = np.where(column2, ctx.cat_np["col2_specific"][product],
                        np.where(claimed, 0.0, ctx.cat_np["specific"][product]))
    duty = np.round(value * ad_valorem + qty * specific, 2)
    purely_specific = (ad_valorem == 0) & (specific > 0)
    rate = np.where(purely_specific, np.nan, ad_valorem)
    return rate, duty


def adcvd_cases(ctx: DeclarationContext, hts: npt.NDArray[Any], origin: npt.NDArray[Any]
                ) -> npt.NDArray[Any]:
    """The AD (else CVD) case covering each line's HTS number and origin, or ''."""
    case = np.full(len(hts), "", dtype=object)
    hts_s = hts.astype(str)
    for row in ctx.orders.sort("order_type").iter_rows(named=True):
        hit = (origin == row["country"]) & (case == "")
        if not hit.any():
            continue
        prefix_hit = np.zeros(len(hts), dtype=bool)
        for prefix in row["hts_prefixes"]:
            prefix_hit |= np.char.startswith(hts_s, prefix.replace(".", ""))
        case[hit & prefix_hit] = row["case_number"]
    return case


def build_declarations(rng: np.random.Generator, ctx: DeclarationContext, plan: EntryPlan
                       ) -> tuple[Columns, Columns]:
    """Entries and lines (as column arrays) for every planned entry."""
    n = len(plan.importer_idx)
    order = np.argsort(plan.entry_date, kind="stable")
    plan = EntryPlan(*(None if a is None else a[order] for a in (
        plan.importer_idx, plan.mfr_idx, plan.product_idx, plan.n_lines, plan.entry_date,
        plan.same_product, plan.price_factor)))  # type: ignore[arg-type]
    country = ctx.mfr_np["manufacturer_country"][plan.mfr_idx]
    # ---- lines
    entry_of_line = np.repeat(np.arange(n), plan.n_lines)
    first_line = np.concatenate([[0], np.cumsum(plan.n_lines)[:-1]]) if n else np.zeros(0, int)
    line_number = np.arange(len(entry_of_line)) - first_line[entry_of_line] + 1
    line_country = country[entry_of_line]
    product = plan.product_idx[entry_of_line]
    extra = line_number > 1
    if plan.same_product is not None:
        extra &= ~plan.same_product[entry_of_line]
    if extra.any():
        product[extra] = _pick_extra_products(rng, ctx, product[extra], line_country[extra])
    m = len(product)
    size = ctx.imp_np["size"][plan.importer_idx][entry_of_line]
    scale = np.clip(np.sqrt(size) / 3.0, 0.2, 4.0)
    lo, hi = ctx.cat_np["qty_low"][product], ctx.cat_np["qty_high"][product]
    qty = np.exp(rng.uniform(np.log(lo), np.log(hi))) * scale
    units = ctx.cat_np["unit"][product]
    qty = np.where(np.isin(units, list(_INTEGER_UNITS)), np.maximum(1, np.round(qty)),
                   np.maximum(0.01, np.round(qty, 2)))
    countries, country_inv = np.unique(line_country.astype(str), return_inverse=True)
    country_factor = np.array([geo.PRICE_FACTOR.get(str(c), 1.1) for c in countries])[
        country_inv]
    price = negotiated_price(ctx.price_salt, plan.importer_idx[entry_of_line], product,
                             plan.mfr_idx[entry_of_line],
                             rng.integers(0, sku_count(size.astype(float))),
                             months_since(plan.entry_date[entry_of_line]) - ctx.price_epoch,
                             ctx.cat_np["price_low"][product].astype(float),
                             ctx.cat_np["price_high"][product].astype(float), rng) * country_factor
    if plan.price_factor is not None:
        price = price * plan.price_factor[entry_of_line]
    price = np.clip(price, ctx.cat_floor[product], ctx.cat_ceiling[product])
    value = np.round(qty * price, 2)
    weight = np.round(qty * ctx.cat_np["kg_per_unit"][product] * rng.uniform(1.03, 1.15, m), 1)
    hts = ctx.cat_np["hts10"][product]
    code_of_country = np.array([ctx.spi_codes.index(geo.FTA_SPI[str(c)])
                                if str(c) in geo.FTA_SPI else -1 for c in countries])
    code_idx = code_of_country[country_inv]
    spi_code = np.where(code_idx >= 0, np.array([*ctx.spi_codes, ""], dtype=object)[code_idx],
                        "")
    eligible = (code_idx >= 0) & ctx.spi_free[product, np.maximum(code_idx, 0)]
    spi = np.where(eligible & (rng.random(m) < 0.85), spi_code, "").astype(object)
    rate, duty = line_duty(ctx, product, value, qty, spi, line_country)
    case = adcvd_cases(ctx, hts, line_country)
    case_rate = np.array([ctx.case_rates.get(str(c), 0.0) for c in case])
    deposit = np.where(case != "", np.round(value * case_rate, 2), np.nan)
    desc_pick = rng.integers(0, 1_000_000, m)
    description = ctx.desc_flat[ctx.desc_start[product] + desc_pick % ctx.desc_count[product]]
    mfr = plan.mfr_idx[entry_of_line]
    # ---- entries
    entry_value = np.bincount(entry_of_line, weights=value, minlength=n)
    entry_weight = np.bincount(entry_of_line, weights=weight, minlength=n)
    has_case = np.bincount(entry_of_line, weights=(case != "").astype(float), minlength=n) > 0
    overland = np.isin(country, ["MX", "CA"])
    air = ~overland & (entry_weight < 3000) & (rng.random(n) < 0.35)
    mode = np.where(overland, np.where(rng.random(n) < 0.85, "30", "20"),
                    np.where(air, "40", np.where(rng.random(n) < 0.9, "11", "10")))
    port = np.empty(n, dtype=object)
    for code, pool in (("40", geo.PORTS_AIR), ("11", geo.PORTS_VESSEL), ("10", geo.PORTS_VESSEL)):
        mask = mode == code
        port[mask] = rng.choice(pool, int(mask.sum()))
    for cc, pool in (("MX", geo.PORTS_TRUCK_MX), ("CA", geo.PORTS_TRUCK_CA)):
        mask = overland & (country == cc)
        port[mask] = rng.choice(pool, int(mask.sum()))
    city = ctx.mfr_np["city"][plan.mfr_idx]
    lading_of = {f"{cc}|{c}": lading for cc, rows in geo.CITIES.items()
                 for c, _p, lading in rows}
    places, place_inv = np.unique(np.char.add(np.char.add(country.astype(str), "|"),
                                              city.astype(str)), return_inverse=True)
    lading = np.array([lading_of.get(str(p), "") for p in places], dtype=object)[place_inv]
    carrier = np.empty(n, dtype=object)
    bill = np.empty(n, dtype=object)
    numbers = rng.integers(10**8, 10**9, n)
    ocean = np.isin(mode, ["10", "11"])
    carrier[ocean] = rng.choice(geo.OCEAN_CARRIERS, int(ocean.sum()))
    bill[ocean] = np.char.add(carrier[ocean].astype(str), numbers[ocean].astype(str))
    air_pick = rng.integers(0, len(geo.AIR_CARRIERS), n)
    serial8 = numbers % 10**7
    # air waybill: airline prefix + 7-digit serial + mod-7 check digit
    prefixes = np.array([p for _c, p in geo.AIR_CARRIERS])[air_pick]
    awb = np.char.add(np.char.add(np.char.add(prefixes, "-"), np.char.zfill(
        serial8.astype(str), 7)), (serial8 % 7).astype(str))
    carrier[mode == "40"] = np.array([c for c, _p in geo.AIR_CARRIERS],
                                     dtype=object)[air_pick][mode == "40"]
    bill[mode == "40"] = awb.astype(object)[mode == "40"]
    land = np.isin(mode, ["20", "30"])
    carrier[land] = rng.choice(geo.TRUCK_CARRIERS, int(land.sum()))
    bill[land] = np.char.add(carrier[land].astype(str), (numbers[land] % 10**7).astype(str))
    entry_type = np.where(has_case, "03", np.where(entry_value < 2500, "11", "01"))
    entry_type = np.where((entry_value <= 800) & (mode == "40") & ~has_case, "86", entry_type)
    filer_idx = ctx.imp_np["filer_idx"][plan.importer_idx]
    serial = np.zeros(n, dtype=np.int64)
    for f in np.unique(filer_idx):
        mask = filer_idx == f
        start = ctx.serials.get(int(f), int(rng.integers(1_000_000, 3_000_000)))
        serial[mask] = start + np.arange(int(mask.sum()))
        ctx.serials[int(f)] = start + int(mask.sum())
    filer_codes = ctx.filers["filer_code"].to_numpy()[filer_idx]
    numbers_txt = entry_numbers(filer_codes.astype(str), serial % 10_000_000)
    entries: Columns = {
        "entry_number": numbers_txt, "entry_type": entry_type.astype(object),
        "entry_date": plan.entry_date, "port_of_entry": port,
        "importer_id": ctx.imp_np["importer_id"][plan.importer_idx],
        "importer_name": ctx.imp_np["importer_name"][plan.importer_idx],
        "importer_country": np.full(n, "US", dtype=object), "filer_code": filer_codes,
        "mode_of_transport": mode.astype(object), "country_of_export": country.copy(),
        "port_of_lading": lading, "bill_of_lading": bill, "carrier_code": carrier,
        "trusted_trader": ctx.imp_np["trusted_trader"][plan.importer_idx],
        "importer_address": ctx.imp_np["importer_address"][plan.importer_idx],
        "importer_idx": plan.importer_idx,
    }
    lines: Columns = {
        "entry_number": numbers_txt[entry_of_line], "line_number": line_number,
        "hts_code": hts.astype(object), "description": description,
        "country_of_origin": line_country.copy(), "quantity": qty,
        "quantity_unit": units.astype(object), "entered_value_usd": value,
        "gross_weight_kg": weight,
        "manufacturer_id": ctx.mfr_np["manufacturer_id"][mfr],
        "manufacturer_name": ctx.mfr_np["manufacturer_name"][mfr],
        "manufacturer_address": ctx.mfr_np["manufacturer_address"][mfr],
        "manufacturer_country": ctx.mfr_np["manufacturer_country"][mfr],
        "seller_name": ctx.mfr_np["seller_name"][mfr],
        "seller_country": ctx.mfr_np["seller_country"][mfr],
        "duty_rate": rate, "duty_usd": duty,
        "chapter99_numbers": np.full(m, "", dtype=object),
        "additional_duty_usd": np.full(m, np.nan),
        "adcvd_deposit_usd": deposit, "adcvd_case_number": case, "spi": spi,
        "related_party": rng.random(m) < 0.08,
        "product_idx": product, "mfr_idx": mfr,
        "importer_idx": plan.importer_idx[entry_of_line],
    }
    return entries, lines


def concat_columns(parts: list[Columns]) -> Columns:
    """Append column sets with the same keys."""
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def window_dates(rng: np.random.Generator, n: int, start: date, end: date
                 ) -> npt.NDArray[np.datetime64]:
    """Business-day-ish dates spread over [start, end]."""
    days = (end - start).days
    offsets = rng.integers(0, days + 1, n)
    return np.datetime64(start, "D") + offsets.astype("timedelta64[D]")
