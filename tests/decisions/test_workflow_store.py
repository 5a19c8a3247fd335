"""The workflow repository on memory, SQLite and PostgreSQL, and the whole flow on SQL."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tradeguard.decisions import SqlLogStore, TransparencyLog, verify_log
from tradeguard.decisions.appeals import (
    assign_reviewer,
    decide_appeal,
    file_appeal,
    list_appeals,
    overturn_rates,
)
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.decisions.notices import act_and_notify, check_notice, content_hash, get_notice
from tradeguard.decisions.review import ReviewAction
from tradeguard.decisions.workflow_memory import MemoryWorkflowStore
from tradeguard.decisions.workflow_records import (
    ActionRecord,
    AppealDocument,
    AppealRecord,
    NoticeRecord,
    ReviewItem,
    TrainingRecord,
    WorkflowStore,
)
from tradeguard.decisions.workflow_store import (
    SqlWorkflowStore,
    define_workflow_tables,
)

from .test_review import (
    AUDITOR,
    IMPORTER_A,
    IMPORTER_B,
    OFFICER,
    STAFF,
    SUPERVISOR,
    SUPERVISOR_2,
    Clock,
    line,
    make_workflow,
    queued,
    train,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _item(entry: str, score: float, *, importer: str = "IMP-A", port: str = "2704",
          lane: str = "red", day: date = date(2026, 3, 1)) -> ReviewItem:
    return ReviewItem(
        f"{entry}|1", entry, 1, importer, port, day, score, lane, "risk", ("valuation",),
        ("VAL_A", "ORG_B"), ("low value", "routing"), (), "m@1", {"model": "m@1", "rules": "r@1"},
        "ab" * 32, 3, "cd" * 32,
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[WorkflowStore]:
    if request.param == "memory":
        yield MemoryWorkflowStore()
        return
    url = "sqlite://" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    sql = SqlWorkflowStore(engine, prefix=f"t_{uuid.uuid4().hex[:10]}")
    try:
        yield sql
    finally:
        sql.drop_tables()
        engine.dispose()


def test_every_record_round_trips(store: WorkflowStore) -> None:
    item = _item("ABC-0000001-1", 0.8)
    store.add_review_items([item])
    assert store.review_item(item.item_id) == item
    action = ActionRecord("a1", item.item_id, item.entry_number, 1, "IMP-A", "officer-1", "hold",
                          "red", "red", False, True, "ef" * 32, T0, 5)
    store.add_action(action)
    assert store.actions(item.entry_number) == [action]
    notice = NoticeRecord("n1", "CASE-1", item.entry_number, 1, "IMP-A", "a1",
                          {"reasons": [{"code": "VAL_A"}], "x": {"y": 1}}, "00" * 32, "portal",
                          T0, 6)
    store.add_notice(notice)
    assert store.notice("n1") == notice
    appeal = AppealRecord(
        "p1", "n1", "CASE-1", item.entry_number, 1, "IMP-A", "compliance-a", T0, T0, T0, "11" * 32,
        "m@1", 7, corrections={"entered_value_usd": 8200},
        documents=(AppealDocument("inv.pdf", "invoice", "22" * 32),
                   AppealDocument("bl.pdf", "bill_of_lading", "33" * 32)),
        rescored={"lane": "green", "previous": {"lane": "red"}},
    )
    store.save_appeal(appeal)
    assert store.appeal("p1") == appeal
    training = TrainingRecord("officer-1", "ai-assisted-targeting", date(2026, 1, 1),
                              date(2026, 12, 31), "admin-1")
    store.add_training(training)
    assert store.training("officer-1") == [training]
    store.put_sealed("44" * 32, "rationale", "token")
    assert store.sealed("44" * 32) == ("rationale", "token")
    assert store.sealed("55" * 32) is None


def test_saving_an_appeal_again_replaces_state_and_documents(store: WorkflowStore) -> None:
    from dataclasses import replace

    appeal = AppealRecord("p1", "n1", "C", "E", 1, "IMP-A", "u", T0, T0, T0, "1" * 64, "m", 1,
                          documents=(AppealDocument("a", "b", "2" * 64),))
    store.save_appeal(appeal)
    later = replace(appeal, status="decided", outcome="upheld", documents=())
    store.save_appeal(later)
    assert store.appeal("p1") == later
    assert store.appeals() == [later]


def test_queue_order_filters_and_tenant_scope(store: WorkflowStore) -> None:
    store.add_review_items([
        _item("ABC-0000001-1", 0.3, lane="yellow"),
        _item("ABC-0000002-2", 0.9, importer="IMP-B", port="1001"),
        _item("ABC-0000003-3", 0.6, day=date(2026, 2, 1)),
    ])
    order = [i.entry_number for i in store.review_items()]
    assert order == ["ABC-0000002-2", "ABC-0000003-3", "ABC-0000001-1"]
    assert [i.entry_number for i in store.review_items(tenant="IMP-B")] == ["ABC-0000002-2"]
    assert [i.entry_number for i in store.review_items(port="1001")] == ["ABC-0000002-2"]
    assert [i.entry_number for i in store.review_items(lane="yellow")] == ["ABC-0000001-1"]
    feb = store.review_items(date_from=date(2026, 2, 1), date_to=date(2026, 2, 28))
    assert [i.entry_number for i in feb] == ["ABC-0000003-3"]


def test_a_duplicate_item_fails_the_whole_batch(store: WorkflowStore) -> None:
    store.add_review_items([_item("ABC-0000001-1", 0.3)])
    with pytest.raises((ValueError, sa.exc.IntegrityError)):
        store.add_review_items([_item("ABC-0000009-9", 0.5), _item("ABC-0000001-1", 0.3)])
    assert [i.entry_number for i in store.review_items()] == ["ABC-0000001-1"]


def test_tables_are_declared_once_per_metadata() -> None:
    md = sa.MetaData()
    first = define_workflow_tables(md, "wf")
    assert define_workflow_tables(md, "wf") == first
    assert sorted(md.tables) == sorted(
        f"wf_{n}" for n in ("review_items", "actions", "notices", "appeals",
                            "appeal_documents", "training", "sealed")
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest) -> str:
    return "sqlite://" if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


def test_whole_flow_on_sql_with_a_verifiable_log(sql_url: str) -> None:
    engine = sa.create_engine(sql_url)
    prefix = f"t_{uuid.uuid4().hex[:10]}"
    md = sa.MetaData()
    log_store = SqlLogStore(engine, md, prefix=f"{prefix}_log")
    store = SqlWorkflowStore(engine, md, prefix=prefix)
    signer = derive_development_signer("test-secret", "test.tradeguard/log")
    try:
        clock = Clock()
        wf, _ = make_workflow(store, TransparencyLog(log_store, signer, clock))
        wf.clock = clock
        train(wf, *STAFF)
        (item,) = queued(wf, line(digest=hashlib.sha256(b"x").hexdigest()))
        _, notice = act_and_notify(wf, OFFICER, item, ReviewAction.DETAIN, "UFLPA supplier")
        assert notice is not None
        reread = get_notice(wf, IMPORTER_A, notice.notice_id)
        assert content_hash(reread.content) == notice.content_hash
        assert check_notice(reread.content, signer.verifier_key) == []
        with pytest.raises(PermissionError):
            get_notice(wf, IMPORTER_B, notice.notice_id)
        appeal = file_appeal(wf, IMPORTER_A, notice.notice_id, "supplier is not the listed one",
                             [AppealDocument("trace.pdf", "supply_chain", "ab" * 32)])
        assert list_appeals(wf, IMPORTER_B) == []
        assign_reviewer(wf, SUPERVISOR, appeal.appeal_id, SUPERVISOR_2)
        clock.advance(days=3)
        decide_appeal(wf, SUPERVISOR_2, appeal.appeal_id, "overturned", "tracing documents")
        rates = overturn_rates(wf, AUDITOR).row(0, named=True)
        assert (rates["model_version"], rates["overturn_rate"]) == ("exam-model@3", 1.0)
        stored = store.appeal(appeal.appeal_id)
        assert stored is not None and stored.decided_at == clock.now
        assert stored.documents[0].name == "trace.pdf"
        result = verify_log(log_store, signer.verifier_key)
        assert result.ok and result.records_checked == 5
    finally:
        store.drop_tables()
        log_store.drop_tables()
        engine.dispose()
