"""``tradeguard score-packages``: score small packages (contract command), and the shared
reader that validates a contract file and quarantines its rejects next to the output."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, print_json, write_table

if TYPE_CHECKING:
    import polars as pl


def read_contract_file(path: Path, kind: str, quarantine_dir: Path) -> tuple[pl.DataFrame, int]:
    """Accepted rows of a contract file (contract columns plus extras as columns) and the
    number of rejected rows, written to ``<quarantine_dir>/<file>.rejects.csv``."""
    from datetime import date

    import polars as pl

    from tradeguard.contract import ContractError, open_source, validate_batch
    from tradeguard.contract.quarantine import RejectsWriter, rejects_path
    from tradeguard.contract.validate import EXTRA, KeyTracker

    try:
        source = open_source(path, kind)
    except ContractError as exc:
        fail(str(exc), EXIT_FAILED)
    writer = RejectsWriter(rejects_path(quarantine_dir, path))
    keys = KeyTracker()
    parts: list[pl.DataFrame] = []
    try:
        with source:
            for raw in source.batches(250_000):
                checked = validate_batch(raw, source.schema, today=date.today(), keys=keys)
                writer.write(checked.rejected)
                parts.append(checked.accepted.select([*source.schema.names, EXTRA]))
    except ContractError as exc:
        fail(str(exc), EXIT_FAILED)
    frame = pl.concat(parts) if parts else pl.DataFrame()
    if not frame.is_empty() and frame[EXTRA].drop_nulls().len():
        extras = frame[EXTRA].fill_null("{}").str.json_decode(infer_schema_length=10_000)
        frame = frame.drop(EXTRA).with_columns(extras.struct.unnest())
    elif EXTRA in frame.columns:
        frame = frame.drop(EXTRA)
    return frame, writer.rows


def score_packages_command(
    packages: Annotated[Path, typer.Option("--packages", help="Contract packages file.")],
    out: Annotated[Path, typer.Option("--out", help="Scores: CSV, or Parquet by extension.")],
    history_packages: Annotated[Path | None, typer.Option(
        "--history-packages", help="Past packages (same columns): peer baselines, offenders."
    )] = None,
    outcomes: Annotated[Path | None, typer.Option(
        "--outcomes", help="Past package outcomes: package_id (or entry_number), discrepancy "
        "[, examined, category].")] = None,
    findings: Annotated[Path | None, typer.Option(
        "--findings", help="Also write every finding (package_id in entry_number).")] = None,
    no_watchlist: Annotated[bool, typer.Option(
        "--no-watchlist", help="Skip screening shippers against the watch lists.")] = False,
    refdata: Annotated[Path | None, typer.Option("--refdata", help="Reference data folder.")
                       ] = None,
) -> None:
    """Score every small package: risk_score, lane, categories and reasons per package_id."""
    from tradeguard.packages import score_packages

    if outcomes is not None and history_packages is None:
        fail("--outcomes needs --history-packages (they say who sent each past parcel)",
             EXIT_USAGE)
    frame, rejected = read_contract_file(packages, "packages", out.parent)
    history = None
    if history_packages is not None:
        history, _ = read_contract_file(history_packages, "packages", out.parent)
    past, past_rejected = None, 0
    if outcomes is not None:
        past, past_rejected = read_contract_file(outcomes, "package_outcomes", out.parent)
    index = None
    if not no_watchlist:
        from tradeguard.refdata import load_reference_data
        from tradeguard.screening import WatchlistIndex

        try:
            ref = load_reference_data(refdata)
        except Exception as exc:  # any load failure is reported the same way
            fail(f"{refdata or 'shipped reference data'}: cannot load: {exc}", EXIT_FAILED)
        index = WatchlistIndex.build(ref.watchlists, ref.versions)
    result = score_packages(frame, index=index, history=history, outcomes=past)
    write_table(result.scores, out)
    if findings is not None:
        write_table(result.findings, findings)
    lanes = dict(result.scores.group_by("lane").len().iter_rows())
    print_json({"packages": result.scores.height, "rejected": rejected,
                "outcomes_rejected": past_rejected, "lanes": lanes,
                "out": str(out), "versions": result.versions})


def register(app: typer.Typer) -> None:
    """Add the ``score-packages`` command."""
    app.command("score-packages")(score_packages_command)
