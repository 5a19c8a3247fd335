""":func:`~tradeguard.targeting.risk.combine_risk` for the few lines of one scoring request.

The general path runs some forty Polars queries (joins, group-bys, sorts), about 100 us each
whatever the size, on a request of one to five lines and a handful of findings. Here the same
formula, the same order of reasons and the same texts are worked out in Python, reading the
weights, limits and hard rules from the same configuration and constants. Sums of log terms
follow the general path's group sum (compensated, in ascending order), so scores are equal to
the last bit. Anything this path does not model (duplicate or missing keys, nulls where the
general path would carry them through, a regular-expression hard rule, unexpected columns)
answers None and the general path runs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from tradeguard.findings import FINDINGS_SCHEMA, SEVERITY_RANK
from tradeguard.targeting.config import LANE_RANK, TargetingConfig
from tradeguard.targeting.request_frames import RequestFrame, conforms, signatures
from tradeguard.targeting.risk import MAX_TERM, RANK_LANE, RISK_SCHEMA, RULES_DETECTOR

#: The findings' fields, in the order each finding's JSON lists them (as the general path).
FINDING_FIELDS = ("category", "reason_code", "severity", "text", "evidence", "detector",
                  "detector_version")
_TREATMENT_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(), "line_number": pl.Int64(), "lane": pl.String(),
    "risk_weight": pl.Float64(), "relief_weight": pl.Float64(),
    "profile_ids": pl.List(pl.String()),
}  # fmt: skip
_MODEL_COLUMNS: dict[str, pl.DataType] = {
    "entry_number": pl.String(), "line_number": pl.Int64(), "probability": pl.Float64(),
    "model_reasons": pl.List(pl.String()), "model_reason_texts": pl.List(pl.String()),
}  # fmt: skip
# The inputs' types as compared (worked out once), and the output's columns grouped by type.
_KEY_TYPES = signatures({"entry_number": pl.String(), "line_number": pl.Int64()})
_FINDING_TYPES = signatures(FINDINGS_SCHEMA)
_TREATMENT_TYPES = signatures(_TREATMENT_SCHEMA)
_MODEL_TYPES = signatures(_MODEL_COLUMNS)
_RISK_FRAME = RequestFrame(RISK_SCHEMA, given=("entry_number", "line_number"))
#: A hard rule's reason pattern this path matches as plain text (a literal pattern).
_LITERAL = re.compile(r"[A-Za-z0-9_ ]+")

Key = tuple[str, int]
#: A model row on the lines: position, probability, reason codes, reason texts.
ModelRow = tuple[int, float | None, list[str] | None, list[str] | None]


class _Fallback(Exception):
    """Something only the general path models: it runs instead."""


def _kahan(values: Sequence[float]) -> float:
    """A compensated sum, in the order given: the general path's per-group float sum."""
    total = err = 0.0
    for x in values:
        y = x - err
        t = total + y
        err = (t - total) - y
        total = t
    return total


def _clip(x: float, low: float, high: float) -> float:
    if math.isnan(x):
        raise _Fallback
    return min(max(x, low), high)


def _unique_keys(frame: pl.DataFrame, key_columns: Sequence[pl.Series] | None = None
                 ) -> dict[Key, int]:
    """Row of each (entry_number, line_number) of ``frame`` (or of ``key_columns``, those
    two columns when taken already); fallback on nulls or repeats."""
    entries, numbers = key_columns or (frame.get_column("entry_number"),
                                       frame.get_column("line_number"))
    out: dict[Key, int] = {}
    for i, key in enumerate(zip(entries.to_list(), numbers.to_list(), strict=True)):
        if key[0] is None or key[1] is None or key in out:
            raise _Fallback
        out[key] = i
    return out


def few_lines_risk(keys: pl.DataFrame, findings: pl.DataFrame, treatments: pl.DataFrame,
                   cfg: TargetingConfig, model: pl.DataFrame | None) -> pl.DataFrame | None:
    """What :func:`~tradeguard.targeting.risk.combine_risk` gives (rows in ``keys`` order),
    or None when the general path must run."""
    try:
        return _few_lines_risk(keys, findings, treatments, cfg, model)
    except _Fallback:
        return None


def _few_lines_risk(keys: pl.DataFrame, findings: pl.DataFrame, treatments: pl.DataFrame,
                    cfg: TargetingConfig, model: pl.DataFrame | None) -> pl.DataFrame:
    if keys.is_empty() or not conforms(keys, _KEY_TYPES) \
            or findings.width != len(_FINDING_TYPES) or not conforms(findings, _FINDING_TYPES) \
            or not conforms(treatments, _TREATMENT_TYPES) \
            or (model is not None and not conforms(model, _MODEL_TYPES)):
        raise _Fallback
    max_term, lane_of = MAX_TERM, RANK_LANE
    risk = cfg.risk
    key_columns = (keys.get_column("entry_number"), keys.get_column("line_number"))
    position = _unique_keys(keys, key_columns)
    lines = list(position)
    by_entry: dict[str, list[int]] = {}
    for i, (entry, _) in enumerate(lines):
        by_entry.setdefault(entry, []).append(i)
    # Most requests have no treatment and no finding: nothing to read then.
    treated = _unique_keys(treatments) if treatments.height else {}
    trt = treatments.to_dicts() if treatments.height else []

    # Findings on the lines (a line's own first, then entry-level ones on each line).
    rows = findings.to_dicts() if findings.height else []
    for f in rows:
        if any(f[c] is None for c in ("category", "reason_code", "severity", "text",
                                      "detector")):
            raise _Fallback
    found: list[tuple[dict[str, Any], int]] = []
    for f in rows:
        if f["line_number"] is not None and (f["entry_number"], f["line_number"]) in position:
            found.append((f, position[(f["entry_number"], f["line_number"])]))
    for f in rows:
        if f["line_number"] is None:
            found += [(f, i) for i in by_entry.get(f["entry_number"], [])]

    weights: list[float] = []
    per_source: dict[tuple[int, str], float] = {}
    for f, i in found:
        if f["detector"] == RULES_DETECTOR:
            at = treated.get(lines[i])
            weight = trt[at]["risk_weight"] if at is not None else None
            w = _clip((0.0 if weight is None else weight) * risk.rules_weight, 0.0, max_term)
            source = "rules"
        else:
            w = _clip(risk.severity_weights.get(f["severity"], 0.0)
                      * risk.category_weights.get(f["category"], 0.0), 0.0, max_term)
            source = f["category"]
        weights.append(w)
        per_source[(i, source)] = max(w, per_source.get((i, source), w))
    terms: dict[int, list[float]] = {}
    for (i, _), w in per_source.items():
        terms.setdefault(i, []).append(math.log(1.0 - w))
    log_keep = {i: _kahan(sorted(t)) for i, t in terms.items()}

    model_rows = _model_rows(model, position, lines) if model is not None else []
    probability = {i: p for i, p, _, _ in model_rows}

    scores: list[tuple[float, float, float]] = []
    model_weight, relief_weight = risk.model_weight, risk.relief_weight
    for i, key in enumerate(lines):
        p = probability.get(i)
        model_term = _clip((0.0 if p is None else p) * model_weight, 0.0, max_term) \
            if model is not None else 0.0
        keep = log_keep.get(i, 0.0) + math.log(1.0 - model_term)
        evidence = _clip(1.0 - math.exp(keep), 0.0, 1.0)
        at = treated.get(key) if treated else None
        weight = trt[at]["relief_weight"] if at is not None else None
        relief = _clip(0.0 if weight is None else weight, 0.0, 1.0)
        scores.append((_clip(evidence * (1.0 - relief_weight * relief), 0.0, 1.0),
                       evidence, relief))

    reasons = [(i, f["reason_code"], f["text"], f["category"], w)
               for (f, i), w in zip(found, weights, strict=True)]
    reasons += _model_reasons(model_rows, cfg, max_term) if model is not None \
        and not model.is_empty() else []
    codes: dict[int, list[str]] = {}
    texts: dict[int, list[str]] = {}
    categories: dict[int, set[str]] = {}
    for i, code, text, category, _ in sorted(reasons, key=lambda r: (r[0], -r[4], r[1])):
        if code not in codes.setdefault(i, []):
            codes[i].append(code)
        if text not in texts.setdefault(i, []):
            texts[i].append(text)
        if category is not None:
            categories.setdefault(i, set()).add(category)

    forced = _forced(found, lines, trt, cfg, lane_of)
    listed: dict[int, list[str]] = {}
    for f, i in sorted(found, key=lambda fi: (fi[1], fi[0]["category"], fi[0]["reason_code"])):
        listed.setdefault(i, []).append(json.dumps({c: f[c] for c in FINDING_FIELDS},
                                                   ensure_ascii=False, separators=(",", ":")))
    columns: dict[str, list[Any]] = {
        "risk_score": [s[0] for s in scores],
        "evidence_score": [s[1] for s in scores],
        "relief": [s[2] for s in scores],
        "categories": [sorted(categories.get(i, ())) for i in range(len(lines))],
        "reasons": [codes.get(i, []) for i in range(len(lines))],
        "reason_texts": [texts.get(i, [])[:risk.top_reasons] for i in range(len(lines))],
        "forced_lane": [forced[k][0] if k in forced else None for k in lines],
        "forced_by": [forced[k][1] if k in forced else [] for k in lines],
        "findings": ["[" + ",".join(listed[i]) + "]" if i in listed else "[]"
                     for i in range(len(lines))],
    }
    # The keys come out as they came in (one row per line, in order, checked above).
    return _RISK_FRAME.build(columns, dict(zip(("entry_number", "line_number"), key_columns,
                                               strict=True)))


def _model_rows(model: pl.DataFrame, position: dict[Key, int], lines: list[Key]
                ) -> list[ModelRow]:
    """Per model row on the lines: the line's position, probability, reasons and texts
    (read as row tuples: a frame's ``to_dicts`` makes a dict per row)."""
    names = model.columns
    at = [names.index(c) for c in _MODEL_COLUMNS]
    rows = model.rows()
    keys = [(r[at[0]], r[at[1]]) for r in rows]
    if len(set(keys)) < len(keys) or any(e is None or n is None for e, n in keys):
        raise _Fallback
    picked = enumerate(rows) if keys == lines \
        else ((position[k], r) for k, r in zip(keys, rows, strict=True) if k in position)
    return [(i, r[at[2]], r[at[3]], r[at[4]]) for i, r in picked]


def _model_reasons(model_rows: list[ModelRow], cfg: TargetingConfig,
                   max_term: float) -> list[tuple[int, str, str, str | None, float]]:
    """Reason rows of the model: the line's first reason led by its probability."""
    out: list[tuple[int, str, str, str | None, float]] = []
    seen: set[int] = set()
    for i, p, codes, texts in model_rows:
        if not codes:
            continue
        if p is None or texts is None or len(codes) != len(texts) \
                or None in codes or None in texts:
            raise _Fallback
        category = "model" if p >= cfg.risk.model_category_min_probability else None
        w = _clip(p * cfg.risk.model_weight, 0.0, max_term)
        lead = f"model: {round(p * 100)}% likely a discrepancy, mainly "
        for code, text in zip(codes, texts, strict=True):
            out.append((i, code, (lead if i not in seen else "model: also ") + text, category, w))
            seen.add(i)
    return out


def _forced(found: list[tuple[dict[str, Any], int]], lines: list[Key],
            trt: list[dict[str, Any]], cfg: TargetingConfig, lane_of: dict[int, str],
            ) -> dict[Key, tuple[str, list[str]]]:
    """Per line: the strongest lane a hard rule or a profile forced, and what forced it."""
    rules = cfg.hard_rules
    hits: dict[Key, list[tuple[int, str]]] = {}
    for rule in rules.forced_lanes:
        if rule.reason_pattern is not None and not _LITERAL.fullmatch(rule.reason_pattern):
            raise _Fallback
        least = SEVERITY_RANK[rule.min_severity] if rule.min_severity is not None else None
        for f, i in found:
            if (rule.category is None or f["category"] == rule.category) \
                    and (rule.reason_pattern is None or rule.reason_pattern in f["reason_code"]) \
                    and (least is None or SEVERITY_RANK.get(f["severity"], 0) >= least):
                hits.setdefault(lines[i], []).append((LANE_RANK[rule.lane], rule.name))
    if rules.honour_profile_lanes:
        for t in trt:
            if t["lane"] is None:
                continue
            ids = t["profile_ids"]
            if t["lane"] not in LANE_RANK or ids is None or None in ids:
                raise _Fallback
            hits.setdefault((t["entry_number"], t["line_number"]), []).append(
                (LANE_RANK[t["lane"]], "profile:" + ",".join(ids)))
    out: dict[Key, tuple[str, list[str]]] = {}
    for key, ranked in hits.items():
        top = max(rank for rank, _ in ranked)
        out[key] = (lane_of[top], sorted({by for rank, by in ranked if rank == top}))
    return out
