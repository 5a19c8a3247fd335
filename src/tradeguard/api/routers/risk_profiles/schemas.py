"""Request and response bodies of the risk-profiles API (documented in the OpenAPI schema)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tradeguard.api.routers.risk_profiles.proposals import FILE_PATTERN, Proposal

#: A publication id as the ledger hands them out.
PUBLICATION_ID = r"^P-[0-9]{4,9}$"


class TreatmentOut(BaseModel):
    """What a hit does and the reason given for it."""

    lane: str | None
    weight: float | None
    effect: str
    category: str | None
    severity: str
    reason_code: str
    reason: str


class HitsOut(BaseModel):
    """Stored lines a profile hits; among those examined, how many had a discrepancy."""

    lines_hit: int
    examined: int
    discrepancies: int
    hit_rate: float | None
    ci_low: float | None = Field(description="Wilson 95% interval, lower bound")
    ci_high: float | None = Field(description="Wilson 95% interval, upper bound")


class ProfileOut(BaseModel):
    """One profile of the published set."""

    id: str
    title: str
    owner: str
    rationale: str
    treatment: TreatmentOut
    valid_from: str | None
    valid_to: str | None
    review_date: str | None
    status: str = Field(description="active | review_due | pending | expired | lapsed")
    status_text: str
    fires: bool
    version: str
    file: str
    line: int
    hits: HitsOut | None


class ChangeOut(BaseModel):
    """A change-log record: ``version_before`` null = created, ``version_after`` null =
    removed; ``approved_by`` null = recorded on the author's word alone (shipped history,
    ``tradeguard rules record``)."""

    profile_id: str
    version_before: str | None
    version_after: str | None
    author: str
    at: str
    reason: str
    approved_by: str | None = None


class BackTestRow(HitsOut):
    """Back-test of one profile."""

    profile_id: str


class BackTestOut(BaseModel):
    """Back-test of a proposed set over the stored lines."""

    version: str
    lines: int
    outcomes: int
    profiles: list[BackTestRow]


class PublicationCheckOut(BaseModel):
    """The publication ledger compared with the decision log's publication records."""

    agree: bool = Field(description="ledger and log say the same thing")
    publications: int = Field(description="publications in the ledger")
    log_records: int = Field(description="publication records on the decision log")
    differences: list[str] = Field(description="every difference, in ledger order")


class PublicationOut(BaseModel):
    """A proposed version of the set: who proposed it and why, what it changes, its back-test,
    and who decided on it."""

    id: str
    version: str
    previous_version: str
    state: str = Field(description="pending | approved | rejected | superseded")
    proposed_by: str
    proposed_at: str
    rationale: str
    file_names: list[str]
    added: list[str]
    edited: list[str]
    removed: list[str]
    diff: str = Field(description="unified diff against the set published when proposed")
    back_test: BackTestOut | None
    decided_by: str | None
    decided_at: str | None
    decision_reason: str
    superseded_by: str | None
    recorded: list[ChangeOut] = Field(description="change-log records added on approval")
    proposed_log_seq: int | None = Field(
        None, description="decision-log record of the proposal (profiles.proposed)")
    decided_log_seq: int | None = Field(
        None, description="decision-log record of the approval or rejection")
    proposed_proof: str | None = Field(
        None, description="where the receipt of the proposal's log record is served")
    decided_proof: str | None = Field(
        None, description="where the receipt of the decision's log record is served")


class PublicationDetailOut(PublicationOut):
    """A publication with the full text of every file of the proposed set."""

    files: dict[str, str]


class RiskProfilesOut(BaseModel):
    """The published set, its history, the versions awaiting approval and the version this
    process scores with."""

    version: str
    published: bool = Field(description="false: the shipped example set, never published")
    folder: str
    scoring_version: str | None
    as_of: str
    profiles: list[ProfileOut]
    files: dict[str, str]
    change_log: list[ChangeOut]
    change_issues: list[str]
    outcomes: int
    pending: list[PublicationOut]
    decided: list[PublicationOut] = Field(description="latest decisions, newest first")


class ProposalIn(BaseModel):
    """New text for one profile file (``replace_set``: the text is the whole set)."""

    file: str = Field(pattern=FILE_PATTERN, max_length=70, examples=["textiles.yaml"])
    yaml: str = Field(max_length=200_000)
    replace_set: bool = False

    def proposal(self) -> Proposal:
        """As the library's value object."""
        return Proposal(self.file, self.yaml, self.replace_set)


class PublishIn(ProposalIn):
    """A proposal to publish, with why."""

    rationale: str = Field(min_length=1, max_length=2000)


class ApproveIn(BaseModel):
    """An approval, with an optional note."""

    note: str = Field(default="", max_length=2000)


class RejectIn(BaseModel):
    """A rejection, with why (the proposer reads it)."""

    reason: str = Field(min_length=1, max_length=2000)


class ProblemLine(BaseModel):
    """One loader problem, located to its file and line."""

    file: str
    line: int
    message: str


class CheckOut(BaseModel):
    """Whether the proposed set loads, and which profiles it adds, edits or removes."""

    ok: bool
    problems: list[ProblemLine]
    version: str | None
    added: list[str]
    edited: list[str]
    removed: list[str]

