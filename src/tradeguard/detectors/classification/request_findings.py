"""Heading-mismatch findings for a request's few lines, built in Python.

A scoring request holds 1-5 lines; when the screen (:mod:`.request`) sees a heading the model
rules out, the batch path spends ~15 Polars queries (~100 us each) on joins, list lookups and
the finding sentence. The same finding is built here from the model's assessment the screen
already read, with the batch path's sentence pieces and evidence keys (:data:`TEXT_PIECES`,
:data:`EVIDENCE_KEYS`) and numbers written as Polars writes them. Whatever this cannot write
exactly as Polars does (:mod:`~tradeguard.detectors.finding_text`: non-finite numbers,
characters JSON escapes, other column types) is declined (None) and left to the batch path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import polars as pl

from tradeguard.detectors.finding_text import (
    Declined,
    findings_frame_of,
    json_object,
    number_text,
    polars_round,
)
from tradeguard.frame_reads import column_types

Pair = tuple[str, str]
#: (top-k headings, their float32 probabilities, top-k subheadings, declared probability).
Assessed = tuple[Any, Any, Any, Any]

#: The finding sentence between its five values: likely heading, its probability (percent),
#: declared heading, its probability (percent), duty difference.
TEXT_PIECES: tuple[str, ...] = (
    "Description reads as heading ", " (", "% likely), not the declared heading ", " (",
    "%). Duty difference at the likely heading: $", ".")
#: The evidence object's keys, in order.
EVIDENCE_KEYS: tuple[str, ...] = (
    "declared_heading", "declared_heading_probability", "likely_headings",
    "likely_probabilities", "likely_general_ad_valorem_rates", "likely_subheadings",
    "declared_heading_general_rate", "duty_difference_usd", "model_version")

_NUMBERS = (pl.Float64, pl.Float32)


def _pct(probability: float) -> str:
    return number_text(polars_round(probability * 100, 1))


def _covered(lines: pl.DataFrame) -> bool:
    schema = column_types(lines)
    return (schema.get("entry_number") == pl.String and schema.get("line_number") == pl.Int64
            and schema.get("description") == pl.String and schema.get("hts_code") == pl.String
            and schema.get("entered_value_usd") in _NUMBERS
            and schema.get("duty_rate", pl.Float64) in _NUMBERS)


def _rate(rates: Mapping[object, float | None], heading: object) -> float | None:
    rate = rates.get(heading)
    return None if rate is None else float(rate)


def finding_rows(lines: pl.DataFrame, pair: Callable[[Any, Any], Pair | None],
                 ruled_out: Mapping[Pair, Assessed], decided: Callable[[Pair], bool | None],
                 rates: Mapping[object, float | None], high_duty_usd: float,
                 labels: tuple[str, str, str, str, str]) -> pl.DataFrame | None:
    """The batch path's findings for ``lines`` (in line order), or None where this path does
    not cover them.

    ``pair``: a line's (description, heading) as the batch path judges it, or None;
    ``decided``: the screen's verdict on a pair (None: not known); ``ruled_out``: the model's
    assessment of each pair it rules out; ``labels``: (category, reason code, detector,
    detector version, model version).
    """
    if not _covered(lines):
        return None
    duty = (lines.get_column("duty_rate").to_list() if "duty_rate" in lines.columns
            else [None] * lines.height)
    rows = zip(lines.get_column("entry_number").to_list(),
               lines.get_column("line_number").to_list(),
               lines.get_column("description").to_list(),
               lines.get_column("hts_code").to_list(),
               lines.get_column("entered_value_usd").to_list(), duty, strict=True)
    category, reason, detector, version, model_version = labels
    out: list[tuple[object, ...]] = []
    try:
        for entry, line, description, hts_code, value, duty_rate in rows:
            judged = pair(description, hts_code)
            if judged is None:
                continue
            verdict = decided(judged)
            if verdict is None or (verdict and judged not in ruled_out):
                return None
            if not verdict:
                continue
            top, prob, top6, declared = ruled_out[judged]
            heads = [str(h) for h in top]
            probs = [float(p) for p in np.round(np.asarray(prob, dtype=np.float64), 4)]
            declared_prob = float(np.float32(declared))
            heading = judged[1]
            heading_rate = _rate(rates, heading)
            likely_rate = _rate(rates, heads[0])
            declared_rate = heading_rate if duty_rate is None else float(duty_rate)
            diff = (None if likely_rate is None or declared_rate is None or value is None
                    else polars_round((likely_rate - declared_rate) * float(value), 2))
            if diff is not None and not math.isfinite(diff):
                return None
            severity = ("high" if diff is not None and diff >= high_duty_usd
                        else "medium" if diff is not None and diff > 0 else "low")
            text = TEXT_PIECES
            sentence = "".join((
                text[0], heads[0], text[1], _pct(probs[0]), text[2], heading, text[3],
                _pct(declared_prob), text[4], number_text(0.0 if diff is None else diff),
                text[5]))
            top_rates = [None if (r := _rate(rates, h)) is None else polars_round(r, 4)
                         for h in heads]
            evidence = json_object(EVIDENCE_KEYS, (
                heading, polars_round(declared_prob, 4), heads, probs, top_rates,
                [str(h) for h in top6], heading_rate, diff, model_version))
            out.append((entry, line, category, reason, severity, sentence, evidence,
                        detector, version))
    except Declined:
        return None
    return findings_frame_of(out)
