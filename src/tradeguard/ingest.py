"""Ingest contract files into the store: read, validate, load, quarantine — one library call.

:func:`ingest_files` is what the CLI (``tradeguard ingest``), the API and the UI call. For each
file it streams batches through the contract's validation, loads accepted rows, records
rejected rows in the ``quarantine`` table and a ``<file>.rejects.csv``, and returns a summary
where ``accepted + rejected = rows_read`` always holds.

Order and atomicity: entries are loaded before the files that refer to them, whatever order
the files were given in. Every file is checked (kind, encoding, header) before anything is
loaded, and each file loads in one transaction: a file that fails half-way leaves nothing
behind but its failed ``ingest_batches`` record.

Re-ingesting is idempotent. A row whose natural key is stored with the same content is counted
``already_present`` and not written again. A row whose key is stored with different content is
an amendment: the new version replaces the stored one and the old version is kept in
``superseded_rows`` — as CBP treats a post-summary correction, which supersedes the entry
summary while the original stays on record. Rejecting corrections instead would force users
to delete history by hand to fix a typo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tradeguard.contract.quarantine import RejectsWriter, rejects_path
from tradeguard.contract.readers import Source, UnreadableFileError, open_source
from tradeguard.contract.schema import KINDS
from tradeguard.contract.validate import KeyTracker, validate_batch
from tradeguard.settings import Settings, get_settings
from tradeguard.store import Store, open_store
from tradeguard.store import repositories as repo
from tradeguard.store.tables import CONTRACT_TABLES, quarantine

ROW_NUMBERING = (
    "rows are numbered as in a spreadsheet: in CSV the header is row 1 and the first data row "
    "is row 2; in JSON Lines the row is the line number; in Parquet the first record is row 1"
)

#: Largest batch validated at once: validation's working set is several KB per row (every
#: column as text, cleaned, typed and checked), so bigger batches cost memory, not time.
MAX_BATCH_ROWS = 50_000

#: Loads of at least this many new or changed rows refresh the database's planner statistics.
ANALYZE_AFTER_ROWS = 10_000

#: Called with (file, rows done, rows expected) after each batch.
Progress = Callable[[str, int, int], None]


@dataclass
class FileSummary:
    """The outcome of ingesting one file."""

    file: str
    kind: str
    format: str = ""
    encoding: str = ""
    sha256: str = ""
    batch_id: int | None = None
    status: str = "pending"  # done | failed | skipped
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    inserted: int = 0
    amended: int = 0
    already_present: int = 0
    rejects_file: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary, with where the rejects are and the row-count check."""
        out = asdict(self)
        out["quarantine"] = {
            "table": quarantine.name,
            "batch_id": self.batch_id,
            "rejects_file": self.rejects_file,
        }
        out["check"] = _check(self.accepted, self.rejected, self.rows_read)
        return out


def _check(accepted: int, rejected: int, rows_read: int) -> str:
    sign = "=" if accepted + rejected == rows_read else "!="
    return f"accepted + rejected {sign} rows_read ({accepted} + {rejected} {sign} {rows_read})"


@dataclass
class IngestReport:
    """Summaries of every file of one ingest, and their totals."""

    files: list[FileSummary] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file was read and loaded (rejected rows do not make it fail)."""
        return all(f.status == "done" for f in self.files)

    def total(self) -> dict[str, Any]:
        """Counts added up over the files."""
        keys = ("rows_read", "accepted", "rejected", "inserted", "amended", "already_present")
        sums = {k: sum(getattr(f, k) for f in self.files) for k in keys}
        sums["files"] = len(self.files)
        sums["check"] = _check(sums["accepted"], sums["rejected"], sums["rows_read"])
        return sums

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {
            "files": [f.to_dict() for f in self.files],
            "total": self.total(),
            "row_numbering": ROW_NUMBERING,
        }


def load_order(sources: Sequence[Source]) -> list[Source]:
    """Sources sorted so entries load before the files that refer to them (stable)."""
    return sorted(sources, key=lambda s: KINDS.index(s.kind))


def ingest_files(
    paths: Sequence[str | Path],
    *,
    store: Store | None = None,
    url: str | None = None,
    kind: str | None = None,
    quarantine_dir: str | Path | None = None,
    batch_size: int | None = None,
    today: date | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest ``paths`` into ``store`` (or the database at ``url`` / in settings).

    ``kind`` applies to every file; without it each file's name tells its kind. Files stream
    in batches of ``batch_size`` rows (default ``Settings.batch_size``, at most
    :data:`MAX_BATCH_ROWS`). Rejected rows go to the quarantine table and to
    ``<quarantine_dir>/<file name>.rejects.csv`` (default ``<work_dir>/quarantine``).

    Raises :class:`~tradeguard.contract.UnknownKindError` or
    :class:`~tradeguard.contract.UnreadableFileError` before loading anything when a file
    cannot be used at all; a file that fails part-way is rolled back and reported as failed,
    and the files after it are skipped.
    """
    settings = settings or get_settings()
    qdir = Path(quarantine_dir) if quarantine_dir else settings.work_dir / "quarantine"
    size = min(batch_size or settings.batch_size, MAX_BATCH_ROWS)
    day = today or date.today()

    sources: list[Source] = []
    try:
        for p in paths:
            sources.append(open_source(p, kind))
        own_store = store is None
        db = store or open_store(url, settings=settings)
        report = IngestReport()
        try:
            failed = False
            for source in load_order(sources):
                summary = FileSummary(file=str(source.path), kind=source.kind)
                report.files.append(summary)
                if failed:
                    summary.status = "skipped"
                    summary.error = "skipped: an earlier file of this ingest failed"
                    continue
                _ingest_one(db, source, summary, qdir, size, day, progress)
                failed = summary.status == "failed"
        finally:
            if own_store:
                db.close()
        return report
    finally:
        for s in sources:
            s.close()


def _ingest_one(
    db: Store,
    source: Source,
    summary: FileSummary,
    qdir: Path,
    batch_size: int,
    today: date,
    progress: Progress | None,
) -> None:
    summary.format, summary.encoding, summary.sha256 = source.format, source.encoding, source.sha256
    batch_id = repo.start_batch(
        db.engine,
        file=str(source.path),
        sha256=source.sha256,
        kind=source.kind,
        format=source.format,
        encoding=source.encoding,
    )
    summary.batch_id = batch_id
    writer = RejectsWriter(rejects_path(qdir, source.path))
    keys = KeyTracker()
    # An entry's natural key is its entry number, and that column carries the unique index.
    entry_column = CONTRACT_TABLES["entries"].c.natural_key
    try:
        with db.engine.begin() as conn:

            def known_entries(numbers: pl.Series) -> pl.Series:
                return repo.existing_values(conn, entry_column, numbers)

            for raw in source.batches(batch_size):
                checked = validate_batch(
                    raw,
                    source.schema,
                    today=today,
                    keys=keys,
                    known_entries=known_entries if source.schema.needs_entry else None,
                )
                counts = repo.store_accepted(conn, source.kind, checked.accepted, batch_id)
                repo.insert_quarantine(
                    conn, checked.rejected, batch_id, str(source.path), source.kind
                )
                writer.write(checked.rejected)
                summary.rows_read += checked.rows_read
                summary.accepted += checked.accepted.height
                summary.rejected += checked.rejected.height
                summary.inserted += counts.inserted
                summary.amended += counts.amended
                summary.already_present += counts.already_present
                if progress is not None:
                    progress(str(source.path), summary.rows_read, source.estimated_rows)
    except UnreadableFileError as exc:
        writer.discard()
        summary.status, summary.error = "failed", str(exc)
        summary.rows_read = summary.accepted = summary.rejected = 0
        summary.inserted = summary.amended = summary.already_present = 0
        repo.finish_batch(db.engine, batch_id, status="failed", error=str(exc))
        return
    except BaseException as exc:
        writer.discard()
        repo.finish_batch(db.engine, batch_id, status="failed", error=repr(exc))
        raise
    summary.status = "done"
    summary.rejects_file = str(writer.written) if writer.written else None
    if summary.inserted + summary.amended >= ANALYZE_AFTER_ROWS:
        repo.refresh_statistics(db.engine, CONTRACT_TABLES[source.kind])
    repo.finish_batch(
        db.engine,
        batch_id,
        status="done",
        rows_read=summary.rows_read,
        accepted=summary.accepted,
        rejected=summary.rejected,
        inserted=summary.inserted,
        amended=summary.amended,
        already_present=summary.already_present,
        rejects_file=summary.rejects_file,
    )
