"""Bounded memos for the request path: what a service works out once and reads again.

A scoring service sees the same schemas, tariff numbers, names and days over and over, so it
keeps what it derived from them; a long-running process must not keep everything it ever saw.
:class:`Kept` is a dict that holds at most ``limit`` entries and drops the oldest first (dicts
keep insertion order). Callers that share one across threads hold their own lock around it;
without one, a race costs a recomputation or a few entries over the limit until the next
:meth:`Kept.keep`, never a wrong value, since every value kept is a pure function of its key.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Kept(dict[K, V]):
    """A dict of at most ``limit`` entries; :meth:`keep` drops the oldest to make room."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a memo must keep at least one entry, not {limit}")
        super().__init__()
        self.limit = limit

    def keep(self, key: K, value: V) -> V:
        """Store ``value`` under ``key`` (dropping the oldest entry when full) and return it."""
        while len(self) >= self.limit and key not in self:
            try:
                del self[next(iter(self))]
            except (StopIteration, KeyError, RuntimeError):  # another thread got there first
                self.clear()
        self[key] = value
        return value

    def __reduce__(self) -> tuple[type[Kept[K, V]], tuple[int]]:
        """Pickled empty: a memo is rebuilt where it is used (workers, copies)."""
        return (type(self), (self.limit,))
