"""An audit that runs anywhere: demo declarations, a model trained on the earlier days, the
later days scored through the whole pipeline, and exam results for the lines it selected.

The demo's exams reveal the planted truth (a planted violation is found, with its loss as the
recovered duty; a clean line is found clean), so the IPW estimates can be compared with the
truth. The demo runs a 5 % compliance sample (the shipped configuration samples 1 %) so a
demo-sized window still holds enough random exams. ``degrade=True`` trains on shuffled labels:
the model that must fail its gate.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tradeguard.governance.audit.harness import KEYS, AuditInput

DEMO_SAMPLE_RATE = 0.05
TRAIN_SHARE = 0.6


@dataclass(frozen=True)
class DemoRun:
    """The audit input plus what built it (for registering the version)."""

    audit_input: AuditInput
    artifact: Any
    true_hit_rate: float


def _read(d: Path, q: Path) -> dict[str, pl.DataFrame]:
    from tradeguard.pipeline.inputs import read_contract_file

    ent = read_contract_file(d / "entries.csv", "entries", q).frame
    he = read_contract_file(d / "history_entries.csv", "entries", q).frame
    return {
        "entries": ent,
        "lines": read_contract_file(d / "lines.csv", "lines", q,
                                    entries=ent["entry_number"]).frame,
        "history_entries": he,
        "history_lines": read_contract_file(d / "history_lines.csv", "lines", q,
                                            entries=he["entry_number"]).frame,
        "outcomes": read_contract_file(d / "outcomes.csv", "outcomes", q).frame,
        "truth": pl.read_csv(d / "truth.csv", infer_schema_length=10_000),
    }


def _split_entries(ent: pl.DataFrame, lin: pl.DataFrame, before: bool, cut: Any
                   ) -> tuple[pl.DataFrame, pl.DataFrame]:
    e = ent.filter((pl.col("entry_date") < cut) if before else (pl.col("entry_date") >= cut))
    return e, lin.join(e.select("entry_number"), on="entry_number", how="semi")


def split_declarations(frame: pl.DataFrame, entry_columns: list[str],
                       line_columns: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries and lines back out of one line-level declarations frame."""
    entries = frame.select([c for c in entry_columns if c in frame.columns]).unique(
        "entry_number", keep="first", maintain_order=True)
    return entries, frame.select([c for c in line_columns if c in frame.columns])


def demo_audit_input(work: Path | None = None, entries: int = 1500, seed: int = 7,
                     degrade: bool = False, history_months: int = 3) -> DemoRun:
    """Generate, train, score and examine; returns the audit input."""
    from tradeguard.demo import generate_demo_data
    from tradeguard.model.line_features import declared_features
    from tradeguard.pipeline import declarations, score_declarations
    from tradeguard.pipeline.training import train_line_model
    from tradeguard.targeting import load_targeting_config

    root = Path(work) if work else Path(tempfile.mkdtemp(prefix="tradeguard-audit-"))
    generate_demo_data(root / "demo", entries=entries, seed=seed,
                       history_months=history_months)
    data = _read(root / "demo", root / "quarantine")
    ent, lin = data["entries"], data["lines"]
    days = ent["entry_date"].unique().sort()
    cut = days[int(days.len() * TRAIN_SHARE)]
    tr_e, tr_l = _split_entries(ent, lin, True, cut)
    te_e, te_l = _split_entries(ent, lin, False, cut)
    outcomes = data["outcomes"]
    train_outcomes = outcomes
    if degrade:
        rng = np.random.default_rng(seed)
        perm = rng.permutation(outcomes.height)
        train_outcomes = outcomes.with_columns(
            pl.Series("discrepancy", outcomes["discrepancy"].to_numpy()[perm]),
            pl.Series("recovered_duty_usd", outcomes["recovered_duty_usd"].to_numpy()[perm]))
    he, hl = data["history_entries"], data["history_lines"]
    artifact = train_line_model(tr_e, tr_l, train_outcomes, he, hl, seed=0)
    previous = train_line_model(tr_e, tr_l, train_outcomes, he, hl, seed=1)
    base_cfg = load_targeting_config()
    cfg = base_cfg.model_copy(update={"random_sample": base_cfg.random_sample.model_copy(
        update={"rate": DEMO_SAMPLE_RATE})})
    hist_e = pl.concat([he, tr_e], how="vertical_relaxed")
    hist_l = pl.concat([hl, tr_l], how="vertical_relaxed")
    known = outcomes.join(tr_l.select(*KEYS), on=KEYS, how="semi")

    def run(model: Any, e: pl.DataFrame, line: pl.DataFrame) -> pl.DataFrame:
        return score_declarations(e, line, history_entries=hist_e, history_lines=hist_l,
                                  outcomes=known, model=model, config=cfg).assessments

    def score_fn(frame: pl.DataFrame) -> pl.DataFrame:
        e, line = split_declarations(frame, ent.columns, lin.columns)
        return run(artifact, e, line)

    assessments = run(artifact, te_e, te_l)
    truth = data["truth"].filter(pl.col("record_kind") == "line").select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        pl.lit(True).alias("_planted"), pl.col("loss_usd").cast(pl.Float64)
    ).unique(KEYS)
    exams = assessments.select(*KEYS, "selection").join(truth, on=KEYS, how="left")
    true_rate = float(exams["_planted"].fill_null(False).to_numpy().mean())
    exam_outcomes = exams.filter(pl.col("selection").is_in(["forced", "targeted", "random"])
                                 ).select(
        *KEYS, pl.lit(True).alias("examined"),
        pl.col("_planted").fill_null(False).alias("discrepancy"),
        pl.col("loss_usd").fill_null(0.0).alias("recovered_duty_usd"))
    decl_frame = te_l.join(te_e, on="entry_number", how="left")
    train_decl, test_decl = declarations(tr_e, tr_l), declarations(te_e, te_l)
    train_feat = declared_features(train_decl)
    test_feat = declared_features(test_decl)
    feature_names = [f for f in artifact.features if f in test_feat.columns]
    train_scores = run(artifact, tr_e, tr_l).select(*KEYS, "model_probability", "risk_score")
    return DemoRun(AuditInput(
        assessments=assessments, outcomes=exam_outcomes, declarations=decl_frame,
        history=pl.concat([he, tr_e], how="vertical_relaxed").join(
            pl.concat([hl, tr_l], how="vertical_relaxed"), on="entry_number"),
        features=test_feat.select(*KEYS, *feature_names),
        training_features=train_feat.select(*KEYS, *feature_names).join(
            train_scores, on=KEYS, how="left"),
        feature_names=feature_names, previous=run(previous, te_e, te_l),
        score_fn=score_fn,
        versions={"model": artifact.version, "previous_model": previous.version,
                  "rules": str(assessments["rules_version"][0]),
                  "targeting": cfg.version,
                  "lists": str(assessments["list_versions"][0])},
        data_note=(f"Demo data ({entries} entries, seed {seed}): model trained on entries "
                   f"before {cut}, audited on {te_l.height} lines from {cut}; exam results "
                   "reveal the planted violations; the compliance sample runs at "
                   f"{DEMO_SAMPLE_RATE:.0%}." + (" Labels were SHUFFLED for training: a "
                                                 "deliberately degraded model." if degrade
                                                 else ""))),
        artifact, true_rate)
