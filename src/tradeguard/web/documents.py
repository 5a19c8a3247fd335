"""Supply-chain and UFLPA documents uploaded by an importer: checked, fingerprinted, kept.

A document is accepted only when its name ends in an allowed extension AND its first bytes
match that format, and it is under :data:`MAX_DOCUMENT_BYTES`. The bytes are kept under the
work directory by their SHA-256 (the name the importer gave is never used as a path) and are
never served back or rendered: the record of an appeal carries the name, type and hash only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePath

from tradeguard.api.problems import ApiProblem

MAX_DOCUMENT_BYTES = 10_000_000

#: extension -> the leading bytes a file of that format starts with (None: plain text).
SIGNATURES: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".tif": (b"II*\x00", b"MM\x00*"), ".tiff": (b"II*\x00", b"MM\x00*"),
    ".xlsx": (b"PK\x03\x04",), ".docx": (b"PK\x03\x04",),
    ".csv": None, ".txt": None,
}
DOCUMENT_TYPES = {
    "supply_chain_tracing": "Supply-chain tracing (raw material to finished good)",
    "certificate_of_origin": "Certificate of origin",
    "commercial_invoice": "Commercial invoice",
    "production_record": "Production or purchase record",
    "other": "Other supporting document",
}


@dataclass(frozen=True)
class CheckedDocument:
    """An accepted upload: the importer's name for it, its type and its fingerprint."""

    name: str
    doc_type: str
    sha256: str
    size: int


def check_document(filename: str, doc_type: str, data: bytes) -> CheckedDocument:
    """Accept the upload or say exactly why not (name, size, type, content)."""
    name = PurePath(filename.replace("\\", "/")).name.strip()
    if not name:
        raise ApiProblem(422, "document: the file has no name")
    if doc_type not in DOCUMENT_TYPES:
        raise ApiProblem(422, f"document {name!r}: type must be one of "
                              f"{', '.join(DOCUMENT_TYPES)}")
    if not data:
        raise ApiProblem(422, f"document {name!r}: the file is empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ApiProblem(413, f"document {name!r}: {len(data):,} bytes is over the "
                              f"{MAX_DOCUMENT_BYTES:,}-byte limit")
    suffix = PurePath(name).suffix.lower()
    if suffix not in SIGNATURES:
        raise ApiProblem(422, f"document {name!r}: {suffix or 'no extension'} is not accepted "
                              f"(use {', '.join(sorted(SIGNATURES))})")
    magic = SIGNATURES[suffix]
    if magic is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiProblem(422, f"document {name!r}: not UTF-8 text") from exc
        if b"\x00" in data:
            raise ApiProblem(422, f"document {name!r}: not plain text")
    elif not data.startswith(magic):
        raise ApiProblem(422, f"document {name!r}: its content is not a {suffix} file")
    return CheckedDocument(name, doc_type, hashlib.sha256(data).hexdigest(), len(data))


def keep_document(root: Path, importer_id: str, doc: CheckedDocument, data: bytes) -> Path:
    """Write the bytes once under ``root/<importer>/<sha256>.bin`` (content-addressed)."""
    safe_importer = hashlib.sha256(importer_id.encode("utf-8")).hexdigest()[:16]
    folder = root / safe_importer
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{doc.sha256}.bin"
    if not target.exists():
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    return target
