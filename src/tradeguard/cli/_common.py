"""Helpers shared by the command modules: error reporting and exit codes."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import typer

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print an error to stderr and exit with the contract's code (1 failed, 2 usage)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_json(payload: Any) -> None:
    """Print a JSON document to stdout (stable key order, ISO dates)."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def write_table(frame: Any, path: Path) -> None:
    """Write a Polars frame as Parquet (``.parquet``) or CSV; CSV cells that a spreadsheet would
    run as a formula are neutralised, since analysts open these files in one."""
    from tradeguard.contract.free_text import spreadsheet_safe

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        frame.write_parquet(path)
    else:
        spreadsheet_safe(frame).write_csv(path)


def read_table(path: Path, missing_code: int = EXIT_FAILED) -> Any:
    """A CSV (every column as text), Parquet or JSON Lines file as a Polars frame; a missing or
    unreadable file ends the command with a message naming it."""
    import polars as pl

    if not path.is_file():
        fail(f"{path}: no such file", missing_code)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix in (".jsonl", ".ndjson"):
            return pl.read_ndjson(path)
        return pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        fail(f"{path}: cannot read: {exc}", EXIT_FAILED)


def parse_day(value: str | None, option: str = "--as-of") -> date | None:
    """An ISO date option, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: expected YYYY-MM-DD, got {value!r}", EXIT_USAGE)


def require_history_pair(entries: Path | None, lines: Path | None) -> None:
    """Past entries and past lines only make sense together."""
    if (entries is None) != (lines is None):
        fail("--history-entries and --history-lines go together", EXIT_USAGE)


def deployment_gate(where: Path | None, artifact: Any,
                    unapproved_ok: bool) -> tuple[bool, str | None]:
    """(AI lanes enabled?, note) for a scoring run: the registry's kill switch, and refusal of
    a model version that is not approved, unexpired and unrevoked — unless it is explicitly
    evaluated as such (then the note marks the output evaluation-only)."""
    from tradeguard.governance.deployment import deployment_status
    from tradeguard.governance.registry import open_registry
    from tradeguard.settings import get_settings

    status = deployment_status(open_registry(get_settings(), directory=where),
                               None if artifact is None else artifact.version)
    if artifact is None or not status.ai_lanes_enabled or status.refused is None:
        return status.ai_lanes_enabled, None
    if not unapproved_ok:
        fail(f"{status.refused}. Register and approve it (tradeguard registry ...), or pass "
             "--unapproved-model to evaluate it without enforcement use.", EXIT_FAILED)
    return status.ai_lanes_enabled, f"evaluation only: {status.refused}"
