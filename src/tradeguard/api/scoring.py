"""Scoring for the service: the library's pipeline with detectors fitted once, not per call.

``score_declarations`` fits every detector on the history it is given, which is right for a
batch and far too slow for one entry at a time (building the watch-list index alone takes a
second). :class:`EntryScorer` fits the registered detectors once on the stored history and
hands the pipeline a registry of those fitted detectors whose ``fit`` is a no-op; everything
else (rules, model, risk, lanes, versions) is the pipeline's own code, unchanged, so a line
scored here gets exactly the assessment the batch run gives it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from tradeguard.detectors.base import LineDetector
    from tradeguard.model import ModelArtifact
    from tradeguard.pipeline import DetectorRegistry, ScoringResult
    from tradeguard.refdata import ReferenceData
    from tradeguard.rules import ProfileSet
    from tradeguard.targeting import TargetingConfig


def _fitted(detector: LineDetector) -> LineDetector:
    """The same detector object, re-classed so the pipeline's ``fit`` call keeps its baseline."""
    cls = type(detector)
    frozen = type(cls.__name__, (cls,), {
        "__slots__": (), "__module__": cls.__module__,
        "fit": lambda self, history, ctx: None,
    })
    detector.__class__ = frozen
    return detector


def _always(detector: LineDetector) -> Callable[[], LineDetector]:
    """A factory handing out the one fitted detector."""
    return lambda: detector


def fitted_registry(
    registry: DetectorRegistry, history: pl.DataFrame, ref: ReferenceData, as_of: date,
) -> DetectorRegistry:
    """Build and fit every detector of ``registry`` on ``history`` (declaration lines) once."""
    from tradeguard.detectors.base import DetectionContext
    from tradeguard.pipeline import DetectorError, DetectorRegistry

    ctx = DetectionContext(ref=ref, as_of=as_of)
    out = DetectorRegistry()
    for name, detector in registry.build():
        try:
            detector.fit(history, ctx)
        except Exception as exc:
            raise DetectorError(name, "fit", exc) from exc
        out.register(name, _always(_fitted(detector)))
    return out


#: Polars already spreads one scoring run over every core; concurrent runs only fight over
#: them (measured: 40 at once finish ~5x slower in total than one after another).
_ONE_AT_A_TIME = threading.Lock()


@dataclass
class EntryScorer:
    """Scores entries synchronously against a baseline fitted when the service started."""

    ref: ReferenceData
    profiles: ProfileSet
    config: TargetingConfig
    registry: DetectorRegistry
    model: ModelArtifact | None = None
    history_entries: pl.DataFrame | None = None
    history_lines: pl.DataFrame | None = None
    outcomes: pl.DataFrame | None = None

    def score(
        self, entries: pl.DataFrame, lines: pl.DataFrame,
        supply_chain: pl.DataFrame | None = None, as_of: date | None = None,
    ) -> ScoringResult:
        """Assessments and findings for the given entries (contract columns, typed)."""
        from tradeguard.pipeline import score_declarations

        with _ONE_AT_A_TIME:
            return score_declarations(
                entries, lines, supply_chain=supply_chain,
                history_entries=self.history_entries, history_lines=self.history_lines,
                outcomes=self.outcomes, model=self.model, ref=self.ref, config=self.config,
                profiles=self.profiles, registry=self.registry, as_of=as_of)


def build_scorer(
    history_entries: pl.DataFrame, history_lines: pl.DataFrame, *,
    outcomes: pl.DataFrame | None = None, model: ModelArtifact | None = None,
    ref: ReferenceData | None = None, as_of: date | None = None,
) -> EntryScorer:
    """Fit the detectors on the history and keep only what the model's history features need.

    The model's past-outcome features read history lines that have an exam outcome, so only
    those are kept per call; the detectors' baselines are already fitted on all of it.
    """
    from tradeguard.pipeline import declarations, default_registry
    from tradeguard.refdata import load_reference_data
    from tradeguard.rules import load_profile_set, shipped_profiles_dir
    from tradeguard.targeting import load_targeting_config

    ref = ref or load_reference_data()
    history = declarations(history_entries, history_lines)
    day = as_of or history.get_column("entry_date").max() or date.today()
    assert isinstance(day, date)
    registry = fitted_registry(default_registry(), history, ref, day)
    keep_e = keep_l = None
    if model is not None and outcomes is not None and not outcomes.is_empty():
        examined = outcomes.get_column("entry_number").cast(pl.String).unique().implode()
        keep_e = history_entries.filter(pl.col("entry_number").is_in(examined))
        keep_l = history_lines.filter(pl.col("entry_number").is_in(examined))
    return EntryScorer(ref, load_profile_set(shipped_profiles_dir()), load_targeting_config(),
                       registry, model, keep_e, keep_l, outcomes)


class LazyScorer:
    """Builds the scorer on first use (fitting takes seconds), once, thread-safely."""

    def __init__(self, build: Any) -> None:
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
