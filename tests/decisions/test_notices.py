"""Notices to importers: the eight points, sealed detail, receipts, renders and tenancy."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tradeguard.decisions import NoticeSent, Receipt, verify_receipt
from tradeguard.decisions.notices import (
    NOTICE_POINTS,
    NoticeIncomplete,
    act_and_notify,
    check_notice,
    content_hash,
    get_notice,
    issue_notice,
    list_notices,
    render_html,
    render_json,
    render_pdf,
)
from tradeguard.decisions.review import ReviewAction, Workflow, record_action
from tradeguard.security import AccessDenied

from .test_review import IMPORTER_A, IMPORTER_B, OFFICER, line, queued, trained_workflow

SIX_REASONS = ("VAL_A", "NET_SHARED_IDENTITY", "ORG_B", "CLS_C", "NET_MID_CHURN", "ADC_D", "FL_E")


@pytest.fixture
def wf() -> Workflow:
    return trained_workflow()


def _notice(wf: Workflow, action: ReviewAction = ReviewAction.HOLD, **kw: Any) -> Any:
    (item,) = queued(wf, line(**kw))
    _, notice = act_and_notify(wf, OFFICER, item, action, "invoice and MID disagree")
    assert notice is not None
    return notice


def test_a_notice_has_all_eight_points_and_its_receipts_verify(wf: Workflow) -> None:
    notice = _notice(wf)
    vkey = wf.log.signer.verifier_key
    assert check_notice(notice.content, vkey) == []
    c = notice.content
    assert c["action"]["code"] == "hold" and c["action"]["taken_at"]
    assert c["ai_role"]["contributed"] is True and "officer" in c["ai_role"]["role"]
    assert 1 <= len(c["reasons"]) <= 4 and all(r["text"] for r in c["reasons"])
    assert {s["source"] for s in c["data_sources"]} >= {
        "Entry summary data filed by you or your broker (CBP Form 7501, ACE)"
    }
    assert any("Proof of payment" in d for d in c["release_documents"])
    assert "1499(c)" in c["timeline"]
    assert c["contest"]["deadline"] == "2026-04-01"
    assert c["contest"]["protestable"] and "19 CFR Part 174" in c["contest"]["protest_path"]
    records = c["receipt"]["records"]
    assert [r["record"] for r in records] == ["decision.scored", "decision.human_action"]
    for r in records:
        assert verify_receipt(Receipt.from_json(r), vkey)
        stored = wf.log.store.record(r["leaf_index"])
        assert stored is not None and stored.leaf_hash.hex() == r["leaf_hash"]


def test_receipts_fail_against_another_key_or_when_tampered(wf: Workflow) -> None:
    notice = _notice(wf)
    from tradeguard.decisions.checkpoint import derive_development_signer

    other = derive_development_signer("other", "test.tradeguard/log").verifier_key
    assert any("another log key" in p for p in check_notice(notice.content, other))
    forged = copy.deepcopy(dict(notice.content))
    forged["receipt"]["records"][0]["leaf_hash"] = "00" * 32
    assert any("does not verify" in p for p in check_notice(forged, wf.log.signer.verifier_key))


def test_notice_sent_is_logged_with_the_content_hash(wf: Workflow) -> None:
    notice = _notice(wf)
    event = wf.log.read(notice.log_seq).event
    assert isinstance(event, NoticeSent)
    assert event.content_hash == content_hash(notice.content) == notice.content_hash
    assert (event.notice_id, event.importer_id) == (notice.notice_id, "IMP-A")


def test_scores_and_features_stay_sealed(wf: Workflow) -> None:
    notice = _notice(wf)
    text = json.dumps(notice.content)
    for secret in ("0.91", "risk_score", "model_probability", "findings", "0.8"):
        assert secret not in text
    assert notice.content["receipt"]["explanation_commitment"]


def test_at_most_four_reasons_and_enforcement_sensitive_ones_withheld(wf: Workflow) -> None:
    texts = tuple(f"reason {c}" for c in SIX_REASONS)
    notice = _notice(wf, reasons=SIX_REASONS, texts=texts)
    codes = [r["code"] for r in notice.content["reasons"]]
    assert codes == ["VAL_A", "ORG_B", "CLS_C", "ADC_D"]
    assert "1499(b)" in notice.content["reasons_withheld"]
    shown = json.dumps(notice.content) + render_html(notice.content)
    assert "NET_" not in shown and "Relationships between parties" not in shown
    plain = _notice(wf, entry="ABC-7654321-0", reasons=("VAL_A",), texts=("low value",))
    assert plain.content["reasons_withheld"] is None


@pytest.mark.parametrize("point", NOTICE_POINTS)
def test_completeness_check_names_each_missing_point(wf: Workflow, point: str) -> None:
    content = copy.deepcopy(dict(_notice(wf).content))
    del content[point]
    assert any(p.startswith(point) for p in check_notice(content))
    content[point] = [] if point == "reasons" else ""
    assert any(p.startswith(point) for p in check_notice(content))


def test_an_incomplete_notice_is_never_issued(
    wf: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tradeguard.decisions.notices as notices

    real = notices.build_notice

    def without_timeline(*args: Any, **kw: Any) -> dict[str, Any]:
        content = real(*args, **kw)
        content["timeline"] = ""
        return content

    monkeypatch.setattr(notices, "build_notice", without_timeline)
    (item,) = queued(wf, line())
    action = record_action(wf, OFFICER, item, ReviewAction.EXAM, "mismatch")
    size = wf.log.size
    with pytest.raises(NoticeIncomplete, match="timeline"):
        issue_notice(wf, OFFICER, action)
    assert wf.log.size == size and wf.store.notices() == []


def test_release_needs_no_notice_and_exam_is_not_protestable(wf: Workflow) -> None:
    green = queued(wf, line(score=0.1, lane="green"))[0]
    assert act_and_notify(wf, OFFICER, green, ReviewAction.RELEASE, "")[1] is None
    exam = _notice(wf, ReviewAction.EXAM, entry="ABC-7654321-0")
    assert exam.content["contest"]["protestable"] is False
    assert "not itself a protestable" in exam.content["contest"]["protest_path"]


def test_importers_only_ever_see_their_own_notices(wf: Workflow) -> None:
    notice = _notice(wf)
    assert get_notice(wf, IMPORTER_A, notice.notice_id).content_hash == notice.content_hash
    with pytest.raises(AccessDenied, match="another importer"):
        get_notice(wf, IMPORTER_B, notice.notice_id)
    assert [n.notice_id for n in list_notices(wf, IMPORTER_A)] == [notice.notice_id]
    assert list_notices(wf, IMPORTER_B) == []
    assert len(list_notices(wf, OFFICER)) == 1


def test_json_html_and_pdf_render_the_same_notice(wf: Workflow) -> None:
    notice = _notice(wf)
    as_json = json.loads(render_json(notice.content))
    assert content_hash(as_json) == notice.content_hash
    html = render_html(notice.content)
    for section in ("action", "ai-role", "reasons", "data-sources", "release-documents",
                    "timeline", "contest", "receipt"):
        assert f'<section id="{section}">' in html
    assert notice.content["case_id"] in html and notice.content_hash in html
    assert "<script" not in html
    pdf = render_pdf(notice.content)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 2000


def test_html_escapes_importer_supplied_text(wf: Workflow) -> None:
    notice = _notice(wf, reasons=("VAL_A",), texts=("<script>alert(1)</script>",))
    html = render_html(notice.content)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
