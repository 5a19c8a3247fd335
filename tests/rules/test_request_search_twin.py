"""The request path's Python twin of a profile's text search finds exactly what Polars finds.

A first-seen description on a request is searched with Python's engine when the pattern is
one :func:`python_twin` vouches for; these tests hold it to Polars' answers on printable
ASCII texts, and check that it declines the syntax the two engines read apart.
"""

from __future__ import annotations

import random
import string

import polars as pl
import pytest

from tradeguard.rules import load_profile_set, shipped_profiles_dir
from tradeguard.rules._compile import _alternation
from tradeguard.rules._model import Condition, Leaf
from tradeguard.rules._request import _Searches, python_twin


def _search_leaves(cond: Condition) -> list[Leaf]:
    if isinstance(cond, Leaf):
        return [cond] if cond.op in ("contains", "matches") else []
    return [leaf for part in cond.items for leaf in _search_leaves(part)]


def _shipped_patterns() -> list[str]:
    pset = load_profile_set(shipped_profiles_dir())
    out = []
    for profile in pset.profiles:
        for leaf in _search_leaves(profile.condition):
            values = (list(pset.lists[leaf.list_ref].items) if leaf.list_ref is not None
                      else list(leaf.values))
            out.append(_alternation([str(v) for v in values], escape=leaf.op == "contains",
                                    prefix="(?i)"))
    return out


TWINNED = [
    r"(?i)(?:(?:\b(samples?|gifts?|no commercial value|n\.?c\.?v\.?)\b))",
    _alternation(["n.c.v", "free of charge", "T-SHIRT (men's)", "a+b", "50%", "#1 & co"],
                 escape=True, prefix="(?i)"),
    r"(?i)(?:(?:^used\b)|(?:\brefurb(ished)?$))",
    r"(?:[A-Z]x)",
    r"(?i)\d+[ -]?pcs\b",
    r"(?i)(?:[a-f0-9][^aeiou_]\W\w*?\D)",
    r"(?i)(?:colou?r.*?free|gr[ae]y)",
    r"^$",
    r"(?i)(?:[-ac]x|y[z-]|[^-])",
]

DECLINED = [
    r"\<word",  # start of a word in Polars' engine, a literal "<" in Python's
    r"word\>",
    r"[[:alpha:]]+",  # a POSIX class in Polars' engine, a set of brackets in Python's
    r"[a-z&&[^aeiou]]",
    r"[a--b]",
    r"a\sb",  # ASCII separators \x1c-\x1f are spaces to Python only
    r"a{2}",
    r"a{,2}",
    r"(?<name>a)",
    r"(?P<name>a)",
    r"(?-i)a",
    r"(?i)a(?i)b",
    r"a*+",
    r"a++",
    r"a???",
    r"[A-z]",
    r"[\w-z]",
    r"[a-c-e]",
    r"[]a]",
    r"\Bx",
    r"\x41",
    r"\1",
    "é",
    "a\tb",
    r"a]",
]


def _texts() -> list[str]:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + " -.#&%_()+'"
    words = ["sample", "samples", "SAMPLE", "gift", "Gifts", "n.c.v.", "NCV", "ncv", "no",
             "commercial", "value", "free of charge", "FREE OF CHARGE", "t-shirt (men's)",
             "a+b", "50%", "#1 & CO", "used", "refurbished", "refurb", "colour free",
             "color-free", "grey", "gray", "12 pcs", "12-pcs", "12pcs", "x", "Ax", "ax",
             "b-", "-", "examples", "giftshop", "_sample", "sample_"]
    texts = ["", " ", *words]
    for _ in range(400):
        picked = rng.sample(words, rng.randint(1, 4))
        noise = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        texts.append(" ".join(picked) + rng.choice(["", " ", "."]) + noise)
    for _ in range(200):
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
    return texts


@pytest.mark.parametrize("pattern", TWINNED + _shipped_patterns())
def test_twin_finds_what_polars_finds(pattern: str) -> None:
    twin = python_twin(pattern)
    assert twin is not None
    texts = _texts()
    polars = pl.Series(texts, dtype=pl.String).str.contains(pattern).to_list()
    assert [twin.search(t) is not None for t in texts] == polars


@pytest.mark.parametrize("pattern", DECLINED)
def test_twin_declines_syntax_read_apart(pattern: str) -> None:
    assert python_twin(pattern) is None


def test_searches_answer_as_polars_for_every_text() -> None:
    """Plain and other texts (non-ASCII, control characters) alike: the remembered search
    gives Polars' answer, first call or later."""
    pattern = TWINNED[0]
    texts = [*_texts()[:60], "ſample", "SAMPLE\n", "sample\x1f", "échantillon sample", "Sample"]
    polars = pl.Series(texts, dtype=pl.String).str.contains(pattern).to_list()
    search = _Searches()
    assert [search(pattern, t) for t in texts] == polars
    assert [search(pattern, t) for t in reversed(texts)] == polars[::-1]


def test_searches_pattern_polars_rejects_still_fails() -> None:
    search = _Searches()
    with pytest.raises(pl.exceptions.ComputeError):
        search(r"(?i)(?:a)\z(", "a")
