"""High-impact determination and the AI impact assessment, with a signed risk acceptance.

M-25-21 requires a written determination against each impact category and a seven-part impact
assessment before a high-impact use may be deployed. The assessment is data with required
fields, so an empty field blocks approval mechanically; the accepting official's risk
acceptance is signed (Ed25519 key, or HMAC keyed from the installation secret) over the
canonical JSON of the assessment, so any later edit breaks the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Impact categories a targeting use is tested against (M-25-21 section 6 presumptions).
IMPACT_CATEGORIES: tuple[str, ...] = (
    "law_enforcement_action",
    "access_to_government_services",
    "economic_or_property_rights",
    "civil_rights_or_liberties",
    "privacy",
    "safety",
)

# The seven sub-elements of the impact assessment, in the order the guidance lists them.
ASSESSMENT_FIELDS: tuple[str, ...] = (
    "purpose_and_benefit",
    "data_quality",
    "impacts_and_mitigations",
    "reassessment_schedule",
    "costs",
    "independent_review",
    "risk_acceptance",
)


def canonical(value: Any) -> bytes:
    """Sorted keys, no whitespace: the bytes a signature or content hash is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def content_hash(value: Any) -> str:
    """SHA-256 hex of :func:`canonical`."""
    return hashlib.sha256(canonical(value)).hexdigest()


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HighImpactDetermination(_Record):
    """Whether a use is high-impact, tested category by category, with the reason in words."""

    categories: dict[str, bool]
    high_impact: bool
    justification: str
    determined_by: str
    determined_on: date

    def problems(self) -> list[str]:
        """Why the determination is incomplete (empty when it is complete)."""
        out = [f"category {c!r} not assessed" for c in IMPACT_CATEGORIES
               if c not in self.categories]
        if not self.justification.strip():
            out.append("justification is empty")
        if any(self.categories.values()) and not self.high_impact:
            out.append("a presumed category applies but the use is declined as high-impact; "
                       "the justification must say why (recorded, not blocking)")
        return out


class Signature(_Record):
    """A signature over a payload hash by a named official."""

    method: Literal["ed25519", "hmac-sha256"]
    signer: str
    payload_hash: str
    value: str
    public_key: str | None = None


class RiskSigner:
    """Signs risk acceptances: Ed25519 from a PEM key, else HMAC keyed from the secret."""

    def __init__(self, secret: str | None = None, pem_path: Path | None = None) -> None:
        if secret is None and pem_path is None:
            raise ValueError("a signer needs a secret or an Ed25519 PEM key")
        self._secret = secret
        self._pem = pem_path

    @classmethod
    def from_settings(cls, settings: Any, pem_path: Path | None = None) -> RiskSigner:
        """The installation's signer (HMAC from ``secret_key`` unless a PEM is given)."""
        return cls(secret=settings.secret_key.get_secret_value(), pem_path=pem_path)

    def _hmac_key(self, signer: str) -> bytes:
        assert self._secret is not None
        return hmac.new(self._secret.encode(), b"risk-acceptance|" + signer.encode(),
                        hashlib.sha256).digest()

    def sign(self, signer: str, payload: Any) -> Signature:
        """Sign ``payload`` (any JSON value) as ``signer``."""
        digest = content_hash(payload)
        if self._pem is not None:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            key = serialization.load_pem_private_key(self._pem.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{self._pem}: not an Ed25519 private key")
            raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
            sig = key.sign(bytes.fromhex(digest))
            return Signature(method="ed25519", signer=signer, payload_hash=digest,
                             value=base64.b64encode(sig).decode(),
                             public_key=base64.b64encode(raw).decode())
        value = hmac.new(self._hmac_key(signer), bytes.fromhex(digest), hashlib.sha256)
        return Signature(method="hmac-sha256", signer=signer, payload_hash=digest,
                         value=value.hexdigest())

    def verify(self, signature: Signature, payload: Any) -> bool:
        """True when ``signature`` is valid for ``payload``."""
        digest = content_hash(payload)
        if not hmac.compare_digest(digest, signature.payload_hash):
            return False
        if signature.method == "ed25519":
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

            if signature.public_key is None:
                return False
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(signature.public_key))
            try:
                key.verify(base64.b64decode(signature.value), bytes.fromhex(digest))
            except InvalidSignature:
                return False
            return True
        if self._secret is None:
            return False
        want = hmac.new(self._hmac_key(signature.signer), bytes.fromhex(digest), hashlib.sha256)
        return hmac.compare_digest(want.hexdigest(), signature.value)


class RiskAcceptance(_Record):
    """The accepting official's statement that the residual risk is accepted, signed."""

    statement: str
    accepted_by: str
    accepted_on: date
    signature: Signature | None = None


class ImpactAssessment(_Record):
    """The seven-part AI impact assessment; approval is refused while any part is empty."""

    purpose_and_benefit: str = ""
    data_quality: str = ""
    impacts_and_mitigations: str = ""
    reassessment_schedule: str = ""
    costs: str = ""
    independent_review: str = ""
    risk_acceptance: RiskAcceptance | None = None
    next_reassessment: date | None = Field(default=None)

    def body(self) -> dict[str, Any]:
        """What the risk acceptance signs: every field but the signature itself."""
        data = self.model_dump(mode="json")
        if data.get("risk_acceptance"):
            data["risk_acceptance"].pop("signature", None)
        return data

    def missing_fields(self) -> list[str]:
        """Names of the empty fields (the signature counts as part of risk acceptance)."""
        out = [f for f in ASSESSMENT_FIELDS[:-1] if not str(getattr(self, f)).strip()]
        ra = self.risk_acceptance
        if ra is None or not ra.statement.strip() or not ra.accepted_by.strip():
            out.append("risk_acceptance")
        elif ra.signature is None:
            out.append("risk_acceptance.signature")
        if self.next_reassessment is None:
            out.append("next_reassessment")
        return out

    def signed(self, signer: RiskSigner) -> ImpactAssessment:
        """A copy with the risk acceptance signed by its accepting official."""
        if self.risk_acceptance is None:
            raise ValueError("risk_acceptance is empty: nothing to sign")
        sig = signer.sign(self.risk_acceptance.accepted_by, self.body())
        ra = self.risk_acceptance.model_copy(update={"signature": sig})
        return self.model_copy(update={"risk_acceptance": ra})

    def signature_valid(self, signer: RiskSigner) -> bool:
        """True when the risk acceptance carries a valid signature over this assessment."""
        ra = self.risk_acceptance
        return bool(ra and ra.signature and ra.signature.signer == ra.accepted_by
                    and signer.verify(ra.signature, self.body()))
