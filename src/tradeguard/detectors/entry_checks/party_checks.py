"""Parties a formal entry line must name: the manufacturer (MID, and name and address to
verify it) and the seller. Only columns present in the input are held to the rule: a source
that does not carry a field at all is reported in the run statistics, not flagged per line.
"""

from __future__ import annotations

import polars as pl

from tradeguard.detectors.entry_checks.config import PartyRules
from tradeguard.detectors.entry_checks.frame import emit, fmt, txt

_RULES = {
    "manufacturer_id": "CBP Form 7501 instructions, block 13 (MID required)",
    "manufacturer_name": "19 CFR 102 Appendix (MID built from the manufacturer's name)",
    "manufacturer_address": "19 CFR 102 Appendix (MID built from the manufacturer's address)",
    "seller_name": "19 CFR 141.86(a)(2) (seller named on the invoice)",
}


def party_fields(rules: PartyRules, present: set[str], rows: int,
                 stats: dict[str, int]) -> list[str]:
    """The party fields a formal line must name that the batch has as columns; each required
    one it lacks is counted in ``stats`` (``party_column_absent:<field>``, ``rows`` lines)."""
    wanted: list[str] = []
    if rules.require_mid:
        wanted.append("manufacturer_id")
    if rules.require_manufacturer_name_address:
        wanted += ["manufacturer_name", "manufacturer_address"]
    if rules.require_seller:
        wanted.append("seller_name")
    for name in wanted:
        if name not in present:
            stats[f"party_column_absent:{name}"] = rows
    return [f for f in wanted if f in present]


def party_findings(df: pl.DataFrame, rules: PartyRules, present: set[str],
                   stats: dict[str, int]) -> list[pl.DataFrame]:
    """DQ_PARTY_MISSING per line: one finding listing every missing party field."""
    fields = party_fields(rules, present, df.height, stats)
    if not fields:
        return []
    formal = ~pl.col("entry_type").is_in(list(rules.informal_entry_types)).fill_null(False)
    missing = pl.concat_list(
        *[pl.when(pl.col(f).is_null()).then(pl.lit(f)) for f in fields]).list.drop_nulls()
    # The few lines missing a field are found first; only they get the list of fields.
    frame = df.filter(formal & pl.any_horizontal([pl.col(f).is_null() for f in fields])
                      ).with_columns(missing.alias("_missing"))
    unidentified = (pl.col("manufacturer_id").is_null()
                    & (pl.col("manufacturer_name").is_null()
                       | pl.col("manufacturer_address").is_null()))
    severity = (pl.when(unidentified).then(pl.lit("high"))
                .when(pl.col("_missing").list.contains("manufacturer_id")).then(pl.lit("medium"))
                .otherwise(pl.lit("low")))
    rule_map = pl.col("_missing").list.eval(
        pl.element().replace_strict(_RULES, return_dtype=pl.String))
    return [emit(frame, formal & (pl.col("_missing").list.len() > 0), "DQ_PARTY_MISSING",
                 fmt("This line of a formal entry (type {}) does not give: {}.",
                           txt(pl.col("entry_type"), "unknown"),
                           pl.col("_missing").list.join(", ")),
                 {"missing": pl.col("_missing"), "rules": rule_map,
                  "entry_type": pl.col("entry_type")}, severity=severity)]
