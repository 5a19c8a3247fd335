"""``tradeguard audit run``: the audit harness over stored assessments, or over demo data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, print_json

if TYPE_CHECKING:
    from tradeguard.governance.audit.harness import AuditInput

_DB_HELP = "SQLAlchemy URL holding assessments and outcomes (default: TRADEGUARD_DB)."


def _from_db(url: str) -> AuditInput | None:
    """Assessments and outcomes stored in the database, or None when there are none."""
    import polars as pl
    import sqlalchemy as sa

    from tradeguard.governance.audit.harness import AuditInput

    engine = sa.create_engine(url)
    try:
        names = set(sa.inspect(engine).get_table_names())
        if not {"assessments", "outcomes"} <= names:
            return None
        with engine.connect() as conn:
            assessments = pl.read_database("select * from assessments", conn)
            outcomes = pl.read_database("select * from outcomes", conn)
    finally:
        engine.dispose()
    if assessments.is_empty():
        return None
    return AuditInput(assessments, outcomes, data_note=f"Stored assessments from {url}.")


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
) -> None:
    """Run every audit section against pre-declared thresholds; exit 1 when the verdict fails."""
    import sqlalchemy as sa

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
    inp = None
    if not demo:
        url = db or get_settings().db
        try:
            inp = _from_db(url)
        except (sa.exc.SQLAlchemyError, sa.exc.ArgumentError, ImportError) as exc:
            fail(f"--db: {url!r}: cannot read assessments: {exc}", EXIT_USAGE)
    if inp is None:
        inp = demo_audit_input(out / "work", entries=entries, degrade=degrade).audit_input
    result = run_audit(inp, pol)
    report, evidence, digest = write_outputs(result, out)
    print_json({"verdict": "pass" if result.passed else "fail",
                "failed_checks": result.failed_checks, "report": str(report),
                "evidence": str(evidence), "evidence_sha256": digest})
    if not result.passed:
        raise typer.Exit(EXIT_FAILED)


def register_audit(group: typer.Typer) -> None:
    """Add ``run`` to the ``audit`` group."""
    group.command("run")(run)
