"""The cross-entry step's pieces that are the same on every engine: which fields finding the
candidates reads, the candidates of a run read batch by batch, and each detector's run as a
job (:func:`~tradeguard.engines.entry_batch.detect_cross_entry` runs them).

An engine that can hand over its batches a few fields at a time (``batch_rows``) finds the
candidates with :func:`run_candidates`: the rules read a handful of the declared fields, not
the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import polars as pl

from tradeguard.detectors.base import DetectionContext, LineDetector
from tradeguard.engines.entry_batch import (
    CANDIDATE_SCHEMA,
    DetectsInParts,
    FittedRun,
    ReadBatches,
    cross_entry_candidates,
)
from tradeguard.pipeline.registry import DetectorError
from tradeguard.pipeline.scorer import FittedChain


def candidate_fields(run: FittedRun) -> tuple[str, ...]:
    """The declared fields :func:`cross_entry_candidates` reads for ``run``, beside the keys
    (a party network's candidates are every line: keys alone)."""
    from tradeguard.detectors.adcvd.candidates import CANDIDATE_FIELDS
    from tradeguard.detectors.adcvd.detector import AdcvdDetector

    adcvd = any(isinstance(detector, AdcvdDetector) for _, detector in run.cross_entry())
    return CANDIDATE_FIELDS if adcvd else ()


def run_candidates(batches: ReadBatches, run: FittedRun) -> pl.DataFrame:
    """Cross-entry candidate keys of every batch of the run (:data:`CANDIDATE_SCHEMA`), each
    batch read with only the keys and :func:`candidate_fields`."""
    parts = [pl.DataFrame(schema=CANDIDATE_SCHEMA)]
    if len(run.cross_entry()):
        for entries, lines in batches(candidate_fields(run)):
            parts.append(cross_entry_candidates(entries, lines, run))
    return pl.concat(parts)


def in_parts(name: str, detector: DetectsInParts,
             parts: Callable[[], Iterable[pl.DataFrame]], ctx: DetectionContext
             ) -> Callable[[], pl.DataFrame]:
    """A job: the detector's findings over the run's lines read in ``parts``."""
    from tradeguard.findings import conform

    def run() -> pl.DataFrame:
        try:
            return conform(detector.detect_in_parts(parts, ctx))
        except Exception as exc:
            raise DetectorError(name, "detect", exc) from exc

    return run


def at_once(name: str, detector: LineDetector, decl: pl.DataFrame, ctx: DetectionContext
            ) -> Callable[[], pl.DataFrame]:
    """A job: the detector's findings over its candidate declaration lines, all at once."""
    return lambda: FittedChain([(name, detector)]).detect(decl, ctx)[0]
