"""``tradeguard uflpa``: UFLPA detentions over a JSON case file.

    tradeguard uflpa detain --store cases.json --entry ABC-1234567-8 --date 2026-07-01 \\
        --officer cbp-017 --reason FL_UFLPA_PARTY
    tradeguard uflpa submit --store cases.json --entry ABC-1234567-8 --date 2026-07-10 \\
        --importer 12-3456789 --kind applicability_review \\
        --document "invoice:INV-001:<sha256>" --document "traceability-map:MAP-7:<sha256>"
    tradeguard uflpa decide --store cases.json --entry ABC-1234567-8 --date 2026-07-25 \\
        --officer cbp-021 --outcome release --basis "no Xinjiang nexus shown by the chain"
    tradeguard uflpa status --store cases.json [--entry ABC-1234567-8] [--as-of 2026-08-05]

Each command prints the case as JSON (state, 30-day deadline, days remaining, overdue, events).
A transition the case does not allow exits 1 with the reason; a malformed option exits 2.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, parse_day, print_json

if TYPE_CHECKING:
    from tradeguard.uflpa import EvidenceDocument, UflpaWorkflow

app = typer.Typer(help="UFLPA detentions: detain, importer submissions, decisions, 30-day clock.")

StoreOpt = Annotated[Path, typer.Option("--store", help="JSON case file (created if missing).")]
EntryOpt = Annotated[str, typer.Option("--entry", help="Entry number.")]
DateOpt = Annotated[str, typer.Option("--date", help="Date of the action (YYYY-MM-DD).")]


def _date(text: str, option: str) -> date:
    day = parse_day(text, option)
    assert day is not None  # a required option is never None
    return day


def _workflow(store: Path) -> UflpaWorkflow:
    from tradeguard.uflpa import JsonCaseStore, UflpaWorkflow

    try:
        return UflpaWorkflow(JsonCaseStore(store))
    except ValueError as exc:
        fail(str(exc), EXIT_FAILED)


def _document(text: str) -> EvidenceDocument:
    from tradeguard.uflpa import EvidenceDocument

    parts = text.rsplit(":", 1)
    head = parts[0].split(":", 1) if len(parts) == 2 else []
    if len(head) != 2:
        fail(f"--document: {text!r} is not TYPE:REF:SHA256", EXIT_USAGE)
    try:
        return EvidenceDocument(ref=head[1], doc_type=head[0], sha256=parts[1].lower())
    except ValueError as exc:
        fail(f"--document: {exc}", EXIT_USAGE)


@app.command("detain")
def detain(
    store: StoreOpt,
    entry: EntryOpt,
    on: DateOpt,
    officer: Annotated[str, typer.Option("--officer", help="Officer id.")],
    reason: Annotated[
        list[str] | None, typer.Option("--reason", help="Reason code (repeatable).")
    ] = None,
) -> None:
    """Detain an entry: opens its case and starts the 30-day clock."""
    from tradeguard.uflpa import InvalidTransition

    when = _date(on, "--date")
    try:
        case = _workflow(store).detain(entry, when, officer, tuple(reason or ()))
    except (InvalidTransition, ValueError) as exc:
        fail(str(exc), EXIT_FAILED)
    print_json(case.status(when))


@app.command("submit")
def submit(
    store: StoreOpt,
    entry: EntryOpt,
    on: DateOpt,
    importer: Annotated[str, typer.Option("--importer", help="Importer of record id.")],
    kind: Annotated[
        str, typer.Option("--kind", help="applicability_review or exception_request.")
    ],
    document: Annotated[
        list[str], typer.Option("--document", help="TYPE:REF:SHA256 (repeatable).")
    ],
) -> None:
    """Record the importer's evidence for a detained entry."""
    from tradeguard.uflpa import InvalidTransition, SubmissionKind

    when = _date(on, "--date")
    try:
        chosen = SubmissionKind(kind)
    except ValueError:
        fail(f"--kind: {kind!r} is not one of {[k.value for k in SubmissionKind]}", EXIT_USAGE)
    docs = tuple(_document(d) for d in document)
    try:
        case = _workflow(store).submit(entry, chosen, docs, when, importer)
    except InvalidTransition as exc:
        fail(str(exc), EXIT_FAILED)
    print_json(case.status(when))


@app.command("decide")
def decide(
    store: StoreOpt,
    entry: EntryOpt,
    on: DateOpt,
    officer: Annotated[str, typer.Option("--officer", help="Officer id.")],
    outcome: Annotated[str, typer.Option("--outcome", help="release or exclusion.")],
    basis: Annotated[str, typer.Option("--basis", help="Why (kept in the case history).")],
) -> None:
    """Release or exclude the detained goods; closes the case."""
    from tradeguard.uflpa import InvalidTransition, Outcome

    when = _date(on, "--date")
    try:
        chosen = Outcome(outcome)
    except ValueError:
        fail(f"--outcome: {outcome!r} is not one of {[o.value for o in Outcome]}", EXIT_USAGE)
    try:
        case = _workflow(store).decide(entry, chosen, when, officer, basis)
    except InvalidTransition as exc:
        fail(str(exc), EXIT_FAILED)
    print_json(case.status(when))


@app.command("status")
def status(
    store: StoreOpt,
    entry: Annotated[str | None, typer.Option("--entry", help="One entry (default all).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Clock date (default today).")
    ] = None,
) -> None:
    """Print cases with their 30-day clock; ``overdue`` is true past the deadline."""
    when = _date(as_of, "--as-of") if as_of else date.today()
    flow = _workflow(store)
    if entry is not None:
        case = flow.repository.get(entry)
        if case is None:
            fail(f"entry {entry}: no detention on record in {store}", EXIT_FAILED)
        print_json(case.status(when))
        return
    print_json({"as_of": when.isoformat(),
                "cases": [c.status(when) for c in flow.repository.all()]})


def register(root: typer.Typer) -> None:
    """Add the ``uflpa`` command group to the app."""
    root.add_typer(app, name="uflpa")
