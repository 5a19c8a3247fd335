"""Where log records and signed tree heads are kept: in memory, or in SQL tables.

The store is deliberately dumb — it keeps bytes and returns them in sequence order. Integrity
never depends on it: :func:`tradeguard.decisions.transparency_log.verify_log` recomputes every
hash from what the store returns, so a store that was edited behind the application's back is
caught, whichever backend holds it.

SQL layout (two tables, prefix configurable so tests can run side by side):

- ``<prefix>_records``: ``seq`` BIGINT PK, ``event_type`` VARCHAR(40), ``recorded_at``
  VARCHAR(32), ``canonical`` BLOB (the leaf data), ``leaf_hash`` BLOB(32).
- ``<prefix>_heads``: ``tree_size`` BIGINT PK, ``root_hash`` BLOB(32), ``checkpoint`` TEXT
  (the signed C2SP note).

A record and the head that first covers it are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa

DEFAULT_PREFIX = "decision_log"


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as the store holds it (nothing here is trusted by the verifier)."""

    seq: int
    event_type: str
    recorded_at: str
    canonical: bytes
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class StoredHead:
    """A signed tree head as the store holds it."""

    tree_size: int
    root_hash: bytes
    checkpoint: str


class LogStore(Protocol):
    """Append-only storage for records and their signed heads."""

    def append(self, records: Sequence[StoredRecord], head: StoredHead) -> None:
        """Persist records and the head covering them, atomically."""

    def size(self) -> int:
        """Number of records stored."""

    def records(self, start: int = 0) -> Iterator[StoredRecord]:
        """Records with ``seq >= start`` in sequence order."""

    def record(self, seq: int) -> StoredRecord | None:
        """One record by sequence number."""

    def heads(self) -> Iterator[StoredHead]:
        """Every stored head in tree-size order."""

    def latest_head(self) -> StoredHead | None:
        """The head with the largest tree size."""

    def leaf_hashes(self) -> list[bytes]:
        """All stored leaf hashes in sequence order."""


class MemoryLogStore:
    """A list-backed store for tests and single-process pilots."""

    def __init__(self) -> None:
        self.stored_records: list[StoredRecord] = []
        self.stored_heads: list[StoredHead] = []

    def append(self, records: Sequence[StoredRecord], head: StoredHead) -> None:
        """Persist records and the head covering them."""
        self.stored_records.extend(records)
        self.stored_heads.append(head)
        if len(self.stored_heads) > 1 and self.stored_heads[-2].tree_size > head.tree_size:
            self.stored_heads.sort(key=lambda h: h.tree_size)

    def size(self) -> int:
        """Number of records stored."""
        return len(self.stored_records)

    def records(self, start: int = 0) -> Iterator[StoredRecord]:
        """Records in list order (which is what a tampered list would show)."""
        return iter(self.stored_records[start:])

    def record(self, seq: int) -> StoredRecord | None:
        """One record by sequence number."""
        return next((r for r in self.stored_records if r.seq == seq), None)

    def heads(self) -> Iterator[StoredHead]:
        """Heads in tree-size order."""
        return iter(sorted(self.stored_heads, key=lambda h: h.tree_size))

    def latest_head(self) -> StoredHead | None:
        """The head with the largest tree size."""
        return self.stored_heads[-1] if self.stored_heads else None

    def leaf_hashes(self) -> list[bytes]:
        """All stored leaf hashes in list order."""
        return [r.leaf_hash for r in self.stored_records]


@dataclass(frozen=True, slots=True)
class LogTables:
    """The two SQLAlchemy Core tables of one log."""

    records: sa.Table
    heads: sa.Table


def define_log_tables(metadata: sa.MetaData, prefix: str = DEFAULT_PREFIX) -> LogTables:
    """Declare (or fetch, if already declared) the log tables on ``metadata``."""
    records_name, heads_name = f"{prefix}_records", f"{prefix}_heads"
    if records_name in metadata.tables:
        return LogTables(metadata.tables[records_name], metadata.tables[heads_name])
    records = sa.Table(
        records_name,
        metadata,
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("event_type", sa.String(40), nullable=False, index=True),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("canonical", sa.LargeBinary, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    heads = sa.Table(
        heads_name,
        metadata,
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("checkpoint", sa.Text, nullable=False),
    )
    return LogTables(records, heads)


def stored_bytes(value: object) -> bytes:
    """Column value as bytes: an edited SQLite cell can come back as text or NULL."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return b"" if value is None else str(value).encode("utf-8")


def _record(row: sa.Row[Any]) -> StoredRecord:
    return StoredRecord(
        int(row.seq),
        str(row.event_type),
        str(row.recorded_at),
        stored_bytes(row.canonical),
        stored_bytes(row.leaf_hash),
    )


def _head(row: sa.Row[Any]) -> StoredHead:
    return StoredHead(int(row.tree_size), stored_bytes(row.root_hash), str(row.checkpoint))


class SqlLogStore:
    """The log in SQL (SQLite or PostgreSQL) through SQLAlchemy Core."""

    def __init__(
        self,
        engine: sa.Engine,
        metadata: sa.MetaData | None = None,
        prefix: str = DEFAULT_PREFIX,
        create: bool = True,
    ) -> None:
        self.engine = engine
        self.metadata = metadata if metadata is not None else sa.MetaData()
        self.tables = define_log_tables(self.metadata, prefix)
        if create:
            self.create_tables()

    def create_tables(self) -> None:
        """Create the log tables if absent (the shared migration chain does this in deployments)."""
        self.metadata.create_all(self.engine, tables=[self.tables.records, self.tables.heads])

    def drop_tables(self) -> None:
        """Drop the log tables (tests only)."""
        self.metadata.drop_all(self.engine, tables=[self.tables.records, self.tables.heads])

    def append(self, records: Sequence[StoredRecord], head: StoredHead) -> None:
        """Insert records and their head in one transaction; a duplicate seq aborts both."""
        rows = [
            {
                "seq": r.seq,
                "event_type": r.event_type,
                "recorded_at": r.recorded_at,
                "canonical": r.canonical,
                "leaf_hash": r.leaf_hash,
            }
            for r in records
        ]
        with self.engine.begin() as conn:
            if rows:
                conn.execute(sa.insert(self.tables.records), rows)
            conn.execute(
                sa.insert(self.tables.heads).values(
                    tree_size=head.tree_size, root_hash=head.root_hash, checkpoint=head.checkpoint
                )
            )

    def size(self) -> int:
        """Number of records stored."""
        with self.engine.connect() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(self.tables.records))
            return int(count.scalar_one())

    def records(self, start: int = 0, batch: int = 10_000) -> Iterator[StoredRecord]:
        """Records in sequence order, read in keyset-paged batches so memory stays flat."""
        t = self.tables.records
        cursor = start - 1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(t).where(t.c.seq > cursor).order_by(t.c.seq).limit(batch)
                ).all()
            for row in rows:
                yield _record(row)
            if len(rows) < batch:
                return
            cursor = int(rows[-1].seq)

    def record(self, seq: int) -> StoredRecord | None:
        """One record by sequence number."""
        t = self.tables.records
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.seq == seq)).first()
        return None if row is None else _record(row)

    def heads(self) -> Iterator[StoredHead]:
        """Every stored head in tree-size order."""
        t = self.tables.heads
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).order_by(t.c.tree_size)).all()
        return iter([_head(r) for r in rows])

    def latest_head(self) -> StoredHead | None:
        """The head with the largest tree size."""
        t = self.tables.heads
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(t).order_by(t.c.tree_size.desc()).limit(1)).first()
        return None if r is None else _head(r)

    def leaf_hashes(self) -> list[bytes]:
        """All stored leaf hashes in order (to rebuild the tree when the log is opened)."""
        t = self.tables.records
        with self.engine.connect() as conn:
            hashes: sa.ScalarResult[bytes] = conn.execute(
                sa.select(t.c.leaf_hash).order_by(t.c.seq)
            ).scalars()
            return [stored_bytes(h) for h in hashes]
