"""The scoring chain without a database: declarations in, assessments out.

``score_declarations`` joins entries and lines, fits every registered detector on the history
(peer prices, known manufacturers, trade flows), runs them and the rules profiles over the
batch, scores the exam-outcome model when an artifact is given, and hands findings,
treatments and probabilities to targeting for the score, the lane and the reasons. Every
assessment records the versions of all of it and a digest of the declared fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.findings import conform, empty_findings
from tradeguard.pipeline.registry import (
    LEARNED_DETECTORS,
    DetectorError,
    DetectorRegistry,
    default_registry,
)
from tradeguard.security.redaction import confidential_values, redact_texts
from tradeguard.targeting.assessment import ASSESSMENT_SCHEMA, NO_MODEL
from tradeguard.targeting.config import TargetingConfig, load_targeting_config
from tradeguard.targeting.lanes import assign_lanes
from tradeguard.targeting.risk import KEYS, MODEL_SCHEMA, combine_risk

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

    return conform_lines(declaration_lines(entries, lines))


def input_digest(decl: pl.DataFrame) -> pl.Series:
    """SHA-256 of each line's declared contract fields (typed, in contract order)."""
    import duckdb

    from tradeguard.contract.schema import schema_for

    names = list(dict.fromkeys([*schema_for("entries").names, *schema_for("lines").names]))
    parts = [pl.lit(n + "=") + (pl.col(n).cast(pl.String).fill_null("\\N") if n in decl.columns
                                else pl.lit("\\N")) for n in names]
    text = decl.select(pl.concat_str(parts, separator="\x1f").alias("s"))
    with duckdb.connect() as con:
        con.register("declared", text)
        digest = con.execute("select sha256(s) as h from declared").pl()
    return digest["h"].alias("input_digest")


def run_detectors(
    decl: pl.DataFrame, history: pl.DataFrame, ctx: DetectionContext,
    registry: DetectorRegistry,
) -> tuple[pl.DataFrame, dict[str, str]]:
    """Fit and run every registered detector; any failure stops the run with its name."""
    parts: list[pl.DataFrame] = [empty_findings()]
    versions: dict[str, str] = {}
    for name, detector in registry.build():
        try:
            detector.fit(history, ctx)
        except Exception as exc:
            raise DetectorError(name, "fit", exc) from exc
        try:
            parts.append(conform(detector.detect(decl, ctx)))
        except Exception as exc:
            raise DetectorError(name, "detect", exc) from exc
        versions[name] = f"{type(detector).name}@{type(detector).version}"
    return pl.concat(parts, how="vertical"), versions


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


def model_scores(
    artifact: ModelArtifact, decl: pl.DataFrame, findings: pl.DataFrame,
    history: pl.DataFrame | None,
) -> pl.DataFrame:
    """Calibrated probabilities and reason codes (with text) per line, :data:`MODEL_SCHEMA`."""
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
    from tradeguard.refdata import load_reference_data
    from tradeguard.rules import load_profile_set, shipped_profiles_dir

    cfg = config or load_targeting_config()
    decl = declarations(entries, lines)
    day = as_of or decl.get_column("entry_date").max() or date.today()
    assert isinstance(day, date)
    history_decl = None
    if history_entries is not None and history_lines is not None:
        history_decl = declarations(history_entries, history_lines)
    ref = ref or load_reference_data()
    profile_set = profiles or load_profile_set(shipped_profiles_dir())
    ctx = DetectionContext(ref=ref, as_of=day, supply_chain=supply_chain)
    chain = registry or default_registry()
    switched_off: list[str] = []
    if not ai_lanes_enabled:
        model = None
        switched_off = sorted(LEARNED_DETECTORS & set(chain.names()))
        chain = chain.without(*switched_off)
    findings, rules, detector_versions = collect_findings(
        decl, history_decl, ctx, profile_set, chain)

    scores = None
    if model is not None:
        past = past_outcome_history(decl, history_decl, outcomes, day)
        scores = model_scores(model, decl, findings, past)
    keys = decl.select(pl.col("entry_number").cast(pl.String),
                       pl.col("line_number").cast(pl.Int64))
    risk = combine_risk(keys, findings, rules.treatments, cfg, scores)
    # Assessments are exported and logged: their reasons name roles, not declared parties.
    risk = redact_texts(risk, "reason_texts", confidential_values(decl, supply_chain))

    header = decl.select(
        pl.col("port_of_entry").cast(pl.String), pl.col("entry_date").cast(pl.Date),
        pl.col("trusted_trader").cast(pl.Boolean), input_digest(decl))
    laned = assign_lanes(pl.concat([risk, header], how="horizontal"), cfg)
    if scores is not None:
        laned = laned.join(scores.select(*KEYS, pl.col("probability").alias(
            "model_probability")), on=KEYS, how="left", maintain_order="left")
    else:
        laned = laned.with_columns(pl.lit(None, dtype=pl.Float64).alias("model_probability"))
    all_versions = ref.versions
    lists = {k: v for k, v in all_versions.items() if k in WATCH_LISTS}
    refdata = {k: v for k, v in all_versions.items() if k not in WATCH_LISTS}
    model_version = model.version if model is not None else NO_MODEL
    if not ai_lanes_enabled:
        model_version = KILL_SWITCH_OFF
    versions: dict[str, Any] = {
        "model": model_version,
        "rules": profile_set.version, "targeting": cfg.version, "lists": lists,
        "refdata": refdata, "detectors": detector_versions,
    }
    assessments = laned.with_columns(
        pl.lit(versions["model"]).alias("model_version"),
        pl.lit(profile_set.version).alias("rules_version"),
        pl.lit(json.dumps(lists, sort_keys=True)).alias("list_versions"),
        pl.lit(json.dumps(refdata, sort_keys=True)).alias("refdata_versions"),
        pl.lit(json.dumps(detector_versions, sort_keys=True)).alias("detector_versions"),
        pl.lit(cfg.version).alias("targeting_version"),
    ).select([pl.col(c).cast(t) for c, t in ASSESSMENT_SCHEMA.items()])
    warnings = list(rules.warnings)
    if not ai_lanes_enabled:
        warnings.append("AI-assisted lanes are switched off (kill switch): no model; detectors "
                        f"left out: {', '.join(switched_off)}")
    return ScoringResult(assessments, findings, versions, day, tuple(warnings))
