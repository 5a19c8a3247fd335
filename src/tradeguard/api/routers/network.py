"""Party networks over the stored declarations: find a party, show its cluster.

The network (:func:`tradeguard.network.build_network`) links every declared spelling of an
importer, manufacturer, seller or shipper into clusters; it is built once per data state and
kept in the app's cache, since linkage over all stored parties is the costly step.
"""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.problems import ApiProblem
from tradeguard.api.routers.leads import data_fingerprint
from tradeguard.api.services import Services
from tradeguard.network import PartyNetwork, build_network, cluster_summary, find_party
from tradeguard.security import Permission, Principal, Resource

router = APIRouter(prefix="/api/v1/network", tags=["network"])

PARTY_COLUMNS = ("record_id", "kind", "name", "country", "identifier", "cluster",
                 "declarations")


def party_network(services: Services) -> PartyNetwork:
    """The network of every stored declaration (cached until the data changes)."""
    from tradeguard.api.records import stored_declarations, stored_outcomes

    key = f"network|{data_fingerprint(services.engine)}"
    cached = services.cache.get(key)
    if isinstance(cached, PartyNetwork):
        return cached
    stored = stored_declarations(services.engine)
    network = build_network(stored.entries, stored.lines,
                            outcomes=stored_outcomes(services.engine))
    services.cache = {k: v for k, v in services.cache.items() if not k.startswith("network|")}
    services.cache[key] = network
    return network


def checked_network(services: Services, principal: Principal, what: str) -> PartyNetwork:
    """Clusters span importers: only roles granted investigation reads see them."""
    services.workflow.check(principal, Permission.INVESTIGATION_READ, Resource("network", what))
    return party_network(services)


def party_matches(network: PartyNetwork, q: str, limit: int) -> pl.DataFrame:
    """Records matching ``q`` (id, identifier or part of the name), biggest first."""
    found = find_party(network.records, q)
    cols = [c for c in PARTY_COLUMNS if c in found.columns]
    return found.select(cols).sort("declarations", descending=True).head(limit)


def cluster_of(network: PartyNetwork, cluster: str) -> dict[str, Any]:
    """The cluster summary; 404 when no record carries that cluster id."""
    if network.records.filter(pl.col("cluster") == cluster).is_empty():
        raise ApiProblem(404, f"no party cluster {cluster}")
    return cluster_summary(network, cluster)


@router.get("/parties", summary="Find a party: record id, identifier or part of a name")
def parties(principal: PrincipalDep, services: ServicesDep,
            q: Annotated[str, Query(min_length=2, max_length=200)],
            limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    """Matching party records with the cluster each belongs to."""
    network = checked_network(services, principal, q)
    return {"query": q, "parties": party_matches(network, q, limit).to_dicts()}


@router.get("/clusters/{cluster}", summary="One party cluster: members, links, counterparties")
def cluster(cluster: str, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Members, the links that joined them (match probability), counterparties, findings."""
    return cluster_of(checked_network(services, principal, cluster), cluster)
