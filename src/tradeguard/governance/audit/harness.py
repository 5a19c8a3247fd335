"""The audit harness: one call runs every section over a scored frame and its outcomes.

The interface is deliberately small so the harness can audit any scoring run: assessments
(keys, ``risk_score``, ``lane``, ``selection``, ``selection_probability``, optional
``model_probability``), exam outcomes, and optionally the declarations, history, feature
tables, a previous version's assessments and ``score_fn`` (declarations -> assessments) for
the perturbation tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from tradeguard.governance.audit.bias import bias_section, importer_groups
from tradeguard.governance.audit.efficacy import Observed, efficacy_section
from tradeguard.governance.audit.policy import AuditPolicy
from tradeguard.governance.audit.reliability import reliability_section
from tradeguard.governance.audit.results import Section
from tradeguard.governance.audit.robustness import ScoreFn, robustness_section
from tradeguard.governance.audit.security_checks import (
    hostile_input_results,
    plant_canaries,
    scan,
    security_section,
)
from tradeguard.governance.audit.validity import validity_section

KEYS = ["entry_number", "line_number"]
_GROUP_SOURCE = {"country_of_origin": "country_of_origin", "port_of_entry": "port_of_entry",
                 "broker": "filer_code"}


@dataclass
class AuditInput:
    """Everything the audit looks at; only ``assessments`` and ``outcomes`` are required."""

    assessments: pl.DataFrame
    outcomes: pl.DataFrame
    declarations: pl.DataFrame | None = None
    history: pl.DataFrame | None = None
    features: pl.DataFrame | None = None
    training_features: pl.DataFrame | None = None
    feature_names: list[str] = field(default_factory=list)
    previous: pl.DataFrame | None = None
    score_fn: ScoreFn | None = None
    versions: dict[str, Any] = field(default_factory=dict)
    data_note: str = ""


@dataclass
class AuditResult:
    """The sections, the verdict on the blocking ones, and what was tested (hashes)."""

    sections: list[Section]
    policy: AuditPolicy
    hashes: dict[str, str]
    versions: dict[str, Any]
    generated_at: datetime
    data_note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failed_checks(self) -> list[str]:
        """Failed checks of the blocking sections (what stops deployment)."""
        return [c for s in self.sections if s.name in self.policy.blocking_sections
                for c in s.failed_checks]

    @property
    def passed(self) -> bool:
        """True when every blocking section passed (skipped blocking sections fail)."""
        return all(s.passed for s in self.sections if s.name in self.policy.blocking_sections)


def frame_hash(frame: pl.DataFrame | None) -> str:
    """SHA-256 of a frame's CSV form, rows sorted by their keys when present."""
    import hashlib

    if frame is None:
        return ""
    keys = [k for k in KEYS if k in frame.columns]
    plain = frame.select(pl.col(c) for c in frame.columns
                         if not isinstance(frame.schema[c], (pl.List, pl.Struct, pl.Object)))
    text = (plain.sort(keys) if keys else plain).write_csv()
    return hashlib.sha256(text.encode()).hexdigest()


def exported_texts(scored: pl.DataFrame) -> dict[str, str]:
    """What leaves the scoring run: the contract's score file and the decision-log events
    (falls back to every flat column when the frame is not an assessment frame)."""
    import json

    from tradeguard.targeting import ASSESSMENT_SCHEMA, decision_events, output_frame

    if set(ASSESSMENT_SCHEMA) <= set(scored.columns):
        events = [e.payload() for e in decision_events(scored)]
        return {"score export (score --out)": output_frame(scored).write_csv(),
                "decision log events": json.dumps(events, default=str)}
    flat = scored.select(pl.col(c) for c in scored.columns
                         if not isinstance(scored.schema[c], (pl.List, pl.Struct)))
    return {"scored export": flat.write_csv()}


def joined(inp: AuditInput) -> pl.DataFrame:
    """Assessments with outcomes (unexamined lines: examined false) and group columns."""
    out = inp.outcomes.select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        pl.col("examined").cast(pl.Boolean), pl.col("discrepancy").cast(pl.Boolean),
        pl.col("recovered_duty_usd").cast(pl.Float64).fill_null(0.0),
        *(pl.col(c).cast(pl.Boolean) for c in ("appealed", "overturned")
          if c in inp.outcomes.columns)).unique(KEYS, keep="last")
    frame = inp.assessments.with_columns(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64)
    ).join(out, on=KEYS, how="left").with_columns(
        pl.col("examined").fill_null(False), pl.col("discrepancy").fill_null(False),
        pl.col("recovered_duty_usd").fill_null(0.0))
    for c in ("appealed", "overturned"):
        frame = frame.with_columns((pl.col(c).fill_null(False) if c in frame.columns
                                    else pl.lit(False)).alias(c))
    decl = inp.declarations
    if decl is not None:
        cols = [pl.col(src).cast(pl.String).alias(name) for name, src in _GROUP_SOURCE.items()
                if src in decl.columns and name not in frame.columns]
        keyed = decl.with_columns(pl.col("entry_number").cast(pl.String),
                                  pl.col("line_number").cast(pl.Int64))
        frame = frame.join(keyed.select(*KEYS, *cols), on=KEYS, how="left")
        if {"importer_id", "entered_value_usd", "entry_date"} <= set(decl.columns):
            frame = frame.join(importer_groups(keyed, inp.history), on=KEYS, how="left")
    return frame


def run_audit(inp: AuditInput, policy: AuditPolicy,
              extra_outputs: dict[str, str] | None = None) -> AuditResult:
    """Run every section; ``extra_outputs`` are texts to scan for canaries too."""
    frame = joined(inp)
    has_model = "model_probability" in frame.columns and \
        frame["model_probability"].null_count() < frame.height
    score_col = "model_probability" if has_model else "risk_score"
    score = frame[score_col].fill_null(0.0).to_numpy()
    obs = Observed.build(score, frame["examined"].to_numpy(),
                         frame["selection_probability"].to_numpy(),
                         frame["discrepancy"].to_numpy(), frame["recovered_duty_usd"].to_numpy())
    random_lines = int((frame["examined"] & (frame["selection"] == "random")).sum())
    label = "model probability" if has_model else "risk score (no model in this run)"
    sections = [efficacy_section(obs, random_lines, policy, label)]
    if has_model:
        targeting = Observed.build(frame["risk_score"].to_numpy(), frame["examined"].to_numpy(),
                                   frame["selection_probability"].to_numpy(),
                                   frame["discrepancy"].to_numpy(),
                                   frame["recovered_duty_usd"].to_numpy())
        sections[0].tables["targeting_budgets"] = efficacy_section(
            targeting, random_lines, policy, "risk score").tables["budgets"]
    sections.append(validity_section(score, obs.y, obs.weight, policy))
    current = frame if inp.features is None else frame.join(
        inp.features.with_columns(pl.col("entry_number").cast(pl.String),
                                  pl.col("line_number").cast(pl.Int64)),
        on=KEYS, how="left", suffix="_feature")
    sections.append(reliability_section(current, inp.training_features, inp.feature_names,
                                        score_col, inp.previous, policy))
    texts: dict[str, str] = {}
    canaries: list[str] = []
    if inp.declarations is not None:
        sections.append(robustness_section(inp.declarations, inp.score_fn, policy))
        if inp.score_fn is not None:
            planted, canaries = plant_canaries(inp.declarations)
            texts.update(exported_texts(inp.score_fn(planted)))
    else:
        rob = Section("robustness", "Does it hold up against trivial edits and known evasions?",
                      "Perturbation tests need the declarations and a scoring function.")
        rob.skipped = "no declarations given"
        sections.append(rob)
    bias_frame = frame.with_columns(
        pl.col("selection").is_in(["forced", "targeted"]).alias("selected"),
        pl.Series("weight", obs.weight), pl.Series("y", obs.y))
    sections.append(bias_section(bias_frame, policy))
    texts.update(extra_outputs or {})
    leaks = scan(texts, canaries)
    sections.append(security_section(hostile_input_results(), leaks, list(texts), policy))
    hashes = {"assessments": frame_hash(inp.assessments), "outcomes": frame_hash(inp.outcomes),
              "declarations": frame_hash(inp.declarations),
              "training_features": frame_hash(inp.training_features),
              "policy": policy.source_hash}
    result = AuditResult(sections, policy, hashes, dict(inp.versions), datetime.now(UTC),
                         inp.data_note)
    result.extra["canaries"] = canaries
    result.extra["population"] = {"lines": frame.height,
                                  "examined": int(frame["examined"].sum()),
                                  "random_sample_examined": random_lines,
                                  "score": score_col,
                                  "mean_score": float(np.mean(score)) if score.size else None}
    return result
