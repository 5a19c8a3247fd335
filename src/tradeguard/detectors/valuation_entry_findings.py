"""Valuation findings of a request's few flagged lines, built in plain Python.

A scoring request holds 1-5 lines; :func:`~tradeguard.detectors.valuation_findings.
valuation_findings` builds each finding with some 200 Polars expressions over seven queries
(~1.5 ms whatever the frame's size). :func:`plain_findings` builds the same rows from the
flagged lines' values with the same sentence pieces (:data:`WORDS`), evidence keys
(:data:`EVIDENCE`), thresholds (:class:`ValuationConfig`) and Polars' null logic (a
condition holds only when it is true, not null; a sentence part with a missing value is
left out), writing numbers as Polars does (:mod:`~tradeguard.detectors.finding_text`).
Anything it cannot write exactly (non-finite numbers, characters JSON escapes, missing
columns) gives None: the expressions take it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy.special import ndtr

from tradeguard.detectors.finding_text import (
    Declined,
    findings_frame_of,
    json_object,
    number_text,
    polars_round,
)
from tradeguard.detectors.valuation_evidence import SIGNAL_WEIGHTS, ValuationConfig
from tradeguard.findings import Category

#: The finding sentence's fixed pieces, shared with the expression path.
WORDS: dict[str, str] = {
    "unit_value": "Unit value $", "per": " per ", "is": " is ", "x_median": "x the median $",
    "of": " of ", "percentile": " (percentile ", "close": ")",
    "peer_lines": " peer lines (", "space": " ", "origin": ", origin ", "unit": ", unit ",
    "per_kg": "; value per kg is ", "x_peer_median_usd": "x the peer median $", "kg_end": "/kg",
    "sep": "; ", "own": "x the importer's own median over ", "past_lines": " past lines",
    "floor": "x the lowest price in this importer's ",
    "from_manufacturer": " past lines from this manufacturer",
    "market_floor": "x the lowest price among the peer lines",
    "importer_ceiling": "x the highest price in the importer's own ",
    "tariff_number": " past lines for this tariff number",
    "supplier_ceiling": "x the highest price in this importer's ",
    "entry": "; on an entry with ",
    "entry_end": " other line(s) flagged for undervaluation, and low against every price "
                 "reference",
    "account": "; the importer has ", "of_contracts": " of ",
    "related_low": " related-party contracts in the lines scored priced low (chance ",
    "low": " contracts in the lines scored priced low (chance ",
    "base_rate": " at the base rate of past trade)",
    "combined": "; this line's price and the importer's other contracts together: chance ",
    "market_ceiling": "x the highest price among the peer lines",
    "kg_per": " kg per ", "x_peer_median": "x the peer median ", "kg": " kg",
    "under": ". Possible undervaluation; duty at risk $", "no_duty": "n/a", "end": ".",
    "quantity": ". Quantity looks understated for the declared weight; duty at risk $",
    "light": ". The unit value is ordinary for these goods but they cannot weigh this little: "
             "the gross weight (or the quantity) looks misdeclared.",
    "over": ". Possible overvaluation (money laundering or drawback risk).",
    "related": " Buyer and seller are related.",
    "not_compared": "Unit value not compared with peers",
}

#: Evidence keys in order, each with its column and how it is written: "" as it is, "rN"
#: rounded to N digits, "exp" the exponential rounded to 4, "duty" the duty at risk (0 when
#: missing) to 2; ``signals``, ``unit_value_signal_weights`` and the version are built apart.
EVIDENCE: tuple[tuple[str, str, str], ...] = (
    ("peer_level", "peer_level", ""), ("peer_code", "peer_code", ""),
    ("origin", "origin", ""), ("unit", "unit", ""), ("peer_count", "peer_n", ""),
    ("unit_value_usd", "luv", "exp"),
    ("peer_median_unit_value_usd", "peer_luv_post_med", "exp"),
    ("peer_p05_unit_value_usd", "peer_uv_p05", "r4"),
    ("peer_p95_unit_value_usd", "peer_uv_p95", "r4"),
    ("ratio", "ratio_uv", "r4"), ("robust_z", "z_uv", "r3"),
    ("percentile", "percentile_uv", ""),
    ("value_per_kg_usd", "lvpk", "exp"),
    ("peer_median_value_per_kg_usd", "peer_lvpk_post_med", "exp"),
    ("ratio_per_kg", "ratio_kg", "r4"), ("peer_count_per_kg", "peer_lvpk_n", ""),
    ("kg_per_unit", "lkpu", "exp"), ("peer_median_kg_per_unit", "peer_lkpu_post_med", "exp"),
    ("ratio_kg_per_unit", "ratio_kpu", "r4"),
    ("ratio_to_importer_history", "ratio_importer", "r4"),
    ("importer_history_lines", "importer_history_lines", ""),
    ("ratio_to_manufacturer_history", "ratio_manufacturer", "r4"),
    ("manufacturer_history_lines", "manufacturer_history_lines", ""),
    ("ratio_to_supplier_history", "ratio_supplier", "r4"),
    ("ratio_to_supplier_lowest_price", "floor_ratio_supplier", "r4"),
    ("supplier_history_lines", "supplier_history_lines", ""),
    ("below_own_floor", "below_own_floor", ""),
    ("peer_lowest_unit_value_usd", "peer_uv_min", "r4"),
    ("ratio_to_peer_lowest_price", "ratio_to_market_floor", "r4"),
    ("below_market_floor", "below_market_floor", ""),
    ("peer_highest_unit_value_usd", "peer_uv_max", "r4"),
    ("ratio_to_peer_highest_price", "ratio_to_market_ceiling", "r4"),
    ("above_market_ceiling", "above_market_ceiling", ""),
    ("ratio_to_importer_highest_price", "ceiling_ratio_importer", "r4"),
    ("ratio_to_supplier_highest_price", "ceiling_ratio_supplier", "r4"),
    ("above_own_ceiling", "above_own_ceiling", ""),
    ("peer_level_kg_per_unit", "peer_kpu_level", ""),
    ("entry_flagged_lines", "entry_flagged_lines", ""),
    ("entry_corroborated", "_entry_corroborated", ""),
    ("account_low_contracts", "account_low_contracts", ""),
    ("account_contracts", "account_contracts", ""),
    ("account_p_value", "account_p_value", ""),
    ("related_account_low_contracts", "related_account_low_contracts", ""),
    ("related_account_contracts", "related_account_contracts", ""),
    ("related_account_p_value", "related_account_p_value", ""),
    ("line_p_value", "line_p_value", ""),
    ("account_others_p_value", "account_others_p_value", ""),
    ("combined_p_value", "combined_p_value", ""),
    ("account_corroborated", "_account_corroborated", ""),
    ("importer_lines_in_window", "importer_lines_in_window", ""),
    ("new_importer", "new_importer", ""), ("related_party", "related", ""),
    ("signals", "", ""), ("unit_value_signal_weights", "", ""),
    ("evidence_score", "evidence_score", "r3"), ("ad_valorem_rate", "ad_valorem_rate", ""),
    ("value_gap_usd", "value_gap_usd", "r2"), ("duty_at_risk_usd", "duty_at_risk_usd", "duty"),
    ("baseline_method_version", "", ""),
)
#: The signals object's members (each rounded to 3), in order.
SIGNALS: tuple[str, ...] = (*[s for s in ("z_uv", "z_kg", "z_kpu", *SIGNAL_WEIGHTS)
                              if s != "z_uv"], "z_uv")
#: The flagged-line columns read (besides those of :data:`EVIDENCE`).
_READ = ("entry_number", "line_number", "_under", "_over", "_quantity", "_light", "_under_uv",
         "ratio_importer", "ratio_kpu", "account_p_value", "related_account_p_value",
         *SIGNALS, *[f"w_{s}" for s in SIGNAL_WEIGHTS])

Value = Any
#: Every column read (a frame lacking one is left to the expressions).
_COLUMNS = tuple(sorted({c for _, c, _ in EVIDENCE if c and c != "percentile_uv"}
                        | set(_READ)))
# The column types read as the expressions read them: numbers rounded or formatted must be
# float64 (an integer column rounds to itself; a float32 has its own shortest digits), flags
# boolean; other values may be written as they are.
_FLAGS = frozenset({"_under", "_over", "_quantity", "_light", "_under_uv", "related",
                    "below_own_floor", "above_own_ceiling", "below_market_floor",
                    "above_market_ceiling", "_entry_corroborated", "_account_corroborated",
                    "new_importer"})
_FLOATS = frozenset({c for _, c, how in EVIDENCE if how} | set(SIGNALS)
                    | {f"w_{s}" for s in SIGNAL_WEIGHTS})
_AS_IS = frozenset({pl.Float64, pl.Int64, pl.Int32, pl.UInt32, pl.UInt64, pl.String,
                    pl.Boolean})
#: The column types read here as the expressions read them, per column.
_READABLE: dict[str, frozenset[type]] = {
    c: frozenset({pl.Boolean}) if c in _FLAGS else frozenset({pl.Float64}) if c in _FLOATS
    else _AS_IS for c in _COLUMNS}


def _and(*values: Value) -> bool | None:
    """Polars' ``&`` on nullable booleans (false wins over null)."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: Value) -> bool | None:
    """Polars' ``|`` on nullable booleans (true wins over null)."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _not(value: Value) -> bool | None:
    return None if value is None else not value


def _cmp(a: Value, b: Value, op: Callable[[Any, Any], bool]) -> bool | None:
    return None if a is None or b is None else op(a, b)


def _exp(value: Value) -> float | None:
    return None if value is None else math.exp(value)


def _fmt(value: Value) -> str | None:
    """A number as the sentences write it: rounded to 2 digits (None stays None)."""
    return None if value is None else number_text(polars_round(value, 2))


def _int(value: Value) -> str | None:
    """A count as ``cast(pl.String)`` writes it."""
    if value is None:
        return None
    return number_text(value) if isinstance(value, float) else str(value)


def _cat(*parts: str | None) -> str | None:
    """``concat_str``: None when any part is None."""
    return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]


def _round(value: Value, digits: int) -> float | None:
    return None if value is None else polars_round(value, digits)


def _severity(r: Mapping[str, Value], cfg: ValuationConfig, ratio: Value, duty: float) -> str:
    under, quantity = r["_under"], r["_quantity"]
    if _and(under, _cmp(ratio, cfg.critical_ratio, operator.le), duty >= cfg.critical_duty_usd):
        return "critical"
    if _and(under, _or(_cmp(ratio, cfg.high_ratio, operator.le), duty >= cfg.high_duty_usd)):
        return "high"
    if _and(quantity, _or(_cmp(r["ratio_kpu"], 1 / cfg.high_ratio, operator.ge),
                          duty >= cfg.high_duty_usd)):
        return "high"
    if _and(_not(under), _not(quantity), _cmp(ratio, cfg.gross_over_ratio, operator.ge)):
        return "high"
    return "medium"


def _account(r: Mapping[str, Value], cfg: ValuationConfig, p_text: Mapping[str, str]
             ) -> str | None:
    w = WORDS
    if _and(r["related"], _cmp(r["related_account_p_value"], cfg.account_alpha, operator.le)):
        counts = _cat(_int(r["related_account_low_contracts"]), w["of_contracts"],
                      _int(r["related_account_contracts"]), w["related_low"],
                      p_text["related_account"])
    else:
        counts = _cat(_int(r["account_low_contracts"]), w["of_contracts"],
                      _int(r["account_contracts"]), w["low"], p_text["account"])
    combined = (_cat(w["combined"], p_text["combined"])
                if _cmp(r["combined_p_value"], cfg.account_alpha, operator.le) else "")
    return _cat(w["account"], counts, w["base_rate"], combined)


def _text(r: Mapping[str, Value], cfg: ValuationConfig, duty: float, percentile: float,
          p_text: Mapping[str, str]) -> str | None:
    """The finding sentence, as the expression path writes it."""
    w = WORDS
    under, quantity, light, over = r["_under"], r["_quantity"], r["_light"], r["_over"]
    unit = r["unit"]
    basis = _cat(_int(r["peer_n"]), w["peer_lines"], r["peer_level"], w["space"],
                 r["peer_code"], w["origin"], r["origin"], w["unit"], unit, w["close"])
    unit_value = _cat(w["unit_value"], _fmt(_exp(r["luv"])), w["per"], unit, w["is"],
                      _fmt(r["ratio_uv"]), w["x_median"], _fmt(_exp(r["peer_luv_post_med"])),
                      w["of"], basis, w["percentile"], _fmt(percentile), w["close"])
    per_kg = (_cat(w["per_kg"], _fmt(r["ratio_kg"]), w["x_peer_median_usd"],
                   _fmt(_exp(r["peer_lvpk_post_med"])), w["kg_end"])
              if r["ratio_kg"] is not None else "")
    own = (_cat(w["sep"], _fmt(r["ratio_importer"]), w["own"],
                _int(r["importer_history_lines"]), w["past_lines"])
           if r["ratio_importer"] is not None else "")
    floor = (_cat(w["sep"], _fmt(r["floor_ratio_supplier"]), w["floor"],
                  _int(r["supplier_history_lines"]), w["from_manufacturer"])
             if r["below_own_floor"] else "")
    market = (_cat(w["sep"], _fmt(r["ratio_to_market_floor"]), w["market_floor"])
              if _and(r["below_market_floor"], under) else "")
    importer_ceiling = _and(_cmp(r["ceiling_ratio_importer"], cfg.ceiling_ratio, operator.ge),
                            _cmp(r["importer_history_lines"], cfg.floor_min_lines, operator.ge))
    if _and(r["above_own_ceiling"], over):
        which = (_cat(_fmt(r["ceiling_ratio_importer"]), w["importer_ceiling"],
                      _int(r["importer_history_lines"]), w["tariff_number"])
                 if importer_ceiling else
                 _cat(_fmt(r["ceiling_ratio_supplier"]), w["supplier_ceiling"],
                      _int(r["supplier_history_lines"]), w["from_manufacturer"]))
        ceiling = _cat(w["sep"], which)
    else:
        ceiling = ""
    market_ceiling = (_cat(w["sep"], _fmt(r["ratio_to_market_ceiling"]), w["market_ceiling"])
                      if _and(r["above_market_ceiling"], over) else "")
    entry = (_cat(w["entry"], _int(r["entry_flagged_lines"]), w["entry_end"])
             if r["_entry_corroborated"] else "")
    account = _account(r, cfg, p_text) if r["_account_corroborated"] else ""
    kpu = (_cat(w["sep"], _fmt(_exp(r["lkpu"])), w["kg_per"], unit, w["is"],
                _fmt(r["ratio_kpu"]), w["x_peer_median"], _fmt(_exp(r["peer_lkpu_post_med"])),
                w["kg"]) if _or(quantity, light) else "")
    if under:
        tail = _cat(w["under"], _fmt(duty), w["end"])
    elif quantity:
        tail = _cat(w["quantity"], _fmt(duty), w["end"])
    elif light:
        tail = w["light"]
    else:
        tail = w["over"]
    return _cat(unit_value if unit_value is not None else w["not_compared"], per_kg,
                *[p if p is not None else "" for p in (own, floor, market, ceiling,
                                                        market_ceiling, entry, account, kpu)],
                tail, w["related"] if r["related"] else "")


def _evidence(r: Mapping[str, Value], duty: float, percentile: float, version: str) -> str:
    values: list[object] = []
    for key, column, how in EVIDENCE:
        if key == "signals":
            values.append((SIGNALS, [_round(r[s], 3) for s in SIGNALS]))
        elif key == "unit_value_signal_weights":
            values.append((tuple(SIGNAL_WEIGHTS),
                           [_round(r[f"w_{s}"], 3) for s in SIGNAL_WEIGHTS]))
        elif key == "baseline_method_version":
            values.append(version)
        elif column == "percentile_uv":
            values.append(percentile)
        elif how == "duty":
            values.append(polars_round(duty, 2))
        elif how == "exp":
            values.append(_round(_exp(r[column]), 4))
        elif how:
            values.append(_round(r[column], int(how[1:])))
        else:
            values.append(r[column])
    return json_object([key for key, _, _ in EVIDENCE], values)


def _reason(r: Mapping[str, Value]) -> tuple[str, str]:
    """(category, reason code) of a flagged line."""
    under, quantity, light = r["_under"], r["_quantity"], r["_light"]
    valuation = Category.VALUATION.value
    if _and(under, r["_entry_corroborated"]):
        return valuation, "VAL_UNDER_ENTRY_PATTERN"
    if _and(under, r["_account_corroborated"]):
        return valuation, "VAL_UNDER_ACCOUNT_PATTERN"
    if _and(under, r["_under_uv"]):
        return valuation, "VAL_UNDER_UNIT_VALUE"
    category = (Category.DATA_QUALITY.value if _and(light, _not(under), _not(quantity))
                else valuation)
    if under:
        return category, "VAL_UNDER_VALUE_PER_KG"
    if quantity:
        return category, "VAL_QUANTITY_WEIGHT_MISMATCH"
    if light:
        return category, "DQ_WEIGHT_FAR_BELOW_PEERS"
    return category, "VAL_OVER_UNIT_VALUE"


def plain_findings(flagged: pl.DataFrame, cfg: ValuationConfig, detector: str,
                   version: str) -> pl.DataFrame | None:
    """The findings rows of ``flagged`` as the expression path gives them, or None."""
    schema = flagged.schema
    if not all(type(schema.get(c)) in _READABLE[c] for c in _COLUMNS):
        return None
    return findings_of_rows(flagged.rows(named=True), cfg, detector, version)


def findings_of_rows(rows: Sequence[Mapping[str, Value]], cfg: ValuationConfig,
                     detector: str, version: str) -> pl.DataFrame | None:
    """:func:`plain_findings` of flagged lines given as the rows of such a frame (each column
    of :data:`_COLUMNS` with a value of its frame type), or None."""
    out: list[tuple[object, ...]] = []
    try:
        for r in rows:
            if any(isinstance(r[c], float) and not math.isfinite(r[c]) for c in _COLUMNS):
                return None
            z = r["z_uv"]
            percentile = float(np.round(100 * ndtr(0.0 if z is None else z), 3))
            p_text = {c: "%.1e" % (1.0 if r[f"{c}_p_value"] is None else r[f"{c}_p_value"])
                      for c in ("account", "related_account", "combined")}
            under = r["_under"]
            ratio = (r["ratio_kg"] if _and(under, _not(r["_under_uv"])) else r["ratio_uv"])
            duty = 0.0 if r["duty_at_risk_usd"] is None else r["duty_at_risk_usd"]
            category, reason = _reason(r)
            out.append((
                None if r["entry_number"] is None else str(r["entry_number"]),
                r["line_number"], category, reason, _severity(r, cfg, ratio, duty),
                _text(r, cfg, duty, percentile, p_text), _evidence(r, duty, percentile, version),
                detector, version))
    except Declined:
        return None
    return findings_frame_of(out)
