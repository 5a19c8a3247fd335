"""``tradeguard registry``: list, register, approve, revoke, roll back, kill switch, waive.

With ``--db`` every change is also appended to that database's tamper-evident decision log,
so the registry's own history can be checked against an independently verifiable record.

The command line trusts the local operator's stated identity (``--actor``/``--role``); the
permission and independence checks are the library's, so the API and web UI, which
authenticate their principals, enforce exactly the same rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, print_json

if TYPE_CHECKING:
    from tradeguard.governance.registry import Registry
    from tradeguard.security import Principal

registry_app = typer.Typer(help="Registered models, rule sets and watch-list versions.",
                           no_args_is_help=True)

Actor = Annotated[str, typer.Option("--actor", help="Who is acting (user id).")]
RoleOpt = Annotated[list[str], typer.Option("--role", help="Role(s) of the actor.")]
Dir = Annotated[Path | None, typer.Option("--registry-dir",
                                          help="Registry folder (default: work_dir/registry).")]
LogDb = Annotated[str | None, typer.Option(
    "--db", help="SQLAlchemy URL of the decision log to record the change in.")]


def _open(directory: Path | None) -> Registry:
    from tradeguard.governance.registry import open_registry
    from tradeguard.settings import get_settings

    return open_registry(get_settings(), directory=directory)


@contextmanager
def _logged(directory: Path | None, db: str | None) -> Iterator[Registry]:
    """The registry, with the decision log of ``db`` attached when one is given."""
    if db is None:
        yield _open(directory)
        return
    import sqlalchemy as sa

    from tradeguard.decisions import LogIntegrityError, SqlLogStore, TransparencyLog
    from tradeguard.decisions.checkpoint import CheckpointError, signer_from_settings
    from tradeguard.governance.registry import open_registry
    from tradeguard.settings import get_settings

    settings = get_settings()
    try:
        engine = sa.create_engine(db)
    except (sa.exc.ArgumentError, ImportError) as exc:
        fail(f"--db: {db!r} is not a usable database URL: {exc}", EXIT_USAGE)
    try:
        log = TransparencyLog(SqlLogStore(engine), signer_from_settings(settings))
        yield open_registry(settings, log=log, directory=directory)
    except (LogIntegrityError, CheckpointError) as exc:
        fail(f"--db: decision log: {exc}", EXIT_FAILED)
    except sa.exc.SQLAlchemyError as exc:
        fail(f"--db: {db}: {exc}", EXIT_FAILED)
    finally:
        engine.dispose()


def _principal(actor: str, roles: list[str]) -> Principal:
    from tradeguard.security import Principal, Role

    try:
        return Principal(actor, frozenset(Role(r) for r in roles))
    except ValueError as exc:
        fail(f"--role: {exc}; roles are {', '.join(r.value for r in Role)}", EXIT_USAGE)


def _guard(action: Any) -> Any:
    from tradeguard.governance.registry import RegistryError
    from tradeguard.security import AccessDenied

    try:
        return action()
    except (RegistryError, AccessDenied) as exc:
        fail(str(exc), EXIT_FAILED)


@registry_app.command("list")
def list_versions(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    registry_dir: Dir = None,
) -> None:
    """Every registered version with its approval state (expired ones flagged)."""
    reg = _open(registry_dir)
    st = _guard(reg.state)
    today = reg.clock().date()
    rows = [{"kind": v.kind.value, "name": v.name, "version": v.version,
             "state": "expired" if v.state == "approved" and v.expired(today) else v.state.value,
             "active": st.active.get(f"{v.kind.value}:{v.name}") == v.version,
             "approved_by": v.approved_by, "valid_until": v.valid_until,
             "reassess_by": v.reassess_by, "built_by": v.built_by,
             "audit": v.audit.model_dump(mode="json") if v.audit else None,
             "high_impact": v.determination.high_impact if v.determination else None}
            for v in st.versions]
    if as_json:
        print_json({"versions": rows, "ai_lanes_enabled": st.ai_lanes_enabled,
                    "waivers": [w.model_dump(mode="json") for w in st.waivers]})
        return
    for r in rows:
        typer.echo(f"{r['kind']:14} {r['name']:24} {r['version'][:16]:16} {r['state']:10}"
                   f"{' active' if r['active'] else ''}")


@registry_app.command("register")
def register_version(
    file: Annotated[Path, typer.Argument(help="JSON of the version (RegisteredVersion).")],
    actor: Actor, role: RoleOpt, registry_dir: Dir = None, db: LogDb = None,
) -> None:
    """Register a version from its JSON record (card, determination, assessment)."""
    from tradeguard.governance.records import RegisteredVersion

    try:
        entry = RegisteredVersion.model_validate_json(file.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror}", EXIT_USAGE)
    except ValueError as exc:
        fail(f"{file}: not a valid registry record: {exc}", EXIT_USAGE)
    with _logged(registry_dir, db) as reg:
        done = _guard(lambda: reg.register(_principal(actor, role), entry))
    print_json({"registered": done.key})


@registry_app.command("approve")
def approve(
    kind: str, version: str, actor: Actor, role: RoleOpt, registry_dir: Dir = None,
    valid_days: Annotated[int, typer.Option("--valid-days")] = 365, db: LogDb = None,
) -> None:
    """Approve a version (independent reviewer, complete assessment, passing audit)."""
    with _logged(registry_dir, db) as reg:
        v = _guard(lambda: reg.approve(_principal(actor, role), kind, version,
                                       valid_days=valid_days))
    print_json({"approved": v.key, "valid_until": v.valid_until, "reassess_by": v.reassess_by})


@registry_app.command("revoke")
def revoke(kind: str, version: str, reason: Annotated[str, typer.Option("--reason")],
           actor: Actor, role: RoleOpt, registry_dir: Dir = None, db: LogDb = None) -> None:
    """Revoke a version for good."""
    with _logged(registry_dir, db) as reg:
        v = _guard(lambda: reg.revoke(_principal(actor, role), kind, version, reason))
    print_json({"revoked": v.key})


@registry_app.command("rollback")
def rollback(kind: str, name: str, reason: Annotated[str, typer.Option("--reason")],
             actor: Actor, role: RoleOpt, registry_dir: Dir = None, db: LogDb = None) -> None:
    """Withdraw the active version of NAME; the previous approved one takes over."""
    with _logged(registry_dir, db) as reg:
        v = _guard(lambda: reg.rollback(_principal(actor, role), kind, name, reason))
    print_json({"active": v.key})


@registry_app.command("kill-switch")
def kill_switch(
    state: Annotated[str, typer.Argument(help="on (AI lanes off) or off (AI lanes back)")],
    reason: Annotated[str, typer.Option("--reason")], actor: Actor, role: RoleOpt,
    registry_dir: Dir = None, db: LogDb = None,
) -> None:
    """Stop or restore AI-assisted lanes; rules and random selection keep working."""
    if state not in ("on", "off"):
        fail(f"state must be 'on' or 'off', got {state!r}", EXIT_USAGE)
    with _logged(registry_dir, db) as reg:
        _guard(lambda: reg.set_kill_switch(_principal(actor, role), state == "on", reason))
    print_json({"ai_lanes_enabled": state == "off"})


@registry_app.command("waive")
def waive(
    kind: str, version: str,
    requirement: Annotated[str, typer.Option("--requirement",
                                             help="audit | validity | impact_assessment")],
    justification: Annotated[str, typer.Option("--justification")],
    expires: Annotated[str, typer.Option("--expires", help="YYYY-MM-DD, within a year.")],
    actor: Actor, role: RoleOpt, registry_dir: Dir = None, db: LogDb = None,
) -> None:
    """Grant a signed, expiring waiver of one requirement."""
    try:
        day = date.fromisoformat(expires)
    except ValueError:
        fail(f"--expires: {expires!r} is not a date (YYYY-MM-DD)", EXIT_USAGE)
    with _logged(registry_dir, db) as reg:
        w = _guard(lambda: reg.waive(_principal(actor, role), kind, version, requirement,
                                     justification, day))
    print_json(json.loads(w.model_dump_json()))


def register(app: typer.Typer) -> None:
    """Add the ``registry`` group."""
    app.add_typer(registry_app, name="registry")
