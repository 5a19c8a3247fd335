"""Compiling a profile's condition tree into one Polars expression.

One expression per profile lets a whole batch be tested against every profile in a single
``select`` (Polars runs the expressions in parallel and shares common sub-expressions), instead
of looping over lines. A missing value never satisfies a test (except ``is_null``), so a blank
field cannot trigger a profile by accident; ``not`` of such a test is then true, as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import polars as pl

from tradeguard.rules._model import Condition, Leaf, NamedList, Profile, Scalar


def _alternation(patterns: Sequence[str], *, escape: bool, prefix: str = "") -> str:
    parts = [re.escape(p) if escape else f"(?:{p})" for p in patterns]
    return f"{prefix}(?:{'|'.join(parts)})"


def _leaf(leaf: Leaf, lists: Mapping[str, NamedList]) -> pl.Expr:
    col = pl.col(leaf.field)
    values: list[Scalar] = (
        list(lists[leaf.list_ref].items) if leaf.list_ref is not None else list(leaf.values)
    )
    op = leaf.op
    if op == "is_null":
        return col.is_null()
    if op == "not_null":
        return col.is_not_null()
    expr: pl.Expr
    if op in ("eq", "ne", "gt", "ge", "lt", "le"):
        value = pl.lit(values[0])
        expr = {
            "eq": col == value,
            "ne": col != value,
            "gt": col > value,
            "ge": col >= value,
            "lt": col < value,
            "le": col <= value,
        }[op]
    elif op in ("in", "not_in"):
        expr = col.is_in(values)
        expr = ~expr if op == "not_in" else expr
    elif op == "between":
        expr = col.is_between(pl.lit(values[0]), pl.lit(values[1]), closed="both")
    elif op == "prefix":
        texts = [str(v) for v in values]
        expr = (
            col.str.starts_with(texts[0])
            if len(texts) == 1
            else col.str.contains(_alternation(texts, escape=True, prefix="^"))
        )
    elif op == "contains":
        expr = col.str.contains(_alternation([str(v) for v in values], escape=True, prefix="(?i)"))
    else:  # matches
        expr = col.str.contains(_alternation([str(v) for v in values], escape=False, prefix="(?i)"))
    # Two-valued logic: an unknown value does not match, so negation stays meaningful.
    return expr.fill_null(False)


def compile_condition(cond: Condition, lists: Mapping[str, NamedList]) -> pl.Expr:
    """A boolean expression over the declaration-line frame, true where ``cond`` holds."""
    if isinstance(cond, Leaf):
        return _leaf(cond, lists)
    parts = [compile_condition(c, lists) for c in cond.items]
    if cond.op == "not":
        return ~parts[0]
    if len(parts) == 1:
        return parts[0]
    return pl.all_horizontal(parts) if cond.op == "and" else pl.any_horizontal(parts)


def compile_profile(profile: Profile, lists: Mapping[str, NamedList]) -> pl.Expr:
    """The one expression that says, per line, whether ``profile`` hits."""
    return compile_condition(profile.condition, lists)


def referenced_fields(cond: Condition) -> list[str]:
    """Fields a condition reads, in first-use order (the evidence shows their values)."""
    if isinstance(cond, Leaf):
        return [cond.field]
    seen: dict[str, None] = {}
    for item in cond.items:
        for name in referenced_fields(item):
            seen.setdefault(name)
    return list(seen)
