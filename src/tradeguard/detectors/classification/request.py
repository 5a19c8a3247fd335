"""A request-sized screen for the classification detector: does any line need a finding?

A scoring request holds 1-5 lines; the batch path spends a dozen Polars queries (~100 us each,
whatever the frame's size) to learn that, nearly always, every description reads as its
declared heading. :class:`HeadingScreen` reads each line's (normalised description, declared
heading) pair with the same normalisation and exclusions in scalar Python, and remembers per
pair whether the model rules the heading out (decided once, by the batch path's own
assessment). Only when no pair is ruled out does it answer ``False``; otherwise the batch path
makes the findings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

from tradeguard.detectors.classification.trade_text import normalize_description
from tradeguard.frame_reads import column_types, row_tuples
from tradeguard.kept import Kept
from tradeguard.request_path import REQUEST_LINES

#: Frames up to this many lines are screened line by line; larger ones take the batch path.
SMALL_REQUEST = REQUEST_LINES
#: (description, heading) decisions remembered before the memory starts afresh.
_PAIRS_KEPT = 200_000

Pair = tuple[str, str]


class HeadingScreen:
    """Per (normalised description, declared heading): does the model rule the heading out?"""

    def __init__(self, min_words: int, special_chapters: Iterable[str],
                 rules_out: Callable[[list[Pair]], list[bool]],
                 built_for: tuple[object, ...] = ()) -> None:
        self.min_words = min_words
        self.special = frozenset(special_chapters)
        self.rules_out = rules_out
        self.built_for = built_for
        self._decided: dict[Pair, bool] = {}
        self._pairs: Kept[tuple[str | None, str | None], Pair | None] = Kept(_PAIRS_KEPT)
        self._lock = threading.Lock()

    def built_from(self, *inputs: object) -> bool:
        """Whether this screen was built for these inputs (the same objects)."""
        return len(inputs) == len(self.built_for) and all(
            a is b for a, b in zip(inputs, self.built_for, strict=True))

    def pair(self, description: Any, hts_code: Any) -> Pair | None:
        """The line's pair as the batch path judges it, None when it judges none: too few
        words, no heading, or a special-provision chapter (98, 99)."""
        text = normalize_description(description if description is not None else "")
        if hts_code is None or len(text.split()) < self.min_words:
            return None
        heading = str(hts_code).replace(".", "")[:4]
        if heading[:2] in self.special:
            return None
        return text, heading

    def _pair_of(self, description: str | None, hts_code: str | None) -> Pair | None:
        """:meth:`pair` of one line's text fields, remembered (descriptions repeat along a
        shipper's lines, and normalising one costs a few regular-expression passes)."""
        key = (description, hts_code)
        try:
            return self._pairs[key]
        except KeyError:  # not seen yet (or dropped meanwhile by another thread)
            pass
        found = self.pair(description, hts_code)
        with self._lock:
            return self._pairs.keep(key, found)

    def decided(self, pair: Pair) -> bool | None:
        """The verdict remembered for ``pair`` (True: the model rules the heading out), None
        when not yet decided."""
        return self._decided.get(pair)

    def may_find(self, lines: pl.DataFrame) -> bool:
        """False only when the batch path finds nothing for ``lines``; True otherwise."""
        if lines.height > SMALL_REQUEST:
            return True
        schema = column_types(lines)
        # type classes compared: a Polars type's own comparison runs Python code
        if type(schema.get("description")) is not pl.String \
                or type(schema.get("hts_code")) is not pl.String:
            return True
        names = list(schema)
        at, hts_at = names.index("description"), names.index("hts_code")
        pairs = {p for row in row_tuples(lines)
                 if (p := self._pair_of(row[at], row[hts_at])) is not None}
        decided = self._decided
        unknown = sorted(p for p in pairs if p not in decided)
        fresh: dict[Pair, bool] = {}
        if unknown:
            fresh = dict(zip(unknown, self.rules_out(unknown), strict=True))
            with self._lock:
                if len(self._decided) + len(fresh) > _PAIRS_KEPT:
                    self._decided = {}
                self._decided.update(fresh)
        return any(fresh[p] if p in fresh else decided[p] for p in pairs)
