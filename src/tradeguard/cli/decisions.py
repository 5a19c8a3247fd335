"""``tradeguard review|notice|appeal``: the decisions workflow on the command line.

Thin commands over :mod:`tradeguard.decisions`: every permission, tenancy, training and
independence check happens in the library, so these commands cannot do anything the API
could not. The acting user is named with ``--user``, ``--role`` and (for importer users)
``--importer``; on a shared machine the operator's own sign-on must vouch for that identity.
Exit codes: 0 done, 1 refused or failed (the reason on stderr), 2 usage error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, parse_day, print_json
from tradeguard.cli.audit_replay import (
    EntriesOpt,
    HistEntriesOpt,
    HistLinesOpt,
    LinesOpt,
    ModelOpt,
    OutcomesOpt,
    RefdataOpt,
)

if TYPE_CHECKING:
    from tradeguard.decisions.review import Workflow
    from tradeguard.security import Principal

Db = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL (default: TRADEGUARD_DB).")]
User = Annotated[str, typer.Option("--user", help="Id of the acting user.")]
Roles = Annotated[list[str], typer.Option("--role", help="Role of the acting user (repeatable).")]
Importer = Annotated[
    str | None, typer.Option("--importer", help="Importer of record an importer user acts for.")
]

review_app = typer.Typer(help="The risk-ordered review queue and officer actions.",
                         no_args_is_help=True)
notice_app = typer.Typer(help="Notices to importers.", no_args_is_help=True)
appeal_app = typer.Typer(help="Importer challenges and their independent re-review.",
                         no_args_is_help=True)


def _principal(user: str, roles: list[str], importer: str | None) -> Principal:
    from tradeguard.security import Principal, Role

    try:
        parsed = frozenset(Role(r) for r in roles)
    except ValueError:
        fail(f"--role: expected one of {', '.join(r.value for r in Role)}; got {roles}", EXIT_USAGE)
    if not user.strip() or not parsed:
        fail("--user and at least one --role are required", EXIT_USAGE)
    return Principal(user, parsed, importer)


@contextmanager
def _workflow(db: str | None) -> Iterator[Workflow]:
    """The workflow on the configured database; library refusals become exit 1."""
    import sqlalchemy as sa

    from tradeguard.decisions import SqlLogStore, TransparencyLog
    from tradeguard.decisions.checkpoint import CheckpointError, signer_from_settings
    from tradeguard.decisions.review import Workflow
    from tradeguard.decisions.workflow_store import SqlWorkflowStore
    from tradeguard.security import DataKeyError, FieldCipher
    from tradeguard.settings import get_settings

    settings = get_settings()
    url = db or settings.db
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        fail(f"--db: {url!r} is not a usable database URL: {exc}", EXIT_USAGE)
    try:
        md = sa.MetaData()
        log = TransparencyLog(SqlLogStore(engine, md), signer_from_settings(settings))
        yield Workflow(SqlWorkflowStore(engine, md), log, FieldCipher.from_settings(settings))
    except (PermissionError, KeyError, ValueError, CheckpointError, DataKeyError) as exc:
        fail(str(exc).strip("'\""), EXIT_FAILED)
    except sa.exc.SQLAlchemyError as exc:
        fail(f"{url}: {exc}", EXIT_FAILED)
    finally:
        engine.dispose()


def _plain(record: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(record)


@review_app.command("train")
def review_train(
    subject: Annotated[str, typer.Argument(help="Id of the user who completed the course.")],
    completed: Annotated[str, typer.Option("--completed", help="Completion date YYYY-MM-DD.")],
    user: User, role: Roles, db: Db = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="Expiry date (default: one year).")
    ] = None,
) -> None:
    """Record operator training (user administrators); untrained users cannot act."""
    from tradeguard.decisions.training import record_training

    who = _principal(user, role, None)
    done, until = parse_day(completed, "--completed"), parse_day(expires, "--expires")
    assert done is not None
    with _workflow(db) as wf:
        record = record_training(wf.store, who, subject, done, until)
    print_json(_plain(record))


@review_app.command("enqueue")
def review_enqueue(
    entries: EntriesOpt, lines: LinesOpt, user: User, role: Roles,
    history_entries: HistEntriesOpt = None, history_lines: HistLinesOpt = None,
    outcomes: OutcomesOpt = None, model: ModelOpt = None, refdata: RefdataOpt = None,
    db: Db = None,
) -> None:
    """Score a batch and queue every line for review (each score logged, explanation sealed)."""
    from tradeguard.cli.audit_replay import read_batch, scoring_options
    from tradeguard.decisions.review import enqueue_frame
    from tradeguard.pipeline import score_declarations

    who = _principal(user, role, None)
    ent, lin, frames = read_batch(entries, lines, history_entries, history_lines, outcomes)
    with _workflow(db) as wf:
        scored = score_declarations(ent, lin, **frames, **scoring_options(model, refdata))
        items = enqueue_frame(wf, who, scored.assessments, ent)
    lanes: dict[str, int] = {}
    for i in items:
        lanes[i.lane] = lanes.get(i.lane, 0) + 1
    print_json({"queued": len(items), "lanes": lanes})


@review_app.command("queue")
def review_queue_cmd(
    user: User, role: Roles, db: Db = None,
    port: Annotated[str | None, typer.Option("--port", help="Port of entry.")] = None,
    lane: Annotated[str | None, typer.Option("--lane", help="green, yellow or red.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First entry date.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last entry date.")] = None,
    status: Annotated[str, typer.Option("--status", help="open, decided or all.")] = "open",
) -> None:
    """The review queue, highest risk first."""
    from tradeguard.decisions.review import review_queue

    who = _principal(user, role, None)
    start, end = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    with _workflow(db) as wf:
        items = review_queue(wf, who, port=port, lane=lane, date_from=start, date_to=end,
                             status=None if status == "all" else status)
    print_json([_plain(i) for i in items])


@review_app.command("act")
def review_act(
    item: Annotated[str, typer.Argument(help="Queue item: ENTRY|LINE.")],
    action: Annotated[str, typer.Option("--action", help="release, document_review, exam, "
                                        "hold, detain or refer_to_case.")],
    user: User, role: Roles,
    rationale: Annotated[str, typer.Option("--rationale", help="One sentence of why.")] = "",
    db: Db = None,
) -> None:
    """Record an officer's action; an adverse AI-assisted action also issues the notice."""
    from tradeguard.decisions.notices import act_and_notify

    who = _principal(user, role, None)
    with _workflow(db) as wf:
        record, notice = act_and_notify(wf, who, item, action, rationale)
    print_json({"action": _plain(record), "notice_id": notice.notice_id if notice else None,
                "case_id": notice.case_id if notice else None})


@notice_app.command("show")
def notice_show(
    notice_id: Annotated[str, typer.Argument(help="Notice id.")],
    user: User, role: Roles, importer: Importer = None, db: Db = None,
) -> None:
    """Print a notice's content, with the completeness and receipt check."""
    from tradeguard.decisions.notices import check_notice, get_notice

    who = _principal(user, role, importer)
    with _workflow(db) as wf:
        notice = get_notice(wf, who, notice_id)
        problems = check_notice(notice.content, wf.log.signer.verifier_key)
    print_json({"content": notice.content, "content_hash": notice.content_hash,
                "log_seq": notice.log_seq, "problems": problems})


@notice_app.command("render")
def notice_render(
    notice_id: Annotated[str, typer.Argument(help="Notice id.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    user: User, role: Roles, importer: Importer = None, db: Db = None,
    fmt: Annotated[str, typer.Option("--format", help="html, pdf or json.")] = "html",
) -> None:
    """Write a notice as HTML, PDF or JSON."""
    from tradeguard.decisions.notices import get_notice, render_html, render_json, render_pdf

    if fmt not in {"html", "pdf", "json"}:
        fail(f"--format: expected html, pdf or json, got {fmt!r}", EXIT_USAGE)
    who = _principal(user, role, importer)
    with _workflow(db) as wf:
        content = get_notice(wf, who, notice_id).content
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "pdf":
            out.write_bytes(render_pdf(content))
        else:
            text = render_html(content) if fmt == "html" else render_json(content)
            out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror}", EXIT_FAILED)
    print_json({"notice_id": notice_id, "format": fmt, "out": str(out)})


def _documents(specs: list[str]) -> list[Any]:
    from tradeguard.decisions.workflow_records import AppealDocument

    docs = []
    for spec in specs:
        doc_type, sep, path = spec.partition("=")
        if not sep or not doc_type or not path:
            fail(f"--doc: expected TYPE=PATH, got {spec!r}", EXIT_USAGE)
        try:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError as exc:
            fail(f"{path}: cannot read: {exc.strerror}", EXIT_USAGE)
        docs.append(AppealDocument(Path(path).name, doc_type, digest))
    return docs


def _corrections(specs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            fail(f"--correct: expected FIELD=VALUE, got {spec!r}", EXIT_USAGE)
        out[name] = value
    return out


@appeal_app.command("file")
def appeal_file(
    notice_id: Annotated[str, typer.Argument(help="The notice being contested.")],
    grounds: Annotated[str, typer.Option("--grounds", help="What is disputed, and why.")],
    user: User, role: Roles, importer: Importer = None, db: Db = None,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="TYPE=PATH (repeatable).")] = None,
    correct: Annotated[
        list[str] | None, typer.Option("--correct", help="FIELD=VALUE (repeatable).")
    ] = None,
) -> None:
    """File a challenge to a notice (importer users, own notices only)."""
    from tradeguard.decisions.appeals import appeal_clock, file_appeal

    who = _principal(user, role, importer)
    docs, fixes = _documents(doc or []), _corrections(correct or [])
    with _workflow(db) as wf:
        appeal = file_appeal(wf, who, notice_id, grounds, docs, fixes)
        clock = appeal_clock(appeal, wf.clock())
    print_json({"appeal_id": appeal.appeal_id, "case_id": appeal.case_id,
                "acknowledged_at": clock.acknowledged_at, "due_at": clock.due_at})


@appeal_app.command("assign")
def appeal_assign(
    appeal_id: Annotated[str, typer.Argument(help="Appeal id.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Id of the reviewer.")],
    user: User, role: Roles, db: Db = None,
    reviewer_role: Annotated[
        list[str] | None, typer.Option("--reviewer-role", help="Reviewer's role(s).")
    ] = None,
) -> None:
    """Route an appeal to a reviewer who took no part in the decision."""
    from tradeguard.decisions.appeals import assign_reviewer

    who = _principal(user, role, None)
    target = _principal(reviewer, reviewer_role or ["supervisor"], None)
    with _workflow(db) as wf:
        appeal = assign_reviewer(wf, who, appeal_id, target)
    print_json({"appeal_id": appeal.appeal_id, "reviewer_id": appeal.reviewer_id,
                "status": appeal.status})


@appeal_app.command("decide")
def appeal_decide(
    appeal_id: Annotated[str, typer.Argument(help="Appeal id.")],
    outcome: Annotated[str, typer.Option("--outcome", help="upheld, overturned or modified.")],
    reasons: Annotated[str, typer.Option("--reasons", help="Why, in writing.")],
    user: User, role: Roles, db: Db = None,
    category: Annotated[str | None, typer.Option("--category", help="Finding category.")] = None,
    recovered: Annotated[
        float | None, typer.Option("--recovered-duty", help="Duty recovered, USD.")
    ] = None,
) -> None:
    """Decide an appeal (the assigned reviewer only)."""
    from tradeguard.decisions.appeals import decide_appeal

    who = _principal(user, role, None)
    with _workflow(db) as wf:
        appeal = decide_appeal(wf, who, appeal_id, outcome, reasons, category=category,
                               recovered_duty_usd=recovered)
    print_json({"appeal_id": appeal.appeal_id, "outcome": appeal.outcome,
                "outcome_row": appeal.outcome_row})


@appeal_app.command("status")
def appeal_status_cmd(
    appeal_id: Annotated[str, typer.Argument(help="Appeal id.")],
    user: User, role: Roles, importer: Importer = None, db: Db = None,
) -> None:
    """Where an appeal stands, with its 30-day clock."""
    from tradeguard.decisions.appeals import appeal_clock, appeal_status

    who = _principal(user, role, importer)
    with _workflow(db) as wf:
        appeal = appeal_status(wf, who, appeal_id)
        clock = appeal_clock(appeal, wf.clock())
    doc = _plain(appeal)
    doc["clock"] = _plain(clock)
    print_json(doc)


def register(app: typer.Typer) -> None:
    """Add the ``review``, ``notice`` and ``appeal`` groups."""
    app.add_typer(review_app, name="review")
    app.add_typer(notice_app, name="notice")
    app.add_typer(appeal_app, name="appeal")
