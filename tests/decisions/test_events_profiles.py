"""Risk-profile publication events: canonical round trip, sealed text, and log verification."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tradeguard.decisions import LogSigner, MemoryLogStore, TransparencyLog, verify_log
from tradeguard.decisions.events import (
    EVENT_TYPES,
    EventType,
    LogEvent,
    LogRecord,
    ModelApproved,
    Opening,
    ProfilesApproved,
    ProfilesProposed,
    ProfilesRejected,
    decode_record,
    opens,
    profile_files_hash,
    seal,
)
from tradeguard.decisions.merkle import leaf_hash

FILES = {"textiles.yaml": "profiles:\n  - id: TX-1\n    title: Undervalued knitwear\n",
         "steel.yaml": "profiles:\n  - id: ST-4\n    title: Transshipped coil\n"}
RATIONALE = "Knitwear from the referral of 3 March is routed to exam."


def _events() -> tuple[list[LogEvent], dict[str, Opening]]:
    """A proposal, its approval and a rejected rival; the sealed openings by commitment."""
    openings: dict[str, Opening] = {}

    def sealed(payload: dict[str, object]) -> str:
        commitment, opening = seal(payload)
        openings[commitment] = opening
        return commitment

    files_hash = profile_files_hash(FILES)
    events: list[LogEvent] = [
        ProfilesProposed(publication_id="P-0001", version_before="a" * 16,
                         version_after="b" * 16, proposed_by="analyst",
                         files_hash=files_hash,
                         rationale_commitment=sealed({"rationale": RATIONALE, "files": FILES})),
        ProfilesApproved(publication_id="P-0001", version_before="a" * 16,
                         version_after="b" * 16, proposed_by="analyst", approved_by="supervisor",
                         files_hash=files_hash, note_commitment=sealed({"note": "Seen."}),
                         superseded=("P-0002",)),
        ProfilesRejected(publication_id="P-0003", version_before="b" * 16,
                         version_after="c" * 16, proposed_by="analyst", rejected_by="supervisor",
                         files_hash="0" * 64,
                         reason_commitment=sealed({"reason": "Referral closed."})),
    ]
    return events, openings


@pytest.mark.parametrize("index", [0, 1, 2])
def test_profile_events_round_trip_through_canonical_form(index: int) -> None:
    event = _events()[0][index]
    record = LogRecord(11, "2026-11-26T09:00:00.000000Z", event)
    again = decode_record(record.canonical())
    assert again == record and again.canonical() == record.canonical()
    assert EVENT_TYPES[record.event_type] is type(event)


def test_profile_event_names_follow_the_log_style() -> None:
    assert [e.event_type.value for e in _events()[0]] == [
        "profiles.proposed", "profiles.approved", "profiles.rejected"]
    assert EventType("profiles.approved") is EventType.PROFILES_APPROVED
    assert len(set(EventType)) == len(EVENT_TYPES)


def test_public_fields_are_what_an_oversight_body_may_see() -> None:
    proposed, approved, rejected = _events()[0]
    assert set(proposed.payload()) == {"publication_id", "version_before", "version_after",
                                       "proposed_by", "files_hash", "rationale_commitment"}
    assert set(approved.payload()) == {"publication_id", "version_before", "version_after",
                                       "proposed_by", "approved_by", "files_hash",
                                       "note_commitment", "superseded"}
    assert set(rejected.payload()) == {"publication_id", "version_before", "version_after",
                                       "proposed_by", "rejected_by", "files_hash",
                                       "reason_commitment"}


def test_rationale_reasons_and_file_text_are_sealed_not_logged() -> None:
    events, openings = _events()
    for seq, event in enumerate(events):
        canonical = LogRecord(seq, "2026-11-26T09:00:00.000000Z", event).canonical()
        for secret in ("Knitwear", "Undervalued", "TX-1", "Seen.", "Referral closed"):
            assert secret.encode() not in canonical
        payload = event.payload()
        commitment = next(v for k, v in payload.items() if k.endswith("_commitment"))
        assert opens(commitment, openings[commitment])
        other = dataclasses.replace(openings[commitment], payload={"reason": "something else"})
        assert not opens(commitment, other)


def test_files_hash_fixes_the_files_and_not_their_order() -> None:
    reordered = dict(reversed(list(FILES.items())))
    assert profile_files_hash(reordered) == profile_files_hash(FILES)
    edited = {**FILES, "steel.yaml": FILES["steel.yaml"].replace("ST-4", "ST-5")}
    assert profile_files_hash(edited) != profile_files_hash(FILES)
    renamed = {"steel2.yaml" if k == "steel.yaml" else k: v for k, v in FILES.items()}
    assert profile_files_hash(renamed) != profile_files_hash(FILES)
    assert len(profile_files_hash(FILES)) == 64


def test_unknown_field_in_a_profile_event_is_rejected() -> None:
    good = LogRecord(1, "2026-11-26T09:00:00.000000Z", _events()[0][2]).canonical()
    with pytest.raises(ValueError, match="unknown fields"):
        decode_record(good.replace(b'"proposed_by"', b'"extra":1,"proposed_by"'))


def test_a_log_with_profile_events_verifies_and_names_an_edited_approval(
        signer: LogSigner) -> None:
    log = TransparencyLog(MemoryLogStore(), signer)
    events = _events()[0]
    log.append(ModelApproved(model_id="model:line", version="v2", artifact_hash="ab" * 32,
                             approved_by="sup.bob", valid_until="2027-03-01"))
    receipts = [log.append(e) for e in events]
    assert [r.leaf_index for r in receipts] == [1, 2, 3]
    assert verify_log(log.store, signer.verifier_key).ok
    assert log.read(2).event == events[1]

    # Someone rewrites who approved P-0001, leaf hash recomputed: the signed heads catch it.
    store = log.store
    assert isinstance(store, MemoryLogStore)
    rec = store.stored_records[2]
    doc = json.loads(rec.canonical)
    doc["event"]["approved_by"] = "analyst"
    forged = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    store.stored_records[2] = dataclasses.replace(rec, canonical=forged,
                                                  leaf_hash=leaf_hash(forged))
    result = verify_log(store, signer.verifier_key)
    assert not result.ok and result.first_bad is not None and result.first_bad.index == 2
