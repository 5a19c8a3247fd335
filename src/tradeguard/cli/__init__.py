"""The ``tradeguard`` command line: thin Typer commands over the library.

Each area registers its commands from its own module in this package; the modules import
their heavy dependencies inside the command functions so ``tradeguard --help`` stays fast.
Exit codes follow the contract: 0 success, 1 the work failed, 2 a usage error.
"""

from __future__ import annotations

import importlib
import sys

from tradeguard.cores import return_freed_memory

# Before anything loads Polars: its allocator reads the setting once, at load.
return_freed_memory()

import typer  # noqa: E402

from tradeguard import __version__  # noqa: E402

# Modules that add commands to the app; each exposes ``register(app: typer.Typer) -> None``.
COMMAND_MODULES: tuple[str, ...] = (
    "ingest",
    "refdata",
    "demo_data",
    "screen",
    "bench",
    "audit",
    "rules",
    "leads",
    "score",
    "engine_score",
    "model",
    "packages",
    "network",
    "uflpa",
    "decisions",
    "registry",
    "governance",
    "serve",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tradeguard {__version__}")
        raise typer.Exit(0)


def build_app() -> typer.Typer:
    """Assemble the CLI from every command module present in the package."""
    app = typer.Typer(
        name="tradeguard",
        help="AI for trade enforcement and facilitation, with the guardrails built in.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        """tradeguard command line."""

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"tradeguard.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"tradeguard.cli.{name}":
                continue
            raise
        module.register(app)
    return app


def main() -> None:
    """Console-script entry point."""
    app = build_app()
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
