"""One request line's valuation signals and flags before corroboration, in plain Python.

:func:`line_evidence` follows :func:`~tradeguard.detectors.valuation_evidence.evidence_scores`
(with :func:`value_measures`, the peer pick and :func:`party_z`) for one line, with the same
thresholds and floating-point order. It runs for every line of every request, so the null
checks are written out in place and each party kind's signal is a tuple, not a dict: the
generic null-aware helpers cost more than the arithmetic they guard. Every operation that can
fail (a division by zero, an overflow, text or numbers the batch path reads otherwise) is still
made whenever the batch path makes it, so that a line this path cannot cover still raises.
"""

from __future__ import annotations

import math
from operator import itemgetter
from typing import Any, NamedTuple

from tradeguard.detectors.peers import ANY_ORIGIN_LEVELS, PEER_COLUMNS, peer_levels
from tradeguard.detectors.valuation_corroboration import REFERENCE_RATIOS
from tradeguard.detectors.valuation_entry_nulls import (
    NotCovered,
    at_most,
    divide,
    largest,
    log_ratio,
    minus,
    times,
    tree_sum,
)
from tradeguard.detectors.valuation_entry_reviews import LineFlags, ScoredLine
from tradeguard.detectors.valuation_entry_tables import EntryReferences, Row
from tradeguard.detectors.valuation_evidence import (
    CEILING_KINDS,
    FLOOR_KINDS,
    PARTY_SPREADS,
    SIGNAL_WEIGHTS,
    ValuationConfig,
)
from tradeguard.detectors.valuation_history import PARTIES

_RELATED_TRUE = frozenset({"true", "1", "y", "yes", "t"})
_PEER_INDEX = {c: i for i, c in enumerate(PEER_COLUMNS)}
_KINDS = tuple(kind for kind, _ in PARTIES)
# each party kind's columns as positions in (importer_id, manufacturer_id)
_PARTY_PARTS = tuple((kind, tuple(("importer_id", "manufacturer_id").index(c) for c in columns))
                     for kind, columns in PARTIES)
# each level's code length (None: the whole HTS-10) and whether it pools all origins
_CODE_CUT = {"hts10": None, "hs6": 6, "hs4": 4, "hs4_any": 4, "hts10_any": None}
_LEVEL_SPECS = {
    any_origin: tuple(tuple((lvl, _CODE_CUT[lvl], lvl in ANY_ORIGIN_LEVELS) for lvl in among)
                      for among in peer_levels(any_origin))
    for any_origin in (False, True)}
_N_AT, _KPU_N_AT = _PEER_INDEX["n"], _PEER_INDEX["lkpu_n"]
# the peer row's columns read for the price and for the weight per unit
_PRICE = itemgetter(*(_PEER_INDEX[c] for c in (
    "code", "n", "luv_post_med", "luv_post_sig", "uv_p05", "uv_p95", "uv_min", "uv_max",
    "lvpk_n", "lvpk_post_med", "lvpk_post_sig")))
_NO_PRICE = (None,) * 11
_WEIGHT = itemgetter(*(_PEER_INDEX[c] for c in ("lkpu_n", "lkpu_post_med", "lkpu_post_sig")))
_NO_WEIGHT = (None,) * 3
# each party kind's output columns
_OWN_NAMES = tuple((f"z_{kind}", f"ratio_{kind}", f"{kind}_history_lines",
                    f"floor_ratio_{kind}", f"ceiling_ratio_{kind}") for kind in _KINDS)
# each signal's weight column and base, and its party kind's position (None: the peers')
_SIGNALS = tuple((f"w_{signal}", base, _KINDS.index(PARTY_SPREADS[signal].removesuffix(
    "_spread")) if signal in PARTY_SPREADS else None) for signal, base in SIGNAL_WEIGHTS.items())
# where each signal's z is: the peers' (None) or a party kind's
_SIGNAL_Z = tuple(None if s == "z_uv" else _KINDS.index(s.removeprefix("z_"))
                  for s in SIGNAL_WEIGHTS)
_OWN_RATIO_AT = tuple(_KINDS.index(s.removeprefix("z_")) for s in PARTY_SPREADS)
_FLOOR_AT = tuple(_KINDS.index(k) for k in FLOOR_KINDS)
_CEILING_AT = tuple(_KINDS.index(k) for k in CEILING_KINDS)
_REFERENCE_AT = tuple(None if r == "ratio_uv" else _KINDS.index(r.removeprefix("ratio_"))
                      for r in REFERENCE_RATIOS)


class Parsed(NamedTuple):
    """A line's declared numbers and codes as :func:`value_measures` reads them."""

    value: float | None
    quantity: float | None
    weight: float | None
    hts10: str | None
    origin: str | None
    unit: str | None
    importer: str | None
    manufacturer: str | None


def _number(value: object) -> float | None:
    if value is None:
        return None
    assert isinstance(value, float)
    if not math.isfinite(value):
        raise NotCovered
    return value


def _upper(value: object) -> str | None:
    """Upper case as Polars has it: the same for ASCII; other text goes to the batch path."""
    if value is None:
        return None
    assert isinstance(value, str)
    if not value.isascii():
        raise NotCovered
    return value.upper()


def _text(value: object) -> str | None:
    assert value is None or isinstance(value, str)
    return value


def parse(line: dict[str, object]) -> Parsed:
    """The line's numbers (finite) and codes (HTS without dots, ASCII origin and unit)."""
    hts = _text(line["hts_code"])
    return Parsed(_number(line["entered_value_usd"]), _number(line["quantity"]),
                  _number(line["gross_weight_kg"]), None if hts is None else hts.replace(".", ""),
                  _upper(line["country_of_origin"]), _upper(line["quantity_unit"]),
                  _text(line["importer_id"]), _text(line["manufacturer_id"]))


def _pick(levels: dict[str, dict[Any, Row]], among: tuple[tuple[str, int | None, bool], ...],
          at: int, p: Parsed, min_peers: int) -> tuple[str | None, Row | None]:
    """The most specific level in ``among`` with ``min_peers`` (the count at ``at``), and its
    row (a null code or unit matches no level; a null origin only the pooled ones)."""
    hts10, unit, origin = p.hts10, p.unit, p.origin
    if hts10 is None or unit is None:
        return None, None
    for lvl, cut, any_origin in among:
        code = hts10 if cut is None else hts10[:cut]
        if any_origin:
            row = levels[lvl].get((code, unit))
        elif origin is None:
            continue
        else:
            row = levels[lvl].get((code, unit, origin))
        if row is not None:
            n = row[at]
            if isinstance(n, int) and n >= min_peers:
                return lvl, row
    return None, None


def _at_least(a: float | None, b: float) -> bool:
    return a is not None and a >= b


def _per_peer(a: float | None, b: float | None, one_key: bool) -> float | None:
    """``a`` divided by a peer statistic ``b``. When the batch's several lines share one
    (HTS, unit, origin) key, the batch path's joined peer column is a broadcast scalar, which
    Polars divides by as a multiplication by its reciprocal (a last-bit difference): the
    same here, so that the numbers are equal to the bit."""
    if a is None or b is None:
        return None
    if b == 0:
        raise NotCovered
    return a * (1 / b) if one_key else a / b


_NO_OWN = (None,) * 6


def _own(luv: float | None, found: Row | None, pooled2: float, prior: float
         ) -> tuple[float | None, ...]:
    """One party kind's signal (as :func:`party_z`): z, ratio, lines, spread, floor, ceiling
    (``found``: the party's row, its statistics floats as :class:`PartyRows` keeps them)."""
    if found is None:
        return _NO_OWN
    count, p_med, p_sig, p_min, p_max = found
    assert isinstance(count, (int, float)) and isinstance(p_sig, float)
    n = float(count)
    sig2 = (n * (p_sig * p_sig) + prior * pooled2) / (n + prior)
    spread = math.sqrt(sig2 * (1 + (math.pi / 2) / n))
    if luv is None:
        return None, None, n, spread, None, None
    assert p_med is None or isinstance(p_med, float)
    gap = None if p_med is None else luv - p_med
    if gap is not None and spread == 0:
        raise NotCovered
    return (None if gap is None else gap / spread, None if gap is None else math.exp(gap), n,
            spread, None if p_min is None else math.exp(luv - p_min),  # type: ignore[operator]
            None if p_max is None else math.exp(luv - p_max))  # type: ignore[operator]


def line_evidence(line: dict[str, object], p: Parsed, refs: EntryReferences,
                  cfg: ValuationConfig, tariff: dict[object, object] | None, one_key: bool
                  ) -> ScoredLine:
    """The line's signals, flags, gap and duty before corroboration (``p``: :func:`parse` of
    it; ``one_key``: the batch's several lines share one (HTS, unit, origin), see
    :func:`_per_peer`)."""
    value, hts10, unit = p.value, p.hts10, p.unit
    luv = log_ratio(value, p.quantity)
    lvpk = log_ratio(value, p.weight)
    lkpu = log_ratio(p.weight, p.quantity)
    v: dict[str, object] = {"entry_number": line["entry_number"],
                            "line_number": line["line_number"], "origin": p.origin,
                            "unit": unit, "luv": luv, "lvpk": lvpk, "lkpu": lkpu}

    price_levels, weight_levels = _LEVEL_SPECS[cfg.use_any_origin]
    level, price = _pick(refs.levels, price_levels, _N_AT, p, cfg.min_peers)
    kpu_level, heavy = _pick(refs.levels, weight_levels, _KPU_N_AT, p, cfg.min_peers)
    # the statistics are floats in the tables (EntryReferences); the counts are converted
    code, count, med, sig, p05, p95, uv_min, uv_max, kg_count, kg_med, kg_sig = \
        _NO_PRICE if price is None else _PRICE(price)
    kpu_count, kpu_med, kpu_sig = _NO_WEIGHT if heavy is None else _WEIGHT(heavy)
    v.update(peer_level=level, peer_code=code, peer_n=count, peer_luv_post_med=med,
             peer_uv_p05=p05, peer_uv_p95=p95, peer_uv_min=uv_min, peer_uv_max=uv_max,
             peer_lvpk_n=kg_count, peer_lvpk_post_med=kg_med, peer_kpu_level=kpu_level,
             peer_lkpu_post_med=kpu_med)

    ids = (p.importer, p.manufacturer)
    own: list[tuple[float | None, ...]] = []
    parties = refs.parties
    for (kind, at), (z_name, ratio_name, lines_name, floor_name, ceiling_name) in zip(
            _PARTY_PARTS, _OWN_NAMES, strict=True):
        found = None
        pooled2 = 0.0
        if parties is not None:
            table = parties[kind]
            pooled2 = table.pooled2
            parts = [ids[i] for i in at]
            if hts10 is not None and unit is not None and None not in parts:
                found = table.rows.get(("|".join(parts), hts10, unit))  # type: ignore[arg-type]
        mine = _own(luv, found, pooled2, cfg.party_prior_lines)
        own.append(mine)
        v[z_name], v[ratio_name] = mine[0], mine[1]
        v[lines_name] = None if found is None else found[0]
        v[floor_name], v[ceiling_name] = mine[4], mine[5]
    importer = p.importer
    if refs.importers is None:
        importer_lines = None
    else:
        importer_lines = refs.importers.get(importer, 0) if importer else None
    v["importer_lines_in_window"] = importer_lines

    min_peers = cfg.min_peers
    kg_ok = kg_count is not None and kg_count >= min_peers
    kpu_ok = kpu_count is not None and kpu_count >= min_peers
    gap_uv = minus(luv, med)
    z_uv = _per_peer(gap_uv, sig, one_key)
    z_kg = _per_peer(minus(lvpk, kg_med), kg_sig, one_key) if kg_ok else None
    z_kpu = _per_peer(minus(lkpu, kpu_med), kpu_sig, one_key) if kpu_ok else None
    ratio_uv = None if gap_uv is None else math.exp(gap_uv)
    ratio_kg = None if not kg_ok or lvpk is None or kg_med is None else math.exp(lvpk - kg_med)
    ratio_kpu = None if not kpu_ok or lkpu is None or kpu_med is None \
        else math.exp(lkpu - kpu_med)
    declared = _number(line.get("duty_rate"))
    if declared is not None or tariff is None:
        rate = declared
    else:
        found_rate = tariff.get(hts10)
        assert found_rate is None or isinstance(found_rate, (int, float))
        rate = None if found_rate is None else float(found_rate)
    related_value = line.get("related_party")
    related = related_value is not None and str(related_value).lower() in _RELATED_TRUE
    v.update(z_uv=z_uv, z_kg=z_kg, z_kpu=z_kpu, ratio_uv=ratio_uv, ratio_kg=ratio_kg,
             ratio_kpu=ratio_kpu, ad_valorem_rate=rate, related=related)

    cap = cfg.max_precision_gain
    weights: list[float] = []
    for weight_name, base, spread_at in _SIGNALS:
        spread = None if spread_at is None else own[spread_at][3]
        gain = divide(sig, spread)
        weight = base if gain is None else base * min(max(gain * gain, 0.0), cap)
        weights.append(weight)
        v[weight_name] = weight
    zs = [z_uv if at is None else own[at][0] for at in _SIGNAL_Z]
    num = tree_sum([0.0 if z is None else z * w for z, w in zip(zs, weights, strict=True)])
    den = tree_sum([0.0 if z is None else w for z, w in zip(zs, weights, strict=True)])
    z_unit = num / den if den > 0 else None

    new_importer = importer_lines == 0
    shift = (cfg.related_party_shift if related else 0.0) \
        + (cfg.new_importer_shift if new_importer else 0.0)
    if z_unit is None or z_kg is None:
        most = None if z_unit is None and z_kg is None \
            else -z_kg if z_unit is None else -z_unit  # type: ignore[operator]
        over_score = z_kg if z_unit is None else z_unit
    else:
        most, over_score = max(-z_unit, -z_kg), max(z_unit, z_kg)
    under_score = None if most is None else most + shift
    cut = max(cfg.related_under_ratio if related else cfg.under_ratio,
              cfg.new_importer_under_ratio if new_importer else cfg.under_ratio)
    # the thresholds are never null: a comparison is false only for a null value
    own_ratios = [own[at][1] for at in _OWN_RATIO_AT]
    low_uv = ratio_uv is not None and ratio_uv <= cut
    low_kg = ratio_kg is not None and ratio_kg <= cut
    low_own = any(r is not None and r <= cut for r in own_ratios)
    quantity = z_kpu is not None and z_kpu >= cfg.z_cut \
        and ratio_kpu is not None and ratio_kpu >= cfg.kpu_ratio
    floor_cut = cfg.related_floor_ratio if related else cfg.floor_ratio
    floor_min = cfg.floor_min_lines
    floors = [own[at][4] for at in _FLOOR_AT if _at_least(own[at][2], floor_min)]
    below_floor = any(f is not None and f <= floor_cut for f in floors)
    exp_luv = None if luv is None else math.exp(luv)
    market_floor = _per_peer(exp_luv, uv_min, one_key)
    scored_under = under_score is not None and under_score >= cfg.z_under
    many_peers = count is not None and count >= cfg.market_floor_min_peers
    below_market = market_floor is not None and market_floor <= cfg.market_floor_ratio and (
        many_peers or (scored_under and at_most(largest(ratio_uv, *own_ratios),
                                                cfg.market_floor_ratio)))
    under = (scored_under and (low_uv or low_kg or low_own)) or below_floor or below_market
    under = under and not (quantity and not low_uv)
    over_ratio = cfg.over_ratio
    ceilings = [own[at][5] for at in _CEILING_AT if _at_least(own[at][2], floor_min)]
    above_ceiling = any(c is not None and c >= cfg.ceiling_ratio for c in ceilings)
    market_ceiling = _per_peer(exp_luv, uv_max, one_key)
    above_market = market_ceiling is not None and market_ceiling >= cfg.ceiling_ratio \
        and many_peers
    paid_before = any(c is not None and c <= 1.0 for c in ceilings)
    light = (z_kpu is not None and z_kpu <= -cfg.z_cut
             and ratio_kpu is not None and ratio_kpu <= 1 / cfg.light_ratio
             and ratio_uv is not None and ratio_uv < over_ratio) \
        and not under and not quantity
    over = ((over_score is not None and over_score >= cfg.z_over
             and ((ratio_uv is not None and ratio_uv >= over_ratio)
                  or (ratio_kg is not None and ratio_kg >= over_ratio)
                  or any(r is not None and r >= over_ratio for r in own_ratios)))
            or above_ceiling or above_market) \
        and not paid_before and not under and not quantity and not light
    implied = None
    if under:  # the least extreme material ratio: the duty at risk is a floor, not a guess
        used = largest(*[r if at_most(r, cut) else None
                         for r in (ratio_uv, ratio_kg, *own_ratios)],
                       *[own[at][4] if at_most(own[at][4], floor_cut) else None
                         for at in _FLOOR_AT])
        if used is None and below_market:
            used = market_floor
        implied = divide(value, used)
    elif quantity:
        implied = times(value, ratio_kpu)
    gap = minus(implied, value)
    v.update(new_importer=new_importer, _score=under_score,
             _under_uv=under and (low_uv or low_own or below_floor or below_market),
             below_own_floor=below_floor, above_own_ceiling=above_ceiling,
             ratio_to_market_floor=market_floor, below_market_floor=below_market,
             ratio_to_market_ceiling=market_ceiling, above_market_ceiling=above_market,
             evidence_score=largest(under_score, over_score, z_kpu), value_gap_usd=gap,
             duty_at_risk_usd=times(gap, rate))
    references = [r for r in (ratio_uv if at is None else own[at][1] for at in _REFERENCE_AT)
                  if r is not None]
    return ScoredLine(v, importer, p.manufacturer, hts10, value,
                      min(references) if references else None,
                      max(references) if references else None,
                      LineFlags(under, over, quantity and not under, light))
