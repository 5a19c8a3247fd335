"""The fitted scoring chain: everything built once from history and shared by every batch.

Baselines (peer prices, known manufacturers, AD/CVD evasion history, screening indexes) are
fitted here exactly once, by the detectors' own ``fit``, then travel unchanged to every entry
batch — in process for DuckDB, as a broadcast variable for Spark. The object is plain data plus
fitted detectors, so it pickles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.detectors.base import DetectionContext, LineDetector
from tradeguard.pipeline.registry import DetectorError, DetectorRegistry, default_registry
from tradeguard.pipeline.run import declarations, past_outcome_history
from tradeguard.targeting.assessment import NO_MODEL

if TYPE_CHECKING:
    from tradeguard.model import ModelArtifact
    from tradeguard.refdata import ReferenceData
    from tradeguard.rules import ProfileSet
    from tradeguard.targeting.config import TargetingConfig

# Detectors whose findings for a line depend on other entries of the same batch (first-seen
# dates, plant medians, surges). They run once over the batch's candidate lines instead of
# per entry batch; see :mod:`tradeguard.engines.cross_entry`.
CROSS_ENTRY = ("adcvd",)


@dataclass
class FittedChain:
    """Fitted detectors, rules, targeting configuration, model and past outcomes."""

    detectors: list[tuple[str, LineDetector]]
    ctx: DetectionContext
    profiles: ProfileSet
    config: TargetingConfig
    model: ModelArtifact | None
    past: pl.DataFrame | None

    @property
    def detector_versions(self) -> dict[str, str]:
        """``name -> Class@version`` for every fitted detector, in run order."""
        return {n: f"{type(d).name}@{type(d).version}" for n, d in self.detectors}

    @property
    def model_version(self) -> str:
        """The model artifact's version, or the marker of a findings-and-rules-only run."""
        return self.model.version if self.model is not None else NO_MODEL

    def local(self) -> list[tuple[str, LineDetector]]:
        """Detectors whose findings depend only on the line's own entry and the baseline."""
        return [(n, d) for n, d in self.detectors if n not in CROSS_ENTRY]

    def cross_entry(self) -> list[tuple[str, LineDetector]]:
        """Detectors that compare lines across entries of the batch."""
        return [(n, d) for n, d in self.detectors if n in CROSS_ENTRY]


def fit_chain(
    *,
    as_of: date,
    history_entries: pl.DataFrame | None = None,
    history_lines: pl.DataFrame | None = None,
    supply_chain: pl.DataFrame | None = None,
    outcomes: pl.DataFrame | None = None,
    sample_declarations: pl.DataFrame | None = None,
    model: ModelArtifact | None = None,
    ref: ReferenceData | None = None,
    config: TargetingConfig | None = None,
    profiles: ProfileSet | None = None,
    registry: DetectorRegistry | None = None,
) -> FittedChain:
    """Fit every registered detector on the history once, as ``score_declarations`` does.

    ``sample_declarations`` is any batch of current declarations (only its columns matter): it
    lets past outcomes be read with the same column set as in the one-frame chain. Current lines
    are removed from the past outcomes later, globally, by the engine.
    """
    from tradeguard.refdata import load_reference_data
    from tradeguard.rules import load_profile_set, shipped_profiles_dir
    from tradeguard.targeting.config import load_targeting_config

    ref = ref or load_reference_data()
    ctx = DetectionContext(ref=ref, as_of=as_of, supply_chain=supply_chain)
    history_decl = None
    if history_entries is not None and history_lines is not None:
        history_decl = declarations(history_entries, history_lines)
    fitted: list[tuple[str, LineDetector]] = []
    for name, detector in (registry or default_registry()).build():
        history = history_decl if history_decl is not None else _empty_history(
            sample_declarations)
        try:
            detector.fit(history, ctx)
        except Exception as exc:
            raise DetectorError(name, "fit", exc) from exc
        fitted.append((name, detector))
    past = None
    if model is not None and sample_declarations is not None:
        past = past_outcome_history(sample_declarations, history_decl, outcomes, as_of)
    return FittedChain(fitted, ctx, profiles or load_profile_set(shipped_profiles_dir()),
                       config or load_targeting_config(), model, past)


def _empty_history(sample: pl.DataFrame | None) -> pl.DataFrame:
    """An empty history with the declarations' columns, as the one-frame chain passes."""
    if sample is None:
        raise ValueError("fitting without history needs a sample of the declarations")
    return sample.clear()


def version_columns(chain: FittedChain) -> dict[str, Any]:
    """The versions block every assessment carries (same shape as ``ScoringResult``)."""
    from tradeguard.pipeline.run import WATCH_LISTS

    every = chain.ctx.ref.versions
    return {
        "model": chain.model_version, "rules": chain.profiles.version,
        "targeting": chain.config.version,
        "lists": {k: v for k, v in every.items() if k in WATCH_LISTS},
        "refdata": {k: v for k, v in every.items() if k not in WATCH_LISTS},
        "detectors": chain.detector_versions,
    }
