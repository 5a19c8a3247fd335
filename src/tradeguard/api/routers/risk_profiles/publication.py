"""Publication in two steps, four eyes: an editor proposes, another person approves.

:func:`publish` checks and back-tests a proposal and records it as a *pending* version with who
proposed it and why; scoring does not change. :func:`approve` by someone holding
``model:approve`` who did not propose it writes the set where the service reads it, adds the
change-log records naming both the author and the approver, and switches the scorer.
:func:`reject` closes a pending version with a reason and leaves the published set alone.

Why not the model registry: registering needs ``model:register``, which profile editors do not
hold, and :meth:`Registry.approval_problems` demands for a lane-deciding (high-impact) version a
signed seven-part impact assessment and a passing audit-harness run per version; a profile
publication carries a loader check and a back-test, neither of those. Recording it there would
mean declaring it not high-impact or registering it in someone else's name, so the same
independent-review rule is enforced here and recorded in the ledger and the change log.

Each step is also a record of the tamper-evident decision log (``profiles.proposed``,
``profiles.approved``, ``profiles.rejected``), so rewriting the ledger afterwards shows. The
record carries what an oversight body may see (publication, versions, people, a SHA-256 of the
files); rationale, notes, reasons and file text are sealed and kept encrypted off-log. A step
whose record the log does not take fails as a whole: files, change log and ledger are put back.
"""

from __future__ import annotations

import difflib
import logging
import os
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradeguard.api.problems import ApiProblem
from tradeguard.api.routers.risk_profiles.access import (
    APPROVE_PERMISSION,
    PROPOSE_PERMISSION,
    RESOURCE,
)
from tradeguard.api.routers.risk_profiles.backtest import back_test, back_test_rows
from tradeguard.api.routers.risk_profiles.ledger import (
    Ledger,
    Publication,
    PublicationState,
    ledger_bytes,
    locked,
    read_ledger,
    restore_ledger,
    write_ledger,
)
from tradeguard.api.routers.risk_profiles.proposals import (
    Proposal,
    check_files,
    check_proposal,
    refuse,
)
from tradeguard.api.routers.risk_profiles.published import (
    ActiveProfiles,
    active_profiles,
    follow_published,
    profiles_folder,
    yaml_files,
)
from tradeguard.api.services import Services
from tradeguard.decisions.events import (
    LogEvent,
    ProfilesApproved,
    ProfilesProposed,
    ProfilesRejected,
    profile_files_hash,
)
from tradeguard.rules import CHANGE_LOG_NAME, load_profile_set, record_changes
from tradeguard.security import Principal

log = logging.getLogger("tradeguard.api.risk_profiles")


def unified_diff(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """What the proposal changes, file by file, as the approver reads it."""
    parts: list[str] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, ""), after.get(name, "")
        if old != new:
            parts.extend(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"published/{name}" if name in before else "/dev/null",
                tofile=f"proposed/{name}" if name in after else "/dev/null"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in parts)


def publish(services: Services, principal: Principal, proposal: Proposal,
            rationale: str) -> Publication:
    """Check and back-test a proposal and record it as pending; scoring is unchanged.

    Refused (422, nothing recorded) when the proposed set does not load, holds no profile or
    changes nothing; 409 when the same version already awaits approval; 403 without
    ``profile:edit``.
    """
    services.workflow.check(principal, PROPOSE_PERMISSION, RESOURCE)
    if not rationale.strip():
        raise ApiProblem(422, "a publication needs a rationale", kind="invalid-input")
    active = active_profiles(services)
    checked = check_proposal(active, proposal)
    if not checked.ok:
        raise refuse(checked, "nothing was published")
    assert checked.profile_set is not None
    if checked.profile_set.version == active.profile_set.version:
        raise ApiProblem(422, "the proposal changes no profile; nothing was published",
                         kind="no-change")
    tested = back_test_rows(back_test(services, checked.profile_set))
    folder = profiles_folder(services.settings)
    with locked(folder):
        ledger = read_ledger(folder)
        if active_profiles(services).profile_set.version != active.profile_set.version:
            raise ApiProblem(409, "the published set changed while the proposal was checked; "
                                  "check it again", kind="stale-proposal")
        twin = next((p for p in ledger.pending() if p.version == checked.profile_set.version),
                    None)
        if twin is not None:
            raise ApiProblem(409, f"version {twin.version} already awaits approval as "
                                  f"{twin.id} (proposed by {twin.proposed_by})",
                             kind="already-pending", publication=twin.id)
        pub = Publication(
            id=ledger.next_id(), version=checked.profile_set.version,
            previous_version=active.profile_set.version, proposed_by=principal.subject_id,
            proposed_at=datetime.now(UTC), rationale=rationale.strip(),
            files=dict(checked.files), added=list(checked.added),
            edited=list(checked.edited), removed=list(checked.removed),
            diff=unified_diff(active.files, checked.files), back_test=tested)
        saved = ledger_bytes(folder)
        ledger.publications.append(pub)
        write_ledger(folder, ledger)
        try:
            seq = _log_step(services, "profiles_proposal", {
                "publication_id": pub.id, "rationale": pub.rationale, "files": pub.files,
            }, lambda sealed: ProfilesProposed(
                publication_id=pub.id, version_before=pub.previous_version,
                version_after=pub.version, proposed_by=pub.proposed_by,
                files_hash=profile_files_hash(pub.files), rationale_commitment=sealed),
                pub.proposed_at, "nothing was proposed")
        except Exception:
            restore_ledger(folder, saved)
            raise
        pub.proposed_log_seq = seq
        _note_seq(folder, ledger, pub)
    log.info("risk profiles %s proposed by %s as %s (published: %s)", pub.version,
             principal.subject_id, pub.id, pub.previous_version)
    return pub


def _pending(pub: Publication) -> None:
    if pub.state != PublicationState.PENDING:
        by = f" by {pub.decided_by}" if pub.decided_by else ""
        raise ApiProblem(409, f"publication {pub.id} is {pub.state.value}{by}; only a pending "
                              "version can be decided", kind="not-pending", state=pub.state.value)


def approve(services: Services, principal: Principal, publication_id: str,
            note: str = "") -> Publication:
    """Write a pending version where the service reads it, record author and approver, and
    switch the scorer.

    403 without ``model:approve`` or for the person who proposed it (independent review);
    409 when it is no longer pending or the published set moved on since it was proposed.
    """
    services.workflow.check(principal, APPROVE_PERMISSION, RESOURCE)
    folder = profiles_folder(services.settings)
    with locked(folder):
        ledger = read_ledger(folder)
        pub = ledger.find(publication_id)
        _pending(pub)
        if principal.subject_id == pub.proposed_by:
            raise ApiProblem(
                403, f"independent review required: {principal.subject_id} proposed "
                     f"{pub.id}; another person holding {APPROVE_PERMISSION.value} must "
                     "approve it", kind="independent-review-required", publication=pub.id)
        active = active_profiles(services)
        if active.profile_set.version != pub.previous_version:
            raise ApiProblem(
                409, f"{pub.id} was proposed on version {pub.previous_version}, but "
                     f"{active.profile_set.version} is published now; reject it and propose "
                     "the change again on the current set", kind="stale-proposal")
        checked = check_files(active, pub.files, next(iter(pub.files), "profiles.yaml"))
        if not checked.ok or checked.profile_set is None \
                or checked.profile_set.version != pub.version:
            raise refuse(checked, f"{pub.id} no longer loads as version {pub.version}; "
                                  "nothing was published")
        now = datetime.now(UTC)
        snapshot = _Snapshot.of(folder, active)
        try:
            pub.recorded = _write(folder, active, pub, principal.subject_id, now)
            pub.state, pub.decided_by, pub.decided_at = (PublicationState.APPROVED,
                                                         principal.subject_id, now)
            pub.decision_reason = note.strip()
            superseded = [other for other in ledger.pending()
                          if other.previous_version == pub.previous_version]
            for other in superseded:
                other.state, other.superseded_by = PublicationState.SUPERSEDED, pub.id
                other.decided_at = now
            write_ledger(folder, ledger)
            seq = _log_step(services, "profiles_approval", {
                "publication_id": pub.id, "note": pub.decision_reason,
            }, lambda sealed: ProfilesApproved(
                publication_id=pub.id, version_before=pub.previous_version,
                version_after=pub.version, proposed_by=pub.proposed_by,
                approved_by=principal.subject_id, files_hash=profile_files_hash(pub.files),
                note_commitment=sealed, superseded=tuple(o.id for o in superseded)),
                now, "nothing was published")
        except Exception:
            snapshot.restore()
            raise
        pub.decided_log_seq = seq
        _note_seq(folder, ledger, pub)
    active_profiles(services)  # this process takes the written set now
    scorer = follow_published(services)
    if scorer.ready:
        scorer.get()  # the built scorer takes the new set now, not at its next request
    log.info("risk profiles %s (%s) proposed by %s approved by %s (was %s)", pub.version,
             pub.id, pub.proposed_by, principal.subject_id, pub.previous_version)
    return pub


def reject(services: Services, principal: Principal, publication_id: str,
           reason: str) -> Publication:
    """Close a pending version with a reason; the published set and scoring stay as they are."""
    services.workflow.check(principal, APPROVE_PERMISSION, RESOURCE)
    if not reason.strip():
        raise ApiProblem(422, "a rejection needs a reason", kind="invalid-input")
    folder = profiles_folder(services.settings)
    with locked(folder):
        ledger = read_ledger(folder)
        pub = ledger.find(publication_id)
        _pending(pub)
        saved = ledger_bytes(folder)
        now = datetime.now(UTC)
        pub.state, pub.decided_by, pub.decided_at = (PublicationState.REJECTED,
                                                     principal.subject_id, now)
        pub.decision_reason = reason.strip()
        write_ledger(folder, ledger)
        try:
            seq = _log_step(services, "profiles_rejection", {
                "publication_id": pub.id, "reason": pub.decision_reason,
            }, lambda sealed: ProfilesRejected(
                publication_id=pub.id, version_before=pub.previous_version,
                version_after=pub.version, proposed_by=pub.proposed_by,
                rejected_by=principal.subject_id, files_hash=profile_files_hash(pub.files),
                reason_commitment=sealed), now, "nothing was rejected")
        except Exception:
            restore_ledger(folder, saved)
            raise
        pub.decided_log_seq = seq
        _note_seq(folder, ledger, pub)
    log.info("risk profiles %s (%s) proposed by %s rejected by %s", pub.version, pub.id,
             pub.proposed_by, principal.subject_id)
    return pub


def _log_step(services: Services, kind: str, confidential: Mapping[str, Any],
              event: Callable[[str], LogEvent], at: datetime, outcome: str) -> int:
    """Seal the confidential text, log the event at ``at``; its sequence number.

    503 when the log does not take it (store down, log failing its own integrity check): the
    caller puts everything back, so the ledger never claims a step the log does not hold.
    """
    wf = services.workflow
    try:
        commitment = wf.keep_sealed(kind, confidential)
        return wf.log.append(event(commitment), at).leaf_index
    except Exception as exc:
        raise ApiProblem(503, f"the decision log did not take the record ({exc}); {outcome}",
                         kind="decision-log-unavailable") from exc


def _note_seq(folder: Path, ledger: Ledger, pub: Publication) -> None:
    """Keep the log sequence number in the ledger; the step itself is already done.

    The decision is in the ledger and the log by now, so failing here would report a step
    that happened as failed; the record is still found in the log by its publication id.
    """
    try:
        write_ledger(folder, ledger)
    except OSError:
        log.exception("%s: the decision log sequence number could not be added to the "
                      "ledger in %s", pub.id, folder)


def _write_folder(folder: Path, files: Mapping[str, str]) -> None:
    """Each file written beside its final name and renamed over it; old files removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        part = folder / f".{name}.part"
        part.write_text(text, encoding="utf-8")
        os.replace(part, folder / name)
    for old in yaml_files(folder):
        if old.name not in files:
            old.unlink()


class _Snapshot:
    """The profile files, change log and ledger as they were, to put back if an approval
    fails."""

    def __init__(self, folder: Path, files: Mapping[str, str], log: bytes | None,
                 ledger: bytes | None) -> None:
        self.folder, self.files, self.log, self.ledger = folder, files, log, ledger

    @classmethod
    def of(cls, folder: Path, active: ActiveProfiles) -> _Snapshot:
        """What ``folder`` holds now (nothing published yet: no profile file)."""
        log_path = folder / CHANGE_LOG_NAME
        return cls(folder, dict(active.files) if active.published else {},
                   log_path.read_bytes() if log_path.exists() else None, ledger_bytes(folder))

    def restore(self) -> None:
        """Write the files, the change log and the ledger back as they were."""
        _write_folder(self.folder, self.files)
        log_path = self.folder / CHANGE_LOG_NAME
        if self.log is None:
            log_path.unlink(missing_ok=True)
        else:
            log_path.write_bytes(self.log)
        restore_ledger(self.folder, self.ledger)


def _write(folder: Path, active: ActiveProfiles, pub: Publication, approver: str,
           at: datetime) -> list[dict[str, Any]]:
    """Write the approved set and add its change records (author and approver)."""
    log_path = folder / CHANGE_LOG_NAME
    if not log_path.exists() and not active.published:
        # The shipped history continues in the published folder.
        shipped_log = active.folder / CHANGE_LOG_NAME
        if shipped_log.exists():
            shutil.copyfile(shipped_log, log_path)
    _write_folder(folder, pub.files)
    written = load_profile_set(folder)
    if written.version != pub.version:
        raise ValueError(f"{folder} loads as {written.version}, not {pub.version}")
    recorded = record_changes(log_path, written, pub.proposed_by, pub.rationale, at,
                              approved_by=approver)
    return [c.to_json() for c in recorded]
