"""Encryption at rest for confidential fields, with keys that can be rotated.

Confidential business information (manufacturer addresses, officer rationale, commitment
openings) is stored as Fernet tokens. ``Settings.data_key`` holds one or more comma-separated
keys, newest first: new data is encrypted under the first, every listed key still decrypts, and
:meth:`FieldCipher.rotate` re-encrypts old tokens under the newest key so a retired key can then
be dropped from the list. Development without a configured key derives one from the secret so
a pilot works out of the box; production refuses to run without an explicit key.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import polars as pl
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tradeguard.settings import Settings


class DataKeyError(ValueError):
    """The data keys are missing or malformed, or a token does not decrypt under any of them."""


def generate_data_key() -> str:
    """A fresh Fernet key (urlsafe base64), for ``TRADEGUARD_DATA_KEY``."""
    return Fernet.generate_key().decode()


class FieldCipher:
    """Encrypts and decrypts field values under a list of keys (first = current)."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise DataKeyError("at least one data key is required")
        fernets: list[Fernet] = []
        for i, key in enumerate(keys):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError) as exc:
                raise DataKeyError(f"data key #{i + 1} is not a valid Fernet key") from exc
        self._current = fernets[0]
        self._all = MultiFernet(fernets)

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCipher:
        """Keys from ``settings.data_key``; a secret-derived key in development and test only."""
        if settings.data_key is not None:
            keys = [k.strip() for k in settings.data_key.get_secret_value().split(",") if k.strip()]
            return cls(keys)
        if settings.environment not in {"development", "test"}:
            raise DataKeyError("TRADEGUARD_DATA_KEY must be set outside development")
        seed = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"tradeguard data key",
            info=b"fernet field key v1",
        ).derive(settings.secret_key.get_secret_value().encode())
        return cls([base64.urlsafe_b64encode(seed)])

    def encrypt(self, value: str) -> str:
        """A token for ``value`` under the current key."""
        return self._current.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The value of a token made under any configured key."""
        try:
            return self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise DataKeyError("token does not decrypt under any configured data key") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the current key (decrypting with whichever key made it)."""
        try:
            return self._all.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise DataKeyError("token does not decrypt under any configured data key") from exc

    def is_current(self, token: str) -> bool:
        """True when the token already decrypts under the current key alone."""
        try:
            self._current.decrypt(token.encode("ascii"))
        except InvalidToken:
            return False
        return True

    # Fernet works value by value; batching at least keeps nulls and dtypes right in one pass.
    def encrypt_column(self, values: pl.Series) -> pl.Series:
        """Encrypt a string column (nulls stay null)."""
        out = [None if v is None else self.encrypt(v) for v in values.cast(pl.String).to_list()]
        return pl.Series(values.name, out, dtype=pl.String)

    def decrypt_column(self, tokens: pl.Series) -> pl.Series:
        """Decrypt a column of tokens (nulls stay null)."""
        out = [None if t is None else self.decrypt(t) for t in tokens.to_list()]
        return pl.Series(tokens.name, out, dtype=pl.String)

    def rotate_column(self, tokens: pl.Series) -> pl.Series:
        """Re-encrypt a column of tokens under the current key."""
        out = [None if t is None else self.rotate(t) for t in tokens.to_list()]
        return pl.Series(tokens.name, out, dtype=pl.String)
