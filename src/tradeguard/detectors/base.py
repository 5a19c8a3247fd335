"""The detector interface and the joined "declaration line" frame every detector reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

import polars as pl
from pydantic import BaseModel

if TYPE_CHECKING:
    from tradeguard.refdata import ReferenceData

SettingsT = TypeVar("SettingsT", bound=BaseModel)


@dataclass(frozen=True)
class DetectionContext:
    """What a detector may consult besides the lines themselves.

    ``as_of`` is the evaluation date (validity of codes, lists and orders); ``supply_chain`` is the
    declared upstream suppliers for the batch (contract ``supply_chain`` file), when given;
    ``outcomes`` are past exam outcomes (contract ``outcomes``), given to ``fit`` only —
    detectors that learn from them must drop those decided after ``as_of``.
    """

    ref: ReferenceData
    as_of: date
    supply_chain: pl.DataFrame | None = None
    config: dict[str, Any] = field(default_factory=dict)
    outcomes: pl.DataFrame | None = None


class LineDetector(Protocol):
    """A detector over entry lines: fit a baseline on history, then find issues in a batch."""

    name: ClassVar[str]
    version: ClassVar[str]

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """Build the baseline from past declaration lines (may be empty)."""

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Return findings for the batch in :data:`tradeguard.findings.FINDINGS_SCHEMA`."""


@runtime_checkable
class RemembersParties(Protocol):
    """A detector whose per-line work is screening parties, remembered once screened.

    A batch engine may call :meth:`remember` over all of a run's lines ahead of scoring (in
    another process, while the driver does other work) and ship the detector with what it
    remembered, so each batch only looks its parties up. ``detect`` gives the same findings
    either way.
    """

    def remember(self, lines: pl.DataFrame, ctx: DetectionContext) -> None:
        """Screen the parties of ``lines`` now and keep the results."""


def configured(ctx: DetectionContext, name: str, default: SettingsT) -> SettingsT:
    """A detector's settings for this run: ``ctx.config[name]`` (a settings object of the same
    kind, or a dict validated into one), else the detector's own ``default``."""
    given = ctx.config.get(name)
    kind = type(default)
    if isinstance(given, kind):
        return given
    if isinstance(given, dict):
        return kind.model_validate(given)
    return default


def declaration_lines(entries: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Join entry headers onto their lines: one row per line with every declared field.

    Detectors and risk profiles reason about a line in the context of its entry (importer,
    route, dates), so they all read this one shape. Lines whose entry is unknown keep null
    header fields; a header column the lines also carry is taken from the lines. An entry
    number twice in ``entries`` is refused: it would silently duplicate its lines.
    """
    if entries["entry_number"].is_duplicated().any():
        dup = entries.filter(pl.col("entry_number").is_duplicated())["entry_number"][0]
        raise ValueError(f"entries: entry_number {dup!r} appears more than once")
    shared = [c for c in entries.columns if c in lines.columns and c != "entry_number"]
    return lines.join(entries.drop(shared), on="entry_number", how="left", coalesce=True)
