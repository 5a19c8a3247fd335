"""``tradeguard monitor`` and ``tradeguard report oversight|inventory``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, print_json

report_app = typer.Typer(help="Reports for oversight bodies, built from the system's records.",
                         no_args_is_help=True)
_DB = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL (default: TRADEGUARD_DB).")]
_DIR = Annotated[Path | None, typer.Option("--registry-dir",
                                           help="Registry folder (default: work_dir/registry).")]


@contextmanager
def _engine(url: str) -> Iterator[Any]:
    """An engine on ``url``; a bad URL is a usage error, a database error a failed run."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        fail(f"--db: {url!r} is not a usable database URL: {exc}", EXIT_USAGE)
    try:
        yield engine
    except sa.exc.SQLAlchemyError as exc:
        fail(f"--db: {url}: {exc}", EXIT_FAILED)
    finally:
        engine.dispose()


def _counts(url: str) -> Any:
    from tradeguard.governance.oversight_store import stored_counts

    with _engine(url) as engine:
        return stored_counts(engine)


def _publications(url: str, folder: Path) -> Any:
    """The publication ledger of ``folder`` checked against the log (None when the folder has
    no ledger and the log no publication record)."""
    from tradeguard.governance.oversight_store import publication_records
    from tradeguard.governance.publication_check import (
        PUBLICATION_LEDGER,
        check_publications,
        ledger_entries,
    )

    path = folder / PUBLICATION_LEDGER
    try:
        entries = ledger_entries(json.loads(path.read_text(encoding="utf-8"))) \
            if path.is_file() else []
        with _engine(url) as engine:
            logged = publication_records(engine)
    except (OSError, ValueError) as exc:
        fail(f"{path}: cannot check the publication ledger: {exc}", EXIT_USAGE)
    if not entries and not logged:
        return None
    return check_publications(entries, logged)


def monitor(
    out: Annotated[Path, typer.Option("--out", help="Folder for monitoring/<date>.json.")],
    db: _DB = None,
    window_days: Annotated[int, typer.Option(
        "--window-days", help="Window length: the latest N days against the N before.")] = 30,
    until: Annotated[str | None, typer.Option(
        "--until", help="Last day of the current window (default: newest stored entry date).")
    ] = None,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Model artifact folder, for feature drift (default: work_dir/model).")
    ] = None,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Monitor generated demo data instead of the database.")] = False,
    entries: Annotated[int, typer.Option("--entries", help="Demo size in entries.")] = 1500,
) -> None:
    """Compare the latest window with the one before: drift, performance, fairness drift.

    From the database the window is also appended to its decision log (``monitoring.window``).
    """
    from tradeguard.governance.monitor import monitor_window, record_window, split_by_date
    from tradeguard.settings import get_settings

    if window_days < 1:
        fail(f"--window-days must be at least 1, got {window_days}", EXIT_USAGE)
    if demo:
        from tradeguard.governance.audit.demo import demo_audit_input

        run = demo_audit_input(out / "work", entries=entries)
        ref, cur = split_by_date(run.audit_input)
        report = monitor_window(cur, ref, f"model:{run.artifact.name}")
        path = record_window(report, out / "monitoring")
        print_json({"source": "demo", "window": path.name, "alerts": report.alerts,
                    "file": str(path)})
        return
    from tradeguard.decisions import SqlLogStore, TransparencyLog
    from tradeguard.decisions.checkpoint import signer_from_settings
    from tradeguard.governance.audit.stored import stored_windows

    settings = get_settings()
    url = db or settings.db
    last = None
    if until is not None:
        try:
            last = date.fromisoformat(until)
        except ValueError:
            fail(f"--until: expected YYYY-MM-DD, got {until!r}", EXIT_USAGE)
    with _engine(url) as engine:
        windows = stored_windows(engine, window_days,
                                 model or Path(settings.work_dir) / "model", last)
        if windows is None:
            fail(f"--db: {url}: two {window_days}-day windows of stored assessments are "
                 "needed (current and reference); use --demo to monitor demo data",
                 EXIT_FAILED)
        ref, cur = windows
        model_id = f"model:{cur.versions.get('model', 'none')[:16]}"
        report = monitor_window(cur, ref, model_id)
        log = TransparencyLog(SqlLogStore(engine), signer_from_settings(settings))
        path = record_window(report, out / "monitoring", log)
    print_json({"source": f"database {url.split('@')[-1]}", "window": path.name,
                "window_start": report.window_start, "window_end": report.window_end,
                "lines": report.metrics["lines"], "examined": report.metrics["examined"],
                "alerts": report.alerts, "file": str(path), "logged": True})


@report_app.command("oversight")
def oversight(
    out: Annotated[Path, typer.Option("--out", help="Folder for oversight.md and .html.")],
    db: _DB = None, registry_dir: _DIR = None,
    evidence: Annotated[Path | None, typer.Option(
        "--evidence", help="evidence.json of the latest audit run.")] = None,
) -> None:
    """The agency's answers to the oversight questions, as Markdown and HTML, counted from
    the decision log and the workflow tables."""
    from tradeguard.governance.oversight import OversightFacts, oversight_html, oversight_markdown
    from tradeguard.governance.registry import open_registry
    from tradeguard.settings import get_settings

    settings = get_settings()
    audit = None
    if evidence is not None:
        try:
            audit = json.loads(evidence.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"{evidence}: cannot read evidence: {exc}", EXIT_USAGE)
    counts = _counts(db or settings.db)
    facts = OversightFacts(date.today(), open_registry(settings, directory=registry_dir).state(),
                           counts.events, counts.appeal_outcomes, counts.ai_assisted_actions,
                           audit, counts.workflow, counts.sources,
                           _publications(db or settings.db, settings.published_profiles))
    out.mkdir(parents=True, exist_ok=True)
    (out / "oversight.md").write_text(oversight_markdown(facts), encoding="utf-8")
    (out / "oversight.html").write_text(oversight_html(facts), encoding="utf-8")
    print_json({"markdown": str(out / "oversight.md"), "html": str(out / "oversight.html"),
                "events": counts.events, "records": counts.workflow,
                "publications": None if facts.publications is None else {
                    "agree": facts.publications.agree,
                    "differences": list(facts.publications.differences)}})


@report_app.command("inventory")
def inventory(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    registry_dir: _DIR = None, db: _DB = None,
) -> None:
    """The OMB 2025 AI use-case inventory rows, in exact column order, from the registry."""
    from tradeguard.governance.inventory import inventory_csv, inventory_rows
    from tradeguard.governance.registry import open_registry
    from tradeguard.settings import get_settings

    settings = get_settings()
    counts = _counts(db or settings.db)
    filed = counts.workflow.get("appeals", counts.events.get("appeal.filed", 0))
    rows = inventory_rows(open_registry(settings, directory=registry_dir).state(),
                          appeal_counts={"filed": filed,
                                         "overturned": counts.appeal_outcomes.get("overturned",
                                                                                  0)})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(inventory_csv(rows), encoding="utf-8")
    print_json({"rows": len(rows), "out": str(out)})


def register(app: typer.Typer) -> None:
    """Add ``monitor`` and the ``report`` group."""
    app.command("monitor")(monitor)
    app.add_typer(report_app, name="report")
