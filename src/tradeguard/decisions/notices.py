"""The notice to the importer when an AI-assisted decision goes against its shipment.

Modelled on the CBP notice of detention (19 U.S.C. 1499(c)): what was done and when, that an
automated system contributed and how, the top reasons in plain words (at most four, filtered
for enforcement sensitivity), the data used and how to correct it, what documents would speed
release, the timeline, how to contest it and before whom, and a case ID with receipts the
importer can check offline against the signed log. Detailed scores and features are never in
the notice: the full explanation is committed to the log and revealed only on demand.

A notice missing any of those eight points is refused (:class:`NoticeIncomplete`). The
content is fixed by its SHA-256, logged as ``notice.sent``, and rendered as JSON, HTML or PDF
from the same content.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import Any

from tradeguard.decisions.events import NoticeSent, canonical_json
from tradeguard.decisions.review import (
    ADVERSE_ACTIONS,
    ReviewAction,
    Workflow,
    record_action,
)
from tradeguard.decisions.transparency_log import Receipt, verify_receipt
from tradeguard.decisions.workflow_records import ActionRecord, NoticeRecord, ReviewItem
from tradeguard.security import Permission, Principal, Resource
from tradeguard.security.tenancy import tenant_of

MAX_REASONS = 4
NOTICE_POINTS = (
    "action", "ai_role", "reasons", "data_sources", "release_documents", "timeline", "contest",
    "receipt",
)


class NoticeIncomplete(ValueError):
    """A notice lacks one or more of the eight required points; nothing was issued."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("notice incomplete: " + "; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class SensitivityPolicy:
    """Reason codes withheld from importers (investigative techniques, targeting rules)."""

    withheld_prefixes: tuple[str, ...] = ("NET_",)
    withheld_codes: frozenset[str] = frozenset()
    #: Categories whose data sources and documents would reveal a withheld technique.
    withheld_categories: frozenset[str] = frozenset({"network"})

    def withholds(self, code: str) -> bool:
        """True when ``code`` must not be shown to the importer."""
        return code in self.withheld_codes or code.startswith(self.withheld_prefixes)


@cache
def notice_text() -> Mapping[str, Any]:
    """The reviewed wording of notices (``templates/notice_text.yaml``), read on first use."""
    import yaml

    path = resources.files("tradeguard.decisions") / "templates" / "notice_text.yaml"
    loaded: Mapping[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of the notice's canonical JSON: what the log fixes."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def plain_reasons(
    item: ReviewItem, policy: SensitivityPolicy
) -> tuple[list[dict[str, str]], bool]:
    """At most four disclosable reasons (code and text), and whether any were withheld."""
    texts = list(item.reason_texts) + [""] * max(0, len(item.reasons) - len(item.reason_texts))
    shown: list[dict[str, str]] = []
    withheld = False
    for code, text in zip(item.reasons, texts, strict=False):
        if policy.withholds(code):
            withheld = True
        elif len(shown) < MAX_REASONS:
            shown.append({"code": code, "text": text or code.replace("_", " ").lower()})
    if not shown and item.selection.startswith("random"):
        text = "Selected at random for compliance measurement, not because of risk."
        shown.append({"code": "RANDOM_SAMPLE", "text": text})
    return shown, withheld


def build_notice(
    wf: Workflow,
    item: ReviewItem,
    action: ActionRecord,
    *,
    policy: SensitivityPolicy | None = None,
    notice_id: str | None = None,
    case_id: str | None = None,
) -> dict[str, Any]:
    """The notice content (a JSON-ready dict) for an adverse action on a queued line."""
    text = notice_text()
    act = text["actions"][action.action]
    now = wf.clock()
    policy = policy or SensitivityPolicy()
    reasons, withheld = plain_reasons(item, policy)
    cats = [c for c in dict.fromkeys(item.categories)
            if c in text["categories"] and c not in policy.withheld_categories]
    sources = [dict(text["base_source"])] + [
        {"source": text["categories"][c]["source"],
         "how_to_correct": text["categories"][c]["how_to_correct"]}
        for c in cats if "source" in text["categories"][c]
    ]
    documents = [text["base_document"]] + [text["categories"][c]["document"] for c in cats]
    contest = text["contest"]
    deadline = (now + timedelta(days=int(contest["window_days"]))).date().isoformat()
    receipts = [
        {"record": "decision.scored", **wf.receipt(item.scored_seq).to_json()},
        {"record": "decision.human_action", **wf.receipt(action.log_seq).to_json()},
    ]
    return {
        "notice_id": notice_id or uuid.uuid4().hex,
        "case_id": case_id or f"CASE-{uuid.uuid4().hex[:12].upper()}",
        "issued_at": now.isoformat(),
        "issued_by": text["port_authority"],
        "importer_id": item.importer_id,
        "entry_number": item.entry_number,
        "line_number": item.line_number,
        "action": {"code": action.action, "label": act["label"],
                   "taken_at": action.decided_at.isoformat(),
                   "port_of_entry": item.port_of_entry},
        "ai_role": {"contributed": True, "role": " ".join(text["ai_role"].split()),
                    "model_version": item.model_version, "officer_override": action.override},
        "reasons": reasons,
        "reasons_withheld": " ".join(text["withheld_reasons"].split()) if withheld else None,
        "data_sources": sources,
        "release_documents": list(dict.fromkeys(documents)),
        "timeline": " ".join(act["timeline"].split()),
        "contest": {
            "how": " ".join(contest["how"].split()),
            "deadline": deadline,
            "decision_within_days": int(contest["decision_days"]),
            "reviewer_independence": " ".join(contest["reviewer_independence"].split()),
            "protestable": bool(act["protestable"]),
            "protest_path": " ".join(
                contest["protest_path" if act["protestable"] else "not_protestable"].split()),
        },
        "receipt": {"verifier_key": wf.log.signer.verifier_key, "records": receipts,
                    "explanation_commitment": item.explanation_commitment},
    }


def _filled(value: Any) -> bool:
    return value is not None and (not isinstance(value, str | list | dict) or bool(value))


def check_notice(content: Mapping[str, Any], verifier_key: str | None = None) -> list[str]:
    """What is missing or wrong, point by point (empty when the notice is complete).

    With ``verifier_key`` the receipts are also checked against the log's key.
    """
    problems = [f"{p}: missing" for p in NOTICE_POINTS if not _filled(content.get(p))]
    if problems:
        return problems
    for key in ("notice_id", "case_id", "entry_number", "importer_id", "issued_at"):
        if not _filled(content.get(key)):
            problems.append(f"{key}: missing")
    action, contest, receipt = content["action"], content["contest"], content["receipt"]
    if not (_filled(action.get("code")) and _filled(action.get("taken_at"))):
        problems.append("action: needs what was done and when")
    if not _filled(content["ai_role"].get("role")):
        problems.append("ai_role: needs the system's role")
    reasons = content["reasons"]
    if len(reasons) > MAX_REASONS or any(not _filled(r.get("text")) for r in reasons):
        problems.append(f"reasons: 1 to {MAX_REASONS} reasons, each with plain text")
    if any(not _filled(s.get("how_to_correct")) for s in content["data_sources"]):
        problems.append("data_sources: each source needs how to correct it")
    for key in ("how", "deadline", "reviewer_independence", "protest_path"):
        if not _filled(contest.get(key)):
            problems.append(f"contest: {key} missing")
    records = receipt.get("records") or []
    if not records or not _filled(receipt.get("verifier_key")):
        problems.append("receipt: needs the log's verifier key and at least one receipt")
    elif verifier_key is not None:
        if receipt["verifier_key"] != verifier_key:
            problems.append("receipt: signed by another log key")
        for r in records:
            if not verify_receipt(Receipt.from_json(r), verifier_key):
                problems.append(f"receipt: record {r.get('leaf_index')} does not verify")
    return problems


def issue_notice(
    wf: Workflow,
    principal: Principal,
    action: ActionRecord,
    *,
    channel: str = "portal",
    policy: SensitivityPolicy | None = None,
) -> NoticeRecord:
    """Issue and log the notice for an adverse AI-assisted action (notice:send)."""
    item = wf.store.review_item(action.item_id)
    if item is None:
        raise KeyError(f"no queued line {action.item_id}")
    wf.check(principal, Permission.NOTICE_SEND, Resource("entry", item.entry_number,
                                                         item.importer_id))
    if ReviewAction(action.action) not in ADVERSE_ACTIONS or not action.ai_assisted:
        raise ValueError(f"action {action.action_id}: no notice, not an AI-assisted adverse action")
    content = build_notice(wf, item, action, policy=policy)
    problems = check_notice(content, wf.log.signer.verifier_key)
    if problems:
        raise NoticeIncomplete(problems)
    digest = content_hash(content)
    receipt = wf.log.append(NoticeSent(content["notice_id"], item.entry_number, item.importer_id,
                                       digest, channel, content["issued_at"]))
    record = NoticeRecord(
        content["notice_id"], content["case_id"], item.entry_number, item.line_number,
        item.importer_id, action.action_id, content, digest, channel, wf.clock(),
        receipt.leaf_index,
    )
    wf.store.add_notice(record)
    return record


def act_and_notify(
    wf: Workflow,
    principal: Principal,
    item: str,
    action: ReviewAction | str,
    rationale: str,
    *,
    ai_assisted: bool = True,
    channel: str = "portal",
) -> tuple[ActionRecord, NoticeRecord | None]:
    """Record an officer action and, when it is adverse and AI-assisted, issue its notice."""
    record = record_action(wf, principal, item, action, rationale, ai_assisted=ai_assisted)
    if ReviewAction(record.action) in ADVERSE_ACTIONS and record.ai_assisted:
        return record, issue_notice(wf, principal, record, channel=channel)
    return record, None


def get_notice(wf: Workflow, principal: Principal, notice_id: str) -> NoticeRecord:
    """One notice, for staff or for the importer it was sent to (notice:read)."""
    notice = wf.store.notice(notice_id)
    if notice is None:
        raise KeyError(f"no notice {notice_id}")
    wf.check(principal, Permission.NOTICE_READ,
             Resource("notice", notice_id, notice.importer_id))
    return notice


def list_notices(wf: Workflow, principal: Principal) -> list[NoticeRecord]:
    """Notices the principal may read: an importer sees only its own."""
    wf.check(principal, Permission.NOTICE_READ,
             Resource("notice", "*", principal.importer_id))
    return wf.store.notices(tenant_of(principal))


def render_json(content: Mapping[str, Any]) -> str:
    """The notice as indented JSON (the same content the hash covers)."""
    return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_html(content: Mapping[str, Any]) -> str:
    """The notice as a self-contained HTML page."""
    import jinja2

    source = (resources.files("tradeguard.decisions") / "templates" / "notice.html").read_text(
        encoding="utf-8"
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(source).render(n=content, hash=content_hash(content))


_LATIN1 = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'",
                         "\u201c": '"', "\u201d": '"', "\u2026": "..."})


def _pdf_text(value: Any) -> str:
    return str(value).translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def render_pdf(content: Mapping[str, Any]) -> bytes:
    """The notice as a PDF (core fonts; text outside Latin-1 is replaced)."""
    from fpdf import FPDF

    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(_pdf_text(f"Notice {content['case_id']}"))
    width = pdf.epw

    def heading(text: str) -> None:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(width, 6, _pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)

    def para(text: Any) -> None:
        pdf.multi_cell(width, 5, _pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("Helvetica", "B", 14)
    para(f"Notice of action on entry {content['entry_number']}, line {content['line_number']}")
    pdf.set_font("Helvetica", "", 9)
    para(f"{content['issued_by']} - case {content['case_id']} - issued {content['issued_at']}")
    for title, lines in _sections(content):
        heading(title)
        for line in lines:
            para(line)
    return bytes(pdf.output())


def _sections(n: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """The eight points as (title, paragraphs), shared by the PDF layout."""
    c, r = n["contest"], n["receipt"]
    reasons = [f"- {x['text']} ({x['code']})" for x in n["reasons"]]
    if n.get("reasons_withheld"):
        reasons.append(n["reasons_withheld"])
    return [
        ("1. Action taken", [f"{n['action']['label']} on {n['action']['taken_at']}"
                             f" (port {n['action']['port_of_entry'] or 'n/a'})."]),
        ("2. Role of the automated system", [n["ai_role"]["role"],
                                             f"Model version: {n['ai_role']['model_version']}"]),
        ("3. Main reasons", reasons),
        ("4. Data used and how to correct it",
         [f"- {s['source']}: {s['how_to_correct']}" for s in n["data_sources"]]),
        ("5. Documents that would speed release", [f"- {d}" for d in n["release_documents"]]),
        ("6. Timeline", [n["timeline"]]),
        ("7. How to contest", [c["how"], f"Deadline: {c['deadline']}.",
                               c["reviewer_independence"], c["protest_path"]]),
        ("8. Case ID and verifiable receipt",
         [f"Case ID: {n['case_id']}. Log verifier key: {r['verifier_key']}",
          f"Sealed explanation commitment: {r['explanation_commitment']}"]
         + [line for x in r["records"] for line in _receipt_lines(x)]),
    ]


def _receipt_lines(receipt: Mapping[str, Any]) -> list[str]:
    """One receipt in full, so the printed notice can be checked without the JSON."""
    return [
        f"{receipt['record']}: leaf {receipt['leaf_index']} of {receipt['tree_size']}, "
        f"leaf hash {receipt['leaf_hash']}",
        "Inclusion proof: " + (" ".join(receipt["inclusion_proof"]) or "(none: single leaf)"),
        "Signed checkpoint:\n" + str(receipt["checkpoint"]).rstrip("\n"),
    ]
