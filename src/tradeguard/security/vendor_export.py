"""The vendor egress gateway: what may leave, in what form, recorded in the decision log.

Data minimisation by default: only fields on the vendor policy's allow-list leave, everything
else is dropped. Identifiers leave only as keyed pseudonyms, HMAC-SHA256(vendor key, domain ||
value) truncated, with a key per vendor and project so two vendors cannot join their extracts
and reversal needs the agency's own lookup. Values are generalised to decade buckets and dates
to ISO weeks. A few synthetic canary entities are planted per vendor, so a leak or training on
agency data can be traced to the vendor it went to. Every export appends an ``egress.sent``
record (payload hash, fields, vendor, purpose, contract clause) to the transparency log before
the payload is released; any policy failure, or a failure to log, releases nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tradeguard.decisions.events import EgressSent
from tradeguard.decisions.transparency_log import Receipt, TransparencyLog

PSEUDONYM_HEX_CHARS = 20  # 80 bits: collisions negligible at customs volumes

# Identifiers of parties and shipments: may leave only as pseudonyms.
IDENTIFIER_FIELDS: frozenset[str] = frozenset(
    {
        "entry_number",
        "importer_id",
        "importer_name",
        "filer_code",
        "manufacturer_id",
        "manufacturer_name",
        "seller_name",
        "seller_id",
        "bill_of_lading",
        "package_id",
        "shipper_name",
        "consignee_name",
        "supplier_name",
        "buyer_name",
        "carrier_code",
    }
)
# Free text and addresses: never leave (names of persons, addresses, invoice prose).
FREE_TEXT_FIELDS: frozenset[str] = frozenset(
    {"description", "manufacturer_address", "consignee_address", "supplier_address"}
)


class EgressRefused(PermissionError):
    """The export broke the vendor policy; nothing was released."""


@dataclass(frozen=True, slots=True)
class VendorPolicy:
    """What one vendor may receive for one purpose under one contract clause."""

    vendor: str
    purpose: str
    contract_clause: str
    allowed_fields: frozenset[str]
    pseudonymise: Mapping[str, str] = field(default_factory=dict)  # field -> identifier domain
    value_buckets: frozenset[str] = frozenset()  # numeric -> decade bucket
    week_dates: frozenset[str] = frozenset()  # date -> ISO week
    canaries: int = 3
    no_training_clause: bool = True


@dataclass(frozen=True, slots=True)
class VendorExport:
    """What was released: the exact bytes, their hash, and the ledger receipt."""

    frame: pl.DataFrame
    payload: bytes  # CSV, exactly what is hashed and sent
    payload_hash: str
    fields: tuple[str, ...]
    canary_ids: frozenset[str]  # pseudonyms of the planted entities, kept by the agency
    receipt: Receipt


def derive_vendor_key(master_secret: str, vendor: str, project: str) -> bytes:
    """A pseudonym key per vendor and project (HKDF), so extracts cannot be linked."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"tradeguard vendor pseudonyms",
        info=f"v1|{vendor}|{project}".encode(),
    ).derive(master_secret.encode())


def pseudonym(vendor_key: bytes, domain: str, value: str) -> str:
    """HMAC-SHA256(vendor_key, domain || 0x1F || value), hex, truncated."""
    mac = hmac.new(vendor_key, domain.encode() + b"\x1f" + value.encode(), hashlib.sha256)
    return mac.hexdigest()[:PSEUDONYM_HEX_CHARS]


def canary_ids(vendor_key: bytes, policy: VendorPolicy, domain: str) -> list[str]:
    """The pseudonyms of this vendor's canary entities in ``domain``."""
    return [
        pseudonym(vendor_key, domain, f"canary|{policy.vendor}|{i}") for i in range(policy.canaries)
    ]


def check_policy(policy: VendorPolicy, requested: Sequence[str], columns: Sequence[str]) -> None:
    """Raise :class:`EgressRefused` unless the request fits the policy exactly."""
    problems: list[str] = []
    if not policy.no_training_clause:
        problems.append("contract has no no-training clause")
    if not policy.contract_clause.strip() or not policy.purpose.strip():
        problems.append("purpose and contract clause are required")
    if not requested:
        problems.append("no fields requested")
    outside = sorted(set(requested) - policy.allowed_fields)
    if outside:
        problems.append(f"fields not on the allow-list: {', '.join(outside)}")
    free_text = sorted(set(requested) & FREE_TEXT_FIELDS)
    if free_text:
        problems.append(f"free-text fields never leave: {', '.join(free_text)}")
    clear_ids = sorted((set(requested) & IDENTIFIER_FIELDS) - set(policy.pseudonymise))
    if clear_ids:
        problems.append(f"identifiers would leave unpseudonymised: {', '.join(clear_ids)}")
    missing = sorted(set(requested) - set(columns))
    if missing:
        problems.append(f"fields not in the data: {', '.join(missing)}")
    if policy.canaries and not set(requested) & set(policy.pseudonymise):
        problems.append("canaries need at least one pseudonymised identifier field")
    if len(set(requested)) != len(requested):
        problems.append("a field is requested twice")
    if problems:
        raise EgressRefused(f"export to {policy.vendor} refused: " + "; ".join(problems))


def _treat(frame: pl.DataFrame, policy: VendorPolicy, vendor_key: bytes) -> pl.DataFrame:
    exprs: list[pl.Expr] = []
    for name in frame.columns:
        col = pl.col(name)
        if name in policy.pseudonymise:
            domain = policy.pseudonymise[name]
            values = frame.get_column(name).cast(pl.String).drop_nulls().unique().to_list()
            mapping = {v: pseudonym(vendor_key, domain, v) for v in values}
            exprs.append(
                col.cast(pl.String).replace_strict(mapping, default=None, return_dtype=pl.String)
            )
        elif name in policy.value_buckets:
            lower = pl.lit(10.0).pow(col.cast(pl.Float64).log10().floor())
            exprs.append(
                pl.when(col.cast(pl.Float64) >= 1)
                .then(
                    lower.cast(pl.Int64).cast(pl.String)
                    + "-"
                    + (lower * 10).cast(pl.Int64).cast(pl.String)
                )
                .when(col.is_not_null())
                .then(pl.lit("0-1"))
                .alias(name)
            )
        elif name in policy.week_dates:
            as_date = (
                col.str.to_date("%Y-%m-%d")
                if frame.schema[name] == pl.String
                else col.cast(pl.Date)
            )
            exprs.append(as_date.dt.strftime("%G-W%V").alias(name))
        else:
            exprs.append(col)
    return frame.select(exprs)


def _plant_canaries(
    frame: pl.DataFrame, policy: VendorPolicy, vendor_key: bytes
) -> tuple[pl.DataFrame, frozenset[str]]:
    if policy.canaries == 0 or frame.height == 0:
        return frame, frozenset()
    ids = [f for f in frame.columns if f in policy.pseudonymise]
    # Canary rows copy the treated, non-identifying values of real rows chosen by the key,
    # so they look like ordinary records; only their identifiers are synthetic.
    picks = [
        int.from_bytes(
            hmac.new(vendor_key, f"canary-row|{i}".encode(), hashlib.sha256).digest()[:8]
        )
        % frame.height
        for i in range(policy.canaries)
    ]
    canaries = frame[picks].with_columns(
        pl.Series(name, canary_ids(vendor_key, policy, policy.pseudonymise[name]), dtype=pl.String)
        for name in ids
    )
    planted = frozenset(canary_ids(vendor_key, policy, policy.pseudonymise[ids[0]]))
    mixed = pl.concat([frame, canaries]).sort(ids, nulls_last=True, maintain_order=True)
    return mixed, planted


def export_for_vendor(
    frame: pl.DataFrame,
    requested: Sequence[str],
    policy: VendorPolicy,
    vendor_key: bytes,
    ledger: TransparencyLog,
) -> VendorExport:
    """Build, ledger and release one vendor extract — or raise :class:`EgressRefused`."""
    check_policy(policy, requested, frame.columns)
    treated = _treat(frame.select(list(requested)), policy, vendor_key)
    released, planted = _plant_canaries(treated, policy, vendor_key)
    if set(released.columns) - policy.allowed_fields:  # defence in depth: never widen
        raise EgressRefused("treated extract has columns outside the allow-list")
    payload = released.write_csv().encode("utf-8")
    payload_hash = hashlib.sha256(payload).hexdigest()
    event = EgressSent(
        vendor=policy.vendor,
        purpose=policy.purpose,
        contract_clause=policy.contract_clause,
        payload_hash=payload_hash,
        fields=tuple(released.columns),
        row_count=released.height,
        canary_count=len(planted),
    )
    receipt = ledger.append(event)  # raises -> nothing is released
    return VendorExport(released, payload, payload_hash, tuple(released.columns), planted, receipt)
