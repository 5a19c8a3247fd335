"""Party networks: entity resolution across importers, manufacturers, sellers, shippers and
consignees, the clusters it forms, and the findings those clusters support.

Every declared party spelling becomes a record (:mod:`~tradeguard.network.records`); Splink,
a maintained Fellegi-Sunter record-linkage library, links records of one firm on DuckDB
(:mod:`~tradeguard.network.linkage`, comparisons in :mod:`~tradeguard.network.comparisons`);
clusters raise findings on the lines and parcels of
their members (:mod:`~tradeguard.network.findings`, with the statistical rules for MID churn
in :mod:`~tradeguard.network.churn`, importer rings in :mod:`~tradeguard.network.rings`,
foreign shipper clusters in :mod:`~tradeguard.network.shippers` and violator clusters in
:mod:`~tradeguard.network.violators`); :mod:`~tradeguard.network.graph` builds it all and
shows one cluster as a graph. The scoring chain runs the same rules as its ``network``
detector (:mod:`~tradeguard.network.detector`): parties resolved once on the history, a
batch's new spellings linked to them.
"""

from tradeguard.network.address import address_key
from tradeguard.network.churn import ChurnRule, mid_churn
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
from tradeguard.network.rings import RingRule, importer_rings
from tradeguard.network.shippers import ShipperRule, peer_prices, shipper_clusters
from tradeguard.network.violators import ViolatorRule, violator_clusters

__all__ = [
    "ChurnRule",
    "LinkageConfig",
    "NetworkConfig",
    "PartyNetwork",
    "RingRule",
    "ShipperRule",
    "ViolatorRule",
    "address_key",
    "build_network",
    "cluster_summary",
    "cluster_view",
    "find_party",
    "importer_rings",
    "mid_churn",
    "network_findings",
    "party_occurrences",
    "party_records",
    "peer_prices",
    "resolve_parties",
    "shipper_clusters",
    "violator_clusters",
]
