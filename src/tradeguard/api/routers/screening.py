"""Watch-list name screening and small-package scoring."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.intake import validated
from tradeguard.api.schemas import PackagesRequest, ScreenRequest
from tradeguard.api.services import Services
from tradeguard.security import Permission, Resource

router = APIRouter(prefix="/api/v1", tags=["screening"])


def watchlist_index(services: Services) -> Any:
    """The watch-list index, built on first use and kept."""
    index = services.cache.get("watchlist_index")
    if index is None:
        from tradeguard.refdata import load_reference_data
        from tradeguard.screening import WatchlistIndex

        ref = load_reference_data(services.settings.refdata_dir)
        index = WatchlistIndex.build(ref.watchlists, ref.versions)
        services.cache["watchlist_index"] = index
    return index


@router.post("/screen", summary="Screen party names against the watch lists")
def screen(body: ScreenRequest, principal: PrincipalDep, services: ServicesDep) -> Any:
    """One row per candidate match with what matched and what differed."""
    from tradeguard.screening import screen_names

    services.workflow.check(principal, Permission.CONFIDENTIAL_READ, Resource("watchlist"))
    names = pl.DataFrame([n.model_dump() for n in body.names],
                         schema={"id": pl.String, "name": pl.String, "country": pl.String,
                                 "address": pl.String})
    matches = screen_names(names, watchlist_index(services))
    return {"matches": matches.to_dicts(), "screened": names.height}


@router.post("/packages/score", summary="Score small packages")
def score_packages(body: PackagesRequest, principal: PrincipalDep,
                   services: ServicesDep) -> Any:
    """Per package: score, lane, reasons in words and the rules and list versions used."""
    from tradeguard.packages import score_packages as run

    services.workflow.check(principal, Permission.ASSESSMENT_READ,
                            Resource("package", "*", principal.importer_id))
    frame = validated("packages", body.packages, label="package")
    result = run(frame, index=watchlist_index(services))
    return {"scores": result.scores.to_dicts(), "findings": result.findings.to_dicts(),
            "versions": result.versions}
