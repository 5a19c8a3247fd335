"""``tradeguard score-batch``: the ``score`` chain on large inputs, on DuckDB or Spark."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tradeguard.cli._common import (
    EXIT_FAILED,
    EXIT_USAGE,
    deployment_gate,
    fail,
    parse_day,
    require_history_pair,
)

ENGINES = ("duckdb", "spark")


def score_batch(
    entries: Annotated[Path, typer.Option("--entries", help="Entry summaries (contract).")],
    lines: Annotated[Path, typer.Option("--lines", help="Entry lines (contract).")],
    out: Annotated[Path, typer.Option("--out", help="Scored lines, Parquet.")],
    engine: Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")
                      ] = "duckdb",
    spark_master: Annotated[str | None, typer.Option(
        "--spark-master", help="Spark master URL (default local[2]).")] = None,
    batch_rows: Annotated[int, typer.Option(
        "--batch-rows", help="Lines per entry batch (bounds memory).")] = 200_000,
    supply_chain: Annotated[Path | None, typer.Option(
        "--supply-chain", help="Declared upstream suppliers.")] = None,
    history_entries: Annotated[Path | None, typer.Option(
        "--history-entries", help="Past entry summaries.")] = None,
    history_lines: Annotated[Path | None, typer.Option(
        "--history-lines", help="Past entry lines.")] = None,
    outcomes: Annotated[Path | None, typer.Option(
        "--outcomes", help="Past exam and review results.")] = None,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Model artifact folder (model train).")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Targeting configuration YAML.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Evaluation date YYYY-MM-DD (default: latest entry date).")] = None,
    memory_limit: Annotated[str | None, typer.Option(
        "--memory-limit", help="DuckDB memory limit, e.g. 2GB.")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="DuckDB engine: processes scoring batches (default: one per "
        "core).")] = None,
    registry: Annotated[Path | None, typer.Option(
        "--registry", help="Registry folder (default: TRADEGUARD_WORK_DIR/registry): "
        "deployment gate, kill switch.")] = None,
    without_detector: Annotated[list[str] | None, typer.Option(
        "--without-detector", help="Leave this detector out of the run (repeatable); the "
        "output's detector versions list what ran.")] = None,
    prescreen: Annotated[bool, typer.Option(
        "--prescreen/--no-prescreen", help="Screen the run's parties once on a second thread "
        "while the cross-entry step runs, so the batches only look them up.")] = False,
    unapproved_model: Annotated[bool, typer.Option(
        "--unapproved-model", help="Evaluate a model the registry has not approved; the "
        "output is marked evaluation-only.")] = False,
) -> None:
    """Score every line in entry batches: same assessments as ``score``, bounded memory.

    Rejected input rows go to ``<file>.rejects.csv`` next to --out; a summary with the time
    of each stage goes to stderr.
    """
    from tradeguard.contract import ContractError
    from tradeguard.cores import default_workers
    from tradeguard.engines import BatchSources, engine_for, score_batch
    from tradeguard.pipeline import DetectorError
    from tradeguard.pipeline.registry import default_registry

    if engine not in ENGINES:
        fail(f"--engine: expected one of {list(ENGINES)}, got {engine!r}", EXIT_USAGE)
    if spark_master is not None and engine != "spark":
        fail("--spark-master needs --engine spark", EXIT_USAGE)
    if batch_rows < 1:
        fail("--batch-rows must be 1 or more", EXIT_USAGE)
    if workers is not None and (workers < 1 or engine != "duckdb"):
        fail("--workers must be 1 or more and needs --engine duckdb", EXIT_USAGE)
    if out.suffix.lower() != ".parquet":
        fail(f"--out: expected a .parquet file, got {out}", EXIT_USAGE)
    require_history_pair(history_entries, history_lines)
    day = parse_day(as_of)
    sources = BatchSources(entries, lines, history_entries, history_lines, supply_chain,
                           outcomes)
    runner = None
    try:
        artifact = _load_model(model) if model is not None else None
        ai_enabled, gate_note = deployment_gate(registry, artifact, unapproved_model)
        cfg = _load_config(config)
        runner = engine_for(engine, spark_master=spark_master, memory_limit=memory_limit,
                            workers=workers or default_workers())
        detectors = default_registry().without(*without_detector) if without_detector else None
        run = score_batch(sources, out, runner, model=artifact, config=cfg, as_of=day,
                          batch_rows=batch_rows, ai_lanes_enabled=ai_enabled,
                          registry=detectors, prescreen=prescreen)
    except KeyError as exc:
        fail(f"--without-detector: {exc.args[0]}", EXIT_USAGE)
    except (ContractError, DetectorError, OSError, ValueError) as exc:
        fail(str(exc), EXIT_FAILED)
    finally:
        if runner is not None:
            runner.close()
    summary = run.summary()
    if gate_note:
        summary["warnings"] = [*summary.get("warnings", []), gate_note]
    sys.stderr.write(json.dumps(summary, indent=2) + "\n")


def _load_model(path: Path) -> Any:
    from tradeguard.model import load_artifact

    return load_artifact(path)


def _load_config(path: Path | None) -> Any:
    from tradeguard.targeting import load_targeting_config

    return load_targeting_config(path)


def register(app: typer.Typer) -> None:
    """Add the ``score-batch`` command to the app."""
    app.command("score-batch")(score_batch)
