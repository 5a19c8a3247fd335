"""``tradeguard score`` (the contract's scoring command) and ``tradeguard plan``."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tradeguard.cli._common import (
    EXIT_FAILED,
    EXIT_USAGE,
    deployment_gate,
    fail,
    parse_day,
    print_json,
    require_history_pair,
    write_table,
)

if TYPE_CHECKING:
    import polars as pl

    from tradeguard.pipeline.inputs import ContractFile


def _read(path: Path, kind: str, qdir: Path, entries: pl.Series | None = None) -> ContractFile:
    from tradeguard.contract import ContractError
    from tradeguard.pipeline.inputs import read_contract_file

    try:
        return read_contract_file(path, kind, qdir, entries=entries)
    except ContractError as exc:
        fail(str(exc), EXIT_FAILED)


def score(
    entries: Annotated[Path, typer.Option("--entries", help="Entry summaries (contract).")],
    lines: Annotated[Path, typer.Option("--lines", help="Entry lines (contract).")],
    out: Annotated[Path, typer.Option("--out", help="Scored lines: CSV, or .parquet.")],
    supply_chain: Annotated[
        Path | None, typer.Option("--supply-chain", help="Declared upstream suppliers.")
    ] = None,
    history_entries: Annotated[
        Path | None, typer.Option("--history-entries", help="Past entry summaries.")
    ] = None,
    history_lines: Annotated[
        Path | None, typer.Option("--history-lines", help="Past entry lines.")
    ] = None,
    outcomes: Annotated[
        Path | None, typer.Option("--outcomes", help="Past exam and review results.")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Model artifact folder (model train).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Targeting configuration YAML.")
    ] = None,
    profiles: Annotated[
        Path | None, typer.Option("--profiles", help="Rules profiles folder (default shipped).")
    ] = None,
    refdata: Annotated[
        Path | None, typer.Option("--refdata", help="Another reference-data folder.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluation date YYYY-MM-DD (default: "
                                 "latest entry date).")
    ] = None,
    registry: Annotated[
        Path | None, typer.Option("--registry", help="Registry folder (default: "
                                  "TRADEGUARD_WORK_DIR/registry): deployment gate, kill switch.")
    ] = None,
    unapproved_model: Annotated[
        bool, typer.Option("--unapproved-model", help="Evaluate a model the registry has not "
                           "approved; the output is marked evaluation-only.")
    ] = False,
) -> None:
    """Score every line without a database: risk score, lane, categories and reasons.

    Rejected input rows go to ``<file>.rejects.csv`` next to --out; a summary goes to stderr.
    Without --model the score comes from detector findings and rules profiles only, and the
    ``model_version`` column says so.
    """
    from tradeguard.pipeline import DetectorError, score_declarations
    from tradeguard.targeting import load_targeting_config, output_frame

    require_history_pair(history_entries, history_lines)
    day = parse_day(as_of)
    qdir = out.parent
    read: list[ContractFile] = []
    ent = _read(entries, "entries", qdir)
    lin = _read(lines, "lines", qdir, ent.frame.get_column("entry_number"))
    read += [ent, lin]
    if lin.frame.is_empty():
        fail(f"{lines}: no line was accepted; see {lin.rejects_file}", EXIT_FAILED)
    frames: dict[str, Any] = {}
    if supply_chain is not None:
        sc = _read(supply_chain, "supply_chain", qdir, ent.frame.get_column("entry_number"))
        read.append(sc)
        frames["supply_chain"] = sc.frame
    if history_entries is not None and history_lines is not None:
        he = _read(history_entries, "entries", qdir)
        hl = _read(history_lines, "lines", qdir, he.frame.get_column("entry_number"))
        read += [he, hl]
        frames["history_entries"], frames["history_lines"] = he.frame, hl.frame
    if outcomes is not None:
        oc = _read(outcomes, "outcomes", qdir)
        read.append(oc)
        frames["outcomes"] = oc.frame
    try:
        artifact = _load_model(model) if model is not None else None
        ai_enabled, gate_note = deployment_gate(registry, artifact, unapproved_model)
        cfg = load_targeting_config(config)
        ref = _load_refdata(refdata)
        profile_set = _load_profiles(profiles)
        result = score_declarations(ent.frame, lin.frame, model=artifact, ref=ref,
                                    config=cfg, profiles=profile_set, as_of=day,
                                    ai_lanes_enabled=ai_enabled, **frames)
    except DetectorError as exc:
        fail(str(exc), EXIT_FAILED)
    except (OSError, ValueError) as exc:
        fail(str(exc), EXIT_FAILED)
    write_table(output_frame(result.assessments), out)
    lanes = result.assessments.group_by("lane").len()
    summary = {
        "out": str(out), "lines_scored": result.assessments.height,
        "lanes": {str(k): int(v) for k, v in lanes.iter_rows()},
        "model_version": result.versions["model"], "rules_version": result.versions["rules"],
        "targeting_version": result.versions["targeting"],
        "files": [{"file": str(f.path), "kind": f.kind, "accepted": f.accepted,
                   "rejected": f.rejected,
                   "rejects": str(f.rejects_file) if f.rejects_file else None} for f in read],
        "warnings": [*result.warnings, *([gate_note] if gate_note else [])],
    }
    sys.stderr.write(json.dumps(summary, indent=2) + "\n")


def _load_model(path: Path) -> Any:
    from tradeguard.model import load_artifact

    return load_artifact(path)


def _load_refdata(path: Path | None) -> Any:
    from tradeguard.refdata import load_reference_data

    return load_reference_data(path)


def _load_profiles(path: Path | None) -> Any:
    from tradeguard.rules import ProfileLoadError, load_profile_set, shipped_profiles_dir

    try:
        return load_profile_set(path or shipped_profiles_dir())
    except ProfileLoadError as exc:
        fail(f"{path}: {exc}", EXIT_FAILED)


def plan(
    scored: Annotated[Path, typer.Option("--scored", help="Output of tradeguard score.")],
    port: Annotated[str, typer.Option("--port", help="4-digit port code.")],
    day: Annotated[str, typer.Option("--date", help="Day YYYY-MM-DD.")],
    capacity: Annotated[
        int | None, typer.Option("--capacity", help="Exams the port can do that day.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
) -> None:
    """The exam plan for a port and day: red lines by risk within capacity, yellow reviews."""
    import polars as pl

    from tradeguard.targeting import exam_plan

    try:
        when = date.fromisoformat(day)
    except ValueError:
        fail(f"--date: expected YYYY-MM-DD, got {day!r}", EXIT_USAGE)
    if capacity is not None and capacity < 0:
        fail("--capacity must be 0 or more", EXIT_USAGE)
    if not scored.is_file():
        fail(f"{scored}: no such file", EXIT_FAILED)
    try:
        frame = (pl.read_parquet(scored) if scored.suffix.lower() == ".parquet"
                 else pl.read_csv(scored, schema_overrides={"port_of_entry": pl.String,
                                                           "entry_number": pl.String}))
        result = exam_plan(frame, port, when, capacity)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        fail(f"{scored}: cannot plan from this file: {exc}", EXIT_FAILED)
    if as_json:
        print_json(result.to_dict())
        return
    _print_plan(result)


def _print_plan(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"Port {result.port}, {result.day}: {result.lines} lines")
    for title, frame in (("Exams", result.exams), ("Beyond capacity", result.beyond_capacity),
                         ("Document review", result.reviews)):
        if frame.is_empty():
            console.print(f"{title}: none")
            continue
        table = Table(title=title)
        for col in ("#", "entry", "line", "risk", "selection", "categories", "why"):
            table.add_column(col)
        for r in frame.iter_rows(named=True):
            table.add_row(str(r["priority"]), r["entry_number"], str(r["line_number"]),
                          f"{r['risk_score']:.2f}", r["selection"],
                          ", ".join(r["categories"]), "; ".join(r["reason_texts"]))
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``score`` and ``plan`` commands to the app."""
    app.command("score")(score)
    app.command("plan")(plan)
