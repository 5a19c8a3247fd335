"""The whole scoring chain on Polars frames, without a database.

:func:`score_declarations` runs the registered detectors (:mod:`.registry`), the rules
profiles, the exam-outcome model (when an artifact is given) and targeting over a batch of
entries and lines, and returns one assessment per line with its score, lane, reasons and the
versions that produced it. :class:`Scorer` is the same chain fitted once (detectors, list
indexes, rules, model) for scoring many batches, e.g. one entry per service request.
"""

from tradeguard.pipeline.registry import (
    BUILTIN,
    DetectorError,
    DetectorFactory,
    DetectorRegistry,
    default_registry,
)
from tradeguard.pipeline.run import (
    WATCH_LISTS,
    ScoringResult,
    collect_findings,
    declarations,
    input_digest,
    model_scores,
    past_outcome_history,
    run_detectors,
    score_declarations,
)
from tradeguard.pipeline.scorer import FittedChain, Scorer

__all__ = [
    "BUILTIN",
    "WATCH_LISTS",
    "DetectorError",
    "DetectorFactory",
    "DetectorRegistry",
    "FittedChain",
    "Scorer",
    "ScoringResult",
    "collect_findings",
    "declarations",
    "default_registry",
    "input_digest",
    "model_scores",
    "past_outcome_history",
    "run_detectors",
    "score_declarations",
]
