"""``tradeguard audit``: checks of the accountability record.

The group is assembled when the CLI is built. ``verify`` lives here; other areas add their own
subcommands (``audit run``, ``audit replay``) from their own modules: list the module in
:data:`AUDIT_COMMAND_MODULES` and give it ``register_audit(group: typer.Typer) -> None``.
A listed module that is not installed yet is skipped.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, print_json

# Modules that add subcommands to ``tradeguard audit``.
AUDIT_COMMAND_MODULES: tuple[str, ...] = (
    "tradeguard.cli.audit_run",
    "tradeguard.cli.audit_replay",
)

_DB_HELP = "SQLAlchemy URL of the database (default: TRADEGUARD_DB, else sqlite:///tradeguard.db)."
_KEY_HELP = (
    "File holding the log's verifier key (name+id+key). Default: the key of this installation's "
    "settings (PEM in production, derived from the secret in development)."
)
_TRUSTED_HELP = "A signed checkpoint obtained earlier (e.g. from a receipt): catches truncation."
_PREFIX_HELP = "Table name prefix of the log."


def verify(
    db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
    key: Annotated[Path | None, typer.Option("--key", help=_KEY_HELP)] = None,
    trusted: Annotated[Path | None, typer.Option("--trusted", help=_TRUSTED_HELP)] = None,
    prefix: Annotated[str, typer.Option("--prefix", help=_PREFIX_HELP)] = "decision_log",
) -> None:
    """Check the tamper-evident decision log end to end; exit 1 naming the first bad record."""
    import sqlalchemy as sa

    from tradeguard.decisions import SqlLogStore, open_checkpoint, verify_log
    from tradeguard.decisions.checkpoint import (
        CheckpointError,
        parse_verifier_key,
        signer_from_settings,
    )
    from tradeguard.settings import get_settings

    settings = get_settings()
    try:
        if key is not None:
            vkey = key.read_text(encoding="utf-8").strip()
        else:
            vkey = signer_from_settings(settings).verifier_key
        parse_verifier_key(vkey)
        checkpoint = open_checkpoint(trusted.read_text(encoding="utf-8"), vkey) if trusted else None
    except OSError as exc:
        fail(f"{exc.filename}: cannot read: {exc.strerror}", EXIT_USAGE)
    except CheckpointError as exc:
        fail(str(exc), EXIT_USAGE)
    url = db or settings.db
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        fail(f"--db: {url!r} is not a usable database URL: {exc}", EXIT_USAGE)
    try:
        result = verify_log(SqlLogStore(engine, prefix=prefix), vkey, trusted=checkpoint)
    except (sa.exc.SQLAlchemyError, ValueError, TypeError) as exc:
        fail(f"{url}: cannot read the decision log: {exc}", EXIT_FAILED)
    finally:
        engine.dispose()
    if result.first_bad is not None:
        fail(
            f"decision log {prefix} in {url}: {result.first_bad} "
            f"({result.records_checked} records and {result.heads_checked} heads checked before it)"
        )
    print_json(
        {
            "ok": True,
            "records": result.records_checked,
            "heads": result.heads_checked,
            "root": result.root.hex(),
        }
    )


def build_group() -> typer.Typer:
    """The ``audit`` group with ``verify`` and every installed contributed subcommand."""
    group = typer.Typer(
        help="Checks of the accountability record (decision log, audits).", no_args_is_help=True
    )
    group.command("verify")(verify)
    for name in AUDIT_COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register_audit(group)
    return group


def register(app: typer.Typer) -> None:
    """Add the ``audit`` group to the CLI."""
    app.add_typer(build_group(), name="audit")
