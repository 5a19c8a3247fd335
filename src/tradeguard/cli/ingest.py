"""``tradeguard ingest FILE... [--kind K] [--db URL] [--quarantine-dir DIR]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, print_json


def ingest(
    files: Annotated[
        list[Path], typer.Argument(help="CSV, Parquet or JSON Lines files of the data contract.")
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="entries, lines, packages, supply_chain or outcomes; default: from each file "
            "name (entries*.csv, lines*, ...).",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="SQLAlchemy URL; default TRADEGUARD_DB or sqlite:///tradeguard.db."
        ),
    ] = None,
    quarantine_dir: Annotated[
        Path | None,
        typer.Option(
            "--quarantine-dir",
            help="Where <file>.rejects.csv go; default <work dir>/quarantine.",
        ),
    ] = None,
) -> None:
    """Load contract files into the database; rejected rows go to quarantine.

    Entries load before lines and the other files that refer to them. Prints a JSON summary
    per file and in total (accepted, rejected, already_present, rows_read, where the rejects
    are). Exit 0 when every file was read (even with rejected rows), 1 when a file could not
    be read, 2 on a usage error.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    from tradeguard.contract import UnknownKindError, UnreadableFileError
    from tradeguard.contract.schema import KINDS
    from tradeguard.ingest import ingest_files

    if kind is not None and kind not in KINDS:
        fail(f"unknown --kind {kind!r}; expected one of: {', '.join(KINDS)}", EXIT_USAGE)
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def on_progress(file: str, done: int, expected: int) -> None:
        if file not in tasks:
            tasks[file] = bar.add_task(f"ingest {Path(file).name}", total=max(expected, done))
        bar.update(tasks[file], completed=done, total=max(expected, done))

    try:
        with bar:
            report = ingest_files(
                files, url=db, kind=kind, quarantine_dir=quarantine_dir, progress=on_progress
            )
    except UnknownKindError as exc:
        fail(str(exc), EXIT_USAGE)
    except UnreadableFileError as exc:
        fail(f"cannot read {exc.path}: {exc.problem}", EXIT_FAILED)
    print_json(report.to_dict())
    for summary in report.files:
        if summary.error:
            typer.echo(f"error: {summary.error}", err=True)
        elif summary.rejected:
            typer.echo(
                f"{summary.rejected} of {summary.rows_read} rows of {summary.file} rejected: "
                f"see {summary.rejects_file} or the quarantine table, batch {summary.batch_id} "
                "(rows numbered as in a spreadsheet: the header is row 1)",
                err=True,
            )
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add ``ingest`` to the CLI."""
    app.command("ingest")(ingest)
