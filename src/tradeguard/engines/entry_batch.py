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
from tradeguard.pipeline.scorer import BatchFindings, FittedChain, Scorer

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
    "sample_draw": pl.Float64(),
}


def cross_entry_candidates(entries: pl.DataFrame, lines: pl.DataFrame,
                           run: FittedRun) -> pl.DataFrame:
    """Keys of the lines each cross-entry detector may report on or compare across entries
    (:data:`CANDIDATE_SCHEMA`: the key and the detector's name).

    For AD/CVD these are the lines its deposit checks flag plus the lines in scope of an order
    from a third country (the only lines its first-seen dates, plant prices and surges read),
    found with the detector's own scope functions on the lines that declare a case or fall
    under an order's HTS prefix (:mod:`tradeguard.detectors.adcvd.candidates`). For party
    networks every line is one: its parties may join a cluster declared anywhere in the run.
    ``entries`` and ``lines`` need only the keys and the fields the rules read
    (:func:`tradeguard.engines.cross_entry.candidate_fields`).
    """
    if not len(run.cross_entry()) or lines.is_empty():
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    from tradeguard.detectors.adcvd.candidates import candidate_keys, may_be_candidate
    from tradeguard.detectors.adcvd.detector import AdcvdDetector
    from tradeguard.network.detector import NetworkDetector

    parts = [pl.DataFrame(schema=CANDIDATE_SCHEMA)]
    orders = run.ctx.ref.adcvd_orders

    def keyed(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.select(*[pl.col(c).cast(t) for c, t in KEY_SCHEMA.items()],
                            pl.lit(name, dtype=pl.String).alias("detector"))

    for name, detector in run.cross_entry():
        if isinstance(detector, NetworkDetector):
            # Every line's key, typed as the declarations type it.
            parts.append(keyed(declarations(entries.select("entry_number"),
                                            lines.select(*KEY_SCHEMA)), name))
            continue
        if not isinstance(detector, AdcvdDetector):
            raise DetectorError(name, "detect", TypeError(
                "no candidate rule for this cross-entry detector"))
        subset = lines.filter(may_be_candidate(lines, orders))
        if not subset.is_empty():
            parts.append(keyed(candidate_keys(declarations(entries, subset), orders,
                                              detector.config), name))
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

    The detectors given their lines at once run on a second thread while the one reading
    in parts runs here (each is mostly one core's work); their lines are gathered here
    first, so the engine is only ever called from this thread. Findings come in chain order.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    from tradeguard.engines.cross_entry import at_once, in_parts
    from tradeguard.findings import empty_findings

    if part_rows < 1:
        raise ValueError(f"part_rows must be at least 1 (got {part_rows})")
    keys = list(KEY_SCHEMA)
    here: dict[str, Callable[[], pl.DataFrame]] = {}
    aside: dict[str, Callable[[], pl.DataFrame]] = {}
    for name, detector in run.cross_entry():
        mine = candidates.filter(pl.col("detector") == name).select(keys).unique()
        if mine.is_empty():
            continue
        fields = getattr(detector, "reads", None)
        if isinstance(detector, DetectsInParts):
            every = run_lines is not None and mine.height == run_lines
            # Keys gathered a part at a time go in key order; batches are only filtered.
            ordered = mine if batches is not None else mine.sort(keys)
            parts = _parts(gather, ordered, fields, part_rows, batches, every)
            here[name] = in_parts(name, detector, parts, run.ctx)
            continue
        entries, lines = gather(mine, fields)
        if not lines.is_empty():
            aside[name] = at_once(name, detector, declarations(entries, lines), run.ctx)
    found: dict[str, pl.DataFrame | Future[pl.DataFrame]] = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cross-entry") as pool:
        found |= {name: pool.submit(job) for name, job in aside.items()}
        aside.clear()  # each job's lines go as soon as it is done
        found |= {name: job() for name, job in here.items()}
        frames = [f.result() if isinstance(f, Future) else f for name, _ in run.cross_entry()
                  if (f := found.get(name)) is not None]
    return pl.concat([empty_findings(), *frames], how="vertical")


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
            if lines.is_empty():
                continue
            decl = declarations(entries, lines)
            if fields is not None:  # only what the detector reads: less to sort
                decl = decl.select(*order, *[c for c in dict.fromkeys(fields)
                                             if c in decl.columns and c not in order])
            yield decl.sort(order, nulls_last=True)

    return parts


def find_entry_batch(entries: pl.DataFrame, lines: pl.DataFrame, run: FittedRun,
                     supply_chain: pl.DataFrame | None = None) -> BatchFindings | None:
    """The batch's own findings (local detectors and rules profiles), which need nothing of
    the cross-entry step: an engine can find them while that step runs, then finish the batch
    with :func:`score_entry_batch` (``found``). None for a batch without lines."""
    if lines.is_empty():
        return None
    decl = declarations(entries, lines)
    ctx = run.ctx if supply_chain is None else replace(run.ctx, supply_chain=supply_chain)
    return run.scorer.find(decl, ctx, run.local())


def score_entry_batch(entries: pl.DataFrame, lines: pl.DataFrame, run: FittedRun,
                      cross_findings: pl.DataFrame, supply_chain: pl.DataFrame | None = None,
                      found: BatchFindings | None = None) -> pl.DataFrame:
    """Risk, reasons, model probability and lane inputs for every line of the batch.

    ``cross_findings`` are the cross-entry detectors' findings of the whole run; the ones on
    this batch's entries join the batch's own findings before the risk is combined.
    ``supply_chain``: the supply-chain rows of the batch's entries, when the engine cut them
    with the batch (else the run's, from the context). ``found``: the batch's own findings
    when :func:`find_entry_batch` found them already (same batch, same run).
    """
    if lines.is_empty():
        return pl.DataFrame(schema=SCORED_SCHEMA)
    decl = declarations(entries, lines)
    mine = cross_findings.join(decl.select(pl.col("entry_number").cast(pl.String)).unique(),
                               on="entry_number", how="semi")
    ctx = run.ctx if supply_chain is None else replace(run.ctx, supply_chain=supply_chain)
    assessed = run.scorer.assess(decl, ctx, past=run.past, chain=run.local(),
                                 extra_findings=mine, found=found)
    warned = "\n".join(assessed.rule_warnings) if assessed.rule_warnings else None
    # Rules warnings ride on the batch's first line only, not repeated on every line.
    first = pl.int_range(pl.len()) == 0
    frame = assessed.frame.with_columns(pl.when(first).then(pl.lit(warned, dtype=pl.String))
                                        .alias("warnings"))
    # Drawn here, in parallel over batches, not by the run-wide lane step.
    frame = frame.with_columns(run.scorer.sample_draws(frame.select("entry_number",
                                                                    "line_number")))
    return frame.select([pl.col(c).cast(t) for c, t in SCORED_SCHEMA.items()])
