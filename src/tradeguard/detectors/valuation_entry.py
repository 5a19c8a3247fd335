"""Valuation scores of a request-sized batch, worked out line by line in plain Python.

A scoring service sends one entry (1-5 lines) per call. The batch path runs some twenty Polars
queries on it, each with ~100 us of fixed cost, to join peer levels, party histories, importer
counts and tariff rates and to corroborate across the entry and the account. Here those
references are cut once per fitted baseline into dicts (peer rows per level and code, party
histories per party, HTS-10 and unit, importers' line counts, tariff rates), and the few lines'
signals, flags and corroboration follow
:func:`~tradeguard.detectors.valuation_evidence.evidence_scores` and
:func:`~tradeguard.detectors.valuation_corroboration.corroborate` with the same
:class:`ValuationConfig` thresholds and in the same floating-point order.

The tables are :mod:`valuation_entry_tables`, the entry and account reviews
:mod:`valuation_entry_reviews`. The flagged lines come out as one frame with the columns
:func:`~tradeguard.detectors.valuation_findings.valuation_findings` reads, so the findings'
texts and evidence keep one source. A frame this path does not cover (other column types,
non-ASCII codes, NaN or infinite numbers, keys repeated in the fitted tables) gives None and
takes the batch path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from tradeguard.detectors.peers import (
    ANY_ORIGIN_LEVELS,
    LEVELS,
    PEER_COLUMNS,
    peer_levels,
)
from tradeguard.detectors.valuation_corroboration import (
    REFERENCE_RATIOS,
    AccountBaseRates,
)
from tradeguard.detectors.valuation_entry_nulls import (
    NotCovered,
    as_float,
    at_least,
    at_most,
    divide,
    exp_or_null,
    largest,
    log_ratio,
    minus,
    smallest,
    times,
    tree_sum,
)
from tradeguard.detectors.valuation_entry_reviews import (
    LineFlags,
    ScoredLine,
    corroborate_lines,
)
from tradeguard.detectors.valuation_entry_tables import (
    EntryReferences,
    Key,
    Row,
    entry_references,
    tariff_lookup,
)
from tradeguard.detectors.valuation_evidence import (
    CEILING_KINDS,
    FLOOR_KINDS,
    PARTY_SPREADS,
    SIGNAL_WEIGHTS,
    ValuationConfig,
)
from tradeguard.detectors.valuation_history import PARTIES
from tradeguard.request_path import REQUEST_LINES

#: Batches with at most this many lines are scored here (a request holds 1-5).
ENTRY_LINES = REQUEST_LINES

# the declaration columns read, and the types this path reads them as
_TEXT = ("entry_number", "hts_code", "country_of_origin", "quantity_unit", "importer_id",
         "manufacturer_id")
_NUMBERS = ("entered_value_usd", "quantity", "gross_weight_kg")
_RELATED_TRUE = frozenset({"true", "1", "y", "yes", "t"})
_PEER_INDEX = {c: i for i, c in enumerate(PEER_COLUMNS)}
_KINDS = tuple(kind for kind, _ in PARTIES)

_F, _I, _S, _B = pl.Float64(), pl.Int64(), pl.String(), pl.Boolean()
#: The scored columns the findings read, in the batch path's types.
FINDING_INPUTS: dict[str, pl.DataType] = {
    "entry_number": _S, "line_number": _I, "origin": _S, "unit": _S,
    "luv": _F, "lvpk": _F, "lkpu": _F,
    "peer_level": _S, "peer_code": _S, "peer_n": _I, "peer_luv_post_med": _F,
    "peer_uv_p05": _F, "peer_uv_p95": _F, "peer_uv_min": _F, "peer_uv_max": _F,
    "peer_lvpk_n": _I, "peer_lvpk_post_med": _F, "peer_kpu_level": _S,
    "peer_lkpu_post_med": _F,
    **{f"{name}_{kind}": _F for name in ("z", "ratio") for kind in _KINDS},
    **{f"{kind}_history_lines": _I for kind in _KINDS},
    **{f"{name}_{kind}": _F for name in ("floor_ratio", "ceiling_ratio") for kind in _KINDS},
    "importer_lines_in_window": _I,
    "z_uv": _F, "z_kg": _F, "z_kpu": _F, "ratio_uv": _F, "ratio_kg": _F, "ratio_kpu": _F,
    "ad_valorem_rate": _F, "related": _B,
    **{f"w_{s}": _F for s in SIGNAL_WEIGHTS},
    "new_importer": _B,
    "_under_uv": _B, "below_own_floor": _B, "above_own_ceiling": _B,
    "ratio_to_market_floor": _F, "below_market_floor": _B, "ratio_to_market_ceiling": _F,
    "above_market_ceiling": _B, "_under": _B, "_over": _B, "_quantity": _B, "_light": _B,
    "evidence_score": _F, "value_gap_usd": _F, "duty_at_risk_usd": _F,
    "entry_flagged_lines": _I,
    "account_low_contracts": _I, "account_contracts": _I, "account_p_value": _F,
    "related_account_low_contracts": _I, "related_account_contracts": _I,
    "related_account_p_value": _F,
    "account_others_p_value": _F, "line_p_value": _F, "combined_p_value": _F,
    "_entry_corroborated": _B, "_account_corroborated": _B,
}

__all__ = ["ENTRY_LINES", "FINDING_INPUTS", "EntryReferences", "EntryScores", "LineFlags",
           "entry_references", "entry_scores", "tariff_lookup"]


@dataclass(frozen=True, slots=True)
class EntryScores:
    """Each line's flags, in order, and the flagged lines' values (:data:`FINDING_INPUTS`
    and more, as worked out here)."""

    flags: list[LineFlags]
    values: list[dict[str, object]]

    @property
    def flagged(self) -> pl.DataFrame:
        """The flagged lines as the frame of :data:`FINDING_INPUTS` (built on demand: a frame
        of 90 columns costs ~0.3 ms, and the findings are written from :meth:`rows`)."""
        if not self.values:
            return _none_flagged()
        return pl.DataFrame([tuple(v[c] for c in FINDING_INPUTS) for v in self.values],
                            schema=FINDING_INPUTS, orient="row")

    def rows(self) -> list[dict[str, object]] | None:
        """The flagged lines' :data:`FINDING_INPUTS` as :attr:`flagged` would give them back
        (``rows(named=True)``), or None when a value is not of its column's type as written
        here (then :attr:`flagged` casts it)."""
        out = []
        for v in self.values:
            row: dict[str, object] = {}
            for column, kind in _KIND_OF.items():
                value = v[column]
                if value is not None and type(value) is not kind:
                    if kind is not float or type(value) is not int or abs(value) > _EXACT:
                        return None
                    value = float(value)  # as a Float64 column holds it
                row[column] = value
            out.append(row)
        return out


# the Python type each FINDING_INPUTS column gives back; integers up to 2**53 are floats exactly
_PYTHON_TYPES: dict[type[pl.DataType], type] = {pl.Float64: float, pl.Int64: int,
                                                pl.String: str, pl.Boolean: bool}
_KIND_OF = {c: _PYTHON_TYPES[type(t)] for c, t in FINDING_INPUTS.items()}
_EXACT = 2**53


# the types this path reads each column as (None: the column may be left out); none of them
# has parameters, so a column's type class says all
_COVERED: dict[str, tuple[type[pl.DataType] | None, ...]] = {
    "line_number": (pl.Int64,), **{c: (pl.String,) for c in _TEXT},
    **{c: (pl.Float64,) for c in _NUMBERS},
    "related_party": (None, pl.Boolean, pl.String), "duty_rate": (None, pl.Float64)}


def covered(lines: pl.DataFrame) -> bool:
    """Whether ``lines`` is small and has the columns and types this path reads (the types'
    classes compared: a Polars type's ``==`` costs microseconds, and a request reads 13)."""
    if lines.height > ENTRY_LINES:
        return False
    types = {name: type(dtype) for name, dtype in zip(lines.columns, lines.dtypes, strict=True)}
    return all(types.get(c) in allowed for c, allowed in _COVERED.items())


def _text(value: object) -> str | None:
    assert value is None or isinstance(value, str)
    return value


def _upper(value: object) -> str | None:
    """Upper case as Polars has it: the same for ASCII; other text goes to the batch path."""
    text = _text(value)
    if text is None:
        return None
    if not text.isascii():
        raise NotCovered
    return text.upper()


def _number(value: object) -> float | None:
    if value is None:
        return None
    assert isinstance(value, float)
    if not math.isfinite(value):
        raise NotCovered
    return value


def _per_peer(a: float | None, b: float | None, one_key: bool) -> float | None:
    """``a`` divided by a peer statistic ``b``. When the batch's several lines share one
    (HTS, unit, origin) key, the batch path's joined peer column is a broadcast scalar, which
    Polars divides by as a multiplication by its reciprocal (a last-bit difference): the
    same here, so that the numbers are equal to the bit."""
    if not one_key:
        return divide(a, b)
    if a is None or b is None:
        return None
    if b == 0:
        raise NotCovered
    return a * (1 / b)


def _level_keys(hts10: str | None, unit: str | None, origin: str | None
                ) -> dict[str, Key | None]:
    """Each level's join key for a line (None where a part is null: no join matches)."""
    if hts10 is None or unit is None:
        return dict.fromkeys(LEVELS)
    codes = {"hts10": hts10, "hs6": hts10[:6], "hs4": hts10[:4], "hs4_any": hts10[:4],
             "hts10_any": hts10}
    return {lvl: (codes[lvl], unit) if lvl in ANY_ORIGIN_LEVELS
            else (None if origin is None else (codes[lvl], unit, origin)) for lvl in LEVELS}


def _pick(levels: dict[str, dict[Key, Row]], among: tuple[str, ...], count: str,
          keys: dict[str, Key | None], min_peers: int) -> tuple[str | None, Row | None]:
    """The most specific level in ``among`` with ``min_peers`` (``count``), and its row."""
    at = _PEER_INDEX[count]
    for lvl in among:
        key = keys[lvl]
        row = levels[lvl].get(key) if key is not None else None
        if row is not None:
            n = row[at]
            if isinstance(n, int) and n >= min_peers:
                return lvl, row
    return None, None


def _stats(row: Row | None, columns: tuple[int, ...]) -> tuple[Any, ...]:
    """The values at ``columns`` of a peer row (None each without one)."""
    if row is None:
        return (None,) * len(columns)
    return tuple([row[i] for i in columns])


_PARTY_AT = (0, 1, 2, 3, 4)
_NO_OWN: dict[str, float | None] = dict.fromkeys(("z", "ratio", "lines", "spread", "floor",
                                                   "ceiling"))


def _own(luv: float | None, found: Row | None, pooled2: float, prior: float
         ) -> dict[str, float | None]:
    """One party kind's signal (as :func:`party_z`): z, ratio, lines, spread, floor, ceiling
    (``found``: the party's row, its statistics floats as :class:`PartyRows` keeps them)."""
    if found is None:
        return _NO_OWN
    count, p_med, p_sig, p_min, p_max = _stats(found, _PARTY_AT)
    n = as_float(count)
    assert n is not None and isinstance(p_sig, float)
    sig2 = (n * (p_sig * p_sig) + prior * pooled2) / (n + prior)
    spread = math.sqrt(sig2 * (1 + (math.pi / 2) / n))
    return {"z": divide(minus(luv, p_med), spread), "ratio": exp_or_null(minus(luv, p_med)),
            "lines": n, "spread": spread, "floor": exp_or_null(minus(luv, p_min)),
            "ceiling": exp_or_null(minus(luv, p_max))}


# the peer row's columns read for the price and for the weight per unit
_PRICE_AT = tuple(_PEER_INDEX[c] for c in ("code", "n", "luv_post_med", "luv_post_sig",
                                           "uv_p05", "uv_p95", "uv_min", "uv_max", "lvpk_n",
                                           "lvpk_post_med", "lvpk_post_sig"))
_WEIGHT_AT = tuple(_PEER_INDEX[c] for c in ("lkpu_n", "lkpu_post_med", "lkpu_post_sig"))
# each party kind's output columns, and each signal's party kind (None: the peers' spread)
_OWN_NAMES = {kind: (f"z_{kind}", f"ratio_{kind}", f"{kind}_history_lines",
                     f"floor_ratio_{kind}", f"ceiling_ratio_{kind}") for kind in _KINDS}
_SIGNALS = tuple((signal, base, f"w_{signal}",
                  PARTY_SPREADS[signal].removesuffix("_spread") if signal in PARTY_SPREADS
                  else None) for signal, base in SIGNAL_WEIGHTS.items())
_OWN_RATIO_KINDS = tuple(s.removeprefix("z_") for s in PARTY_SPREADS)


def _evidence(line: dict[str, object], refs: EntryReferences, cfg: ValuationConfig,
              tariff: dict[object, object] | None, one_key: bool) -> ScoredLine:
    """The line's signals, flags, gap and duty before corroboration (as
    :func:`evidence_scores`, with :func:`value_measures`, the peer pick and :func:`party_z`;
    ``one_key``: the batch's several lines share one (HTS, unit, origin), see
    :func:`_per_peer`)."""
    value = _number(line["entered_value_usd"])
    qty = _number(line["quantity"])
    weight = _number(line["gross_weight_kg"])
    hts = _text(line["hts_code"])
    hts10 = None if hts is None else hts.replace(".", "")
    origin = _upper(line["country_of_origin"])
    unit = _upper(line["quantity_unit"])
    importer = _text(line["importer_id"])
    manufacturer = _text(line["manufacturer_id"])
    luv, lvpk, lkpu = log_ratio(value, qty), log_ratio(value, weight), log_ratio(weight, qty)
    v: dict[str, object] = {"entry_number": line["entry_number"],
                            "line_number": line["line_number"], "origin": origin,
                            "unit": unit, "luv": luv, "lvpk": lvpk, "lkpu": lkpu}

    price_levels, weight_levels = peer_levels(cfg.use_any_origin)
    keys = _level_keys(hts10, unit, origin)
    level, price = _pick(refs.levels, price_levels, "n", keys, cfg.min_peers)
    kpu_level, heavy = _pick(refs.levels, weight_levels, "lkpu_n", keys, cfg.min_peers)
    # the statistics are floats in the tables (EntryReferences); the counts are converted
    code, count, med, sig, p05, p95, uv_min, uv_max, kg_count, kg_med, kg_sig = \
        _stats(price, _PRICE_AT)
    kpu_count, kpu_med, kpu_sig = _stats(heavy, _WEIGHT_AT)
    peer_n, kg_n, kpu_n = as_float(count), as_float(kg_count), as_float(kpu_count)
    v.update(peer_level=level, peer_code=code, peer_n=count, peer_luv_post_med=med,
             peer_uv_p05=p05, peer_uv_p95=p95, peer_uv_min=uv_min, peer_uv_max=uv_max,
             peer_lvpk_n=kg_count, peer_lvpk_post_med=kg_med, peer_kpu_level=kpu_level,
             peer_lkpu_post_med=kpu_med)

    ids = {"importer_id": importer, "manufacturer_id": manufacturer}
    own: dict[str, dict[str, float | None]] = {}
    for kind, columns in PARTIES:
        parts = [ids[c] for c in columns]
        found = None
        if refs.parties is not None and hts10 is not None and unit is not None \
                and all(p is not None for p in parts):
            party = "|".join(p for p in parts if p is not None)
            found = refs.parties[kind].rows.get((party, hts10, unit))
        pooled2 = refs.parties[kind].pooled2 if refs.parties is not None else 0.0
        mine = own[kind] = _own(luv, found, pooled2, cfg.party_prior_lines)
        z_name, ratio_name, lines_name, floor_name, ceiling_name = _OWN_NAMES[kind]
        v[z_name], v[ratio_name] = mine["z"], mine["ratio"]
        v[lines_name] = None if found is None else found[0]
        v[floor_name], v[ceiling_name] = mine["floor"], mine["ceiling"]
    if refs.importers is None:
        importer_lines = None
    else:
        importer_lines = refs.importers.get(importer, 0) if importer else None
    v["importer_lines_in_window"] = importer_lines

    kg_ok = kg_n is not None and kg_n >= cfg.min_peers
    kpu_ok = kpu_n is not None and kpu_n >= cfg.min_peers
    z: dict[str, float | None] = {"z_uv": _per_peer(minus(luv, med), sig, one_key),
                                  **{f"z_{k}": own[k]["z"] for k in _KINDS}}
    z_kg = _per_peer(minus(lvpk, kg_med), kg_sig, one_key) if kg_ok else None
    z_kpu = _per_peer(minus(lkpu, kpu_med), kpu_sig, one_key) if kpu_ok else None
    ratio_uv = exp_or_null(minus(luv, med))
    ratio_kg = exp_or_null(minus(lvpk, kg_med)) if kg_ok else None
    ratio_kpu = exp_or_null(minus(lkpu, kpu_med)) if kpu_ok else None
    declared = _number(line.get("duty_rate"))
    rate = declared if declared is not None or tariff is None else as_float(tariff.get(hts10))
    related_value = line.get("related_party")
    related = related_value is not None and str(related_value).lower() in _RELATED_TRUE
    v.update(z_uv=z["z_uv"], z_kg=z_kg, z_kpu=z_kpu, ratio_uv=ratio_uv, ratio_kg=ratio_kg,
             ratio_kpu=ratio_kpu, ad_valorem_rate=rate, related=related)

    weights: dict[str, float] = {}
    for signal, base, weight_name, spread_of in _SIGNALS:
        spread = own[spread_of]["spread"] if spread_of else None
        gain = divide(sig, spread)
        weights[signal] = base if gain is None else \
            base * min(max(gain * gain, 0.0), cfg.max_precision_gain)
        v[weight_name] = weights[signal]
    terms = {s: times(z[s], weights[s]) for s in SIGNAL_WEIGHTS}
    num = tree_sum([0.0 if t is None else t for t in terms.values()])
    den = tree_sum([0.0 if z[s] is None else weights[s] for s in SIGNAL_WEIGHTS])
    z_unit = num / den if den > 0 else None

    new_importer = importer_lines == 0
    shift = (cfg.related_party_shift if related else 0.0) \
        + (cfg.new_importer_shift if new_importer else 0.0)
    most = largest(None if z_unit is None else -z_unit, None if z_kg is None else -z_kg)
    under_score = None if most is None else most + shift
    over_score = largest(z_unit, z_kg)
    cut = max(cfg.related_under_ratio if related else cfg.under_ratio,
              cfg.new_importer_under_ratio if new_importer else cfg.under_ratio)
    own_ratios = [own[kind]["ratio"] for kind in _OWN_RATIO_KINDS]
    low_uv = at_most(ratio_uv, cut)
    low_kg = at_most(ratio_kg, cut)
    low_own = any(at_most(r, cut) for r in own_ratios)
    quantity = at_least(z_kpu, cfg.z_cut) and at_least(ratio_kpu, cfg.kpu_ratio)
    floor_cut = cfg.related_floor_ratio if related else cfg.floor_ratio
    below_floor = any(at_most(own[k]["floor"], floor_cut)
                      and at_least(own[k]["lines"], cfg.floor_min_lines) for k in FLOOR_KINDS)
    market_floor = _per_peer(exp_or_null(luv), uv_min, one_key)
    every_low = at_most(largest(ratio_uv, *own_ratios), cfg.market_floor_ratio)
    below_market = at_most(market_floor, cfg.market_floor_ratio) and (
        at_least(peer_n, cfg.market_floor_min_peers)
        or (at_least(under_score, cfg.z_under) and every_low))
    under = (at_least(under_score, cfg.z_under) and (low_uv or low_kg or low_own)) \
        or below_floor or below_market
    under = under and not (quantity and not low_uv)
    high_own = any(at_least(r, cfg.over_ratio) for r in own_ratios)
    above_ceiling = any(at_least(own[k]["ceiling"], cfg.ceiling_ratio)
                        and at_least(own[k]["lines"], cfg.floor_min_lines) for k in CEILING_KINDS)
    market_ceiling = _per_peer(exp_or_null(luv), uv_max, one_key)
    above_market = at_least(market_ceiling, cfg.ceiling_ratio) \
        and at_least(peer_n, cfg.market_floor_min_peers)
    paid_before = any(at_most(own[k]["ceiling"], 1.0)
                      and at_least(own[k]["lines"], cfg.floor_min_lines) for k in CEILING_KINDS)
    light = (at_most(z_kpu, -cfg.z_cut) and at_most(ratio_kpu, 1 / cfg.light_ratio)
             and ratio_uv is not None and ratio_uv < cfg.over_ratio) \
        and not under and not quantity
    over = ((at_least(over_score, cfg.z_over)
             and (at_least(ratio_uv, cfg.over_ratio) or at_least(ratio_kg, cfg.over_ratio)
                  or high_own))
            or above_ceiling or above_market) \
        and not paid_before and not under and not quantity and not light
    # the least extreme material ratio: the duty at risk is a floor, not a guess
    used = largest(*[r if at_most(r, cut) else None for r in (ratio_uv, ratio_kg, *own_ratios)],
                *[own[k]["floor"] if at_most(own[k]["floor"], floor_cut) else None
                  for k in FLOOR_KINDS])
    if used is None and below_market:
        used = market_floor
    implied = divide(value, used) if under else times(value, ratio_kpu) if quantity else None
    gap = minus(implied, value)
    v.update(new_importer=new_importer, _score=under_score,
             _under_uv=under and (low_uv or low_own or below_floor or below_market),
             below_own_floor=below_floor, above_own_ceiling=above_ceiling,
             ratio_to_market_floor=market_floor, below_market_floor=below_market,
             ratio_to_market_ceiling=market_ceiling, above_market_ceiling=above_market,
             evidence_score=largest(under_score, over_score, z_kpu), value_gap_usd=gap,
             duty_at_risk_usd=times(gap, rate))
    references = [as_float(v[r]) for r in REFERENCE_RATIOS]
    return ScoredLine(v, importer, manufacturer, hts10, value, smallest(*references),
                   largest(*references), LineFlags(under, over, quantity and not under, light))


def _peer_key(line: dict[str, object]) -> Key:
    """The line's (HTS-10, origin, unit) as :func:`value_measures` has them."""
    hts = _text(line["hts_code"])
    return (None if hts is None else hts.replace(".", ""), _upper(line["country_of_origin"]),
            _upper(line["quantity_unit"]))


def entry_scores(lines: pl.DataFrame, cfg: ValuationConfig, refs: EntryReferences,
                 rates: AccountBaseRates | None,
                 tariff: dict[object, object] | None) -> EntryScores | None:
    """Each line's flags and the flagged lines' :data:`FINDING_INPUTS` (``tariff``:
    :func:`tariff_lookup`, when a tariff is loaded); None when this path does not cover
    ``lines``."""
    if not covered(lines):
        return None
    names = ["line_number", *_TEXT, *_NUMBERS,
             *[c for c in ("related_party", "duty_rate") if c in lines.columns]]
    columns = [lines.get_column(c).to_list() for c in names]  # no query: a few lists
    rows = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    try:
        keys = {_peer_key(row) for row in rows}
        one_key = len(keys) == 1 and len(rows) > 1
        scored = [_evidence(row, refs, cfg, tariff, one_key) for row in rows]
        flags = corroborate_lines(scored, cfg, rates or AccountBaseRates(None, None))
    except (NotCovered, OverflowError):
        return None
    return EntryScores(flags, [ln.values for ln, f in zip(scored, flags, strict=True)
                               if f.flagged])


@cache
def _none_flagged() -> pl.DataFrame:
    """The frame of no flagged line (built once; frames are not changed in place here)."""
    return pl.DataFrame(schema=FINDING_INPUTS)
