"""Batch name normalisation: script, case, punctuation, legal forms, abbreviations, keys.

Everything runs as Polars expressions over a whole column; only names containing non-ASCII
characters go through the transliterators (pypinyin for Chinese characters, unidecode for
Cyrillic, Greek, Arabic and the rest), because those have no columnar form.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import polars as pl

from tradeguard.screening.form_typos import form_typos, trade_word_typos
from tradeguard.screening.vocabulary import ABBREVIATIONS, LEADING_FORMS, LEGAL_FORMS, TITLES

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

# Order matters: longer graphemes first so "sh" is read before "s" alone.
_PHONETIC_STEPS: tuple[tuple[str, str], ...] = (
    ("[^a-z0-9]", ""),
    ("ph", "f"),
    ("sch", "s"),
    ("sh", "s"),
    ("ch", "c"),
    ("kh", "k"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("zh", "j"),
    ("ck", "k"),
    ("ou", "u"),
    ("q", "k"),
    ("c", "k"),
    ("x", "s"),
    ("z", "s"),
    ("p", "b"),
    ("v", "f"),
    ("dj", "j"),
)


#: Clean-up of a lower-cased Latin name, step by step: (regular expression, replacement).
CLEANUP_STEPS: tuple[tuple[str, str], ...] = (
    (r"\b([a-z])\.", "$1"),  # A.B.C. -> abc, N.A. -> na
    (r"\.([a-z])\b", "$1"),
    (r"['’‘`´ʻʼ]", ""),
    (r"\b(\d+)(?:st|nd|rd|th)\b", "$1"),
    ("&", " and "),
    (r"[^a-z0-9]+", " "),
)
#: Names with a character outside ASCII go through :func:`transliterate`.
NON_ASCII = r"[^\x00-\x7f]"
#: Misspelled legal-form words are looked for among a name's last this many words.
FORM_TYPO_WORDS = 3
#: Letters a sound key writes as "a" in first place, and drops after it.
FIRST_VOWELS, LATER_VOWELS = r"[aeiouyw]", r"[aeiouywh]"


def transliterate(text: str) -> str:
    """Latin spelling of a name in any script: Chinese to pinyin, the rest via unidecode."""
    from pypinyin import lazy_pinyin
    from unidecode import unidecode

    def _pinyin(match: re.Match[str]) -> str:
        return " " + " ".join(lazy_pinyin(match.group(0))) + " "

    return unidecode(_CJK.sub(_pinyin, text))


def _alternation(phrases: list[str]) -> str:
    ordered = sorted(set(phrases), key=lambda p: (-len(p), p))
    return "|".join(re.escape(p) for p in ordered)


@lru_cache(maxsize=1)
def _form_patterns() -> tuple[str, str, str, dict[str, str]]:
    phrases = [p for forms in LEGAL_FORMS.values() for p in forms] + list(LEADING_FORMS)
    trailing = rf"^(?P<body>.+?)(?P<form>(?:\s+(?:{_alternation(phrases)}))+)$"
    leading = rf"^(?P<lead>(?:(?:{_alternation(list(LEADING_FORMS))})\s+)+)(?P<body>.+)$"
    titles = rf"^(?:(?:{_alternation(list(TITLES))})\s+)+"
    code_of = {p: code for code, forms in LEGAL_FORMS.items() for p in forms}
    code_of.update({"srl": "srl", "sc": "pt", "cv": "pt", "ooo": "llc", "tov": "llc"})
    return trailing, leading, titles, code_of


def legal_form_code(form_text: str) -> str | None:
    """Canonical code of a separated legal-form text ("co ltd" -> "ltd"); the last form wins."""
    code_of = _form_patterns()[3]
    text = form_text.strip()
    if not text:
        return None
    if text in code_of:
        return code_of[text]
    words = text.split()
    # Read from the end: "corporation jsc" is a JSC.
    for size in range(len(words), 0, -1):
        tail = " ".join(words[-size:])
        if tail in code_of:
            return code_of[tail]
    return None


def _phonetic(expr: pl.Expr) -> pl.Expr:
    """Consonant skeleton of a token: vowels dropped, sound-alike letters merged.

    Why: transliterations of one name differ mostly in vowels and in how a sound is spelled
    (Usama/Osama, Hussein/Husayn, Perez from Arabic script without vowels).
    """
    key = expr
    for pattern, repl in _PHONETIC_STEPS:
        key = key.str.replace_all(pattern, repl)
    first = key.str.slice(0, 1).str.replace(FIRST_VOWELS, "a")
    rest = key.str.slice(1).str.replace_all(LATER_VOWELS, "")
    return (first + rest).str.replace_all(*_DOUBLED)


def _doubled_letters() -> tuple[str, str]:
    """One pass that writes a doubled consonant once ("bb+" -> "b" for each of them): a run
    of one letter written once never makes a run of another, so one pass over all of them
    is the same as one pass per letter."""
    letters = "bdfgjklmnrst"
    pattern = "|".join(f"({c}){c}+" for c in letters)
    return pattern, "".join(f"${{{i}}}" for i in range(1, len(letters) + 1))


_DOUBLED = _doubled_letters()


def _sound_keys(tokens: pl.Series) -> pl.Expr:
    """The sound key of each word of ``tokens`` (lists of words), each distinct word keyed
    once: a batch of names repeats its words (city, trade and legal words) many times."""
    vocab = tokens.explode().drop_nulls().unique()
    if vocab.is_empty():
        return pl.col("tokens")
    keys = pl.select(_phonetic(pl.lit(vocab))).to_series()
    return pl.col("tokens").list.eval(pl.element().replace_strict(vocab, keys))


def name_alternatives(expr: pl.Expr) -> pl.Expr:
    """Split "A/B" list entries into their alternative names (kept whole when a part is tiny)."""
    parts = expr.str.split("/")
    tiny = parts.list.eval(pl.element().str.strip_chars().str.len_chars().min()).list.first() < 3
    return pl.when(tiny | (parts.list.len() < 2)).then(pl.concat_list(expr)).otherwise(parts)


@lru_cache(maxsize=1)
def _typo_table() -> tuple[pl.Series, pl.Series]:
    """Misspellings and the legal-form words they stand for, as columns (built once: 22,000
    pairs cost about a millisecond to turn into Series on every call)."""
    typos = form_typos()
    return pl.Series(list(typos), dtype=pl.String), pl.Series(list(typos.values()),
                                                             dtype=pl.String)


@lru_cache(maxsize=1)
def _abbreviation_table() -> tuple[pl.Series, pl.Series]:
    """Abbreviations and their expansions, and misspelled trade words and their canonical
    token, as columns (built once)."""
    table = {**trade_word_typos(), **ABBREVIATIONS}
    return (pl.Series(list(table), dtype=pl.String),
            pl.Series(list(table.values()), dtype=pl.String))


def _fix_form_typos(names: pl.Series) -> pl.Series:
    """The names with misspelled legal-form words among their last three words corrected.

    Only the few names that contain such a word are rebuilt.
    """
    known, meant = _typo_table()
    words = names.str.split(" ")
    hit = pl.select(
        pl.any_horizontal(
            [
                pl.lit(words).list.get(k, null_on_oob=True).is_in(known.implode())
                for k in range(-FORM_TYPO_WORDS, 0)
            ]
        ).fill_null(False)
    ).to_series()
    rows = hit.arg_true()
    if rows.len() == 0:
        return names
    few = pl.lit(words.gather(rows))
    fixed = pl.select(
        pl.concat_list(
            few.list.head((few.list.len().cast(pl.Int64) - FORM_TYPO_WORDS).clip(0)),
            *[few.list.get(k, null_on_oob=True).replace(known, meant)
              for k in range(-FORM_TYPO_WORDS, 0)],
        )
        .list.drop_nulls()
        .list.join(" ")
    ).to_series()
    return names.scatter(rows, fixed)


def normalise_names(
    frame: pl.DataFrame, name_col: str, kind_col: str | None = None
) -> pl.DataFrame:
    """Add ``norm``, ``tokens``, ``legal_form`` and ``keys`` columns for the names in ``name_col``.

    ``kind_col`` (optional) holds the party kind: for ``person`` no legal form is separated;
    for organisations no title is removed. Without it both are tried, as for a declared party
    whose kind is unknown.
    """
    trailing, leading, titles, _ = _form_patterns()
    kind = pl.col(kind_col).fill_null("") if kind_col else pl.lit("")
    is_person = kind.str.to_lowercase() == "person"
    is_org = (~is_person) & (kind != "")
    raw = pl.col(name_col).cast(pl.String).fill_null("")
    non_ascii = raw.str.contains(NON_ASCII)
    latin = (
        pl.when(non_ascii)
        .then(raw.map_elements(transliterate, return_dtype=pl.String))
        .otherwise(raw)
    )
    text = latin.str.to_lowercase()
    for pattern, repl in CLEANUP_STEPS:
        text = text.str.replace_all(pattern, repl)
    text = text.str.strip_chars()
    out = frame.with_columns(_norm_in=text, _person=is_person, _org=is_org)
    out = out.with_columns(_fixed=_fix_form_typos(out.get_column("_norm_in")))
    # Trailing forms are read on a copy with misspelled form words corrected ("joint tsock");
    # the body keeps the name's own words, as many as the form did not take.
    words = pl.col("_norm_in").str.split(" ")
    parts = pl.col("_fixed").str.extract_groups(trailing)
    form_words = parts.struct.field("form").str.strip_chars().str.split(" ").list.len().fill_null(0)
    body = words.list.head(words.list.len() - form_words).cast(pl.List(pl.String)).list.join(" ")
    lead = pl.col("_no_trail").str.extract_groups(leading)
    out = out.with_columns(
        _form_trail=pl.when(pl.col("_person")).then(None).otherwise(parts.struct.field("form")),
        _no_trail=pl.when(pl.col("_person") | parts.struct.field("body").is_null())
        .then(pl.col("_norm_in"))
        .otherwise(body),
    ).with_columns(
        _form_lead=pl.when(pl.col("_person")).then(None).otherwise(lead.struct.field("lead")),
        _body=pl.when(pl.col("_person") | lead.struct.field("body").is_null())
        .then(pl.col("_no_trail"))
        .otherwise(lead.struct.field("body")),
    )
    body = pl.col("_body")
    untitled = body.str.replace(titles, "")
    out = out.with_columns(
        norm=pl.when(pl.col("_org") | (untitled.str.len_chars() == 0))
        .then(body)
        .otherwise(untitled),
        _form_text=pl.concat_str(
            [pl.col("_form_lead").fill_null(""), pl.col("_form_trail").fill_null("")],
            separator=" ",
        ).str.strip_chars(),
    )
    form_texts = out.get_column("_form_text").unique().to_list()
    codes = {t: legal_form_code(t) for t in form_texts if t}
    out = out.with_columns(
        legal_form=pl.col("_form_text").replace_strict(codes, default=None, return_dtype=pl.String),
        tokens=pl.col("norm")
        .str.split(" ")
        .list.eval(pl.element().replace(*_abbreviation_table()))
        .list.join(" ")
        .str.split(" ")
        .list.eval(pl.element().filter(pl.element() != "")),
    )
    out = out.with_columns(keys=_sound_keys(out.get_column("tokens")))
    return out.drop([c for c in out.columns if c.startswith("_")])


def prepared_names(frame: pl.DataFrame, name_col: str, kind_col: str | None = None) -> list[Any]:
    """Normalise a column and return one :class:`PreparedName` per row, in row order."""
    from tradeguard.screening.scorer import PreparedName

    norm = normalise_names(frame, name_col, kind_col)
    kinds = norm.get_column(kind_col).fill_null("").to_list() if kind_col else [""] * len(norm)
    return [
        PreparedName(
            text=text or "",
            tokens=tuple(tokens),
            keys=tuple(keys),
            legal_form=form,
            kind=(kind or "").lower(),
        )
        for text, tokens, keys, form, kind in zip(
            norm.get_column(name_col).to_list(),
            norm.get_column("tokens").to_list(),
            norm.get_column("keys").to_list(),
            norm.get_column("legal_form").to_list(),
            kinds,
            strict=True,
        )
    ]
