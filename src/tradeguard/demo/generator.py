"""``generate_demo_data``: a complete, deterministic test bed in the contract's file formats.

One seed gives the same files every time (numpy ``SeedSequence`` streams per stage). The run:
party pools -> clean history and current entries -> planted schemes (own entries for AD/CVD,
forced labor, watch lists and networks; edits on existing lines for the rest) -> supply chains
-> small packages (and their past months, with exam outcomes) -> exam outcomes -> CSV files,
``truth.csv`` and ``manifest.json``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tradeguard.demo import geography as geo
from tradeguard.demo.catalogue import load_catalogue
from tradeguard.demo.declarations import (
    Columns,
    DeclarationContext,
    EntryPlan,
    build_declarations,
    concat_columns,
    window_dates,
)
from tradeguard.demo.ledger import Ledger
from tradeguard.demo.outcomes import build_outcomes
from tradeguard.demo.package_history import build_package_history, build_package_outcomes
from tradeguard.demo.packages import build_packages, plant_packages, seller_pool_size
from tradeguard.demo.parties import build_filers, build_importers, build_manufacturers
from tradeguard.demo.plant_declared import (
    plant_classification,
    plant_data_quality,
    plant_origin,
    plant_valuation,
)
from tradeguard.demo.plant_schemes import design_schemes, finish_scheme, plan_for
from tradeguard.demo.pricing import months_since, standing_slot
from tradeguard.demo.supply_chain import (
    build_supply_chain,
    disclose_subject_supplier,
    plant_upstream,
)
from tradeguard.demo.writer import write_outputs
from tradeguard.refdata import ReferenceData, load_reference_data

DEFAULT_END_DATE = date(2026, 9, 30)
WINDOW_DAYS = 91
# About 8 % of current lines carry a planted violation at 100k entries: targeting measures
# precision within the top 5 % of risk, which needs more than 5 % of lines to be real cases.
DEFAULT_PLANTING_RATE = 0.09
# Past parcels kept for the sender record (small-package history is shorter than entries').
PACKAGE_HISTORY_MONTHS = 6


@dataclass(frozen=True)
class DemoManifest:
    """What a run wrote: files, row counts, truth per category and scheme, versions used."""

    out_dir: str
    seed: int
    entries: int
    window: tuple[str, str]
    history_window: tuple[str, str]
    planting_rate: float
    files: dict[str, str]
    counts: dict[str, int]
    truth_by_category: dict[str, int]
    schemes: dict[str, dict[str, int]]
    planted_line_share: float
    reference_versions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to ``manifest.json``."""
        return asdict(self)


def _choose_by_group(rng: np.random.Generator, groups: np.ndarray,
                     options: dict[Any, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """For each distinct group value, draw from its (choices, weights); loops over groups only."""
    out = np.full(len(groups), -1, dtype=np.int64)
    for g in np.unique(groups):
        mask = groups == g
        choices, weights = options[g.item() if hasattr(g, "item") else g]
        out[mask] = rng.choice(choices, int(mask.sum()), p=weights / weights.sum())
    return out


def _zipf_pick(pool: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Map keyed uniforms onto a pool whose first members get most of the trade."""
    cdf = np.cumsum(1.0 / np.arange(1, len(pool) + 1) ** 0.8)
    return np.asarray(pool[np.minimum(np.searchsorted(cdf / cdf[-1], u), len(pool) - 1)])


def generate_demo_data(out_dir: Path | str, entries: int = 2000, seed: int = 7,
                       packages: int | None = None, history_months: int = 12,
                       planting_rate: float = DEFAULT_PLANTING_RATE,
                       end_date: date = DEFAULT_END_DATE,
                       ref: ReferenceData | None = None) -> DemoManifest:
    """Write a demo data set to ``out_dir`` and return its manifest."""
    if entries < 100:
        raise ValueError(f"entries must be at least 100 (got {entries})")
    if not 0.0 < planting_rate < 0.5:
        raise ValueError(f"planting_rate must be in (0, 0.5) (got {planting_rate})")
    if history_months < 1:
        raise ValueError(f"history_months must be at least 1 (got {history_months})")
    out = Path(out_dir)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(13)]
    r_party, r_plan, r_hist, r_cur, r_plant, r_scheme, r_chain, r_pkg, r_out, r_mode = streams[
        :10]
    r_price, r_pkg_hist, r_pkg_out = streams[10:]
    ref = ref or load_reference_data()
    cat = load_catalogue(ref)
    start = end_date - timedelta(days=WINDOW_DAYS - 1)
    hist_end = start - timedelta(days=1)
    hist_start = start - timedelta(days=30 * history_months)
    names = dict(ref.countries.select("iso2", "name").iter_rows())
    sectors = sorted(set(cat["sector"].to_list()))
    n_imp = max(40, entries // 15)
    filers = build_filers(r_party)
    importers = build_importers(r_party, n_imp, sectors, filers.height)
    n_hist = round(entries * 30 * history_months / WINDOW_DAYS)

    # ---- who ships what (clean trade)
    prod_sector = cat["sector"].to_numpy()
    by_sector = {s: (np.flatnonzero(prod_sector == s), np.ones(int((prod_sector == s).sum())))
                 for s in sectors}
    origin_opts: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    for i, spec in enumerate(cat["origins"].to_list()):
        pairs = [p.split(":") for p in spec.split(";")]
        origin_opts[i] = (np.array([p[0] for p in pairs]), np.array([float(p[1]) for p in pairs]))
    size = importers["size"].to_numpy()
    is_new = importers["new_importer"].to_numpy()

    def sample(rng: np.random.Generator, n: int, history: bool) -> tuple[np.ndarray, ...]:
        w = np.where(is_new & history, 0.0, size)
        imp = rng.choice(n_imp, n, p=w / w.sum())
        sector = np.where(rng.random(n) < 0.85, importers["sector"].to_numpy()[imp],
                          rng.choice(np.array(sectors), n))
        product = _choose_by_group(rng, sector, by_sector)
        origin_idx = np.zeros(n, dtype=np.int64)
        origin = np.empty(n, dtype=object)
        for p in np.unique(product):
            mask = product == p
            choices, weights = origin_opts[int(p)]
            origin[mask] = rng.choice(choices, int(mask.sum()), p=weights / weights.sum())
        del origin_idx
        return imp, product, origin

    cur_imp, cur_prod, cur_origin = sample(r_plan, entries, history=False)
    hist_imp, hist_prod, hist_origin = sample(r_plan, n_hist, history=True)
    keys = pl.DataFrame({"c": np.concatenate([cur_origin, hist_origin]).astype(str),
                         "s": prod_sector[np.concatenate([cur_prod, hist_prod])]})
    demand = {(r[0], r[1]): r[2] * 2 for r in keys.group_by("c", "s").len().iter_rows()}
    mfrs = build_manufacturers(r_party, demand, names)
    design = design_schemes(r_scheme, cat, ref.watchlists, n_imp, mfrs.height, start, end_date,
                            scale=entries / 4000, country_names=names, chain_rng=r_mode)
    if design.importers:
        extra = pl.DataFrame(design.importers).with_columns(
            pl.int_range(n_imp, n_imp + len(design.importers)).alias("importer_idx"))
        importers = pl.concat([importers, extra.select(importers.columns)],
                              how="vertical_relaxed")
    if design.factories:
        extra_f = pl.DataFrame(design.factories).with_columns(
            pl.int_range(mfrs.height, mfrs.height + len(design.factories)).alias("mfr_idx"))
        all_mfrs = pl.concat([mfrs, extra_f.select(mfrs.columns)], how="vertical_relaxed")
    else:
        all_mfrs = mfrs

    price_salt = int(r_price.integers(0, 2**62))
    m_group = np.char.add(np.char.add(mfrs["manufacturer_country"].to_numpy().astype(str), "|"),
                          mfrs["sector"].to_numpy().astype(str))
    group_names = np.unique(m_group)

    def pick_factories(rng: np.random.Generator, origin: np.ndarray, product: np.ndarray,
                       imp: np.ndarray, history: bool) -> np.ndarray:
        """Each importer's standing suppliers per (origin, kind of goods); in history a
        supplier that is new this quarter is replaced by an established one."""
        group = np.char.add(np.char.add(origin.astype(str), "|"), prod_sector[product])
        gid = np.searchsorted(group_names, group)
        u = standing_slot(price_salt, imp, gid, rng)
        new = mfrs["new_manufacturer"].to_numpy()
        out = np.full(len(group), -1, dtype=np.int64)
        for g in np.unique(group):
            mask = group == g
            full = np.flatnonzero(m_group == g)
            old = np.flatnonzero((m_group == g) & ~new)
            pick = _zipf_pick(full, u[mask])
            if history and len(old):
                pick = np.where(new[pick], _zipf_pick(old, u[mask]), pick)
            out[mask] = pick
        return out

    # The order seed carries no cash-deposit rates; where a rate is missing the demo uses an
    # illustrative, fixed rate per case (30-200 %), so deposits are consistent across runs.
    case_rates = {c: round(float(0.3 + (int(c[-3:]) * 37 % 170) / 100), 4)
                  for c in ref.adcvd_orders["case_number"].to_list()}
    case_rates.update({c: float(r) for c, r in ref.adcvd_orders.select(
        "case_number", "deposit_rate").drop_nulls().iter_rows()})
    ctx = DeclarationContext(cat, importers, filers, all_mfrs, ref.adcvd_orders, case_rates,
                             price_salt=price_salt,
                             price_epoch=int(months_since(np.array([end_date],
                                                                   "datetime64[D]"))[0]))

    def lines_per_entry(rng: np.random.Generator, n: int) -> np.ndarray:
        return np.minimum(1 + rng.poisson(1.4, n), 8).astype(np.int64)

    hist_plan = EntryPlan(hist_imp, pick_factories(r_hist, hist_origin, hist_prod, hist_imp,
                                                   True),
                          hist_prod, lines_per_entry(r_hist, n_hist),
                          window_dates(r_hist, n_hist, hist_start, hist_end))
    h_entries, h_lines = build_declarations(r_hist, ctx, hist_plan)
    n_scheme_entries = sum(len(s.dates) for s in design.specs)
    n_clean = max(entries - n_scheme_entries, entries // 2)
    cur_mfr = pick_factories(r_cur, cur_origin, cur_prod, cur_imp, False)
    cur_plan = EntryPlan(cur_imp[:n_clean], cur_mfr[:n_clean], cur_prod[:n_clean],
                         lines_per_entry(r_cur, n_clean),
                         window_dates(r_cur, n_clean, start, end_date))
    c_entries, c_lines = build_declarations(r_cur, ctx, cur_plan)

    # ---- planting on clean lines
    n_lines_total = len(c_lines["entry_number"]) + n_scheme_entries
    led = Ledger(r_plant, np.zeros(len(c_lines["entry_number"]), bool),
                 np.zeros(len(c_entries["entry_number"]), bool))
    budget = max(int(planting_rate * n_lines_total) - n_scheme_entries,
                 int(0.4 * planting_rate * n_lines_total), 40)
    tariff_codes = set(ref.tariff.frame["hts10"].to_list())
    cat_np = {c: cat[c].to_numpy() for c in ("heading", "chapter", "price_low", "price_high",
                                            "ad_valorem", "specific", "hts10", "unit",
                                            "kg_per_unit")}
    plant_data_quality(led, ctx, c_entries, c_lines, int(budget * 0.3), tariff_codes)
    plant_valuation(led, ctx, c_lines, int(budget * 0.3))
    plant_classification(led, ctx, c_lines, int(budget * 0.15), cat_np)
    plant_origin(led, ctx, c_entries, c_lines, int(budget * 0.15))

    # ---- scheme entries
    e_parts, l_parts = [c_entries], [c_lines]
    all_cases = ref.adcvd_orders["case_number"].to_list()
    chain_modes: list[tuple[int, int, str]] = []  # (first line, lines, chain mode) per scheme
    offset = len(c_lines["entry_number"])
    for spec in design.specs:
        se, sl = build_declarations(r_scheme, ctx, plan_for(spec, n_imp, mfrs.height))
        finish_scheme(led, spec, se, sl, case_rates, all_cases)
        e_parts.append(se)
        l_parts.append(sl)
        n_sl = len(sl["entry_number"])
        chain_modes.append((offset, n_sl, str(spec.options.get("chain_mode", "none"))))
        offset += n_sl
    cur_entries, cur_lines = concat_columns(e_parts), concat_columns(l_parts)
    n_new = len(cur_lines["entry_number"]) - len(led.line_taken)
    led.line_taken = np.concatenate([led.line_taken, np.ones(n_new, bool)])

    # ---- supply chains: priority-sector Chinese lines without one, then listed suppliers upstream
    chain_of = cat["chain"].fill_null("").to_list()
    priority = np.array([bool(c) for c in cat["priority"].fill_null("").to_list()])
    eligible = priority[cur_lines["product_idx"]] & (cur_lines["country_of_origin"] == "CN")
    skip_idx = led.pick(eligible, max(3, int(budget * 0.05)))
    skip = np.zeros(len(led.line_taken), bool)
    skip[skip_idx] = True
    force = np.zeros(len(led.line_taken), bool)
    for first, n_sl, mode in chain_modes:
        skip[first:first + n_sl] |= mode == "hide"
        force[first:first + n_sl] |= mode == "disclose"
    if len(skip_idx):
        led.add("line", "forced_labor", "no_traceability",
                led.scheme_id("forced_labor", "no_traceability"),
                entry_numbers=cur_lines["entry_number"][skip_idx],
                line_numbers=cur_lines["line_number"][skip_idx],
                notes=np.array([f"{cat['priority'][int(p)]} goods from CN, no supply chain"
                                for p in cur_lines["product_idx"][skip_idx]], dtype=object))
    chain = build_supply_chain(r_chain, cur_lines, chain_of, skip, force)
    cn_cities = [c for c, _p, _l in geo.CITIES["CN"]]
    for first, n_sl, mode in chain_modes:
        if mode == "disclose":
            part = slice(first, first + n_sl)
            chain = disclose_subject_supplier(r_chain, chain, cur_lines["entry_number"][part],
                                              cur_lines["line_number"][part], "CN", cn_cities)
    listed = ref.watchlists.filter(pl.col("list").is_in(["uflpa", "wro"])
                                   & (pl.col("country") == "CN"))
    planted = led.frame().filter(pl.col("record_kind") == "line").select(
        "entry_number", "line_number").unique()
    chain = plant_upstream(led, chain, listed, max(3, int(budget * 0.05)), planted)

    # ---- packages
    n_pk = packages if packages is not None else entries
    n_sellers = seller_pool_size(n_pk)
    pk = build_packages(r_pkg, n_pk, cat, start, end_date, n_sellers=n_sellers)
    pk = plant_packages(led, pk, cat, ref.watchlists, max(20, int(planting_rate * n_pk)),
                        end_date)
    pk_months = min(history_months, PACKAGE_HISTORY_MONTHS)
    pk_hist_start = start - timedelta(days=30 * pk_months)
    offender_ids = [r["package_id"] for r in led.records
                    if r["scheme"] == "repeat_offender_seller"]
    offenders = sorted(set(pk["seller_id"][np.isin(pk["package_id"].astype(str), np.array(
        offender_ids, dtype=str))].astype(str).tolist()))
    pk_hist, pk_bad = build_package_history(
        r_pkg_hist, round(n_pk * 30 * pk_months / WINDOW_DAYS), cat, pk_hist_start, hist_end,
        n_sellers, offenders, set(pk["package_id"].astype(str).tolist()))
    pk_outcomes = build_package_outcomes(r_pkg_out, pk_hist, pk_bad)

    truth = led.frame()
    entry_dates = pl.DataFrame({"entry_number": cur_entries["entry_number"].astype(str),
                                "entry_date": cur_entries["entry_date"]})
    outcomes = build_outcomes(r_out, cur_lines, entry_dates, truth)
    files, counts = write_outputs(out, cur_entries, cur_lines, h_entries, h_lines, chain, pk,
                                  outcomes, truth, pk_hist, pk_outcomes)
    line_truth = truth.filter(pl.col("record_kind") == "line").select(
        "entry_number", "line_number").unique().height
    by_cat = dict(truth.group_by("category").len().sort("category").iter_rows())
    schemes: dict[str, dict[str, int]] = {}
    for c, s, n in truth.group_by("category", "scheme").len().sort("category", "scheme"
                                                                    ).iter_rows():
        schemes.setdefault(c, {})[s] = n
    manifest = DemoManifest(
        out_dir=str(out), seed=seed, entries=len(cur_entries["entry_number"]),
        window=(start.isoformat(), end_date.isoformat()),
        history_window=(hist_start.isoformat(), hist_end.isoformat()),
        planting_rate=planting_rate, files=files, counts=counts, truth_by_category=by_cat,
        schemes=schemes, planted_line_share=round(line_truth / max(1, counts["lines"]), 4),
        reference_versions=ref.versions)
    (out / "manifest.json").write_text(json.dumps(manifest.to_json(), indent=2, sort_keys=True),
                                       "utf-8")
    return manifest


__all__ = ["DEFAULT_END_DATE", "DEFAULT_PLANTING_RATE", "Columns", "DemoManifest",
           "generate_demo_data"]
