"""Hostile-text rules for every text cell of a contract file, as vectorised Polars expressions.

Declared text travels far: into the store, the rejects CSV, exports, notices and evidence
packs that officers and filers open in a spreadsheet or a terminal. Three kinds of cell are
therefore refused at the boundary (the row is quarantined with the field and the reason):

- **Too long.** Every text field has a maximum length by its kind (:class:`TextKind`):
  generous for real declarations, bounded so one cell cannot bloat storage, logs or reports.
- **Control characters.** C0 controls (NUL, BEL, ESC ...), DEL and C1 controls hide text or
  drive terminals (ANSI escapes) and never belong in a declaration. Tab, line feed and
  carriage return are layout, allowed inside addresses and descriptions only (multi-line
  cells); in names and codes they are refused too.
- **Spreadsheet formulas** (OWASP "CSV injection"). Cells are trimmed first, so a leading tab
  or carriage return cannot hide a formula. A value starting with ``=`` or ``@`` is refused:
  no name, address, description or code on a customs declaration starts with either. A
  leading ``+`` or ``-`` is common in real data (``- 20 PCS``, ``+86 21 5555 1234``, ``-40C
  FREEZER``, a lone ``-``), so it is refused only when the rest looks like a formula: a
  function call (``HYPERLINK(``), or ``|`` / ``!`` (DDE and external references such as
  ``cmd|' /C calc'!A0``). Numbers are typed as numbers, never as text, so a signed number
  never reaches these rules.

Text that passes can still begin with ``+`` or ``-``, so whatever writes cells for a
spreadsheet also runs :func:`spreadsheet_safe` (OWASP: prefix a single quote).
"""

from __future__ import annotations

import re
from enum import StrEnum

import polars as pl


class TextKind(StrEnum):
    """What a text field holds, which sets its maximum length and whether it may span lines."""

    CODE = "code"  # filer codes, SCAC, MID, importer numbers, bills of lading, tracking ids
    NAME = "name"  # party names, materials
    ADDRESS = "address"
    DESCRIPTION = "description"  # goods as declared
    LIST = "list"  # several codes in one cell, ;-separated


#: Longest value accepted, in characters, per kind of text field.
MAX_CHARS: dict[TextKind, int] = {
    TextKind.CODE: 64,
    TextKind.NAME: 500,
    TextKind.ADDRESS: 500,
    TextKind.DESCRIPTION: 2_000,
    TextKind.LIST: 500,
}
#: Longest value accepted in a column the contract does not know (kept in ``extra``).
MAX_EXTRA_CHARS = 2_000
#: Kinds whose cells may contain tab, line feed and carriage return inside the text.
MULTI_LINE: frozenset[TextKind] = frozenset({TextKind.ADDRESS, TextKind.DESCRIPTION})

# Rust regex: \x7F-\x9F inside a class is DEL and the C1 controls (U+0080..U+009F).
_CONTROL = r"[\x00-\x1F\x7F-\x9F]"
_CONTROL_BUT_LAYOUT = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"
# = or @ first; or + / - first and, later, a function call or a DDE / external reference.
_FORMULA = r"(?s)^(?:[=@]|[+\-].*(?:[|!]|[A-Za-z_][A-Za-z0-9_.]*\())"
# Cells a spreadsheet would evaluate (before trimming, so tab and CR count).
_FORMULA_LEAD = r"^[=+\-@\t\r]"


def suspect(cell: pl.Expr, max_chars: int, multi_line: bool) -> pl.Expr:
    """Cheap pre-check: could :func:`text_reasons` reject this cell?

    Almost every cell passes, and building reason texts for a whole batch costs more than
    the checks, so reasons are only built for the columns where some cell is suspect. Byte
    length bounds character length from above, so ``len_bytes`` is a safe first test.
    """
    control = _CONTROL_BUT_LAYOUT if multi_line else _CONTROL
    return (cell.str.len_bytes() > max_chars) | cell.str.contains(f"^[=@+\\-]|{control}")


_SUSPECT = {multi: re.compile(f"^[=@+\\-]|{_CONTROL_BUT_LAYOUT if multi else _CONTROL}")
            for multi in (False, True)}


def suspect_text(cell: str, max_chars: int, multi_line: bool) -> bool:
    """:func:`suspect` for one trimmed, non-empty cell in Python (the same patterns): a
    request's few cells are checked without a query."""
    return len(cell.encode("utf-8")) > max_chars or _SUSPECT[multi_line].search(cell) is not None


def text_checks(cell: pl.Expr, max_chars: int, multi_line: bool) -> list[tuple[pl.Expr, pl.Expr]]:
    """(fails, reason) pairs for one trimmed text cell; a reason is only built where it fails."""
    length = cell.str.len_chars()
    control = _CONTROL_BUT_LAYOUT if multi_line else _CONTROL
    first = cell.str.extract(f"({control})", 1)
    allowed = "only tab and line breaks are allowed" if multi_line else "remove them"
    return [
        (length > max_chars,
         pl.format(f"longer than {max_chars:,} characters ({{}} given)", length)),
        (cell.str.contains(control),
         pl.format(f"contains control characters (first {{}}); {allowed}", _codepoint(first))),
        (cell.str.contains(_FORMULA),
         pl.format(
             "possible spreadsheet formula {}: a value may not start with = or @, nor with "
             "+ or - followed by a function call, | or !",
             visible(cell),
         )),
    ]


def text_reasons(cell: pl.Expr, max_chars: int, multi_line: bool) -> list[pl.Expr]:
    """Reason expressions (null = passed) for one trimmed text cell."""
    return [pl.when(fails).then(reason) for fails, reason in
            text_checks(cell, max_chars, multi_line)]


def _codepoint(char: pl.Expr) -> pl.Expr:
    """``U+001B`` for a control character (C0 and DEL are one UTF-8 byte, C1 are C2 xx)."""
    return pl.concat_str(pl.lit("U+00"), char.str.encode("hex").str.slice(-2).str.to_uppercase())


def visible(cell: pl.Expr, chars: int = 60) -> pl.Expr:
    """The start of a value, quoted, for a reason text."""
    return pl.format("'{}'", cell.str.slice(0, chars))


def mask_controls(text: pl.Expr) -> pl.Expr:
    """``text`` with control characters shown as U+FFFD.

    Reasons quote the values they reject and end up on terminals and in CSV files: an echoed
    escape sequence must not run there.
    """
    return text.str.replace_all(_CONTROL, "\ufffd")


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that a spreadsheet would evaluate prefixed by ``'``."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_LEAD))
        .then(pl.concat_str(pl.lit("'"), pl.col(name)))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )
