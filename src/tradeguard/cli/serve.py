"""``tradeguard serve`` (the API and web UI over a database) and ``tradeguard demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, print_json

_DB_HELP = "SQLAlchemy URL of the database (default: TRADEGUARD_DB, else sqlite:///tradeguard.db)."


def _run(app: object, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info")  # type: ignore[arg-type]


def serve(
    db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    model: Annotated[Path | None, typer.Option(
        "--model", help="Model artifact folder for synchronous scoring.")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Worker processes (default: one per core).")] = None,
) -> None:
    """Serve the REST API (reference at /docs) and the web UI over an existing database."""
    from tradeguard.api import ApiConfig, create_app
    from tradeguard.api.processes import default_workers, serve_workers
    from tradeguard.settings import get_settings

    overrides = {"db": db} if db else {}
    try:
        settings = get_settings(**overrides)
        app = create_app(settings, config=ApiConfig(model_dir=model))
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    count = workers or default_workers()
    typer.echo(f"tradeguard serving {settings.db} on http://{host}:{port}/ (API: /docs), "
               f"{count} worker(s)", err=True)
    if count > 1:  # the app above checked the settings and migrated the database once
        try:
            serve_workers(host, port, count, db=settings.db, model=model)
        except OSError as exc:
            fail(f"serve: {exc}", EXIT_FAILED)
    else:
        _run(app, host, port)


def demo(
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    entries: Annotated[int, typer.Option(
        "--entries", help="Entries in the current window (at least 100). Below the default "
        "the model's audit usually fails: it is then not approved and not used.",
        min=100)] = 2000,
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo.")] = Path("demo"),
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    no_serve: Annotated[bool, typer.Option(
        "--no-serve", help="Stop after scoring (print the summary and the accounts).")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Demo data seed.")] = 7,
) -> None:
    """Build demo data, ingest, train and audit the model in shadow, register it, approve it
    if its audit passed, score with what the deployment gate allows, queue for review, create
    users, then serve."""
    from tradeguard.api.demo_site import build_demo, demo_settings

    typer.echo(f"building the demo in {directory} ...", err=True)
    try:
        site = build_demo(directory, entries=entries, seed=seed)
    except (ValueError, RuntimeError, OSError) as exc:
        fail(f"demo: {exc}", EXIT_FAILED)
    print_json({"directory": str(site.directory), "db": site.db_url, **site.summary,
                "users": site.users})
    typer.echo(_model_line(site.summary), err=True)
    if no_serve:
        return
    from tradeguard.api import ApiConfig, create_app

    app = create_app(demo_settings(directory), config=ApiConfig(model_dir=site.model_dir))
    typer.echo(f"demo ready: http://{host}:{port}/  — log in with the accounts above", err=True)
    _run(app, host, port)


def _model_line(summary: dict[str, object]) -> str:
    """One line on what the registry decided about the demo's model, and what scored."""
    record = summary.get("registry")
    if not isinstance(record, dict):
        return f"model {summary.get('model')}; scoring without a model"
    version = str(record["version"])[:16]
    if record["approved"]:
        return f"model {version} approved after its audit passed; it scores the demo"
    refused = record.get("approval_refused")
    why = "; ".join(map(str, refused)) if isinstance(refused, list) and refused else "refused"
    return f"model {version} NOT approved ({why}); the demo scores without it"


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``demo`` to the CLI."""
    app.command("serve")(serve)
    app.command("demo")(demo)
