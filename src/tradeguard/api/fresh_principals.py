"""Principals read from the service tables, reused for at most a second.

Reading an API key's or an account's row costs ~110 us per request, more than the rest of
authentication. A principal read is reused for at most :data:`PRINCIPAL_MAX_AGE` seconds (the
freshness the deployment gate gives a change to the model registry): a key revoked or an
account disabled by another process stops working within that time, and one revoked or
disabled in this process (:func:`~tradeguard.api.accounts.revoke_api_key`,
:func:`~tradeguard.api.accounts.set_active`) at once. Only accepted credentials are kept; a
refused one is read again on every try. A key is kept with the digest of its secret, never
the secret, and only a presented secret with the same digest is answered from here.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import sqlalchemy as sa

from tradeguard.kept import Kept
from tradeguard.security import Principal

#: Seconds a principal read from the database is reused before its row is read again.
PRINCIPAL_MAX_AGE = 1.0
#: Principals kept per database at most (all are dropped when full: a flood of distinct
#: valid credentials costs a read each, never memory).
MAX_KEPT = 4096


@dataclass(frozen=True, slots=True)
class ReadTicket:
    """Taken before a row is read: when, and which forgetting had happened by then."""

    at: float
    generation: int


class FreshPrincipals:
    """Principals by database and credential (``key:<id>``, ``user:<name>``), each kept for
    ``max_age`` seconds from just before its row was read."""

    def __init__(self, max_age: float = PRINCIPAL_MAX_AGE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age, self.clock = max_age, clock
        self._kept: WeakKeyDictionary[sa.Engine, Kept[str, tuple[float, str, Principal]]] = \
            WeakKeyDictionary()
        self._lock = threading.Lock()
        self._generation = 0

    def get(self, engine: sa.Engine, credential: str, proof: str) -> Principal | None:
        """The principal kept for ``credential`` if still fresh and ``proof`` matches."""
        kept = self._kept.get(engine)
        found = None if kept is None else kept.get(credential)
        if found is None:
            return None
        at, stored, principal = found
        if self.clock() - at >= self.max_age or not hmac.compare_digest(stored, proof):
            return None
        return principal

    def ticket(self) -> ReadTicket:
        """Take before reading the row whose principal :meth:`keep` may then keep."""
        return ReadTicket(self.clock(), self._generation)

    def keep(self, engine: sa.Engine, credential: str, proof: str, principal: Principal,
             ticket: ReadTicket) -> None:
        """Keep ``principal``, unless something was forgotten since ``ticket`` was taken
        (the row read may predate that revocation)."""
        with self._lock:
            if ticket.generation != self._generation:
                return
            kept = self._kept.get(engine)
            if kept is None:
                kept = self._kept[engine] = Kept(MAX_KEPT)
            kept.keep(credential, (ticket.at, proof, principal))

    def forget(self, credential: str) -> None:
        """Drop ``credential`` for every database (its row changed: read it again)."""
        with self._lock:
            self._generation += 1
            for kept in list(self._kept.values()):
                kept.pop(credential, None)


#: The process's principals (the service's requests and the account changes share it).
RECENT = FreshPrincipals()
