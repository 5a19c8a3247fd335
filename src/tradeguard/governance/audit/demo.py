"""An audit that runs anywhere: demo declarations, a model trained on the earlier days, the
later days scored through the whole pipeline, and exam results for the lines it selected.

The demo's exams reveal the planted truth (a planted violation is found, with its loss as the
recovered duty; a clean line is found clean), so the IPW estimates can be compared with the
truth. The demo runs a 5 % compliance sample (the shipped configuration samples 1 %) so a
demo-sized window still holds enough random exams. ``degrade=True`` trains on shuffled labels:
the model that must fail its gate.

:func:`demo_audit_input` generates its own data; :func:`audit_demo_folder` audits a demo data
folder that exists already (the one ``tradeguard demo`` generated), so the demo's model is
audited in shadow on the same declarations the demo then serves. Every run over the later
days goes through one fitted scorer: the candidate, the previous version and the robustness
edits share its detectors instead of fitting them again.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tradeguard.governance.audit.harness import KEYS, AuditInput

DEMO_SAMPLE_RATE = 0.05
TRAIN_SHARE = 0.6


@dataclass(frozen=True)
class DemoRun:
    """The audit input plus what built it (for registering the version).

    ``cut`` is the first day of the audited (shadow) period: the model learned from the
    days before it; ``config`` the targeting configuration the shadow run used.
    """

    audit_input: AuditInput
    artifact: Any
    true_hit_rate: float
    cut: date | None = None
    config: Any = None


def demo_targeting_config() -> Any:
    """The shipped targeting configuration with the demo's 5 % compliance sample (its own
    content hash, so every assessment made with it says which sample ran)."""
    from tradeguard.targeting import load_targeting_config

    base = load_targeting_config()
    return base.model_copy(update={"random_sample": base.random_sample.model_copy(
        update={"rate": DEMO_SAMPLE_RATE})})


def _read(d: Path, q: Path, supply_chain: bool = False) -> dict[str, pl.DataFrame]:
    from tradeguard.pipeline.inputs import read_contract_file

    ent = read_contract_file(d / "entries.csv", "entries", q).frame
    he = read_contract_file(d / "history_entries.csv", "entries", q).frame
    out = {
        "entries": ent,
        "lines": read_contract_file(d / "lines.csv", "lines", q,
                                    entries=ent["entry_number"]).frame,
        "history_entries": he,
        "history_lines": read_contract_file(d / "history_lines.csv", "lines", q,
                                            entries=he["entry_number"]).frame,
        "outcomes": read_contract_file(d / "outcomes.csv", "outcomes", q).frame,
        "truth": pl.read_csv(d / "truth.csv", infer_schema_length=10_000),
    }
    if supply_chain and (d / "supply_chain.csv").is_file():
        out["supply_chain"] = read_contract_file(d / "supply_chain.csv", "supply_chain", q,
                                                 entries=ent["entry_number"]).frame
    return out


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

    root = Path(work) if work else Path(tempfile.mkdtemp(prefix="tradeguard-audit-"))
    generate_demo_data(root / "demo", entries=entries, seed=seed,
                       history_months=history_months)
    return audit_demo_folder(root / "demo", root / "quarantine", seed=seed, degrade=degrade,
                             label=f"Demo data ({entries} entries, seed {seed})")


def audit_demo_folder(folder: Path, quarantine: Path, *, seed: int = 7, degrade: bool = False,
                      label: str | None = None, supply_chain: bool = False) -> DemoRun:
    """Train on the earlier days of the demo data in ``folder``, score the later days in
    shadow (nothing stored, nothing logged) and examine what that run selected.

    ``supply_chain`` scores with the folder's supply-chain records, as the demo site does;
    rows the contract rejects go to ``quarantine``.
    """
    from tradeguard.pipeline.training import train_line_model

    data = _read(folder, quarantine, supply_chain)
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
    cfg = demo_targeting_config()
    shadow = _ShadowScorer(he, hl, tr_e, tr_l, outcomes, artifact, cfg,
                           data.get("supply_chain"), ent.columns, lin.columns)
    assessments = shadow.score(te_e, te_l)
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
    note = f"{label or 'Demo data'}: model trained on entries before {cut}, audited on " \
        f"{te_l.height} lines from {cut}"
    return DemoRun(_audit_input(shadow, artifact, assessments, exam_outcomes, previous,
                                (tr_e, tr_l), (te_e, te_l), note, degrade),
                   artifact, true_rate, cut, cfg)


class _ShadowScorer:
    """One scorer fitted on the history plus the earlier days, reused for every run of the
    audit: the candidate's, the previous version's (a view with the other model) and each
    robustness edit's. Results equal fresh ``score_declarations`` runs with the same inputs.
    """

    def __init__(self, he: pl.DataFrame, hl: pl.DataFrame, tr_e: pl.DataFrame,
                 tr_l: pl.DataFrame, outcomes: pl.DataFrame, artifact: Any, cfg: Any,
                 supply_chain: pl.DataFrame | None, ent_cols: list[str],
                 line_cols: list[str]) -> None:
        from tradeguard.pipeline import Scorer

        self.history = (pl.concat([he, tr_e], how="vertical_relaxed"),
                        pl.concat([hl, tr_l], how="vertical_relaxed"))
        known = outcomes.join(tr_l.select(*KEYS), on=KEYS, how="semi")
        self.scorer = Scorer(history_entries=self.history[0], history_lines=self.history[1],
                             outcomes=known, model=artifact, config=cfg)
        self.supply_chain = supply_chain
        self.columns = (ent_cols, line_cols)

    def score(self, e: pl.DataFrame, lines: pl.DataFrame, model: Any = None) -> pl.DataFrame:
        """Assessments of ``e``/``lines`` with the candidate (or ``model``, same detectors)."""
        scorer = self.scorer
        if model is not None:
            scorer = copy.copy(scorer)
            scorer.model, scorer.model_version = model, model.version
        return scorer.score(e, lines, supply_chain=self.supply_chain).assessments

    def score_frame(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The audit's ``score_fn``: one declarations frame in, assessments out."""
        e, lines = split_declarations(frame, *self.columns)
        return self.score(e, lines)


def _audit_input(shadow: _ShadowScorer, artifact: Any, assessments: pl.DataFrame,
                 exams: pl.DataFrame, previous: Any, train: tuple[pl.DataFrame, pl.DataFrame],
                 test: tuple[pl.DataFrame, pl.DataFrame], note: str,
                 degrade: bool) -> AuditInput:
    from tradeguard.model.line_features import declared_features
    from tradeguard.pipeline import declarations

    (tr_e, tr_l), (te_e, te_l) = train, test
    cfg = shadow.scorer.config
    decl_frame = te_l.join(te_e, on="entry_number", how="left")
    train_feat = declared_features(declarations(tr_e, tr_l))
    test_feat = declared_features(declarations(te_e, te_l))
    feature_names = [f for f in artifact.features if f in test_feat.columns]
    train_scores = shadow.score(tr_e, tr_l).select(*KEYS, "model_probability", "risk_score")
    return AuditInput(
        assessments=assessments, outcomes=exams, declarations=decl_frame,
        history=shadow.history[0].join(shadow.history[1], on="entry_number"),
        features=test_feat.select(*KEYS, *feature_names),
        training_features=train_feat.select(*KEYS, *feature_names).join(
            train_scores, on=KEYS, how="left"),
        feature_names=feature_names, previous=shadow.score(te_e, te_l, previous),
        score_fn=shadow.score_frame,
        versions={"model": artifact.version, "previous_model": previous.version,
                  "rules": str(assessments["rules_version"][0]),
                  "targeting": cfg.version,
                  "lists": str(assessments["list_versions"][0])},
        data_note=(f"{note}; exam results "
                   "reveal the planted violations; the compliance sample runs at "
                   f"{DEMO_SAMPLE_RATE:.0%}." + (" Labels were SHUFFLED for training: a "
                                                 "deliberately degraded model." if degrade
                                                 else "")))
