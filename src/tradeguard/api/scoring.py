"""Scoring for the service: the pipeline's :class:`~tradeguard.pipeline.Scorer`, fitted once.

The scorer is built on the stored history when the service first needs it (fitting takes
seconds); each request then does only per-entry work, through the pipeline's own code, so a
line scored here gets exactly the assessment the batch run gives it with the same baseline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from tradeguard.model import ModelArtifact
    from tradeguard.pipeline import Scorer, ScoringResult
    from tradeguard.refdata import ReferenceData


#: Polars already spreads one scoring run over every core; concurrent runs only fight over
#: them (measured: 40 at once finish ~5x slower in total than one after another).
_ONE_AT_A_TIME = threading.Lock()


class EntryScorer:
    """Scores entries synchronously, one request at a time, with a scorer fitted at start."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer

    def score(
        self, entries: pl.DataFrame, lines: pl.DataFrame,
        supply_chain: pl.DataFrame | None = None, as_of: date | None = None,
    ) -> ScoringResult:
        """Assessments and findings for the given entries (contract columns, typed)."""
        with _ONE_AT_A_TIME:
            return self.scorer.score(entries, lines, supply_chain=supply_chain, as_of=as_of)


def build_scorer(
    history_entries: pl.DataFrame, history_lines: pl.DataFrame, *,
    outcomes: pl.DataFrame | None = None, model: ModelArtifact | None = None,
    ref: ReferenceData | None = None, as_of: date | None = None,
) -> EntryScorer:
    """Fit the detectors on the history as of ``as_of`` (default: its latest entry date)."""
    from tradeguard.pipeline import Scorer

    return EntryScorer(Scorer(
        history_entries=history_entries, history_lines=history_lines, outcomes=outcomes,
        model=model, ref=ref, baseline_as_of=as_of, pin_baseline=True))


class LazyScorer:
    """Builds the scorer on first use (fitting takes seconds), once, thread-safely."""

    def __init__(self, build: Callable[[], EntryScorer]) -> None:
        self._build = build
        self._scorer: EntryScorer | None = None
        self._lock = threading.Lock()

    def get(self) -> EntryScorer:
        """The scorer, built now if needed."""
        if self._scorer is None:
            with self._lock:
                if self._scorer is None:
                    self._scorer = self._build()
        assert self._scorer is not None
        return self._scorer

    @property
    def ready(self) -> bool:
        """True once built."""
        return self._scorer is not None
