"""The publication ledger: every proposed profile-set version, who proposed it and why, and
who approved or rejected it.

It is one JSON document (``publications.json``) beside the published set, written atomically
and under an exclusive file lock, so worker processes never interleave their decisions. The
profile loader reads only ``*.yaml`` files and the change log, so nothing pending here can
reach scoring. A pending version keeps the whole text of the set it proposes: what the
approver sees is exactly what is written on approval.

Each proposal and decision is also a record of the tamper-evident decision log; the ledger
keeps that record's sequence number, so the log can prove what this file claims.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tradeguard.api.problems import ApiProblem
from tradeguard.governance.publication_check import PUBLICATION_LEDGER

LEDGER_NAME = PUBLICATION_LEDGER
_LOCK_NAME = ".publications.lock"
#: Threads of one process queue here before taking the file lock.
_THREADS = threading.Lock()


class PublicationState(StrEnum):
    """Life of a proposed version: only an approved one is ever written where scoring reads."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # another version was approved on the same base first


class Publication(BaseModel):
    """A proposed version of the set and its decision."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: str
    previous_version: str
    state: PublicationState = PublicationState.PENDING
    proposed_by: str
    proposed_at: datetime
    rationale: str
    files: dict[str, str]
    added: list[str] = Field(default_factory=list)
    edited: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    diff: str = ""
    back_test: dict[str, Any] | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str = ""
    superseded_by: str | None = None
    recorded: list[dict[str, Any]] = Field(default_factory=list)
    proposed_log_seq: int | None = None
    decided_log_seq: int | None = None


class Ledger(BaseModel):
    """Every publication, oldest first."""

    model_config = ConfigDict(extra="forbid")

    publications: list[Publication] = Field(default_factory=list)

    def find(self, publication_id: str) -> Publication:
        """The publication, or a 404 naming it."""
        for pub in self.publications:
            if pub.id == publication_id:
                return pub
        raise ApiProblem(404, f"no publication {publication_id!r}", kind="not-found")

    def pending(self) -> list[Publication]:
        """Versions awaiting a decision, oldest first."""
        return [p for p in self.publications if p.state == PublicationState.PENDING]

    def next_id(self) -> str:
        """``P-0001``, ``P-0002``, …: in the order proposals were made."""
        return f"P-{len(self.publications) + 1:04d}"


def read_ledger(folder: Path) -> Ledger:
    """The ledger of ``folder`` (empty before any proposal); 503 naming the file if corrupt."""
    path = folder / LEDGER_NAME
    if not path.is_file():
        return Ledger()
    try:
        return Ledger.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ApiProblem(503, f"{path}: not a valid publication ledger: {exc}",
                         kind="ledger-unreadable") from exc


def _replace(folder: Path, data: bytes) -> None:
    """Write beside the final name, then rename over it (readers never see half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".publications-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, folder / LEDGER_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_ledger(folder: Path, ledger: Ledger) -> None:
    """Replace the ledger file atomically."""
    _replace(folder, ledger.model_dump_json(indent=2).encode("utf-8"))


def ledger_bytes(folder: Path) -> bytes | None:
    """The ledger file as stored (None before any proposal), to put back if a step fails."""
    path = folder / LEDGER_NAME
    return path.read_bytes() if path.is_file() else None


def restore_ledger(folder: Path, saved: bytes | None) -> None:
    """Put back what :func:`ledger_bytes` read, atomically."""
    if saved is None:
        (folder / LEDGER_NAME).unlink(missing_ok=True)
    else:
        _replace(folder, saved)


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Exclusive hold on the folder's ledger and profile files across threads and processes."""
    folder.mkdir(parents=True, exist_ok=True)
    with _THREADS, open(folder / _LOCK_NAME, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
