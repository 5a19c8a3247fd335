"""Violations planted on existing entry lines: data quality, valuation, classification, origin.

Each function draws untaken lines (or whole entries) through the :class:`Ledger`, changes only
what the scheme changes, keeps every other field consistent (a re-valued line gets the duty of
its new value, so one scheme does not look like two), and records truth with the revenue at
stake in ``loss_usd``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tradeguard.demo.declarations import Columns, DeclarationContext, line_duty
from tradeguard.demo.ledger import Ledger

WRONG_UNIT = {"DOZ": "KG", "NO": "KG", "KG": "NO", "PRS": "DOZ", "M3": "M2", "THS": "NO",
              "DPR": "PRS", "DPC": "NO", "L": "KG", "M2": "KG"}


def _sizes(rng: np.random.Generator, budget: int, n_schemes: int, low: int = 2) -> list[int]:
    """Split a budget of rows over schemes, each at least ``low``."""
    weights = rng.dirichlet(np.ones(n_schemes))
    return [max(low, round(budget * w)) for w in weights]


def _redo_duty(ctx: DeclarationContext, lines: Columns, idx: npt.NDArray[np.int64],
               product: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.float64]:
    """Recompute declared duty (and deposit) after a change; returns the duty change."""
    prod = lines["product_idx"][idx] if product is None else product
    before = lines["duty_usd"][idx].copy()
    rate, duty = line_duty(ctx, prod, lines["entered_value_usd"][idx], lines["quantity"][idx],
                           lines["spi"][idx], lines["country_of_origin"][idx])
    lines["duty_rate"][idx], lines["duty_usd"][idx] = rate, duty
    case = lines["adcvd_case_number"][idx]
    dep = np.array([ctx.case_rates.get(str(c), 0.0) for c in case])
    lines["adcvd_deposit_usd"][idx] = np.where(case != "", np.round(
        lines["entered_value_usd"][idx] * dep, 2), np.nan)
    return np.asarray(duty - before)


def plant_data_quality(led: Ledger, ctx: DeclarationContext, entries: Columns, lines: Columns,
                       budget: int, tariff_codes: set[str]) -> None:
    """Entry errors a rules engine should catch before anything else."""
    rng = led.rng
    cat = "data_quality"
    schemes = ["hts_not_in_tariff", "hts_not_10_digits", "wrong_quantity_unit",
               "duty_mismatch", "malformed_mid", "mid_not_from_manufacturer",
               "missing_parties", "spi_origin_not_covered", "implausible_weight",
               "implausible_value", "bad_check_digit"]
    sizes = _sizes(rng, budget, len(schemes))
    origin = lines["country_of_origin"]
    for scheme, k in zip(schemes, sizes, strict=True):
        sid = led.scheme_id(cat, scheme)
        if scheme == "bad_check_digit":
            ent = led.pick(np.ones(len(entries["entry_number"]), bool), max(2, k // 2),
                           entries=True)
            for e in ent:
                old = str(entries["entry_number"][e])
                digit = (int(old[-1]) + int(rng.integers(1, 10))) % 10
                new = old[:-1] + str(digit)
                entries["entry_number"][e] = new
                lines["entry_number"][lines["entry_number"] == old] = new
                led.line_taken[lines["entry_number"] == new] = True
            led.add("entry", cat, scheme, sid, entry_numbers=entries["entry_number"][ent],
                    notes="check digit does not match the filer code and serial")
            continue
        eligible = np.ones(len(origin), bool)
        if scheme == "spi_origin_not_covered":
            eligible = (lines["spi"] == "") & (lines["duty_usd"] > 50)
        if scheme in {"duty_mismatch", "implausible_value"}:
            eligible = lines["duty_usd"] > 20
        idx = led.pick(eligible, k)
        if len(idx) == 0:
            continue
        notes: Any = ""
        loss: Any = 0.0
        if scheme == "hts_not_in_tariff":
            codes = []
            for i in idx:
                base = str(lines["hts_code"][i])[:8]
                code = next((base + s for s in ("99", "98", "97", "95", "91")
                             if base + s not in tariff_codes), base + "99")
                codes.append(code)
            lines["hts_code"][idx] = np.array(codes, dtype=object)
            notes = "statistical suffix does not exist in the tariff"
        elif scheme == "hts_not_10_digits":
            cut = rng.choice([6, 8], len(idx))
            lines["hts_code"][idx] = np.array([str(h)[:c] for h, c in zip(
                lines["hts_code"][idx], cut, strict=True)], dtype=object)
            notes = np.array([f"{c}-digit code declared" for c in cut], dtype=object)
        elif scheme == "wrong_quantity_unit":
            true_unit = lines["quantity_unit"][idx]
            lines["quantity_unit"][idx] = np.array([WRONG_UNIT.get(str(u), "KG")
                                                    for u in true_unit], dtype=object)
            notes = np.array([f"declared {WRONG_UNIT.get(str(u), 'KG')}, tariff unit {u}"
                              for u in true_unit], dtype=object)
        elif scheme == "duty_mismatch":
            factor = rng.uniform(0.2, 0.85, len(idx))
            loss = lines["duty_usd"][idx] * (1 - factor)
            lines["duty_usd"][idx] = np.round(lines["duty_usd"][idx] * factor, 2)
            notes = np.array([f"declared duty {f:.2f} of the amount at the declared rate"
                              for f in factor], dtype=object)
        elif scheme == "malformed_mid":
            kinds = rng.choice(["lowercase_spaces", "too_long", "bad_country", "no_city"],
                               len(idx))
            mids = []
            for mid, kind in zip(lines["manufacturer_id"][idx], kinds, strict=True):
                m = str(mid)
                mids.append({"lowercase_spaces": f"{m[:2]} {m[2:8].lower()} {m[8:]}",
                             "too_long": m + "LTD0001", "bad_country": "XX" + m[2:],
                             "no_city": m[:-3]}[str(kind)])
            lines["manufacturer_id"][idx] = np.array(mids, dtype=object)
            notes = kinds.astype(object)
        elif scheme == "mid_not_from_manufacturer":
            donors = rng.choice(len(origin), len(idx))
            lines["manufacturer_id"][idx] = lines["manufacturer_id"][donors]
            notes = "MID belongs to a different manufacturer"
        elif scheme == "missing_parties":
            fields = rng.choice(["manufacturer", "seller", "manufacturer_id"], len(idx))
            for i, f in zip(idx, fields, strict=True):
                if f == "manufacturer":
                    lines["manufacturer_name"][i] = ""
                    lines["manufacturer_address"][i] = ""
                elif f == "seller":
                    lines["seller_name"][i] = ""
                    lines["seller_country"][i] = ""
                else:
                    lines["manufacturer_id"][i] = ""
            notes = np.array([f"{f} missing" for f in fields], dtype=object)
        elif scheme == "spi_origin_not_covered":
            spi_codes = rng.choice(["S", "KR", "AU", "IL", "SG"], len(idx))
            spi_codes = np.where(spi_codes == np.array([{"MX": "S", "CA": "S"}.get(str(o), "")
                                                        for o in origin[idx]]), "JO", spi_codes)
            loss = lines["duty_usd"][idx].copy()
            lines["spi"][idx] = spi_codes.astype(object)
            lines["duty_rate"][idx], lines["duty_usd"][idx] = 0.0, 0.0
            notes = np.array([f"SPI {c} claimed for origin {o}" for c, o in zip(
                spi_codes, origin[idx], strict=True)], dtype=object)
        elif scheme == "implausible_weight":
            factor = np.where(rng.random(len(idx)) < 0.5, 0.001, 1000.0)
            lines["gross_weight_kg"][idx] = np.round(lines["gross_weight_kg"][idx] * factor, 3)
            notes = np.array([f"gross weight x{f:g}" for f in factor], dtype=object)
        elif scheme == "implausible_value":
            factor = rng.choice([0.001, 0.0001], len(idx))
            lines["entered_value_usd"][idx] = np.maximum(
                0.01, np.round(lines["entered_value_usd"][idx] * factor, 2))
            loss = -_redo_duty(ctx, lines, idx)
            notes = np.array([f"value x{f:g}: under a cent per unit" for f in factor], object)
        led.add("line", cat, scheme, sid, entry_numbers=lines["entry_number"][idx],
                line_numbers=lines["line_number"][idx], notes=notes, loss=loss)


def plant_valuation(led: Ledger, ctx: DeclarationContext, lines: Columns, budget: int) -> None:
    """Under- and over-valuation, related-party pricing and weight-to-value anomalies."""
    rng = led.rng
    cat = "valuation"
    dutiable = (lines["duty_usd"] > 0) | (lines["adcvd_case_number"] != "")
    plans = [("undervaluation", 5, dutiable), ("related_party_undervaluation", 2, dutiable),
             ("overvaluation", 2, np.ones(len(dutiable), bool)),
             ("quantity_understated_weight_mismatch", 2, dutiable)]
    total = sum(p[1] for p in plans)
    for scheme, n_inst, eligible in plans:
        for k in _sizes(rng, budget * n_inst // total, n_inst):
            # one instance = one importer's lines (a pattern an analyst can follow)
            cand = np.flatnonzero(eligible & ~led.line_taken)
            if len(cand) == 0:
                break
            importer = lines["importer_idx"][rng.choice(cand)]
            idx = led.pick(eligible & (lines["importer_idx"] == importer), k)
            if len(idx) == 0:
                continue
            sid = led.scheme_id(cat, scheme)
            if scheme == "overvaluation":
                f = rng.uniform(3.0, 8.0, len(idx))
            elif scheme == "related_party_undervaluation":
                f = rng.uniform(0.35, 0.7, len(idx))
                lines["related_party"][idx] = True
            else:
                f = rng.uniform(0.15, 0.6, len(idx))
            lines["entered_value_usd"][idx] = np.round(lines["entered_value_usd"][idx] * f, 2)
            if scheme == "quantity_understated_weight_mismatch":
                unit = lines["quantity_unit"][idx]
                q = lines["quantity"][idx] * f
                lines["quantity"][idx] = np.where(unit == "M3", np.round(q, 2),
                                                  np.maximum(1, np.round(q)))
            change = _redo_duty(ctx, lines, idx)
            led.add("line", cat, scheme, sid, entry_numbers=lines["entry_number"][idx],
                    line_numbers=lines["line_number"][idx],
                    notes=np.array([f"declared value x{x:.2f} of true value" for x in f], object),
                    loss=-change)


def plant_classification(led: Ledger, ctx: DeclarationContext, lines: Columns, budget: int,
                         catalogue: dict[str, npt.NDArray[Any]]) -> None:
    """Goods declared under a lower-duty heading; description stays the true product's."""
    rng = led.rng
    heading, chapter = catalogue["heading"], catalogue["chapter"]
    mid_price = (catalogue["price_low"] + catalogue["price_high"]) / 2
    burden = catalogue["ad_valorem"] + catalogue["specific"] / mid_price
    prods = lines["product_idx"]
    has_lower = np.array([bool(((heading != heading[p]) & (burden < burden[p] - 0.03)).any())
                          for p in range(len(heading))])
    for scheme, n_inst, same_chapter in (("subtle_misclassification", 3, True),
                                         ("gross_misclassification", 2, False)):
        for k in _sizes(rng, budget * n_inst // 5, n_inst):
            idx = led.pick(has_lower[prods] & (lines["duty_usd"] > 0), k)
            if len(idx) == 0:
                continue
            sid = led.scheme_id("classification", scheme)
            notes, targets = [], []
            for i in idx:
                p = prods[i]
                ok = (heading != heading[p]) & (burden < burden[p] - 0.03)
                pref = ok & ((chapter == chapter[p]) if same_chapter else (chapter != chapter[p]))
                pool = np.flatnonzero(pref if pref.any() else ok)
                t = int(rng.choice(pool))
                targets.append(t)
                notes.append(f"true {catalogue['hts10'][p]} declared {catalogue['hts10'][t]}")
            tgt = np.array(targets)
            lines["hts_code"][idx] = catalogue["hts10"][tgt]
            new_unit = catalogue["unit"][tgt]
            same = new_unit == lines["quantity_unit"][idx]
            net = lines["gross_weight_kg"][idx] / 1.08
            conv = np.where(new_unit == "KG", np.round(net),
                            np.maximum(1, np.round(net / catalogue["kg_per_unit"][tgt])))
            lines["quantity"][idx] = np.where(same, lines["quantity"][idx], conv)
            lines["quantity_unit"][idx] = new_unit
            change = _redo_duty(ctx, lines, idx, product=tgt)
            led.add("line", "classification", scheme, sid,
                    entry_numbers=lines["entry_number"][idx],
                    line_numbers=lines["line_number"][idx], notes=np.array(notes, object),
                    loss=-change)


def plant_origin(led: Ledger, ctx: DeclarationContext, entries: Columns, lines: Columns,
                 budget: int) -> None:
    """Chinese goods declared as third-country origin, and FTA claims on Chinese goods."""
    rng = led.rng
    n_entries = len(entries["entry_number"])
    line_entry = np.searchsorted(entries["entry_number"], lines["entry_number"],
                                 sorter=np.argsort(entries["entry_number"]))
    line_entry = np.argsort(entries["entry_number"])[line_entry]
    cn_no_case = np.zeros(n_entries, bool)
    np.logical_or.at(cn_no_case, line_entry, lines["country_of_origin"] == "CN")
    has_case = np.zeros(n_entries, bool)
    np.logical_or.at(has_case, line_entry, lines["adcvd_case_number"] != "")
    taken_e = np.zeros(n_entries, bool)
    np.logical_or.at(taken_e, line_entry, led.line_taken)
    base = cn_no_case & ~has_case & ~taken_e
    variants = ["mid_and_address_cn", "lading_and_export_cn", "seller_cn"]
    for scheme, n_inst in (("transshipment_mid_origin", 4), ("fta_claim_non_originating", 2)):
        for k in _sizes(rng, max(2, budget * n_inst // 6 // 2), n_inst, low=1):
            ent = led.pick(base, k, entries=True)
            if len(ent) == 0:
                continue
            base[ent] = False
            sid = led.scheme_id("origin", scheme)
            third = str(rng.choice(["VN", "MY", "TH", "KH", "ID"] if scheme.startswith("trans")
                                   else ["MX", "CA"]))
            variant = str(rng.choice(variants))
            for e in ent:
                li = np.flatnonzero(line_entry == e)
                led.line_taken[li] = True
                lines["country_of_origin"][li] = third
                if scheme == "fta_claim_non_originating":
                    before = lines["duty_usd"][li].copy()
                    lines["spi"][li] = "S"
                    lines["duty_rate"][li], lines["duty_usd"][li] = 0.0, 0.0
                    entries["country_of_export"][e] = third
                    loss: Any = before
                    note = f"USMCA claim, origin {third}; MID/manufacturer in China, laden CN"
                else:
                    loss = np.round(lines["entered_value_usd"][li] * 0.25, 2)
                    note = f"origin {third} declared; {variant}"
                    if variant == "lading_and_export_cn":
                        entries["country_of_export"][e] = "CN"
                    elif variant == "seller_cn":
                        lines["seller_country"][li] = rng.choice(["CN", "HK"])
                        entries["country_of_export"][e] = third
                    else:
                        entries["country_of_export"][e] = third
                led.add("line", "origin", scheme, sid, entry_numbers=lines["entry_number"][li],
                        line_numbers=lines["line_number"][li], notes=note, loss=loss)
