"""``evidence.json``: every number, threshold and verdict, and hashes of what was tested.

Canary values are never written out, only their hashes, so the evidence itself can be
scanned for leaks like every other output.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from tradeguard.governance.audit.harness import AuditResult


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def evidence(result: AuditResult) -> dict[str, Any]:
    """The evidence document (JSON-ready)."""
    doc: dict[str, Any] = _finite({
        "generated_at": result.generated_at.isoformat(),
        "verdict": "pass" if result.passed else "fail",
        "failed_checks": result.failed_checks,
        "blocking_sections": result.policy.blocking_sections,
        "policy": {"name": result.policy.name, "source": result.policy.source,
                   "sha256": result.policy.source_hash,
                   "thresholds": result.policy.model_dump(
                       mode="json", exclude={"source", "source_hash"})},
        "hashes": result.hashes,
        "versions": result.versions,
        "data_note": result.data_note,
        "population": result.extra.get("population", {}),
        "canary_sha256": [hashlib.sha256(c.encode()).hexdigest()
                          for c in result.extra.get("canaries", [])],
        "sections": [s.to_json() for s in result.sections],
    })
    return doc


def evidence_json(result: AuditResult) -> str:
    """The evidence as text (sorted keys, no NaN)."""
    return json.dumps(evidence(result), indent=2, sort_keys=True, default=str,
                      allow_nan=False) + "\n"


def evidence_hash(text: str) -> str:
    """SHA-256 of the evidence text: what the registry records for the version."""
    return hashlib.sha256(text.encode()).hexdigest()
