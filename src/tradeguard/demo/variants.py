"""Realistic spellings of a listed name, the way they turn up on invoices and manifests.

Screening must see through legal-form changes, abbreviations, dropped punctuation, case,
transliteration pairs (Hetian/Hotan, Kashi/Kashgar) and small typos; the planted names use
exactly these variations so the truth file can say which kind each one is.
"""

from __future__ import annotations

import re

import numpy as np

_LEGAL_SWAPS = [
    (r"Co\.,? Ltd\.?", "Company Limited"), (r"Company Limited", "Co., Ltd."),
    (r"Limited", "Ltd"), (r"Ltd\.?", "Limited"), (r"Corporation", "Corp."),
    (r"Corp\.?", "Corporation"), (r"Incorporated", "Inc."), (r"Group", "Grp"),
]
_TRANSLITERATIONS = [("Hetian", "Hotan"), ("Hotan", "Hetian"), ("Kashgar", "Kashi"),
                     ("Kashi", "Kashgar"), ("Urumqi", "Wulumuqi"), ("Xinjiang", "Sinkiang"),
                     ("Shanshan", "Pichan"), ("Aksu", "Akesu")]
_ABBREVIATIONS = [("Technology", "Tech"), ("International", "Intl"), ("Industry", "Ind."),
                  ("Industrial", "Ind."), ("Manufacturing", "Mfg"), ("Company", "Co"),
                  ("Textile", "Tex"), ("Materials", "Matls"), ("New Energy", "NE")]

KINDS = ("exact", "legal_form", "abbreviation", "punctuation_case", "transliteration",
         "typo", "alias")


def _legal_form(name: str) -> str:
    for pattern, repl in _LEGAL_SWAPS:
        if re.search(pattern, name):
            return re.sub(pattern, repl, name, count=1)
    return f"{name} Co., Ltd."


def _abbreviate(name: str) -> str:
    for long, short in _ABBREVIATIONS:
        if long in name:
            return name.replace(long, short, 1)
    return name.replace(",", "")


def _punctuation_case(name: str) -> str:
    return re.sub(r"[.,()]", "", name).upper()


def _transliterate(name: str) -> str:
    for a, b in _TRANSLITERATIONS:
        if a in name:
            return name.replace(a, b, 1)
    return _punctuation_case(name)


def _typo(name: str, rng: np.random.Generator) -> str:
    """One swapped or dropped letter inside a word of five letters or more, never its first
    or last letter: a slip of the keyboard leaves a long word recognisable, while a letter lost from
    an acronym or a short word (KTK -> KT) makes another name, not a misspelling of this one."""
    letters = [m.start() + k for m in re.finditer(r"[A-Za-z]{5,}", name)
               for k in range(1, m.end() - m.start() - 1)]
    if len(letters) < 3:
        return name
    i = letters[int(rng.integers(1, len(letters) - 1))]
    if rng.random() < 0.5 and i + 1 < len(name):
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]  # swap neighbours
    return name[:i] + name[i + 1:]  # drop a letter


def name_variant(name: str, aliases: list[str], rng: np.random.Generator) -> tuple[str, str]:
    """(variant, kind) for one listed name; kind is one of :data:`KINDS`."""
    kind = str(rng.choice(np.array(KINDS), p=[0.12, 0.22, 0.14, 0.16, 0.12, 0.12, 0.12]))
    if kind == "alias":
        if aliases:
            return str(aliases[int(rng.integers(0, len(aliases)))]), kind
        kind = "legal_form"
    variant = {
        "exact": lambda: name,
        "legal_form": lambda: _legal_form(name),
        "abbreviation": lambda: _abbreviate(name),
        "punctuation_case": lambda: _punctuation_case(name),
        "transliteration": lambda: _transliterate(name),
        "typo": lambda: _typo(name, rng),
    }[kind]()
    return variant, kind


def clean_listed_name(name: str) -> str:
    """Drop the list's editorial notes (``(including subsidiaries)``, trailing ``*``)."""
    name = re.sub(r"\s*\((including|and its|formerly|a\.k\.a)[^)]*\)?", "", name, flags=re.I)
    return name.rstrip("* ").strip()
