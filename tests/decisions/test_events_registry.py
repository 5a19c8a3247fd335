"""The registry and UFLPA-submission events: canonical round trip, and old encodings unchanged."""

from __future__ import annotations

import hashlib

import pytest

from tradeguard.decisions import LogSigner, MemoryLogStore, TransparencyLog, verify_log
from tradeguard.decisions.events import (
    EVENT_TYPES,
    EventType,
    KillSwitchChanged,
    LogRecord,
    ModelApproved,
    ModelRegistered,
    ModelRevoked,
    ModelRolledBack,
    UflpaSubmission,
    decode_record,
)

NEW_EVENTS = [
    ModelApproved(model_id="model:line", version="v2", artifact_hash="ab" * 32,
                  approved_by="sup.bob", valid_until="2027-03-01",
                  audit_evidence_hash="e" * 64, waivers=("W-1",)),
    ModelRevoked(model_id="model:line", version="v2", revoked_by="sup.bob",
                 reason_commitment="c" * 64, active_version=None),
    ModelRolledBack(model_id="model:line", from_version="v2", to_version="v1",
                    rolled_back_by="sup.bob", reason_commitment="d" * 64),
    KillSwitchChanged(engaged=True, changed_by="caio.carol", reason_commitment="f" * 64),
    UflpaSubmission(entry_number="ABC-1234567-8", importer_id="imp", kind="exception_request",
                    filed_on="2026-07-03", document_hashes=("a" * 64, "b" * 64),
                    documents_hash="0" * 64),
]


@pytest.mark.parametrize("event", NEW_EVENTS, ids=lambda e: e.event_type.value)
def test_new_events_round_trip_through_canonical_form(event: object) -> None:
    record = LogRecord(7, "2026-03-01T09:00:00.000000Z", event)  # type: ignore[arg-type]
    again = decode_record(record.canonical())
    assert again == record and again.canonical() == record.canonical()
    assert EVENT_TYPES[record.event_type] is type(event)


def test_event_type_names_are_the_documented_ones() -> None:
    assert {e.event_type.value for e in NEW_EVENTS} == {
        "model.approved", "model.revoked", "model.rolled_back", "killswitch.changed",
        "uflpa.submission"}
    assert len(set(EventType)) == len(EVENT_TYPES)  # every type decodes


def test_existing_event_encoding_is_unchanged() -> None:
    """A record written before the new types existed must hash to the same leaf."""
    record = LogRecord(0, "2026-01-01T00:00:00.000000Z", ModelRegistered(
        model_id="model:line", version="v1", artifact_hash="ab", card_hash="cd",
        registered_by="ds.alice"))
    expected = (b'{"event":{"artifact_hash":"ab","card_hash":"cd","model_id":"model:line",'
                b'"registered_by":"ds.alice","version":"v1"},"recorded_at":'
                b'"2026-01-01T00:00:00.000000Z","seq":0,"type":"model.registered","v":1}')
    assert record.canonical() == expected
    assert hashlib.sha256(record.canonical()).hexdigest() == hashlib.sha256(expected).hexdigest()


def test_unknown_field_in_new_event_is_rejected() -> None:
    good = LogRecord(1, "2026-01-01T00:00:00.000000Z", NEW_EVENTS[3]).canonical()
    tampered = good.replace(b'"engaged":true', b'"engaged":true,"extra":1')
    with pytest.raises(ValueError, match="unknown fields"):
        decode_record(tampered)


def test_new_events_verify_in_a_log(signer: LogSigner) -> None:
    log = TransparencyLog(MemoryLogStore(), signer)
    log.append_many(NEW_EVENTS)
    result = verify_log(log.store, signer.verifier_key)
    assert result.ok and log.size == len(NEW_EVENTS)
