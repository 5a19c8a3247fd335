"""CPU per stage of one entry batch, as a ``score-batch`` worker scores it.

    python bench/profile_batch.py --data /tmp/tg-e2e/e2e1m --work /tmp/tg-prof --save a.parquet
    python bench/profile_batch.py --data /tmp/tg-e2e/e2e1m --work /tmp/tg-prof --compare a.parquet
    python bench/profile_batch.py ... --warm 4       # the batch after 4 others in the same worker
    python bench/profile_batch.py ... --cprofile 40  # cumulative cProfile of one run instead

The first call stages the data set (``bench_end_to_end.py make-data``), cuts it into entry
batches of about ``--batch-rows`` lines with the DuckDB engine and runs the cross-entry step
once; all of it is kept in ``--work`` for later calls. Every call then fits the run as
``score-batch`` does (the code under test may fit differently), ships it through the same
pickling the worker processes use, and scores batch ``--batch`` with
:func:`~tradeguard.engines.entry_batch.score_entry_batch` under the thread count a worker gets
on this machine. Each timed repeat starts from a freshly unpickled run: a worker's first batch
(name screening caches cold), or with ``--warm N`` after scoring N other batches with it in
this process (untimed), as a worker's later batches are; one untimed warm-up pays the lazy
imports first.

Stages are timed by wrapping the detectors' ``detect`` and the scorer's steps; a nested stage
is named ``outer/inner`` and counted inside its outer stage too. ``--save`` writes the scored
batch, ``--compare`` checks it equals a saved one (``assert_frame_equal``, exact).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

# A worker's share of the cores, set before Polars and LightGBM start their thread pools.
from tradeguard.cores import worker_threads

for _k, _v in worker_threads(2).items():
    os.environ.setdefault(_k, _v)

import polars as pl  # noqa: E402

# One dict per timed run: stage -> [CPU ms, wall ms, calls], summed over its calls.
_RUNS: list[dict[str, list[float]]] = []
_STACK: list[str] = []
_STATE = {"timing": False, "instrumented": False}


@contextmanager
def _timed(label: str) -> Iterator[None]:
    if not _STATE["timing"]:
        yield
        return
    name = "/".join([*_STACK[-1:], label]) if _STACK else label
    _STACK.append(name)
    c0, w0 = time.process_time(), time.perf_counter()
    try:
        yield
    finally:
        spent = _RUNS[-1].setdefault(name, [0.0, 0.0, 0])
        spent[0] += (time.process_time() - c0) * 1000
        spent[1] += (time.perf_counter() - w0) * 1000
        spent[2] += 1
        _STACK.pop()


def _wrap(owner: Any, attr: str, label: str) -> None:
    """Time every call of ``owner.attr`` under ``label``."""
    inner: Callable[..., Any] = getattr(owner, attr)

    def timed(*args: Any, **kwargs: Any) -> Any:
        with _timed(label):
            return inner(*args, **kwargs)

    setattr(owner, attr, timed)


def _instrument(run: Any) -> None:
    """Stage timers on the pipeline's steps and each local detector of ``run``."""
    import tradeguard.engines.entry_batch as entry_batch
    import tradeguard.model as model
    import tradeguard.model.line_features as line_features
    import tradeguard.pipeline.scorer as scorer
    import tradeguard.rules as rules

    if _STATE["instrumented"]:
        _instrument_detectors(run)
        return
    _STATE["instrumented"] = True
    _wrap(entry_batch, "declarations", "declarations")
    _wrap(rules, "evaluate", "rules")
    _wrap(scorer, "model_scores", "model")
    _wrap(line_features, "line_features", "features")
    _wrap(model, "score", "lightgbm+treeshap")
    _wrap(model, "reason_texts", "reason_texts")
    _wrap(scorer, "combine_risk", "combine_risk")
    _wrap(scorer, "confidential_values", "redaction")
    _wrap(scorer, "redact_texts", "redaction")
    _wrap(scorer, "input_digest", "input_digest")
    # Inside name screening (both the watch-list and the forced-labor detectors screen).
    import tradeguard.screening.engine as screening
    from tradeguard.screening.index import WatchlistIndex

    _wrap(screening, "normalise_names", "normalise")
    if hasattr(screening, "_name_matches"):
        _wrap(screening, "_name_matches", "name_matches")
    _wrap(WatchlistIndex, "candidates", "candidates")
    _instrument_detectors(run)


def _instrument_detectors(run: Any) -> None:
    for name, detector in run.local():
        if "detect" not in vars(detector):
            _wrap(detector, "detect", f"detector:{name}")


def _prepare(data: Path, work: Path, batch_rows: int) -> dict[str, Any]:
    """Stage, cut into batches and run the cross-entry step once; kept in ``work``."""
    from tradeguard.engines.base import BatchInputs
    from tradeguard.engines.duckdb import DuckDBEngine
    from tradeguard.engines.entry_batch import detect_cross_entry
    from tradeguard.engines.run import BatchSources, _fit, _stage_all
    from tradeguard.model import load_artifact

    meta_file = work / "prepared.pickle"
    if meta_file.exists():
        meta: dict[str, Any] = pickle.loads(meta_file.read_bytes())
        return meta
    work.mkdir(parents=True, exist_ok=True)
    src = BatchSources(data / "entries.csv", data / "lines.csv", data / "history_entries.csv",
                       data / "history_lines.csv", data / "supply_chain.csv",
                       data / "outcomes.csv")
    staged = _stage_all(src, work / "staged", work, batch_rows)
    inputs = BatchInputs(staged["entries"], staged["lines"],
                         max(1, math.ceil(staged["lines"].accepted / batch_rows)),
                         work / "run", staged.get("supply_chain"))
    engine = DuckDBEngine()
    try:
        day = engine.latest_entry_date(inputs) or date.today()
        run = _fit(staged, day, model=load_artifact(data / "model"))
        candidates = engine.candidates(inputs, run)
        cross = detect_cross_entry(
            lambda keys, fields: engine.rows_for(inputs, keys, fields), candidates, run)
        files = engine._batch_files(inputs)
    finally:
        engine.close()
    cross.write_parquet(work / "cross_findings.parquet")
    meta = {"staged": staged, "day": day, "batches": files}
    meta_file.write_bytes(pickle.dumps(meta))
    return meta


def _shipped_run(meta: dict[str, Any], data: Path) -> bytes:
    """The run a worker receives, fitted by the code under test and packed."""
    from tradeguard.engines.run import _fit
    from tradeguard.engines.shipping import pack
    from tradeguard.model import load_artifact

    run = _fit(meta["staged"], meta["day"], model=load_artifact(data / "model"))
    return pack(run.for_batches(supply_chain="supply_chain" not in meta["staged"]))


def _score(packed: bytes, batch: Any, cross: pl.DataFrame, before: list[Any],
           profile: Any = None) -> pl.DataFrame:
    """Score ``batch`` with a freshly unpickled run, after the ``before`` batches (untimed,
    in the same process: what a worker remembers by then, also what no pickle carries)."""
    from tradeguard.engines.entry_batch import score_entry_batch

    run = pickle.loads(packed)
    _instrument(run)
    for earlier in before:
        entries, lines, chains = earlier.read()
        score_entry_batch(entries, lines, run, cross, chains)
    entries, lines, chains = batch.read()
    _RUNS.append({})
    _STATE["timing"] = True
    if profile is not None:
        profile.enable()
    try:
        with _timed("score_entry_batch"):
            return score_entry_batch(entries, lines, run, cross, chains)
    finally:
        _STATE["timing"] = False
        if profile is not None:
            profile.disable()


def _table(runs: list[dict[str, list[float]]]) -> str:
    """Median CPU and wall milliseconds per stage over ``runs``, costliest first."""
    def median(k: str, i: int) -> float:
        return statistics.median(r[k][i] if k in r else 0.0 for r in runs)

    names = sorted({k for r in runs for k in r}, key=lambda k: -median(k, 0))
    out = ["| stage | CPU ms | wall ms | calls |", "|---|---:|---:|---:|"]
    out += [f"| {k} | {median(k, 0):,.0f} | {median(k, 1):,.0f} | {median(k, 2):g} |"
            for k in names]
    return "\n".join(out)


def main() -> None:
    """Parse the options, prepare once, then time (or profile) one batch."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="bench_end_to_end make-data out")
    ap.add_argument("--work", type=Path, required=True, help="kept staging and batches")
    ap.add_argument("--batch-rows", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=0, help="index of the batch to score")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warm", type=int, default=0,
                    help="score this many other batches first, as a worker's earlier batches")
    ap.add_argument("--save", type=Path, help="write the scored batch here (Parquet)")
    ap.add_argument("--compare", type=Path, help="assert the scored batch equals this one")
    ap.add_argument("--cprofile", type=int, default=0,
                    help="print the top N functions by cumulative time of one run instead")
    args = ap.parse_args()

    t0 = time.perf_counter()
    meta = _prepare(args.data, args.work, args.batch_rows)
    cross = pl.read_parquet(args.work / "cross_findings.parquet")
    batch = meta["batches"][args.batch]
    packed = _shipped_run(meta, args.data)
    before = [b for i, b in enumerate(meta["batches"]) if i != args.batch][:args.warm]
    print(f"prepared and fitted in {time.perf_counter() - t0:.1f} s; batch {batch.number}, "
          f"packed run {len(packed) / 2**20:.0f} MiB, threads "
          f"{os.environ['POLARS_MAX_THREADS']}", file=sys.stderr)

    scored = _score(packed, batch, cross, [])  # warm-up: lazy imports
    if args.cprofile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        scored = _score(packed, batch, cross, before, prof)
        prof.dump_stats(args.work / "batch.pstats")  # for print_callers and the like
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.cprofile)
    else:
        _RUNS.clear()
        for _ in range(args.repeat):
            scored = _score(packed, batch, cross, before)
        print(f"batch {batch.number}: {scored.height:,} lines, median of {args.repeat} runs "
              "(CPU of every thread of the process)\n")
        print(_table(_RUNS))
    if args.save:
        scored.write_parquet(args.save)
    if args.compare:
        from polars.testing import assert_frame_equal

        assert_frame_equal(scored, pl.read_parquet(args.compare), check_exact=True)
        print(json.dumps({"identical_to": str(args.compare), "lines": scored.height}))


if __name__ == "__main__":
    main()
