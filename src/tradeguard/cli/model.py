"""``tradeguard model train`` and ``tradeguard model evaluate`` on contract files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, print_json, require_history_pair

if TYPE_CHECKING:
    import polars as pl

model_app = typer.Typer(help="Train and evaluate the exam-outcome model on entry lines.",
                        no_args_is_help=True)


def _load(
    entries: Path, lines: Path, outcomes: Path, history_entries: Path | None,
    history_lines: Path | None, qdir: Path,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """Contract files read and validated; rejected rows go to ``qdir``."""
    from tradeguard.contract import ContractError
    from tradeguard.pipeline.inputs import read_contract_file

    require_history_pair(history_entries, history_lines)
    try:
        ent = read_contract_file(entries, "entries", qdir).frame
        lin = read_contract_file(lines, "lines", qdir, entries=ent["entry_number"]).frame
        out = read_contract_file(outcomes, "outcomes", qdir).frame
        he = hl = None
        if history_entries is not None and history_lines is not None:
            he = read_contract_file(history_entries, "entries", qdir).frame
            hl = read_contract_file(history_lines, "lines", qdir,
                                    entries=he["entry_number"]).frame
    except ContractError as exc:
        fail(str(exc), EXIT_FAILED)
    return ent, lin, out, he, hl


@model_app.command("train")
def train(
    entries: Annotated[Path, typer.Option("--entries", help="Entry summaries (contract).")],
    lines: Annotated[Path, typer.Option("--lines", help="Entry lines (contract).")],
    outcomes: Annotated[Path, typer.Option("--outcomes", help="Exam outcomes (labels).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for model.txt + model.json.")],
    history_entries: Annotated[Path | None, typer.Option("--history-entries")] = None,
    history_lines: Annotated[Path | None, typer.Option("--history-lines")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Training seed.")] = 0,
) -> None:
    """Train the calibrated exam-outcome model on examined lines; print its version."""
    from tradeguard.model import save_artifact
    from tradeguard.pipeline.training import train_line_model

    data = _load(entries, lines, outcomes, history_entries, history_lines, out)
    try:
        artifact = train_line_model(*data, seed=seed)
    except ValueError as exc:
        fail(str(exc), EXIT_FAILED)
    save_artifact(artifact, out)
    print_json({"out": str(out), "name": artifact.name, "version": artifact.version,
                "metrics": dict(artifact.metrics)})


@model_app.command("evaluate")
def evaluate(
    entries: Annotated[Path, typer.Option("--entries", help="Entry summaries (contract).")],
    lines: Annotated[Path, typer.Option("--lines", help="Entry lines (contract).")],
    outcomes: Annotated[Path, typer.Option("--outcomes", help="Exam outcomes (labels).")],
    history_entries: Annotated[Path | None, typer.Option("--history-entries")] = None,
    history_lines: Annotated[Path | None, typer.Option("--history-lines")] = None,
    holdout: Annotated[float, typer.Option(
        "--holdout", help="Share of the latest entry days held out for testing.")] = 0.3,
    seed: Annotated[int, typer.Option("--seed", help="Training seed.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the JSON here.")] = None,
) -> None:
    """Train on the earlier period, report precision@k and revenue@k on the later one."""
    import json

    from tradeguard.pipeline.training import evaluate_line_model

    if not 0.0 < holdout < 1.0:
        fail("--holdout must be between 0 and 1", EXIT_USAGE)
    # Rejected rows go next to the report, else next to the input (never the working folder).
    qdir = out.parent if out is not None else lines.parent
    data = _load(entries, lines, outcomes, history_entries, history_lines, qdir)
    try:
        report = evaluate_line_model(*data, holdout=holdout, seed=seed)
    except ValueError as exc:
        fail(str(exc), EXIT_FAILED)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print_json(report)


def register(app: typer.Typer) -> None:
    """Add the ``model`` command group to the app."""
    app.add_typer(model_app, name="model")
