"""Network findings: what the party clusters say about the lines and packages they touch.

- ``NET_SHARED_IDENTITY`` — an importer ring: several importer numbers of one party (an
  EIN root, address or name shared) with no track record, splitting one supplier's goods
  (:mod:`~tradeguard.network.rings`).
- ``NET_MID_CHURN`` — one factory taking new MIDs faster than factories do (the rule and
  its statistics: :mod:`~tradeguard.network.churn`).
- ``NET_FLY_BY_NIGHT`` — an importer with no history that files a burst of high value (value
  per day since its first entry among the top quarter of importers').
- ``NET_SHIPPER_CLUSTER`` — a foreign seller under several names whose lines, sold to several
  unrelated importers, are priced far below the peer price of the same goods significantly
  more often than lines are (:mod:`~tradeguard.network.shippers`).
- ``NET_VIOLATOR_CLUSTER`` — a foreign party operating under several names whose lines had
  confirmed discrepancies at a rate significantly above the base rate
  (:mod:`~tradeguard.network.violators`): every line and parcel of its members is raised (the
  view of an operation abroad, with its members and evidence).

Each rule reads occurrences that carry their ``cluster`` and returns the flagged clusters with
their evidence (:func:`cluster_hits`); :func:`attach_findings` turns those into findings on the
current lines and packages of the clusters. The same functions serve ``network build`` and the
scoring chain's ``network`` detector. A finding's text gives counts and rates, never a party's
name or number: texts become the plain-language reasons of assessments, which are exported;
the members, names and numbers are in the evidence, for the officer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.findings import FINDINGS_SCHEMA, conform
from tradeguard.network.churn import ChurnRule, mid_churn
from tradeguard.network.rings import RingRule, importer_rings
from tradeguard.network.shippers import (
    PRICED_KINDS,
    ShipperRule,
    peer_prices,
    shipper_clusters,
    with_price_flags,
)
from tradeguard.network.violators import FOREIGN_KINDS, ViolatorRule, violator_clusters

DETECTOR = "network"
DETECTOR_VERSION = "2.2.0"


class NetworkConfig(BaseModel):
    """When a cluster becomes a finding."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ring: RingRule = Field(default_factory=RingRule, description="Importer ring rule.")
    flyby_min_entries: int = Field(5, ge=1, description="Entries in the window, no history.")
    flyby_value_quantile: float = Field(
        0.75, ge=0, le=1, description="Value per day at least this quantile of importers'.")
    flyby_recent_days: int = Field(
        30, ge=1, description="First entry at most this many days before the latest one.")
    churn: ChurnRule = Field(default_factory=ChurnRule, description="MID churn rule.")
    violators: ViolatorRule = Field(default_factory=ViolatorRule,
                                    description="Violator cluster rule.")
    shippers: ShipperRule = Field(default_factory=ShipperRule,
                                  description="Foreign shipper cluster rule.")


@dataclass(frozen=True)
class NetworkRule:
    """How a rule's flagged clusters read as findings: on which party kinds, how strong."""

    severity: str
    kinds: tuple[str, ...]
    evidence: tuple[str, ...]
    text: pl.Expr


RULES: Mapping[str, NetworkRule] = {
    "NET_SHARED_IDENTITY": NetworkRule("high", ("importer",), (
        "importer_ids", "names", "addresses", "shared_suppliers", "sharing_numbers",
        "first_entry", "days_filing", "has_history"), pl.format(
        "importer is one of {} importer numbers, declared under {} names, linked as one party "
        "by a shared identifier root, address or name; {} of the numbers buy from the same "
        "foreign supplier, and the group first filed {} days before the latest declaration",
        pl.col("importer_ids").list.len(), pl.col("names").list.len(), "sharing_numbers",
        "days_filing")),
    "NET_MID_CHURN": NetworkRule("medium", ("manufacturer",), (
        "mids", "established", "longest_use_days", "importers", "base_rate", "p_value"),
        pl.format(
        "manufacturer is one factory that took {} new MIDs within {} days, against {} new "
        "MIDs per active factory in the data (p = {})", pl.col("new_mids"), "window_days",
        "base_rate", pl.col("p_value").round_sig_figs(2))),
    "NET_FLY_BY_NIGHT": NetworkRule("high", ("importer",), (
        "entries", "value_usd", "usd_per_day", "first_entry", "cut"), pl.format(
        "importer has no earlier declarations and filed {} entries worth ${} since {} "
        "(${} a day, in the top {}% of importers by value filed per day, all recent)",
        "entries", pl.col("value_usd").round(0), "first_entry",
        pl.col("usd_per_day").round(0), "top_percent")),
    "NET_VIOLATOR_CLUSTER": NetworkRule("high", FOREIGN_KINDS, (
        "members", "countries", "discrepancies", "lines", "entries", "base_rate", "p_value"),
        pl.format(
        "foreign party operating under {} names in {} had confirmed discrepancies on {} of "
        "its {} lines against a base rate of {} (p = {})", "name_count",
        pl.col("countries").list.join(", "), "discrepancies", "lines", "base_rate",
        pl.col("p_value").round_sig_figs(2))),
    "NET_SHIPPER_CLUSTER": NetworkRule("high", PRICED_KINDS, (
        "members", "countries", "importers", "importer_ids", "low_lines", "lines",
        "hts_units", "low_percent", "base_rate", "p_value"), pl.format(
        "foreign seller operating under {} names in {} invoiced {} of its {} priced lines, "
        "sold to {} unrelated importers, below the lowest {}% of past prices of the same HTS "
        "number, against a base rate of {} (p = {})", "name_count",
        pl.col("countries").list.join(", "), "low_lines", "lines", "importers", "low_percent",
        "base_rate", pl.col("p_value").round_sig_figs(2))),
}


def importer_volume(current: pl.DataFrame) -> pl.DataFrame:
    """What each importer cluster filed in the current declarations: entries, their value,
    the first and last entry date (the fly-by-night rule's input, one row per cluster)."""
    return current.group_by("cluster").agg(
        pl.col("entry_number").n_unique().alias("entries"),
        pl.col("entered_value_usd").sum().alias("value_usd"),
        pl.col("date").min().alias("first_entry"), pl.col("linkage_version").first(),
        pl.col("date").max().alias("last_entry"),
    )


def fly_by_night(occ: pl.DataFrame, cfg: NetworkConfig,
                 volume: pl.DataFrame | None = None) -> pl.DataFrame:
    """Importer clusters without history that file a recent burst of high value.

    ``volume`` (:func:`importer_volume`) is what the current importer rows of ``occ`` give;
    a caller whose current rows are folded computes it from the lines it kept."""
    imp = occ.filter(pl.col("kind") == "importer")
    if volume is None:
        volume = importer_volume(imp.filter(~pl.col("history")))
    latest = volume["last_entry"].max()
    if latest is None:
        return pl.DataFrame()
    seen_before = imp.group_by("cluster").agg(pl.col("history").any().alias("has_history"))
    # Value per day since the importer's first entry: a three-week-old importer is
    # compared with what established ones file in the same time, not in a whole quarter.
    volume = volume.drop("last_entry").join(seen_before, on="cluster").with_columns(
        (pl.col("value_usd") / ((pl.lit(latest).cast(pl.Date) - pl.col("first_entry"))
                                .dt.total_days() + 1)).alias("usd_per_day"))
    cut = volume["usd_per_day"].quantile(cfg.flyby_value_quantile) or 0.0
    recent = pl.col("first_entry") >= pl.lit(latest).cast(pl.Date) - pl.duration(
        days=cfg.flyby_recent_days)
    return volume.filter(~pl.col("has_history") & (pl.col("entries") >= cfg.flyby_min_entries)
                         & (pl.col("usd_per_day") >= cut) & recent).with_columns(
        pl.col("first_entry").cast(pl.String), pl.lit(round(float(cut), 2)).alias("cut"),
        pl.col("usd_per_day").round(2),
        pl.lit(round((1 - cfg.flyby_value_quantile) * 100)).alias("top_percent"))


def cluster_hits(occ: pl.DataFrame, cfg: NetworkConfig,
                 outcomes: pl.DataFrame | None = None,
                 volume: pl.DataFrame | None = None,
                 rules: Collection[str] | None = None) -> dict[str, pl.DataFrame]:
    """The clusters each rule flags (reason code -> one row per cluster with its evidence);
    the violator rule runs only with exam ``outcomes``, the shipper rule on occurrences
    carrying price flags (:func:`with_price_flags`). ``volume``: the importers' current
    filing (:func:`importer_volume`) where ``occ`` holds folded current rows. ``rules``:
    the codes to run (default: all); the others flag nothing, in the same order (a rule's
    place in ``hits`` decides which finding a line cites)."""
    run: dict[str, Callable[[], pl.DataFrame]] = {
        "NET_SHARED_IDENTITY": lambda: importer_rings(occ, cfg.ring),
        "NET_MID_CHURN": lambda: mid_churn(occ, cfg.churn),
        "NET_FLY_BY_NIGHT": lambda: fly_by_night(occ, cfg, volume),
        "NET_SHIPPER_CLUSTER": lambda: shipper_clusters(occ, cfg.shippers)}
    hits = {code: rule() if rules is None or code in rules else pl.DataFrame()
            for code, rule in run.items()}
    if outcomes is not None and not outcomes.is_empty():
        hits["NET_VIOLATOR_CLUSTER"] = violator_clusters(occ, outcomes, cfg.violators)
    return hits


# Where a finding sits, and which of a line's flagged parties it cites (the first by kind).
_PLACE = ["entry_number", "package_id", "line_number", "kind", "cluster"]
_ONE_PER = ["entry_number", "line_number", "reason_code"]


def finding_rows(occ: pl.DataFrame, hits: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Every current occurrence of a flagged cluster as a finding, with the columns that pick
    one per line and reason code (:func:`first_findings`): the rule's rank in ``hits`` and
    the occurrence's place. Rows of different batches of lines can be pooled before picking.
    """
    rows = occ.filter(~pl.col("history"))
    parts: list[pl.DataFrame] = []
    for rank, (code, flagged) in enumerate(hits.items()):
        if flagged.is_empty():
            continue
        rule = RULES[code]
        joined = rows.filter(pl.col("kind").is_in(rule.kinds)).join(flagged, on="cluster")
        parts.append(joined.select(
            pl.lit(rank, dtype=pl.UInt32).alias("_rank"),
            *[pl.col(c).alias(f"_{c}") for c in _PLACE],
            pl.coalesce("entry_number", "package_id").alias("entry_number"),
            pl.col("line_number"),
            pl.lit("network").alias("category"), pl.lit(code).alias("reason_code"),
            pl.lit(rule.severity).alias("severity"), rule.text.alias("text"),
            pl.struct(["cluster", *rule.evidence, "linkage_version"]).struct.json_encode()
            .alias("evidence"),
            pl.lit(DETECTOR).alias("detector"),
            pl.lit(DETECTOR_VERSION).alias("detector_version"),
        ))
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts)


def first_findings(rows: pl.DataFrame) -> pl.DataFrame:
    """Findings (:data:`FINDINGS_SCHEMA`), one per line and reason code, from
    :func:`finding_rows`: rule by rule, in order of entry, package and line; a line whose
    manufacturer and seller are both flagged cites the first by kind."""
    if rows.is_empty():
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    place = ["_rank", *[f"_{c}" for c in _PLACE]]
    return conform(rows.sort(place, nulls_last=True).unique(
        ["_rank", *_ONE_PER], keep="first", maintain_order=True).drop(place))


def attach_findings(occ: pl.DataFrame, hits: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Findings (:data:`FINDINGS_SCHEMA`) on the current lines and packages of flagged
    clusters, one per line and reason code."""
    return first_findings(finding_rows(occ, hits))


def network_findings(occurrences: pl.DataFrame, resolved: pl.DataFrame,
                     outcomes: pl.DataFrame | None = None,
                     config: NetworkConfig | None = None) -> pl.DataFrame:
    """Findings (:data:`FINDINGS_SCHEMA`) for current lines and packages of flagged clusters.

    Sellers' prices are compared with the history's (the declarations' own without history),
    as the fitted detector compares them."""
    cfg = config or NetworkConfig()
    occ = occurrences.join(resolved.select("record_id", "cluster", "linkage_version"),
                           on="record_id")
    occ = with_price_flags(occ, peer_prices(occ, cfg.shippers))
    return attach_findings(occ, cluster_hits(occ, cfg, outcomes))
