"""What the API and the page show: the published set with statuses, hit rates and history,
the versions awaiting approval, and the results of a check, a back-test or a decision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from tradeguard.api.routers.risk_profiles.backtest import hits_of, stored_hit_rates
from tradeguard.api.routers.risk_profiles.ledger import Publication, read_ledger
from tradeguard.api.routers.risk_profiles.proposals import Checked, issue_row
from tradeguard.api.routers.risk_profiles.published import (
    active_profiles,
    profiles_folder,
    scoring_version,
)
from tradeguard.api.services import Services
from tradeguard.rules import Profile, ProfileChange, ProfileSet, ProfileStatus, statuses_on

STATUS_WORDS: Mapping[ProfileStatus, str] = {
    ProfileStatus.ACTIVE: "active",
    ProfileStatus.REVIEW_DUE: "review overdue",
    ProfileStatus.PENDING: "not yet valid",
    ProfileStatus.EXPIRED: "expired",
    ProfileStatus.LAPSED: "review overdue over a year: no longer fires",
}
#: Receipts of decision-log records (:mod:`tradeguard.api.routers.log`).
LOG_PROOF = "/api/v1/log/proof"
#: Decided publications shown with the set (the full ledger is ``GET …/publications``).
RECENT_DECISIONS = 10


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def profile_row(profile: Profile, pset: ProfileSet, status: ProfileStatus,
                hits: Mapping[str, Any] | None) -> dict[str, Any]:
    """One profile as the API and the page show it."""
    t = profile.treatment
    return {
        "id": profile.id, "title": profile.title, "owner": profile.owner,
        "rationale": profile.rationale,
        "treatment": {"lane": t.lane, "weight": t.weight, "effect": t.effect,
                      "category": None if t.category is None else t.category.value,
                      "severity": t.severity.value, "reason_code": t.reason_code,
                      "reason": t.reason},
        "valid_from": _day(profile.valid_from), "valid_to": _day(profile.valid_to),
        "review_date": _day(profile.review_date), "status": status.value,
        "status_text": STATUS_WORDS[status], "fires": status.fires,
        "version": pset.profile_versions[profile.id],
        "file": Path(profile.source_file).name, "line": profile.line, "hits": hits,
    }


def change_row(change: ProfileChange) -> dict[str, Any]:
    """A change-log record for JSON (``approved_by`` null: recorded on the author's word)."""
    return {**change.to_json(), "approved_by": change.approved_by}


def publication_row(pub: Publication, *, with_files: bool = False) -> dict[str, Any]:
    """A publication for JSON; the files' full text only when asked for."""
    row = pub.model_dump(mode="json", exclude={"files"})
    row["file_names"] = sorted(pub.files)
    if with_files:
        row["files"] = dict(pub.files)
    row["recorded"] = [{**r, "approved_by": r.get("approved_by")} for r in pub.recorded]
    row["proposed_proof"] = log_proof(pub.proposed_log_seq)
    row["decided_proof"] = log_proof(pub.decided_log_seq)
    return row


def log_proof(seq: int | None) -> str | None:
    """The receipt endpoint of a decision-log record (None: the step predates the log)."""
    return None if seq is None else f"{LOG_PROOF}/{seq}"


def overview(services: Services, on: date | None = None) -> dict[str, Any]:
    """The published set: every profile with its status on ``on`` (default today) and hit
    rates, the change log (newest first), what the log does not account for, the versions
    awaiting approval and the latest decisions."""
    active = active_profiles(services)
    pset = active.profile_set
    day = on or date.today()
    statuses = statuses_on(pset, day)
    rates = stored_hit_rates(services, pset)
    by_id = hits_of(rates.table) if rates is not None else {}
    folder = profiles_folder(services.settings)
    ledger = read_ledger(folder)
    decided = [p for p in reversed(ledger.publications) if p.decided_at is not None]
    return {
        "version": pset.version,
        "published": active.published,
        "folder": str(folder),
        "scoring_version": scoring_version(services),
        "as_of": day.isoformat(),
        "profiles": [profile_row(p, pset, statuses[p.id], by_id.get(p.id))
                     for p in pset.profiles],
        "files": dict(active.files),
        "change_log": [change_row(c) for c in reversed(active.changes)],
        "change_issues": list(pset.change_issues),
        "outcomes": 0 if rates is None else rates.outcomes,
        "pending": [publication_row(p) for p in ledger.pending()],
        "decided": [publication_row(p) for p in decided[:RECENT_DECISIONS]],
    }


def check_rows(checked: Checked) -> dict[str, Any]:
    """A check for JSON."""
    return {"ok": checked.ok, "problems": [issue_row(i) for i in checked.problems],
            "version": checked.profile_set.version if checked.profile_set else None,
            "added": list(checked.added), "edited": list(checked.edited),
            "removed": list(checked.removed)}
