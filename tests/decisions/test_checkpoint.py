"""Checkpoint notes in the C2SP format, and where the signing key comes from."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tradeguard.decisions.checkpoint import (
    CheckpointError,
    LogSigner,
    derive_development_signer,
    open_checkpoint,
    parse_verifier_key,
    signer_from_settings,
)
from tradeguard.settings import Settings


def test_note_has_the_c2sp_layout_and_key_id(signer: LogSigner) -> None:
    root = hashlib.sha256(b"root").digest()
    cp = signer.sign(42, root)
    body, sig_block = cp.note.split("\n\n")
    assert body == f"{signer.name}\n42\n{base64.b64encode(root).decode()}"
    assert sig_block.startswith(f"\u2014 {signer.name} ")
    assert sig_block.endswith("\n")
    raw = signer.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    expected_id = hashlib.sha256(signer.name.encode() + b"\n\x01" + raw).digest()[:4]
    blob = base64.b64decode(sig_block.split(" ")[-1])
    assert blob[:4] == expected_id and len(blob) == 68
    signer.public_key.verify(blob[4:], (body + "\n").encode())
    opened = open_checkpoint(cp.note, signer.verifier_key)
    assert (opened.size, opened.root) == (42, root)


def test_witness_cosignatures_are_ignored_but_edits_are_not(signer: LogSigner) -> None:
    cp = signer.sign(3, bytes(32))
    witness = derive_development_signer("witness", "witness.example")
    cosig = witness.sign(3, bytes(32)).note.split("\n\n")[1]
    assert open_checkpoint(cp.note + cosig, signer.verifier_key).size == 3
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(
            witness.sign(3, bytes(32))
            .note.replace("witness.example", signer.name, 1)
            .split("\n\n")[0]
            + "\n\n"
            + cosig,
            signer.verifier_key,
        )
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(cp.note.replace("\n3\n", "\n4\n", 1), signer.verifier_key)
    with pytest.raises(CheckpointError):
        open_checkpoint(cp.note.split("\n\n")[0], signer.verifier_key)


def test_verifier_key_round_trip_and_tamper(signer: LogSigner) -> None:
    name, key = parse_verifier_key(signer.verifier_key)
    assert name == signer.name
    assert key.public_bytes_raw() == signer.public_key.public_bytes_raw()
    _, id_part, key_part = signer.verifier_key.split("+", 2)
    with pytest.raises(CheckpointError, match="id does not match"):
        parse_verifier_key(f"other.example+{id_part}+{key_part}")


def test_development_key_is_derived_from_the_secret_and_production_needs_a_pem(
    tmp_path: Path,
) -> None:
    dev = Settings(environment="development", secret_key="alpha")
    same = Settings(environment="test", secret_key="alpha")
    other = Settings(environment="development", secret_key="beta")
    assert signer_from_settings(dev).verifier_key == signer_from_settings(same).verifier_key
    assert signer_from_settings(dev).verifier_key != signer_from_settings(other).verifier_key
    prod = Settings(environment="production", secret_key="x" * 40)
    with pytest.raises(CheckpointError, match="PEM"):
        signer_from_settings(prod)
    key = Ed25519PrivateKey.generate()
    pem = tmp_path / "log.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signer_from_settings(prod, key_path=pem)
    assert signer.public_key.public_bytes_raw() == key.public_key().public_bytes_raw()
    with pytest.raises(CheckpointError, match="cannot load"):
        signer_from_settings(prod, key_path=tmp_path / "missing.pem")
