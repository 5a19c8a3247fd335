"""Scoring for the service: the pipeline's :class:`~tradeguard.pipeline.Scorer`, fitted once.

The scorer is built on the stored history when the service starts (``ApiConfig.warm_scorer``)
or first needs it (fitting takes seconds); each request then does only per-entry work,
through the pipeline's own code, so a line scored here gets exactly the assessment the batch
run gives it with the same baseline.

One request is scored at a time per process: a service uses one process per core (see
:mod:`tradeguard.api.processes`) with Polars on one thread each, so concurrent requests in one
process would only take turns on the same core while holding memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from tradeguard.model import ModelArtifact
    from tradeguard.pipeline import Scorer, ScoringResult
    from tradeguard.refdata import ReferenceData


log = logging.getLogger(__name__)

#: Concurrent runs in one process only fight over its core (measured: 40 at once finish ~5x
#: slower in total than one after another).
_ONE_AT_A_TIME = threading.Lock()


class ScorerBusy(RuntimeError):
    """The process already holds as many score requests as it may (see ``admitted``)."""


class EntryScorer:
    """Scores entries synchronously, one request at a time, with a scorer fitted at start."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self._held = 0
        self._count = threading.Lock()

    @contextmanager
    def admitted(self, limit: int) -> Iterator[None]:
        """Hold one of ``limit`` places for a request (scoring or waiting to score).

        Raises :class:`ScorerBusy` at once when all are taken: at one entry per ~0.1 s a
        longer queue only makes every request in it late.
        """
        with self._count:
            if self._held >= limit:
                raise ScorerBusy(f"{self._held} score requests already held")
            self._held += 1
        try:
            yield
        finally:
            with self._count:
                self._held -= 1

    def score(
        self, entries: pl.DataFrame, lines: pl.DataFrame,
        supply_chain: pl.DataFrame | None = None, as_of: date | None = None,
    ) -> ScoringResult:
        """Assessments and findings for the given entries (contract columns, typed)."""
        with _ONE_AT_A_TIME:
            return self.scorer.score(entries, lines, supply_chain=supply_chain, as_of=as_of)

    def warm_up(self, entries: pl.DataFrame, lines: pl.DataFrame) -> None:
        """Score one known entry and drop the answer: the tables detectors build on first use
        (duty lookups, check tables, screening indexes) then exist before any request."""
        latest = entries.sort("entry_date", nulls_last=True).get_column("entry_number").tail(1)
        one = lines.filter(pl.col("entry_number").is_in(latest.implode()))
        if not one.height:
            return
        try:
            self.score(entries.filter(pl.col("entry_number").is_in(latest.implode())), one)
        except Exception:  # a stored entry that no longer scores must not stop the service
            log.warning("warm-up scoring of entry %s failed", latest.item(), exc_info=True)


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
