"""Network findings: what the party clusters say about the lines and packages they touch.

- ``NET_SHARED_IDENTITY`` — several importers of record behind one identity (an importer
  number root or an address shared across different names).
- ``NET_MID_CHURN`` — one factory declared under many MIDs.
- ``NET_FLY_BY_NIGHT`` — an importer with no history that files a burst of high value.
- ``NET_VIOLATOR_CLUSTER`` — a foreign party operating under several names whose lines had
  discrepancies in past exams: every line and parcel of its members is raised (the view of an
  operation abroad, with its members and evidence).
Each finding names the cluster, its members and the linkage version that formed it.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.findings import FINDINGS_SCHEMA, conform

DETECTOR = "network"
DETECTOR_VERSION = "1.0.0"


class NetworkConfig(BaseModel):
    """When a cluster becomes a finding."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_importers: int = Field(3, ge=2, description="Importer numbers in one cluster.")
    min_mids: int = Field(3, ge=2, description="MIDs in one manufacturer cluster.")
    flyby_min_entries: int = Field(5, ge=1, description="Entries in the window, no history.")
    flyby_value_quantile: float = Field(
        0.75, ge=0, le=1, description="Window value at least this quantile of importers'.")
    flyby_recent_days: int = Field(
        30, ge=1, description="First entry at most this many days before the latest one.")
    violator_min_discrepancies: int = Field(2, ge=1, description="Past discrepancies.")
    violator_min_names: int = Field(2, ge=1, description="Distinct names in the cluster.")


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
    mfr = occ.filter(pl.col("kind") == "manufacturer")
    churn = mfr.group_by("cluster").agg(
        pl.col("identifier").drop_nulls().unique().sort().alias("mids"),
        pl.col("name").unique().sort().alias("names"), version,
    ).filter(pl.col("mids").list.len() >= cfg.min_mids)
    parts.append(_attach(occ, churn, "NET_MID_CHURN", "medium", pl.format(
        "manufacturer is one factory declared under {} MIDs ({})", pl.col("mids").list.len(),
        pl.col("mids").list.join(", ")), ["mids", "names"], ["manufacturer"]))
    current = imp.filter(~pl.col("history"))
    seen_before = imp.group_by("cluster").agg(pl.col("history").any().alias("has_history"))
    volume = current.group_by("cluster").agg(
        pl.col("entry_number").n_unique().alias("entries"),
        pl.col("entered_value_usd").sum().alias("value_usd"),
        pl.col("date").min().alias("first_entry"), pl.col("name").first().alias("importer"),
        version,
    ).join(seen_before, on="cluster")
    if not volume.is_empty():
        cut = volume["value_usd"].quantile(cfg.flyby_value_quantile) or 0.0
        latest = current["date"].max()
        recent = pl.col("first_entry") >= pl.lit(latest).cast(pl.Date) - pl.duration(
            days=cfg.flyby_recent_days)
        flyby = volume.filter(~pl.col("has_history") & (pl.col("entries") >= cfg.flyby_min_entries)
                              & (pl.col("value_usd") >= cut) & recent).with_columns(
            pl.col("first_entry").cast(pl.String), pl.lit(round(float(cut), 2)).alias("cut"))
        parts.append(_attach(occ, flyby, "NET_FLY_BY_NIGHT", "high", pl.format(
            "importer {} has no earlier declarations and filed {} entries worth ${} since {} "
            "(top {}% of importers by value, all recent)", "importer", "entries",
            pl.col("value_usd").round(0), "first_entry",
            pl.lit(round((1 - cfg.flyby_value_quantile) * 100))),
            ["entries", "value_usd", "first_entry", "cut"], ["importer"]))
    if outcomes is not None and not outcomes.is_empty():
        bad = outcomes.select(
            pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
            pl.col("discrepancy").cast(pl.String).str.to_lowercase().is_in(["true", "1"])
            .alias("bad")).filter(pl.col("bad"))
        foreign = occ.filter(pl.col("kind").is_in(["manufacturer", "seller", "shipper"]))
        hits = foreign.join(bad, on=["entry_number", "line_number"], how="left")
        violators = hits.group_by("cluster").agg(
            pl.col("bad").fill_null(False).sum().alias("discrepancies"),
            # Names as declared, case and punctuation aside: the normalised key reads
            # "Trade Co., Ltd." and "Trading Limited" as one name, yet they are two.
            pl.col("name").str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "").n_unique()
            .alias("name_count"),
            pl.col("name").unique().sort().alias("members"),
            pl.col("country").drop_nulls().unique().sort().alias("countries"),
            pl.col("entry_number").drop_nulls().n_unique().alias("entries"), version,
        ).filter((pl.col("discrepancies") >= cfg.violator_min_discrepancies)
                 & (pl.col("name_count") >= cfg.violator_min_names))
        parts.append(_attach(occ, violators, "NET_VIOLATOR_CLUSTER", "high", pl.format(
            "foreign party cluster of {} names ({}) in {} had {} discrepancies in past exams "
            "across {} entries", "name_count", pl.col("members").list.join(" / "),
            pl.col("countries").list.join(", "), "discrepancies", "entries"),
            ["members", "countries", "discrepancies", "entries"],
            ["manufacturer", "seller", "shipper"]))
    frames = [p for p in parts if not p.is_empty()]
    if not frames:
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    return conform(pl.concat(frames))
