"""One valuation evidence score per line, from several signals on the robust-z scale.

Signals (each a robust z against a baseline, see :mod:`peers` and :mod:`valuation_history`):

* ``z_uv`` unit value against peers (weight 1.0);
* ``z_importer`` / ``z_manufacturer`` / ``z_supplier`` unit value against the party's own past
  lines for the HTS-10 (``supplier`` = the importer x manufacturer pair). Base weight 0.5 each
  (a party that has undervalued for years looks normal against itself), scaled by the
  history's precision relative to the peers, (peer spread / own predictive spread)^2, within
  [0, ``max_precision_gain``]: a long, stable own history (low dispersion, many lines) is
  sharper evidence than a wide peer group; a short or erratic one counts for less;
* ``z_kg`` value per kilogram against peers (on its own: weight is declared by the carrier as
  well as the filer, so it is harder to fake than value);
* ``z_kpu`` kilograms per declared unit against peers: a quantity understated with the weight
  unchanged (to lower a specific duty or hide a low unit value) shows as kg/unit far above;
* ``related_party`` is context, not evidence: a buyer related to the seller sets the price
  itself (19 U.S.C. 1401a(b)(2)(B) asks for test values; 19 CFR 152.103(l) has such prices
  examined for influence), so the undervaluation score is raised by ``related_party_shift`` z
  and the materiality cut is the looser ``related_under_ratio``; it never flags a line alone.

Unit-value evidence is the weighted mean of the unit-value signals present (a mean, not a
maximum, so adding correlated signals does not multiply false alarms). Undervaluation score =
max(-unit-value evidence, -z_kg) + related-party shift; overvaluation score = max(unit-value
evidence, z_kg); quantity score = z_kpu. A line is flagged when a score passes its cut AND the
gap is material (ratio to the peer median, or to the party's own median, at or below
``under_ratio``), and the evidence score is the largest of the three.

Below the floor: a line priced at or below ``floor_ratio`` of the LOWEST unit value in a
history of at least ``floor_min_lines`` lines of the same importer x manufacturer for the
HTS-10 (``FLOOR_KINDS``; the importer alone, over all its sellers, cost 10 clean demo lines
for 3 cases on one seed and is left out) is flagged as undervalued on its own. For
exchangeable prices a new line falls below the minimum of n past lines with probability
1/(n+1); falling a further 20 % below it, when an agreed price moves a few per cent a month,
is far rarer (measured on the demo: 2 of ~3,600 clean lines with such a history, see
bench/results/anomaly.md). The floor is the tightest comparison an officer has: it needs no
assumption on the spread's shape and is robust to a history mixing several articles under one
tariff number, where a median and spread are not.

Below the market floor: the same test against every buyer's lines, at or below
``market_floor_ratio`` of the LOWEST unit value among at least ``market_floor_min_peers`` peer
lines (the level the line's peers were taken from). A new exchangeable price falls under the
lowest of 20 with probability 1/21, and a quarter below it far more rarely; it catches the
line just above the ratio cut whose peers are tight (10 peers at 0.8x cost 31 more clean lines
over eight demo seeds for 2 more cases). With fewer peers (at least ``min_peers``) their
lowest price is a weaker floor, so the line must also pass the score cut ``z_under`` on the
peers' spread AND be at or below the same ``market_floor_ratio`` of every reference of its
own (importer, pair, manufacturer): a buyer whose own history says it always pays this little
has a cheap contract, not a cut (measured over 13 demo sets with every other rule in place:
2 planted cases for 6 clean lines; alone, without the own-reference condition, 4 for 15).

Overvaluation also mirrors the market floor: at or above ``ceiling_ratio`` times the HIGHEST
unit value among at least ``market_floor_min_peers`` peer lines. And it is never reported for
a price at or below the highest the buyer (importer, or the pair) has paid for the tariff
number in at least ``floor_min_lines`` past lines: a buyer that keeps paying 3x the market
median buys a premium article (on 13 demo sets this removed 16 clean findings and no planted
one). Value per kilogram stays a peer view; the own history is what tells the two apart.

Overvaluation is material, like undervaluation, when the line is ``over_ratio`` times the
peers' OR the party's own usual price: a buyer suddenly paying three times what it always paid
for the same goods is the drawback and money-laundering pattern even inside a wide peer range.
Above the ceiling mirrors the floor: at or above ``ceiling_ratio`` times the HIGHEST price in at
least ``floor_min_lines`` lines of the importer's (all sellers) or the pair's own history for the
HTS-10 is flagged on its own (measured on eight demo seeds: 1 planted case for 2 clean lines;
at 1.5x, 2 cases for 16).

Context that is measured but off by default: an importer with no line at all in the window
(``new_importer``) can be given ``new_importer_shift`` z and the looser materiality cut
``new_importer_under_ratio``; on eight demo seeds either bought one planted case for about 30
clean lines, so both are neutral until a deployment has reason to weigh first-time importers.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, Field

SIGNAL_WEIGHTS: dict[str, float] = {"z_uv": 1.0, "z_importer": 0.5, "z_manufacturer": 0.5,
                                    "z_supplier": 0.5}
FLOOR_KINDS: tuple[str, ...] = ("supplier",)
# above the highest own price: the importer's own history for the tariff number counts too
CEILING_KINDS: tuple[str, ...] = ("importer", "supplier")
# party signal -> the column holding its predictive spread (see valuation_history.party_z)
PARTY_SPREADS: dict[str, str] = {"z_importer": "importer_spread",
                                 "z_manufacturer": "manufacturer_spread",
                                 "z_supplier": "supplier_spread"}


class ValuationConfig(BaseModel):
    """Thresholds. A line is flagged only when it is both statistically extreme and
    economically material. Under a normal law a one-sided robust z of 3.0 is passed by about
    1 clean line in 740 and 3.5 by 1 in 4,300; the ratio test removes most of those."""

    window_days: int = Field(730, ge=30, description="Peer window before the as-of date")
    min_peers: int = Field(5, ge=2, description="Peers a level needs before it is used")
    z_cut: float = Field(3.5, gt=0, description="Robust z for the kg-per-unit signal")
    z_under: float = Field(3.0, gt=0, description="Undervaluation score needed")
    z_over: float = Field(3.0, gt=0, description="Overvaluation score needed")
    under_ratio: float = Field(0.5, gt=0, lt=1, description="Flag at or below this ratio")
    related_under_ratio: float = Field(
        0.75, gt=0, lt=1, description="Materiality cut for related-party lines")
    floor_ratio: float = Field(
        0.8, gt=0, lt=1, description="Flag at/below this x the lowest own-history price")
    related_floor_ratio: float = Field(
        0.9, gt=0, lt=1, description="The same cut for related-party lines")
    floor_min_lines: int = Field(
        8, ge=3, description="Own-history lines before its lowest price is a floor")
    market_floor_ratio: float = Field(
        0.75, gt=0, lt=1, description="Flag at/below this x the lowest peer unit value")
    market_floor_min_peers: int = Field(
        20, ge=5, description="Peer lines before their lowest price is a floor")
    entry_z: float = Field(2.0, ge=0, description="Entry: score a corroborated line needs")
    entry_ratio: float = Field(
        0.75, gt=0, lt=1, description="Entry: at/below this x EVERY price reference")
    entry_min_flagged: int = Field(
        2, ge=1, description="Entry: other lines already flagged for undervaluation")
    account_z: float = Field(1.0, ge=0, description="Account: score a corroborated line needs")
    account_low_z: float = Field(2.0, ge=0, description="Account: score of a low contract")
    account_low_ratio: float = Field(
        0.8, gt=0, lt=1, description="Account: ratio of a low contract to some reference")
    account_line_ratio: float = Field(
        0.8, gt=0, lt=1, description="Account: a line at/below this x some reference")
    account_alpha: float = Field(
        1e-4, gt=0, lt=1, description="Account: binomial tail probability to act on")
    account_base_rate_floor: float = Field(
        0.05, gt=0, lt=1, description="Account: least base rate of low contracts")
    base_rate_lines: int = Field(
        200_000, ge=1000, description="Account: latest history lines that give the base rate")
    max_precision_gain: float = Field(
        4.0, ge=0, description="Cap on an own history's weight gain from its precision")
    over_ratio: float = Field(3.0, gt=1, description="Flag overvaluation at or above this")
    ceiling_ratio: float = Field(
        2.0, gt=1, description="Flag at/above this x the highest own-history price")
    kpu_ratio: float = Field(1.5, gt=1, description="kg/unit at least this x peers")
    light_ratio: float = Field(
        10.0, gt=1, description="kg/unit at most 1/this x peers' with an ordinary unit value: "
        "the weight, not the value, is misdeclared (a data-quality finding)")
    related_party_shift: float = Field(0.5, ge=0, description="Score added if related")
    new_importer_shift: float = Field(
        0.0, ge=0, description="Score added when the importer has no line in the window")
    new_importer_under_ratio: float = Field(
        0.5, gt=0, lt=1, description="Materiality cut for an importer new to the window")
    min_party_lines: int = Field(3, ge=1, description="Own-history lines before it is used")
    party_prior_lines: float = Field(5.0, gt=0, description="Peer spread weight, in lines")
    sigma_floor: float = Field(0.05, gt=0, description="Least log-scale spread of a group")
    high_ratio: float = Field(0.33, description="Undervaluation at/below this ratio is high")
    high_duty_usd: float = Field(2_500.0, description="...or when this much duty is at risk")
    critical_ratio: float = Field(0.2, description="Critical: ratio at/below this AND ...")
    critical_duty_usd: float = Field(10_000.0, description="...at least this duty at risk")
    gross_over_ratio: float = Field(10.0, description="Overvaluation at/above this is high")
    use_any_origin: bool = Field(False, description="Fall back to HS-4 peers of all origins")


def _related() -> pl.Expr:
    text = pl.col("related_party").cast(pl.String).str.to_lowercase()
    return text.is_in(["true", "1", "y", "yes", "t"]).fill_null(False)


def _signal_weight(signal: str, base: float, cfg: ValuationConfig, names: list[str]) -> pl.Expr:
    """Base weight times the history's precision against the peers' (capped); peers keep 1."""
    spread = PARTY_SPREADS.get(signal)
    if spread is None or spread not in names:
        return pl.lit(base, dtype=pl.Float64)
    gain = (pl.col("peer_luv_post_sig") / pl.col(spread)) ** 2
    return (base * gain.clip(0.0, cfg.max_precision_gain)).fill_null(base)


def evidence_scores(frame: pl.LazyFrame, cfg: ValuationConfig, rate: pl.Expr) -> pl.LazyFrame:
    """Add every signal, the three directional scores, flags, gap and duty at risk."""
    names = frame.collect_schema().names()
    kg_ok = pl.col("peer_lvpk_n") >= cfg.min_peers
    kpu_ok = pl.col("peer_lkpu_n") >= cfg.min_peers
    frame = frame.with_columns(
        ((pl.col("luv") - pl.col("peer_luv_post_med")) / pl.col("peer_luv_post_sig"))
        .alias("z_uv"),
        pl.when(kg_ok).then(
            (pl.col("lvpk") - pl.col("peer_lvpk_post_med")) / pl.col("peer_lvpk_post_sig"))
        .alias("z_kg"),
        pl.when(kpu_ok).then(
            (pl.col("lkpu") - pl.col("peer_lkpu_post_med")) / pl.col("peer_lkpu_post_sig"))
        .alias("z_kpu"),
        (pl.col("luv") - pl.col("peer_luv_post_med")).exp().alias("ratio_uv"),
        pl.when(kg_ok).then((pl.col("lvpk") - pl.col("peer_lvpk_post_med")).exp())
        .alias("ratio_kg"),
        pl.when(kpu_ok).then((pl.col("lkpu") - pl.col("peer_lkpu_post_med")).exp())
        .alias("ratio_kpu"),
        rate.alias("ad_valorem_rate"),
        (_related() if "related_party" in names else pl.lit(False)).alias("related"),
    )
    frame = frame.with_columns(
        *[_signal_weight(s, w, cfg, names).alias(f"w_{s}") for s, w in SIGNAL_WEIGHTS.items()])
    num = pl.sum_horizontal([(pl.col(s) * pl.col(f"w_{s}")).fill_null(0.0)
                             for s in SIGNAL_WEIGHTS])
    den = pl.sum_horizontal([pl.when(pl.col(s).is_not_null()).then(pl.col(f"w_{s}"))
                             .otherwise(0.0) for s in SIGNAL_WEIGHTS])
    frame = frame.with_columns(pl.when(den > 0).then(num / den).alias("z_unit_value"))
    new = (pl.col("importer_lines_in_window") == 0).fill_null(False) if \
        "importer_lines_in_window" in names else pl.lit(False)
    frame = frame.with_columns(new.alias("new_importer"))
    shift = (pl.when(pl.col("related")).then(cfg.related_party_shift).otherwise(0.0)
             + pl.when(pl.col("new_importer")).then(cfg.new_importer_shift).otherwise(0.0))
    under_score = pl.max_horizontal(-pl.col("z_unit_value"), -pl.col("z_kg")) + shift
    over_score = pl.max_horizontal(pl.col("z_unit_value"), pl.col("z_kg"))
    frame = frame.with_columns(under_score.alias("under_score"), over_score.alias("over_score"),
                               pl.col("z_kpu").alias("quantity_score"))
    cut = pl.max_horizontal(
        pl.when(pl.col("related")).then(cfg.related_under_ratio).otherwise(cfg.under_ratio),
        pl.when(pl.col("new_importer")).then(cfg.new_importer_under_ratio)
        .otherwise(cfg.under_ratio))
    own_ratios = [f"ratio_{s.removeprefix('z_')}" for s in PARTY_SPREADS]
    low_uv = pl.col("ratio_uv") <= cut
    low_kg = pl.col("ratio_kg") <= cut
    low_own = pl.any_horizontal([(pl.col(r) <= cut).fill_null(False) for r in own_ratios])
    quantity = ((pl.col("quantity_score") >= cfg.z_cut)
                & (pl.col("ratio_kpu") >= cfg.kpu_ratio)).fill_null(False)
    floor_cut = pl.when(pl.col("related")).then(cfg.related_floor_ratio).otherwise(
        cfg.floor_ratio)
    below_floor = pl.any_horizontal([
        ((pl.col(f"floor_ratio_{k}") <= floor_cut)
         & (pl.col(f"{k}_history_lines") >= cfg.floor_min_lines)).fill_null(False)
        for k in FLOOR_KINDS])
    market_floor = pl.col("luv").exp() / pl.col("peer_uv_min")
    # with fewer peers the lowest of them is a weaker floor: it takes an extreme score too,
    # and no reference of the line's own (importer, pair, manufacturer) above the same cut
    every_low = pl.max_horizontal("ratio_uv", *own_ratios) <= cfg.market_floor_ratio
    below_market = ((market_floor <= cfg.market_floor_ratio)
                    & ((pl.col("peer_n") >= cfg.market_floor_min_peers)
                       | ((pl.col("under_score") >= cfg.z_under) & every_low))).fill_null(False)
    under = (((pl.col("under_score") >= cfg.z_under)
              & (low_uv.fill_null(False) | low_kg.fill_null(False) | low_own)).fill_null(False)
             | below_floor | below_market)
    # a low value per kg with a normal unit value is the kg/unit anomaly seen from the other
    # side: report it once, as the quantity/weight mismatch
    under = under & ~(quantity & ~low_uv.fill_null(False))
    high_own = pl.any_horizontal([(pl.col(r) >= cfg.over_ratio).fill_null(False)
                                  for r in own_ratios])
    above_ceiling = pl.any_horizontal([
        ((pl.col(f"ceiling_ratio_{k}") >= cfg.ceiling_ratio)
         & (pl.col(f"{k}_history_lines") >= cfg.floor_min_lines)).fill_null(False)
        for k in CEILING_KINDS])
    market_ceiling = pl.col("luv").exp() / pl.col("peer_uv_max")
    above_market = ((market_ceiling >= cfg.ceiling_ratio)
                    & (pl.col("peer_n") >= cfg.market_floor_min_peers)).fill_null(False)
    # the buyer has paid as much for this tariff number before, again and again: a premium
    # article of its own, not an inflated invoice, however far above the market median it is
    paid_before = pl.any_horizontal([
        ((pl.col(f"ceiling_ratio_{k}") <= 1.0)
         & (pl.col(f"{k}_history_lines") >= cfg.floor_min_lines)).fill_null(False)
        for k in CEILING_KINDS])
    # kg/unit far below the peers' while the unit value is ordinary: the goods cannot weigh a
    # tenth of what the same goods weigh, so the declared weight is wrong; the high value per
    # kg it causes is the same error seen from the other side, not an inflated invoice
    light = ((pl.col("quantity_score") <= -cfg.z_cut)
             & (pl.col("ratio_kpu") <= 1 / cfg.light_ratio)
             & (pl.col("ratio_uv") < cfg.over_ratio)).fill_null(False) & ~under & ~quantity
    over = (((pl.col("over_score") >= cfg.z_over)
             & ((pl.col("ratio_uv") >= cfg.over_ratio) | (pl.col("ratio_kg") >= cfg.over_ratio)
                | high_own)).fill_null(False) | above_ceiling | above_market) \
        & ~paid_before & ~under & ~quantity & ~light
    value = pl.col("entered_value_usd").cast(pl.Float64)
    # the least extreme material ratio: the duty at risk is a floor, not a guess
    under_ratio_used = pl.max_horizontal(
        *[pl.when(pl.col(r) <= cut).then(pl.col(r))
          for r in ("ratio_uv", "ratio_kg", *own_ratios)],
        *[pl.when(pl.col(f"floor_ratio_{k}") <= floor_cut).then(pl.col(f"floor_ratio_{k}"))
          for k in FLOOR_KINDS]).fill_null(pl.when(below_market).then(market_floor))
    implied = (pl.when(under).then(value / under_ratio_used)
               .when(quantity).then(value * pl.col("ratio_kpu")))
    return frame.with_columns(
        (under & (low_uv.fill_null(False) | low_own | below_floor | below_market))
        .alias("_under_uv"),
        below_floor.alias("below_own_floor"), above_ceiling.alias("above_own_ceiling"),
        market_floor.alias("ratio_to_market_floor"), below_market.alias("below_market_floor"),
        market_ceiling.alias("ratio_to_market_ceiling"),
        above_market.alias("above_market_ceiling"),
        under.alias("_under"), over.alias("_over"), (quantity & ~under).alias("_quantity"),
        light.alias("_light"),
        pl.max_horizontal("under_score", "over_score", "quantity_score")
        .alias("evidence_score"),
        (implied - value).alias("value_gap_usd"),
        ((implied - value) * pl.col("ad_valorem_rate")).alias("duty_at_risk_usd"),
    )
