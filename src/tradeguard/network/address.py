"""Address keys: one spelling for the many ways one delivery or business address is written.

Consignees splitting an order and importers sharing an office write the same address as
``12 MAIN ST APT 4``, ``12 Main Street #4`` or ``12 main st, apt 4``; the key lower-cases,
drops punctuation, spells street types and unit markers one way and keeps every digit, so
those meet while neighbouring houses (a different number) do not.
"""

from __future__ import annotations

import polars as pl

# Street and unit words as the U.S. Postal Service abbreviates them (Publication 28), plus the
# common words of foreign factory addresses; every spelling maps to one short form.
STREET_WORDS: dict[str, str] = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "drive": "dr", "road": "rd",
    "lane": "ln", "boulevard": "blvd", "court": "ct", "place": "pl", "parkway": "pkwy",
    "highway": "hwy", "square": "sq", "terrace": "ter", "circle": "cir", "suite": "ste",
    "building": "bldg", "floor": "fl", "north": "n", "south": "s", "east": "e", "west": "w",
    "district": "dist", "industrial": "ind", "zone": "zn", "number": "no",
}
# Unit markers carry no identity of their own: the unit number after them does.
UNIT_WORDS: tuple[str, ...] = ("apt", "apartment", "unit", "ste", "room", "rm", "no")


def address_key(expr: pl.Expr) -> pl.Expr:
    """A comparable key of an address column (empty string for a missing address)."""
    text = (
        expr.cast(pl.String).fill_null("").str.to_lowercase()
        .str.replace_all("#", " apt ")
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
    )
    words = text.str.split(" ").list.eval(
        pl.element().replace(STREET_WORDS)
        .filter(~pl.element().is_in(list(UNIT_WORDS)) & (pl.element() != ""))
    )
    return words.list.join(" ")


def street_number(expr: pl.Expr) -> pl.Expr:
    """The first number of an address (house or building number), or null."""
    return expr.cast(pl.String).str.extract(r"(\d+)", 1)
