"""``tradeguard demo``: a complete working installation from embedded defaults.

Generates the demo declarations, ingests them, trains the line model on the examined lines,
scores the current window through the pipeline, queues every assessment for review (each
logged as ``decision.scored`` with its explanation sealed), stores the assessments and
findings, and creates one account per role with current training records. The trained model
then goes through the registry (:mod:`tradeguard.api.demo_registry`): registered, audited on
what was stored, and approved only if the audit passed; the service is handed the model only
when it was approved, and its deployment gate would refuse it otherwise.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tradeguard.settings import Settings

#: (username, role, which demo importer) — importer users act for the importers of record
#: of the riskiest entry ("a") and of another entry ("b").
DEMO_USERS: tuple[tuple[str, str, str | None], ...] = (
    ("officer", "officer", None),
    ("supervisor", "supervisor", None),
    ("analyst", "analyst", None),
    ("auditor", "auditor", None),
    ("model_owner", "model_owner", None),
    ("importer_a", "importer", "a"),
    ("importer_b", "importer", "b"),
    ("admin", "admin", None),
)
TRAINED = ("officer", "supervisor")


@dataclass
class DemoSite:
    """What the demo built: where, the accounts with their passwords, and counts.

    ``model_dir`` is the model the service is to score with: the trained one once the
    registry approved it, else None; ``trained_model_dir`` is where the trained one is.
    """

    directory: Path
    db_url: str
    model_dir: Path | None
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    trained_model_dir: Path | None = None


def demo_settings(directory: Path, **overrides: Any) -> Settings:
    """Settings for a demo in ``directory`` (its own SQLite file and work folder)."""
    from tradeguard.settings import get_settings

    db = f"sqlite:///{(directory / 'tradeguard.db').resolve()}"
    return get_settings(db=db, work_dir=directory, **overrides)


def _ingest(settings: Settings, store: Any, data: Path) -> dict[str, Any]:
    from tradeguard.ingest import ingest_files

    reports = [
        ingest_files([data / "history_entries.csv"], store=store, kind="entries",
                     settings=settings),
        ingest_files([data / "history_lines.csv"], store=store, kind="lines", settings=settings),
        ingest_files([data / f"{k}.csv" for k in
                      ("entries", "lines", "supply_chain", "outcomes", "packages")],
                     store=store, settings=settings),
    ]
    for r in reports:
        if not r.ok:
            failed = [f.to_dict() for f in r.files if f.status != "done"]
            raise RuntimeError(f"demo ingest failed: {failed}")
    return {"accepted": sum(r.total()["accepted"] for r in reports),
            "rejected": sum(r.total()["rejected"] for r in reports)}


def build_demo(directory: Path, *, entries: int = 600, seed: int = 7,
               passwords: dict[str, str] | None = None,
               settings: Settings | None = None) -> DemoSite:
    """Build the demo installation in ``directory`` (fresh database each time)."""
    from tradeguard.api.accounts import create_user
    from tradeguard.api.demo_registry import govern_demo_model, reset_registry
    from tradeguard.api.records import save_result, stored_declarations, stored_outcomes
    from tradeguard.api.services import open_workflow
    from tradeguard.decisions.review import enqueue_frame
    from tradeguard.decisions.training import record_training
    from tradeguard.demo import generate_demo_data
    from tradeguard.pipeline import Scorer
    from tradeguard.security import Principal, Role
    from tradeguard.store import open_store

    directory.mkdir(parents=True, exist_ok=True)
    db_file = directory / "tradeguard.db"
    db_file.unlink(missing_ok=True)
    settings = settings or demo_settings(directory)
    reset_registry(settings)
    manifest = generate_demo_data(directory / "data", entries=entries, seed=seed)
    start = date.fromisoformat(manifest.window[0])
    with open_store(settings.db) as store:
        loaded = _ingest(settings, store, directory / "data")
        engine = store.engine
        current = stored_declarations(engine, date_from=start)
        history = stored_declarations(engine, before=start)
        outcomes = stored_outcomes(engine)
        model, model_dir, model_note = _train(current, history, outcomes, directory / "model")
        scorer = Scorer(history_entries=history.entries, history_lines=history.lines,
                        outcomes=outcomes, model=model)
        result = scorer.score(current.entries, current.lines, supply_chain=current.supply_chain)
        wf = open_workflow(engine, settings)
        system = Principal("system:scoring-run", frozenset({Role.OFFICER}))
        queued = enqueue_frame(wf, system, result.assessments, current.entries)
        importer_of = dict(current.entries.select("entry_number", "importer_id").iter_rows())
        seqs = {(i.entry_number, i.line_number): i.scored_seq for i in queued}
        save_result(engine, result.assessments, result.findings, importer_of, seqs)
        importers = _demo_importers(result.assessments, importer_of)
        users = _create_users(engine, wf, importers, passwords or {}, create_user,
                              record_training)
        record = None if model is None or model_dir is None else govern_demo_model(
            settings, engine, wf.log, model, model_dir, scorer, current)
    lanes = dict(result.assessments.group_by("lane").len().iter_rows())
    served = model_dir if record is not None and record.approved else None
    return DemoSite(directory, settings.db, served, users, {
        "rows_loaded": loaded, "lines_scored": result.assessments.height,
        "lanes": {str(k): int(v) for k, v in lanes.items()}, "model": model_note,
        "registry": None if record is None else record.to_json(),
        "window": list(manifest.window), "log_records": wf.log.size,
    }, model_dir)


def _train(current: Any, history: Any, outcomes: pl.DataFrame,
           out: Path) -> tuple[Any, Path | None, str]:
    """The line model trained on the examined lines, or (None, None, why not)."""
    from tradeguard.model import save_artifact
    from tradeguard.pipeline.training import train_line_model

    try:
        artifact = train_line_model(current.entries, current.lines, outcomes,
                                    history.entries, history.lines)
    except ValueError as exc:
        return None, None, f"not trained: {exc}"
    save_artifact(artifact, out)
    return artifact, out, artifact.version


def _demo_importers(frame: pl.DataFrame, importer_of: dict[str, str]) -> dict[str, str]:
    """Importer "a" owns the riskiest line; "b" is the importer of another scored entry."""
    ranked = frame.sort(["risk_score", "entry_number", "line_number"],
                        descending=[True, False, False]).get_column("entry_number").to_list()
    first = importer_of[ranked[0]]
    second = next((importer_of[n] for n in ranked if importer_of[n] != first), first)
    return {"a": first, "b": second}


def _create_users(engine: Any, wf: Any, importers: dict[str, str], passwords: dict[str, str],
                  create_user: Any, record_training: Any) -> dict[str, dict[str, Any]]:
    from tradeguard.security import Principal, Role

    users: dict[str, dict[str, Any]] = {}
    for name, role, which in DEMO_USERS:
        password = passwords.get(name) or secrets.token_urlsafe(9)
        importer = importers[which] if which else None
        create_user(engine, name, password, [role], importer_id=importer,
                    display_name=name.replace("_", " ").title(), created_by="demo")
        users[name] = {"password": password, "role": role, "importer_id": importer}
    admin = Principal("admin", frozenset({Role.ADMIN}))
    today = date.today()
    for name in TRAINED:
        record_training(wf.store, admin, name, today)
    return users
