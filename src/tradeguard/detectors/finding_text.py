"""Numbers and evidence JSON written exactly as Polars writes them, for findings built in Python.

A request holds 1-5 lines, and building a finding's sentence and evidence with Polars
expressions costs ~1-2 ms of fixed work per detector; the request paths build them in Python
instead, and must give the same text byte for byte. Polars writes a float (``cast(pl.String)``,
``struct.json_encode``) with the shortest round-trip digits (as Python's ``repr``) but lays
them out its own way (``0.00001``, ``2.5e-7``, ``1e16``), and rounds by scaling (``round``:
74.65 -> 74.6, where Python's ``round`` gives 74.7). Values this cannot write as Polars does
raise :class:`Declined`, and the caller leaves the request to the batch path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl

from tradeguard.findings import FINDINGS_SCHEMA

# Characters a string may hold to be written to JSON as it is (nothing to escape).
_PLAIN = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-_+:/ ")


class Declined(Exception):
    """A value the Python path cannot write exactly as the batch path does."""


# 10**digits as NumPy's round scales by (exact powers of ten)
_SCALES = {digits: 10.0 ** digits for digits in range(16)}


def polars_round(value: float, digits: int) -> float:
    """``value`` rounded as Polars' ``round`` does: scaled, rounded half to even, scaled back.

    That is NumPy's ``round`` step by step (multiply by 10**digits, ``rint``, divide), done on
    Python floats: the same IEEE operations, so the same bits (a zero keeps the sign ``rint``
    gives it), at a twentieth of the cost of a NumPy scalar call; other digits and
    non-finite products take NumPy's own."""
    scale = _SCALES.get(digits)
    scaled = math.inf if scale is None else value * scale
    if scale is None or not math.isfinite(scaled):
        return float(np.round(np.float64(value), digits))
    whole = float(round(scaled))  # round half to even, as rint
    if whole == 0.0:
        whole = math.copysign(0.0, scaled)
    return whole / scale


def number_text(value: float) -> str:
    """A finite float as Polars writes it: shortest digits, plain within 1e-5..1e16."""
    if not math.isfinite(value):
        raise Declined(value)
    text = repr(value)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    if frac == "0":
        frac = ""
    digits = (whole + frac).lstrip("0")
    if not digits:
        return sign + "0.0"
    # value = digits x 10^k; kk: where the decimal point falls after the digits' start
    k = (int(exp) if exp else 0) - len(frac)
    stripped = digits.rstrip("0")
    k += len(digits) - len(stripped)
    digits = stripped
    kk = len(digits) + k
    if k >= 0 and kk <= 16:
        return sign + digits + "0" * k + ".0"
    if 0 < kk <= 16:
        return sign + digits[:kk] + "." + digits[kk:]
    if -5 < kk <= 0:
        return sign + "0." + "0" * -kk + digits
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{head}e{kk - 1}"


def json_value(value: object) -> str:
    """One evidence value as ``struct.json_encode`` writes it (None: null)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, str):
        # serde_json escapes what ``json.dumps`` does without ASCII-escaping (checked on every
        # character up to U+3000 in the tests).
        return f'"{value}"' if set(value) <= _PLAIN else json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        return f'"{value.isoformat()}"'
    if isinstance(value, list):
        return "[" + ",".join(json_value(v) for v in value) + "]"
    if isinstance(value, tuple):  # a nested struct: (keys, values)
        keys, values = value
        return json_object(keys, values)
    raise Declined(value)


def json_object(keys: Sequence[str], values: Sequence[object]) -> str:
    """An evidence object (keys in order) as ``struct.json_encode`` writes it."""
    return "{" + ",".join(f'"{k}":{json_value(v)}'
                          for k, v in zip(keys, values, strict=True)) + "}"


_FINDING_NAMES = list(FINDINGS_SCHEMA)
_FINDING_TYPES = [type(t) for t in FINDINGS_SCHEMA.values()]


def findings_frame_of(rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """A :data:`FINDINGS_SCHEMA` frame of finding rows built in Python. Polars reads the
    rows' types itself (half the cost of checking them against a given schema); when a
    column comes out otherwise (all nulls, say) the rows are read again with the schema."""
    frame = pl.DataFrame(rows, schema=_FINDING_NAMES, orient="row")
    if [type(t) for t in frame.dtypes] == _FINDING_TYPES:
        return frame
    return pl.DataFrame(rows, schema=FINDINGS_SCHEMA, orient="row")
