"""The tamper-evident decision log.

Every assessment, human action, notice, appeal, model registration, monitoring window, waiver
and vendor egress is one leaf of an RFC 6962 Merkle tree. Each append signs a C2SP checkpoint
with the log's Ed25519 key and returns a :class:`Receipt` the importer can verify offline with
:func:`verify_receipt`; :func:`verify_log` re-derives every hash from storage and names the
first record that was altered, removed, inserted or reordered.
"""

from tradeguard.decisions.checkpoint import (
    Checkpoint,
    CheckpointError,
    LogSigner,
    open_checkpoint,
    signer_from_settings,
)
from tradeguard.decisions.events import (
    AppealFiled,
    AppealResolved,
    DecisionScored,
    EgressSent,
    EventType,
    HumanAction,
    LogEvent,
    LogRecord,
    ModelRegistered,
    MonitoringWindow,
    NoticeSent,
    Opening,
    WaiverGranted,
    opens,
    seal,
)
from tradeguard.decisions.log_store import LogStore, MemoryLogStore, SqlLogStore
from tradeguard.decisions.transparency_log import (
    LogIntegrityError,
    LogVerification,
    Problem,
    Receipt,
    TransparencyLog,
    verify_log,
    verify_receipt,
)

__all__ = [
    "AppealFiled",
    "AppealResolved",
    "Checkpoint",
    "CheckpointError",
    "DecisionScored",
    "EgressSent",
    "EventType",
    "HumanAction",
    "LogEvent",
    "LogIntegrityError",
    "LogRecord",
    "LogSigner",
    "LogStore",
    "LogVerification",
    "MemoryLogStore",
    "ModelRegistered",
    "MonitoringWindow",
    "NoticeSent",
    "Opening",
    "Problem",
    "Receipt",
    "SqlLogStore",
    "TransparencyLog",
    "WaiverGranted",
    "open_checkpoint",
    "opens",
    "seal",
    "signer_from_settings",
    "verify_log",
    "verify_receipt",
]
