"""Validity windows and review dates decide which profiles fire on an evaluation date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl

from tradeguard.rules import ProfileStatus, evaluate, profile_set_from_yaml

WHEN = "{field: country_of_origin, op: eq, value: CN}"
FRAME = pl.DataFrame({"entry_number": ["E1"], "line_number": [1], "country_of_origin": ["CN"]})


def run(profile_yaml: Callable[..., str], extra: str, on: date) -> tuple[int, ProfileStatus]:
    pset = profile_set_from_yaml(profile_yaml(WHEN, extra=extra))
    result = evaluate(pset, FRAME, on=on)
    return result.findings.height, result.statuses["P-1"]


def test_within_window_fires(profile_yaml: Callable[..., str]) -> None:
    extra = "valid_from: 2025-01-01\nvalid_to: 2025-12-31"
    assert run(profile_yaml, extra, date(2025, 12, 31)) == (1, ProfileStatus.ACTIVE)


def test_expired_does_not_fire(profile_yaml: Callable[..., str]) -> None:
    extra = "valid_from: 2025-01-01\nvalid_to: 2025-12-31"
    assert run(profile_yaml, extra, date(2026, 1, 1)) == (0, ProfileStatus.EXPIRED)


def test_not_yet_valid_does_not_fire(profile_yaml: Callable[..., str]) -> None:
    assert run(profile_yaml, "valid_from: 2026-01-01", date(2025, 12, 31)) == (
        0,
        ProfileStatus.PENDING,
    )


def test_review_passed_warns_then_lapses(profile_yaml: Callable[..., str]) -> None:
    pset = profile_set_from_yaml(profile_yaml(WHEN, extra="review_date: 2025-06-30"))
    due = evaluate(pset, FRAME, on=date(2025, 7, 1))
    assert due.statuses["P-1"] is ProfileStatus.REVIEW_DUE
    assert due.findings.height == 1
    assert any("review date 2025-06-30 has passed" in w for w in due.warnings)
    lapsed = evaluate(pset, FRAME, on=date(2026, 7, 1), lapse_after_days=365)
    assert lapsed.statuses["P-1"] is ProfileStatus.LAPSED
    assert lapsed.findings.height == 0
    assert any("no longer fires" in w for w in lapsed.warnings)
    # Lapsing can be switched off; the warning remains.
    kept = evaluate(pset, FRAME, on=date(2026, 7, 1), lapse_after_days=None)
    assert kept.findings.height == 1 and kept.statuses["P-1"] is ProfileStatus.REVIEW_DUE


def test_backtest_ignores_windows(profile_yaml: Callable[..., str]) -> None:
    pset = profile_set_from_yaml(profile_yaml(WHEN, extra="valid_from: 2030-01-01"))
    assert evaluate(pset, FRAME, on=None).findings.height == 1
