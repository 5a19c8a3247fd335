"""Canonical encoding and salted commitments of log events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tradeguard.decisions.events import (
    EVENT_TYPES,
    AppealFiled,
    AppealResolved,
    DecisionScored,
    EgressSent,
    EventType,
    LogRecord,
    ModelRegistered,
    MonitoringWindow,
    Opening,
    WaiverGranted,
    canonical_json,
    decode_record,
    opens,
    seal,
    utc_timestamp,
)


def test_every_event_kind_round_trips_through_its_canonical_bytes() -> None:
    c, _ = seal({"text": "x"})
    events = [
        DecisionScored("E-1", 2, "m", "f", 0.25, 0.7, "green", ("A", "B"), {"model": "2"}, c),
        AppealFiled("AP1", "N1", "E-1", "IMP-1", c),
        AppealResolved("AP1", "sup-2", "overturned", c),
        ModelRegistered("risk", "1.2.0", "sha256:aa", "sha256:bb", "owner-1"),
        MonitoringWindow("risk", "2026-01-01", "2026-01-31", "sha256:cc", ("psi_drift",)),
        WaiverGranted("W1", "fairness test", "caio", "2027-01-01", c),
        EgressSent("acme", "eval", "4.2", "dd", ("hts_code", "value"), 10, 2),
    ]
    # Registry and UFLPA events round-trip in test_events_registry.py, risk-profile
    # publications in test_events_profiles.py.
    assert {e.event_type for e in events} | {
        EventType.DECISION_HUMAN_ACTION,
        EventType.NOTICE_SENT,
        EventType.MODEL_APPROVED,
        EventType.MODEL_REVOKED,
        EventType.MODEL_ROLLED_BACK,
        EventType.KILL_SWITCH_CHANGED,
        EventType.UFLPA_SUBMISSION,
        EventType.PROFILES_PROPOSED,
        EventType.PROFILES_APPROVED,
        EventType.PROFILES_REJECTED,
    } == set(EVENT_TYPES)
    for seq, event in enumerate(events):
        record = LogRecord(seq, "2026-01-01T00:00:00.000000Z", event)
        assert decode_record(record.canonical()) == record


def test_canonical_form_is_key_order_independent_and_rejects_nan() -> None:
    assert canonical_json({"b": 1, "a": [1.5, "é"]}) == canonical_json({"a": [1.5, "é"], "b": 1})
    assert canonical_json({"a": "é"}) == '{"a":"é"}'.encode()
    with pytest.raises(ValueError, match="finite"):
        canonical_json({"score": float("nan")})


def test_non_canonical_bytes_are_rejected() -> None:
    record = LogRecord(0, "2026-01-01T00:00:00.000000Z", AppealResolved("A", "r", "upheld", "c"))
    spaced = record.canonical().replace(b",", b", ")
    with pytest.raises(ValueError, match="canonical"):
        decode_record(spaced)
    with pytest.raises(ValueError):
        decode_record(record.canonical().replace(b'"upheld"', b'"upheld","extra":1'))


def test_commitment_hides_payload_and_opens_only_with_salt_and_payload() -> None:
    c1, o1 = seal({"rationale": "weight mismatch"})
    c2, _ = seal({"rationale": "weight mismatch"})
    assert c1 != c2  # salted: equal payloads are not linkable in the log
    assert "weight" not in c1
    assert opens(c1, o1)
    assert not opens(c1, Opening(o1.salt, {"rationale": "other"}))
    assert not opens(c1, Opening(b"\x00" * 16, o1.payload))


def test_times_are_utc_and_must_be_aware() -> None:
    assert utc_timestamp(datetime(2026, 1, 1, 12, tzinfo=UTC)) == "2026-01-01T12:00:00.000000Z"
    with pytest.raises(ValueError):
        utc_timestamp(datetime(2026, 1, 1))
