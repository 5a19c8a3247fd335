"""The decision log end to end: receipts, and tamper detection on every storage backend."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator, Sequence

import pytest
import sqlalchemy as sa

from tradeguard.decisions import (
    LogIntegrityError,
    LogSigner,
    MemoryLogStore,
    Receipt,
    SqlLogStore,
    TransparencyLog,
    verify_log,
    verify_receipt,
)
from tradeguard.decisions.checkpoint import derive_development_signer, open_checkpoint
from tradeguard.decisions.log_store import LogStore, StoredHead, StoredRecord
from tradeguard.decisions.merkle import leaf_hash, verify_consistency

from .samples import StepClock, sample_events

N = 12


def test_receipt_verifies_offline_and_rejects_any_change(signer: LogSigner) -> None:
    log = TransparencyLog(MemoryLogStore(), signer, clock=StepClock())
    receipts = [log.append(e) for e in sample_events(7)]
    vkey = signer.verifier_key
    for r in receipts:
        record = log.read(r.leaf_index).canonical()
        assert verify_receipt(r, vkey, record)
        assert verify_receipt(Receipt.from_json(r.to_json()), vkey, record)
    r = receipts[5]
    assert not verify_receipt(r, vkey, log.read(4).canonical())  # someone else's record
    assert not verify_receipt(dataclasses.replace(r, leaf_index=4), vkey)
    assert not verify_receipt(dataclasses.replace(r, tree_size=7), vkey)
    flipped = bytes([r.leaf_hash[0] ^ 1]) + r.leaf_hash[1:]
    assert not verify_receipt(dataclasses.replace(r, leaf_hash=flipped), vkey)
    bad_proof = (bytes(32), *r.inclusion_proof[1:])
    assert not verify_receipt(dataclasses.replace(r, inclusion_proof=bad_proof), vkey)
    forged_note = r.checkpoint.replace("\n6\n", "\n5\n", 1)
    assert not verify_receipt(dataclasses.replace(r, checkpoint=forged_note), vkey)
    other = derive_development_signer("another-secret", signer.name)
    assert not verify_receipt(r, other.verifier_key)


def test_later_heads_are_consistent_with_a_receipt(signer: LogSigner) -> None:
    log = TransparencyLog(MemoryLogStore(), signer, clock=StepClock())
    first = log.append(sample_events(1)[0])
    log.append_many(sample_events(9))
    old = open_checkpoint(first.checkpoint, signer.verifier_key)
    new = log.checkpoint()
    assert new is not None and new.size == 10
    assert verify_consistency(
        old.size, new.size, old.root, new.root, log.consistency_proof(old.size)
    )


def test_batch_append_signs_one_head_and_every_receipt_verifies(signer: LogSigner) -> None:
    store = MemoryLogStore()
    log = TransparencyLog(store, signer, clock=StepClock())
    receipts = log.append_many(sample_events(5))
    assert len(store.stored_heads) == 1
    assert all(
        verify_receipt(r, signer.verifier_key, log.read(r.leaf_index).canonical()) for r in receipts
    )


def test_reopening_refuses_a_store_that_does_not_match_its_head(signer: LogSigner) -> None:
    store = MemoryLogStore()
    log = TransparencyLog(store, signer, clock=StepClock())
    log.append_many(sample_events(3))
    assert TransparencyLog(store, signer).size == 3
    store.stored_records.pop()
    with pytest.raises(LogIntegrityError):
        TransparencyLog(store, signer)


# --- tampering, on every backend -------------------------------------------------------------


def _rewrite_memory(store: LogStore, records: list[StoredRecord]) -> None:
    assert isinstance(store, MemoryLogStore)
    store.stored_records[:] = records


def _rewrite_sql(store: LogStore, records: list[StoredRecord]) -> None:
    """Change the tables directly, behind the log's back, as an intruder with DB access would."""
    assert isinstance(store, SqlLogStore)
    table = store.tables.records
    with store.engine.begin() as conn:
        conn.execute(sa.delete(table))
        if records:
            conn.execute(sa.insert(table), [dataclasses.asdict(r) for r in records])


Backend = tuple[LogStore, Callable[[LogStore, list[StoredRecord]], None]]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Backend]:
    if request.param == "memory":
        yield MemoryLogStore(), _rewrite_memory
        return
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path}/log.db")
        yield SqlLogStore(engine), _rewrite_sql
        engine.dispose()
        return
    url = request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    store = SqlLogStore(engine, prefix=f"t_{uuid.uuid4().hex[:12]}")
    try:
        yield store, _rewrite_sql
    finally:
        store.drop_tables()
        engine.dispose()


def _filled(backend: Backend, signer: LogSigner) -> tuple[LogStore, list[StoredRecord]]:
    store, _ = backend
    log = TransparencyLog(store, signer, clock=StepClock())
    for e in sample_events(N):
        log.append(e)
    return store, list(store.records())


def _with(rec: StoredRecord, canonical: bytes, rehash: bool) -> StoredRecord:
    assert canonical != rec.canonical, "the tamper must change the record"
    return dataclasses.replace(
        rec, canonical=canonical, leaf_hash=leaf_hash(canonical) if rehash else rec.leaf_hash
    )


def test_intact_log_verifies(backend: Backend, signer: LogSigner) -> None:
    store, _ = _filled(backend, signer)
    result = verify_log(store, signer.verifier_key)
    assert result.ok, result.first_bad
    assert (result.records_checked, result.heads_checked) == (N, N)
    assert not verify_log(store, derive_development_signer("x", signer.name).verifier_key).ok


def _edit_payload(recs: list[StoredRecord]) -> int:
    recs[4] = _with(recs[4], recs[4].canonical.replace(b"ABC-", b"ABD-"), rehash=False)
    return 4


def _edit_payload_and_rehash(recs: list[StoredRecord]) -> int:
    recs[5] = _with(recs[5], recs[5].canonical.replace(b"ABC-", b"ABX-"), rehash=True)
    return 5


def _edit_timestamp(recs: list[StoredRecord]) -> int:
    r = recs[6]
    new_time = r.recorded_at.replace("00:00:07", "00:00:59")
    canonical = r.canonical.replace(r.recorded_at.encode(), new_time.encode())
    recs[6] = dataclasses.replace(_with(r, canonical, rehash=True), recorded_at=new_time)
    return 6


def _edit_timestamp_column(recs: list[StoredRecord]) -> int:
    recs[3] = dataclasses.replace(recs[3], recorded_at="2020-01-01T00:00:00.000000Z")
    return 3


def _delete(recs: list[StoredRecord]) -> int:
    del recs[7]
    return 7


def _delete_and_renumber(recs: list[StoredRecord]) -> int:
    del recs[2]
    recs[2:] = [dataclasses.replace(r, seq=r.seq - 1) for r in recs[2:]]
    return 2


def _insert(recs: list[StoredRecord]) -> int:
    forged = dataclasses.replace(recs[8], seq=8)
    recs[8:] = [forged] + [dataclasses.replace(r, seq=r.seq + 1) for r in recs[8:]]
    return 9


def _append_unsigned(recs: list[StoredRecord]) -> int:
    last = recs[-1]
    canonical = last.canonical.replace(f'"seq":{N - 1}'.encode(), f'"seq":{N}'.encode())
    recs.append(dataclasses.replace(_with(last, canonical, rehash=True), seq=N))
    return N


def _reorder(recs: list[StoredRecord]) -> int:
    a, b = recs[9], recs[10]
    recs[9] = dataclasses.replace(b, seq=9)
    recs[10] = dataclasses.replace(a, seq=10)
    return 9


TAMPERS = [
    _edit_payload,
    _edit_payload_and_rehash,
    _edit_timestamp,
    _edit_timestamp_column,
    _delete,
    _delete_and_renumber,
    _insert,
    _append_unsigned,
    _reorder,
]


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda f: f.__name__.strip("_"))
def test_tampering_is_caught_at_the_first_bad_record(
    backend: Backend, signer: LogSigner, tamper: Callable[[list[StoredRecord]], int]
) -> None:
    store, recs = _filled(backend, signer)
    expected = tamper(recs)
    backend[1](store, recs)
    result = verify_log(store, signer.verifier_key)
    assert not result.ok
    assert result.first_bad is not None
    assert result.first_bad.index == expected, str(result.first_bad)


def test_truncation_with_heads_is_caught_only_against_a_trusted_checkpoint(
    signer: LogSigner,
) -> None:
    store = MemoryLogStore()
    log = TransparencyLog(store, signer, clock=StepClock())
    receipts = [log.append(e) for e in sample_events(6)]
    trusted = open_checkpoint(receipts[-1].checkpoint, signer.verifier_key)
    del store.stored_records[4:]
    del store.stored_heads[4:]
    assert verify_log(store, signer.verifier_key).ok  # the store alone cannot tell
    result = verify_log(store, signer.verifier_key, trusted=trusted)
    assert result.first_bad is not None and result.first_bad.index == 4


def test_list_reorder_in_memory_is_caught(signer: LogSigner) -> None:
    store = MemoryLogStore()
    log = TransparencyLog(store, signer, clock=StepClock())
    log.append_many(sample_events(4))
    s = store.stored_records
    s[1], s[2] = s[2], s[1]
    result = verify_log(store, signer.verifier_key)
    assert result.first_bad is not None and result.first_bad.index == 1
    assert "missing" in result.first_bad.what


def test_two_writers_on_one_database_keep_one_consistent_log(
    signer: LogSigner, tmp_path: object
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/shared.db")
    first = TransparencyLog(SqlLogStore(engine), signer, clock=StepClock())
    second = TransparencyLog(SqlLogStore(engine), signer, clock=StepClock())
    events = sample_events(6)
    receipts = [(first if i % 2 else second).append(e) for i, e in enumerate(events)]
    assert [r.leaf_index for r in receipts] == list(range(6))
    result = verify_log(first.store, signer.verifier_key)
    assert result.ok and result.records_checked == 6
    engine.dispose()


def test_a_failed_store_write_leaves_the_log_unchanged(signer: LogSigner) -> None:
    class FlakyStore(MemoryLogStore):
        fail = False

        def append(self, records: Sequence[StoredRecord], head: StoredHead) -> None:
            if self.fail:
                raise OSError("write failed")
            super().append(records, head)

    store = FlakyStore()
    log = TransparencyLog(store, signer, clock=StepClock())
    log.append_many(sample_events(2))
    store.fail = True
    with pytest.raises(OSError):
        log.append(sample_events(3)[2])
    store.fail = False
    receipt = log.append(sample_events(3)[2])
    assert receipt.leaf_index == 2
    assert verify_log(store, signer.verifier_key).ok
