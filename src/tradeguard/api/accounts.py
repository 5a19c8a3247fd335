"""User accounts and API keys in the service tables (no permission checks here).

Callers check ``user:admin`` with :func:`tradeguard.security.require` before creating or
changing accounts; this module only reads and writes rows and turns them into
:class:`~tradeguard.security.Principal` values, the one shape every library check takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tradeguard.api.auth import (
    InvalidCredentials,
    hash_password,
    new_api_key,
    secret_digest,
    split_api_key,
    verify_password,
)
from tradeguard.api.fresh_principals import RECENT, FreshPrincipals
from tradeguard.security import Principal, Role
from tradeguard.store.app_tables import api_keys, users


@dataclass(frozen=True, slots=True)
class Account:
    """A user account as shown to administrators (never the hash)."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    importer_id: str | None
    active: bool

    def principal(self) -> Principal:
        """The principal the security checks take."""
        return Principal(self.username, frozenset(Role(r) for r in self.roles), self.importer_id)


def parse_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """Validated, sorted role names; raises ValueError naming an unknown role."""
    out = []
    for r in roles:
        try:
            out.append(Role(r.strip()).value)
        except ValueError as exc:
            valid = ", ".join(x.value for x in Role)
            raise ValueError(f"role {r!r} is not one of: {valid}") from exc
    if not out:
        raise ValueError("at least one role is required")
    return tuple(sorted(set(out)))


def _account(row: Any) -> Account:
    return Account(row["username"], row["display_name"], tuple(row["roles"].split(",")),
                   row["importer_id"], bool(row["active"]))


def create_user(
    engine: sa.Engine, username: str, password: str, roles: Iterable[str], *,
    importer_id: str | None = None, display_name: str | None = None, created_by: str,
) -> Account:
    """Add an account; importer users must name the importer of record they act for."""
    names = parse_roles(roles)
    if not username.strip():
        raise ValueError("username is required")
    if Role.IMPORTER.value in names and not importer_id:
        raise ValueError("an importer user needs an importer_id")
    row: dict[str, Any] = {
        "username": username.strip(), "display_name": display_name or username.strip(),
        "password_hash": hash_password(password), "roles": ",".join(names),
        "importer_id": importer_id or None, "active": True,
        "created_at": datetime.now(UTC), "created_by": created_by,
    }
    with engine.begin() as conn:
        if conn.execute(sa.select(users.c.username).where(
                users.c.username == row["username"])).first():
            raise ValueError(f"user {row['username']!r} already exists")
        conn.execute(users.insert().values(row))
    return Account(row["username"], row["display_name"], names, row["importer_id"], True)


def get_account(engine: sa.Engine, username: str) -> Account | None:
    """One account, or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
    return _account(row) if row else None


def list_accounts(engine: sa.Engine) -> list[Account]:
    """Every account, by username."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.username)).mappings().all()
    return [_account(r) for r in rows]


def set_active(engine: sa.Engine, username: str, active: bool) -> None:
    """Enable or disable an account (disabled users' tokens stop working at once here, and
    within :data:`~tradeguard.api.fresh_principals.PRINCIPAL_MAX_AGE` in other processes)."""
    with engine.begin() as conn:
        done = conn.execute(users.update().where(users.c.username == username)
                            .values(active=active)).rowcount
    RECENT.forget(_ACCOUNT + username)
    if not done:
        raise KeyError(f"no user {username}")


def authenticate(engine: sa.Engine, username: str, password: str) -> Account:
    """The active account with this password; raises :class:`InvalidCredentials`."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
    if row is None or not row["active"] or not verify_password(row["password_hash"], password):
        raise InvalidCredentials("unknown user, wrong password or disabled account")
    return _account(row)


def create_api_key(
    engine: sa.Engine, name: str, roles: Iterable[str], *, importer_id: str | None = None,
    created_by: str,
) -> tuple[str, str]:
    """(key id, full key): the full key is shown once and never stored."""
    names = parse_roles(roles)
    if Role.IMPORTER.value in names and not importer_id:
        raise ValueError("an importer key needs an importer_id")
    key_id, key, digest = new_api_key()
    with engine.begin() as conn:
        conn.execute(api_keys.insert().values(
            key_id=key_id, name=name, secret_sha256=digest, roles=",".join(names),
            importer_id=importer_id, created_at=datetime.now(UTC), created_by=created_by))
    return key_id, key


def revoke_api_key(engine: sa.Engine, key_id: str) -> None:
    """Stop a key from working (at once here, and within
    :data:`~tradeguard.api.fresh_principals.PRINCIPAL_MAX_AGE` in other processes)."""
    with engine.begin() as conn:
        done = conn.execute(api_keys.update().where(api_keys.c.key_id == key_id)
                            .values(revoked_at=datetime.now(UTC))).rowcount
    RECENT.forget(_KEY + key_id)
    if not done:
        raise KeyError(f"no API key {key_id}")


#: The one row a presented key needs, as a statement built once (it is read per request).
_KEY_ROW = sa.select(api_keys.c.secret_sha256, api_keys.c.roles, api_keys.c.importer_id,
                     api_keys.c.revoked_at).where(api_keys.c.key_id == sa.bindparam("key_id"))
#: The one row a bearer token's account needs.
_ACCOUNT_ROW = sa.select(users.c.username, users.c.roles, users.c.importer_id,
                         users.c.active).where(users.c.username == sa.bindparam("username"))
#: How keys and accounts are named among the principals kept (see :mod:`.fresh_principals`).
_KEY, _ACCOUNT = "key:", "user:"


def principal_for_key(engine: sa.Engine, key: str, *,
                      recent: FreshPrincipals = RECENT) -> Principal:
    """The principal of a presented API key, its row read at most
    :data:`~tradeguard.api.fresh_principals.PRINCIPAL_MAX_AGE` seconds ago (a key revoked
    here stops at once); raises :class:`InvalidCredentials` for an unknown, revoked or wrong
    key."""
    import hmac

    key_id, secret = split_api_key(key)
    digest = secret_digest(secret)
    kept = recent.get(engine, _KEY + key_id, digest)
    if kept is not None:
        return kept
    ticket = recent.ticket()
    with engine.connect() as conn:
        row = conn.execute(_KEY_ROW, {"key_id": key_id}).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(
            row.secret_sha256, digest):
        raise InvalidCredentials("unknown or revoked API key")
    principal = Principal(f"key:{key_id}", frozenset(Role(r) for r in row.roles.split(",")),
                          row.importer_id)
    recent.keep(engine, _KEY + key_id, digest, principal, ticket)
    return principal


def principal_for_account(engine: sa.Engine, username: str, *,
                          recent: FreshPrincipals = RECENT) -> Principal:
    """The principal of an account a valid token names, its row read at most
    :data:`~tradeguard.api.fresh_principals.PRINCIPAL_MAX_AGE` seconds ago (an account
    disabled here stops at once); raises :class:`InvalidCredentials` when it is inactive."""
    kept = recent.get(engine, _ACCOUNT + username, "")
    if kept is not None:
        return kept
    ticket = recent.ticket()
    with engine.connect() as conn:
        row = conn.execute(_ACCOUNT_ROW, {"username": username}).first()
    if row is None or not row.active:
        raise InvalidCredentials("account no longer active")
    principal = Principal(row.username, frozenset(Role(r) for r in row.roles.split(",")),
                          row.importer_id)
    recent.keep(engine, _ACCOUNT + username, "", principal, ticket)
    return principal
