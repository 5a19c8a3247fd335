"""Valuation findings: the sentence and evidence an analyst (and the importer) reads.

Every finding states the peer basis (level, code, origin, unit, count), the ratio and
percentile against the peers, the party's own history when it was used, the evidence score
with each signal that made it, and the duty the gap would have paid. A line reported because
its entry or its importer's account shows the same pattern says so, with the counts (and the
binomial tail probability) behind it; its reason code says which review found it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl
from scipy.special import ndtr

from tradeguard.detectors.valuation_entry_findings import (
    EVIDENCE,
    SIGNALS,
    WORDS,
    Value,
    findings_of_rows,
    plain_findings,
)
from tradeguard.detectors.valuation_evidence import SIGNAL_WEIGHTS, ValuationConfig
from tradeguard.findings import FINDINGS_SCHEMA, Category
from tradeguard.request_path import REQUEST_LINES

#: Up to this many flagged lines (a request's), findings are built in plain Python
#: (:func:`plain_findings`): the expressions below cost ~1.5 ms whatever the frame's size.
PLAIN_LINES = REQUEST_LINES


def request_findings(rows: Sequence[Mapping[str, Value]], cfg: ValuationConfig,
                     detector: str, version: str) -> pl.DataFrame | None:
    """The findings of a request's flagged lines, given as the rows of the flagged frame
    (:meth:`EntryScores.rows`), written in Python without that frame being built; None to
    leave them to :func:`valuation_findings`. The frame comes out in :data:`FINDINGS_SCHEMA`
    with the contract's categories: nothing to conform."""
    if len(rows) > PLAIN_LINES:
        return None
    return findings_of_rows(rows, cfg, detector, version)


def _fmt(expr: pl.Expr) -> pl.Expr:
    """A number as text with two decimals, for finding sentences."""
    return expr.round(2).cast(pl.String)


def _round(name: str, digits: int = 3) -> pl.Expr:
    return pl.col(name).round(digits)


def _evidence_value(key: str, column: str, how: str, duty: pl.Expr, version: str) -> pl.Expr:
    """One evidence value as :data:`EVIDENCE` describes it."""
    if key == "signals":
        return pl.struct(*[_round(s) for s in SIGNALS])
    if key == "unit_value_signal_weights":
        return pl.struct(*[pl.col(f"w_{s}").round(3).alias(s) for s in SIGNAL_WEIGHTS])
    if key == "baseline_method_version":
        return pl.lit(version)
    if how == "duty":
        return duty.round(2)
    value = pl.col(column)
    if how == "exp":
        return value.exp().round(4)
    return value.round(int(how[1:])) if how else value


def valuation_findings(flagged: pl.DataFrame, cfg: ValuationConfig, detector: str,
                       version: str) -> pl.DataFrame:
    """Findings rows (:data:`FINDINGS_SCHEMA`) for lines flagged by :func:`evidence_scores`."""
    if flagged.height <= PLAIN_LINES:
        plain = plain_findings(flagged, cfg, detector, version)
        if plain is not None:
            return plain
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
    w = {key: pl.lit(text) for key, text in WORDS.items()}
    med_uv = pl.col("peer_luv_post_med").exp()
    basis = pl.concat_str([
        pl.col("peer_n").cast(pl.String), w["peer_lines"],
        pl.col("peer_level"), w["space"], pl.col("peer_code"), w["origin"],
        pl.col("origin"), w["unit"], pl.col("unit"), w["close"],
    ])
    own = pl.when(pl.col("ratio_importer").is_not_null()).then(pl.concat_str([
        w["sep"], _fmt(pl.col("ratio_importer")), w["own"],
        pl.col("importer_history_lines").cast(pl.String), w["past_lines"]])
    ).otherwise(pl.lit(""))
    floor = pl.when(pl.col("below_own_floor")).then(pl.concat_str([
        w["sep"], _fmt(pl.col("floor_ratio_supplier")), w["floor"],
        pl.col("supplier_history_lines").cast(pl.String),
        w["from_manufacturer"]])).otherwise(pl.lit(""))
    market = pl.when(pl.col("below_market_floor") & under).then(pl.concat_str([
        w["sep"], _fmt(pl.col("ratio_to_market_floor")), w["market_floor"]])
    ).otherwise(pl.lit(""))
    importer_ceiling = ((pl.col("ceiling_ratio_importer") >= cfg.ceiling_ratio)
                        & (pl.col("importer_history_lines") >= cfg.floor_min_lines))
    ceiling = pl.when(pl.col("above_own_ceiling") & pl.col("_over")).then(pl.concat_str([
        w["sep"],
        pl.when(importer_ceiling).then(pl.concat_str([
            _fmt(pl.col("ceiling_ratio_importer")), w["importer_ceiling"],
            pl.col("importer_history_lines").cast(pl.String), w["tariff_number"]]))
        .otherwise(pl.concat_str([
            _fmt(pl.col("ceiling_ratio_supplier")), w["supplier_ceiling"],
            pl.col("supplier_history_lines").cast(pl.String),
            w["from_manufacturer"]]))])).otherwise(pl.lit(""))
    entry = pl.when(pl.col("_entry_corroborated")).then(pl.concat_str([
        w["entry"], pl.col("entry_flagged_lines").cast(pl.String), w["entry_end"]])
    ).otherwise(pl.lit(""))
    account = pl.when(pl.col("_account_corroborated")).then(pl.concat_str([
        w["account"],
        pl.when(pl.col("related") & (pl.col("related_account_p_value")
                                     <= cfg.account_alpha)).then(pl.concat_str([
            pl.col("related_account_low_contracts").cast(pl.String), w["of_contracts"],
            pl.col("related_account_contracts").cast(pl.String), w["related_low"],
            pl.col("_related_account_p_text")]))
        .otherwise(pl.concat_str([
            pl.col("account_low_contracts").cast(pl.String), w["of_contracts"],
            pl.col("account_contracts").cast(pl.String), w["low"],
            pl.col("_account_p_text")])),
        w["base_rate"],
        pl.when(pl.col("combined_p_value") <= cfg.account_alpha).then(pl.concat_str([
            w["combined"], pl.col("_combined_p_text")])).otherwise(pl.lit(""))])
    ).otherwise(pl.lit(""))
    market_ceiling = pl.when(pl.col("above_market_ceiling") & pl.col("_over")).then(
        pl.concat_str([w["sep"], _fmt(pl.col("ratio_to_market_ceiling")),
                       w["market_ceiling"]])).otherwise(pl.lit(""))
    light = pl.col("_light")
    kpu = pl.when(quantity | light).then(pl.concat_str([
        w["sep"], _fmt(pl.col("lkpu").exp()), w["kg_per"], pl.col("unit"),
        w["is"], _fmt(pl.col("ratio_kpu")), w["x_peer_median"],
        _fmt(pl.col("peer_lkpu_post_med").exp()), w["kg"]])).otherwise(pl.lit(""))
    related = pl.when(pl.col("related")).then(w["related"]).otherwise(pl.lit(""))
    # A line flagged on weight alone may have no unit-value comparison: say so rather than
    # lose the whole sentence to a missing number.
    unit_value = pl.concat_str([
        w["unit_value"], _fmt(pl.col("luv").exp()), w["per"], pl.col("unit"),
        w["is"], _fmt(pl.col("ratio_uv")), w["x_median"], _fmt(med_uv),
        w["of"], basis, w["percentile"], _fmt(pl.col("percentile_uv")),
        w["close"]]).fill_null(w["not_compared"])
    text = pl.concat_str([
        unit_value,
        pl.when(pl.col("ratio_kg").is_not_null()).then(pl.concat_str([
            w["per_kg"], _fmt(pl.col("ratio_kg")), w["x_peer_median_usd"],
            _fmt(pl.col("peer_lvpk_post_med").exp()), w["kg_end"]])).otherwise(pl.lit("")),
        *[part.fill_null("") for part in (own, floor, market, ceiling, market_ceiling, entry,
                                          account, kpu)],
        pl.when(under).then(pl.concat_str([
            w["under"], _fmt(duty).fill_null(w["no_duty"]), w["end"]]))
        .when(quantity).then(pl.concat_str([
            w["quantity"], _fmt(duty).fill_null(w["no_duty"]), w["end"]]))
        .when(light).then(w["light"])
        .otherwise(w["over"]),
        related,
    ])
    evidence = pl.struct(*[_evidence_value(key, column, how, duty, version).alias(key)
                           for key, column, how in EVIDENCE]).struct.json_encode()
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
