"""The batch scoring run: stage, fit once, cross-entry step, batches, lanes once, write.

The same sequence on every engine; only "score every batch" and "gather rows by key" go
through the engine. Fitting, per-batch assessment, lanes and the finishing step are the
pipeline's own (:class:`~tradeguard.pipeline.scorer.Scorer`, ``finish_assessments``), so a run
writes what ``score_declarations`` returns. Lanes are a global step because quotas are per
port and day across all entries: the lane inputs of every line (a narrow frame) get their
lanes once, then each scored batch is joined to its lanes and written out.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.engines.base import BatchInputs, FindsAhead, ReadsBatches, ScoringEngine
from tradeguard.engines.entry_batch import FittedRun, detect_cross_entry
from tradeguard.engines.prescreen import prescreened
from tradeguard.engines.staging import StagedFile, entry_numbers, stage_file
from tradeguard.pipeline.run import declarations, finish_assessments
from tradeguard.targeting.lanes import LANE_INPUT
from tradeguard.targeting.risk import KEYS

if TYPE_CHECKING:
    from tradeguard.model import ModelArtifact
    from tradeguard.pipeline.registry import DetectorRegistry
    from tradeguard.refdata import ReferenceData
    from tradeguard.rules import ProfileSet
    from tradeguard.targeting.config import TargetingConfig

DEFAULT_BATCH_ROWS = 200_000
_LANE_OUTPUT = ["lane", "selection", "selection_probability"]


@dataclass(frozen=True)
class BatchRun:
    """What a run did: lines scored, lanes, files read, versions, warnings, stage timings."""

    out: Path
    engine: str
    lines_scored: int
    lanes: dict[str, int]
    files: list[StagedFile]
    versions: dict[str, Any]
    as_of: date
    warnings: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The JSON summary printed by ``score-batch`` (the ``score`` summary plus timings)."""
        return {
            "out": str(self.out), "engine": self.engine, "lines_scored": self.lines_scored,
            "lanes": self.lanes, "as_of": self.as_of.isoformat(),
            "model_version": self.versions["model"], "rules_version": self.versions["rules"],
            "targeting_version": self.versions["targeting"],
            "files": [f.summary() for f in self.files], "warnings": list(self.warnings),
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


@dataclass(frozen=True)
class BatchSources:
    """Paths of the contract files of one run (history and supply chain optional)."""

    entries: Path
    lines: Path
    history_entries: Path | None = None
    history_lines: Path | None = None
    supply_chain: Path | None = None
    outcomes: Path | None = None


def _stage_past(src: BatchSources, work: Path, qdir: Path, batch_rows: int
                ) -> dict[str, StagedFile]:
    """History and outcomes: they refer to nothing of the current files."""
    staged: dict[str, StagedFile] = {}
    if src.history_entries is not None and src.history_lines is not None:
        he = stage_file(src.history_entries, "entries", work / "history", qdir,
                        batch_rows=batch_rows)
        staged["history_entries"] = he
        staged["history_lines"] = stage_file(src.history_lines, "lines", work / "history",
                                             qdir, batch_rows=batch_rows,
                                             entries=entry_numbers(he))
    if src.outcomes is not None:
        staged["outcomes"] = stage_file(src.outcomes, "outcomes", work, qdir,
                                        batch_rows=batch_rows)
    return staged


def _stage_all(src: BatchSources, work: Path, qdir: Path, batch_rows: int
               ) -> dict[str, StagedFile]:
    """Every input through the contract checks; the past files, then the supply chains, on a
    second thread while the current entries and lines are checked (validation is mostly one
    core's work per file)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage") as pool:
        past = pool.submit(_stage_past, src, work, qdir, batch_rows)
        staged = {"entries": stage_file(src.entries, "entries", work, qdir,
                                        batch_rows=batch_rows)}
        numbers = entry_numbers(staged["entries"])
        chains = None if src.supply_chain is None else pool.submit(
            stage_file, src.supply_chain, "supply_chain", work, qdir, batch_rows=batch_rows,
            entries=numbers)  # after the past files, while the lines are checked here
        staged["lines"] = stage_file(src.lines, "lines", work, qdir, batch_rows=batch_rows,
                                     entries=numbers)
        if chains is not None:
            staged["supply_chain"] = chains.result()
        staged |= past.result()
    return staged


def _fit(staged: dict[str, StagedFile], day: date, **kwargs: Any) -> FittedRun:
    """The pipeline's scorer fitted once at ``day``, past outcomes read once for the run."""
    from tradeguard.detectors.base import DetectionContext
    from tradeguard.pipeline.scorer import Scorer

    sample = declarations(staged["entries"].read().head(0),
                          pl.read_parquet(staged["lines"].parts[0]).head(0))

    def frame(kind: str) -> pl.DataFrame | None:
        return staged[kind].read() if kind in staged else None

    scorer = Scorer(history_entries=frame("history_entries"),
                    history_lines=frame("history_lines"), outcomes=frame("outcomes"),
                    baseline_as_of=day, **kwargs)
    chain = scorer.fitted(day, sample)
    past = scorer.past_outcomes(sample, day)
    if past is not None:
        # The one-frame chain drops every current line from past outcomes, not one batch's.
        current = pl.scan_parquet(staged["lines"].glob).select(
            pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64))
        past = past.lazy().join(current, on=KEYS, how="anti").collect()
    ctx = DetectionContext(ref=scorer.ref, as_of=day, supply_chain=frame("supply_chain"))
    return FittedRun(scorer.without_history(), chain, ctx, past)


def _lanes(parts: list[Path], run: FittedRun) -> pl.DataFrame:
    """Lanes for every scored line at once (quotas are per port and day over all entries)."""
    narrow = pl.concat([pl.scan_parquet(p).select(*LANE_INPUT, "sample_draw").with_columns(
        pl.lit(i, dtype=pl.Int32).alias("_part")) for i, p in enumerate(parts)]).collect()
    laned = run.scorer.lanes(narrow.drop("sample_draw"), narrow.get_column("sample_draw"))
    return laned.select(*KEYS, "_part", *_LANE_OUTPUT)


def _write(parts: list[Path], lanes: pl.DataFrame, versions: dict[str, Any], out: Path
           ) -> tuple[int, dict[str, int], tuple[str, ...]]:
    """Join each scored part to its lanes and append it to the output Parquet file."""
    import pyarrow.parquet as pq

    from tradeguard.targeting import output_frame

    by_part = lanes.partition_by("_part", as_dict=True, include_key=False)
    out.parent.mkdir(parents=True, exist_ok=True)

    def finished(i: int) -> tuple[pl.DataFrame, list[str]]:
        scored = pl.read_parquet(parts[i])
        frame = scored.join(by_part[(i,)], on=KEYS, how="left", maintain_order="left")
        return (finish_assessments(frame, versions),
                scored.get_column("warnings").drop_nulls().to_list())

    writer: Any = None
    total, counts, warnings = 0, dict[str, int](), list[str]()

    def write(done: Future[tuple[pl.DataFrame, list[str]]]) -> None:
        nonlocal writer, total
        assessed, warned = done.result()
        warnings.extend(w for w in warned for w in w.split("\n") if w not in warnings)
        table = output_frame(assessed).to_arrow()
        if writer is None:
            writer = pq.ParquetWriter(out, table.schema)
        writer.write_table(table)
        total += assessed.height
        for lane, n in assessed.group_by("lane").len().iter_rows():
            counts[str(lane)] = counts.get(str(lane), 0) + int(n)

    # The next part is finished on a second thread (Polars work) while one is written here,
    # in order; at most two parts are in memory.
    pending: deque[Future[tuple[pl.DataFrame, list[str]]]] = deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write") as pool:
        try:
            for i in range(len(parts)):
                pending.append(pool.submit(finished, i))
                if len(pending) > 1:
                    write(pending.popleft())
            while pending:
                write(pending.popleft())
        finally:
            if writer is not None:
                writer.close()
    return total, counts, tuple(warnings)


def score_batch(
    sources: BatchSources,
    out: Path,
    engine: ScoringEngine,
    *,
    model: ModelArtifact | None = None,
    ref: ReferenceData | None = None,
    config: TargetingConfig | None = None,
    profiles: ProfileSet | None = None,
    registry: DetectorRegistry | None = None,
    as_of: date | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    work_dir: Path | None = None,
    ai_lanes_enabled: bool = True,
    prescreen: bool = False,
) -> BatchRun:
    """Score every accepted line of ``sources`` on ``engine``; write ``out`` (Parquet).

    Same assessments as :func:`tradeguard.pipeline.score_declarations` on the same inputs, in
    memory bounded by ``batch_rows`` plus the history baselines and one narrow lane frame.
    Rejected rows go to ``<file name>.rejects.csv`` next to ``out``. ``prescreen`` screens
    the run's parties on a second thread during the cross-entry step
    (:mod:`~tradeguard.engines.prescreen`).
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1 (got {batch_rows})")
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now

    with tempfile.TemporaryDirectory(prefix="tradeguard-batch-", dir=work_dir) as tmp:
        work = Path(tmp)
        staged = _stage_all(sources, work / "staged", out.parent, batch_rows)
        if staged["lines"].accepted == 0:
            raise ValueError(f"{sources.lines}: no line was accepted; see "
                             f"{staged['lines'].rejects_file}")
        lap("stage")
        inputs = BatchInputs(staged["entries"], staged["lines"],
                             max(1, math.ceil(staged["lines"].accepted / batch_rows)), work,
                             staged.get("supply_chain"))
        day = as_of or engine.latest_entry_date(inputs) or date.today()
        run = _fit(staged, day, model=model, ref=ref, config=config, profiles=profiles,
                   registry=registry, ai_lanes_enabled=ai_lanes_enabled)
        lap("fit")
        # The batches' own findings are found meanwhile, unless the parties are prescreened
        # for them during the cross-entry step (the workers must start with what it found).
        overlap = engine.find_ahead(inputs, run) if isinstance(engine, FindsAhead) \
            and not prescreen else nullcontext()
        with overlap:
            with prescreened(run, staged, enabled=prescreen) as ahead:
                candidates = engine.candidates(inputs, run)
                reader = engine if isinstance(engine, ReadsBatches) else None
                cross = detect_cross_entry(
                    lambda keys, fields: engine.rows_for(inputs, keys, fields), candidates,
                    run, part_rows=batch_rows, run_lines=staged["lines"].accepted,
                    batches=None if reader is None else lambda fields: reader.batch_rows(
                        inputs, fields))
                lap("cross_entry")
                ahead.wait()
                lap("prescreen_wait")
            parts = engine.score(inputs, run, cross, work / "scored")
            lap("batches")
        lanes = _lanes(parts, run)
        lap("lanes")
        versions = run.scorer.versions(run.chain.versions)
        total, counts, warnings = _write(parts, lanes, versions, out)
        lap("write")
    return BatchRun(out, engine.name, total, counts, list(staged.values()),
                    versions, day, run.scorer.warnings(warnings), seconds)
