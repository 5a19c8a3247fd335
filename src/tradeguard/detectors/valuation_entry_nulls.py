"""Null-aware scalar arithmetic with the semantics of Polars columns, for a few lines.

A request-sized batch is scored line by line in plain Python (:mod:`valuation_entry`); these
helpers give a null where a Polars expression gives one (any null operand), count a null
comparison as false as ``fill_null(False)`` does, and sum in Polars' horizontal order so that
the numbers are the same to the bit. A value Python cannot work out as Polars does (a division
by zero, which Polars turns into an infinity) raises :class:`NotCovered`, and the batch path
scores the frame instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


class NotCovered(Exception):
    """A value this path cannot work out exactly as the batch path does."""


def as_float(value: object) -> float | None:
    """A number of a fitted table (ints of counts as floats)."""
    assert value is None or isinstance(value, (int, float))
    return None if value is None else float(value)


def log_ratio(num: float | None, den: float | None) -> float | None:
    """log(num / den) when both are positive (as :func:`value_measures`), else null."""
    if num is None or den is None or not num > 0 or not den > 0:
        return None
    return math.log(num / den)


def tree_sum(values: Sequence[float]) -> float:
    """A horizontal sum in Polars' order (halves summed recursively), for the same last bit
    (four values, the valuation signals, written out: a request sums them twice a line)."""
    if len(values) == 4:
        return (values[0] + values[1]) + (values[2] + values[3])
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return tree_sum(values[:half]) + tree_sum(values[half:])


def largest(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def smallest(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def at_most(a: float | None, b: float | None) -> bool:
    """``a <= b`` where a null comparison counts as false (``fill_null(False)``)."""
    return a is not None and b is not None and a <= b


def at_least(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and a >= b


def minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def times(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a * b


def divide(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if b == 0:
        raise NotCovered
    return a / b


def exp_or_null(x: float | None) -> float | None:
    return None if x is None else math.exp(x)
