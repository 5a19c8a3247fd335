"""Fit once, score many: the scoring chain with its fixed inputs prepared a single time.

Everything that does not depend on the batch being scored — reference data, compiled rules
profiles, fitted detectors (peer prices, list indexes, gazetteers), the model, the history's
declaration lines and the version stamps — is built when the :class:`Scorer` is made.
:meth:`Scorer.score` then does only per-batch work, so a service can answer one entry at a
time and a batch run gets exactly the same assessments (``score_declarations`` is a scorer
used once).

Detector baselines depend on the evaluation date (valuation windows). A scorer made with
``baseline_as_of`` fits once at that date and scores every batch against it (the service);
without it, detectors are fitted at each batch's own date, once per date (the batch run).

Lanes: a batch fills each port-day's quotas (:mod:`tradeguard.targeting.lanes`). A scorer
given ``lane_cutoffs`` (or :meth:`Scorer.calibrate_lanes` on a recent batch) assigns lanes
online instead, against the risk cut-offs those quotas implied, with the same forced lanes,
seeded random sample and trusted-trader track (:mod:`tradeguard.targeting.online`).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.detectors.base import DetectionContext, LineDetector
from tradeguard.findings import conform, empty_findings, is_canonical
from tradeguard.kept import Kept
from tradeguard.pipeline.lane_request import plain_keys, plain_lane_frame
from tradeguard.pipeline.registry import LEARNED_DETECTORS, DetectorError, default_registry
from tradeguard.pipeline.run import (
    KILL_SWITCH_OFF,
    WATCH_LISTS,
    ScoringResult,
    declarations,
    finish_assessments,
    input_digest,
    known_past_outcomes,
    model_scores,
    past_outcome_history,
)
from tradeguard.security.redaction import redact_declared
from tradeguard.targeting.assessment import NO_MODEL
from tradeguard.targeting.lanes import assign_lanes
from tradeguard.targeting.lanes_request import SMALL_LANE_LINES, few_lines_lanes
from tradeguard.targeting.online import LaneCutoffs, assign_lanes_online, lane_cutoffs
from tradeguard.targeting.risk import KEYS, combine_risk
from tradeguard.targeting.sample import sample_draw

if TYPE_CHECKING:
    from tradeguard.model import ModelArtifact
    from tradeguard.pipeline.registry import DetectorRegistry
    from tradeguard.refdata import ReferenceData
    from tradeguard.rules import ProfileSet
    from tradeguard.targeting.config import TargetingConfig

#: Days whose past exam outcomes a scorer keeps (a service scores entries of a few days).
PAST_DAYS_KEPT = 8


class FittedChain:
    """Detectors fitted at one date, in run order; iterates as ``(name, detector)``.

    Plain data plus fitted detectors, so it pickles: batch engines ship it to their workers.
    """

    def __init__(self, detectors: Sequence[tuple[str, LineDetector]]) -> None:
        self.detectors = tuple(detectors)
        self._versions: dict[str, str] | None = None

    def __iter__(self) -> Iterator[tuple[str, LineDetector]]:
        return iter(self.detectors)

    def __len__(self) -> int:
        return len(self.detectors)

    @property
    def versions(self) -> dict[str, str]:
        """``name -> Class@version`` of every detector, in run order (worked out once: the
        chain's detectors are fixed; each caller gets its own copy)."""
        known = self.__dict__.get("_versions")
        if known is None:
            known = {n: f"{type(d).name}@{type(d).version}" for n, d in self.detectors}
            self._versions = known
        return dict(known)

    def only(self, names: Collection[str]) -> FittedChain:
        """The detectors called one of ``names`` (same fitted objects, same order)."""
        return FittedChain([(n, d) for n, d in self.detectors if n in names])

    def without(self, names: Collection[str]) -> FittedChain:
        """Every detector but those called one of ``names``."""
        return FittedChain([(n, d) for n, d in self.detectors if n not in names])

    def detect(
        self, decl: pl.DataFrame, ctx: DetectionContext,
    ) -> tuple[pl.DataFrame, dict[str, str]]:
        """Every detector over ``decl``; any failure stops the run with its name.

        Detectors without findings (most, on a request) are left out of the concatenation:
        their frames add no rows and have the canonical schema once conformed."""
        parts: list[pl.DataFrame] = []
        for name, detector in self.detectors:
            try:
                found = conform(detector.detect(decl, ctx))
            except Exception as exc:
                raise DetectorError(name, "detect", exc) from exc
            if found.height:
                parts.append(found)
        return _stacked(parts), self.versions


def _stacked(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Canonical findings frames one under the other, as ``pl.concat`` gives them: frames
    without rows add nothing, so they are skipped, and a single frame is returned as is."""
    kept = [f for f in frames if f.height]
    if not kept:
        return empty_findings()
    return kept[0] if len(kept) == 1 else pl.concat(kept, how="vertical")


def fit_chain(
    registry: DetectorRegistry, history: pl.DataFrame, ctx: DetectionContext,
) -> FittedChain:
    """Every registered detector fitted on ``history``; a failure stops with its name."""
    out: list[tuple[str, LineDetector]] = []
    for name, detector in registry.build():
        try:
            detector.fit(history, ctx)
        except Exception as exc:
            raise DetectorError(name, "fit", exc) from exc
        out.append((name, detector))
    return FittedChain(out)


@dataclass(frozen=True)
class BatchFindings:
    """A batch's own findings, before risk: its detectors' and its rules profiles', kept apart
    so the cross-entry detectors' findings go between them (the order every path uses), with
    the profiles' treatments and warnings. Plain data, so a batch engine can keep it on disk
    while the cross-entry step runs."""

    detected: pl.DataFrame
    detector_versions: dict[str, str]
    rule_findings: pl.DataFrame
    treatments: pl.DataFrame
    rule_warnings: tuple[str, ...]

    def findings(self, extra: pl.DataFrame | None = None) -> pl.DataFrame:
        """Every finding of the batch: detectors', ``extra`` (cross-entry), then rules'."""
        parts = [self.detected, *([] if extra is None else [extra]), self.rule_findings]
        if all(is_canonical(f) for f in parts):
            return _stacked(parts)
        return pl.concat(parts, how="vertical")


@dataclass(frozen=True)
class LaneInputs:
    """One batch assessed up to its lanes: risk, reasons, lane inputs, model probability."""

    frame: pl.DataFrame
    findings: pl.DataFrame
    detector_versions: dict[str, str]
    rule_warnings: tuple[str, ...]


class Scorer:
    """The scoring chain fitted on history and reference data; ``score`` per batch."""

    def __init__(
        self,
        *,
        history_entries: pl.DataFrame | None = None,
        history_lines: pl.DataFrame | None = None,
        outcomes: pl.DataFrame | None = None,
        model: ModelArtifact | None = None,
        ref: ReferenceData | None = None,
        config: TargetingConfig | None = None,
        profiles: ProfileSet | None = None,
        registry: DetectorRegistry | None = None,
        ai_lanes_enabled: bool = True,
        baseline_as_of: date | None = None,
        pin_baseline: bool = False,
        lane_cutoffs: LaneCutoffs | None = None,
    ) -> None:
        from tradeguard.refdata import load_reference_data
        from tradeguard.rules import load_profile_set, shipped_profiles_dir
        from tradeguard.targeting.config import load_targeting_config

        self.config = config or load_targeting_config()
        self.ref = ref or load_reference_data()
        self.profiles = profiles or load_profile_set(shipped_profiles_dir())
        self.ai_lanes_enabled = ai_lanes_enabled
        self.lane_cutoffs = lane_cutoffs
        chain = registry or default_registry()
        self.switched_off: tuple[str, ...] = ()
        if not ai_lanes_enabled:
            model = None
            self.switched_off = tuple(sorted(LEARNED_DETECTORS & set(chain.names())))
            chain = chain.without(*self.switched_off)
        self.registry = chain
        self.model = model
        self.outcomes = outcomes
        self.history: pl.DataFrame | None = None
        if history_entries is not None and history_lines is not None:
            self.history = declarations(history_entries, history_lines)
        self._examined = _examined_history(self.history, outcomes if model else None)
        self._fitted: dict[date, FittedChain] = {}
        self._past: Kept[date, pl.DataFrame] = Kept(PAST_DAYS_KEPT)
        self._fit_lock = threading.Lock()
        if pin_baseline and baseline_as_of is None and self.history is not None:
            latest = self.history.get_column("entry_date").max()
            baseline_as_of = latest if isinstance(latest, date) else date.today()
        self.baseline_as_of = baseline_as_of
        if baseline_as_of is not None and self.history is not None:
            self.fitted(baseline_as_of, self.history)
        versions = self.ref.versions
        self.lists = {k: v for k, v in versions.items() if k in WATCH_LISTS}
        self.refdata = {k: v for k, v in versions.items() if k not in WATCH_LISTS}
        model_version = model.version if model is not None else NO_MODEL
        self.model_version = model_version if ai_lanes_enabled else KILL_SWITCH_OFF

    def fitted(self, day: date, batch: pl.DataFrame) -> FittedChain:
        """The registered detectors fitted on the history as of ``day`` (fitted once).

        Without history they are fitted on an empty frame shaped like ``batch``.
        """
        if self.baseline_as_of is not None:
            day = self.baseline_as_of
        with self._fit_lock:
            chain = self._fitted.get(day)
            if chain is None:
                chain = self._fit(day, self.history if self.history is not None
                                  else batch.clear())
                self._fitted[day] = chain
        return chain

    def _fit(self, day: date, history: pl.DataFrame) -> FittedChain:
        return fit_chain(self.registry, history,
                         DetectionContext(ref=self.ref, as_of=day, outcomes=self.outcomes))

    def without_history(self) -> Scorer:
        """This scorer with its fitted chain but no history: small enough to ship to workers.

        Needs a pinned baseline already fitted; the copy reads no past outcomes itself, so
        callers pass ``past`` to :meth:`assess` (the batch engines read it once per run).
        """
        if self.baseline_as_of is None or self.baseline_as_of not in self._fitted:
            raise ValueError("only a scorer with a fitted, pinned baseline can drop history")
        from tradeguard.pipeline.registry import DetectorRegistry

        slim = copy.copy(self)
        slim.history, slim._examined, slim.outcomes = None, None, None
        # A pinned scorer never fits again; the registry's factories need not travel.
        slim.registry = DetectorRegistry()
        slim._fitted = {self.baseline_as_of: self._fitted[self.baseline_as_of]}
        slim._fit_lock = threading.Lock()
        return slim

    def with_chain(self, chain: FittedChain) -> Scorer:
        """This pinned scorer holding only ``chain`` as its fitted detectors (e.g. the ones a
        batch worker runs), so the others need not travel."""
        if self.baseline_as_of is None:
            raise ValueError("only a scorer with a pinned baseline can swap its chain")
        slim = copy.copy(self)
        slim._fitted = {self.baseline_as_of: chain}
        slim._fit_lock = threading.Lock()
        return slim

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_fit_lock"]
        state["_past"] = Kept(PAST_DAYS_KEPT)  # rebuilt from the history where it is needed
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_past", Kept(PAST_DAYS_KEPT))
        self._fit_lock = threading.Lock()

    def detect(
        self, decl: pl.DataFrame, ctx: DetectionContext,
    ) -> tuple[pl.DataFrame, dict[str, str]]:
        """Every fitted detector over the batch; any failure stops the run with its name."""
        return self.fitted(ctx.as_of, decl).detect(decl, ctx)

    def past_outcomes(self, decl: pl.DataFrame, day: date) -> pl.DataFrame | None:
        """Past exam outcomes the model may use for ``decl`` (None without a model).

        The history's part is kept per day (:func:`known_past_outcomes`); a batch takes its
        own lines out of it. When that removes nothing, the kept frame itself is returned,
        so the model's history statistics over it are kept too."""
        if self.model is None:
            return None
        if self._examined is None or self.outcomes is None or self.outcomes.is_empty():
            return past_outcome_history(decl, self._examined, self.outcomes, day)
        past = self._past.get(day)
        if past is None:
            past = self._past.keep(day, known_past_outcomes(self._examined, self.outcomes, day))
        from tradeguard.model.line_features import without_lines

        return without_lines(past, decl)

    def find(self, decl: pl.DataFrame, ctx: DetectionContext,
             chain: FittedChain | None = None) -> BatchFindings:
        """The detectors' (``chain``, default: every fitted one) and the rules profiles'
        findings on the declaration lines ``decl``."""
        from tradeguard.rules import evaluate

        chain = chain if chain is not None else self.fitted(ctx.as_of, decl)
        found, detector_versions = chain.detect(decl, ctx)
        rules = evaluate(self.profiles, decl, on=ctx.as_of)
        return BatchFindings(found, detector_versions, rules.findings, rules.treatments,
                             tuple(rules.warnings))

    def assess(
        self, decl: pl.DataFrame, ctx: DetectionContext, *, past: pl.DataFrame | None,
        chain: FittedChain | None = None, extra_findings: pl.DataFrame | None = None,
        found: BatchFindings | None = None,
    ) -> LaneInputs:
        """Findings, rules, model and risk for the declaration lines ``decl``, before lanes.

        ``chain`` (default: every fitted detector) and ``extra_findings`` let a batch engine
        run the cross-entry detectors once for a whole run and add their findings here;
        ``found`` (from :meth:`find`) when the batch's own findings were found already.
        """
        found = found if found is not None else self.find(decl, ctx, chain)
        findings = found.findings(extra_findings)
        scores = None
        if self.model is not None:
            scores = model_scores(self.model, decl, findings, past)
        keys = plain_keys(decl)
        if keys is None:
            keys = decl.select(pl.col("entry_number").cast(pl.String),
                               pl.col("line_number").cast(pl.Int64))
        risk = combine_risk(keys, findings, found.treatments, self.config, scores)
        # Assessments are exported and logged: their reasons name roles, not declared parties.
        risk = redact_declared(risk, "reason_texts", decl, ctx.supply_chain)
        frame = plain_lane_frame(risk, decl, scores)
        if frame is None:
            frame = _lane_frame(risk, decl, scores)
        return LaneInputs(frame, findings, found.detector_versions, found.rule_warnings)

    def lanes(self, lane_input: pl.DataFrame, draws: pl.Series | None = None) -> pl.DataFrame:
        """Lanes for every line of ``lane_input`` (quotas, or online cut-offs if calibrated);
        ``draws``: the lines' random-sample draws (:meth:`sample_draws`) when drawn already."""
        if self.lane_cutoffs is None:
            if draws is None and lane_input.height <= SMALL_LANE_LINES:  # a request's lines
                small = few_lines_lanes(lane_input, self.config)
                if small is not None:
                    return small
            return assign_lanes(lane_input, self.config, draws)
        return assign_lanes_online(lane_input, self.config, self.lane_cutoffs, draws)

    def sample_draws(self, keys: pl.DataFrame) -> pl.Series:
        """The random-sample draw of each line of ``keys`` (entry and line number) under this
        scorer's targeting: per line, so batch workers draw their own lines' in parallel."""
        sample = self.config.random_sample
        return sample_draw(keys, sample.seed, self.config.version).alias("sample_draw")

    def versions(self, detector_versions: dict[str, str]) -> dict[str, Any]:
        """The versions block of a result: model, rules, targeting, lists, refdata, detectors."""
        return {
            "model": self.model_version, "rules": self.profiles.version,
            "targeting": self._targeting_version(), "lists": self.lists,
            "refdata": self.refdata, "detectors": detector_versions,
        }

    def _targeting_version(self) -> str:
        """The targeting configuration's version, hashed once per configuration (a frozen
        model; hashing its JSON costs ~35 us a request)."""
        known = self.__dict__.get("_targeting")
        if known is None or known[0] is not self.config:
            known = (self.config, self.config.version)
            self.__dict__["_targeting"] = known
        return str(known[1])

    def score(
        self, entries: pl.DataFrame, lines: pl.DataFrame,
        supply_chain: pl.DataFrame | None = None, as_of: date | None = None,
    ) -> ScoringResult:
        """Score every line of ``entries``/``lines`` (contract columns, typed or text).

        ``as_of`` (default: the latest entry date of the batch) dates the reference data,
        profiles and list validity for this batch (and the baseline, unless pinned).
        """
        decl = declarations(entries, lines)
        day = as_of or decl.get_column("entry_date").max() or date.today()
        assert isinstance(day, date)
        ctx = DetectionContext(ref=self.ref, as_of=day, supply_chain=supply_chain)
        assessed = self.assess(decl, ctx, past=self.past_outcomes(decl, day))
        versions = self.versions(assessed.detector_versions)
        assessments = finish_assessments(self.lanes(assessed.frame), versions)
        return ScoringResult(assessments, assessed.findings, versions, day,
                             self.warnings(assessed.rule_warnings))

    def calibrate_lanes(self, batch: ScoringResult) -> LaneCutoffs:
        """Assign lanes online from now on, at the cut-offs ``batch``'s quotas implied.

        ``batch`` is a recent batch run (e.g. the last port-day); see
        :mod:`tradeguard.targeting.online`.
        """
        self.lane_cutoffs = lane_cutoffs(
            batch.assessments, source=f"batch as of {batch.as_of.isoformat()}, "
            f"{batch.assessments.height} lines")
        return self.lane_cutoffs

    def warnings(self, rule_warnings: Sequence[str]) -> tuple[str, ...]:
        """The rules' warnings plus the kill switch's, when it is engaged."""
        warnings = list(rule_warnings)
        if not self.ai_lanes_enabled:
            warnings.append("AI-assisted lanes are switched off (kill switch): no model; "
                            f"detectors left out: {', '.join(self.switched_off)}")
        return tuple(warnings)


def _lane_frame(risk: pl.DataFrame, decl: pl.DataFrame,
                scores: pl.DataFrame | None) -> pl.DataFrame:
    """The risk columns with the header fields, the input digest and the model probability
    (the general path of :func:`tradeguard.pipeline.lane_request.plain_lane_frame`)."""
    header = decl.select(
        pl.col("port_of_entry").cast(pl.String), pl.col("entry_date").cast(pl.Date),
        pl.col("trusted_trader").cast(pl.Boolean), input_digest(decl))
    frame = pl.concat([risk, header], how="horizontal")
    if scores is not None:
        return frame.join(scores.select(*KEYS, pl.col("probability").alias(
            "model_probability")), on=KEYS, how="left", maintain_order="left")
    return frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("model_probability"))


def _examined_history(
    history: pl.DataFrame | None, outcomes: pl.DataFrame | None,
) -> pl.DataFrame | None:
    """History lines of entries with an exam outcome: all the model's past outcomes can use.

    Past-outcome features inner-join history lines to their outcomes, so keeping only these
    lines gives the same features while each batch concatenates far fewer rows.
    """
    if history is None or outcomes is None or outcomes.is_empty():
        return history
    examined = outcomes.get_column("entry_number").cast(pl.String).unique().implode()
    return history.filter(pl.col("entry_number").cast(pl.String).is_in(examined))
