"""``tradeguard bench``: reproducible benchmark runs on public evaluation data.

Benchmark data sets are evaluation-only and never shipped: each command reads them from
``--data DIR`` and writes its measured numbers as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tradeguard.cli._common import EXIT_USAGE, fail, print_json

bench_app = typer.Typer(help="Benchmarks on public evaluation data sets.", no_args_is_help=True)


@bench_app.command("kcs")
def kcs(
    data: Annotated[Path, typer.Option("--data", help="Folder of the KCS declarations.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the result JSON.")],
    model_dir: Annotated[
        Path | None,
        typer.Option("--model-dir", help="Also save the trained model (text + JSON) here."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for folds and tree sampling.")] = 0,
) -> None:
    """Train and evaluate the fraud model on the KCS declarations (train/valid/test by time)."""
    if not data.is_dir():
        fail(f"{data}: --data is not a folder", EXIT_USAGE)
    from tradeguard.model.kcs import run_kcs_bench

    try:
        result = run_kcs_bench(data, seed=seed, artifact_dir=model_dir)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print_json({k: result[k] for k in ("precision_at", "revenue_at", "operating_points",
                                       "seconds")})


def register(app: typer.Typer) -> None:
    """Add the ``bench`` group to the CLI."""
    app.add_typer(bench_app, name="bench")
