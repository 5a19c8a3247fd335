"""The scoring chain without a database: declarations in, assessments out.

``score_declarations`` joins entries and lines, fits every registered detector on the history
(peer prices, known manufacturers, trade flows), runs them and the rules profiles over the
batch, scores the exam-outcome model when an artifact is given, and hands findings,
treatments and probabilities to targeting for the score, the lane and the reasons. Every
assessment records the versions of all of it and a digest of the declared fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.pipeline.assessments_request import plain_assessments, stamped, version_values
from tradeguard.pipeline.declarations_request import (
    digest_fields,
    plain_declarations,
    plain_digests,
)
from tradeguard.pipeline.registry import DetectorRegistry
from tradeguard.request_path import REQUEST_LINES
from tradeguard.targeting.config import TargetingConfig
from tradeguard.targeting.risk import KEYS, MODEL_SCHEMA

KILL_SWITCH_OFF = "off (kill switch engaged)"

if TYPE_CHECKING:
    from tradeguard.model import ModelArtifact
    from tradeguard.refdata import ReferenceData
    from tradeguard.rules import ProfileSet, RuleEvaluation

# Reference data sets that are watch lists: reported as list versions, the rest as refdata.
WATCH_LISTS = ("uflpa", "wro", "ofac_sdn", "bis_mieu", "dod_1260h")


@dataclass(frozen=True)
class ScoringResult:
    """Assessments (:data:`ASSESSMENT_SCHEMA`), all findings, and what produced them."""

    assessments: pl.DataFrame
    findings: pl.DataFrame
    versions: dict[str, Any]
    as_of: date
    warnings: tuple[str, ...] = field(default=())


def declarations(entries: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Lines joined to their entry headers, every declared field typed (rules' field table)."""
    from tradeguard.rules import conform_lines, declaration_lines

    if lines.height <= PLAIN_DECLARATION_LINES and entries.height <= PLAIN_DECLARATION_LINES:
        small = plain_declarations(entries, lines)
        if small is not None:
            return small
    return conform_lines(declaration_lines(entries, lines))


#: Up to this many lines and entries (a scoring request's), typed frames are joined by row
#: position: the general join and typing passes cost ~100 us each whatever the size.
PLAIN_DECLARATION_LINES = REQUEST_LINES




#: Up to this many lines, dates are cast to text row by row (the same text as formatting
#: each distinct date once), so the digest's expression depends on the columns only.
SMALL_DIGEST_BATCH = 1_000


def input_digest(decl: pl.DataFrame) -> pl.Series:
    """SHA-256 of each line's declared contract fields (typed, in contract order)."""
    from tradeguard.digests import sha256_hex

    if decl.height <= PLAIN_DIGEST_LINES:
        digests = plain_digests(decl)
        if digests is not None:
            return digests
    if decl.height <= SMALL_DIGEST_BATCH:
        text_expr = _small_digest_text(tuple(decl.columns))
    else:
        text_expr = _digest_text(decl, digest_fields())
    text = decl.select(text_expr).to_series()
    return sha256_hex(text).alias("input_digest")


#: Up to this many lines (a scoring request's), digests are computed in Python: the query
#: costs more than formatting a few lines' fields.
PLAIN_DIGEST_LINES = REQUEST_LINES


def _digest_text(decl: pl.DataFrame | None, names: tuple[str, ...],
                 present: frozenset[str] = frozenset()) -> pl.Expr:
    """The digested text of a line: ``name=value`` fields joined by a unit separator, built
    in one concatenation (the separator rides on the next field's label) rather than one per
    field. Without ``decl``, the fields in ``present`` are cast to text row by row."""
    from tradeguard.digests import as_text

    columns = set(decl.columns) if decl is not None else present
    parts: list[pl.Expr] = []
    for i, n in enumerate(names):
        parts.append(pl.lit(("\x1f" if i else "") + n + "="))
        if n not in columns:
            parts.append(pl.lit("\\N"))
        elif decl is not None:
            parts.append(as_text(decl, n).fill_null("\\N"))
        else:
            parts.append(pl.col(n).cast(pl.String).fill_null("\\N"))
    return pl.concat_str(parts).alias("s")


@lru_cache(maxsize=16)
def _small_digest_text(columns: tuple[str, ...]) -> pl.Expr:
    """:func:`_digest_text` of a small batch with these columns (built once per columns)."""
    return _digest_text(None, digest_fields(), frozenset(columns))


def run_detectors(
    decl: pl.DataFrame, history: pl.DataFrame, ctx: DetectionContext,
    registry: DetectorRegistry,
) -> tuple[pl.DataFrame, dict[str, str]]:
    """Fit and run every registered detector; any failure stops the run with its name."""
    from tradeguard.pipeline.scorer import fit_chain

    return fit_chain(registry, history, ctx).detect(decl, ctx)


def collect_findings(
    decl: pl.DataFrame, history_decl: pl.DataFrame | None, ctx: DetectionContext,
    profile_set: ProfileSet, registry: DetectorRegistry,
) -> tuple[pl.DataFrame, RuleEvaluation, dict[str, str]]:
    """Findings of every detector and of the rules profiles, the rules' treatments, versions."""
    from tradeguard.rules import evaluate

    history = history_decl if history_decl is not None else decl.clear()
    found, versions = run_detectors(decl, history, ctx, registry)
    rules = evaluate(profile_set, decl, on=ctx.as_of)
    return pl.concat([found, rules.findings], how="vertical"), rules, versions


def version_columns(versions: Mapping[str, Any]) -> list[pl.Expr]:
    """The version columns every assessment carries, from a ``ScoringResult.versions`` block."""
    return [pl.lit(v).alias(k) for k, v in version_values(versions).items()]


#: Up to this many lines (a scoring request's), assessments are assembled from the laned
#: frame's columns without a query when they already have their types.
PLAIN_FINISH_LINES = REQUEST_LINES


def finish_assessments(laned: pl.DataFrame, versions: Mapping[str, Any]) -> pl.DataFrame:
    """Laned lines stamped with their versions, in :data:`ASSESSMENT_SCHEMA` (the last step).

    One function for the one-frame chain and the batch engines, so both write the same rows.
    """
    from tradeguard.targeting.assessment import ASSESSMENT_SCHEMA

    if laned.height <= PLAIN_FINISH_LINES:
        small = plain_assessments(laned, stamped(versions), ASSESSMENT_SCHEMA)
        if small is not None:
            return small
    return laned.with_columns(version_columns(versions)).select(
        [pl.col(c).cast(t) for c, t in ASSESSMENT_SCHEMA.items()])




def model_scores(
    artifact: ModelArtifact, decl: pl.DataFrame, findings: pl.DataFrame,
    history: pl.DataFrame | None,
) -> pl.DataFrame:
    """Calibrated probabilities and reason codes (with text) per line, :data:`MODEL_SCHEMA`.

    One entry's few lines are scored without a query per step (the same values; see
    :mod:`tradeguard.model._entry_scoring`), larger batches and unusual lines as frames."""
    from tradeguard.model._entry_scoring import score_entry
    from tradeguard.model.line_features import entry_line_features

    lines = entry_line_features(decl, findings, history)
    entry = score_entry(artifact, lines) if lines is not None else None
    if lines is not None and entry is not None:
        # the rows in one call: a Series per column costs more (a list column above all)
        return pl.from_dicts(
            [{"entry_number": line["entry_number"], "line_number": line["line_number"],
              "probability": probability, "model_reasons": reasons,
              "model_reason_texts": texts}
             for line, probability, reasons, texts in zip(
                 lines, entry.probability.tolist(), entry.reasons, entry.texts, strict=True)],
            schema=MODEL_SCHEMA)
    # imported here: a name from the package costs more than one from a module
    from tradeguard.model import reason_texts, score
    from tradeguard.model.line_features import AT_STAKE, line_features

    features = line_features(decl, findings, history)
    batch = score(artifact, features, at_stake=AT_STAKE)
    texts = reason_texts(artifact)
    frame = pl.concat([features.select(KEYS), batch.frame], how="horizontal")
    return frame.with_columns(
        pl.col("reasons").alias("model_reasons"),
        pl.col("reasons").list.eval(pl.element().replace_strict(texts, default=None))
        .alias("model_reason_texts"),
    ).select([pl.col(c).cast(t) for c, t in MODEL_SCHEMA.items()])


def known_past_outcomes(history_decl: pl.DataFrame, outcomes: pl.DataFrame,
                        as_of: date) -> pl.DataFrame:
    """The history's examined lines with their outcomes known by ``as_of``: what
    :func:`past_outcome_history` gives for any batch once the batch's own lines are taken
    out (the features built from it count and sum, so row order does not matter). It
    depends on the day only, so a scorer keeps it per day."""
    from tradeguard.model.line_features import past_outcomes

    known = outcomes.filter(
        pl.col("decided_on").cast(pl.Date, strict=False).is_null()
        | (pl.col("decided_on").cast(pl.Date, strict=False) <= as_of)
    ) if "decided_on" in outcomes.columns else outcomes
    return past_outcomes(history_decl, known)


def past_outcome_history(
    decl: pl.DataFrame, history_decl: pl.DataFrame | None, outcomes: pl.DataFrame | None,
    as_of: date,
) -> pl.DataFrame | None:
    """Examined lines known before ``as_of``, never the lines being scored (no leakage)."""
    if outcomes is None or outcomes.is_empty():
        return None
    from tradeguard.model.line_features import past_outcomes

    known = outcomes.filter(
        pl.col("decided_on").cast(pl.Date, strict=False).is_null()
        | (pl.col("decided_on").cast(pl.Date, strict=False) <= as_of)
    ) if "decided_on" in outcomes.columns else outcomes
    frames = [decl] + ([history_decl] if history_decl is not None else [])
    every = pl.concat(frames, how="diagonal_relaxed")
    past = past_outcomes(every, known)
    current = decl.select(pl.col("entry_number").cast(pl.String),
                          pl.col("line_number").cast(pl.Int64))
    return past.join(current, on=KEYS, how="anti")


def score_declarations(
    entries: pl.DataFrame,
    lines: pl.DataFrame,
    *,
    supply_chain: pl.DataFrame | None = None,
    history_entries: pl.DataFrame | None = None,
    history_lines: pl.DataFrame | None = None,
    outcomes: pl.DataFrame | None = None,
    model: ModelArtifact | None = None,
    ref: ReferenceData | None = None,
    config: TargetingConfig | None = None,
    profiles: ProfileSet | None = None,
    registry: DetectorRegistry | None = None,
    as_of: date | None = None,
    ai_lanes_enabled: bool = True,
) -> ScoringResult:
    """Score every line of ``entries``/``lines`` (contract columns, typed or text).

    ``as_of`` (default: the latest entry date) dates the reference data, profiles and the
    history window. Without ``model`` the score comes from findings and rules alone, and the
    ``model_version`` column says so. With ``ai_lanes_enabled=False`` (the registry's kill
    switch) the model and the machine-learned detectors are left out: deterministic checks,
    rules profiles, hard rules and the random compliance sample keep working.
    """
    from tradeguard.pipeline.scorer import Scorer

    scorer = Scorer(
        history_entries=history_entries, history_lines=history_lines, outcomes=outcomes,
        model=model, ref=ref, config=config, profiles=profiles, registry=registry,
        ai_lanes_enabled=ai_lanes_enabled)
    return scorer.score(entries, lines, supply_chain=supply_chain, as_of=as_of)
