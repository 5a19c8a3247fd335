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

import json
import threading
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.detectors.base import DetectionContext, LineDetector
from tradeguard.findings import conform, empty_findings
from tradeguard.pipeline.registry import LEARNED_DETECTORS, DetectorError, default_registry
from tradeguard.pipeline.run import (
    KILL_SWITCH_OFF,
    WATCH_LISTS,
    ScoringResult,
    declarations,
    input_digest,
    model_scores,
    past_outcome_history,
)
from tradeguard.security.redaction import confidential_values, redact_texts
from tradeguard.targeting.assessment import ASSESSMENT_SCHEMA, NO_MODEL
from tradeguard.targeting.lanes import assign_lanes
from tradeguard.targeting.online import LaneCutoffs, assign_lanes_online, lane_cutoffs
from tradeguard.targeting.risk import KEYS, combine_risk

if TYPE_CHECKING:
    from tradeguard.model import ModelArtifact
    from tradeguard.pipeline.registry import DetectorRegistry
    from tradeguard.refdata import ReferenceData
    from tradeguard.rules import ProfileSet
    from tradeguard.targeting.config import TargetingConfig

FittedChain = list[tuple[str, LineDetector]]


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
        ctx = DetectionContext(ref=self.ref, as_of=day)
        out: FittedChain = []
        for name, detector in self.registry.build():
            try:
                detector.fit(history, ctx)
            except Exception as exc:
                raise DetectorError(name, "fit", exc) from exc
            out.append((name, detector))
        return out

    def detect(
        self, decl: pl.DataFrame, ctx: DetectionContext,
    ) -> tuple[pl.DataFrame, dict[str, str]]:
        """Every fitted detector over the batch; any failure stops the run with its name."""
        parts: list[pl.DataFrame] = [empty_findings()]
        versions: dict[str, str] = {}
        for name, detector in self.fitted(ctx.as_of, decl):
            try:
                parts.append(conform(detector.detect(decl, ctx)))
            except Exception as exc:
                raise DetectorError(name, "detect", exc) from exc
            versions[name] = f"{type(detector).name}@{type(detector).version}"
        return pl.concat(parts, how="vertical"), versions

    def score(
        self, entries: pl.DataFrame, lines: pl.DataFrame,
        supply_chain: pl.DataFrame | None = None, as_of: date | None = None,
    ) -> ScoringResult:
        """Score every line of ``entries``/``lines`` (contract columns, typed or text).

        ``as_of`` (default: the latest entry date of the batch) dates the reference data,
        profiles and list validity for this batch (and the baseline, unless pinned).
        """
        from tradeguard.rules import evaluate

        cfg = self.config
        decl = declarations(entries, lines)
        day = as_of or decl.get_column("entry_date").max() or date.today()
        assert isinstance(day, date)
        ctx = DetectionContext(ref=self.ref, as_of=day, supply_chain=supply_chain)
        found, detector_versions = self.detect(decl, ctx)
        rules = evaluate(self.profiles, decl, on=day)
        findings = pl.concat([found, rules.findings], how="vertical")

        scores = None
        if self.model is not None:
            past = past_outcome_history(decl, self._examined, self.outcomes, day)
            scores = model_scores(self.model, decl, findings, past)
        keys = decl.select(pl.col("entry_number").cast(pl.String),
                           pl.col("line_number").cast(pl.Int64))
        risk = combine_risk(keys, findings, rules.treatments, cfg, scores)
        # Assessments are exported and logged: their reasons name roles, not declared parties.
        risk = redact_texts(risk, "reason_texts", confidential_values(decl, supply_chain))
        header = decl.select(
            pl.col("port_of_entry").cast(pl.String), pl.col("entry_date").cast(pl.Date),
            pl.col("trusted_trader").cast(pl.Boolean), input_digest(decl))
        lane_input = pl.concat([risk, header], how="horizontal")
        if self.lane_cutoffs is None:
            laned = assign_lanes(lane_input, cfg)
        else:
            laned = assign_lanes_online(lane_input, cfg, self.lane_cutoffs)
        if scores is not None:
            laned = laned.join(scores.select(*KEYS, pl.col("probability").alias(
                "model_probability")), on=KEYS, how="left", maintain_order="left")
        else:
            laned = laned.with_columns(
                pl.lit(None, dtype=pl.Float64).alias("model_probability"))
        versions: dict[str, Any] = {
            "model": self.model_version, "rules": self.profiles.version,
            "targeting": cfg.version, "lists": self.lists, "refdata": self.refdata,
            "detectors": detector_versions,
        }
        assessments = laned.with_columns(
            pl.lit(self.model_version).alias("model_version"),
            pl.lit(self.profiles.version).alias("rules_version"),
            pl.lit(json.dumps(self.lists, sort_keys=True)).alias("list_versions"),
            pl.lit(json.dumps(self.refdata, sort_keys=True)).alias("refdata_versions"),
            pl.lit(json.dumps(detector_versions, sort_keys=True)).alias("detector_versions"),
            pl.lit(cfg.version).alias("targeting_version"),
        ).select([pl.col(c).cast(t) for c, t in ASSESSMENT_SCHEMA.items()])
        return ScoringResult(assessments, findings, versions, day,
                             self._warnings(rules.warnings))

    def calibrate_lanes(self, batch: ScoringResult) -> LaneCutoffs:
        """Assign lanes online from now on, at the cut-offs ``batch``'s quotas implied.

        ``batch`` is a recent batch run (e.g. the last port-day); see
        :mod:`tradeguard.targeting.online`.
        """
        self.lane_cutoffs = lane_cutoffs(
            batch.assessments, source=f"batch as of {batch.as_of.isoformat()}, "
            f"{batch.assessments.height} lines")
        return self.lane_cutoffs

    def _warnings(self, rule_warnings: Sequence[str]) -> tuple[str, ...]:
        warnings = list(rule_warnings)
        if not self.ai_lanes_enabled:
            warnings.append("AI-assisted lanes are switched off (kill switch): no model; "
                            f"detectors left out: {', '.join(self.switched_off)}")
        return tuple(warnings)



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
