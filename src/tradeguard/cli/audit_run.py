"""``tradeguard audit run``: the audit harness over stored assessments, or over demo data.

Without ``--demo`` the audit reads the database and fails when nothing is stored there: an
audit that silently switched to generated data would report on a system that does not exist.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, parse_day, print_json

if TYPE_CHECKING:
    from tradeguard.governance.audit.harness import AuditInput

_DB_HELP = "SQLAlchemy URL holding the stored assessments and outcomes (default: TRADEGUARD_DB)."
_DEMO_NOTE = ("DEMO DATA: generated declarations, a model trained on them and simulated exams; "
              "this is not an audit of the stored assessments.")


def _from_db(url: str, model_dir: Path | None, date_from: date | None,
             date_to: date | None) -> AuditInput:
    """The stored assessments, outcomes and declarations; exits 1 when nothing is stored."""
    import sqlalchemy as sa

    from tradeguard.governance.audit.stored import StoredWindow, stored_audit_input

    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        fail(f"--db: {url!r} is not a usable database URL: {exc}", EXIT_USAGE)
    try:
        if "app_assessments" not in set(sa.inspect(engine).get_table_names()):
            fail(f"--db: {url}: no app_assessments table (nothing has been scored and stored "
                 "there); score entries or run `tradeguard demo` first, or use --demo",
                 EXIT_FAILED)
        inp = stored_audit_input(engine, StoredWindow(date_from, date_to), model_dir)
    except sa.exc.SQLAlchemyError as exc:
        fail(f"--db: {url}: cannot read stored assessments: {exc}", EXIT_FAILED)
    except (OSError, ValueError) as exc:
        fail(f"--model: {model_dir}: {exc}", EXIT_FAILED)
    finally:
        engine.dispose()
    if inp is None:
        fail(f"--db: {url}: no stored assessment with an entry date in the window; "
             "use --demo to audit demo data", EXIT_FAILED)
    return inp


def run(
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html and evidence.json.")],
    db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
    policy: Annotated[Path | None, typer.Option(
        "--policy", help="Audit policy YAML (thresholds); default: the shipped policy.")] = None,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Audit demo data: generate, train, score and examine it.")] = False,
    entries: Annotated[int, typer.Option("--entries", help="Demo size in entries.")] = 1500,
    degrade: Annotated[bool, typer.Option(
        "--degrade", help="Demo only: train on shuffled labels (a model that must fail).")
    ] = False,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Model artifact folder that produced the stored assessments "
        "(default: work_dir/model when present); used to re-score for robustness.")] = None,
    date_from: Annotated[str | None, typer.Option(
        "--from", help="Stored assessments with entry dates from this day (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, typer.Option(
        "--to", help="... up to and including this day (YYYY-MM-DD).")] = None,
) -> None:
    """Run every audit section against pre-declared thresholds; exit 1 when the verdict fails."""
    from tradeguard.governance.audit.demo import demo_audit_input
    from tradeguard.governance.audit.harness import run_audit
    from tradeguard.governance.audit.policy import load_policy
    from tradeguard.governance.audit.report import write_outputs
    from tradeguard.settings import get_settings

    try:
        pol = load_policy(policy)
    except OSError as exc:
        fail(f"{policy}: cannot read: {exc.strerror}", EXIT_USAGE)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    if demo:
        inp = demo_audit_input(out / "work", entries=entries, degrade=degrade).audit_input
        inp.data_note = f"{_DEMO_NOTE} {inp.data_note}"
        source = "demo"
    else:
        settings = get_settings()
        url = db or settings.db
        model_dir = model or Path(settings.work_dir) / "model"
        inp = _from_db(url, model_dir, parse_day(date_from, "--from"), parse_day(date_to, "--to"))
        source = f"database {url.split('@')[-1]}"
    result = run_audit(inp, pol)
    report, evidence, digest = write_outputs(result, out)
    print_json({"source": source, "verdict": "pass" if result.passed else "fail",
                "failed_checks": result.failed_checks, "report": str(report),
                "evidence": str(evidence), "evidence_sha256": digest})
    if not result.passed:
        raise typer.Exit(EXIT_FAILED)


def register_audit(group: typer.Typer) -> None:
    """Add ``run`` to the ``audit`` group."""
    group.command("run")(run)
