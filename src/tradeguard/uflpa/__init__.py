"""UFLPA detentions: the case state machine (detained, under review, released, excluded), its
30-day clock, evidence documents, a repository and the workflow that drives them."""

from tradeguard.uflpa.case import (
    CLOCK_DAYS,
    CaseEvent,
    CaseState,
    DetentionCase,
    EvidenceDocument,
    InvalidTransition,
    Outcome,
    SubmissionKind,
)
from tradeguard.uflpa.store import CaseRepository, InMemoryCaseRepository, JsonCaseStore
from tradeguard.uflpa.workflow import UflpaWorkflow, log_event

__all__ = [
    "CLOCK_DAYS",
    "CaseEvent",
    "CaseRepository",
    "CaseState",
    "DetentionCase",
    "EvidenceDocument",
    "InMemoryCaseRepository",
    "InvalidTransition",
    "JsonCaseStore",
    "Outcome",
    "SubmissionKind",
    "UflpaWorkflow",
    "log_event",
]
