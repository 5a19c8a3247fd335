"""Confidential fields at rest: round trip, and key rotation."""

from __future__ import annotations

import polars as pl
import pytest
from pydantic import SecretStr

from tradeguard.security import DataKeyError, FieldCipher, generate_data_key
from tradeguard.settings import Settings


def test_round_trip_and_ciphertext_hides_the_value() -> None:
    cipher = FieldCipher([generate_data_key()])
    token = cipher.encrypt("12 Industrial Rd, Shenzhen")
    assert "Shenzhen" not in token
    assert cipher.decrypt(token) == "12 Industrial Rd, Shenzhen"
    with pytest.raises(DataKeyError):
        FieldCipher([generate_data_key()]).decrypt(token)


def test_rotation_keeps_old_tokens_readable_then_moves_them_to_the_new_key() -> None:
    old_key, new_key = generate_data_key(), generate_data_key()
    old = FieldCipher([old_key])
    tokens = pl.Series("address", ["addr one", None, "addr two"])
    stored = old.encrypt_column(tokens)
    rotated_cipher = FieldCipher([new_key, old_key])  # new key first, old still listed
    assert rotated_cipher.decrypt_column(stored).to_list() == ["addr one", None, "addr two"]
    assert not any(rotated_cipher.is_current(t) for t in stored.drop_nulls())
    rotated = rotated_cipher.rotate_column(stored)
    assert all(rotated_cipher.is_current(t) for t in rotated.drop_nulls())
    # once rotated, the old key can be retired
    new_only = FieldCipher([new_key])
    assert new_only.decrypt_column(rotated).to_list() == ["addr one", None, "addr two"]
    with pytest.raises(DataKeyError):
        new_only.decrypt(stored[0])


def test_keys_come_from_settings() -> None:
    k1, k2 = generate_data_key(), generate_data_key()
    cipher = FieldCipher.from_settings(Settings(data_key=SecretStr(f"{k1}, {k2}")))
    assert FieldCipher([k2]).decrypt(FieldCipher([k2]).encrypt("x")) == "x"
    assert cipher.decrypt(FieldCipher([k2]).encrypt("from old key")) == "from old key"
    assert FieldCipher([k1]).decrypt(cipher.encrypt("under current")) == "under current"
    dev = FieldCipher.from_settings(Settings(environment="development", data_key=None))
    again = FieldCipher.from_settings(Settings(environment="development", data_key=None))
    assert again.decrypt(dev.encrypt("stable")) == "stable"
    with pytest.raises(DataKeyError, match="must be set"):
        FieldCipher.from_settings(Settings(environment="production", data_key=None))
    with pytest.raises(DataKeyError, match="not a valid"):
        FieldCipher.from_settings(Settings(data_key=SecretStr("not-a-key")))
