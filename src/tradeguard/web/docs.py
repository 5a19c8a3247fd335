"""``/docs``: every API operation listed from the app's own OpenAPI document, self-hosted.

The stock Swagger page loads its script from a CDN, which an air-gapped customs network
cannot reach; this page needs nothing but the app.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradeguard.web.render import render

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


def operations(spec: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Operations grouped by tag: method, path, summary, description, parameters, body."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {})
            groups.setdefault((op.get("tags") or ["other"])[0], []).append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "parameters": [{"name": p["name"], "in": p["in"],
                                "required": p.get("required", False),
                                "description": p.get("description", "")}
                               for p in op.get("parameters", [])],
                "body": ", ".join(body),
                "responses": sorted(op.get("responses", {})),
            })
    return dict(sorted(groups.items()))


@router.get("/docs")
def docs(request: Request) -> Response:
    """The API reference page."""
    spec = request.app.openapi()
    return render(request, "docs.html", None, spec=spec, groups=operations(spec))
