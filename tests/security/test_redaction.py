from __future__ import annotations

import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tradeguard.security.redaction import (
    CONFIDENTIAL_FIELDS,
    _may_occur,
    _words,
    confidential_values,
    declared_parties,
    redact_texts,
    restore_labels,
)


def test_declared_names_become_role_labels_in_reason_lists() -> None:
    declared = pl.DataFrame({"manufacturer_name": ["Hoshine Silicon Co", "Abc"],
                             "seller_name": ["Blue River Trading", None]})
    chain = pl.DataFrame({"supplier_name": ["Xinjiang Polysilicon Works"]})
    values = confidential_values(declared, chain)
    assert "Abc" not in values["value"].to_list()  # too short to replace safely
    frame = pl.DataFrame({"reason_texts": [[
        "HOSHINE SILICON CO matches a UFLPA Entity List entry",
        "tier 2 supplier Xinjiang Polysilicon Works is in XUAR",
        "Abc sells through Blue River Trading"]]})
    out = redact_texts(frame, "reason_texts", values)["reason_texts"].to_list()[0]
    assert out == ["[manufacturer] matches a UFLPA Entity List entry",
                   "tier 2 supplier [supplier] is in XUAR",
                   "Abc sells through [seller]"]


def test_plain_text_column_and_nothing_to_redact() -> None:
    frame = pl.DataFrame({"text": ["made by Acme Widgets Ltd"]})
    values = confidential_values(pl.DataFrame({"manufacturer_name": ["Acme Widgets Ltd"]}))
    assert redact_texts(frame, "text", values)["text"][0] == "made by [manufacturer]"
    assert redact_texts(frame, "text", confidential_values(None)).equals(frame)


# Letters and digits few enough that values often share words; separators, and characters
# ASCII case folding must leave alone: the Kelvin sign, a dotted capital I, final sigma.
_ALPHABET = "aAbBcC19 .,-()/éÉKİΣß"
_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _replace_every_value(frame: pl.DataFrame, column: str, values: pl.DataFrame) -> pl.DataFrame:
    """Every value replaced, without narrowing them first: a value after every value that
    contains it (found by plain Python), the others in the order given."""
    if values.is_empty():
        return frame
    rows = list(zip(values["value"].to_list(), values["label"].to_list(), strict=True))
    low = [v.lower() for v, _ in rows]
    depth = [0] * len(rows)
    for _ in rows:
        depth = [max([depth[j] + 1 for j in range(len(rows))
                      if low[j] != low[i] and low[i] in low[j]], default=0)
                 for i in range(len(rows))]
    for d in sorted(set(depth)):
        batch = [r for r, k in zip(rows, depth, strict=True) if k == d]
        text = pl.element() if isinstance(frame.schema[column], pl.List) else pl.col(column)
        replaced = text.str.replace_many([v for v, _ in batch], [lab for _, lab in batch],
                                         ascii_case_insensitive=True)
        if isinstance(frame.schema[column], pl.List):
            replaced = pl.col(column).list.eval(replaced)
        frame = frame.with_columns(replaced.alias(column))
    return frame


def test_a_value_is_replaced_before_the_shorter_ones_inside_it() -> None:
    # replacing "Acme" first would leave "[manufacturer] Park 12, Shenzhen": the address leaks
    declared = pl.DataFrame({"manufacturer_name": ["Acme"],
                             "manufacturer_address": ["Acme Park 12, Shenzhen"],
                             "seller_name": ["Acme Park 12, Shenzhen Branch"]})
    frame = pl.DataFrame({"text": ["plant at ACME PARK 12, SHENZHEN; acme ships",
                                   "sold by Acme Park 12, Shenzhen Branch"]})
    out = redact_texts(frame, "text", confidential_values(declared))["text"].to_list()
    assert out == ["plant at [manufacturer address]; [manufacturer] ships", "sold by [seller]"]


@st.composite
def _declared_and_quoted(draw: st.DrawFn) -> tuple[pl.DataFrame, list[list[str] | None]]:
    """Declared names, and reason lists quoting some of them in random ASCII case."""
    names = draw(st.lists(st.text(_ALPHABET, min_size=1, max_size=14), min_size=1,
                          max_size=12, unique=True))
    labelled = draw(st.lists(st.sampled_from(sorted(CONFIDENTIAL_FIELDS)), min_size=len(names),
                             max_size=len(names)))
    declared = pl.DataFrame({field: [n if f == field else None for n, f in zip(
        names, labelled, strict=True)] for field in sorted(set(labelled))},
        schema={field: pl.String for field in sorted(set(labelled))})

    def reason() -> str:
        parts = []
        for _ in range(draw(st.integers(0, 4))):
            parts.append(draw(st.text(_ALPHABET, max_size=6)))
            quoted = draw(st.sampled_from(names))
            upper = draw(st.lists(st.booleans(), min_size=len(quoted), max_size=len(quoted)))
            parts.append("".join(c.upper() if u and c.isascii() else c.lower() if c.isascii()
                                 else c for c, u in zip(quoted, upper, strict=True)))
        parts.append(draw(st.text(_ALPHABET, max_size=6)))
        return "".join(parts)

    reasons: list[list[str] | None] = [
        None if draw(st.integers(0, 9)) == 0 else [reason() for _ in range(draw(st.integers(0, 3)))]
        for _ in range(draw(st.integers(1, 6)))]
    return declared, reasons


@settings(max_examples=200, deadline=None)
@given(_declared_and_quoted())
def test_same_result_as_replacing_every_declared_value(
    sample: tuple[pl.DataFrame, list[list[str] | None]],
) -> None:
    declared, reasons = sample
    values = confidential_values(declared)
    lists = pl.DataFrame({"reason_texts": reasons}, schema={"reason_texts": pl.List(pl.String)})
    assert_frame_equal(redact_texts(lists, "reason_texts", values),
                       _replace_every_value(lists, "reason_texts", values))
    flat = lists.explode("reason_texts")
    assert_frame_equal(redact_texts(flat, "reason_texts", values),
                       _replace_every_value(flat, "reason_texts", values))


@settings(max_examples=200, deadline=None)
@given(_declared_and_quoted())
def test_narrowing_keeps_every_value_that_occurs(
    sample: tuple[pl.DataFrame, list[list[str] | None]],
) -> None:
    declared, reasons = sample
    values = confidential_values(declared)["value"]
    texts = pl.Series([t for ts in reasons if ts for t in ts], dtype=pl.String)
    kept = _may_occur(values, texts).to_list()
    folded = [t.translate(_ASCII_FOLD) for t in texts.to_list()]
    for value, keep in zip(values.to_list(), kept, strict=True):
        if any(value.translate(_ASCII_FOLD) in text for text in folded):
            assert keep, value


def test_values_no_reason_can_quote_are_left_out_of_the_pass() -> None:
    values = pl.Series(["Hoshine Silicon Industry Co", "Blue River Trading Ltd",
                        "Silicon River Trading", "Acme Widgets"])
    texts = pl.Series(["XHoshine Silicon Industry Coy quotes nobody else",
                       "tier 2 supplier Blue river TRADING is in XUAR"])
    # "Acme Widgets" has no word inside it, so it cannot be ruled out by words.
    assert _may_occur(values, texts).to_list() == [True, False, False, True]


def test_glued_and_case_folded_names_are_replaced_like_before() -> None:
    declared = pl.DataFrame({"manufacturer_name": ["Acme Widgets Ltd.", "Zeta Kelvin Works"],
                             "importer_name": ["Société Générale SA", None]})
    values = confidential_values(declared)
    frame = pl.DataFrame({"text": [
        "xACME WIDGETS LTD.y and acme widgets ltd.",
        "SOCIéTé GéNéRALE SA, but not SOCIÉTÉ GÉNÉRALE SA",
        "zeta \u212aelvin works is not zeta kelvin works",
        None]})
    out = redact_texts(frame, "text", values)
    assert out["text"].to_list() == [
        "x[manufacturer]y and [manufacturer]",
        "[importer], but not SOCIÉTÉ GÉNÉRALE SA",
        "zeta \u212aelvin works is not [manufacturer]",
        None]
    assert_frame_equal(out, _replace_every_value(frame, "text", values))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_ALPHABET + "Ǆǅ", max_size=20), max_size=8))
def test_words_are_the_ascii_runs_lower_cased(strings: list[str]) -> None:
    """Found on the lower-cased strings, or before lower-casing when a character would fold
    into an ASCII letter (the Kelvin sign, the dotted capital I): the same words either way."""
    words = _words(pl.Series(strings, dtype=pl.String))
    expected = [(i, w.lower()) for i, s in enumerate(strings)
                for w in re.findall(r"[A-Za-z0-9]+", s)]
    assert list(zip(words["id"].to_list(), words["word"].to_list(), strict=True)) == expected


def test_a_value_keeps_the_label_of_the_first_field_it_appears_in() -> None:
    declared = pl.DataFrame({"importer_name": ["Acme Co ", "Acme Co", "Blue Sea"],
                             "seller_name": ["Blue Sea", " Acme Co", "Zeta Trading Ltd"]})
    chain = pl.DataFrame({"supplier_name": ["Zeta Trading Ltd", "Xinjiang Works"]})
    values = confidential_values(declared, chain)
    assert values.rows() == [("Zeta Trading Ltd", "[seller]"), ("Xinjiang Works", "[supplier]"),
                             ("Blue Sea", "[importer]"), ("Acme Co", "[importer]")]


def test_the_reviewing_officer_reads_the_declared_names_back() -> None:
    """Stored reasons carry labels; the entry's own page puts its declared names back, except
    a label with two candidates on the line (two suppliers), which stays a label."""
    header = {"importer_name": "Evergreen Rubber Imports LLC", "importer_address": None}
    line = {"seller_name": "Tanyuan Tech Co", "manufacturer_name": "Abc"}
    chain = [{"supplier_name": "Red Hill Cotton"}, {"supplier_name": "Blue Lake Yarn"}]
    parties = declared_parties(header, line, *chain)
    assert parties == {"[importer]": "Evergreen Rubber Imports LLC",
                       "[seller]": "Tanyuan Tech Co"}
    texts = ["Seller '[seller]' matches the UFLPA Entity List entry 'Tanyuan Technology'",
             "[supplier] is in XUAR; [manufacturer] is new"]
    assert restore_labels(texts, parties) == [
        "Seller 'Tanyuan Tech Co' matches the UFLPA Entity List entry 'Tanyuan Technology'",
        "[supplier] is in XUAR; [manufacturer] is new"]
    # round trip with the batch redaction: what it labels, the page restores
    declared = pl.DataFrame({"seller_name": ["Tanyuan Tech Co"]})
    frame = pl.DataFrame({"reason_texts": [[texts[0].replace("[seller]", "TANYUAN TECH CO")]]})
    stored = redact_texts(frame, "reason_texts", confidential_values(declared))
    assert restore_labels(stored["reason_texts"][0].to_list(), parties)[0] == texts[0].replace(
        "[seller]", "Tanyuan Tech Co")
