"""Request and response bodies of the REST API (pydantic models, shown in the OpenAPI)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
Cell = str | int | float | bool | None


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next_offset`` is null on the last page."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None


def page_of(items: list[T], total: int, limit: int, offset: int) -> dict[str, Any]:
    """The fields of a :class:`Page`."""
    nxt = offset + limit if offset + limit < total else None
    return {"items": items, "total": total, "limit": limit, "offset": offset, "next_offset": nxt}


class TokenOut(BaseModel):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeOut(BaseModel):
    """Who the caller is."""

    subject_id: str
    roles: list[str]
    importer_id: str | None
    permissions: list[str]


class EntryIn(BaseModel):
    """An entry summary in the contract's columns (extra columns are kept)."""

    model_config = ConfigDict(extra="allow")

    entry_number: str = Field(max_length=40, examples=["ABC-1234567-8"])
    entry_type: str = Field(max_length=4, examples=["01"])
    entry_date: str = Field(max_length=10, examples=["2026-09-30"])
    port_of_entry: str = Field(max_length=4, examples=["2704"])
    importer_id: str = Field(max_length=100)
    importer_name: str = Field(max_length=300)
    importer_country: str | None = Field(default=None, max_length=2)
    filer_code: str | None = Field(default=None, max_length=10)
    mode_of_transport: str | None = Field(default=None, max_length=4)
    country_of_export: str | None = Field(default=None, max_length=2)
    port_of_lading: str | None = Field(default=None, max_length=10)
    bill_of_lading: str | None = Field(default=None, max_length=60)
    carrier_code: str | None = Field(default=None, max_length=10)
    trusted_trader: bool | None = None


class LineIn(BaseModel):
    """One entry line in the contract's columns (``entry_number`` may be left out)."""

    model_config = ConfigDict(extra="allow")

    line_number: int = Field(ge=1, le=9999)
    hts_code: str = Field(max_length=14, examples=["6109.10.0012"])
    description: str = Field(max_length=500)
    country_of_origin: str = Field(max_length=2)
    quantity: float
    quantity_unit: str = Field(max_length=8)
    entered_value_usd: float
    gross_weight_kg: float | None = None
    manufacturer_id: str | None = Field(default=None, max_length=20)
    manufacturer_name: str | None = Field(default=None, max_length=300)
    manufacturer_address: str | None = Field(default=None, max_length=500)
    manufacturer_country: str | None = Field(default=None, max_length=2)
    seller_name: str | None = Field(default=None, max_length=300)
    seller_country: str | None = Field(default=None, max_length=2)
    duty_rate: float | None = None
    duty_usd: float | None = None
    chapter99_numbers: str | None = Field(default=None, max_length=200)
    additional_duty_usd: float | None = None
    adcvd_deposit_usd: float | None = None
    adcvd_case_number: str | None = Field(default=None, max_length=20)
    spi: str | None = Field(default=None, max_length=4)
    related_party: bool | None = None


class SupplierIn(BaseModel):
    """A declared upstream supplier (contract ``supply_chain``)."""

    line_number: int | None = Field(default=None, ge=1, le=9999)
    tier: int = Field(ge=1, le=20)
    supplier_name: str = Field(max_length=300)
    supplier_country: str = Field(max_length=2)
    supplier_address: str | None = Field(default=None, max_length=500)
    material: str | None = Field(default=None, max_length=100)
    buyer_name: str | None = Field(default=None, max_length=300)


class ScoreRequest(BaseModel):
    """One entry with its lines (and optionally its declared supply chain) to score now."""

    entry: EntryIn
    lines: list[LineIn] = Field(min_length=1, max_length=999)
    supply_chain: list[SupplierIn] = Field(default_factory=list, max_length=2000)


class ScoreBatchRequest(BaseModel):
    """Several entries to score as a job."""

    entries: list[EntryIn] = Field(min_length=1, max_length=5000)
    lines: list[dict[str, Cell]] = Field(min_length=1, max_length=50_000)


class AssessmentOut(BaseModel):
    """One line's score, lane, reasons, findings and the versions that produced them."""

    model_config = ConfigDict(extra="allow")

    entry_number: str
    line_number: int
    risk_score: float
    lane: str
    selection: str
    categories: list[str]
    reasons: list[str]
    reason_texts: list[str]
    findings: list[dict[str, Any]]
    versions: dict[str, str]
    input_digest: str


class ScoreOut(BaseModel):
    """The assessments of a scored entry."""

    entry_number: str
    assessments: list[AssessmentOut]
    warnings: list[str]


class JobOut(BaseModel):
    """A batch job and its progress."""

    job_id: str
    kind: str
    status: str
    done: int
    total: int
    created_at: str
    finished_at: str | None
    result: Any | None = None
    error: str | None = None


class DecisionIn(BaseModel):
    """An officer's action on a queued line; anything but release needs a rationale."""

    action: str = Field(examples=["hold"], max_length=40)
    rationale: str = Field(default="", max_length=2000)


class DecisionOut(BaseModel):
    """The recorded action and, for an adverse AI-assisted action, the notice issued."""

    action_id: str
    item_id: str
    action: str
    override: bool
    log_seq: int
    notice_id: str | None


class DocumentIn(BaseModel):
    """A document filed with an appeal, fixed by its SHA-256."""

    name: str = Field(max_length=300)
    doc_type: str = Field(max_length=80)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class AppealIn(BaseModel):
    """A challenge to a notice."""

    notice_id: str = Field(max_length=40)
    grounds: str = Field(min_length=1, max_length=5000)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)
    corrections: dict[str, Cell] = Field(default_factory=dict)


class AssignIn(BaseModel):
    """The reviewer to route an appeal to."""

    reviewer: str = Field(max_length=120)


class AppealDecisionIn(BaseModel):
    """A reviewer's decision on an appeal."""

    outcome: str = Field(examples=["overturned"], max_length=20)
    reasons: str = Field(min_length=1, max_length=5000)


class ReceiptIn(BaseModel):
    """A receipt as printed on a notice."""

    leaf_index: int = Field(ge=0)
    leaf_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    tree_size: int = Field(ge=1)
    checkpoint: str = Field(max_length=5000)
    inclusion_proof: list[str] = Field(max_length=64)
    verifier_key: str | None = Field(default=None, max_length=500)


class NameIn(BaseModel):
    """A party name to screen."""

    id: str = Field(max_length=100)
    name: str = Field(min_length=1, max_length=300)
    country: str | None = Field(default=None, max_length=2)
    address: str | None = Field(default=None, max_length=500)


class ScreenRequest(BaseModel):
    """Names to screen against the watch lists."""

    names: list[NameIn] = Field(min_length=1, max_length=1000)


class PackagesRequest(BaseModel):
    """Small packages to score (contract ``packages`` columns)."""

    packages: list[dict[str, Cell]] = Field(min_length=1, max_length=10_000)


class UserIn(BaseModel):
    """A new user account."""

    username: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    roles: list[str] = Field(min_length=1, max_length=7)
    importer_id: str | None = Field(default=None, max_length=100)
    display_name: str | None = Field(default=None, max_length=200)


class UserOut(BaseModel):
    """A user account (never the password hash)."""

    username: str
    display_name: str
    roles: list[str]
    importer_id: str | None
    active: bool


class TrainingIn(BaseModel):
    """A completed training course."""

    subject_id: str = Field(max_length=120)
    completed_on: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    expires_on: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    course: str = Field(default="ai-assisted-targeting", max_length=120)


class ApiKeyIn(BaseModel):
    """A new API key for a system."""

    name: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1, max_length=7)
    importer_id: str | None = Field(default=None, max_length=100)


class ApiKeyOut(BaseModel):
    """A new key: shown once."""

    key_id: str
    api_key: str
