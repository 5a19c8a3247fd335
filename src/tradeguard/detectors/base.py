"""The detector interface and the joined "declaration line" frame every detector reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import polars as pl

if TYPE_CHECKING:
    from tradeguard.refdata import ReferenceData


@dataclass(frozen=True)
class DetectionContext:
    """What a detector may consult besides the lines themselves.

    ``as_of`` is the evaluation date (validity of codes, lists and orders); ``supply_chain`` is the
    declared upstream suppliers for the batch (contract ``supply_chain`` file), when given.
    """

    ref: ReferenceData
    as_of: date
    supply_chain: pl.DataFrame | None = None
    config: dict[str, Any] = field(default_factory=dict)


class LineDetector(Protocol):
    """A detector over entry lines: fit a baseline on history, then find issues in a batch."""

    name: ClassVar[str]
    version: ClassVar[str]

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """Build the baseline from past declaration lines (may be empty)."""

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Return findings for the batch in :data:`tradeguard.findings.FINDINGS_SCHEMA`."""


def declaration_lines(entries: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Join entry headers onto their lines: one row per line with every declared field.

    Detectors reason about a line in the context of its entry (importer, route, dates), so they
    all read this one shape. Lines whose entry is unknown keep null header fields.
    """
    keep = [c for c in entries.columns if c not in lines.columns or c == "entry_number"]
    header = entries.select(keep)
    return lines.join(header, on="entry_number", how="left")
