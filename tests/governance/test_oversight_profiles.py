"""The oversight report counts risk-profile publications read from the decision log."""

from __future__ import annotations

from datetime import date

from tradeguard.decisions import LogSigner, MemoryLogStore, TransparencyLog
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.decisions.events import (
    ModelRegistered,
    ProfilesApproved,
    ProfilesProposed,
    ProfilesRejected,
)
from tradeguard.governance.oversight import OversightFacts, count_events, oversight_markdown
from tradeguard.governance.registry import Registry


def _log() -> TransparencyLog:
    signer: LogSigner = derive_development_signer("test-secret", "test.tradeguard/log")
    log = TransparencyLog(MemoryLogStore(), signer)
    common = {"version_before": "a" * 16, "proposed_by": "analyst", "files_hash": "f" * 64}
    log.append_many([
        ModelRegistered("model:line", "v1", "ab", "cd", "ds.alice"),
        ProfilesProposed(publication_id="P-0001", version_after="b" * 16,
                         rationale_commitment="1" * 64, **common),
        ProfilesProposed(publication_id="P-0002", version_after="c" * 16,
                         rationale_commitment="2" * 64, **common),
        ProfilesApproved(publication_id="P-0001", version_after="b" * 16,
                         approved_by="supervisor", note_commitment="3" * 64,
                         superseded=("P-0002",), **common),
        ProfilesProposed(publication_id="P-0003", version_after="d" * 16,
                         rationale_commitment="4" * 64, **common),
        ProfilesRejected(publication_id="P-0003", version_after="d" * 16,
                         rejected_by="supervisor", reason_commitment="5" * 64, **common),
    ])
    return log


def test_oversight_report_counts_profile_publications(registry: Registry) -> None:
    types, outcomes, ai = count_events(_log().store.records())
    assert (types["profiles.proposed"], types["profiles.approved"],
            types["profiles.rejected"]) == (3, 1, 1)
    md = oversight_markdown(OversightFacts(date(2026, 11, 26), registry.state(), types,
                                           outcomes, ai))
    assert "- Risk-profile publications logged: proposed: 3, approved: 1, rejected: 1" in md
    assert "model.registered: 1" in md


def test_a_log_without_profile_events_reports_zero(registry: Registry) -> None:
    md = oversight_markdown(OversightFacts(date(2026, 11, 26), registry.state()))
    assert "- Risk-profile publications logged: proposed: 0, approved: 0, rejected: 0" in md
