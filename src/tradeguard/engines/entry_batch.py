"""Scoring one batch of whole entries: the Python every engine calls on its partitions.

A batch holds every line of each of its entries, so entry-level checks, ``lines_in_entry`` and
entry-level findings see complete entries. The functions here are the same on DuckDB (batches
read in process) and Spark (``applyInArrow`` on executors): they wrap the pipeline's own
functions — detectors, rules, model, risk combination — and add nothing of their own but the
split between per-entry work and the cross-entry step.
"""

from __future__ import annotations

import polars as pl

from tradeguard.engines.chain import FittedChain
from tradeguard.findings import conform, empty_findings
from tradeguard.pipeline.registry import DetectorError
from tradeguard.pipeline.run import declarations, input_digest, model_scores
from tradeguard.targeting.risk import KEYS, combine_risk

KEY_SCHEMA: dict[str, pl.DataType] = {"entry_number": pl.String(), "line_number": pl.Int64()}

# Per-line result of a batch before lanes: risk, lane inputs, model probability, digest.
SCORED_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(), "line_number": pl.Int64(), "risk_score": pl.Float64(),
    "categories": pl.List(pl.String()), "reasons": pl.List(pl.String()),
    "reason_texts": pl.List(pl.String()), "forced_lane": pl.String(),
    "forced_by": pl.List(pl.String()), "findings": pl.String(),
    "port_of_entry": pl.String(), "entry_date": pl.Date(), "trusted_trader": pl.Boolean(),
    "input_digest": pl.String(), "model_probability": pl.Float64(), "warnings": pl.String(),
}


def cross_entry_candidates(entries: pl.DataFrame, lines: pl.DataFrame,
                           chain: FittedChain) -> pl.DataFrame:
    """Keys of the lines a cross-entry detector may report on or compare across entries.

    For AD/CVD these are the lines its deposit checks flag plus the lines in scope of an order
    from a third country (the only lines its first-seen dates, plant prices and surges read),
    found with the detector's own scope functions.
    """
    if not chain.cross_entry() or lines.is_empty():
        return pl.DataFrame(schema=KEY_SCHEMA)
    from tradeguard.detectors.adcvd.baseline import third_country_scope
    from tradeguard.detectors.adcvd.deposits import deposit_checks
    from tradeguard.detectors.adcvd.detector import AdcvdDetector, prepare_lines

    decl = declarations(entries, lines)
    parts = [pl.DataFrame(schema=KEY_SCHEMA)]
    orders = chain.ctx.ref.adcvd_orders
    for name, detector in chain.cross_entry():
        if not isinstance(detector, AdcvdDetector):
            raise DetectorError(name, "detect", TypeError(
                "no candidate rule for this cross-entry detector"))
        batch = prepare_lines(decl)
        for frame in (deposit_checks(batch, orders, detector.config),
                      third_country_scope(batch, orders)):
            parts.append(frame.select([pl.col(c).cast(t) for c, t in KEY_SCHEMA.items()]))
    return pl.concat(parts).unique(maintain_order=True)


def detect_cross_entry(entries: pl.DataFrame, lines: pl.DataFrame,
                       chain: FittedChain) -> pl.DataFrame:
    """Findings of the cross-entry detectors over all candidate lines of the run, at once."""
    parts = [empty_findings()]
    if lines.is_empty():
        return parts[0]
    decl = declarations(entries, lines)
    for name, detector in chain.cross_entry():
        try:
            parts.append(conform(detector.detect(decl, chain.ctx)))
        except Exception as exc:
            raise DetectorError(name, "detect", exc) from exc
    return pl.concat(parts, how="vertical")


def score_entry_batch(entries: pl.DataFrame, lines: pl.DataFrame, chain: FittedChain,
                      cross_findings: pl.DataFrame) -> pl.DataFrame:
    """Risk, reasons, model probability and lane inputs for every line of the batch.

    ``cross_findings`` are the cross-entry detectors' findings of the whole run; the ones on
    this batch's entries join the batch's own findings before the risk is combined.
    """
    from tradeguard.rules import evaluate

    if lines.is_empty():
        return pl.DataFrame(schema=SCORED_SCHEMA)
    decl = declarations(entries, lines)
    parts = [empty_findings()]
    for name, detector in chain.local():
        try:
            parts.append(conform(detector.detect(decl, chain.ctx)))
        except Exception as exc:
            raise DetectorError(name, "detect", exc) from exc
    mine = cross_findings.join(decl.select(pl.col("entry_number").cast(pl.String)).unique(),
                               on="entry_number", how="semi")
    rules = evaluate(chain.profiles, decl, on=chain.ctx.as_of)
    findings = pl.concat([*parts, mine, rules.findings], how="vertical")
    scores = None
    if chain.model is not None:
        scores = model_scores(chain.model, decl, findings, chain.past)
    keys = decl.select([pl.col(c).cast(t) for c, t in KEY_SCHEMA.items()])
    risk = combine_risk(keys, findings, rules.treatments, chain.config, scores)
    header = decl.select(
        pl.col("port_of_entry").cast(pl.String), pl.col("entry_date").cast(pl.Date),
        pl.col("trusted_trader").cast(pl.Boolean), input_digest(decl))
    frame = pl.concat([risk, header], how="horizontal")
    if scores is not None:
        frame = frame.join(scores.select(*KEYS, pl.col("probability").alias(
            "model_probability")), on=KEYS, how="left", maintain_order="left")
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("model_probability"))
    warned = "\n".join(rules.warnings) if rules.warnings else None
    # Rules warnings ride on the batch's first line only, not repeated on every line.
    first = pl.int_range(pl.len()) == 0
    frame = frame.with_columns(pl.when(first).then(pl.lit(warned, dtype=pl.String))
                               .alias("warnings"))
    return frame.select([pl.col(c).cast(t) for c, t in SCORED_SCHEMA.items()])
