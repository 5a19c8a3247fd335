"""``tradeguard monitor`` and ``tradeguard report oversight|inventory``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from tradeguard.cli._common import EXIT_USAGE, fail, print_json

report_app = typer.Typer(help="Reports for oversight bodies, built from the system's records.",
                         no_args_is_help=True)
_DB = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL (default: TRADEGUARD_DB).")]
_DIR = Annotated[Path | None, typer.Option("--registry-dir",
                                           help="Registry folder (default: work_dir/registry).")]


def _log_records(url: str, prefix: str = "decision_log") -> list[Any]:
    """Stored log records, or an empty list when the database holds no log."""
    import sqlalchemy as sa

    from tradeguard.decisions import SqlLogStore

    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        fail(f"--db: {url!r} is not a usable database URL: {exc}", EXIT_USAGE)
    try:
        if f"{prefix}_records" not in set(sa.inspect(engine).get_table_names()):
            return []
        return list(SqlLogStore(engine, prefix=prefix).records())
    except sa.exc.SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def monitor(
    out: Annotated[Path, typer.Option("--out", help="Folder for monitoring/<date>.json.")],
    demo: Annotated[bool, typer.Option("--demo", help="Monitor demo data.")] = True,
    entries: Annotated[int, typer.Option("--entries", help="Demo size in entries.")] = 1500,
) -> None:
    """Compare the latest window with the one before: drift, performance, fairness drift."""
    from tradeguard.governance.audit.demo import demo_audit_input
    from tradeguard.governance.monitor import monitor_window, record_window, split_by_date

    if not demo:
        fail("monitoring stored assessments needs the assessments table; use --demo",
             EXIT_USAGE)
    run = demo_audit_input(out / "work", entries=entries)
    ref, cur = split_by_date(run.audit_input)
    report = monitor_window(cur, ref, f"model:{run.artifact.name}")
    path = record_window(report, out / "monitoring")
    print_json({"window": path.name, "alerts": report.alerts, "file": str(path)})


@report_app.command("oversight")
def oversight(
    out: Annotated[Path, typer.Option("--out", help="Folder for oversight.md and .html.")],
    db: _DB = None, registry_dir: _DIR = None,
    evidence: Annotated[Path | None, typer.Option(
        "--evidence", help="evidence.json of the latest audit run.")] = None,
) -> None:
    """The agency's answers to the oversight questions, as Markdown and HTML."""
    from tradeguard.governance.oversight import (
        OversightFacts,
        count_events,
        oversight_html,
        oversight_markdown,
    )
    from tradeguard.governance.registry import open_registry
    from tradeguard.settings import get_settings

    settings = get_settings()
    audit = None
    if evidence is not None:
        try:
            audit = json.loads(evidence.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"{evidence}: cannot read evidence: {exc}", EXIT_USAGE)
    types, outcomes, ai = count_events(_log_records(db or settings.db))
    facts = OversightFacts(date.today(), open_registry(settings, directory=registry_dir).state(),
                           types, outcomes, ai, audit)
    out.mkdir(parents=True, exist_ok=True)
    (out / "oversight.md").write_text(oversight_markdown(facts), encoding="utf-8")
    (out / "oversight.html").write_text(oversight_html(facts), encoding="utf-8")
    print_json({"markdown": str(out / "oversight.md"), "html": str(out / "oversight.html"),
                "events": types})


@report_app.command("inventory")
def inventory(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    registry_dir: _DIR = None, db: _DB = None,
) -> None:
    """The OMB 2025 AI use-case inventory rows, in exact column order, from the registry."""
    from tradeguard.governance.inventory import inventory_csv, inventory_rows
    from tradeguard.governance.oversight import count_events
    from tradeguard.governance.registry import open_registry
    from tradeguard.settings import get_settings

    settings = get_settings()
    types, outcomes, _ = count_events(_log_records(db or settings.db))
    rows = inventory_rows(open_registry(settings, directory=registry_dir).state(),
                          appeal_counts={"filed": types.get("appeal.filed", 0),
                                         "overturned": outcomes.get("overturned", 0)})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(inventory_csv(rows), encoding="utf-8")
    print_json({"rows": len(rows), "out": str(out)})


def register(app: typer.Typer) -> None:
    """Add ``monitor`` and the ``report`` group."""
    app.command("monitor")(monitor)
    app.add_typer(report_app, name="report")
