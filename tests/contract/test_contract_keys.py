"""Duplicate keys across batches and key sets: exact even when hashes collide."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from tests.contract.rows import LINE

import tradeguard.contract.keys as keys_module
from tradeguard.contract import SCHEMAS, KeyTracker, validate_batch
from tradeguard.contract.keys import KeySet

TODAY = date(2026, 11, 25)


def raw(rows: list[dict[str, str]], first_row: int) -> pl.DataFrame:
    """A raw batch as a reader yields it: text cells plus spreadsheet row numbers."""
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))
    return frame.with_columns(pl.int_range(first_row, first_row + len(rows)).alias("__row"))


def _batches() -> list[pl.DataFrame]:
    """Three batches of lines: repeats within a batch, across batches, and broken keys."""
    def line(n: str, entry: str = "ABC-1234567-6") -> dict[str, str]:
        return {**LINE, "entry_number": entry, "line_number": n}

    first = [line("1"), line("2"), line("1"), line("x"), line("3", "ABC-1234568-4")]
    second = [line("2"), line("4"), line("2"), line("4"), line("x")]
    third = [line("3", "ABC-1234568-4"), line("5"), line("1"), line("5")]
    return [raw(first, 2), raw(second, 7), raw(third, 12)]


def _run() -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    tracker = KeyTracker()
    out = []
    for batch in _batches():
        checked = validate_batch(batch, SCHEMAS["lines"], today=TODAY, keys=tracker)
        out.append((checked.accepted, checked.rejected))
    return out


def test_a_key_from_an_earlier_batch_names_its_first_row_on_every_repeat() -> None:
    (_, rejected_1), (accepted_2, rejected_2), (_, rejected_3) = _run()
    assert dict(rejected_1.select("row_number", "reasons").iter_rows())[4] == (
        "entry_number+line_number: duplicate key: same as row 2 of this file")
    reasons_2 = dict(rejected_2.select("row_number", "reasons").iter_rows())
    assert reasons_2[7] == reasons_2[9] == (
        "entry_number+line_number: duplicate key: same as row 3 of this file")
    assert reasons_2[10] == ("entry_number+line_number: duplicate key: same as row 8 of "
                             "this file")
    assert "duplicate" not in reasons_2[11]  # a broken key is never a duplicate
    assert accepted_2["line_number"].to_list() == [4]
    assert set(rejected_3["row_number"]) == {12, 14, 15}


@pytest.mark.parametrize("buckets", [1, 2, 3])
def test_colliding_hashes_do_not_change_the_result(
    monkeypatch: pytest.MonkeyPatch, buckets: int
) -> None:
    expected = _run()
    real = keys_module.key_hashes

    def few(keys: pl.Series) -> np.ndarray:
        return (real(keys) % np.uint64(buckets)).astype(np.uint64)

    monkeypatch.setattr(keys_module, "key_hashes", few)
    for (accepted, rejected), (want_accepted, want_rejected) in zip(_run(), expected,
                                                                    strict=True):
        assert accepted.equals(want_accepted)
        assert rejected.equals(want_rejected)


@pytest.mark.parametrize("buckets", [None, 1, 2])
def test_a_key_set_answers_exactly(monkeypatch: pytest.MonkeyPatch, buckets: int | None
                                   ) -> None:
    if buckets is not None:
        real = keys_module.key_hashes
        monkeypatch.setattr(keys_module, "key_hashes",
                            lambda k: (real(k) % np.uint64(buckets)).astype(np.uint64))
    members = pl.Series(["B", "A", None, "C", "A"])
    values = pl.Series(["C", "Z", "A", "A", "Y", "B"])
    assert KeySet(members).members_of(values).to_list() == ["C", "A", "A", "B"]
    assert KeySet(pl.Series(["only"])).members_of(values).to_list() == []
    assert KeySet(pl.Series([], dtype=pl.String)).members_of(values).to_list() == []
