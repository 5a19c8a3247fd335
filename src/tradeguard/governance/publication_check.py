"""Does the risk-profile publication ledger say what the decision log recorded?

The ledger (``publications.json``) is an ordinary file beside the published profiles: whoever
can write the folder can rewrite who proposed a version, who approved it, or the files it
holds. The decision log cannot be rewritten unnoticed, and every proposal and decision put one
record on it naming the publication, the versions, the people and a SHA-256 of the files. So
an auditor compares the two, both ways:

* each publication's records (at the sequence numbers the ledger notes) exist, are of the
  right kind and name the same publication, versions, people and files;
* a superseded version is named by the approval that superseded it;
* every publication record on the log belongs to a publication in the ledger at that sequence
  number (a publication removed from the ledger, or a decision the ledger no longer shows,
  is a difference).

Pure logic over plain values, so the CLI, the API and tests share it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tradeguard.decisions.events import (
    LogEvent,
    ProfilesApproved,
    ProfilesProposed,
    ProfilesRejected,
    profile_files_hash,
)

#: The ledger's file name in the published-profiles folder.
PUBLICATION_LEDGER = "publications.json"
#: Ledger states whose decision is on the log.
_DECIDED = {"approved": ProfilesApproved, "rejected": ProfilesRejected}


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger claims about one publication (the fields the log can confirm)."""

    id: str
    version: str
    previous_version: str
    state: str
    proposed_by: str
    files: Mapping[str, str]
    decided_by: str | None = None
    superseded_by: str | None = None
    proposed_log_seq: int | None = None
    decided_log_seq: int | None = None


@dataclass(frozen=True)
class PublicationCheck:
    """The comparison: how much was compared and every difference found, in ledger order."""

    publications: int
    log_records: int
    differences: tuple[str, ...]

    @property
    def agree(self) -> bool:
        """True when ledger and log say the same thing."""
        return not self.differences

    def summary(self) -> str:
        """One line for a report."""
        if self.agree:
            return (f"Publication ledger and decision log agree ({self.publications} "
                    f"publications, {self.log_records} log records).")
        return (f"DIFFERENCE between publication ledger and decision log: "
                f"{len(self.differences)} ({'; '.join(self.differences)})")


def ledger_entries(doc: Mapping[str, Any]) -> list[LedgerEntry]:
    """The entries of a ledger document as stored (``{"publications": [...]}``); a missing
    field is a ValueError naming the publication and the field."""
    out = []
    for i, pub in enumerate(doc.get("publications", [])):
        try:
            out.append(LedgerEntry(
                id=str(pub["id"]), version=str(pub["version"]),
                previous_version=str(pub["previous_version"]), state=str(pub["state"]),
                proposed_by=str(pub["proposed_by"]), files=dict(pub["files"]),
                decided_by=pub.get("decided_by"), superseded_by=pub.get("superseded_by"),
                proposed_log_seq=pub.get("proposed_log_seq"),
                decided_log_seq=pub.get("decided_log_seq")))
        except (KeyError, TypeError, ValueError) as exc:
            name = pub.get("id", "?") if isinstance(pub, dict) else "?"
            raise ValueError(f"publication #{i + 1} ({name}): missing or malformed field "
                             f"{exc}") from exc
    return out


def _mismatches(entry: LedgerEntry, event: LogEvent, person: str | None) -> list[str]:
    """Fields of one record that contradict the ledger entry."""
    assert isinstance(event, ProfilesProposed | ProfilesApproved | ProfilesRejected)
    out = []
    if event.version_before != entry.previous_version or event.version_after != entry.version:
        out.append(f"versions {event.version_before}->{event.version_after} on the log, "
                   f"{entry.previous_version}->{entry.version} in the ledger")
    if event.proposed_by != entry.proposed_by:
        out.append(f"proposed by {event.proposed_by} on the log, {entry.proposed_by} in the "
                   "ledger")
    if event.files_hash != profile_files_hash(entry.files):
        out.append("the ledger's files are not the ones the log committed to")
    decider = getattr(event, "approved_by", None) or getattr(event, "rejected_by", None)
    if decider is not None and decider != person:
        out.append(f"decided by {decider} on the log, {person} in the ledger")
    return out


def _record(entry: LedgerEntry, seq: int | None, kind: type[LogEvent], what: str,
            logged: Mapping[int, LogEvent]) -> list[str]:
    """The differences between one noted record and the ledger entry."""
    if seq is None:
        return [f"{entry.id}: its {what} has no log record noted"]
    event = logged.get(seq)
    if event is None:
        return [f"{entry.id}: its {what} record #{seq} is not a publication record on the log"]
    if not isinstance(event, kind):
        return [f"{entry.id}: record #{seq} is {event.event_type.value}, not its {what}"]
    if getattr(event, "publication_id", None) != entry.id:
        return [f"{entry.id}: record #{seq} is about "
                f"{getattr(event, 'publication_id', None)}"]
    person = entry.decided_by if kind is not ProfilesProposed else None
    return [f"{entry.id}: {what} record #{seq}: {m}" for m in _mismatches(entry, event, person)]


def check_publications(entries: Sequence[LedgerEntry],
                       logged: Mapping[int, LogEvent]) -> PublicationCheck:
    """Compare the ledger's ``entries`` with the log's publication records (``seq -> event``:
    every ``profiles.*`` record on the log)."""
    diffs: list[str] = []
    claimed: set[int] = set()
    approvals = {e.id: e for e in entries if e.state == "approved"}
    for entry in entries:
        diffs += _record(entry, entry.proposed_log_seq, ProfilesProposed, "proposal", logged)
        claimed.add(-1 if entry.proposed_log_seq is None else entry.proposed_log_seq)
        kind = _DECIDED.get(entry.state)
        if kind is not None:
            diffs += _record(entry, entry.decided_log_seq, kind, entry.state, logged)
            claimed.add(-1 if entry.decided_log_seq is None else entry.decided_log_seq)
        elif entry.decided_log_seq is not None:
            diffs.append(f"{entry.id}: {entry.state} in the ledger but notes decision record "
                         f"#{entry.decided_log_seq}")
        if entry.state == "superseded":
            winner = approvals.get(entry.superseded_by or "")
            event = logged.get(winner.decided_log_seq if winner and
                               winner.decided_log_seq is not None else -1)
            if not isinstance(event, ProfilesApproved) or entry.id not in event.superseded:
                diffs.append(f"{entry.id}: superseded by {entry.superseded_by} in the ledger, "
                             "which no logged approval confirms")
    for seq in sorted(set(logged) - claimed):
        event = logged[seq]
        diffs.append(f"log record #{seq} ({event.event_type.value} of "
                     f"{getattr(event, 'publication_id', '?')}) is not in the ledger")
    return PublicationCheck(len(entries), len(logged), tuple(diffs))
