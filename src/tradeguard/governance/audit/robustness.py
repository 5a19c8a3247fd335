"""Robustness through ``score_fn``: trivial edits must not flip a lane, known evasions must
still be caught.

``score_fn(declarations) -> frame`` with ``entry_number, line_number, lane`` (and any more) is
the whole scoring chain, so these tests exercise detectors, rules and the model together.
Trivial edits: case and spacing in names and descriptions, a plural in the description, the
value rounded to whole dollars. Evasions (applied to lines caught by targeting): the value
split over two lines, the origin swapped to a third country, the manufacturer renamed in a
different legal-form spelling.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from tradeguard.governance.audit.policy import AuditPolicy
from tradeguard.governance.audit.results import Section, judge

ScoreFn = Callable[[pl.DataFrame], pl.DataFrame]
KEYS = ["entry_number", "line_number"]
_TEXT = ("description", "importer_name", "manufacturer_name", "seller_name")
SPLIT_OFFSET = 500


def _has(frame: pl.DataFrame, *cols: str) -> bool:
    return all(c in frame.columns for c in cols)


def trivial_edits(decl: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Edits a careful officer would call the same declaration."""
    out: dict[str, pl.DataFrame] = {}
    text = [c for c in _TEXT if c in decl.columns]
    if text:
        out["case_and_spacing"] = decl.with_columns(
            pl.col(c).str.to_lowercase().str.replace_all(" ", "  ") for c in text)
    if _has(decl, "description"):
        out["spelling"] = decl.with_columns(
            pl.col("description").str.replace(r"([A-Za-z]{5,})", "${1}S"))
    if _has(decl, "entered_value_usd"):
        out["value_rounding"] = decl.with_columns(pl.col("entered_value_usd").round(0))
    return out


def evasions(decl: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Known evasion moves; line numbers of split halves are offset by :data:`SPLIT_OFFSET`."""
    out: dict[str, pl.DataFrame] = {}
    halve = [c for c in ("entered_value_usd", "quantity", "duty_usd", "gross_weight_kg",
                         "additional_duty_usd", "adcvd_deposit_usd") if c in decl.columns]
    if _has(decl, "entered_value_usd", "line_number"):
        half = decl.with_columns(pl.col(c) / 2 for c in halve)
        out["split_value"] = pl.concat([half, half.with_columns(
            pl.col("line_number") + SPLIT_OFFSET)], how="vertical_relaxed")
    if _has(decl, "country_of_origin"):
        swap = pl.when(pl.col("country_of_origin") == "VN").then(pl.lit("TH")) \
            .otherwise(pl.lit("VN"))
        out["swapped_origin"] = decl.with_columns(swap.alias("country_of_origin"))
    if _has(decl, "manufacturer_name"):
        out["renamed_entity"] = decl.with_columns(
            pl.col("manufacturer_name").str.to_uppercase()
            .str.replace_all(r"CO\.,?\s*LTD\.?", "COMPANY LIMITED")
            .str.replace_all(r"[.,]", ""))
    return out


def _lanes(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col("entry_number").cast(pl.String),
                        (pl.col("line_number").cast(pl.Int64) % SPLIT_OFFSET)
                        .alias("line_number"), "lane", "selection")


def _caught(frame: pl.DataFrame) -> pl.DataFrame:
    """Lines targeting caught (not the random sample): one row per original line."""
    return _lanes(frame).filter((pl.col("lane") != "green")
                                & pl.col("selection").is_in(["forced", "targeted"])) \
        .select(KEYS).unique()


def robustness_section(decl: pl.DataFrame, score_fn: ScoreFn | None,
                       policy: AuditPolicy) -> Section:
    """Score ``decl`` as is and under every edit and evasion."""
    pol = policy.robustness
    sec = Section("robustness", "Does it hold up against trivial edits and known evasions?",
                  "Lane flips under trivial spelling, rounding and formatting changes; share of "
                  "caught lines still caught after splitting the value, swapping the origin "
                  "or renaming the manufacturer.")
    if score_fn is None:
        sec.skipped = "no scoring function given"
        return sec
    base = _lanes(score_fn(decl))
    caught = base.filter((pl.col("lane") != "green")
                         & pl.col("selection").is_in(["forced", "targeted"])
                         ).select(KEYS).unique()
    rows = []
    for name, edited in trivial_edits(decl).items():
        moved = _lanes(score_fn(edited)).join(base, on=KEYS, suffix="_base")
        flips = float((moved["lane"] != moved["lane_base"]).cast(pl.Float64).to_numpy().mean()
                      ) if moved.height else 0.0
        rows.append({"test": name, "kind": "trivial edit", "lines": moved.height,
                     "value": flips})
        sec.checks.append(judge(f"lane_flips.{name}", flips, pol.max_lane_flip_rate, "<="))
    for name, edited in evasions(decl).items():
        keep = edited.join(caught, on=KEYS, how="semi") if name != "split_value" else \
            edited.with_columns((pl.col("line_number") % SPLIT_OFFSET).alias("_o")).join(
                caught.rename({"line_number": "_o"}), on=["entry_number", "_o"],
                how="semi").drop("_o")
        edited_all = pl.concat([decl.join(caught, on=KEYS, how="anti"), keep],
                               how="vertical_relaxed")
        still = _caught(score_fn(edited_all)).join(caught, on=KEYS, how="semi")
        share = still.height / caught.height if caught.height else None
        rows.append({"test": name, "kind": "evasion", "lines": caught.height, "value": share})
        sec.checks.append(judge(f"still_caught.{name}", share, pol.min_evasion_caught_share,
                                ">=", note=f"{still.height} of {caught.height} caught lines"))
    sec.tables["tests"] = rows
    sec.plots["robustness"] = [(r["test"], r["value"]) for r in rows]
    return sec
