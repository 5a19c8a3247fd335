"""Scoring one batch of whole entries: the Python every engine calls on its partitions.

A batch holds every line of each of its entries, so entry-level checks, ``lines_in_entry`` and
entry-level findings see complete entries. The functions here are the same on DuckDB (batches
read in process) and Spark (``applyInArrow`` on executors): they call the pipeline's own
:class:`~tradeguard.pipeline.scorer.Scorer` — fitted chain, rules, model, risk, redaction —
and add nothing of their own but the split between per-entry work and the cross-entry step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.pipeline.registry import DetectorError
from tradeguard.pipeline.run import declarations
from tradeguard.pipeline.scorer import FittedChain, Scorer

# Detectors whose findings for a line depend on other entries of the same batch (first-seen
# dates, plant medians, surges; party clusters). They run once over the run's candidate lines
# instead of per entry batch.
CROSS_ENTRY = ("adcvd", "network")


@dataclass(frozen=True)
class FittedRun:
    """The pipeline's scorer fitted once for a run, with what every entry batch shares.

    ``scorer`` carries no history (:meth:`Scorer.without_history`), so it travels to Spark
    executors as one small broadcast; ``past`` is read once, without any current line.
    """

    scorer: Scorer
    chain: FittedChain
    ctx: DetectionContext
    past: pl.DataFrame | None

    def for_batches(self, *, supply_chain: bool = True) -> FittedRun:
        """What scoring a batch needs: the local detectors only (the cross-entry ones ran
        once for the run) and, unless each batch brings its own, the run's supply chains."""
        local = self.local()
        ctx = self.ctx if supply_chain else replace(self.ctx, supply_chain=None)
        return FittedRun(self.scorer.with_chain(local), local, ctx, self.past)

    def local(self) -> FittedChain:
        """Detectors whose findings depend only on the line's own entry and the baseline."""
        return self.chain.without(CROSS_ENTRY)

    def cross_entry(self) -> FittedChain:
        """Detectors that compare lines across entries of the run."""
        return self.chain.only(CROSS_ENTRY)


KEY_SCHEMA: dict[str, pl.DataType] = {"entry_number": pl.String(), "line_number": pl.Int64()}
# A cross-entry candidate: a line key and the detector that must see it.
CANDIDATE_SCHEMA: dict[str, pl.DataType] = {**KEY_SCHEMA, "detector": pl.String()}

# Per-line result of a batch before lanes: risk, lane inputs, model probability, digest.
SCORED_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(), "line_number": pl.Int64(), "risk_score": pl.Float64(),
    "categories": pl.List(pl.String()), "reasons": pl.List(pl.String()),
    "reason_texts": pl.List(pl.String()), "forced_lane": pl.String(),
    "forced_by": pl.List(pl.String()), "findings": pl.String(),
    "port_of_entry": pl.String(), "entry_date": pl.Date(), "trusted_trader": pl.Boolean(),
    "input_digest": pl.String(), "model_probability": pl.Float64(), "warnings": pl.String(),
}


def cross_entry_candidates(entries: pl.DataFrame, lines: pl.DataFrame,
                           run: FittedRun) -> pl.DataFrame:
    """Keys of the lines each cross-entry detector may report on or compare across entries
    (:data:`CANDIDATE_SCHEMA`: the key and the detector's name).

    For AD/CVD these are the lines its deposit checks flag plus the lines in scope of an order
    from a third country (the only lines its first-seen dates, plant prices and surges read),
    found with the detector's own scope functions. For party networks every line is one: its
    parties may join a cluster declared anywhere in the run.
    """
    if not len(run.cross_entry()) or lines.is_empty():
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    from tradeguard.detectors.adcvd.baseline import third_country_scope
    from tradeguard.detectors.adcvd.deposits import deposit_checks
    from tradeguard.detectors.adcvd.detector import AdcvdDetector, prepare_lines
    from tradeguard.network.detector import NetworkDetector

    decl = declarations(entries, lines)
    parts = [pl.DataFrame(schema=CANDIDATE_SCHEMA)]
    orders = run.ctx.ref.adcvd_orders

    def keyed(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.select(*[pl.col(c).cast(t) for c, t in KEY_SCHEMA.items()],
                            pl.lit(name, dtype=pl.String).alias("detector"))

    for name, detector in run.cross_entry():
        if isinstance(detector, NetworkDetector):
            parts.append(keyed(decl, name))
            continue
        if not isinstance(detector, AdcvdDetector):
            raise DetectorError(name, "detect", TypeError(
                "no candidate rule for this cross-entry detector"))
        batch = prepare_lines(decl)
        for frame in (deposit_checks(batch, orders, detector.config),
                      third_country_scope(batch, orders)):
            parts.append(keyed(frame, name))
    return pl.concat(parts).unique(maintain_order=True)


# Gathers (entries, lines) of some line keys, with only the given fields when not None.
Gather = Callable[[pl.DataFrame, Sequence[str] | None], tuple[pl.DataFrame, pl.DataFrame]]
# Reads (entries, lines) of the run batch by batch, with only the given fields when not None.
ReadBatches = Callable[[Sequence[str] | None], Iterable[tuple[pl.DataFrame, pl.DataFrame]]]
# Candidate lines a detector that reads the run in parts gets at a time.
PART_ROWS = 200_000


@runtime_checkable
class DetectsInParts(Protocol):
    """A cross-entry detector that reads the run's lines in parts, as often as it needs
    (each call of ``parts`` reads them again in the same order), instead of all at once."""

    def detect_in_parts(self, parts: Callable[[], Iterable[pl.DataFrame]],
                        ctx: DetectionContext) -> pl.DataFrame:
        """Findings on every line of every part (:data:`tradeguard.findings.FINDINGS_SCHEMA`)."""


def detect_cross_entry(gather: Gather, candidates: pl.DataFrame, run: FittedRun, *,
                       part_rows: int = PART_ROWS, batches: ReadBatches | None = None,
                       run_lines: int | None = None) -> pl.DataFrame:
    """Findings of the cross-entry detectors, each over its own candidate lines of the run.

    A detector that declares the fields it reads (``reads``, e.g. the party networks, whose
    candidates are every line) gets only those, so the run's rows never sit whole in memory;
    one that reads the run in parts (:class:`DetectsInParts`) gets its candidates a part at
    a time, so neither do its fields: the engine's batches (``batches``, each read from its
    own files) when the engine can read them, else ``part_rows`` keys gathered at a time.
    ``run_lines`` (the run's number of lines): a detector whose candidates are all of them
    reads the batches whole, with no candidate filter to build for every batch.
    """
    from tradeguard.findings import conform, empty_findings

    if part_rows < 1:
        raise ValueError(f"part_rows must be at least 1 (got {part_rows})")
    found = [empty_findings()]
    keys = list(KEY_SCHEMA)
    for name, detector in run.cross_entry():
        mine = candidates.filter(pl.col("detector") == name).select(keys).unique()
        if mine.is_empty():
            continue
        fields = getattr(detector, "reads", None)
        if isinstance(detector, DetectsInParts):
            every = run_lines is not None and mine.height == run_lines
            parts = _parts(gather, mine.sort(keys), fields, part_rows, batches, every)
            try:
                found.append(conform(detector.detect_in_parts(parts, run.ctx)))
            except Exception as exc:
                raise DetectorError(name, "detect", exc) from exc
            continue
        entries, lines = gather(mine, fields)
        if lines.is_empty():
            continue
        decl = declarations(entries, lines)
        found.append(FittedChain([(name, detector)]).detect(decl, run.ctx)[0])
    return pl.concat(found, how="vertical")


def _parts(gather: Gather, keys: pl.DataFrame, fields: Sequence[str] | None, part_rows: int,
           batches: ReadBatches | None = None, every: bool = False
           ) -> Callable[[], Iterator[pl.DataFrame]]:
    """The declaration lines of ``keys``: the candidates of each of the engine's batches
    (every line of each when ``every``: the keys are all of the run's), or ``part_rows`` keys
    gathered at a time; each part in key order, so what a detector reads does not depend on
    the order an engine returns rows."""
    order = list(KEY_SCHEMA)

    def read() -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        if batches is not None:
            for entries, lines in batches(fields):
                typed = lines.with_columns(*[pl.col(c).cast(t) for c, t in KEY_SCHEMA.items()])
                # A semi-join builds its table of the run's keys anew for each batch: fine for
                # a few candidates, quadratic in the run when every line is one.
                yield entries, typed if every else typed.join(keys, on=order, how="semi")
            return
        for chunk in keys.iter_slices(part_rows):
            yield gather(chunk, fields)

    def parts() -> Iterator[pl.DataFrame]:
        for entries, lines in read():
            if not lines.is_empty():
                yield declarations(entries, lines).sort(order, nulls_last=True)

    return parts


def score_entry_batch(entries: pl.DataFrame, lines: pl.DataFrame, run: FittedRun,
                      cross_findings: pl.DataFrame, supply_chain: pl.DataFrame | None = None
                      ) -> pl.DataFrame:
    """Risk, reasons, model probability and lane inputs for every line of the batch.

    ``cross_findings`` are the cross-entry detectors' findings of the whole run; the ones on
    this batch's entries join the batch's own findings before the risk is combined.
    ``supply_chain``: the supply-chain rows of the batch's entries, when the engine cut them
    with the batch (else the run's, from the context).
    """
    if lines.is_empty():
        return pl.DataFrame(schema=SCORED_SCHEMA)
    decl = declarations(entries, lines)
    mine = cross_findings.join(decl.select(pl.col("entry_number").cast(pl.String)).unique(),
                               on="entry_number", how="semi")
    ctx = run.ctx if supply_chain is None else replace(run.ctx, supply_chain=supply_chain)
    assessed = run.scorer.assess(decl, ctx, past=run.past, chain=run.local(),
                                 extra_findings=mine)
    warned = "\n".join(assessed.rule_warnings) if assessed.rule_warnings else None
    # Rules warnings ride on the batch's first line only, not repeated on every line.
    first = pl.int_range(pl.len()) == 0
    frame = assessed.frame.with_columns(pl.when(first).then(pl.lit(warned, dtype=pl.String))
                                        .alias("warnings"))
    return frame.select([pl.col(c).cast(t) for c, t in SCORED_SCHEMA.items()])
