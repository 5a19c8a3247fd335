"""Goods-description text as tariff lines and trade documents write it.

The tariff says "Men's or boys' shirts, knitted or crocheted: Of cotton"; an invoice says
``MENS 100% COTTON KNIT SHIRTS``. Both sides go through :func:`normalize_description`, which
folds the usual trade abbreviations back to tariff words, and training adds terse upper-case
renderings of every tariff line (:func:`trade_renderings`) so the classifier has seen the
invoice style without any real invoices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

# trade abbreviation -> tariff word(s). Applied to lower-cased text on word boundaries.
ABBREVIATIONS: dict[str, str] = {
    "mens": "men's", "men s": "men's", "wmns": "women's", "womens": "women's", "wmn": "women's",
    "ladies": "women's", "lds": "women's", "boys": "boys'", "girls": "girls'", "kids": "children's",
    "childrens": "children's", "chldrn": "children's", "infant": "babies'", "baby": "babies'",
    "knit": "knitted", "kntd": "knitted", "knt": "knitted", "wvn": "woven", "pcs": "pieces",
    "pc": "piece", "ss": "stainless steel", "s/s": "stainless steel", "alum": "aluminum",
    "aluminium": "aluminum", "al": "aluminum", "plywd": "plywood", "ply": "plywood",
    "poly": "polyester", "polyest": "polyester", "syn": "synthetic", "mmf": "man-made fibers",
    "acc": "accessories", "assy": "assembly", "elec": "electric", "equip": "equipment",
    "mach": "machine", "machy": "machinery", "auto": "automatic", "veh": "vehicle",
    "pts": "parts", "pt": "part", "frzn": "frozen", "frz": "frozen", "frsh": "fresh",
    "btl": "bottle", "btls": "bottles", "ctn": "cotton", "cttn": "cotton", "wd": "wood",
    "hdwd": "hardwood", "stl": "steel", "galv": "galvanized", "cu": "copper",
    "t shirt": "t-shirts", "tshirt": "t-shirts", "tshirts": "t-shirts", "t shirts": "t-shirts",
    "tee": "t-shirts", "tees": "t-shirts", "pvc": "poly(vinyl chloride)", "pe": "polyethylene",
    "pp": "polypropylene", "led": "light-emitting diode", "pcb": "printed circuit",
    "lcd": "liquid crystal", "hdd": "hard disk drive", "ssd": "solid-state storage",
}

# tariff word -> its trade abbreviation, used to render tariff text in invoice style
TRADE_STYLE: dict[str, str] = {
    "men's": "MENS", "women's": "WMNS", "boys'": "BOYS", "girls'": "GIRLS", "knitted": "KNIT",
    "crocheted": "", "woven": "WVN", "pieces": "PCS", "stainless steel": "SS",
    "aluminum": "ALUM", "plywood": "PLYWD", "polyester": "POLY", "synthetic": "SYN",
    "man-made fibers": "MMF", "accessories": "ACC", "assembly": "ASSY", "electric": "ELEC",
    "equipment": "EQUIP", "machinery": "MACHY", "parts": "PTS", "frozen": "FRZN",
    "galvanized": "GALV", "babies'": "BABY", "children's": "KIDS",
}

STOPWORDS = frozenset({
    "of", "or", "and", "the", "a", "an", "for", "with", "in", "on", "to", "by", "other", "than",
    "not", "whether", "its", "their", "be", "are", "is", "as", "at", "from", "nesoi",
    "n.e.s.o.i.", "thereof", "such", "kind", "kinds", "used", "type", "types",
})

_TARIFF_NOISE = re.compile(r"\(\d{3}\)|\(con\.?\)|\(\s*\d+\s*\)")
_NON_WORD = re.compile(r"[^a-z0-9%'\-]+")
_ABBREV_KEYS = sorted(ABBREVIATIONS, key=len, reverse=True)
_ABBREV = re.compile(
    r"(?<![a-z0-9'])(" + "|".join(re.escape(k) for k in _ABBREV_KEYS) + r")(?![a-z0-9'])"
)
_COTTON_SHARE = re.compile(r"containing (?:85|50) percent or more by weight of cotton")


def normalize_description(text: str) -> str:
    """Canonical form of one description: lower case, tariff words, no punctuation noise."""
    low = _TARIFF_NOISE.sub(" ", text.lower())
    low = _ABBREV.sub(lambda m: ABBREVIATIONS[m.group(1)], low)
    return " ".join(_NON_WORD.sub(" ", low).split())


def normalize_column(descriptions: pl.Series) -> pl.Series:
    """:func:`normalize_description` over a column, computed once per distinct value."""
    uniques = descriptions.fill_null("").unique()
    mapping = pl.DataFrame(
        {"raw": uniques, "norm": [normalize_description(s) for s in uniques.to_list()]}
    )
    joined = pl.DataFrame({"raw": descriptions.fill_null("")}).join(
        mapping, on="raw", how="left", maintain_order="left"
    )
    return joined["norm"]


def _content_words(segment: str) -> list[str]:
    words = _NON_WORD.sub(" ", _TARIFF_NOISE.sub(" ", segment.lower())).split()
    return [w for w in words if w not in STOPWORDS and len(w) > 1]


def _abbreviate(words: Iterable[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        short = TRADE_STYLE.get(w, w.upper())
        if short:
            out.append(short)
    return out


def trade_renderings(hierarchy: str) -> list[str]:
    """Terse invoice-style versions of one tariff description (hierarchy joined by ': ').

    General rules only: keep the leaf and its nearest ancestors' content words, abbreviate
    the usual trade words, state cotton content as ``100% COTTON``, and put the heading's
    article words last, as invoices do (``MENS COTTON KNIT T-SHIRTS``).
    """
    segments = [s.strip() for s in re.split(r":|;", hierarchy) if s.strip()]
    if not segments:
        return []
    text = hierarchy.lower()
    cotton = "100% COTTON" if _COTTON_SHARE.search(text) or "of cotton" in text else ""
    knit = "KNIT" if "knitted" in text else ""
    head = _content_words(segments[0])[:4]
    specific = [w for seg in segments[1:] for w in _content_words(seg) if w != "cotton"]
    leaf = _content_words(segments[-1])
    renders = {
        " ".join(_abbreviate(specific[-6:] + head[:3])),
        " ".join(x for x in [cotton, knit, *_abbreviate(leaf + head[:2])] if x),
        " ".join(_abbreviate(head[:3] + specific[-3:])),
    }
    if cotton:
        parts = [*_abbreviate(leaf[:2]), cotton, knit, head[0].upper() if head else ""]
        renders.add(" ".join(x for x in parts if x))
    return sorted(r for r in renders if len(r.split()) >= 2)
