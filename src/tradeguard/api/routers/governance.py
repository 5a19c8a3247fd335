"""The registry (models, rule sets, list versions) and the latest audit report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.services import Services
from tradeguard.security import Permission, Resource

router = APIRouter(prefix="/api/v1", tags=["governance"])


def audit_dir(services: Services) -> Path:
    """Where ``tradeguard audit run --out`` writes for this installation."""
    return Path(services.settings.work_dir) / "audit"


def registry_state(services: Services) -> dict[str, Any]:
    """The registry document (versions, waivers, active versions, history)."""
    from tradeguard.governance.registry import open_registry

    state = open_registry(services.settings).state()
    doc: dict[str, Any] = state.model_dump(mode="json")
    return doc


@router.get("/registry", summary="Registered models, rule sets and list versions")
def registry(principal: PrincipalDep, services: ServicesDep) -> Any:
    """Every registered version with its model card, approval state and reassessment date."""
    services.workflow.check(principal, Permission.MONITORING_READ, Resource("registry"))
    return registry_state(services)


@router.get("/deployment", summary="What the scorer uses now, as the deployment gate allows")
def deployment(principal: PrincipalDep, services: ServicesDep) -> Any:
    """The model version this process holds, whether the gate lets it decide lanes (and why
    not), and the kill switch; fresh within a second of a change to the registry."""
    services.workflow.check(principal, Permission.MONITORING_READ, Resource("registry"))
    return services.deployment()


def latest_evidence(services: Services) -> dict[str, Any] | None:
    """The latest audit's evidence document, if an audit was run."""
    path = audit_dir(services) / "evidence.json"
    if not path.exists():
        return None
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


@router.get("/audit/evidence", summary="The latest audit's evidence (JSON)")
def evidence(principal: PrincipalDep, services: ServicesDep) -> Any:
    """Every metric, threshold and pass/fail of the latest audit run."""
    services.workflow.check(principal, Permission.MONITORING_READ, Resource("audit_report"))
    doc = latest_evidence(services)
    if doc is None:
        raise KeyError(f"no audit has been run yet ({audit_dir(services)}/evidence.json); "
                       "run `tradeguard audit run --out` there")
    return doc


@router.get("/audit/report", response_class=HTMLResponse,
            summary="The latest audit report (HTML)")
def report(principal: PrincipalDep, services: ServicesDep) -> Any:
    """The self-contained report of the latest audit run."""
    services.workflow.check(principal, Permission.MONITORING_READ, Resource("audit_report"))
    path = audit_dir(services) / "report.html"
    if not path.exists():
        raise KeyError(f"no audit report yet ({path}); run `tradeguard audit run --out` there")
    return HTMLResponse(path.read_text(encoding="utf-8"))
