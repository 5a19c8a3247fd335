"""Keep declared party names and addresses out of exports and logged assessments.

Names and addresses of an importer's trading partners are confidential business information.
Findings quote them for the officer who reviews the entry, but assessments are exported,
logged and sent onward, so their plain-language reasons carry role labels instead
("[manufacturer] matches UFLPA Entity List entry ..."). Replacement is one Aho-Corasick pass
(Polars ``str.replace_many``) over the distinct reasons, not a loop per line.

A batch declares some 16,000 names and addresses but its reasons quote a few hundred, and
building the automaton costs far more than running it. So the patterns are first narrowed, by
joins on words, to the values that can occur in these reasons (:func:`_may_occur`); a value
that does occur is never dropped, so the result is the same as replacing every value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from tradeguard.frame_reads import column_types, row_tuples
from tradeguard.request_path import REQUEST_LINES

# Declared fields treated as confidential in exports, with the label that replaces them.
CONFIDENTIAL_FIELDS: dict[str, str] = {
    "importer_name": "[importer]",
    "importer_address": "[importer address]",
    "manufacturer_name": "[manufacturer]",
    "manufacturer_address": "[manufacturer address]",
    "seller_name": "[seller]",
    "supplier_name": "[supplier]",
    "supplier_address": "[supplier address]",
    "buyer_name": "[buyer]",
}

# Shorter values are left alone: replacing "AB" would mangle ordinary words.
MIN_REDACTED_CHARS = 4

# A word: a run of ASCII letters and digits, the only characters matching folds the case of.
_WORD = r"[A-Za-z0-9]+"
# The characters whose lower case holds an ASCII letter: the dotted capital I (i and a
# combining dot) and the Kelvin sign (k).
_FOLDS_TO_ASCII = "[\u0130\u212a]"


#: Up to this many rows (a scoring request's lines), values and texts are looked at in Python:
#: the general path's dozen or more queries cost ~100 us each whatever the size.
SMALL_FRAME_ROWS = REQUEST_LINES
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def confidential_values(*frames: pl.DataFrame | None) -> pl.DataFrame:
    """Distinct confidential values in ``frames`` with their labels, longest first.

    A value keeps the label of the first field it appears in. Each field's distinct raw
    values are taken first (a batch repeats a party on every line of every entry it is on),
    in order of appearance, so stripping and the dedup across fields see thousands of rows
    rather than hundreds of thousands; the first appearances, hence the result, are the same.
    """
    if sum(f.height for f in frames if f is not None) <= SMALL_FRAME_ROWS:
        small = _small_confidential_values(frames)
        if small is not None:
            return small
    parts = [
        frame.select(pl.col(field).unique(maintain_order=True).cast(pl.String)
                     .str.strip_chars().alias("value"), pl.lit(label).alias("label"))
        for frame in frames if frame is not None
        for field, label in CONFIDENTIAL_FIELDS.items() if field in frame.columns
    ]
    if not parts:
        return pl.DataFrame(schema={"value": pl.String, "label": pl.String})
    return (pl.concat(parts).drop_nulls()
            .filter(pl.col("value").str.len_chars() >= MIN_REDACTED_CHARS)
            .unique("value", keep="first", maintain_order=True)
            .sort(pl.col("value").str.len_chars(), descending=True))


def _small_confidential_values(frames: tuple[pl.DataFrame | None, ...]) -> pl.DataFrame | None:
    """:func:`confidential_values` of a few rows, read in Python up to the final sort (the
    same rows in the same order, so the sort gives the same frame); None when some value is
    not text or has anything to strip (see :func:`_small_values`)."""
    rows = _small_values(frames)
    if rows is None:
        return None
    values = list(rows)
    if len({len(v) for v in values}) == len(values):  # no ties: one order, longest first
        values.sort(key=len, reverse=True)
    out = pl.DataFrame({"value": values, "label": [rows[v] for v in values]},
                       schema={"value": pl.String, "label": pl.String})
    if len({len(v) for v in values}) < len(values):  # ties: the general path's sort orders them
        return out.sort(pl.col("value").str.len_chars(), descending=True)
    return out


def _small_values(frames: tuple[pl.DataFrame | None, ...]) -> dict[str, str] | None:
    """Value -> label of a few rows' confidential values in order of first appearance; None
    when some value is not text or has anything to strip (Python strips every character
    Polars strips, so a value Python leaves alone is one Polars leaves alone)."""
    rows: dict[str, str] = {}
    for frame in frames:
        if frame is None:
            continue
        # read once per frame and shared (the declaration frame's other steps read it too)
        types = column_types(frame)
        at = {name: i for i, name in enumerate(types)}
        lines = row_tuples(frame)
        for field, label in CONFIDENTIAL_FIELDS.items():
            if field not in types:
                continue
            if type(types[field]) is not pl.String:  # a plain type: its class says it
                return None
            i = at[field]
            for value in [line[i] for line in lines]:
                if value is None:
                    continue
                if value.strip() != value:
                    return None
                if len(value) >= MIN_REDACTED_CHARS and value not in rows:
                    rows[value] = label
    return rows


def _none_occurs(values: Sequence[str | None], found: list[Any], lists: bool) -> bool:
    """Whether none of ``values`` occurs in any of a few texts ``found`` (text, or lists of
    text when ``lists``), ignoring ASCII case."""
    if lists:
        found = [t for ts in found if ts is not None for t in ts]
    lowered = [_ascii_lower(t) for t in found if t is not None]
    return not any(v in t for v in [_ascii_lower(v) for v in values if v is not None]
                   for t in lowered)


def _ascii_lower(text: str) -> str:
    """``text`` with ASCII letters lower-cased, nothing else changed (``str.lower`` does
    just that to ASCII text, and costs less than a translation table)."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def redact_declared(frame: pl.DataFrame, column: str,
                    *frames: pl.DataFrame | None) -> pl.DataFrame:
    """``redact_texts(frame, column, confidential_values(*frames))``, the same frame.

    A request's few reasons almost never quote a declared party, so for a few rows the
    values are gathered and looked for in Python first, and when none occurs the frame is
    returned without building the values' frame (what :func:`redact_texts` then returns).
    """
    if (frame.height <= SMALL_FRAME_ROWS and column in frame.columns
            and sum(f.height for f in frames if f is not None) <= SMALL_FRAME_ROWS):
        texts = frame.get_column(column)
        lists = _text_kind(texts.dtype)
        if lists is not None:
            rows = _small_values(frames)
            if rows is not None and _none_occurs(list(rows), texts.to_list(), lists):
                return frame
    return redact_texts(frame, column, confidential_values(*frames))


def _text_kind(dtype: pl.DataType) -> bool | None:
    """Whether a text column's type (text, or lists of text) is the list one; None for any
    other type (told by classes: a Polars type comparison runs Python code per pair)."""
    if type(dtype) is pl.String:
        return False
    if type(dtype) is pl.List and type(getattr(dtype, "inner", None)) is pl.String:
        return True
    return None


def redact_texts(frame: pl.DataFrame, column: str, values: pl.DataFrame) -> pl.DataFrame:
    """``column`` (text or list of text) with every confidential value replaced by its label.

    Matching ignores ASCII case. A value is replaced before any value it contains
    (:func:`_passes`): ``str.replace_many`` replaces the match that ends first, so with "Acme"
    and "Acme Park 12, Shenzhen" both declared one pass would leave "[manufacturer] Park 12,
    Shenzhen" and leak the address. Values that occur in no text never match, so dropping
    them first changes nothing.
    """
    if values.is_empty() or column not in frame.columns:
        return frame
    texts = frame.get_column(column)
    kind = _text_kind(texts.dtype)
    if frame.height <= SMALL_FRAME_ROWS and kind is not None and _none_occurs(
            values.get_column("value").to_list(), texts.to_list(), kind):
        return frame
    is_list = isinstance(texts.dtype, pl.List)
    distinct = (texts.explode() if is_list else texts).drop_nulls().unique()
    values = values.filter(_may_occur(values.get_column("value"), distinct))
    if values.is_empty():
        return frame
    redacted = distinct
    for batch in _passes(values):
        redacted = redacted.str.replace_many(batch["value"].to_list(), batch["label"].to_list(),
                                             ascii_case_insensitive=True)
    changed = redacted != distinct
    if not changed.any():
        return frame
    before, after = distinct.filter(changed), redacted.filter(changed)
    col = pl.col(column)
    if is_list:
        return frame.with_columns(col.list.eval(pl.element().replace(before, after)))
    return frame.with_columns(col.replace(before, after))


def _passes(values: pl.DataFrame) -> list[pl.DataFrame]:
    """``values`` cut into replacement passes, outermost first: each value in a later pass
    than every value that contains it (compared lower-cased, which finds every containment
    ASCII-case-insensitive matching can see). Names rarely nest, so there are one or two."""
    low = values.get_column("value").str.to_lowercase()
    inside = pl.DataFrame({"outer": low, "inner": low.str.extract_many(
        low.to_list(), overlapping=True)}).explode("inner").filter(
        pl.col("inner").is_not_null() & (pl.col("inner") != pl.col("outer"))).unique()
    depth = pl.DataFrame({"value": low.unique(), "depth": 0})
    # A value's pass is one more than the deepest value containing it; nesting is a chain of
    # ever longer values, so this settles within as many rounds as the longest chain.
    for _ in range(low.len()):
        lifted = inside.join(depth, left_on="outer", right_on="value").group_by("inner").agg(
            (pl.col("depth").max() + 1).alias("lifted"))
        deeper = depth.join(lifted, left_on="value", right_on="inner", how="left").select(
            "value", pl.max_horizontal("depth", pl.col("lifted").fill_null(0)).alias("depth"))
        if deeper.sort("value").equals(depth.sort("value")):
            break
        depth = deeper
    passes = values.with_columns(low.alias("_low")).join(
        depth, left_on="_low", right_on="value", how="left", maintain_order="left")
    return [passes.filter(pl.col("depth") == d).drop("_low", "depth")
            for d in sorted(passes.get_column("depth").unique().to_list())]


def _words(strings: pl.Series) -> pl.DataFrame:
    """One row per word of ``strings``, lower-cased and in order; ``id`` is the string's row.

    Lower-casing whole strings first, then finding words, is cheaper than lower-casing each
    word and gives the same words, unless a string holds a character whose lower case holds
    an ASCII letter (:data:`_FOLDS_TO_ASCII`): then words are found first.
    """
    if strings.str.contains(_FOLDS_TO_ASCII).any():
        return (pl.DataFrame({"word": strings.str.extract_all(_WORD)}).with_row_index("id")
                .explode("word").drop_nulls("word")
                .with_columns(pl.col("word").str.to_lowercase()))
    return (pl.DataFrame({"word": strings.str.to_lowercase().str.extract_all(_WORD)})
            .with_row_index("id").explode("word").drop_nulls("word"))


def _neighbours(words: pl.DataFrame) -> pl.DataFrame:
    """Each pair of neighbouring ``words`` of one string, and whether it starts or ends it."""
    same = pl.col("id")
    return words.select(
        "id", pl.col("word").alias("left"), pl.col("word").shift(-1).alias("right"),
        (same.shift(1) != same).fill_null(True).alias("first"),
        (same.shift(-2) != same).fill_null(True).alias("last"),
        (same.shift(-1) == same).alias("pair"),
    ).filter("pair").drop("pair")


def _may_occur(values: pl.Series, texts: pl.Series) -> pl.Series:
    """False only for values that occur in none of ``texts``, even ignoring ASCII case.

    Words are runs of ASCII letters and digits, compared lower-cased. Where a value occurs in
    a text, its words follow each other there too; a word with another character on both
    sides in the value is a whole word of the text, the value's first word (if the value
    starts with it) ends a word of the text and its last word (if the value ends with it)
    starts one. So each pair of neighbouring words of the value must be a pair of
    neighbouring words of some text, compared that way, and a value of one enclosed word
    must be a word of some text. Pairs of two such partial words, and values of one partial
    word, are not checked: those values are kept.
    """
    text_words = _words(texts)
    text_pairs = _neighbours(text_words).select("left", "right").unique()
    open_start = pl.lit(values.str.contains(r"^[A-Za-z0-9]")).gather(pl.col("id"))
    open_end = pl.lit(values.str.contains(r"[A-Za-z0-9]$")).gather(pl.col("id"))
    value_words = _words(values)
    pairs = _neighbours(value_words).with_row_index("pair").select(
        "pair", "id", "left", "right",
        (pl.col("first") & open_start).alias("left_partial"),
        (pl.col("last") & open_end).alias("right_partial"))
    left_whole, right_whole = ~pl.col("left_partial"), ~pl.col("right_partial")
    whole = pairs.filter(left_whole & right_whole)
    ends_left = pairs.filter(~left_whole & right_whole)
    starts_right = pairs.filter(left_whole & ~right_whole)
    found = pl.concat([
        whole.join(text_pairs, on=["left", "right"], how="semi").select("pair"),
        ends_left.join(text_pairs, on="right", suffix="_text")
        .filter(pl.col("left_text").str.ends_with(pl.col("left"))).select("pair"),
        starts_right.join(text_pairs, on="left", suffix="_text")
        .filter(pl.col("right_text").str.starts_with(pl.col("right"))).select("pair"),
    ])
    missing_pair = (pairs.filter(left_whole | right_whole)
                    .join(found, on="pair", how="anti").get_column("id"))
    # Values of one word with a character other than a letter or digit on both sides.
    one_word = value_words.filter(pl.len().over("id") == 1).filter(~open_start & ~open_end)
    known = text_words.get_column("word").unique().implode()
    missing_word = one_word.filter(~pl.col("word").is_in(known)).get_column("id")
    missing = pl.concat([missing_pair, missing_word]).implode()
    return ~pl.int_range(values.len(), eager=True, dtype=pl.UInt32).is_in(missing)


def declared_parties(*records: Mapping[str, Any] | None) -> dict[str, str]:
    """Label -> declared value for one line's view (its entry header, the line, its declared
    suppliers), keeping only labels with exactly one declared value: with two suppliers,
    "[supplier]" cannot be told back and stays a label."""
    seen: dict[str, set[str]] = {}
    for record in records:
        for field, label in CONFIDENTIAL_FIELDS.items():
            value = record.get(field) if record else None
            if isinstance(value, str) and len(value.strip()) >= MIN_REDACTED_CHARS:
                seen.setdefault(label, set()).add(value.strip())
    return {label: next(iter(values)) for label, values in seen.items() if len(values) == 1}


def restore_labels(texts: Sequence[str], parties: Mapping[str, str]) -> list[str]:
    """Reasons with role labels put back to the declared names, for a viewer entitled to the
    entry (the officer reviewing it); stored and exported reasons keep the labels."""
    if not parties:
        return list(texts)
    out = []
    for text in texts:
        for label, value in parties.items():
            text = text.replace(label, value)
        out.append(text)
    return out
