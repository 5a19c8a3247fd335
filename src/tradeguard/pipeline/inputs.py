"""Reading the contract files a scoring run needs, through the contract's own validation.

Scoring must see exactly the rows ingest would accept: the same readers, the same checks, the
same quarantine files (``<file name>.rejects.csv`` with row, fields, reasons and the raw row).
Rows that refer to an entry must refer to an accepted entry of the same run, so a line whose
entry was rejected is quarantined too rather than scored without its header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from tradeguard.contract import KeyTracker, open_source, validate_batch
from tradeguard.contract.quarantine import RejectsWriter, rejects_path

BATCH_ROWS = 200_000


@dataclass(frozen=True)
class ContractFile:
    """The accepted rows of one file (typed contract columns) and where its rejects went."""

    path: Path
    kind: str
    frame: pl.DataFrame
    rejected: int
    rejects_file: Path | None

    @property
    def accepted(self) -> int:
        """Rows accepted."""
        return self.frame.height


def read_contract_file(
    path: Path,
    kind: str,
    quarantine_dir: Path,
    *,
    entries: pl.Series | None = None,
    today: date | None = None,
) -> ContractFile:
    """Read and validate ``path`` as ``kind``; rejected rows go to ``quarantine_dir``.

    ``entries`` are the accepted entry numbers rows of this kind must refer to (when the kind
    refers to entries). Raises the contract's ``UnreadableFileError`` when the file cannot be
    read at all.
    """
    writer = RejectsWriter(rejects_path(quarantine_dir, path))
    keys = KeyTracker()
    known = None
    if entries is not None:
        wanted = entries.cast(pl.String)

        def known(numbers: pl.Series) -> pl.Series:
            return numbers.filter(numbers.is_in(wanted.implode()))

    parts: list[pl.DataFrame] = []
    with open_source(path, kind) as source:
        names = list(source.schema.names)
        for raw in source.batches(BATCH_ROWS):
            checked = validate_batch(raw, source.schema, today=today or date.today(), keys=keys,
                                     known_entries=known)
            writer.write(checked.rejected)
            parts.append(checked.accepted.select(names))
    frame = pl.concat(parts, how="vertical") if parts else pl.DataFrame()
    return ContractFile(path, kind, frame, writer.rows, writer.written)
