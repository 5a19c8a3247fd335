"""Party networks: entity resolution across importers, manufacturers, sellers, shippers and
consignees, the clusters it forms, and the findings those clusters support.

Every declared party spelling becomes a record (:mod:`~tradeguard.network.records`); Splink,
a maintained Fellegi-Sunter record-linkage library, links records of one firm on DuckDB
(:mod:`~tradeguard.network.linkage`, comparisons in :mod:`~tradeguard.network.comparisons`);
clusters raise findings on the lines and parcels of
their members (:mod:`~tradeguard.network.findings`); :mod:`~tradeguard.network.graph` builds
it all and shows one cluster as a graph.
"""

from tradeguard.network.address import address_key
from tradeguard.network.findings import NetworkConfig, network_findings
from tradeguard.network.graph import (
    PartyNetwork,
    build_network,
    cluster_summary,
    cluster_view,
    find_party,
)
from tradeguard.network.linkage import LinkageConfig, resolve_parties
from tradeguard.network.records import party_occurrences, party_records

__all__ = [
    "LinkageConfig",
    "NetworkConfig",
    "PartyNetwork",
    "address_key",
    "build_network",
    "cluster_summary",
    "cluster_view",
    "find_party",
    "network_findings",
    "party_occurrences",
    "party_records",
    "resolve_parties",
]
