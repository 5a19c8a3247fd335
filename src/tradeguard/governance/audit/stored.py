"""Audit input from what the system stored: assessments, exam outcomes and declarations.

The scoring run keeps one ``app_assessments`` row per scored line with its full record as
JSON; exam results are the contract ``outcomes`` table; declarations are the ``entries`` and
``lines`` tables. The newest assessment of each line is audited and the one before it (a
re-score) is the "previous version" for the stability checks. Outcomes recorded for a whole
entry (no line number) apply to every line of that entry unless the line has its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from tradeguard.governance.audit.harness import KEYS, AuditInput

#: Record fields read out of the stored JSON, and their types.
RECORD_FIELDS: dict[str, pl.DataType] = {
    "entry_number": pl.String(), "line_number": pl.Int64(), "entry_date": pl.Date(),
    "port_of_entry": pl.String(), "risk_score": pl.Float64(), "lane": pl.String(),
    "selection": pl.String(), "selection_probability": pl.Float64(),
    "model_probability": pl.Float64(), "model_version": pl.String(),
}
_PATHS = {"model_version": "$.versions.model"}


@dataclass(frozen=True)
class StoredWindow:
    """Which stored assessments to read: entry dates from ``date_from`` to ``date_to``."""

    date_from: date | None = None
    date_to: date | None = None

    def where(self, column: Any) -> list[Any]:
        """SQL conditions on an entry-date column."""
        out: list[Any] = []
        if self.date_from is not None:
            out.append(column >= self.date_from)
        if self.date_to is not None:
            out.append(column <= self.date_to)
        return out


ALL_STORED = StoredWindow()


def stored_assessments(engine: sa.Engine, window: StoredWindow = ALL_STORED
                       ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The newest assessment per line in the window, and the one before it (or None).

    Fields are pulled out of the JSON record column by Polars in one pass, not row by row.
    """
    from tradeguard.store.app_tables import assessments as t

    stmt = sa.select(t.c.id, t.c.record).where(*window.where(t.c.entry_date))
    with engine.connect() as conn:
        raw = pl.read_database(stmt, conn, schema_overrides={"id": pl.Int64,
                                                             "record": pl.String})
    cols = [pl.col("record").str.json_path_match(_PATHS.get(name, f"$.{name}"))
            .cast(dtype, strict=False).alias(name) for name, dtype in RECORD_FIELDS.items()]
    frame = raw.select("id", *cols, pl.col("record"))
    ranked = frame.with_columns(
        pl.col("id").rank("ordinal", descending=True).over(KEYS).alias("_rank"))
    newest = ranked.filter(pl.col("_rank") == 1).drop("_rank").sort(KEYS)
    before = ranked.filter(pl.col("_rank") == 2).drop("_rank", "record")
    return newest, (before if before.height else None)


def line_outcomes(outcomes: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Line-level outcomes, with whole-entry outcomes spread over the entry's lines."""
    own = outcomes.filter(pl.col("line_number").is_not_null())
    whole = outcomes.filter(pl.col("line_number").is_null()).drop("line_number").unique(
        "entry_number", keep="last")
    spread = lines.select(*KEYS).join(whole, on="entry_number", how="inner").join(
        own.select(*KEYS), on=KEYS, how="anti")
    return pl.concat([own, spread.select(own.columns)], how="vertical_relaxed")


def _versions(newest: pl.DataFrame) -> dict[str, Any]:
    """The version map of the newest run (every line of one run carries the same map)."""
    import json

    if newest.is_empty():
        return {}
    latest = newest.sort("id").row(-1, named=True)
    versions = json.loads(latest["record"]).get("versions", {})
    return {str(k): str(v) for k, v in versions.items()}


def stored_audit_input(engine: sa.Engine, window: StoredWindow = ALL_STORED,
                       model_dir: Path | None = None, with_scorer: bool = True,
                       ) -> AuditInput | None:
    """Everything the audit needs from the database, or None when no assessment is stored.

    ``model_dir`` is the artifact that produced the assessments; with ``with_scorer`` the
    robustness and security sections re-score edited declarations through the pipeline with
    it (stored history and outcomes as context). Without a model they test the rules alone,
    and the data note says so.
    """
    from tradeguard.api.records import stored_declarations, stored_outcomes
    from tradeguard.governance.audit.demo import split_declarations

    newest, previous = stored_assessments(engine, window)
    if newest.is_empty():
        return None
    days = newest["entry_date"].drop_nulls()
    start = days.min() if days.len() else None
    end = days.max() if days.len() else None
    assert start is None or isinstance(start, date)
    assert end is None or isinstance(end, date)
    current = stored_declarations(engine, date_from=start, date_to=end)
    history = stored_declarations(engine, before=start) if start else None
    outcomes = line_outcomes(stored_outcomes(engine), current.lines)
    decl = current.lines.join(current.entries, on="entry_number", how="left").join(
        newest.select(*KEYS), on=KEYS, how="semi")
    hist = None if history is None or history.entries.is_empty() else \
        history.entries.join(history.lines, on="entry_number")
    versions = _versions(newest)
    notes = [f"Stored assessments: {newest.height} lines (newest assessment of each), entry "
             f"dates {start} to {end}; {outcomes.height} exam outcomes; {decl.height} "
             "declarations from the entries and lines tables."]
    inp = AuditInput(newest.drop("id", "record"), outcomes, declarations=decl,
                     history=hist, previous=previous, versions=versions)
    model = _load_model(model_dir, versions.get("model"), notes)
    _add_features(inp, model, current, history)
    if with_scorer:
        ctx_e = current.entries if history is None else pl.concat(
            [history.entries, current.entries], how="vertical_relaxed")
        ctx_l = current.lines if history is None else pl.concat(
            [history.lines, current.lines], how="vertical_relaxed")
        ent_cols, line_cols = current.entries.columns, current.lines.columns
        all_outcomes = stored_outcomes(engine)

        def score_fn(frame: pl.DataFrame) -> pl.DataFrame:
            from tradeguard.pipeline import score_declarations

            e, ln = split_declarations(frame, ent_cols, line_cols)
            return score_declarations(e, ln, history_entries=ctx_e, history_lines=ctx_l,
                                      outcomes=all_outcomes, model=model).assessments

        inp.score_fn = score_fn
    inp.data_note = " ".join(notes)
    return inp


def _load_model(model_dir: Path | None, stored_version: str | None,
                notes: list[str]) -> Any:
    """The model artifact (features, re-scoring), noting whether stored runs used it."""
    from tradeguard.model import load_artifact

    if model_dir is None or not (model_dir / "model.json").is_file():
        notes.append("No model artifact given: no feature drift, and robustness re-scores "
                     "with rules and detectors only.")
        return None
    model = load_artifact(model_dir)
    if stored_version and model.version != stored_version:
        notes.append(f"WARNING: the model artifact ({model.version[:16]}) is not the one that "
                     f"produced the stored assessments ({stored_version[:16]}).")
    else:
        notes.append(f"Features and re-scoring use model {model.version[:16]} from "
                     f"{model_dir}.")
    return model


def _add_features(inp: AuditInput, model: Any, current: Any, history: Any | None) -> None:
    """Declared features of the audited lines and of the earlier lines (the drift reference)."""
    if model is None:
        return
    from tradeguard.model.line_features import declared_features
    from tradeguard.pipeline import declarations

    cur = declared_features(declarations(current.entries, current.lines)).join(
        inp.assessments.select(*KEYS), on=KEYS, how="semi")
    names = [f for f in model.features if f in cur.columns]
    if history is not None and not history.entries.is_empty():
        ref = declared_features(declarations(history.entries, history.lines))
        names = [f for f in names if f in ref.columns]
        inp.training_features = ref.select(*KEYS, *names)
    inp.features = cur.select(*KEYS, *names)
    inp.feature_names = names


def latest_entry_date(engine: sa.Engine) -> date | None:
    """The newest entry date among stored assessments (None when nothing is stored)."""
    from tradeguard.store.app_tables import assessments as t

    if "app_assessments" not in set(sa.inspect(engine).get_table_names()):
        return None
    with engine.connect() as conn:
        value = conn.execute(sa.select(sa.func.max(t.c.entry_date))).scalar()
    return value if isinstance(value, date) else None


def stored_windows(engine: sa.Engine, days: int, model_dir: Path | None = None,
                   until: date | None = None) -> tuple[AuditInput, AuditInput] | None:
    """(reference, current): the ``days`` before ``until`` (default: the newest stored entry
    date) and the ``days`` before those; None when either window holds no assessment."""
    from datetime import timedelta

    if days < 1:
        raise ValueError(f"window must be at least one day, got {days}")
    end = until or latest_entry_date(engine)
    if end is None:
        return None
    span = timedelta(days=days)
    cur = StoredWindow(end - span + timedelta(days=1), end)
    ref = StoredWindow(end - 2 * span + timedelta(days=1), end - span)
    current = stored_audit_input(engine, cur, model_dir, with_scorer=False)
    reference = stored_audit_input(engine, ref, model_dir, with_scorer=False)
    if current is None or reference is None:
        return None
    return reference, current
