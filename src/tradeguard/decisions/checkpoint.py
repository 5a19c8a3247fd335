"""Signed tree heads as C2SP ``tlog-checkpoint`` notes, and the log's Ed25519 key.

A checkpoint is the text ``<origin>\\n<tree size>\\n<base64 root>\\n`` signed as a C2SP
``signed-note``: the text, a blank line, then ``— <key name> <base64(key id || signature)>``.
Using the public note format means any witness or verifier that speaks it can cosign or check
our heads without tradeguard code. The verifier key is shared as the standard
``<name>+<hex key id>+<base64(0x01 || public key)>`` string.

Key custody: production loads a PEM private key from a configured path; development and test
derive a deterministic key from ``Settings.secret_key`` with HKDF, so no key is ever written in
the source and a laptop pilot still has a stable log identity.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tradeguard.settings import Settings

DEFAULT_ORIGIN = "tradeguard.local/decision-log"
_ALG_ED25519 = b"\x01"
_SIG_PREFIX = "\u2014 "


class CheckpointError(ValueError):
    """A checkpoint note is malformed or its signature does not verify."""


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """C2SP key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + _ALG_ED25519 + raw).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The shareable verifier key string ``name+hexid+base64(0x01||key)``."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    encoded = base64.b64encode(_ALG_ED25519 + raw).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """Split a verifier key string into (name, public key), checking its id."""
    try:
        name, hex_id, encoded = vkey.strip().split("+", 2)
        blob = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise CheckpointError(f"malformed verifier key: {vkey!r}") from exc
    if len(blob) != 33 or blob[:1] != _ALG_ED25519:
        raise CheckpointError("verifier key is not an Ed25519 key")
    public_key = Ed25519PublicKey.from_public_bytes(blob[1:])
    if key_id(name, public_key).hex() != hex_id.lower():
        raise CheckpointError("verifier key id does not match its name and key")
    return name, public_key


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed tree head: the log ``origin`` commits to ``root`` over ``size`` records."""

    origin: str
    size: int
    root: bytes
    note: str  # the full signed note text, as stored and handed out

    @property
    def body(self) -> str:
        """The signed text (without the signature block)."""
        return checkpoint_body(self.origin, self.size, self.root)


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The tlog-checkpoint text for (origin, size, root)."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


@dataclass(frozen=True, slots=True)
class LogSigner:
    """The log's signing identity: key name (= checkpoint origin) and Ed25519 private key."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public half, for verifiers."""
        return self.private_key.public_key()

    @property
    def verifier_key(self) -> str:
        """The shareable verifier key string."""
        return verifier_key(self.name, self.public_key)

    def sign(self, size: int, root: bytes) -> Checkpoint:
        """Sign a tree head as a C2SP checkpoint note."""
        body = checkpoint_body(self.name, size, root)
        signature = self.private_key.sign(body.encode())
        blob = base64.b64encode(key_id(self.name, self.public_key) + signature).decode()
        note = f"{body}\n{_SIG_PREFIX}{self.name} {blob}\n"
        return Checkpoint(self.name, size, root, note)


def open_checkpoint(note: str, vkey: str | tuple[str, Ed25519PublicKey]) -> Checkpoint:
    """Parse a signed checkpoint note and check the signature of the key ``vkey`` names.

    ``vkey`` is the verifier key string, or its parsed (name, key) form when checking many
    notes. Signature lines from other keys (witness cosignatures) are ignored, as the note
    format requires; the note is rejected unless the log's own key signed it.
    """
    name, public_key = parse_verifier_key(vkey) if isinstance(vkey, str) else vkey
    body, sep, signatures = note.rpartition("\n\n")
    if not sep or not body:
        raise CheckpointError("checkpoint note has no signature block")
    body += "\n"
    lines = body.split("\n")[:-1]
    if len(lines) < 3:
        raise CheckpointError("checkpoint note needs origin, size and root lines")
    origin, size_text, root_text = lines[:3]
    if origin != name:
        raise CheckpointError(f"checkpoint origin {origin!r} is not the key's log {name!r}")
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError(f"checkpoint tree size {size_text!r} is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("checkpoint root hash is not base64") from exc
    if len(root) != 32:
        raise CheckpointError("checkpoint root hash is not 32 bytes")
    expected_id = key_id(name, public_key)
    for line in signatures.rstrip("\n").split("\n"):
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError(f"malformed signature line {line!r}")
        signer, _, encoded = line[len(_SIG_PREFIX) :].partition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise CheckpointError("signature is not base64") from exc
        if signer != name or blob[:4] != expected_id:
            continue
        try:
            public_key.verify(blob[4:], body.encode())
        except InvalidSignature as exc:
            raise CheckpointError("checkpoint signature does not verify") from exc
        return Checkpoint(origin, int(size_text), root, note)
    raise CheckpointError(f"checkpoint is not signed by {name}")


def derive_development_signer(secret_key: str, origin: str = DEFAULT_ORIGIN) -> LogSigner:
    """A deterministic key from the settings secret (HKDF-SHA256); development and test only."""
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"tradeguard decision log",
        info=f"ed25519 signing key v1|{origin}".encode(),
    ).derive(secret_key.encode())
    return LogSigner(origin, Ed25519PrivateKey.from_private_bytes(seed))


def load_pem_signer(path: Path, origin: str = DEFAULT_ORIGIN) -> LogSigner:
    """Load an unencrypted PKCS#8 PEM Ed25519 private key (production)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: cannot load the log signing key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path}: the log signing key must be Ed25519")
    return LogSigner(origin, key)


def signer_from_settings(
    settings: Settings, key_path: Path | None = None, origin: str = DEFAULT_ORIGIN
) -> LogSigner:
    """The log signer for these settings: the PEM at ``key_path`` (or ``settings.log_key_path``
    when that setting exists), else a key derived from the secret — refused in production."""
    path = key_path or getattr(settings, "log_key_path", None)
    if path is not None:
        return load_pem_signer(Path(path), origin)
    if settings.environment not in {"development", "test"}:
        raise CheckpointError(
            "a PEM signing key path is required outside development (log_key_path)"
        )
    return derive_development_signer(settings.secret_key.get_secret_value(), origin)
