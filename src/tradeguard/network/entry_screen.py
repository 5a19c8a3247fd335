"""Ruling out network findings for one entry's few lines without re-running the cluster rules.

A scoring request holds one entry of 1-5 lines, yet the general path
(:meth:`~tradeguard.network.detector.NetworkDetector.detect_in_parts`) runs every cluster rule
over the request **and the whole folded history** (dozens of Polars queries of ~100 us each,
growing with the history) to learn which clusters are flagged, and then keeps only the
request's own lines. A finding can only sit on a line whose party is in a flagged cluster, and
each rule needs its cluster to pass a count that the cluster's own rows bound from above:

- importer ring: at least ``ring.min_importers`` of the cluster's importer numbers buy from
  one supplier cluster, and the group is new (its first entry is read exactly);
- MID churn: at least ``churn.min_new_mids`` new MIDs, so at least as many MIDs of the
  cluster first declared no earlier than a new MID can be;
- fly-by-night: no importer history and at least ``flyby_min_entries`` entries in the run;
- shipper cluster: at least ``shippers.min_names`` names and ``shippers.min_importers``
  buyers, and enough low lines, in count and share, even if every request line is low;
- violator cluster: flagged at fit time (:func:`~tradeguard.network.violators.
  violator_clusters`), relabelled only when a run merges clusters.

:class:`ClusterFacts` keeps those per-cluster counts of the fitted history (built once, in
one pass over the folded rows); :func:`may_raise` adds the request's parties (read with plain
Python: a handful of values) and says whether any cluster the request touches could pass a
rule. When none can, every finding frame of the general path is empty, so the request's is
too; when one might, the detector takes the general path, which gives the exact findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

import polars as pl

from tradeguard.network.entry_lines import LineFields, line_numbers
from tradeguard.network.findings import RULES, NetworkConfig
from tradeguard.network.records import RECORD_SCHEMA
from tradeguard.network.rings import SUPPLIER_KINDS
from tradeguard.network.shippers import PRICED_KINDS

# What Polars' ``str.strip_chars()`` strips (Unicode White_Space, as Rust's ``str::trim``);
# Python's ``str.strip()`` also strips the separators U+001C-U+001F, which Polars keeps.
_WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# The declared fields a party is read from, by kind: name, address, country, identifier
# (None: the kind declares no such field), in the order the general path reads the kinds
# (:func:`~tradeguard.network.records.line_parties_plan`).
_PARTY_FIELDS: tuple[tuple[str, tuple[str | None, str | None, str | None, str | None]], ...] = (
    ("importer", ("importer_name", "importer_address", "importer_country", "importer_id")),
    ("manufacturer", ("manufacturer_name", "manufacturer_address", "manufacturer_country",
                      "manufacturer_id")),
    ("seller", ("seller_name", None, "seller_country", None)),
)
# A declared importer's country when the line leaves it out (as the general path fills it).
_IMPORTER_COUNTRY = "US"
# Slack on the shipper share bound, far below one line: the bound must never rule out a
# cluster the rule's own float arithmetic would pass.
_SHARE_SLACK = 1e-6


class EntryParty(NamedTuple):
    """One party occurrence of a request line: its record fields, the entry it is on, its
    date and the line's importer number (the buyer); ``row`` and ``line_number`` say which
    line of the batch declared it (where a finding on it sits); ``record_id`` is the record's
    id (:func:`record_id`). A tuple: a request names a dozen parties, each made in one call.
    """

    kind: str
    name: str
    address: str | None
    country: str | None
    identifier: str | None
    entry_number: str | None
    date: date | None
    importer: str | None
    row: int
    line_number: int | None
    record_id: str


def record_id(kind: str, name: str, address: str | None, country: str | None,
              identifier: str | None) -> str:
    """A record's id, built as :func:`~tradeguard.network.records.occurrences_of` builds it
    (fields joined by ``|``, missing ones empty)."""
    return "|".join((kind, name, address or "", country or "", identifier or ""))


@dataclass(frozen=True)
class ClusterFacts:
    """What a fitted detector's history says of each cluster, enough to bound every rule.

    ``record_cluster``: every resolved record's cluster. Importers: the numbers declared in
    a cluster's history (a cluster listed has importer history) and its first entry; per
    importer number, the supplier clusters it bought from. Manufacturers: per MID the first
    dated declaration. Priced sellers: names, buyers, priced and low lines. ``earliest`` and
    ``latest``: the history's first and last date; ``violators``: the violator clusters."""

    record_cluster: dict[str, str] = field(default_factory=dict)
    importer_ids: dict[str, frozenset[str | None]] = field(default_factory=dict)
    importer_first: dict[str, date | None] = field(default_factory=dict)
    supplied: dict[str, frozenset[str]] = field(default_factory=dict)
    mid_first: dict[str, dict[str, date]] = field(default_factory=dict)
    seller_names: dict[str, frozenset[str | None]] = field(default_factory=dict)
    seller_buyers: dict[str, frozenset[str]] = field(default_factory=dict)
    seller_priced: dict[str, int] = field(default_factory=dict)
    seller_low: dict[str, int] = field(default_factory=dict)
    earliest: date | None = None
    latest: date | None = None
    violators: frozenset[str] = frozenset()


def _sets(rows: pl.DataFrame, key: str, value: str) -> dict[str, frozenset[str | None]]:
    groups = rows.group_by(key).agg(pl.col(value).unique())
    return {k: frozenset(v) for k, v in zip(groups[key].to_list(), groups[value].to_list(),
                                            strict=True)}


def _values(rows: pl.DataFrame, key: str, value: str) -> dict[str, int]:
    return dict(zip(rows[key].to_list(), rows[value].to_list(), strict=True))


def cluster_facts(known: pl.DataFrame | None, history: pl.DataFrame | None,
                  violators: pl.DataFrame | None) -> ClusterFacts:
    """The facts of a fitted detector (built once, a few grouped passes): its resolved
    records (``record_id``, ``cluster``), folded history
    (:func:`~tradeguard.network.records.fold_history`) and violator clusters, any of them
    None when it has none."""
    record_cluster: dict[str, str] = {}
    if known is not None and not known.is_empty():
        ids = known.select("record_id", pl.col("cluster").cast(pl.String))
        record_cluster = dict(zip(ids["record_id"].to_list(), ids["cluster"].to_list(),
                                  strict=True))
    flagged: frozenset[str] = frozenset()
    if violators is not None and not violators.is_empty():
        flagged = frozenset(violators["cluster"].cast(pl.String).to_list())
    if history is None or history.is_empty():
        return ClusterFacts(record_cluster=record_cluster, violators=flagged)
    text = ("cluster", "kind", "name", "identifier", "importer")
    past = history.select(*text, "priced", "low", "date", "last_date").with_columns(
        pl.col(c).cast(pl.String) for c in text)
    importers = past.filter(pl.col("kind") == "importer")
    first = importers.group_by("cluster").agg(pl.col("date").min())
    supplies = past.filter(pl.col("kind").is_in(SUPPLIER_KINDS)
                           & pl.col("importer").is_not_null())
    factories = past.filter((pl.col("kind") == "manufacturer")
                            & pl.col("identifier").is_not_null() & pl.col("date").is_not_null()
                            ).group_by("cluster", "identifier").agg(pl.col("date").min())
    mid_first: dict[str, dict[str, date]] = {}
    for cluster, mid, day in factories.iter_rows():
        mid_first.setdefault(cluster, {})[mid] = day
    sellers = past.filter(pl.col("kind").is_in(PRICED_KINDS) & (pl.col("priced") > 0))
    counts = sellers.group_by("cluster").agg(pl.col("priced").sum(), pl.col("low").sum())
    return ClusterFacts(
        record_cluster=record_cluster,
        importer_ids=_sets(importers, "cluster", "identifier"),
        importer_first=dict(zip(first["cluster"].to_list(), first["date"].to_list(),
                                strict=True)),
        supplied={k: frozenset(c for c in v if c is not None)
                  for k, v in _sets(supplies, "importer", "cluster").items()},
        mid_first=mid_first,
        seller_names=_sets(sellers, "cluster", "name"),
        seller_buyers={k: frozenset(b for b in v if b is not None)
                       for k, v in _sets(sellers, "cluster", "importer").items()},
        seller_priced=_values(counts, "cluster", "priced"),
        seller_low=_values(counts, "cluster", "low"),
        earliest=past["date"].min(),  # type: ignore[arg-type]
        latest=past["last_date"].max(),  # type: ignore[arg-type]
        violators=flagged,
    )


def entry_parties(lines: pl.DataFrame) -> list[EntryParty]:
    """The party occurrences of a few declaration lines, in the general path's order
    (importers, manufacturers, then sellers, line by line); nameless parties dropped.

    Each column is read once (the importer number is both a party's and the line's buyer),
    and a kind's other fields only when a line names one of its parties."""
    read = LineFields(lines)
    line: tuple[Sequence[str | None], list[date | None], Sequence[str | None],
                list[int | None]] | None = None
    parties: list[EntryParty] = []
    for kind, (name_field, *fields) in _PARTY_FIELDS:
        if name_field not in read.types:
            continue
        named = [(row, name) for row, name in enumerate(read.text(name_field))
                 if name is not None and name.strip(_WHITE_SPACE) != ""]
        if not named:
            continue
        if line is None:
            line = (read.text("entry_number"), read.dates(), read.text("importer_id"),
                    line_numbers(lines, read.types))
        entries, days, buyers, numbers = line
        addresses, countries, ids = (read.text(f) for f in fields)
        if kind == "importer":
            countries = [_IMPORTER_COUNTRY if c is None else c for c in countries]
        for row, name in named:
            address, country, identifier = addresses[row], countries[row], ids[row]
            parties.append(EntryParty(
                kind, name, address, country, identifier, entries[row], days[row], buyers[row],
                row, numbers[row], "|".join((kind, name, address or "", country or "",
                                             identifier or ""))))  # as record_id() joins
    return parties


def entry_records(parties: Iterable[EntryParty]) -> pl.DataFrame:
    """The distinct records of ``parties`` as the general path hands them to linkage: each
    with the fields it was first declared with, in order of ``record_id``."""
    first: dict[str, EntryParty] = {}
    for party in parties:
        first.setdefault(party.record_id, party)
    return pl.DataFrame(
        [(rid, p.kind, p.name, p.address, p.country, p.identifier)
         for rid, p in first.items()],
        schema={"record_id": pl.String(), **RECORD_SCHEMA}, orient="row").sort("record_id")


def _span(parties: list[EntryParty], facts: ClusterFacts) -> tuple[date | None, date | None]:
    """The earliest and latest date of history and request together, as the rules read them."""
    days = [d for d in (facts.earliest, facts.latest, *(p.date for p in parties))
            if d is not None]
    return (min(days), max(days)) if days else (None, None)


def _ring_may_pass(cluster: str, mine: list[EntryParty], parties: list[EntryParty],
                   clusters: dict[str, str], facts: ClusterFacts, cfg: NetworkConfig,
                   span: tuple[date | None, date | None]) -> bool:
    """:func:`~tradeguard.network.rings.importer_rings` on one importer cluster: enough
    numbers, enough of them buying from one supplier cluster, and a new group."""
    rule = cfg.ring
    numbers = set(facts.importer_ids.get(cluster, frozenset())) | {p.identifier for p in mine}
    if len(numbers) < rule.min_importers:
        return False
    bought = {n: set(facts.supplied.get(n, frozenset())) for n in numbers if n is not None}
    for p in parties:
        if p.kind in SUPPLIER_KINDS and p.importer in bought:
            bought[p.importer].add(clusters[p.record_id])
    per_supplier: dict[str, int] = {}
    for suppliers in bought.values():
        for supplier in suppliers:
            per_supplier[supplier] = per_supplier.get(supplier, 0) + 1
    if max(per_supplier.values(), default=0) < rule.min_importers:
        return False
    if cluster not in facts.importer_ids:
        return True  # no history: new
    earliest, latest = span
    days = [d for d in (facts.importer_first.get(cluster), *(p.date for p in mine))
            if d is not None]
    if not days or earliest is None or latest is None:
        return False
    first = min(days)
    return (first >= latest - timedelta(days=rule.new_days)
            and first >= earliest + timedelta(days=rule.lead_days))


def _churn_may_pass(cluster: str, mine: list[EntryParty], facts: ClusterFacts,
                    cfg: NetworkConfig, span: tuple[date | None, date | None]) -> bool:
    """:func:`~tradeguard.network.churn.mid_churn` on one manufacturer cluster: a new MID's
    stem is first declared no earlier than the cut, so each has a MID first declared no
    earlier; enough such MIDs are needed."""
    rule = cfg.churn
    earliest, latest = span
    if earliest is None or latest is None:
        return False
    first = dict(facts.mid_first.get(cluster, {}))
    for p in mine:
        if p.identifier is not None and p.date is not None:
            seen = first.get(p.identifier)
            first[p.identifier] = p.date if seen is None else min(seen, p.date)
    cut = max(latest - timedelta(days=rule.window_days),
              earliest + timedelta(days=rule.lead_days))
    return sum(day >= cut for day in first.values()) >= rule.min_new_mids


def _shipper_may_pass(cluster: str, mine: list[EntryParty], facts: ClusterFacts,
                      cfg: NetworkConfig) -> bool:
    """:func:`~tradeguard.network.shippers.shipper_clusters` on one seller cluster, every
    request line counted as priced and low (what a line adds at most)."""
    rule = cfg.shippers
    names = set(facts.seller_names.get(cluster, frozenset())) | {p.name for p in mine}
    buyers = set(facts.seller_buyers.get(cluster, frozenset())) | {
        p.importer for p in mine if p.importer is not None}
    low = facts.seller_low.get(cluster, 0) + len(mine)
    lines = facts.seller_priced.get(cluster, 0) + len(mine)
    return (len(names) >= rule.min_names and len(buyers) >= rule.min_importers
            and low >= rule.min_low_lines and low >= rule.min_share * lines - _SHARE_SLACK)


def rule_candidates(parties: list[EntryParty], clusters: dict[str, str],
                    facts: ClusterFacts, cfg: NetworkConfig) -> dict[str, set[str]]:
    """Per reason code, the clusters holding one of ``parties`` of a kind the rule raises
    that the rule might flag (``clusters``: record_id -> cluster of every party); a rule
    with none gives the entry no finding."""
    by_cluster: dict[tuple[str, str], list[EntryParty]] = {}
    for party in parties:
        by_cluster.setdefault((party.kind, clusters[party.record_id]), []).append(party)

    def touched(code: str) -> set[str]:
        """The clusters of the parties on which ``code`` would be raised."""
        kinds = RULES[code].kinds
        return {cluster for kind, cluster in by_cluster if kind in kinds}

    def of(kinds: Iterable[str], cluster: str) -> list[EntryParty]:
        return [p for k in kinds for p in by_cluster.get((k, cluster), [])]

    span = _span(parties, facts)
    return {
        "NET_SHARED_IDENTITY": {
            c for c in touched("NET_SHARED_IDENTITY")
            if _ring_may_pass(c, of(["importer"], c), parties, clusters, facts, cfg, span)},
        "NET_MID_CHURN": {c for c in touched("NET_MID_CHURN")
                          if _churn_may_pass(c, of(["manufacturer"], c), facts, cfg, span)},
        "NET_FLY_BY_NIGHT": {
            c for c in touched("NET_FLY_BY_NIGHT")
            if c not in facts.importer_ids
            and len({p.entry_number for p in of(["importer"], c)}) >= cfg.flyby_min_entries},
        "NET_SHIPPER_CLUSTER": {c for c in touched("NET_SHIPPER_CLUSTER")
                                if _shipper_may_pass(c, of(PRICED_KINDS, c), facts, cfg)},
        "NET_VIOLATOR_CLUSTER": touched("NET_VIOLATOR_CLUSTER") & facts.violators,
    }


def may_raise(parties: list[EntryParty], clusters: dict[str, str], facts: ClusterFacts,
              cfg: NetworkConfig) -> bool:
    """Whether any rule might flag a cluster holding one of ``parties`` of a kind the rule
    raises (``clusters``: record_id -> cluster of every party). False means no finding."""
    return any(rule_candidates(parties, clusters, facts, cfg).values())
