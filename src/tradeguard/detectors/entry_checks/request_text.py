"""Values written as the entry checks' expressions write them, for findings built in Python.

The general checks cast each value of a sentence to text (``fmt``: nulls as ``(none)``), write
dollars with :func:`~.frame.usd` and evidence with ``struct.json_encode``; a request's findings
are built here from the same values and must read byte for byte the same. Floats follow
:func:`~tradeguard.detectors.finding_text.number_text`; strings are JSON-escaped as Polars
escapes them (that of ``json.dumps`` without ASCII escapes); ``round_sig_figs`` repeats
Polars' steps (``powi`` by repeated squaring, rounding half away from zero). What cannot be
written exactly raises :class:`~tradeguard.detectors.finding_text.Declined`.
"""

from __future__ import annotations

import math
from datetime import date

from tradeguard.detectors.finding_text import Declined, number_text, polars_round
from tradeguard.detectors.finding_text import json_object as evidence

__all__ = ["Declined", "evidence", "polars_round", "round_sig_figs", "text", "usd"]

_INT64 = 2**63


def text(value: object, missing: str = "(none)") -> str:
    """A value cast to text as in a finding's sentence (``fmt``/``txt``)."""
    if value is None:
        return missing
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # not read in sentences: left to the general path
        raise Declined(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    raise Declined(value)


def usd(value: float | None) -> str:
    """:func:`~.frame.usd`: dollars with cents, rounded half to even; ``(none)`` for null."""
    if value is None:
        return "(none)"
    scaled = value * 100.0
    if not math.isfinite(scaled):
        raise Declined(value)
    cents = round(scaled)
    if abs(cents) >= _INT64 - 1:  # the Int64 cast would fail: the general path says so
        raise Declined(value)
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole}.{frac:02d}"


def _powi(base: float, exponent: int) -> float:
    """``f64::powi`` as compiled (compiler-rt ``__powidf2``: repeated squaring)."""
    recip = exponent < 0
    n = -exponent if recip else exponent
    result = 1.0
    while True:
        if n & 1:
            result *= base
        n //= 2
        if n == 0:
            break
        base *= base
    return 1.0 / result if recip else result


def _round_half_away(value: float) -> float:
    """``f64::round``: to the nearest whole number, ties away from zero."""
    if not math.isfinite(value) or abs(value) >= 2.0**52:
        return value
    whole = float(math.trunc(value))
    if abs(value - whole) >= 0.5:
        whole += math.copysign(1.0, value)
    return math.copysign(whole, value)


def round_sig_figs(value: float | None, digits: int) -> float | None:
    """Polars' ``round_sig_figs`` of one float."""
    if value is None or value == 0.0:
        return value
    if not 1e-290 < abs(value) < 1e290:  # where the scale overflows Polars gives other values
        raise Declined(value)
    magnitude = _powi(10.0, digits - 1 - math.floor(math.log10(abs(value))))
    return _round_half_away(value * magnitude) / magnitude


