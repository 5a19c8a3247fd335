"""Turn per-party hits into findings: one finding per (line, reason code), all evidence kept.

A line whose manufacturer and seller both match, or whose chain has two Xinjiang suppliers,
gets one finding per reason with every hit in its evidence, so targeting counts a reason once
while an officer still sees each party, list entry, score and path.
"""

from __future__ import annotations

import polars as pl

from tradeguard.findings import SEVERITY_RANK, conform, empty_findings

HIT_COLUMNS = ("entry_number", "line_number", "reason_code", "severity", "text", "rank", "item")
# Evidence fields that order hits of equal severity and score: role, list, list entity.
TIE_KEYS = ("role", "list", "entity_id")


#: A finding's evidence: how many hits, and each hit's evidence item (a JSON object).
EVIDENCE_TEXT = '{"count":{},"hits":[{}]}'
#: The text of a ``FL_NO_TRACEABILITY`` hit: sector, country of origin.
NO_TRACEABILITY_TEXT = "High-priority UFLPA sector ({}) goods from {} with no supply chain declared"


def fill(template: str, *values: object) -> str:
    """``template`` with each ``{}`` replaced by the next value: :func:`fmt` for one row."""
    pieces = template.split("{}")
    if len(pieces) != len(values) + 1:
        raise ValueError(f"template {template!r} needs {len(pieces) - 1} values")
    out = pieces[0]
    for value, piece in zip(values, pieces[1:], strict=True):
        out += str(value) + piece
    return out


def fmt(template: str, *args: pl.Expr) -> pl.Expr:
    """``template`` with each ``{}`` replaced by the next expression (as text).

    Built on ``concat_str``: ``pl.format`` panics on filtered frames in the pinned Polars.
    """
    pieces = template.split("{}")
    if len(pieces) != len(args) + 1:
        raise ValueError(f"template {template!r} needs {len(pieces) - 1} values")
    exprs: list[pl.Expr] = []
    for i, piece in enumerate(pieces):
        if piece:
            exprs.append(pl.lit(piece))
        if i < len(args):
            exprs.append(args[i].cast(pl.String))
    return pl.concat_str(exprs)


def item_json(**fields: pl.Expr) -> pl.Expr:
    """One evidence item as a JSON object string (vectorised)."""
    return pl.struct([expr.alias(name) for name, expr in fields.items()]).struct.json_encode()


def to_findings(
    hits: pl.DataFrame, category: str, detector: str, version: str
) -> pl.DataFrame:
    """Findings frame from hits (``HIT_COLUMNS``); ``rank`` orders hits best first.

    Ties go by :data:`TIE_KEYS` read from each hit's evidence item, then text and item.
    """
    if hits.is_empty():
        return empty_findings()
    ranks = pl.DataFrame(
        {"severity": list(SEVERITY_RANK), "sev_rank": list(SEVERITY_RANK.values())}
    )
    graded = hits.select(HIT_COLUMNS).join(ranks, on="severity", how="left")
    # Tied hits (one name matching as seller and manufacturer, both at score 1.0) are put in
    # a fixed order, so the finding's text and evidence are the same on every run.
    tie_break = [pl.col("item").str.json_path_match(f"$.{k}").alias(f"_{k}") for k in TIE_KEYS]
    grouped = (
        graded.with_columns(tie_break)
        .sort(["sev_rank", "rank", *(f"_{k}" for k in TIE_KEYS), "text", "item"],
              descending=[True, True, *(False for _ in TIE_KEYS), False, False],
              nulls_last=True)
        .group_by(["entry_number", "line_number", "reason_code"], maintain_order=True)
        .agg(
            pl.col("severity").first(),
            pl.col("text").first(),
            pl.col("item").unique(maintain_order=True).alias("items"),
        )
    )
    more = pl.col("items").list.len() - 1
    return conform(
        grouped.with_columns(
            text=pl.when(more > 0)
            .then(fmt("{} (and {} more)", pl.col("text"), more))
            .otherwise(pl.col("text")),
            evidence=fmt(
                EVIDENCE_TEXT,
                pl.col("items").list.len(),
                pl.col("items").list.join(","),
            ),
            category=pl.lit(category),
            detector=pl.lit(detector),
            detector_version=pl.lit(version),
        ).sort(["entry_number", "line_number", "reason_code"])
    )
