"""The party graph: build it in bulk, and look at one party's cluster as a small graph.

:func:`build_network` runs the whole chain (declarations -> records -> linkage -> clusters
-> findings) as Polars frames; :func:`cluster_view` turns one cluster into a networkx graph
of its records, the links that joined them (with match probabilities) and the shipments that
connect them, for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import polars as pl

from tradeguard.network.findings import NetworkConfig, network_findings
from tradeguard.network.linkage import LinkageConfig, resolve_parties
from tradeguard.network.records import party_occurrences, party_records


@dataclass(frozen=True)
class PartyNetwork:
    """Resolved parties (``records`` with ``cluster``), the ``links`` that formed clusters,
    where each record was declared (``occurrences``) and the network ``findings``."""

    records: pl.DataFrame
    links: pl.DataFrame
    occurrences: pl.DataFrame
    findings: pl.DataFrame


def build_network(entries: pl.DataFrame | None = None, lines: pl.DataFrame | None = None,
                  packages: pl.DataFrame | None = None, *,
                  history_entries: pl.DataFrame | None = None,
                  history_lines: pl.DataFrame | None = None,
                  outcomes: pl.DataFrame | None = None,
                  linkage: LinkageConfig | None = None,
                  config: NetworkConfig | None = None) -> PartyNetwork:
    """Resolve every declared party into clusters and derive the network findings."""
    occ = party_occurrences(entries, lines, packages, history_entries, history_lines)
    records, links = resolve_parties(party_records(occ), linkage)
    findings = network_findings(occ, records, outcomes, config)
    return PartyNetwork(records=records, links=links, occurrences=occ, findings=findings)


def find_party(records: pl.DataFrame, party: str) -> pl.DataFrame:
    """Records matching ``party``: an exact record id or identifier, else a name containing it."""
    exact = records.filter((pl.col("record_id") == party) | (pl.col("identifier") == party))
    if not exact.is_empty():
        return exact
    return records.filter(pl.col("name").str.to_lowercase().str.contains(party.lower(),
                                                                         literal=True))


def cluster_view(network: PartyNetwork, cluster: str) -> nx.Graph:
    """One cluster as a graph: record nodes, ``link`` edges with their probability and
    comparison levels, and ``shipment`` edges between records declared on the same entry."""
    members = network.records.filter(pl.col("cluster") == cluster)
    graph = nx.Graph(cluster=cluster)
    for row in members.iter_rows(named=True):
        graph.add_node(row["record_id"], kind=row["kind"], name=row["name"],
                       address=row["address"], country=row["country"],
                       identifier=row["identifier"], declarations=row["declarations"])
    ids = set(members["record_id"].to_list())
    links = network.links.filter(pl.col("left_id").is_in(ids) & pl.col("right_id").is_in(ids))
    for row in links.iter_rows(named=True):
        graph.add_edge(row["left_id"], row["right_id"], relation="link",
                       probability=round(float(row["probability"]), 4),
                       name=row["name_level"], name_head=row["name_head_level"],
                       address=row["address_level"],
                       identifier=row["identifier_level"], country=row["country_level"])
    return graph


def cluster_summary(network: PartyNetwork, cluster: str) -> dict[str, Any]:
    """A JSON-ready account of a cluster: members, links, counterparties and findings."""
    graph = cluster_view(network, cluster)
    occ = network.occurrences.filter(pl.col("record_id").is_in(list(graph.nodes)))
    entries = occ.drop_nulls("entry_number")["entry_number"].unique().to_list()
    packages = occ.drop_nulls("package_id")["package_id"].unique().to_list()
    counter = network.occurrences.filter(
        pl.col("entry_number").is_in(entries) & ~pl.col("record_id").is_in(list(graph.nodes))
    ).group_by("kind", "name").agg(pl.len().alias("lines")).sort("lines", descending=True)
    found = network.findings.filter(pl.col("entry_number").is_in(entries + packages))
    return {
        "cluster": cluster,
        "members": [{"record_id": n, **d} for n, d in graph.nodes(data=True)],
        "links": [{"left": a, "right": b, **d} for a, b, d in graph.edges(data=True)],
        "entries": len(entries),
        "packages": len(packages),
        "counterparties": counter.head(20).to_dicts(),
        "findings": found.group_by("reason_code").agg(pl.len().alias("count"),
                                                      pl.col("text").first()).to_dicts(),
    }
