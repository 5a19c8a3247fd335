"""Findings: what every detector emits, in one shape.

A finding says *what* looks wrong (category and reason code), *how much it matters* (severity),
*why*, in a sentence an importer can understand, and *on what evidence* — together with the
detector and version that produced it, so any past decision can be replayed and explained.

Detectors work on whole batches, so the batch form is a Polars frame with
:data:`FINDINGS_SCHEMA`; :class:`Finding` is the same record as a value object for one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from tradeguard.frame_reads import short_type_names


class Category(StrEnum):
    """The finding categories of the data contract; every report uses exactly these words."""

    DATA_QUALITY = "data_quality"
    VALUATION = "valuation"
    CLASSIFICATION = "classification"
    ORIGIN = "origin"
    ADCVD = "adcvd"
    FORCED_LABOR = "forced_labor"
    WATCHLIST = "watchlist"
    SMALL_PACKAGE = "small_package"
    NETWORK = "network"
    MODEL = "model"


class Severity(StrEnum):
    """How strongly a finding should weigh in targeting; ``critical`` may force a lane."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_RANK: Mapping[str, int] = {"low": 1, "medium": 2, "high": 3, "critical": 4}

FINDINGS_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(),
    "line_number": pl.Int64(),
    "category": pl.String(),
    "reason_code": pl.String(),
    "severity": pl.String(),
    "text": pl.String(),
    "evidence": pl.String(),  # JSON object
    "detector": pl.String(),
    "detector_version": pl.String(),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason to look closer at one entry line (or a whole entry when line is None)."""

    entry_number: str
    line_number: int | None
    category: Category
    reason_code: str
    severity: Severity
    text: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    detector: str = ""
    detector_version: str = ""

    def to_row(self) -> dict[str, Any]:
        """The row of this finding in a :data:`FINDINGS_SCHEMA` frame."""
        return {
            "entry_number": self.entry_number,
            "line_number": self.line_number,
            "category": self.category.value,
            "reason_code": self.reason_code,
            "severity": self.severity.value,
            "text": self.text,
            "evidence": json.dumps(dict(self.evidence), sort_keys=True, default=str),
            "detector": self.detector,
            "detector_version": self.detector_version,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Finding:
        """Rebuild a finding from a frame row (the inverse of :meth:`to_row`)."""
        evidence = row.get("evidence") or "{}"
        return cls(
            entry_number=str(row["entry_number"]),
            line_number=None if row.get("line_number") is None else int(row["line_number"]),
            category=Category(row["category"]),
            reason_code=str(row["reason_code"]),
            severity=Severity(row["severity"]),
            text=str(row["text"]),
            evidence=json.loads(evidence) if isinstance(evidence, str) else dict(evidence),
            detector=str(row.get("detector") or ""),
            detector_version=str(row.get("detector_version") or ""),
        )


_EMPTY: list[pl.DataFrame] = []


def empty_findings() -> pl.DataFrame:
    """A findings frame with no rows and the canonical schema.

    Made once and cloned (a frame from a schema costs ~90 us, a clone under 1 us); the clone
    keeps a caller's in-place edit away from the shared frame."""
    if not _EMPTY:
        _EMPTY.append(pl.DataFrame(schema=FINDINGS_SCHEMA))
    return _EMPTY[0].clone()


def findings_frame(findings: Iterable[Finding]) -> pl.DataFrame:
    """Collect value objects into a findings frame (for small, non-hot paths and tests)."""
    rows = [f.to_row() for f in findings]
    return pl.DataFrame(rows, schema=FINDINGS_SCHEMA) if rows else empty_findings()


_CATEGORIES = frozenset(c.value for c in Category)
_SCHEMA = pl.Schema(FINDINGS_SCHEMA)
_NAMES = list(FINDINGS_SCHEMA)
# Every findings type is a plain one (no parameters): its class says the type.
_TYPES = tuple(type(t) for t in FINDINGS_SCHEMA.values())
#: Up to this many rows, a frame's categories are read in Python (one Polars query less).
_FEW_ROWS = 512


#: The canonical types as Polars names them in short (``str``, ``i64``): plain types, whose
#: names no other type shares, so equal names are equal types.
_SHORT_NAMES = short_type_names(pl.DataFrame(schema=FINDINGS_SCHEMA))


def is_canonical(frame: pl.DataFrame) -> bool:
    """Whether ``frame`` has exactly the canonical columns, order and types, read from its
    names and type names or classes (building and comparing a ``Schema`` costs tens of
    microseconds; every detector's output is checked on every request)."""
    if frame.columns != _NAMES:
        return False
    short = short_type_names(frame) if _SHORT_NAMES is not None else None
    if short is not None:
        return short == _SHORT_NAMES
    return list(map(type, frame.dtypes)) == list(_TYPES)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast a detector's output to the canonical schema and column order, or fail loudly.

    A frame already in that shape (as most are) is returned as it is, with no query run.
    """
    if is_canonical(frame):
        if frame.height:
            _check_categories(frame)
        return frame
    missing = set(FINDINGS_SCHEMA) - set(frame.columns)
    if missing:
        raise ValueError(f"findings frame lacks columns: {sorted(missing)}")
    if frame.height:
        _check_categories(frame)
    if frame.schema == _SCHEMA:
        return frame
    return frame.select([pl.col(c).cast(t) for c, t in FINDINGS_SCHEMA.items()])


def _check_categories(frame: pl.DataFrame) -> None:
    """Fail loudly on a category outside the contract."""
    column = frame.get_column("category")
    if frame.height <= _FEW_ROWS and column.dtype == pl.String:
        seen = set(column.to_list())
        seen.discard(None)
    else:
        seen = set(column.unique().drop_nulls().to_list())
    unknown = seen - _CATEGORIES
    if unknown:
        raise ValueError(f"findings use categories outside the contract: {sorted(unknown)}")
