"""Targeting configuration: weights, hard rules, capacity and the random sample, as data.

Every number that decides a lane lives in a YAML file (one ships with the package) and is
validated by these pydantic models. The configuration's version is the SHA-256 of its
canonical JSON, recorded with each assessment, so a changed weight is a new version and an
old decision can be replayed with the configuration that made it.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from importlib.resources import files
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradeguard.findings import SEVERITY_RANK, Category

Lane = Literal["green", "yellow", "red"]
LANE_RANK: dict[str, int] = {"green": 1, "yellow": 2, "red": 3}
SHIPPED_CONFIG = "default.yaml"
#: Where a configuration keeps its version once hashed (beside its fields, not one of them).
_VERSION_MEMO = "_version_memo"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskWeights(_Strict):
    """How findings, rules and the model add up to one score (see :mod:`.risk`)."""

    severity_weights: dict[str, float]
    category_weights: dict[str, float]
    rules_weight: float = Field(1.0, ge=0, le=1)
    model_weight: float = Field(0.6, ge=0, le=1)
    relief_weight: float = Field(1.0, ge=0, le=1)
    model_category_min_probability: float = Field(0.5, ge=0, le=1)
    top_reasons: int = Field(3, ge=1, le=20)

    @field_validator("severity_weights")
    @classmethod
    def _severities(cls, value: dict[str, float]) -> dict[str, float]:
        missing = set(SEVERITY_RANK) - set(value)
        unknown = set(value) - set(SEVERITY_RANK)
        if missing or unknown:
            raise ValueError(f"severity_weights must name exactly {sorted(SEVERITY_RANK)}")
        _unit_interval(value, "severity_weights")
        ordered = [value[s] for s in sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__)]
        if ordered != sorted(ordered):
            raise ValueError("severity_weights must not decrease from low to critical")
        return value

    @field_validator("category_weights")
    @classmethod
    def _categories(cls, value: dict[str, float]) -> dict[str, float]:
        known = {c.value for c in Category}
        if set(value) != known:
            raise ValueError(f"category_weights must name exactly {sorted(known)}")
        return _unit_interval(value, "category_weights")


def _unit_interval(value: dict[str, float], what: str) -> dict[str, float]:
    bad = {k: v for k, v in value.items() if not 0.0 <= v <= 1.0}
    if bad:
        raise ValueError(f"{what}: weights must be within 0..1, got {bad}")
    return value


class ForcedLane(_Strict):
    """A hard rule: findings matching every given criterion force ``lane``."""

    name: str
    lane: Lane
    category: str | None = None
    reason_pattern: str | None = None
    min_severity: str | None = None

    @model_validator(mode="after")
    def _criteria(self) -> ForcedLane:
        if self.category is None and self.reason_pattern is None and self.min_severity is None:
            raise ValueError(f"hard rule {self.name!r} needs a category, pattern or severity")
        if self.category is not None and self.category not in {c.value for c in Category}:
            raise ValueError(f"hard rule {self.name!r}: unknown category {self.category!r}")
        if self.min_severity is not None and self.min_severity not in SEVERITY_RANK:
            raise ValueError(f"hard rule {self.name!r}: unknown severity {self.min_severity!r}")
        if self.reason_pattern is not None:
            re.compile(self.reason_pattern)
        return self


class HardRules(_Strict):
    """Lanes forced before any scoring: hard rules over findings, and rules-profile lanes."""

    honour_profile_lanes: bool = True
    forced_lanes: tuple[ForcedLane, ...] = ()


class LaneRates(_Strict):
    """Shares of lines (0..1) for the red and yellow lanes."""

    red: float = Field(ge=0, le=1)
    yellow: float = Field(ge=0, le=1)


class Capacity(_Strict):
    """Expected lane shares per port and day; ``ports`` overrides ``default`` by port code."""

    default: LaneRates
    ports: dict[str, LaneRates] = Field(default_factory=dict)
    min_risk: LaneRates
    rounding: Literal["stochastic", "round", "ceil", "floor"] = "stochastic"

    def rates_for(self, port: str | None) -> LaneRates:
        """The rates of one port (the default for ports not listed)."""
        return self.ports.get(port or "", self.default)


class RandomSample(_Strict):
    """The compliance sample drawn by a seeded hash, independent of risk."""

    rate: float = Field(ge=0, le=1)
    lane: Lane = "red"
    seed: int = 0
    include_trusted: bool = True


class TrustedTraders(_Strict):
    """Trusted-trader lines go green unless a hard rule (or the random sample) picks them."""

    fast_track: bool = True


class TargetingConfig(_Strict):
    """The whole targeting configuration; :attr:`version` is its content hash."""

    name: str
    risk: RiskWeights
    hard_rules: HardRules
    capacity: Capacity
    random_sample: RandomSample
    trusted_traders: TrustedTraders

    @property
    def version(self) -> str:
        """``<name>+<first 12 hex of SHA-256 of the canonical JSON>``.

        Hashed once per configuration (every scored request reads it; a hash costs tens of
        microseconds). The memo keeps the field values it was worked out from, so a copy with
        a part replaced (``model_copy(update=...)`` copies the memo too) hashes afresh.
        """
        fields = self.__dict__
        parts = tuple(fields[name] for name in _FIELDS)
        memo = fields.get(_VERSION_MEMO)
        if memo is not None and all(map(operator.is_, memo[0], parts)):
            return str(memo[1])
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True,
                               separators=(",", ":"))
        version = f"{self.name}+{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"
        fields[_VERSION_MEMO] = (parts, version)
        return version


_FIELDS = tuple(TargetingConfig.model_fields)


def load_targeting_config(path: Path | None = None) -> TargetingConfig:
    """Read a configuration YAML (the shipped default when ``path`` is None)."""
    if path is None:
        text = (files("tradeguard.targeting") / SHIPPED_CONFIG).read_text(encoding="utf-8")
        where = f"tradeguard/targeting/{SHIPPED_CONFIG}"
    else:
        text, where = path.read_text(encoding="utf-8"), str(path)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a targeting configuration must be a mapping")
    try:
        return TargetingConfig.model_validate(data)
    except ValueError as exc:
        raise ValueError(f"{where}: invalid targeting configuration: {exc}") from exc
