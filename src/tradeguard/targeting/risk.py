"""One risk score per line from detector findings, rules treatments and the model.

The formula (monotone: more or stronger evidence never lowers the score)::

    finding weight   w_f = severity_weight[severity] x category_weight[category]
    category term    t_c = max of w_f over the line's findings of category c
    rules term       t_r = rules_weight x (largest risk weight of the rules profiles hit)
    model term       t_m = model_weight x p            (p = calibrated model probability)
    evidence         E   = 1 - (1 - t_r)(1 - t_m) prod_c (1 - t_c)     (noisy-OR)
    risk_score       s   = E x (1 - relief_weight x relief)

where ``relief`` is the largest risk-lowering weight of the facilitation profiles hit. A
category counts once (its strongest finding), so ten weak findings of one kind do not outweigh
one strong finding; independent categories agreeing push the score toward 1. Entry-level
findings (no line number) count for every line of their entry. Each score carries its reasons
ordered by the weight they added, with their plain-language text, so an officer sees why.
"""

from __future__ import annotations

import polars as pl

from tradeguard.findings import SEVERITY_RANK
from tradeguard.request_path import REQUEST_LINES
from tradeguard.targeting.config import LANE_RANK, TargetingConfig

KEYS = ["entry_number", "line_number"]
# A line's position in the keys being scored: one integer to group, sort and join lines on.
LINE = "_line"
RULES_DETECTOR = "rules"
MAX_TERM = 0.999  # keeps log(1 - t) finite; a term of 1 would make every other one moot
RANK_LANE = {rank: lane for lane, rank in LANE_RANK.items()}
#: Up to this many lines (a scoring request's), the score is worked out in Python
#: (:mod:`tradeguard.targeting.risk_request`): each query here costs ~100 us whatever the size.
SMALL_RISK_LINES = REQUEST_LINES

RISK_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(),
    "line_number": pl.Int64(),
    "risk_score": pl.Float64(),
    "evidence_score": pl.Float64(),
    "relief": pl.Float64(),
    "categories": pl.List(pl.String()),
    "reasons": pl.List(pl.String()),
    "reason_texts": pl.List(pl.String()),
    "forced_lane": pl.String(),
    "forced_by": pl.List(pl.String()),
    "findings": pl.String(),
}

MODEL_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(),
    "line_number": pl.Int64(),
    "probability": pl.Float64(),
    "model_reasons": pl.List(pl.String()),
    "model_reason_texts": pl.List(pl.String()),
}


def expand_to_lines(findings: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """Findings of the batch's lines; an entry-level finding is repeated on each of its lines."""
    lines = keys.select(KEYS).with_row_index(LINE)
    return _on_lines(findings, lines).drop(LINE)


def _on_lines(findings: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """:func:`expand_to_lines` with each finding's :data:`LINE` (``lines``: keys and LINE)."""
    on_line = findings.filter(pl.col("line_number").is_not_null()).join(
        lines, on=KEYS, how="inner", maintain_order="left")
    on_entry = findings.filter(pl.col("line_number").is_null()).drop("line_number").join(
        lines, on="entry_number", how="inner", maintain_order="left")
    return pl.concat([on_line, on_entry.select(on_line.columns)], how="vertical")


def _finding_weights(found: pl.DataFrame, treatments: pl.DataFrame,
                     cfg: TargetingConfig) -> pl.DataFrame:
    """Each finding with its weight ``w`` and the source it counts under (category or rules)."""
    risk = cfg.risk
    sev = pl.col("severity").replace_strict(risk.severity_weights, default=0.0,
                                            return_dtype=pl.Float64)
    cat = pl.col("category").replace_strict(risk.category_weights, default=0.0,
                                            return_dtype=pl.Float64)
    rules = pl.col("detector") == RULES_DETECTOR
    weighted = found.join(treatments.select(*KEYS, "risk_weight"), on=KEYS, how="left")
    return weighted.with_columns(
        pl.when(rules).then(pl.col("risk_weight").fill_null(0.0) * risk.rules_weight)
        .otherwise(sev * cat).clip(0.0, MAX_TERM).alias("w"),
        pl.when(rules).then(pl.lit("rules")).otherwise(pl.col("category")).alias("source"),
    ).drop("risk_weight")


def _forced(found: pl.DataFrame, treatments: pl.DataFrame, cfg: TargetingConfig) -> pl.DataFrame:
    """Per line: the strongest lane forced by a hard rule or a profile, and what forced it."""
    rules = cfg.hard_rules
    masks = []
    for rule in rules.forced_lanes:
        mask = pl.lit(True)
        if rule.category is not None:
            mask &= pl.col("category") == rule.category
        if rule.reason_pattern is not None:
            mask &= pl.col("reason_code").str.contains(rule.reason_pattern)
        if rule.min_severity is not None:
            rank = pl.col("severity").replace_strict(SEVERITY_RANK, default=0,
                                                     return_dtype=pl.Int64)
            mask &= rank >= SEVERITY_RANK[rule.min_severity]
        masks.append(mask.fill_null(False))
    # One pass tells which rules any finding meets; most lines meet none and no profile
    # fixes their lane, and then nothing is forced.
    met = found.select(m.any().alias(str(i)) for i, m in enumerate(masks)).row(0) \
        if masks else ()
    profiled = rules.honour_profile_lanes and treatments.get_column("lane").null_count() \
        < treatments.height
    if not any(met) and not profiled:
        return pl.DataFrame(schema={"entry_number": pl.String(), "line_number": pl.Int64(),
                                    "forced_lane": pl.String(),
                                    "forced_by": pl.List(pl.String())})
    parts: list[pl.DataFrame] = []
    for rule, mask, hit in zip(rules.forced_lanes, masks, met, strict=True):
        if hit:
            parts.append(found.filter(mask).select(
                *KEYS, pl.lit(LANE_RANK[rule.lane]).alias("rank"),
                pl.lit(rule.name).alias("by")))
    if rules.honour_profile_lanes:
        parts.append(treatments.filter(pl.col("lane").is_not_null()).select(
            *KEYS,
            pl.col("lane").replace_strict(LANE_RANK, return_dtype=pl.Int32).alias("rank"),
            pl.concat_str(pl.lit("profile:"), pl.col("profile_ids").list.join(","))
            .alias("by")))
    schema = {"entry_number": pl.String(), "line_number": pl.Int64(), "rank": pl.Int32(),
              "by": pl.String()}
    hits = pl.concat([pl.DataFrame(schema=schema),
                      *[p.select([pl.col(c).cast(t) for c, t in schema.items()]) for p in parts]])
    top = hits.group_by(KEYS).agg(pl.col("rank").max())
    return hits.join(top, on=[*KEYS, "rank"], how="semi").group_by(KEYS).agg(
        pl.col("rank").first().replace_strict(RANK_LANE, return_dtype=pl.String)
        .alias("forced_lane"),
        pl.col("by").unique().sort().alias("forced_by"))


def _reason_rows(weighted: pl.DataFrame, model: pl.DataFrame | None,
                 cfg: TargetingConfig) -> pl.DataFrame:
    """(line, code, text, category, w) rows from findings and model reasons, for ordering."""
    rows = weighted.select(LINE, pl.col("reason_code").alias("code"), "text", "category", "w")
    if model is None or model.is_empty():
        return rows
    probability = pl.col("probability")
    lead = pl.concat_str(pl.lit("model: "), (probability * 100).round(0).cast(pl.Int64)
                         .cast(pl.String), pl.lit("% likely a discrepancy, mainly "))
    model_rows = model.filter(pl.col("model_reasons").list.len() > 0).select(
        LINE, pl.col("model_reasons").alias("code"), pl.col("model_reason_texts").alias("text"),
        pl.when(probability >= cfg.risk.model_category_min_probability).then(pl.lit("model"))
        .alias("category"),
        (probability * cfg.risk.model_weight).clip(0.0, MAX_TERM).alias("w"),
        lead.alias("lead"),
    ).explode("code", "text").with_columns(
        # The line's first model reason (a first occurrence: a hash pass, not a window).
        pl.concat_str(pl.when(pl.col(LINE).is_first_distinct()).then(pl.col("lead"))
                      .otherwise(pl.lit("model: also ")), pl.col("text")).alias("text"))
    return pl.concat([rows, model_rows.select(rows.columns)], how="vertical_relaxed")


def _explained(reasons: pl.DataFrame, top: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per line: reason codes and their first ``top`` texts, strongest first; and the
    distinct categories, sorted (from distinct pairs: far cheaper than per-group sets).

    Ties (same weight and code) keep their input order: the sort is stable.
    """
    ordered = reasons.sort([LINE, "w", "code"], descending=[False, True, False],
                           maintain_order=True)
    explained = ordered.group_by(LINE, maintain_order=True).agg(
        pl.col("code").unique(maintain_order=True).alias("reasons"),
        pl.col("text").unique(maintain_order=True).head(top).alias("reason_texts"))
    categories = (reasons.select(LINE, "category").drop_nulls().unique()
                  .sort(LINE, "category").group_by(LINE, maintain_order=True)
                  .agg(pl.col("category").alias("categories")))
    return explained, categories


def _listed(found: pl.DataFrame) -> pl.DataFrame:
    """Per line: its findings as one JSON array, ordered by category and reason code."""
    fields = ("category", "reason_code", "severity", "text", "evidence", "detector",
              "detector_version")
    encoded = found.sort([LINE, "category", "reason_code"], maintain_order=True).select(
        LINE, pl.struct(*fields).struct.json_encode().alias("findings"))
    return encoded.group_by(LINE, maintain_order=True).agg("findings").select(
        LINE, pl.concat_str(pl.lit("["), pl.col("findings").list.join(","), pl.lit("]"))
        .alias("findings"))


def _aligned(frame: pl.DataFrame, per_line: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (every line, in :data:`LINE` order) with the columns of ``per_line`` (at most
    one row per line, in LINE order); side by side when it has a row for every line."""
    if per_line.height == frame.height:
        return frame.hstack(per_line.drop(LINE).get_columns())
    return frame.join(per_line, on=LINE, how="left", maintain_order="left")


def _model_on_lines(model: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """``model`` with each row's :data:`LINE`; no join when it lists the lines in order."""
    if model.select(KEYS).equals(lines.select(KEYS)):
        return model.with_row_index(LINE)
    return model.join(lines, on=KEYS, how="inner", maintain_order="left")


def combine_risk(
    keys: pl.DataFrame,
    findings: pl.DataFrame,
    treatments: pl.DataFrame,
    cfg: TargetingConfig,
    model: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Risk score, categories, ordered reasons and forced lane for every line in ``keys``.

    ``keys`` has one row per line (entry_number, line_number); ``findings`` is in
    :data:`tradeguard.findings.FINDINGS_SCHEMA`; ``treatments`` in the rules engine's treatment
    schema; ``model`` (optional) in :data:`MODEL_SCHEMA`. Returns :data:`RISK_SCHEMA` rows in
    the order of ``keys``. Lines are grouped and joined on their position in ``keys``
    (:data:`LINE`), one integer, rather than on the two key columns.
    """
    if keys.height <= SMALL_RISK_LINES and findings.height <= 8 * SMALL_RISK_LINES:
        from tradeguard.targeting.risk_request import few_lines_risk

        small = few_lines_risk(keys, findings, treatments, cfg, model)
        if small is not None:
            return small
    lines = keys.select(pl.col("entry_number").cast(pl.String),
                        pl.col("line_number").cast(pl.Int64)).with_row_index(LINE)
    found = _on_lines(findings, lines)
    weighted = _finding_weights(found, treatments, cfg)
    per_source = weighted.group_by(LINE, "source").agg(pl.col("w").max())
    # Summed in a fixed order: groups come out of a hash table in any order, and a float sum
    # that follows it could differ in the last bit from one run to the next.
    evidence = per_source.group_by(LINE).agg(
        (1.0 - pl.col("w")).log().sort().sum().alias("log_keep"))
    frame = lines.join(evidence, on=LINE, how="left", maintain_order="left").join(
        treatments.select(*KEYS, pl.col("relief_weight").alias("relief")), on=KEYS,
        how="left", maintain_order="left")
    model_term = pl.lit(0.0)
    if model is not None:
        model = _model_on_lines(model, lines)
        frame = frame.join(model.select(LINE, "probability"), on=LINE, how="left",
                           maintain_order="left")
        model_term = (pl.col("probability").fill_null(0.0) * cfg.risk.model_weight).clip(
            0.0, MAX_TERM)
    log_keep = pl.col("log_keep").fill_null(0.0) + (1.0 - model_term).log()
    frame = frame.with_columns(
        (1.0 - log_keep.exp()).clip(0.0, 1.0).alias("evidence_score"),
        pl.col("relief").fill_null(0.0).clip(0.0, 1.0),
    ).with_columns(
        (pl.col("evidence_score") * (1.0 - cfg.risk.relief_weight * pl.col("relief")))
        .clip(0.0, 1.0).alias("risk_score"))

    explained, categories = _explained(_reason_rows(weighted, model, cfg),
                                       cfg.risk.top_reasons)
    forced = _forced(found, treatments, cfg).join(lines, on=KEYS, how="inner").drop(KEYS)
    out = _aligned(frame, explained)
    for per_line in (categories, forced, _listed(found)):
        out = out.join(per_line, on=LINE, how="left", maintain_order="left")
    empty = pl.lit([], dtype=pl.List(pl.String))
    return out.with_columns(
        pl.col("categories").fill_null(empty), pl.col("reasons").fill_null(empty),
        pl.col("reason_texts").fill_null(empty), pl.col("forced_by").fill_null(empty),
        pl.col("findings").fill_null("[]"),
    ).select([pl.col(c).cast(t) for c, t in RISK_SCHEMA.items()])
