"""The tamper-evident decision log: append events, hand out receipts, verify end to end.

Every append signs a new tree head, so each record is covered by a head of its own and
:func:`verify_log` can name the exact record that was altered. A receipt (leaf index, leaf hash,
signed checkpoint, inclusion proof) is what a notice gives the importer: with the log's verifier
key and :func:`verify_receipt` anyone can check offline that the record was in the log the
signed head commits to; later heads plus consistency proofs show it was never rewritten.

Appends from several processes are serialised by the primary keys on sequence number and tree
size: a writer working from a stale tree fails its insert instead of forking the log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tradeguard.decisions.checkpoint import (
    Checkpoint,
    CheckpointError,
    LogSigner,
    open_checkpoint,
    parse_verifier_key,
)
from tradeguard.decisions.events import LogEvent, LogRecord, decode_record, utc_timestamp
from tradeguard.decisions.log_store import LogStore, StoredHead, StoredRecord
from tradeguard.decisions.merkle import (
    MerkleTree,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)


class LogIntegrityError(RuntimeError):
    """The stored log no longer matches its latest signed head; appending is refused."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof for one record: it is leaf ``leaf_index`` of the tree the checkpoint signs."""

    leaf_index: int
    leaf_hash: bytes
    tree_size: int
    checkpoint: str
    inclusion_proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form for notices (hashes in hex)."""
        return {
            "leaf_index": self.leaf_index,
            "leaf_hash": self.leaf_hash.hex(),
            "tree_size": self.tree_size,
            "checkpoint": self.checkpoint,
            "inclusion_proof": [p.hex() for p in self.inclusion_proof],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Receipt:
        """Read the form :meth:`to_json` wrote."""
        return cls(
            int(doc["leaf_index"]),
            bytes.fromhex(doc["leaf_hash"]),
            int(doc["tree_size"]),
            str(doc["checkpoint"]),
            tuple(bytes.fromhex(p) for p in doc["inclusion_proof"]),
        )


def verify_receipt(receipt: Receipt, verifier_key: str, record: bytes | None = None) -> bool:
    """Check a receipt offline with the log's verifier key.

    True when the checkpoint is signed by that key, is for ``receipt.tree_size`` records, and
    the inclusion proof puts ``receipt.leaf_hash`` at ``receipt.leaf_index`` under its root.
    Pass the record's canonical bytes as ``record`` to also check that the receipt is for
    that record. Needs nothing but this module and ``cryptography``.
    """
    try:
        head = open_checkpoint(receipt.checkpoint, verifier_key)
    except CheckpointError:
        return False
    if head.size != receipt.tree_size:
        return False
    if record is not None and leaf_hash(record) != receipt.leaf_hash:
        return False
    return verify_inclusion(
        receipt.leaf_hash, receipt.leaf_index, receipt.tree_size, receipt.inclusion_proof, head.root
    )


class TransparencyLog:
    """An append-only log of :class:`LogEvent` values over a :class:`LogStore`."""

    def __init__(
        self,
        store: LogStore,
        signer: LogSigner,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock
        self._tree = MerkleTree()
        self._load()

    def _load(self) -> None:
        """Rebuild the tree from the store and refuse a store its latest head does not match."""
        tree = MerkleTree(self.store.leaf_hashes())
        head = self.store.latest_head()
        if head is None:
            if tree.size:
                raise LogIntegrityError(f"{tree.size} records are stored but no signed head")
        else:
            try:
                cp = open_checkpoint(head.checkpoint, self.signer.verifier_key)
            except CheckpointError as exc:
                raise LogIntegrityError(f"latest tree head: {exc}") from exc
            if cp.size != tree.size or tree.root() != cp.root:
                raise LogIntegrityError(
                    f"stored records ({tree.size}) do not match the latest signed head "
                    f"({cp.size}); run `tradeguard audit verify`"
                )
        self._tree = tree

    @property
    def size(self) -> int:
        """Number of records in the log."""
        return self._tree.size

    def append(self, event: LogEvent, recorded_at: datetime | None = None) -> Receipt:
        """Log one event and sign the new tree head; returns the importer-verifiable receipt."""
        return self.append_many([event], recorded_at)[0]

    def append_many(
        self, events: Sequence[LogEvent], recorded_at: datetime | None = None
    ) -> list[Receipt]:
        """Log several events under one signed head (one signature for a batch)."""
        if not events:
            return []
        latest = self.store.latest_head()
        if (latest.tree_size if latest else 0) != self._tree.size:
            self._load()  # another writer appended since we last looked
        stamp = utc_timestamp(recorded_at or self.clock())
        base = self._tree.size
        records = [LogRecord(base + i, stamp, e) for i, e in enumerate(events)]
        stored = [
            StoredRecord(r.seq, r.event_type.value, r.recorded_at, c, leaf_hash(c))
            for r in records
            for c in (r.canonical(),)
        ]
        tree = self._tree
        for s in stored:
            tree.append(s.leaf_hash)
        size = tree.size
        cp = self.signer.sign(size, tree.root())
        try:
            self.store.append(stored, StoredHead(size, cp.root, cp.note))
        except Exception:
            self._load()  # roll the in-memory tree back to what the store holds
            raise
        return [
            Receipt(s.seq, s.leaf_hash, size, cp.note, tuple(tree.inclusion_proof(s.seq, size)))
            for s in stored
        ]

    def checkpoint(self) -> Checkpoint | None:
        """The latest signed tree head."""
        head = self.store.latest_head()
        return None if head is None else open_checkpoint(head.checkpoint, self.signer.verifier_key)

    def read(self, seq: int) -> LogRecord:
        """One record, decoded (raises KeyError when absent)."""
        stored = self.store.record(seq)
        if stored is None:
            raise KeyError(seq)
        return decode_record(stored.canonical)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path for record ``index`` in the tree of ``size`` records."""
        return self._tree.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Proof that the tree of ``old_size`` records is a prefix of the one of ``new_size``."""
        return self._tree.consistency_proof(old_size, new_size)


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing found wrong: the record index and what is wrong with it."""

    index: int
    what: str

    def __str__(self) -> str:
        return f"record {self.index}: {self.what}"


@dataclass(frozen=True, slots=True)
class LogVerification:
    """Outcome of :func:`verify_log`."""

    records_checked: int
    heads_checked: int
    root: bytes
    first_bad: Problem | None

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return self.first_bad is None


def _check_record(pos: int, rec: StoredRecord) -> str | None:
    if rec.seq != pos:
        if rec.seq > pos:
            return f"missing (the next stored record has sequence number {rec.seq})"
        return f"out of order: sequence number {rec.seq} stored at position {pos}"
    try:
        decoded = decode_record(rec.canonical)
    except ValueError as exc:
        return f"stored bytes are not a valid record ({exc})"
    if decoded.seq != rec.seq:
        return f"its content carries sequence number {decoded.seq} (moved or renumbered)"
    if decoded.recorded_at != rec.recorded_at:
        return f"stored time {rec.recorded_at} differs from the logged {decoded.recorded_at}"
    if decoded.event_type.value != rec.event_type:
        return f"stored type {rec.event_type} differs from the logged {decoded.event_type}"
    if leaf_hash(rec.canonical) != rec.leaf_hash:
        return "content does not match its leaf hash (edited)"
    return None


def verify_log(
    store: LogStore, verifier_key: str, trusted: Checkpoint | None = None
) -> LogVerification:
    """Walk the whole log and report the FIRST bad record, recomputing every hash.

    Checks, in record order: sequence numbers, canonical form, leaf hashes, and every stored
    head (signature, root against the recomputed tree, consistency with the previous head).
    Records not covered by any signed head, and heads covering records that are gone, are
    reported too. A ``trusted`` checkpoint (e.g. from a receipt or a witness) also catches a
    log truncated together with its heads.
    """
    key = parse_verifier_key(verifier_key)
    tree = MerkleTree()
    heads = list(store.heads())
    h = 0
    prev: Checkpoint | None = None
    checked_heads = 0

    def result(problem: Problem | None) -> LogVerification:
        return LogVerification(tree.size, checked_heads, tree.root(), problem)

    def check_head(head: StoredHead) -> str | None:
        nonlocal prev
        try:
            cp = open_checkpoint(head.checkpoint, key)
        except CheckpointError as exc:
            return f"tree head at size {head.tree_size}: {exc}"
        if cp.size != head.tree_size or cp.root != head.root_hash:
            return f"tree head at size {head.tree_size}: stored size or root differs from signed"
        if cp.root != tree.root():
            first = prev.size if prev else 0
            where = "" if first == tree.size - 1 else f" (one of records {first}..{tree.size - 1})"
            return f"recomputed tree differs from the signed head at size {cp.size}{where}"
        if prev is not None and not verify_consistency(
            prev.size, cp.size, prev.root, cp.root, tree.consistency_proof(prev.size)
        ):
            return f"head at size {cp.size} is not consistent with head at size {prev.size}"
        prev = cp
        return None

    while h < len(heads) and heads[h].tree_size == 0:
        if problem := check_head(heads[h]):
            return result(Problem(0, problem))
        h, checked_heads = h + 1, checked_heads + 1
    for pos, rec in enumerate(store.records()):
        if problem := _check_record(pos, rec):
            return result(Problem(pos, problem))
        tree.append(rec.leaf_hash)
        count = tree.size
        if trusted is not None and trusted.size == count and trusted.root != tree.root():
            return result(Problem(pos, f"tree differs from the trusted checkpoint at size {count}"))
        while h < len(heads) and heads[h].tree_size <= tree.size:
            if problem := check_head(heads[h]):
                return result(Problem(pos, problem))
            h, checked_heads = h + 1, checked_heads + 1
    count = tree.size
    if h < len(heads):
        return result(
            Problem(
                count,
                f"missing: a signed head covers {heads[h].tree_size} records, "
                f"only {count} are stored",
            )
        )
    if count and (prev is None or prev.size < count):
        covered = prev.size if prev else 0
        return result(Problem(covered, "not covered by any signed head (added outside the log)"))
    if trusted is not None and trusted.size > count:
        return result(
            Problem(
                count,
                f"missing: the trusted checkpoint covers {trusted.size} records, "
                f"only {count} are stored",
            )
        )
    return result(None)
