"""The risk-profile model: conditions, named lists, treatments, validity and ownership.

The shape follows customs selectivity criteria (ASYCUDA) and the WCO risk-profile template:
every profile says what it targets, what happens to a hit, who owns it, why it exists and
until when it may run — so an officer, an auditor or an importer's notice can be given the
reason behind a hit, and stale profiles stop firing instead of targeting forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from tradeguard.findings import Category, Severity

LeafOp = Literal[
    "eq",
    "ne",
    "in",
    "not_in",
    "prefix",
    "gt",
    "ge",
    "lt",
    "le",
    "between",
    "contains",
    "matches",
    "is_null",
    "not_null",
]
GroupOp = Literal["and", "or", "not"]
ListKind = Literal["firms", "countries", "hts_prefixes", "bills_of_lading", "mids"]
Lane = Literal["green", "yellow", "red"]
Effect = Literal["raise", "lower"]
Scalar = str | float | int | bool | date

LEAF_OPS: tuple[str, ...] = LeafOp.__args__  # type: ignore[attr-defined]
LIST_KINDS: tuple[str, ...] = ListKind.__args__  # type: ignore[attr-defined]
LANE_RANK: Mapping[str, int] = {"green": 1, "yellow": 2, "red": 3}


@dataclass(frozen=True, slots=True)
class Leaf:
    """One test on one field; ``list_ref`` names a list whose items replace ``values``."""

    field: str
    op: LeafOp
    values: tuple[Scalar, ...] = ()
    list_ref: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Group:
    """``and`` / ``or`` over several conditions, or ``not`` over exactly one."""

    op: GroupOp
    items: tuple[Condition, ...]
    line: int = 0


Condition = Leaf | Group


@dataclass(frozen=True, slots=True)
class NamedList:
    """A list defined once (firms, countries, HTS prefixes, bills, MIDs), used by name."""

    name: str
    kind: ListKind
    items: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Treatment:
    """What a hit does: force a lane or add a weight, and the reason given for it.

    ``effect: lower`` (or a green lane) marks a facilitation profile: it lowers risk, so it
    yields no finding — only a treatment row for the targeting engine.
    """

    lane: Lane | None
    weight: float | None
    effect: Effect
    category: Category | None
    severity: Severity
    reason_code: str
    reason: str

    @property
    def facilitates(self) -> bool:
        """True when a hit lowers risk rather than raising it."""
        return self.effect == "lower" or self.lane == "green"


@dataclass(frozen=True, slots=True)
class Profile:
    """One selectivity criterion with its owner, rationale and validity window."""

    id: str
    title: str
    condition: Condition
    treatment: Treatment
    owner: str
    rationale: str
    valid_from: date | None = None
    valid_to: date | None = None
    review_date: date | None = None
    source_file: str = ""
    line: int = 0


class ProfileStatus(StrEnum):
    """Where a profile stands on an evaluation date; only active and review_due fire."""

    ACTIVE = "active"
    REVIEW_DUE = "review_due"
    PENDING = "pending"
    EXPIRED = "expired"
    LAPSED = "lapsed"

    @property
    def fires(self) -> bool:
        """Whether a profile in this state is evaluated."""
        return self in (ProfileStatus.ACTIVE, ProfileStatus.REVIEW_DUE)


DEFAULT_LAPSE_DAYS = 365


def profile_status(
    profile: Profile, on: date, lapse_after_days: int | None = DEFAULT_LAPSE_DAYS
) -> ProfileStatus:
    """The status of ``profile`` on ``on``.

    ``valid_to`` is inclusive. A review date that has passed only warns (review_due); one
    passed by more than ``lapse_after_days`` stops the profile (lapsed), because a criterion
    nobody has re-examined for a year should not keep selecting traders.
    """
    if profile.valid_from is not None and on < profile.valid_from:
        return ProfileStatus.PENDING
    if profile.valid_to is not None and on > profile.valid_to:
        return ProfileStatus.EXPIRED
    if profile.review_date is not None and on > profile.review_date:
        if lapse_after_days is not None and on > profile.review_date + timedelta(
            days=lapse_after_days
        ):
            return ProfileStatus.LAPSED
        return ProfileStatus.REVIEW_DUE
    return ProfileStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class ProfileSet:
    """Profiles and the lists they use, with content versions (see ``_versioning``).

    ``change_issues`` holds what the change log could not account for: a set whose content
    changed without a recorded change is still loaded, but flagged.
    """

    profiles: tuple[Profile, ...]
    lists: Mapping[str, NamedList]
    version: str
    profile_versions: Mapping[str, str]
    change_issues: tuple[str, ...] = field(default=())

    def get(self, profile_id: str) -> Profile:
        """The profile with this id (KeyError when absent)."""
        for profile in self.profiles:
            if profile.id == profile_id:
                return profile
        raise KeyError(profile_id)
