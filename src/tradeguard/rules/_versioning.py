"""Profile versions (content hashes) and the change log that must account for them.

A version is the hash of a profile's canonical form — its conditions with the list items they
resolve to, treatment, validity and ownership — so the same content always has the same version
wherever it sits in which file. Every change must be recorded (who, when, why); a loaded set
whose versions the log cannot explain is flagged, so silent edits to targeting are visible.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tradeguard.rules._model import Condition, Group, NamedList, Profile, ProfileSet

CHANGE_LOG_NAME = "changes.json"


def _scalar(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def canonical_condition(cond: Condition, lists: Mapping[str, NamedList]) -> dict[str, Any]:
    """The condition as plain data, list references expanded to their (sorted) items."""
    if isinstance(cond, Group):
        return {cond.op: [canonical_condition(c, lists) for c in cond.items]}
    out: dict[str, Any] = {"field": cond.field, "op": cond.op}
    if cond.list_ref is not None:
        out["list"] = cond.list_ref
        out["items"] = sorted(lists[cond.list_ref].items)
    else:
        out["values"] = [_scalar(v) for v in cond.values]
    return out


def canonical_profile(profile: Profile, lists: Mapping[str, NamedList]) -> dict[str, Any]:
    """Everything that changes what a profile does or why; not where it is written."""
    t = profile.treatment
    return {
        "id": profile.id,
        "title": profile.title,
        "when": canonical_condition(profile.condition, lists),
        "treatment": {
            "lane": t.lane,
            "weight": t.weight,
            "effect": t.effect,
            "category": None if t.category is None else t.category.value,
            "severity": t.severity.value,
            "reason_code": t.reason_code,
            "reason": t.reason,
        },
        "owner": profile.owner,
        "rationale": profile.rationale,
        "valid_from": _scalar(profile.valid_from),
        "valid_to": _scalar(profile.valid_to),
        "review_date": _scalar(profile.review_date),
    }


def content_hash(payload: Any) -> str:
    """A short, stable sha256 of JSON-able data (sorted keys, compact separators)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def build_profile_set(profiles: Sequence[Profile], lists: Mapping[str, NamedList]) -> ProfileSet:
    """Assemble a set and compute each profile's version and the set version."""
    ordered = tuple(sorted(profiles, key=lambda p: p.id))
    versions = {p.id: content_hash(canonical_profile(p, lists)) for p in ordered}
    set_payload = {
        "profiles": versions,
        "lists": {
            n: {"kind": lst.kind, "items": sorted(lst.items)} for n, lst in sorted(lists.items())
        },
    }
    return ProfileSet(
        profiles=ordered,
        lists=dict(lists),
        version=content_hash(set_payload),
        profile_versions=versions,
    )


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """One recorded change: ``version_before`` None = created, ``version_after`` None = removed.

    ``approved_by`` names the second person when the change took effect only on their approval
    (publication in the service); None where the author's word alone recorded it.
    """

    profile_id: str
    version_before: str | None
    version_after: str | None
    author: str
    at: datetime
    reason: str
    approved_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as stored in the change log."""
        out: dict[str, Any] = {
            "profile_id": self.profile_id,
            "version_before": self.version_before,
            "version_after": self.version_after,
            "author": self.author,
            "at": self.at.isoformat(),
            "reason": self.reason,
        }
        if self.approved_by is not None:
            out["approved_by"] = self.approved_by
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProfileChange:
        """Read one stored record (KeyError / ValueError on a malformed one)."""
        return cls(
            profile_id=str(data["profile_id"]),
            version_before=data.get("version_before"),
            version_after=data.get("version_after"),
            author=str(data["author"]),
            at=datetime.fromisoformat(str(data["at"])),
            reason=str(data["reason"]),
            approved_by=None if data.get("approved_by") is None else str(data["approved_by"]),
        )


def read_change_log(path: Path) -> list[ProfileChange]:
    """All recorded changes, oldest first; a missing log is an empty history."""
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: change log must be a JSON array of change records")
    return [ProfileChange.from_json(item) for item in data]


def write_change_log(path: Path, changes: Iterable[ProfileChange]) -> None:
    """Write the whole log (a JSON array keeps it within the package-data file types)."""
    payload = [c.to_json() for c in changes]
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def recorded_versions(changes: Iterable[ProfileChange]) -> dict[str, str | None]:
    """The latest recorded version of each profile id (None once removed)."""
    latest: dict[str, str | None] = {}
    for change in changes:
        latest[change.profile_id] = change.version_after
    return latest


def change_log_issues(profile_set: ProfileSet, changes: Sequence[ProfileChange]) -> list[str]:
    """What the log does not account for: unrecorded edits, additions, removals, broken chains."""
    issues: list[str] = []
    seen: dict[str, str | None] = {}
    for change in changes:
        before = seen.get(change.profile_id)
        if change.version_before != before:
            issues.append(
                f"profile {change.profile_id}: change at {change.at.isoformat()} starts from "
                f"{change.version_before} but the previous recorded version is {before}"
            )
        seen[change.profile_id] = change.version_after
    for pid, version in profile_set.profile_versions.items():
        if pid not in seen:
            issues.append(f"profile {pid}: version {version} has no recorded change")
        elif seen[pid] != version:
            issues.append(
                f"profile {pid}: content changed to {version} without a recorded change "
                f"(last recorded: {seen[pid]})"
            )
    for pid, last in seen.items():
        if last is not None and pid not in profile_set.profile_versions:
            issues.append(f"profile {pid}: removed without a recorded change")
    return issues


def with_change_log(profile_set: ProfileSet, changes: Sequence[ProfileChange]) -> ProfileSet:
    """The same set, flagged with whatever the change log fails to explain."""
    return replace(profile_set, change_issues=tuple(change_log_issues(profile_set, changes)))


def pending_changes(
    profile_set: ProfileSet,
    changes: Sequence[ProfileChange],
    author: str,
    reason: str,
    at: datetime | None = None,
    approved_by: str | None = None,
) -> list[ProfileChange]:
    """The records that would bring the log up to date with ``profile_set``."""
    when = at or datetime.now(UTC)
    latest = recorded_versions(changes)
    out: list[ProfileChange] = []
    for pid, version in profile_set.profile_versions.items():
        if latest.get(pid) != version:
            out.append(ProfileChange(pid, latest.get(pid), version, author, when, reason,
                                     approved_by))
    for pid, last in latest.items():
        if last is not None and pid not in profile_set.profile_versions:
            out.append(ProfileChange(pid, last, None, author, when, reason, approved_by))
    return out


def record_changes(
    log_path: Path, profile_set: ProfileSet, author: str, reason: str, at: datetime | None = None,
    approved_by: str | None = None,
) -> list[ProfileChange]:
    """Append a change record for every profile added, edited or removed; return them."""
    if not author.strip() or not reason.strip():
        raise ValueError("a profile change needs an author and a reason")
    existing = read_change_log(log_path)
    new = pending_changes(profile_set, existing, author, reason, at, approved_by)
    if new:
        write_change_log(log_path, [*existing, *new])
    return new
