"""Misspelled legal forms ("JOINT TSOCK", "CO LDT", "LIMTED") mapped back to their spelling.

A legal form is separated from the name, so a typo in it must not leave a stray word in the
name ("tsock" would then count as a word the listed name lacks). The rule is tight on purpose:

* words of five letters or more: one edit (a swap of two adjacent letters anywhere; a dropped
  or added letter anywhere but the first; a changed letter inside the word only, since first
  and last letters are rarely mistyped and changing them turns forms into ordinary words:
  national -> rational, limited -> limiter);
* words of three or four letters: a swap of two adjacent letters only, and only when the result
  has no vowel (an abbreviation-like "ldt", "gmhb"; never "pet" from "pte" or "ice" from "cie");
* one- and two-letter forms (sa, ag, co) are never corrected;
* a misspelling that is itself a known form, trade word or name particle, or that two forms
  share, is dropped.

The corrected word only matters where it completes a legal form at the end of the name; the
name's own words are kept as written.
"""

from __future__ import annotations

from functools import lru_cache
from string import ascii_lowercase

from tradeguard.screening.vocabulary import (
    ABBREVIATIONS,
    LEADING_FORMS,
    LEGAL_FORMS,
    ORG_COMMON,
    ORG_STOPWORDS,
    PERSON_PARTICLES,
    TITLES,
)

_VOWELS = frozenset("aeiouy")


def _swaps(word: str) -> set[str]:
    return {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}


def _one_edit_inside(word: str) -> set[str]:
    out: set[str] = set()
    for i in range(1, len(word) + 1):
        if i < len(word):
            out.add(word[:i] + word[i + 1 :])
        for ch in ascii_lowercase:
            out.add(word[:i] + ch + word[i:])
            if i < len(word) - 1:
                out.add(word[:i] + ch + word[i + 1 :])
    return out


def form_words() -> frozenset[str]:
    """Every word of three letters or more that occurs in a legal-form phrase."""
    phrases = [p for forms in LEGAL_FORMS.values() for p in forms] + list(LEADING_FORMS)
    return frozenset(w for p in phrases for w in p.split() if len(w) >= 3 and w.isalpha())


def _known_words() -> set[str]:
    """Words a misspelling must never be taken for: they are words in their own right."""
    return (set(form_words()) | set(ABBREVIATIONS) | set(ABBREVIATIONS.values()) | ORG_COMMON
            | ORG_STOPWORDS | PERSON_PARTICLES | set(TITLES))


def _unambiguous(meant_by: dict[str, set[str]], protected: set[str]) -> dict[str, str]:
    """Misspelling -> the one word it stands for; one that could stand for two words, or is
    itself a known word, is dropped."""
    return {v: next(iter(ws)) for v, ws in meant_by.items()
            if len(ws) == 1 and v not in protected}


@lru_cache(maxsize=1)
def form_typos() -> dict[str, str]:
    """Misspelling -> legal-form word, by the rule in the module docstring."""
    meant_by: dict[str, set[str]] = {}
    for word in sorted(form_words()):
        if len(word) >= 5:
            variants = _swaps(word) | _one_edit_inside(word)
        else:
            variants = {v for v in _swaps(word) if not _VOWELS.intersection(v)}
        for v in variants:
            if v != word and len(v) >= 3:
                meant_by.setdefault(v, set()).add(word)
    return _unambiguous(meant_by, _known_words())


@lru_cache(maxsize=1)
def trade_word_typos() -> dict[str, str]:
    """Misspelling -> canonical token, for the whole trade words the abbreviation table
    rewrites (industrial -> industry, technologies -> technology).

    A listed word that is rewritten loses the spelling its misspellings are close to:
    "inustrial" is one edit from "industrial" but four from the "industry" the listed word
    became, so the typo would count as a word the listed name lacks. Words of seven letters or
    more, one edit as for legal forms (first letter kept); a misspelling that is a known word
    (or a legal-form misspelling) or that two canonical tokens share is dropped.
    """
    meant_by: dict[str, set[str]] = {}
    for word, canonical in sorted(ABBREVIATIONS.items()):
        if len(word) >= 7 and word.isalpha() and canonical.isalpha():
            for v in (_swaps(word) | _one_edit_inside(word)) - {word}:
                meant_by.setdefault(v, set()).add(canonical)
    return _unambiguous(meant_by, _known_words() | set(form_typos()))
