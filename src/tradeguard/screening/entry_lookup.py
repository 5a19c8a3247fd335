"""Name forms, candidates and quick screens for the few names of one customs entry.

A scored request holds 1-5 lines, so a handful of declared names, most never seen before. The
batch path answers them with some sixty Polars queries — normalising, key joins, ranking —
each with ~100 us of fixed cost, which is what a first-seen name pays. Here the same steps run
name by name with dict and list lookups on tables the index holds ready (:class:`EntryLookup`,
made once per index); patterns, tables and thresholds are the batch path's own.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import process

from tradeguard.screening.blocking import (
    BLOCK_SCORE_DECIMALS,
    DELETION,
    DELETION_WORD_MIN,
    PAIR,
    SOUND,
    SOUND_KEY_MIN,
    WORD,
)
from tradeguard.screening.config import ScreeningConfig
from tradeguard.screening.normalise import (
    _DOUBLED,
    _PHONETIC_STEPS,
    CLEANUP_STEPS,
    FIRST_VOWELS,
    FORM_TYPO_WORDS,
    LATER_VOWELS,
    NON_ASCII,
    _abbreviation_table,
    _form_patterns,
    _typo_table,
    legal_form_code,
    transliterate,
)
from tradeguard.screening.quick import MOST_EXTRA_WORDS, SCREENS
from tradeguard.screening.scorer import PreparedName, name_score

#: A declared name's normal form: its words, their sound keys and the separated legal form.
NameForm = tuple[tuple[str, ...], tuple[str, ...], str | None]

def _python_repl(repl: str) -> str:
    """A Polars replacement ("$1", "${1}") written for ``re.sub`` ("\\g<1>")."""
    return re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", repl)


_NON_ASCII = re.compile(NON_ASCII)
_CLEANUP = tuple((re.compile(p), _python_repl(r)) for p, r in CLEANUP_STEPS)
_SOUND_STEPS = tuple((re.compile(p), _python_repl(r)) for p, r in _PHONETIC_STEPS)
_FIRST_VOWEL = re.compile(FIRST_VOWELS)
_LATER_VOWELS = re.compile(LATER_VOWELS)
_DOUBLED_RE = re.compile(_DOUBLED[0])
_DOUBLED_BY = _python_repl(_DOUBLED[1])


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    trailing, leading, titles, _ = _form_patterns()
    return re.compile(trailing), re.compile(leading), re.compile(titles)


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """Form misspellings and abbreviations as dicts (the batch path's own tables)."""
    typos, meant = _typo_table()
    abbr, expanded = _abbreviation_table()
    return (dict(zip(typos.to_list(), meant.to_list(), strict=True)),
            dict(zip(abbr.to_list(), expanded.to_list(), strict=True)))


@lru_cache(maxsize=1 << 16)
def sound_key(token: str) -> str:
    """The sound key of one word, as :func:`~tradeguard.screening.normalise._phonetic`."""
    key = token
    for pattern, repl in _SOUND_STEPS:
        key = pattern.sub(repl, key)
    first = _FIRST_VOWEL.sub("a", key[:1], count=1)
    rest = _LATER_VOWELS.sub("", key[1:])
    return _DOUBLED_RE.sub(_DOUBLED_BY, first + rest)


def _fix_form_typos(text: str) -> str:
    typos = _tables()[0]
    words = text.split(" ")
    last = words[-FORM_TYPO_WORDS:]
    if not any(w in typos for w in last):
        return text
    return " ".join(words[:max(len(words) - FORM_TYPO_WORDS, 0)]
                    + [typos.get(w, w) for w in last])


@lru_cache(maxsize=1 << 14)
def name_form(name: str | None) -> NameForm:
    """Words, sound keys and legal form of a declared name (party kind unknown), exactly as
    :func:`~tradeguard.screening.normalise.normalise_names` gives them for one name."""
    trailing, leading, titles = _patterns()
    raw = name or ""
    text = transliterate(raw) if _NON_ASCII.search(raw) else raw
    text = text.lower()
    for pattern, repl in _CLEANUP:
        text = pattern.sub(repl, text)
    text = text.strip()
    words = text.split(" ")
    trail = trailing.search(_fix_form_typos(text))
    form_trail = trail.group("form") if trail else None
    if trail is None or trail.group("body") is None:
        no_trail = text
    else:
        keep = len(words) - len((form_trail or "").strip().split(" "))
        no_trail = " ".join(words[:keep] if keep >= 0 else words)
    lead = leading.search(no_trail)
    form_lead = lead.group("lead") if lead else None
    body = lead.group("body") if lead and lead.group("body") is not None else no_trail
    untitled = titles.sub("", body, count=1)
    norm = untitled if untitled else body
    form_text = f"{form_lead or ''} {form_trail or ''}".strip()
    legal_form = legal_form_code(form_text) if form_text else None
    abbreviations = _tables()[1]
    spelled = " ".join(abbreviations.get(w, w) for w in norm.split(" "))
    tokens = tuple(w for w in spelled.split(" ") if w != "")
    return tokens, tuple(sound_key(t) for t in tokens), legal_form


def _word_keys(token: str, key: str) -> set[str]:
    """The single-word blocking keys (as :func:`~tradeguard.screening.blocking.word_keys`)."""
    out = {WORD + token}
    if len(key) >= SOUND_KEY_MIN:
        out.add(SOUND + key)
    if len(token) >= DELETION_WORD_MIN:
        out.add(DELETION + token)
        out.update(DELETION + token[:i] + token[i + 1:] for i in range(len(token)))
    return out


def _spanning_keys(tokens: tuple[str, ...]) -> list[tuple[int, str]]:
    """Keys spanning words (as :func:`~tradeguard.screening.blocking.spanning_keys`)."""
    out = [(i, WORD + tokens[i] + tokens[i + 1]) for i in range(len(tokens) - 1)]
    out += [(-1, PAIR + min(a, b) + "|" + max(a, b))
            for i, a in enumerate(tokens) for b in tokens[i + 1:]]
    return out


@dataclass(frozen=True)
class _Listed:
    """What one listed name (a slot of the index) brings to a match row."""

    entity_id: str | None
    list_name: str | None
    variant: str | None
    is_alias: bool | None
    list_version: str | None
    country: str | None
    addresses: list[str] | None


class EntryLookup:
    """The index's key table and listed names as Python lists, for :func:`screen_entry`.

    Made once per index (a few hundred milliseconds for 20,000 listed names, when a detector
    is fitted); the key table stays sorted by key, so a query key finds its rows by binary
    search as in the batch path.
    """

    def __init__(self, names: pl.DataFrame, keys: pl.DataFrame) -> None:
        self.bkeys: list[str] = keys.get_column("bkey").to_list()
        self.key_rows: list[int] = keys.get_column("name_row").to_list()
        self.key_weights: list[float] = keys.get_column("weight").to_list()
        self.key_exact: list[bool] = keys.get_column("exact").to_list()
        rows = names.get_column("name_row").to_list()
        self.slot_of: dict[int, int] = dict(zip(rows, names.get_column("slot").to_list(),
                                                strict=True))
        self.name_weight: dict[int, float] = dict(zip(
            rows, names.get_column("name_weight").to_list(), strict=True))
        self.texts = {t: np.asarray(names.get_column(t).to_list(), dtype=object)
                      for t in ("flat", "flat_sorted", "flat_unspaced")}
        self.words: list[int] = names.get_column("flat").str.count_matches(" ").to_list()
        self.listed = [_Listed(*row) for row in names.select(
            "entity_id", "list", "variant", "is_alias", "list_version", "country",
            "addresses").iter_rows()]

    def hits(self, bkey: str) -> range:
        """Positions of the key table rows under ``bkey``."""
        return range(bisect_left(self.bkeys, bkey), bisect_right(self.bkeys, bkey))


class LookupSlot:
    """Holds an index's :class:`EntryLookup`, made on first use and never pickled (a batch
    worker that never scores a lone entry does not pay for it)."""

    def __init__(self) -> None:
        self._lookup: EntryLookup | None = None
        self._lock = threading.Lock()

    def get(self, names: pl.DataFrame, keys: pl.DataFrame) -> EntryLookup:
        """The lookup of ``names`` and ``keys`` (made once)."""
        with self._lock:
            if self._lookup is None:
                self._lookup = EntryLookup(names, keys)
            return self._lookup

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]


def candidates(form: NameForm, lookup: EntryLookup, keep: int) -> list[int]:
    """Slots of the ``keep`` best listed names for one name form, ranked as
    :meth:`~tradeguard.screening.index.WatchlistIndex.candidates` ranks them (in no order)."""
    tokens, keys, _ = form
    # (listed name row, query word position or -1 for pairs) -> best weight, exact met
    best: dict[tuple[int, int], list[Any]] = {}

    def meet(pos: int, bkey: str) -> None:
        for k in lookup.hits(bkey):
            at = (lookup.key_rows[k], pos)
            weight, exact = lookup.key_weights[k], lookup.key_exact[k]
            seen = best.get(at)
            if seen is None:
                best[at] = [weight, exact]
            else:
                seen[0] = max(seen[0], weight)
                seen[1] = seen[1] or exact

    for pos, (token, key) in enumerate(zip(tokens, keys, strict=True)):
        for bkey in _word_keys(token, key):
            meet(pos, bkey)
    for pos, bkey in _spanning_keys(tokens):
        meet(pos, bkey)
    per_name: dict[int, list[Any]] = {}
    for (row, _), (weight, exact) in sorted(best.items()):
        totals = per_name.setdefault(row, [0.0, 0])
        totals[0] += weight
        totals[1] += int(exact)
    scored = {row: (_round6(total), exact_words) for row, (total, exact_words)
              in per_name.items()}
    if len(scored) > keep:
        order = sorted(scored, key=lambda r: (-scored[r][0], -scored[r][1],
                                              lookup.name_weight[r], r))
        chosen = order[:keep]
    else:
        chosen = list(scored)
    return [lookup.slot_of[r] for r in chosen]


_SCALE = 10.0 ** BLOCK_SCORE_DECIMALS


def _round6(value: float) -> float:
    """A block score rounded as the batch path's ``round`` rounds it: scaled, then to the
    nearest integer with ties to even."""
    return round(value * _SCALE) / _SCALE


def quick_passed(form: NameForm, slots: list[int], lookup: EntryLookup,
                 least: float) -> list[bool]:
    """Whether each slot passes one of the quick screens of
    :func:`~tradeguard.screening.quick.quick_screens` (the same RapidFuzz calls)."""
    tokens = form[0]
    mine = {"flat": " ".join(tokens), "flat_sorted": " ".join(sorted(tokens)),
            "flat_unspaced": "".join(tokens)}
    at = np.asarray(slots, dtype=np.int64)
    words_q = len(tokens) - 1
    few_extra = np.array([abs(words_q - lookup.words[s]) <= MOST_EXTRA_WORDS for s in slots],
                         dtype=bool)
    passed = np.zeros(len(slots), dtype=bool)
    for scorer, text, only_few in SCREENS:
        todo = np.flatnonzero(~passed & few_extra if only_few else ~passed)
        if todo.size == 0:
            continue
        queries = np.full(todo.size, mine[text], dtype=object)
        score = process.cpdist(queries, lookup.texts[text][at[todo]], scorer=scorer, workers=1)
        passed[todo] = (score / 100).astype(np.float64) >= least
    return [bool(p) for p in passed]


def close_slots(form: NameForm, lookup: EntryLookup, prepared: Sequence[PreparedName],
                vocabulary: Any, cfg: ScreeningConfig) -> list[int]:
    """Listed names a form may match (as ``_name_matches`` in the engine), in slot order."""
    slots = candidates(form, lookup, cfg.candidates_per_name)
    if not slots:
        return []
    floor = cfg.threshold - cfg.country_agree_bonus - cfg.address_agree_bonus
    query = PreparedName(" ".join(form[0]), form[0], form[1], form[2])
    passed = quick_passed(form, slots, lookup, cfg.prefilter_min)
    return sorted(s for s, ok in zip(slots, passed, strict=True)
                  if ok and name_score(query, prepared[s], cfg, vocabulary) >= floor)
