"""Benchmark: the decision log — append, receipts, full verification, proof sizes.

Run: ``.venv/bin/python bench/bench_decision_log.py [--records 20000] [--batch 100]``.
Measures (single process): appends with one signed head per record (what every assessment and
human action does) on memory and a SQLite file; batched appends (one head per ``--batch``
records); ``verify_log`` over the whole log; and the size of receipts and consistency proofs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tradeguard.decisions import (
    DecisionScored,
    LogEvent,
    MemoryLogStore,
    SqlLogStore,
    TransparencyLog,
    verify_log,
    verify_receipt,
)
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.decisions.log_store import LogStore


def _events(n: int) -> list[LogEvent]:
    return [
        DecisionScored(
            f"ABC-{i:07d}-1",
            1 + i % 9,
            "sha256:m",
            f"fv{i}",
            (i % 997) / 997,
            0.7,
            "green",
            ("VAL_LOW", "ORIG_SHIFT"),
            {"model": "1.0", "rules": "2"},
        )
        for i in range(n)
    ]


def _run(name: str, store: LogStore, events: list[LogEvent], batch: int) -> None:
    signer = derive_development_signer("bench", "bench.tradeguard/log")
    log = TransparencyLog(store, signer)
    t = time.perf_counter()
    if batch == 1:
        receipts = [log.append(e) for e in events]
    else:
        receipts = []
        for i in range(0, len(events), batch):
            receipts.extend(log.append_many(events[i : i + batch]))
    append_s = time.perf_counter() - t
    t = time.perf_counter()
    result = verify_log(store, signer.verifier_key)
    verify_s = time.perf_counter() - t
    assert result.ok, result.first_bad
    t = time.perf_counter()
    sample = receipts[:: max(1, len(receipts) // 1000)]
    assert all(verify_receipt(r, signer.verifier_key) for r in sample)
    receipt_us = (time.perf_counter() - t) / len(sample) * 1e6
    n = len(events)
    print(
        f"{name:<28} n={n:>7}  append {n / append_s:>7.0f}/s  "
        f"verify_log {n / verify_s:>7.0f} rec/s ({verify_s:.2f} s, {result.heads_checked} heads)  "
        f"receipt check {receipt_us:.0f} us"
    )


def _wal(dbapi_connection: Any, _record: Any) -> None:
    """WAL with synchronous=NORMAL: one fsync per checkpoint instead of per commit."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    events = _events(args.records)
    _run("memory, head per record", MemoryLogStore(), events, 1)
    _run(f"memory, head per {args.batch}", MemoryLogStore(), events, args.batch)
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{Path(tmp) / 'log.db'}")
        _run("sqlite, head per record", SqlLogStore(engine), events[: args.records // 10], 1)
        engine.dispose()
        engine = sa.create_engine(f"sqlite:///{Path(tmp) / 'wal.db'}")
        sa.event.listen(engine, "connect", _wal)
        _run("sqlite WAL, head per record", SqlLogStore(engine), events[: args.records // 4], 1)
        engine.dispose()
        engine = sa.create_engine(f"sqlite:///{Path(tmp) / 'log2.db'}")
        _run(f"sqlite, head per {args.batch}", SqlLogStore(engine), events, args.batch)
        engine.dispose()
    log = TransparencyLog(MemoryLogStore(), derive_development_signer("b", "b.example/log"))
    log.append_many(events)
    receipt = log.append(events[0])
    print(
        f"tree of {log.size}: inclusion proof {len(receipt.inclusion_proof)} hashes, "
        f"receipt JSON {len(str(receipt.to_json()))} chars, consistency proof 1000->{log.size} "
        f"{len(log.consistency_proof(1000))} hashes"
    )


if __name__ == "__main__":
    main()
