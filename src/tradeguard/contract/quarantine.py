"""Quarantine files: the rejected rows of one ingested file, as ``<name>.rejects.csv``.

The quarantine table in the store holds the same records (file, row, fields, reasons, raw row
as JSON, ingest batch); the CSV is for the person who has to fix the data, next to the other
rejects in the quarantine folder. Rows are numbered as a spreadsheet shows them (header = row 1).
People open it in a spreadsheet, so a cell that one would evaluate as a formula is written
with a leading single quote (OWASP's advice for CSV injection).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tradeguard.contract.free_text import spreadsheet_safe

REJECTS_SUFFIX = ".rejects.csv"


def rejects_path(quarantine_dir: Path, source: Path) -> Path:
    """Where the rejects of ``source`` go: ``<quarantine_dir>/<file name>.rejects.csv``."""
    return quarantine_dir / f"{source.name}{REJECTS_SUFFIX}"


class RejectsWriter:
    """Appends batches of rejected rows to one CSV, created on the first reject."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        path.unlink(missing_ok=True)  # a re-ingest replaces the previous rejects file

    def write(self, rejected: pl.DataFrame) -> None:
        """Append rejected rows (columns row_number, fields, reasons, raw_row)."""
        if rejected.is_empty():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        frame = spreadsheet_safe(
            rejected.select(pl.col("row_number").alias("row"), "fields", "reasons", "raw_row")
        )
        with open(self.path, "ab") as fh:
            frame.write_csv(fh, include_header=self.rows == 0)
        self.rows += rejected.height

    @property
    def written(self) -> Path | None:
        """The rejects file, or None when no row was rejected."""
        return self.path if self.rows else None

    def discard(self) -> None:
        """Remove a partial rejects file (the ingest of its file failed)."""
        self.path.unlink(missing_ok=True)
        self.rows = 0
