"""``tradeguard audit replay SEQ``: re-run a logged decision and compare it bit for bit.

The declarations are read through the contract's validation, exactly as ``score`` reads
them, and scored with the same options; the logged record's input digest, versions, score,
lane and reasons are then compared with the replay. Exit 0 when everything matches, 1 naming
every difference, 2 on a usage error.

Also holds the batch reading shared with ``tradeguard review enqueue``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tradeguard.cli._common import EXIT_FAILED, fail, print_json, require_history_pair

if TYPE_CHECKING:
    import polars as pl

_DB_HELP = "SQLAlchemy URL of the database (default: TRADEGUARD_DB)."
EntriesOpt = Annotated[Path, typer.Option("--entries", help="Entry summaries (contract).")]
LinesOpt = Annotated[Path, typer.Option("--lines", help="Entry lines (contract).")]
HistEntriesOpt = Annotated[
    Path | None, typer.Option("--history-entries", help="Past entry summaries.")
]
HistLinesOpt = Annotated[Path | None, typer.Option("--history-lines", help="Past entry lines.")]
OutcomesOpt = Annotated[Path | None, typer.Option("--outcomes", help="Past exam results.")]
ModelOpt = Annotated[Path | None, typer.Option("--model", help="Model artifact folder.")]
RefdataOpt = Annotated[Path | None, typer.Option("--refdata", help="Reference-data folder.")]


def read_batch(
    entries: Path,
    lines: Path,
    history_entries: Path | None = None,
    history_lines: Path | None = None,
    outcomes: Path | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Entries, lines and the scoring frames, read and validated like ``score`` does.

    Rejected rows go to a throw-away quarantine: a replay only needs the accepted rows, and
    ``score`` already kept the rejects when the batch was first scored.
    """
    from tradeguard.contract import ContractError
    from tradeguard.pipeline.inputs import read_contract_file

    require_history_pair(history_entries, history_lines)
    with tempfile.TemporaryDirectory() as qdir:
        q = Path(qdir)
        try:
            ent = read_contract_file(entries, "entries", q).frame
            lin = read_contract_file(lines, "lines", q, entries=ent["entry_number"]).frame
            frames: dict[str, Any] = {}
            if history_entries is not None and history_lines is not None:
                he = read_contract_file(history_entries, "entries", q).frame
                frames["history_entries"] = he
                frames["history_lines"] = read_contract_file(
                    history_lines, "lines", q, entries=he["entry_number"]
                ).frame
            if outcomes is not None:
                frames["outcomes"] = read_contract_file(outcomes, "outcomes", q).frame
        except ContractError as exc:
            fail(str(exc), EXIT_FAILED)
    if lin.is_empty():
        fail(f"{lines}: no line was accepted", EXIT_FAILED)
    return ent, lin, frames


def scoring_options(model: Path | None, refdata: Path | None) -> dict[str, Any]:
    """The model artifact and reference data the pipeline should use."""
    from tradeguard.refdata import load_reference_data

    options: dict[str, Any] = {"ref": load_reference_data(refdata)}
    if model is not None:
        from tradeguard.model import load_artifact

        options["model"] = load_artifact(model)
    return options


def replay(
    seq: Annotated[int, typer.Argument(help="Sequence number of the decision.scored record.")],
    entries: EntriesOpt,
    lines: LinesOpt,
    history_entries: HistEntriesOpt = None,
    history_lines: HistLinesOpt = None,
    outcomes: OutcomesOpt = None,
    model: ModelOpt = None,
    refdata: RefdataOpt = None,
    db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
    prefix: Annotated[str, typer.Option("--prefix", help="Log table prefix.")] = "decision_log",
    user: Annotated[str | None, typer.Option("--user", help="Auditor id (default $USER).")] = None,
) -> None:
    """Re-score the batch a logged decision came from and compare it with the log."""
    import sqlalchemy as sa

    from tradeguard.decisions import SqlLogStore, TransparencyLog
    from tradeguard.decisions.checkpoint import signer_from_settings
    from tradeguard.decisions.replay import ReplayError, pipeline_scorer, replay_decision
    from tradeguard.pipeline import DetectorError
    from tradeguard.security import AccessDenied, Principal, Role
    from tradeguard.settings import get_settings

    settings = get_settings()
    ent, lin, frames = read_batch(entries, lines, history_entries, history_lines, outcomes)
    engine = sa.create_engine(db or settings.db)
    auditor = Principal(user or os.environ.get("USER", "auditor"), frozenset({Role.AUDITOR}))
    try:
        log = TransparencyLog(SqlLogStore(engine, prefix=prefix), signer_from_settings(settings))
        scorer = pipeline_scorer(ent, lin, **frames, **scoring_options(model, refdata))
        result = replay_decision(log, auditor, seq, scorer)
    except (ReplayError, AccessDenied, DetectorError, OSError, ValueError) as exc:
        fail(f"replay of record {seq}: {exc}", EXIT_FAILED)
    finally:
        engine.dispose()
    print_json(result.to_json())
    if not result.matches:
        fail(f"record {seq} does not replay: " + "; ".join(result.differences), EXIT_FAILED)


def register_audit(group: typer.Typer) -> None:
    """Add ``replay`` to the ``audit`` group."""
    group.command("replay")(replay)
