"""Streaming the contract files into typed Parquet, through the contract's own validation.

Scoring must see exactly the rows ``score`` and ingest would accept, so each file goes through
the contract readers and ``validate_batch`` batch by batch (memory bounded by the batch size,
not the file), rejected rows go to the usual ``<file name>.rejects.csv``, and accepted rows are
written as typed Parquet parts the engines read. Lines and supply-chain rows must refer to an
accepted entry of the same run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import polars as pl

from tradeguard.contract import KeyTracker, open_source, validate_batch
from tradeguard.contract.keys import KeySet
from tradeguard.contract.quarantine import RejectsWriter, rejects_path
from tradeguard.contract.validate import KnownEntries

#: Parts are written once and read back once or twice from the page cache, so compressing
#: them costs more CPU than it saves (bench/results/ingest.md, "Staging for batch scoring").
PART_COMPRESSION: Final = "uncompressed"


@dataclass(frozen=True)
class StagedFile:
    """Accepted rows of one contract file as Parquet parts, and where its rejects went."""

    source: Path
    kind: str
    parts: tuple[Path, ...]
    accepted: int
    rejected: int
    rejects_file: Path | None

    @property
    def glob(self) -> str:
        """A glob over the file's parts (empty-file runs still have one empty part)."""
        return str(self.parts[0].parent / "*.parquet")

    def read(self) -> pl.DataFrame:
        """Every accepted row (for inputs small enough to hold: history, supply chain)."""
        return pl.read_parquet(list(self.parts))

    def summary(self) -> dict[str, object]:
        """The per-file block of the run summary (same keys as ``score``)."""
        return {"file": str(self.source), "kind": self.kind, "accepted": self.accepted,
                "rejected": self.rejected,
                "rejects": str(self.rejects_file) if self.rejects_file else None}


def _known_in(entries: pl.Series) -> KnownEntries:
    """Which of a batch's entry numbers are in ``entries`` (looked up without rebuilding a
    hash table of every entry for each batch)."""
    return KeySet(entries).members_of


def stage_file(path: Path, kind: str, work: Path, quarantine_dir: Path, *,
               batch_rows: int, entries: pl.Series | None = None,
               today: date | None = None) -> StagedFile:
    """Validate ``path`` as ``kind`` in batches; accepted rows to ``work/<name>/part-N``.

    Raises the contract's ``ContractError`` when the file cannot be read at all.
    """
    out = work / f"{kind}-{path.name}".replace(".", "_")
    out.mkdir(parents=True, exist_ok=True)
    writer = RejectsWriter(rejects_path(quarantine_dir, path))
    keys = KeyTracker()
    known = None if entries is None else _known_in(entries)
    parts: list[Path] = []
    accepted = 0
    with open_source(path, kind, report=False) as source:
        names = list(source.schema.names)
        for raw in source.batches(batch_rows):
            checked = validate_batch(raw, source.schema, today=today or date.today(),
                                     keys=keys, known_entries=known, contract_only=True)
            writer.write(checked.rejected)
            part = out / f"part-{len(parts):05d}.parquet"
            checked.accepted.select(names).write_parquet(part, compression=PART_COMPRESSION)
            parts.append(part)
            accepted += checked.accepted.height
    if not parts:
        raise ValueError(f"{path}: no rows to read")
    return StagedFile(path, kind, tuple(parts), accepted, writer.rows, writer.written)


def entry_numbers(staged: StagedFile) -> pl.Series:
    """Accepted entry numbers (the keys lines and supply chains must refer to)."""
    return (pl.scan_parquet(staged.glob).select(pl.col("entry_number").cast(pl.String))
            .collect().to_series())
