"""Audit thresholds declared in advance, read from a policy YAML (the shipped default or a
file the auditor supplies); the file's hash goes into the evidence."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

SHIPPED_POLICY = "policy.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bootstrap(_Strict):
    replicates: int = Field(ge=50)
    seed: int
    confidence: float = Field(gt=0.5, lt=1)


class EfficacyPolicy(_Strict):
    budgets_pct: list[float]
    gate_budget_pct: float
    min_lift_lower: float
    min_precision_at_gate: float
    min_random_sample_lines: int


class ValidityPolicy(_Strict):
    bins: int = Field(ge=2)
    max_ece: float
    max_brier: float


class ReliabilityPolicy(_Strict):
    psi_bins: int = Field(ge=2)
    max_feature_psi: float
    max_score_psi: float
    min_rank_correlation: float
    max_lane_churn: float


class RobustnessPolicy(_Strict):
    max_lane_flip_rate: float
    min_evasion_caught_share: float


class GroupRule(_Strict):
    blocking: bool


class BiasPolicy(_Strict):
    min_group_lines: int
    min_group_examined: int
    # A rate is judged in a group only where the overall rate would give it at least this
    # many events: a group's zero count among a few cases says little, and its bootstrap
    # interval collapses to zero.
    min_expected_events: float = 5.0
    ratio_band: tuple[float, float]
    groups: dict[str, GroupRule]


class SecurityPolicy(_Strict):
    max_accepted_hostile_rows: int
    max_canary_leaks: int


class AuditPolicy(_Strict):
    """Every threshold the audit judges against."""

    name: str
    bootstrap: Bootstrap
    efficacy: EfficacyPolicy
    validity: ValidityPolicy
    reliability: ReliabilityPolicy
    robustness: RobustnessPolicy
    bias: BiasPolicy
    security: SecurityPolicy
    blocking_sections: list[str]
    source: str = ""
    source_hash: str = ""


def load_policy(path: Path | None = None) -> AuditPolicy:
    """The policy at ``path`` (the shipped default when None); errors name the file."""
    if path is None:
        text = (files("tradeguard.governance.audit") / SHIPPED_POLICY).read_text("utf-8")
        where = f"tradeguard/governance/audit/{SHIPPED_POLICY}"
    else:
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        data = yaml.safe_load(text)
        return AuditPolicy.model_validate({
            **data, "source": where,
            "source_hash": hashlib.sha256(text.encode()).hexdigest()})
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise ValueError(f"{where}: not a valid audit policy: {exc}") from exc
