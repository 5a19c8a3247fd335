"""Xinjiang (XUAR) place names in English, pinyin, Chinese characters and Uyghur spellings.

Used to corroborate addresses and, later, by the forced-labor detector: a supplier address in
the region is a UFLPA presumption trigger whichever spelling the paperwork uses.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

# Canonical place -> spellings (lower-case Latin spellings are matched on word boundaries).
XUAR_PLACES: dict[str, tuple[str, ...]] = {
    "Xinjiang": (
        "xinjiang",
        "新疆",
        "xuar",
        "east turkestan",
        "east turkistan",
        "sinkiang",
        "uyghur autonomous region",
        "uighur autonomous region",
    ),
    "Urumqi": ("urumqi", "ürümqi", "urumchi", "wulumuqi", "乌鲁木齐", "ürümchi"),
    "Kashgar": ("kashgar", "kashi", "qeshqer", "喀什"),
    "Hotan": ("hotan", "hetian", "khotan", "xoten", "和田"),
    "Aksu": ("aksu", "akesu", "aqsu", "阿克苏"),
    "Shihezi": ("shihezi", "石河子"),
    "Turpan": ("turpan", "turfan", "tulufan", "吐鲁番"),
    "Korla": ("korla", "kuerle", "库尔勒"),
    "Changji": ("changji", "sanji", "昌吉"),
    "Hami": ("hami", "kumul", "qumul", "哈密"),
    "Karamay": ("karamay", "kelamayi", "qaramay", "克拉玛依"),
    "Yining": ("yining", "ghulja", "gulja", "kulja", "伊宁", "yili", "ili", "伊犁"),
    "Bortala": ("bortala", "boertala", "bole", "博尔塔拉"),
    "Tacheng": ("tacheng", "chochek", "qoqek", "塔城"),
    "Altay": ("altay", "aletai", "altai", "阿勒泰"),
    "Kizilsu": ("kizilsu", "kezilesu", "qizilsu", "克孜勒苏"),
    "Bayingolin": ("bayingolin", "bayinguoleng", "bayingol", "巴音郭楞"),
    "Wujiaqu": ("wujiaqu", "五家渠"),
    "Tumxuk": ("tumxuk", "tumushuke", "图木舒克"),
    "Aral": ("alar", "aral city", "阿拉尔"),
}
# Spellings that are also common words elsewhere stay out of the loose matcher.
_AMBIGUOUS = frozenset({"ili", "bole", "aral city", "altai", "kashi", "hami", "sanji"})


@lru_cache(maxsize=2)
def _pattern(strict: bool) -> str:
    latin: list[str] = []
    han: list[str] = []
    for spellings in XUAR_PLACES.values():
        for s in spellings:
            if strict and s in _AMBIGUOUS:
                continue
            (han if re.search(r"[\u4e00-\u9fff]", s) else latin).append(re.escape(s))
    latin.sort(key=len, reverse=True)
    return rf"(?i)\b(?:{'|'.join(latin)})\b|(?:{'|'.join(han)})"


def xuar_pattern(*, strict: bool = True) -> str:
    """The regular expression of Xinjiang place spellings (strict: skip spellings common
    elsewhere), for callers that search one text at a time."""
    return _pattern(strict)


def xuar_mentioned(text: str | None, *, strict: bool = True) -> bool:
    """Whether ``text`` names a place in Xinjiang (strict: skip spellings common elsewhere)."""
    return bool(text) and re.search(_pattern(strict), text or "") is not None


def xuar_places(column: pl.Expr, *, strict: bool = True) -> pl.Expr:
    """Vectorised: the Xinjiang place spellings found in each value of ``column`` (list[str])."""
    return column.str.extract_all(_pattern(strict))


def xuar_flag(column: pl.Expr, *, strict: bool = True) -> pl.Expr:
    """Vectorised: True where the address column names a place in Xinjiang."""
    return column.str.contains(_pattern(strict)).fill_null(False)
