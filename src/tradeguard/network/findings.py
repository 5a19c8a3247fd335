"""Network findings: what the party clusters say about the lines and packages they touch.

- ``NET_SHARED_IDENTITY`` — several importers of record behind one identity (an importer
  number root or an address shared across different names).
- ``NET_MID_CHURN`` — one factory taking new MIDs faster than factories do (the rule and
  its statistics: :mod:`~tradeguard.network.churn`).
- ``NET_FLY_BY_NIGHT`` — an importer with no history that files a burst of high value (value
  per day since its first entry among the top quarter of importers').
- ``NET_VIOLATOR_CLUSTER`` — a foreign party operating under several names whose lines had
  confirmed discrepancies at a rate significantly above the base rate
  (:mod:`~tradeguard.network.violators`): every line and parcel of its members is raised (the
  view of an operation abroad, with its members and evidence).
Each finding names the cluster, its members and the linkage version that formed it.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.findings import FINDINGS_SCHEMA, conform
from tradeguard.network.churn import ChurnRule, mid_churn
from tradeguard.network.violators import FOREIGN_KINDS, ViolatorRule, violator_clusters

DETECTOR = "network"
DETECTOR_VERSION = "2.0.0"


class NetworkConfig(BaseModel):
    """When a cluster becomes a finding."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_importers: int = Field(3, ge=2, description="Importer numbers in one cluster.")
    flyby_min_entries: int = Field(5, ge=1, description="Entries in the window, no history.")
    flyby_value_quantile: float = Field(
        0.75, ge=0, le=1, description="Value per day at least this quantile of importers'.")
    flyby_recent_days: int = Field(
        30, ge=1, description="First entry at most this many days before the latest one.")
    churn: ChurnRule = Field(default_factory=ChurnRule, description="MID churn rule.")
    violators: ViolatorRule = Field(default_factory=ViolatorRule,
                                    description="Violator cluster rule.")


def _attach(occ: pl.DataFrame, hits: pl.DataFrame, code: str, severity: str,
            text: pl.Expr, evidence: list[str], kinds: list[str] | None = None) -> pl.DataFrame:
    rows = occ.filter(~pl.col("history"))
    if kinds is not None:
        rows = rows.filter(pl.col("kind").is_in(kinds))
    joined = rows.join(hits, on="cluster")
    return joined.select(
        pl.coalesce("entry_number", "package_id").alias("entry_number"),
        pl.col("line_number"),
        pl.lit("network").alias("category"), pl.lit(code).alias("reason_code"),
        pl.lit(severity).alias("severity"), text.alias("text"),
        pl.struct(["cluster", *evidence, "linkage_version"]).struct.json_encode()
        .alias("evidence"),
        pl.lit(DETECTOR).alias("detector"), pl.lit(DETECTOR_VERSION).alias("detector_version"),
    ).unique(["entry_number", "line_number", "reason_code"], maintain_order=True)


def network_findings(occurrences: pl.DataFrame, resolved: pl.DataFrame,
                     outcomes: pl.DataFrame | None = None,
                     config: NetworkConfig | None = None) -> pl.DataFrame:
    """Findings (:data:`FINDINGS_SCHEMA`) for current lines and packages of flagged clusters."""
    cfg = config or NetworkConfig()
    occ = occurrences.join(resolved.select("record_id", "cluster", "name_key",
                                           "linkage_version"), on="record_id")
    version = pl.col("linkage_version").first()
    parts: list[pl.DataFrame] = []
    imp = occ.filter(pl.col("kind") == "importer")
    shared = imp.group_by("cluster").agg(
        pl.col("identifier").unique().sort().alias("importer_ids"),
        pl.col("name").unique().sort().alias("names"),
        pl.col("address").unique().sort().alias("addresses"), version,
    ).filter(pl.col("importer_ids").list.len() >= cfg.min_importers)
    parts.append(_attach(occ, shared, "NET_SHARED_IDENTITY", "high", pl.format(
        "importer is one of {} importer numbers ({}) linked by a shared identifier root or "
        "address under names {}", pl.col("importer_ids").list.len(),
        pl.col("importer_ids").list.join(", "), pl.col("names").list.join(" / ")),
        ["importer_ids", "names", "addresses"], ["importer"]))
    churn = mid_churn(occ, cfg.churn)
    if not churn.is_empty():
        parts.append(_attach(occ, churn, "NET_MID_CHURN", "medium", pl.format(
            "manufacturer is one factory that took {} new MIDs ({}) within {} days, against "
            "{} new MIDs per active factory in the data (p = {})", pl.col("new_mids"),
            pl.col("mids").list.join(", "), "window_days", "base_rate",
            pl.col("p_value").round_sig_figs(2)),
            ["mids", "established", "longest_use_days", "importers", "base_rate", "p_value"],
            ["manufacturer"]))
    current = imp.filter(~pl.col("history"))
    seen_before = imp.group_by("cluster").agg(pl.col("history").any().alias("has_history"))
    latest = current["date"].max()
    if latest is not None:
        # Value per day since the importer's first entry: a three-week-old importer is
        # compared with what established ones file in the same time, not in a whole quarter.
        volume = current.group_by("cluster").agg(
            pl.col("entry_number").n_unique().alias("entries"),
            pl.col("entered_value_usd").sum().alias("value_usd"),
            pl.col("date").min().alias("first_entry"), pl.col("name").first().alias("importer"),
            version,
        ).join(seen_before, on="cluster").with_columns(
            (pl.col("value_usd") / ((pl.lit(latest).cast(pl.Date) - pl.col("first_entry"))
                                    .dt.total_days() + 1)).alias("usd_per_day"))
        cut = volume["usd_per_day"].quantile(cfg.flyby_value_quantile) or 0.0
        recent = pl.col("first_entry") >= pl.lit(latest).cast(pl.Date) - pl.duration(
            days=cfg.flyby_recent_days)
        flyby = volume.filter(~pl.col("has_history") & (pl.col("entries") >= cfg.flyby_min_entries)
                              & (pl.col("usd_per_day") >= cut) & recent).with_columns(
            pl.col("first_entry").cast(pl.String), pl.lit(round(float(cut), 2)).alias("cut"),
            pl.col("usd_per_day").round(2))
        parts.append(_attach(occ, flyby, "NET_FLY_BY_NIGHT", "high", pl.format(
            "importer {} has no earlier declarations and filed {} entries worth ${} since {} "
            "(${} a day, top {}% of importers by value filed per day, all recent)", "importer",
            "entries", pl.col("value_usd").round(0), "first_entry", pl.col("usd_per_day").round(0),
            pl.lit(round((1 - cfg.flyby_value_quantile) * 100))),
            ["entries", "value_usd", "usd_per_day", "first_entry", "cut"], ["importer"]))
    if outcomes is not None and not outcomes.is_empty():
        violators = violator_clusters(occ, outcomes, cfg.violators)
        if not violators.is_empty():
            parts.append(_attach(occ, violators, "NET_VIOLATOR_CLUSTER", "high", pl.format(
                "foreign party cluster of {} names ({}) in {} had confirmed discrepancies on "
                "{} of its {} lines against a base rate of {} (p = {})", "name_count",
                pl.col("members").list.join(" / "), pl.col("countries").list.join(", "),
                "discrepancies", "lines", "base_rate", pl.col("p_value").round_sig_figs(2)),
                ["members", "countries", "discrepancies", "lines", "entries", "base_rate",
                 "p_value"], list(FOREIGN_KINDS)))
    frames = [p for p in parts if not p.is_empty()]
    if not frames:
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    return conform(pl.concat(frames))
