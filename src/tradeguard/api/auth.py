"""Credentials: argon2 password hashes, signed bearer tokens, API keys for systems.

Bearer tokens are HMAC-SHA256 signed with ``Settings.secret_key`` (the compact
``payload.signature`` form, both parts base64url): they name the user and expire; roles are
re-read from the account on every request, so disabling a user or changing their roles takes
effect at once. API keys (``tgk_<id>_<secret>``) identify a system; only the SHA-256 of the
secret is stored, which is enough for a random 32-byte secret and costs microseconds per call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

API_KEY_PREFIX = "tgk_"


class InvalidCredentials(ValueError):
    """A token, key or password that does not check out (the reason is not shown to callers)."""


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    if len(password) < 8:
        raise ValueError("passwords need at least 8 characters")
    return str(_hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored hash."""
    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class TokenSigner:
    """Issues and checks bearer tokens under one secret."""

    secret: bytes
    ttl_seconds: int = 8 * 3600

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, subject: str, now: float | None = None) -> str:
        """A token for ``subject`` valid for :attr:`ttl_seconds`."""
        issued = int(now if now is not None else time.time())
        body = {"sub": subject, "iat": issued, "exp": issued + self.ttl_seconds,
                "jti": secrets.token_hex(8)}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def subject(self, token: str, now: float | None = None) -> str:
        """The subject of a valid, unexpired token; raises :class:`InvalidCredentials`."""
        payload, _, mac = token.partition(".")
        if not payload or not mac or not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidCredentials("bad token signature")
        try:
            body = json.loads(_unb64(payload))
            subject, expires = str(body["sub"]), int(body["exp"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCredentials("malformed token") from exc
        if expires < (now if now is not None else time.time()):
            raise InvalidCredentials("token expired")
        return subject

    def form_token(self, session_token: str) -> str:
        """The anti-forgery value web forms must echo (bound to the session token)."""
        return self._mac("form:" + session_token)


def new_api_key() -> tuple[str, str, str]:
    """(key id, full key to hand out once, SHA-256 of the secret to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, f"{API_KEY_PREFIX}{key_id}_{secret}", secret_digest(secret)


def secret_digest(secret: str) -> str:
    """What is stored for an API key secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_api_key(key: str) -> tuple[str, str]:
    """(key id, secret) of a presented key; raises :class:`InvalidCredentials`."""
    if not key.startswith(API_KEY_PREFIX):
        raise InvalidCredentials("not an API key")
    key_id, sep, secret = key[len(API_KEY_PREFIX):].partition("_")
    if not sep or not key_id or not secret:
        raise InvalidCredentials("malformed API key")
    return key_id, secret
