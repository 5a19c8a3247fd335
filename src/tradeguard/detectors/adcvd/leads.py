"""EAPA-style case leads: the flagged lines of one manufacturer cluster under one order.

An evasion allegation is about a practice, not a shipment, so flagged lines are grouped by
manufacturer cluster (lines sharing a MID or a normalised name are one cluster, transitively)
and order family; every importer of the cluster's goods is named in the lead. Each lead carries
its evidence (reason codes and counts), a timeline (first and last entry, earliest date of each
indicator) and the estimated duty exposure: deposit rate x entered value, less what was
deposited. When the order list gives no rate, ``default_deposit_rate`` from the configuration
is used and the lead says so (``rate_assumed``). Leads rank by exposure.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import polars as pl

from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.detector import Assessment
from tradeguard.detectors.adcvd.scoring import plant_key

LEADS_SCHEMA: dict[str, pl.DataType] = {
    "lead_id": pl.String(), "rank": pl.Int64(), "case_number": pl.String(),
    "subject_country": pl.String(), "kind": pl.String(), "severity": pl.String(),
    "exposure_usd": pl.Float64(), "rate_assumed": pl.Boolean(), "entered_value_usd": pl.Float64(),
    "lines": pl.Int64(), "entries": pl.Int64(), "importers": pl.String(),
    "manufacturers": pl.String(), "origins": pl.String(), "reason_codes": pl.String(),
    "first_entry_date": pl.Date(), "last_entry_date": pl.Date(), "timeline": pl.String(),
    "members": pl.String(),
}


@dataclass(frozen=True)
class Lead:
    """One case lead; ``lead_id`` is a hash of its members and order, stable across runs."""

    lead_id: str
    case_number: str
    subject_country: str
    kind: str  # "evasion" (third-country goods) or "subject" (declared subject merchandise)
    severity: str
    exposure_usd: float
    rate_assumed: bool
    entered_value_usd: float
    importers: tuple[str, ...]
    manufacturers: tuple[str, ...]
    origins: tuple[str, ...]
    reason_codes: dict[str, int]
    first_entry_date: date | None
    last_entry_date: date | None
    timeline: dict[str, str]  # reason code -> earliest indicator date (ISO)
    members: tuple[tuple[str, int], ...]  # (entry_number, line_number)
    rank: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings)."""
        out = asdict(self)
        for key in ("first_entry_date", "last_entry_date"):
            out[key] = None if out[key] is None else out[key].isoformat()
        out["members"] = [list(m) for m in self.members]
        return out


def lead_id(case_number: str, members: list[tuple[str, int]]) -> str:
    """Stable id: the same order and member lines give the same id, in any order."""
    text = case_number + "|" + ";".join(f"{e}#{n}" for e, n in sorted(members))
    return "L-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def manufacturer_clusters(lines: pl.DataFrame) -> pl.DataFrame:
    """(entry_number, line_number, cluster): lines linked by a shared MID or normalised name
    are one cluster (connected components by label propagation, vectorised)."""
    frame = lines.select("entry_number", "line_number", plant_key(), "mid_key", "name_key")
    frame = frame.with_columns(pl.col("plant").alias("cluster"))
    for _ in range(20):  # each pass merges clusters one link further; converges fast
        before = frame["cluster"]
        frame = frame.with_columns(
            pl.min_horizontal(
                pl.col("cluster"),
                pl.when(pl.col("mid_key").is_not_null())
                .then(pl.col("cluster").min().over("mid_key")),
                pl.when(pl.col("name_key").is_not_null())
                .then(pl.col("cluster").min().over("name_key")),
            ).alias("cluster"))
        if frame["cluster"].equals(before):
            break
    return frame.select("entry_number", "line_number", "cluster")


def _members(result: Assessment, findings: pl.DataFrame, cfg: AdcvdConfig) -> pl.DataFrame:
    """Flagged lines with their lead key (cluster, order, subject country) and exposure."""
    keys = ["entry_number", "line_number"]
    flagged = findings.select(*keys).unique()
    value = result.lines.select(*keys, "entered_value_usd", "importer", "origin", "entry_date",
                                "manufacturer_name", "mid_key",
                                pl.col("adcvd_deposit_usd").cast(pl.Float64).fill_null(0.0)
                                .alias("deposited") if "adcvd_deposit_usd" in
                                result.lines.columns else pl.lit(0.0).alias("deposited"))
    evasion = result.scores.filter(pl.col("reported")).join(
        result.candidates.select(*keys, "subject_country", "rate_sum"),
        on=[*keys, "subject_country"], how="left").select(
        *keys, pl.col("primary_case").alias("case_number"), "subject_country",
        pl.col("rate_sum").alias("rate"), pl.lit("evasion").alias("kind"))
    subject = result.checks.join(evasion.select(keys), on=keys, how="anti").group_by(keys).agg(
        pl.col("case_number").first(), pl.col("expected_deposit_usd").first(),
        pl.col("rate_assumed").all()).join(value.select(*keys, "origin", "entered_value_usd"),
                                           on=keys).select(
        *keys, "case_number", pl.col("origin").alias("subject_country"),
        pl.when(~pl.col("rate_assumed")).then(
            pl.col("expected_deposit_usd") / pl.col("entered_value_usd")).alias("rate"),
        pl.lit("subject").alias("kind"))
    members = pl.concat([evasion, subject], how="vertical_relaxed").join(
        flagged, on=keys, how="semi").join(value, on=keys, how="left")
    members = members.join(manufacturer_clusters(result.lines), on=keys, how="left")
    assumed = pl.col("rate").is_null()
    rate = pl.col("rate").fill_null(cfg.default_deposit_rate)
    exposure = (rate * pl.col("entered_value_usd")
                - pl.when(pl.col("kind") == "subject").then(pl.col("deposited")).otherwise(0.0)
                ).clip(lower_bound=0.0)
    return members.with_columns(assumed.alias("rate_assumed"), exposure.alias("exposure_usd"))


def build_leads(result: Assessment, findings: pl.DataFrame, cfg: AdcvdConfig) -> list[Lead]:
    """Group flagged lines into leads and rank them by estimated exposure."""
    if findings.height == 0:
        return []
    members = _members(result, findings, cfg)
    keys = ["entry_number", "line_number"]
    first = findings.join(result.indicators.select(*keys, "reason_code", "indicator_date"),
                          on=[*keys, "reason_code"], how="left").join(
        members.select(*keys, "cluster", "case_number"), on=keys, how="inner")
    group = ["cluster", "case_number", "subject_country", "kind"]
    codes = first.group_by(*group[:2], "reason_code").agg(
        pl.len().alias("n"), pl.col("indicator_date").min(),
        pl.col("severity").max().alias("sev"))
    sev_rank = {"low": 1, "medium": 2, "high": 3, "critical": 4}
    agg = members.group_by(group).agg(
        pl.col("exposure_usd").sum(), pl.col("rate_assumed").any(),
        pl.col("entered_value_usd").sum(), pl.col("importer").unique().sort(),
        pl.concat_str([pl.col("manufacturer_name").fill_null(""), pl.col("mid_key")
                       .fill_null("")], separator=" / ").unique().sort().alias("manufacturers"),
        pl.col("origin").unique().sort(), pl.col("entry_date").min().alias("first"),
        pl.col("entry_date").max().alias("last"), pl.col("entry_number"),
        pl.col("line_number")).sort("exposure_usd", descending=True)
    leads: list[Lead] = []
    for rank, row in enumerate(agg.iter_rows(named=True), start=1):  # one row per lead
        mine = codes.filter((pl.col("cluster") == row["cluster"])
                            & (pl.col("case_number") == row["case_number"]))
        severity = max(mine["sev"].to_list(), key=lambda s: sev_rank.get(s, 0), default="medium")
        timeline = {c: d.isoformat() for c, d in mine.select("reason_code", "indicator_date")
                    .drop_nulls().iter_rows()}
        member_list = list(zip(row["entry_number"], row["line_number"], strict=True))
        leads.append(Lead(
            lead_id=lead_id(str(row["case_number"]), member_list),
            case_number=str(row["case_number"]), subject_country=str(row["subject_country"]),
            kind=str(row["kind"]), severity=severity,
            exposure_usd=round(float(row["exposure_usd"]), 2),
            rate_assumed=bool(row["rate_assumed"]),
            entered_value_usd=round(float(row["entered_value_usd"]), 2),
            importers=tuple(str(i) for i in row["importer"] if i is not None),
            manufacturers=tuple(row["manufacturers"]), origins=tuple(row["origin"]),
            reason_codes=dict(mine.select("reason_code", "n").sort("reason_code").iter_rows()),
            first_entry_date=row["first"], last_entry_date=row["last"], timeline=timeline,
            members=tuple(sorted(member_list)), rank=rank))
    return leads


def leads_frame(leads: list[Lead]) -> pl.DataFrame:
    """Leads as one frame (:data:`LEADS_SCHEMA`); list fields joined by ``;``, JSON for maps."""
    rows = [{
        "lead_id": x.lead_id, "rank": x.rank, "case_number": x.case_number,
        "subject_country": x.subject_country, "kind": x.kind, "severity": x.severity,
        "exposure_usd": x.exposure_usd, "rate_assumed": x.rate_assumed,
        "entered_value_usd": x.entered_value_usd, "lines": len(x.members),
        "entries": len({e for e, _ in x.members}), "importers": ";".join(x.importers),
        "manufacturers": ";".join(x.manufacturers), "origins": ";".join(x.origins),
        "reason_codes": json.dumps(x.reason_codes, sort_keys=True),
        "first_entry_date": x.first_entry_date, "last_entry_date": x.last_entry_date,
        "timeline": json.dumps(x.timeline, sort_keys=True),
        "members": ";".join(f"{e}#{n}" for e, n in x.members),
    } for x in leads]
    return pl.DataFrame(rows, schema=LEADS_SCHEMA)
