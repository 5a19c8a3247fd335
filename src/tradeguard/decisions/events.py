"""The events the decision log records, each a typed value with one canonical JSON form.

One leaf per event: every assessment, human action, notice, appeal, model registration,
monitoring window, waiver, vendor egress and risk-profile publication. The leaf data is the
canonical JSON of the event inside an envelope carrying its sequence number and time, so
editing, reordering or renumbering a stored record changes its leaf hash.

Sensitive payloads (full explanations, officer rationale, appeal grounds, waiver justification,
the text and rationale of a risk-profile proposal) never enter the log: the event carries a
salted SHA-256 commitment and the opening (salt + payload) is stored off-log, encrypted. The log
can then be shared with witnesses without leaking confidential business information or
targeting rules, and the payload can still be revealed to a court or inspector general and
checked against the log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

ENVELOPE_VERSION = 1
_COMMIT_DOMAIN = b"tradeguard commitment v1\x00"


class EventType(StrEnum):
    """The kinds of log record."""

    DECISION_SCORED = "decision.scored"
    DECISION_HUMAN_ACTION = "decision.human_action"
    NOTICE_SENT = "notice.sent"
    APPEAL_FILED = "appeal.filed"
    APPEAL_RESOLVED = "appeal.resolved"
    MODEL_REGISTERED = "model.registered"
    MONITORING_WINDOW = "monitoring.window"
    WAIVER_GRANTED = "waiver.granted"
    EGRESS_SENT = "egress.sent"
    MODEL_APPROVED = "model.approved"
    MODEL_REVOKED = "model.revoked"
    MODEL_ROLLED_BACK = "model.rolled_back"
    KILL_SWITCH_CHANGED = "killswitch.changed"
    UFLPA_SUBMISSION = "uflpa.submission"
    PROFILES_PROPOSED = "profiles.proposed"
    PROFILES_APPROVED = "profiles.approved"
    PROFILES_REJECTED = "profiles.rejected"


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, finite numbers only: one byte string per value."""
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:  # NaN or infinity has no JSON form
        raise ValueError(f"cannot be logged (not a finite number): {exc}") from exc
    return text.encode("utf-8")


@dataclass(frozen=True, slots=True)
class Opening:
    """What reveals a commitment: the salt and the payload. Kept off-log, encrypted."""

    salt: bytes
    payload: Mapping[str, Any]

    def commitment(self) -> str:
        """The hex commitment this opening reveals."""
        digest = hashlib.sha256(_COMMIT_DOMAIN + self.salt + canonical_json(self.payload))
        return digest.hexdigest()


def seal(payload: Mapping[str, Any]) -> tuple[str, Opening]:
    """Commit to a sensitive payload; returns (commitment for the log, opening to keep)."""
    opening = Opening(secrets.token_bytes(16), dict(payload))
    return opening.commitment(), opening


def opens(commitment: str, opening: Opening) -> bool:
    """True when ``opening`` is the payload the logged ``commitment`` was made to."""
    return hmac.compare_digest(commitment, opening.commitment())


@dataclass(frozen=True, slots=True)
class LogEvent:
    """Base of every event: subclasses set ``event_type`` and add typed fields."""

    event_type: ClassVar[EventType]

    def payload(self) -> dict[str, Any]:
        """The JSON form of the event's fields (tuples as lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> LogEvent:
        """Rebuild the typed event from its JSON form (lists back to tuples)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(payload) - names
        if unknown:
            raise ValueError(f"{cls.event_type}: unknown fields {sorted(unknown)}")
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in payload.items()}
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class DecisionScored(LogEvent):
    """A line was scored: the model and inputs that ran, the score, lane and reasons."""

    event_type: ClassVar[EventType] = EventType.DECISION_SCORED
    entry_number: str
    line_number: int | None
    model_hash: str
    feature_vector_hash: str
    score: float
    threshold: float
    lane: str
    reason_codes: tuple[str, ...] = ()
    versions: Mapping[str, str] = field(default_factory=dict)
    explanation_commitment: str | None = None


@dataclass(frozen=True, slots=True)
class HumanAction(LogEvent):
    """An officer acted on an assessment; the rationale is committed, not stored."""

    event_type: ClassVar[EventType] = EventType.DECISION_HUMAN_ACTION
    entry_number: str
    line_number: int | None
    officer_id: str
    action: str
    rationale_commitment: str
    ai_assisted: bool = True


@dataclass(frozen=True, slots=True)
class NoticeSent(LogEvent):
    """A notice went to the importer or broker; its content is fixed by hash."""

    event_type: ClassVar[EventType] = EventType.NOTICE_SENT
    notice_id: str
    entry_number: str
    importer_id: str
    content_hash: str
    channel: str
    delivered_at: str


@dataclass(frozen=True, slots=True)
class AppealFiled(LogEvent):
    """An importer contested a decision."""

    event_type: ClassVar[EventType] = EventType.APPEAL_FILED
    appeal_id: str
    notice_id: str
    entry_number: str
    importer_id: str
    grounds_commitment: str


@dataclass(frozen=True, slots=True)
class AppealResolved(LogEvent):
    """A reviewer other than the original officer decided an appeal."""

    event_type: ClassVar[EventType] = EventType.APPEAL_RESOLVED
    appeal_id: str
    reviewer_id: str
    outcome: str  # upheld | overturned | modified
    reasons_commitment: str


@dataclass(frozen=True, slots=True)
class ModelRegistered(LogEvent):
    """A model artifact entered the registry (content-addressed)."""

    event_type: ClassVar[EventType] = EventType.MODEL_REGISTERED
    model_id: str
    version: str
    artifact_hash: str
    card_hash: str
    registered_by: str


@dataclass(frozen=True, slots=True)
class MonitoringWindow(LogEvent):
    """A monitoring window closed: the metrics document hash and the alerts it raised."""

    event_type: ClassVar[EventType] = EventType.MONITORING_WINDOW
    model_id: str
    window_start: str
    window_end: str
    metrics_hash: str
    alerts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WaiverGranted(LogEvent):
    """A waiver of a required practice, with its scope, signer and expiry."""

    event_type: ClassVar[EventType] = EventType.WAIVER_GRANTED
    waiver_id: str
    scope: str
    signed_by: str
    expires_on: str
    justification_commitment: str


@dataclass(frozen=True, slots=True)
class EgressSent(LogEvent):
    """Data left for a vendor: which fields, how many rows, why, and the payload hash."""

    event_type: ClassVar[EventType] = EventType.EGRESS_SENT
    vendor: str
    purpose: str
    contract_clause: str
    payload_hash: str
    fields: tuple[str, ...]
    row_count: int
    canary_count: int


@dataclass(frozen=True, slots=True)
class ModelApproved(LogEvent):
    """A registered version was approved and became the active one for its name."""

    event_type: ClassVar[EventType] = EventType.MODEL_APPROVED
    model_id: str
    version: str
    artifact_hash: str
    approved_by: str
    valid_until: str
    audit_evidence_hash: str | None = None
    waivers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelRevoked(LogEvent):
    """A version was revoked for good; ``active_version`` is what took over (None: nothing)."""

    event_type: ClassVar[EventType] = EventType.MODEL_REVOKED
    model_id: str
    version: str
    revoked_by: str
    reason_commitment: str
    active_version: str | None = None


@dataclass(frozen=True, slots=True)
class ModelRolledBack(LogEvent):
    """The active version was withdrawn and the previous approved one reinstated."""

    event_type: ClassVar[EventType] = EventType.MODEL_ROLLED_BACK
    model_id: str
    from_version: str
    to_version: str
    rolled_back_by: str
    reason_commitment: str


@dataclass(frozen=True, slots=True)
class KillSwitchChanged(LogEvent):
    """AI-assisted lanes were switched off (engaged) or back on (released)."""

    event_type: ClassVar[EventType] = EventType.KILL_SWITCH_CHANGED
    engaged: bool
    changed_by: str
    reason_commitment: str


@dataclass(frozen=True, slots=True)
class UflpaSubmission(LogEvent):
    """An importer filed evidence on a detained entry; the documents are fixed by SHA-256."""

    event_type: ClassVar[EventType] = EventType.UFLPA_SUBMISSION
    entry_number: str
    importer_id: str
    kind: str
    filed_on: str
    document_hashes: tuple[str, ...]
    documents_hash: str


def profile_files_hash(files: Mapping[str, str]) -> str:
    """SHA-256 of a proposed profile set's files (canonical JSON of name -> text).

    Anyone handed the files (from the publication ledger or a revealed opening) can recompute
    it and check they are the ones that were proposed and decided on.
    """
    return hashlib.sha256(canonical_json(dict(files))).hexdigest()


@dataclass(frozen=True, slots=True)
class ProfilesProposed(LogEvent):
    """An analyst proposed a new version of the risk-profile set; scoring is unchanged until
    another person approves it. The files and rationale are committed, not stored."""

    event_type: ClassVar[EventType] = EventType.PROFILES_PROPOSED
    publication_id: str
    version_before: str
    version_after: str
    proposed_by: str
    files_hash: str
    rationale_commitment: str


@dataclass(frozen=True, slots=True)
class ProfilesApproved(LogEvent):
    """A second person approved a proposed profile set and scoring now uses it; the other
    proposals on the same base were superseded."""

    event_type: ClassVar[EventType] = EventType.PROFILES_APPROVED
    publication_id: str
    version_before: str
    version_after: str
    proposed_by: str
    approved_by: str
    files_hash: str
    note_commitment: str
    superseded: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProfilesRejected(LogEvent):
    """A proposed profile set was rejected; the published set stays as it was."""

    event_type: ClassVar[EventType] = EventType.PROFILES_REJECTED
    publication_id: str
    version_before: str
    version_after: str
    proposed_by: str
    rejected_by: str
    files_hash: str
    reason_commitment: str


EVENT_TYPES: Mapping[EventType, type[LogEvent]] = {
    cls.event_type: cls
    for cls in (
        DecisionScored,
        HumanAction,
        NoticeSent,
        AppealFiled,
        AppealResolved,
        ModelRegistered,
        MonitoringWindow,
        WaiverGranted,
        EgressSent,
        ModelApproved,
        ModelRevoked,
        ModelRolledBack,
        KillSwitchChanged,
        UflpaSubmission,
        ProfilesProposed,
        ProfilesApproved,
        ProfilesRejected,
    )
}


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds: the one time format records carry."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("record times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One stored leaf: sequence number, time, and the event in canonical form."""

    seq: int
    recorded_at: str
    event: LogEvent

    @property
    def event_type(self) -> EventType:
        """The kind of event."""
        return self.event.event_type

    def canonical(self) -> bytes:
        """The exact bytes hashed into the tree."""
        return canonical_json(
            {
                "v": ENVELOPE_VERSION,
                "seq": self.seq,
                "recorded_at": self.recorded_at,
                "type": self.event.event_type.value,
                "event": self.event.payload(),
            }
        )


def decode_record(canonical: bytes) -> LogRecord:
    """Parse stored canonical bytes back into a record; raises ValueError when malformed.

    Re-encoding must give the same bytes, so a record that parses but was not written by
    :meth:`LogRecord.canonical` (reordered keys, extra spaces) is rejected too.
    """
    try:
        doc = json.loads(canonical.decode("utf-8"))
        if doc.get("v") != ENVELOPE_VERSION:
            raise ValueError(f"unknown record version {doc.get('v')!r}")
        cls = EVENT_TYPES[EventType(doc["type"])]
        record = LogRecord(int(doc["seq"]), str(doc["recorded_at"]), cls.from_payload(doc["event"]))
    except (UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed record: {exc}") from exc
    if record.canonical() != canonical:
        raise ValueError("record bytes are not in canonical form")
    return record
