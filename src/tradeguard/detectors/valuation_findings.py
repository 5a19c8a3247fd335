"""Valuation findings: the sentence and evidence an analyst (and the importer) reads.

Every finding states the peer basis (level, code, origin, unit, count), the ratio and
percentile against the peers, the party's own history when it was used, the evidence score
with each signal that made it, and the duty the gap would have paid. A line reported because
its entry or its importer's account shows the same pattern says so, with the counts (and the
binomial tail probability) behind it; its reason code says which review found it.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.special import ndtr

from tradeguard.detectors.valuation_evidence import SIGNAL_WEIGHTS, ValuationConfig
from tradeguard.findings import FINDINGS_SCHEMA, Category


def _fmt(expr: pl.Expr) -> pl.Expr:
    """A number as text with two decimals, for finding sentences."""
    return expr.round(2).cast(pl.String)


def _round(name: str, digits: int = 3) -> pl.Expr:
    return pl.col(name).round(digits)


def valuation_findings(flagged: pl.DataFrame, cfg: ValuationConfig, detector: str,
                       version: str) -> pl.DataFrame:
    """Findings rows (:data:`FINDINGS_SCHEMA`) for lines flagged by :func:`evidence_scores`."""
    z = flagged["z_uv"].fill_null(0.0).to_numpy()
    flagged = flagged.with_columns(
        pl.Series("percentile_uv", np.round(100 * ndtr(z), 3)),
        *[pl.Series(f"_{c}_p_text", np.char.mod("%.1e", flagged[f"{c}_p_value"].fill_null(1.0)
                                                .to_numpy()))
          for c in ("account", "related_account", "combined")])
    under, quantity = pl.col("_under"), pl.col("_quantity")
    ratio = pl.when(under & ~pl.col("_under_uv")).then(pl.col("ratio_kg")).otherwise(
        pl.col("ratio_uv"))
    duty = pl.col("duty_at_risk_usd").fill_null(0.0)
    severity = (
        pl.when(under & (ratio <= cfg.critical_ratio) & (duty >= cfg.critical_duty_usd))
        .then(pl.lit("critical"))
        .when(under & ((ratio <= cfg.high_ratio) | (duty >= cfg.high_duty_usd)))
        .then(pl.lit("high"))
        .when(quantity & ((pl.col("ratio_kpu") >= 1 / cfg.high_ratio)
                          | (duty >= cfg.high_duty_usd))).then(pl.lit("high"))
        .when(~under & ~quantity & (ratio >= cfg.gross_over_ratio)).then(pl.lit("high"))
        .otherwise(pl.lit("medium"))
    )
    med_uv = pl.col("peer_luv_post_med").exp()
    basis = pl.concat_str([
        pl.col("peer_n").cast(pl.String), pl.lit(" peer lines ("),
        pl.col("peer_level"), pl.lit(" "), pl.col("peer_code"), pl.lit(", origin "),
        pl.col("origin"), pl.lit(", unit "), pl.col("unit"), pl.lit(")"),
    ])
    own = pl.when(pl.col("ratio_importer").is_not_null()).then(pl.concat_str([
        pl.lit("; "), _fmt(pl.col("ratio_importer")), pl.lit("x the importer's own median over "),
        pl.col("importer_history_lines").cast(pl.String), pl.lit(" past lines")])
    ).otherwise(pl.lit(""))
    floor = pl.when(pl.col("below_own_floor")).then(pl.concat_str([
        pl.lit("; "), _fmt(pl.col("floor_ratio_supplier")),
        pl.lit("x the lowest price in this importer's "),
        pl.col("supplier_history_lines").cast(pl.String),
        pl.lit(" past lines from this manufacturer")])).otherwise(pl.lit(""))
    market = pl.when(pl.col("below_market_floor") & under).then(pl.concat_str([
        pl.lit("; "), _fmt(pl.col("ratio_to_market_floor")),
        pl.lit("x the lowest price among the peer lines")])).otherwise(pl.lit(""))
    importer_ceiling = ((pl.col("ceiling_ratio_importer") >= cfg.ceiling_ratio)
                        & (pl.col("importer_history_lines") >= cfg.floor_min_lines))
    ceiling = pl.when(pl.col("above_own_ceiling") & pl.col("_over")).then(pl.concat_str([
        pl.lit("; "),
        pl.when(importer_ceiling).then(pl.concat_str([
            _fmt(pl.col("ceiling_ratio_importer")),
            pl.lit("x the highest price in the importer's own "),
            pl.col("importer_history_lines").cast(pl.String),
            pl.lit(" past lines for this tariff number")]))
        .otherwise(pl.concat_str([
            _fmt(pl.col("ceiling_ratio_supplier")),
            pl.lit("x the highest price in this importer's "),
            pl.col("supplier_history_lines").cast(pl.String),
            pl.lit(" past lines from this manufacturer")]))])).otherwise(pl.lit(""))
    entry = pl.when(pl.col("_entry_corroborated")).then(pl.concat_str([
        pl.lit("; on an entry with "), pl.col("entry_flagged_lines").cast(pl.String),
        pl.lit(" other line(s) flagged for undervaluation, and low against every price "
               "reference")])).otherwise(pl.lit(""))
    account = pl.when(pl.col("_account_corroborated")).then(pl.concat_str([
        pl.lit("; the importer has "),
        pl.when(pl.col("related") & (pl.col("related_account_p_value")
                                     <= cfg.account_alpha)).then(pl.concat_str([
            pl.col("related_account_low_contracts").cast(pl.String), pl.lit(" of "),
            pl.col("related_account_contracts").cast(pl.String),
            pl.lit(" related-party contracts in the lines scored priced low (chance "),
            pl.col("_related_account_p_text")]))
        .otherwise(pl.concat_str([
            pl.col("account_low_contracts").cast(pl.String), pl.lit(" of "),
            pl.col("account_contracts").cast(pl.String),
            pl.lit(" contracts in the lines scored priced low (chance "),
            pl.col("_account_p_text")])),
        pl.lit(" at the base rate of past trade)"),
        pl.when(pl.col("combined_p_value") <= cfg.account_alpha).then(pl.concat_str([
            pl.lit("; this line's price and the importer's other contracts together: chance "),
            pl.col("_combined_p_text")])).otherwise(pl.lit(""))])).otherwise(pl.lit(""))
    market_ceiling = pl.when(pl.col("above_market_ceiling") & pl.col("_over")).then(
        pl.concat_str([pl.lit("; "), _fmt(pl.col("ratio_to_market_ceiling")),
                       pl.lit("x the highest price among the peer lines")])).otherwise(pl.lit(""))
    light = pl.col("_light")
    kpu = pl.when(quantity | light).then(pl.concat_str([
        pl.lit("; "), _fmt(pl.col("lkpu").exp()), pl.lit(" kg per "), pl.col("unit"),
        pl.lit(" is "), _fmt(pl.col("ratio_kpu")), pl.lit("x the peer median "),
        _fmt(pl.col("peer_lkpu_post_med").exp()), pl.lit(" kg")])).otherwise(pl.lit(""))
    related = pl.when(pl.col("related")).then(pl.lit(" Buyer and seller are related."))\
        .otherwise(pl.lit(""))
    # A line flagged on weight alone may have no unit-value comparison: say so rather than
    # lose the whole sentence to a missing number.
    unit_value = pl.concat_str([
        pl.lit("Unit value $"), _fmt(pl.col("luv").exp()), pl.lit(" per "), pl.col("unit"),
        pl.lit(" is "), _fmt(pl.col("ratio_uv")), pl.lit("x the median $"), _fmt(med_uv),
        pl.lit(" of "), basis, pl.lit(" (percentile "), _fmt(pl.col("percentile_uv")),
        pl.lit(")")]).fill_null(pl.lit("Unit value not compared with peers"))
    text = pl.concat_str([
        unit_value,
        pl.when(pl.col("ratio_kg").is_not_null()).then(pl.concat_str([
            pl.lit("; value per kg is "), _fmt(pl.col("ratio_kg")),
            pl.lit("x the peer median $"),
            _fmt(pl.col("peer_lvpk_post_med").exp()), pl.lit("/kg")])).otherwise(pl.lit("")),
        *[part.fill_null("") for part in (own, floor, market, ceiling, market_ceiling, entry,
                                          account, kpu)],
        pl.when(under).then(pl.concat_str([
            pl.lit(". Possible undervaluation; duty at risk $"), _fmt(duty).fill_null("n/a"),
            pl.lit(".")]))
        .when(quantity).then(pl.concat_str([
            pl.lit(". Quantity looks understated for the declared weight; duty at risk $"),
            _fmt(duty).fill_null("n/a"), pl.lit(".")]))
        .when(light).then(pl.lit(". The unit value is ordinary for these goods but they "
                                 "cannot weigh this little: the gross weight (or the "
                                 "quantity) looks misdeclared."))
        .otherwise(pl.lit(". Possible overvaluation (money laundering or drawback risk).")),
        related,
    ])
    signals = pl.struct(*[_round(s) for s in ("z_uv", "z_kg", "z_kpu", *SIGNAL_WEIGHTS)
                          if s != "z_uv"], _round("z_uv"))
    evidence = pl.struct(
        pl.col("peer_level"), pl.col("peer_code"), pl.col("origin"), pl.col("unit"),
        pl.col("peer_n").alias("peer_count"),
        pl.col("luv").exp().round(4).alias("unit_value_usd"),
        med_uv.round(4).alias("peer_median_unit_value_usd"),
        pl.col("peer_uv_p05").round(4).alias("peer_p05_unit_value_usd"),
        pl.col("peer_uv_p95").round(4).alias("peer_p95_unit_value_usd"),
        pl.col("ratio_uv").round(4).alias("ratio"),
        pl.col("z_uv").round(3).alias("robust_z"),
        pl.col("percentile_uv").alias("percentile"),
        pl.col("lvpk").exp().round(4).alias("value_per_kg_usd"),
        pl.col("peer_lvpk_post_med").exp().round(4).alias("peer_median_value_per_kg_usd"),
        pl.col("ratio_kg").round(4).alias("ratio_per_kg"),
        pl.col("peer_lvpk_n").alias("peer_count_per_kg"),
        pl.col("lkpu").exp().round(4).alias("kg_per_unit"),
        pl.col("peer_lkpu_post_med").exp().round(4).alias("peer_median_kg_per_unit"),
        pl.col("ratio_kpu").round(4).alias("ratio_kg_per_unit"),
        pl.col("ratio_importer").round(4).alias("ratio_to_importer_history"),
        pl.col("importer_history_lines"),
        pl.col("ratio_manufacturer").round(4).alias("ratio_to_manufacturer_history"),
        pl.col("manufacturer_history_lines"),
        pl.col("ratio_supplier").round(4).alias("ratio_to_supplier_history"),
        pl.col("floor_ratio_supplier").round(4).alias("ratio_to_supplier_lowest_price"),
        pl.col("supplier_history_lines"),
        pl.col("below_own_floor"),
        pl.col("peer_uv_min").round(4).alias("peer_lowest_unit_value_usd"),
        pl.col("ratio_to_market_floor").round(4).alias("ratio_to_peer_lowest_price"),
        pl.col("below_market_floor"),
        pl.col("peer_uv_max").round(4).alias("peer_highest_unit_value_usd"),
        pl.col("ratio_to_market_ceiling").round(4).alias("ratio_to_peer_highest_price"),
        pl.col("above_market_ceiling"),
        pl.col("ceiling_ratio_importer").round(4).alias("ratio_to_importer_highest_price"),
        pl.col("ceiling_ratio_supplier").round(4).alias("ratio_to_supplier_highest_price"),
        pl.col("above_own_ceiling"),
        pl.col("peer_kpu_level").alias("peer_level_kg_per_unit"),
        pl.col("entry_flagged_lines"),
        pl.col("_entry_corroborated").alias("entry_corroborated"),
        pl.col("account_low_contracts"), pl.col("account_contracts"),
        pl.col("account_p_value"),
        pl.col("related_account_low_contracts"), pl.col("related_account_contracts"),
        pl.col("related_account_p_value"),
        pl.col("line_p_value"), pl.col("account_others_p_value"), pl.col("combined_p_value"),
        pl.col("_account_corroborated").alias("account_corroborated"),
        pl.col("importer_lines_in_window"), pl.col("new_importer"),
        pl.col("related").alias("related_party"),
        signals.alias("signals"),
        pl.struct(*[pl.col(f"w_{s}").round(3).alias(s) for s in SIGNAL_WEIGHTS])
        .alias("unit_value_signal_weights"),
        _round("evidence_score").alias("evidence_score"),
        pl.col("ad_valorem_rate"),
        pl.col("value_gap_usd").round(2), duty.round(2).alias("duty_at_risk_usd"),
        pl.lit(version).alias("baseline_method_version"),
    ).struct.json_encode()
    reason = (
        pl.when(under & pl.col("_entry_corroborated")).then(pl.lit("VAL_UNDER_ENTRY_PATTERN"))
        .when(under & pl.col("_account_corroborated")).then(pl.lit("VAL_UNDER_ACCOUNT_PATTERN"))
        .when(under & pl.col("_under_uv")).then(pl.lit("VAL_UNDER_UNIT_VALUE"))
        .when(under).then(pl.lit("VAL_UNDER_VALUE_PER_KG"))
        .when(quantity).then(pl.lit("VAL_QUANTITY_WEIGHT_MISMATCH"))
        .when(light).then(pl.lit("DQ_WEIGHT_FAR_BELOW_PEERS"))
        .otherwise(pl.lit("VAL_OVER_UNIT_VALUE"))
    )
    # A weight no article of the kind can have is a declaration error, not a price question.
    category = pl.when(light & ~under & ~quantity).then(pl.lit(Category.DATA_QUALITY.value))\
        .otherwise(pl.lit(Category.VALUATION.value))
    return flagged.select(
        pl.col("entry_number").cast(pl.String),
        pl.col("line_number").cast(pl.Int64),
        category.alias("category"),
        reason.alias("reason_code"), severity.alias("severity"), text.alias("text"),
        evidence.alias("evidence"), pl.lit(detector).alias("detector"),
        pl.lit(version).alias("detector_version"),
    ).select(list(FINDINGS_SCHEMA))
