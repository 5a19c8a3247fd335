"""Batch scoring at scale: one chain, two engines (DuckDB by default, Apache Spark).

:func:`score_batch` streams contract files through validation into typed Parquet, fits every
detector's baseline once on the history (the pipeline's own
:class:`~tradeguard.pipeline.scorer.Scorer`), runs the cross-entry detectors once over their
candidate lines, scores batches of whole entries on the chosen engine with the pipeline's own
functions, and assigns lanes once over every line. The result matches
:func:`tradeguard.pipeline.score_declarations` on the same inputs.
"""

from tradeguard.engines.base import BatchInputs, ScoringEngine, engine_for
from tradeguard.engines.entry_batch import CROSS_ENTRY, FittedRun
from tradeguard.engines.run import DEFAULT_BATCH_ROWS, BatchRun, BatchSources, score_batch

__all__ = [
    "CROSS_ENTRY",
    "DEFAULT_BATCH_ROWS",
    "BatchInputs",
    "BatchRun",
    "BatchSources",
    "FittedRun",
    "ScoringEngine",
    "engine_for",
    "score_batch",
]
