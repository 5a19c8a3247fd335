"""The workflow records in memory: for tests and single-process pilots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from tradeguard.decisions.workflow_records import (
    ActionRecord,
    AppealRecord,
    NoticeRecord,
    ReviewItem,
    TrainingRecord,
)


def _by_risk(item: ReviewItem) -> tuple[float, str, int]:
    return (-item.risk_score, item.entry_number, item.line_number)


class MemoryWorkflowStore:
    """Dict-backed store for tests and single-process pilots."""

    def __init__(self) -> None:
        self._items: dict[str, ReviewItem] = {}
        self._actions: list[ActionRecord] = []
        self._notices: dict[str, NoticeRecord] = {}
        self._appeals: dict[str, AppealRecord] = {}
        self._training: list[TrainingRecord] = []
        self._sealed: dict[str, tuple[str, str]] = {}

    def add_review_items(self, items: Sequence[ReviewItem]) -> None:
        """Insert queue items (a duplicate item id fails the whole batch)."""
        dupes = [i.item_id for i in items if i.item_id in self._items]
        if dupes or len({i.item_id for i in items}) != len(items):
            raise ValueError(f"review items already queued: {dupes or 'duplicate in batch'}")
        self._items.update({i.item_id: i for i in items})

    def update_review_item(self, item: ReviewItem) -> None:
        """Replace a queue item by id."""
        self._items[item.item_id] = item

    def review_item(self, item_id: str) -> ReviewItem | None:
        """One queue item."""
        return self._items.get(item_id)

    def review_items(
        self,
        tenant: str | None = None,
        port: str | None = None,
        lane: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        status: str | None = None,
    ) -> list[ReviewItem]:
        """Queue items, highest risk first, filtered."""
        out = [
            i
            for i in self._items.values()
            if (tenant is None or i.importer_id == tenant)
            and (port is None or i.port_of_entry == port)
            and (lane is None or i.lane == lane)
            and (status is None or i.status == status)
            and (date_from is None or (i.entry_date is not None and i.entry_date >= date_from))
            and (date_to is None or (i.entry_date is not None and i.entry_date <= date_to))
        ]
        return sorted(out, key=_by_risk)

    def add_action(self, action: ActionRecord) -> None:
        """Insert a human action."""
        self._actions.append(action)

    def actions(self, entry_number: str) -> list[ActionRecord]:
        """Every action on an entry, oldest first."""
        return [a for a in self._actions if a.entry_number == entry_number]

    def add_notice(self, notice: NoticeRecord) -> None:
        """Insert an issued notice."""
        if notice.notice_id in self._notices:
            raise ValueError(f"notice {notice.notice_id} already exists")
        self._notices[notice.notice_id] = notice

    def notice(self, notice_id: str) -> NoticeRecord | None:
        """One notice."""
        return self._notices.get(notice_id)

    def notices(self, tenant: str | None = None) -> list[NoticeRecord]:
        """Notices, newest first, for one importer or all."""
        out = [n for n in self._notices.values() if tenant is None or n.importer_id == tenant]
        return sorted(out, key=lambda n: n.issued_at, reverse=True)

    def save_appeal(self, appeal: AppealRecord) -> None:
        """Insert or replace an appeal (and its documents)."""
        self._appeals[appeal.appeal_id] = appeal

    def appeal(self, appeal_id: str) -> AppealRecord | None:
        """One appeal with its documents."""
        return self._appeals.get(appeal_id)

    def appeals(self, tenant: str | None = None) -> list[AppealRecord]:
        """Appeals, oldest first, for one importer or all."""
        out = [a for a in self._appeals.values() if tenant is None or a.importer_id == tenant]
        return sorted(out, key=lambda a: a.filed_at)

    def add_training(self, record: TrainingRecord) -> None:
        """Insert a training record."""
        self._training.append(record)

    def training(self, subject_id: str) -> list[TrainingRecord]:
        """Training records of one user."""
        return [t for t in self._training if t.subject_id == subject_id]

    def put_sealed(self, commitment: str, kind: str, token: str) -> None:
        """Keep an encrypted opening under its commitment."""
        self._sealed[commitment] = (kind, token)

    def put_sealed_many(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """Keep many (commitment, kind, encrypted opening) rows."""
        for commitment, kind, token in rows:
            self._sealed[commitment] = (kind, token)

    def sealed(self, commitment: str) -> tuple[str, str] | None:
        """(kind, encrypted opening) for a commitment."""
        return self._sealed.get(commitment)
