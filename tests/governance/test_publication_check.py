"""The publication ledger against the decision log: agreement, and each kind of rewrite shows.

The records are built with the same event classes the service logs, so the check is tested on
what it will read; the API test beside the risk-profile tests drives the real service.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tradeguard.decisions import SqlLogStore, TransparencyLog
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.decisions.events import (
    LogEvent,
    ModelRegistered,
    ProfilesApproved,
    ProfilesProposed,
    ProfilesRejected,
    profile_files_hash,
)
from tradeguard.governance.oversight import OversightFacts, oversight_markdown
from tradeguard.governance.oversight_store import publication_records
from tradeguard.governance.publication_check import (
    LedgerEntry,
    check_publications,
    ledger_entries,
)
from tradeguard.governance.records import RegistryState

FILES_A = {"a.yaml": "profiles: []\n"}
FILES_B = {"b.yaml": "profiles:\n  - id: B\n"}


def _history() -> tuple[list[LedgerEntry], dict[int, LogEvent]]:
    """P-0001 approved (superseding P-0002), P-0003 rejected, P-0004 pending."""
    entries = [
        LedgerEntry("P-0001", "v2", "v1", "approved", "ana", FILES_A, decided_by="sup",
                    proposed_log_seq=10, decided_log_seq=12),
        LedgerEntry("P-0002", "v2b", "v1", "superseded", "bob", FILES_B,
                    superseded_by="P-0001", proposed_log_seq=11),
        LedgerEntry("P-0003", "v3", "v2", "rejected", "ana", FILES_B, decided_by="sup",
                    proposed_log_seq=13, decided_log_seq=14),
        LedgerEntry("P-0004", "v3b", "v2", "pending", "bob", FILES_A, proposed_log_seq=15),
    ]
    def proposed(pub: str, before: str, after: str, by: str, files: dict[str, str]) -> LogEvent:
        return ProfilesProposed(publication_id=pub, version_before=before, version_after=after,
                                proposed_by=by, files_hash=profile_files_hash(files),
                                rationale_commitment=f"sealed-{pub}")

    logged: dict[int, LogEvent] = {
        10: proposed("P-0001", "v1", "v2", "ana", FILES_A),
        11: proposed("P-0002", "v1", "v2b", "bob", FILES_B),
        12: ProfilesApproved(publication_id="P-0001", version_before="v1", version_after="v2",
                             proposed_by="ana", approved_by="sup",
                             files_hash=profile_files_hash(FILES_A), note_commitment="n",
                             superseded=("P-0002",)),
        13: proposed("P-0003", "v2", "v3", "ana", FILES_B),
        14: ProfilesRejected(publication_id="P-0003", version_before="v2", version_after="v3",
                             proposed_by="ana", rejected_by="sup",
                             files_hash=profile_files_hash(FILES_B), reason_commitment="r"),
        15: proposed("P-0004", "v2", "v3b", "bob", FILES_A),
    }
    return entries, logged


def test_a_faithful_ledger_agrees_with_the_log() -> None:
    entries, logged = _history()
    result = check_publications(entries, logged)
    assert result.agree, result.differences
    assert (result.publications, result.log_records) == (4, 6)
    assert "agree (4 publications, 6 log records)" in result.summary()


def test_each_rewrite_of_the_ledger_is_a_named_difference() -> None:
    entries, logged = _history()
    cases = {
        "proposed by mallory on the ledger": (0, {"proposed_by": "mallory"}, "proposed by ana"),
        "another approver": (0, {"decided_by": "ana"}, "decided by sup on the log, ana"),
        "edited files": (2, {"files": {"b.yaml": "profiles: [edited]\n"}}, "not the ones"),
        "rejected turned approved": (2, {"state": "approved"}, "is profiles.rejected, not"),
        "pending claims a decision": (3, {"decided_log_seq": 14}, "notes decision record #14"),
        "other version": (3, {"version": "v9"}, "v2->v3b on the log, v2->v9"),
        "seq pointing elsewhere": (3, {"proposed_log_seq": 13}, "record #13 is about P-0003"),
        "seq not on the log": (3, {"proposed_log_seq": 99}, "#99 is not a publication record"),
        "no seq noted": (3, {"proposed_log_seq": None}, "has no log record noted"),
        "superseded by a stranger": (1, {"superseded_by": "P-0003"}, "no logged approval"),
    }
    for name, (i, change, expected) in cases.items():
        edited = list(entries)
        edited[i] = replace(entries[i], **change)  # type: ignore[arg-type]
        result = check_publications(edited, logged)
        assert not result.agree, name
        assert any(expected in d for d in result.differences), (name, result.differences)
        assert result.summary().startswith("DIFFERENCE"), name


def test_a_publication_removed_from_the_ledger_shows_through_its_log_records() -> None:
    entries, logged = _history()
    result = check_publications([e for e in entries if e.id != "P-0003"], logged)
    assert result.differences == (
        "log record #13 (profiles.proposed of P-0003) is not in the ledger",
        "log record #14 (profiles.rejected of P-0003) is not in the ledger")


def test_ledger_entries_read_the_stored_document_and_name_a_broken_one() -> None:
    doc = {"publications": [{
        "id": "P-0001", "version": "v2", "previous_version": "v1", "state": "pending",
        "proposed_by": "ana", "files": FILES_A, "proposed_log_seq": 10, "rationale": "x"}]}
    (entry,) = ledger_entries(doc)
    assert entry == LedgerEntry("P-0001", "v2", "v1", "pending", "ana", FILES_A,
                                proposed_log_seq=10)
    del doc["publications"][0]["files"]
    try:
        ledger_entries(doc)
    except ValueError as exc:
        assert "publication #1 (P-0001)" in str(exc) and "files" in str(exc)
    else:
        raise AssertionError("a ledger entry without files was accepted")


def test_the_oversight_report_states_the_comparison() -> None:
    entries, logged = _history()
    base = OversightFacts(as_of=date(2026, 11, 26), registry=RegistryState())
    assert "Publication ledger" not in oversight_markdown(base)
    facts = replace(base, publications=check_publications(entries[:-1], logged))
    text = oversight_markdown(facts)
    assert "DIFFERENCE between publication ledger and decision log: 1" in text
    assert "log record #15 (profiles.proposed of P-0004) is not in the ledger" in text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_publication_records_are_read_by_type_from_the_stored_log(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}" if backend == "sqlite" \
        else request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    prefix = f"pubcheck_{uuid.uuid4().hex[:8]}"
    store = SqlLogStore(engine, prefix=prefix)
    try:
        log = TransparencyLog(store, derive_development_signer("s", "test.tradeguard/log"))
        entries, logged = _history()
        log.append_many([ModelRegistered("model:line", "v1", "ab", "cd", "ds.alice"),
                         *(logged[k] for k in sorted(logged))])
        read = publication_records(engine, prefix)
        assert read == {seq + 1 - 10: event for seq, event in logged.items()}
        shifted = [replace(e, proposed_log_seq=e.proposed_log_seq - 9 if e.proposed_log_seq
                           else None, decided_log_seq=e.decided_log_seq - 9
                           if e.decided_log_seq else None) for e in entries]
        assert check_publications(shifted, read).agree
    finally:
        store.drop_tables()
        engine.dispose()


def test_no_log_tables_means_no_publication_records(tmp_path: Path) -> None:
    assert publication_records(sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")) == {}
