"""Scoring for the service: the pipeline's :class:`~tradeguard.pipeline.Scorer`, fitted once.

The scorer is built on the stored history when the service starts (``ApiConfig.warm_scorer``)
or first needs it (fitting takes seconds); each request then does only per-entry work,
through the pipeline's own code, so a line scored here gets exactly the assessment the batch
run gives it with the same baseline.

Every score asks the deployment gate first (a
:class:`~tradeguard.governance.deployment.RegistryWatch`, fresh within a second of a change
to the registry file): a model version that is not approved, unexpired and unrevoked is left
out, and while the kill switch is engaged the model and the machine-learned detectors are left
out, so rules, deterministic checks and the random sample keep working. Both are views of the
one fitted scorer, made per request in microseconds, so a change in the registry needs no
refit and no restart; the response's ``versions.model`` and ``warnings`` say which applied.

One request is scored at a time per process: a service uses one process per core (see
:mod:`tradeguard.api.processes`) with Polars on one thread each, so concurrent requests in one
process would only take turns on the same core while holding memory.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from tradeguard.governance.deployment import DeploymentStatus, RegistryWatch
    from tradeguard.model import ModelArtifact
    from tradeguard.pipeline import Scorer, ScoringResult
    from tradeguard.refdata import ReferenceData
    from tradeguard.targeting.config import TargetingConfig


log = logging.getLogger(__name__)

#: Concurrent runs in one process only fight over its core (measured: 40 at once finish ~5x
#: slower in total than one after another).
_ONE_AT_A_TIME = threading.Lock()
#: Lines of the latest stored entries scored as one batch at warm-up (bounds its time, ~0.4 s
#: per 12,000 lines, and the remembered tree patterns, a few thousand).
WARM_BATCH_LINES = 20_000
#: Latest stored entries then scored one at a time at warm-up (~5-40 ms each).
WARM_ENTRIES = 24


class ScorerBusy(RuntimeError):
    """The process already holds as many score requests as it may (see ``admitted``)."""


def refused_model_label(status: DeploymentStatus) -> str:
    """``versions.model`` of an assessment made without the model the gate refused."""
    refused = status.refused
    assert refused is not None
    return f"none (model {refused.version} refused by the deployment gate: {refused.state})"


def gated_scorer(scorer: Scorer, status: DeploymentStatus) -> Scorer:
    """``scorer`` as the gate allows it now: as is, without its model, or with AI lanes off.

    The views share the fitted detectors (a shallow copy with the learned ones left out of
    the pinned chain), so they cost no fitting; the scorer itself is never changed.
    """
    if status.ai_lanes_enabled:
        if scorer.model is None or status.refused is None:
            return scorer
        view = copy.copy(scorer)
        view.model, view.model_version = None, refused_model_label(status)
        return view
    if not scorer.ai_lanes_enabled:
        return scorer
    from tradeguard.pipeline.registry import LEARNED_DETECTORS
    from tradeguard.pipeline.run import KILL_SWITCH_OFF

    day = scorer.baseline_as_of
    if day is None or scorer.history is None:
        raise ValueError("the kill switch needs a scorer fitted at a pinned baseline on "
                         "history (see build_scorer)")
    learned = tuple(sorted(LEARNED_DETECTORS & set(scorer.registry.names())))
    view = scorer.with_chain(scorer.fitted(day, scorer.history).without(learned))
    view.registry = scorer.registry.without(*learned)
    view.model, view.ai_lanes_enabled, view.switched_off = None, False, learned
    view.model_version = KILL_SWITCH_OFF
    return view


class EntryScorer:
    """Scores entries synchronously, one request at a time, with a scorer fitted at start.

    With a ``gate`` every score uses what the registry allows at that moment
    (:func:`gated_scorer`); without one (tests, benchmarks) the scorer is used as fitted.
    """

    def __init__(self, scorer: Scorer, gate: RegistryWatch | None = None) -> None:
        self.scorer = scorer
        self.gate = gate
        self._held = 0
        self._count = threading.Lock()

    @property
    def deployment(self) -> DeploymentStatus | None:
        """The gate's current answer (None when this scorer is not gated)."""
        return None if self.gate is None else self.gate.current()

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
        """Assessments and findings for the given entries (contract columns, typed), with
        the gate's warnings added when it left the model or the AI-assisted lanes out."""
        status = self.deployment
        scorer = self.scorer if status is None else gated_scorer(self.scorer, status)
        with _ONE_AT_A_TIME:
            result = scorer.score(entries, lines, supply_chain=supply_chain, as_of=as_of)
        if status is not None and status.warnings:
            result = dataclasses.replace(result, warnings=(*result.warnings, *status.warnings))
        return result

    def warm_up(self, entries: pl.DataFrame, lines: pl.DataFrame) -> None:
        """Score stored entries and drop the answers, so the first requests cost what later
        ones do (measured: ~4.5 ms more per entry on a fresh process without this).

        First the latest entries holding up to :data:`WARM_BATCH_LINES` lines as one batch
        (~0.5 s): the model then remembers the trees' contributions of their split patterns
        (~63 us per pattern first met). Then the latest :data:`WARM_ENTRIES` entries one at
        a time: the lookups the single-entry paths build on first use (duty tables, check
        tables, screening indexes, network facts, tariff tables) then exist before any
        request. Answers do not depend on what was scored before, only the time does.
        """
        latest = _latest_entries(entries, lines, WARM_BATCH_LINES)
        if not latest:
            return
        self._warm(entries, lines, latest)
        for number in latest[:WARM_ENTRIES]:
            self._warm(entries, lines, [number])

    def _warm(self, entries: pl.DataFrame, lines: pl.DataFrame, numbers: list[str]) -> None:
        """Score the stored entries ``numbers``; a failure is logged, never raised (a stored
        entry that no longer scores must not stop the service)."""
        chosen = pl.Series("entry_number", numbers, dtype=pl.String).implode()
        try:
            self.score(entries.filter(pl.col("entry_number").cast(pl.String).is_in(chosen)),
                       lines.filter(pl.col("entry_number").cast(pl.String).is_in(chosen)))
        except Exception:
            log.warning("warm-up scoring of %d stored entries failed (latest %s)",
                        len(numbers), numbers[0], exc_info=True)


def _latest_entries(entries: pl.DataFrame, lines: pl.DataFrame, max_lines: int) -> list[str]:
    """Numbers of the latest entries (by entry date, newest first) that have lines, as many
    as hold at most ``max_lines`` lines together (at least one)."""
    counts = lines.group_by(pl.col("entry_number").cast(pl.String)).len("lines")
    ranked = (entries.select(pl.col("entry_number").cast(pl.String), "entry_date")
              .unique("entry_number", keep="first")
              .join(counts, on="entry_number", how="inner")
              .sort(["entry_date", "entry_number"], descending=True, nulls_last=True))
    kept = ranked.filter((pl.col("lines").cum_sum() <= max_lines) | (pl.int_range(pl.len()) == 0))
    return kept.get_column("entry_number").to_list()


def build_scorer(
    history_entries: pl.DataFrame, history_lines: pl.DataFrame, *,
    outcomes: pl.DataFrame | None = None, model: ModelArtifact | None = None,
    ref: ReferenceData | None = None, as_of: date | None = None,
    gate: RegistryWatch | None = None, config: TargetingConfig | None = None,
) -> EntryScorer:
    """Fit the detectors on the history as of ``as_of`` (default: its latest entry date);
    with a ``gate``, each score uses what the registry allows at that moment; ``config``:
    the targeting configuration (default: the shipped one)."""
    from tradeguard.pipeline import Scorer

    return EntryScorer(Scorer(
        history_entries=history_entries, history_lines=history_lines, outcomes=outcomes,
        model=model, ref=ref, config=config, baseline_as_of=as_of, pin_baseline=True), gate)


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
