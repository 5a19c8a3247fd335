"""Bounded memos: what a long-running service keeps stays bounded, newest kept."""

from __future__ import annotations

import pickle
import threading
from datetime import date, timedelta

import pytest

from tradeguard.kept import Kept


def test_keeps_at_most_its_limit_dropping_the_oldest() -> None:
    memo: Kept[int, str] = Kept(3)
    for i in range(5):
        assert memo.keep(i, f"v{i}") == f"v{i}"
    assert list(memo.items()) == [(2, "v2"), (3, "v3"), (4, "v4")]


def test_replacing_a_kept_key_drops_nothing() -> None:
    memo: Kept[str, int] = Kept(2)
    memo.keep("a", 1)
    memo.keep("b", 2)
    memo.keep("a", 3)
    assert dict(memo) == {"a": 3, "b": 2}


def test_a_memo_keeps_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Kept(0)
    one: Kept[str, int] = Kept(1)
    one.keep("x", 1)
    one.keep("y", 2)
    assert dict(one) == {"y": 2}


def test_a_memo_travels_empty_with_its_limit() -> None:
    memo: Kept[str, int] = Kept(7)
    memo.keep("x", 1)
    copy = pickle.loads(pickle.dumps(memo))
    assert isinstance(copy, Kept)
    assert copy.limit == 7 and len(copy) == 0


def test_threads_keeping_at_once_stay_within_the_limit() -> None:
    memo: Kept[tuple[int, int], int] = Kept(50)

    def fill(t: int) -> None:
        for i in range(2_000):
            memo.keep((t, i), i)

    threads = [threading.Thread(target=fill, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # unlocked, two threads may both add past a full memo: a few over, never unbounded
    assert 0 < len(memo) <= 50 + len(threads)
    memo.keep((9, 9), 9)
    assert len(memo) <= 50
    assert all(value == key[1] for key, value in memo.items())


def test_the_request_paths_port_day_draws_stay_bounded() -> None:
    from tradeguard.targeting import lanes_request

    start = date(2026, 1, 1)
    limit = lanes_request._DAY_DRAWS.limit
    for d in range(limit + 10):
        lanes_request._day_draw(1, "v1", "2704", start + timedelta(days=d))
    assert len(lanes_request._DAY_DRAWS) == limit
    # the newest day is still kept, and a kept draw is the draw made afresh
    last = (1, "v1", "2704", start + timedelta(days=limit + 9))
    assert lanes_request._DAY_DRAWS[last] == lanes_request._draw(
        1, "capacity|v1", "2704", last[3].isoformat())
