"""``tradeguard rules``: list, check, back-test and record changes to risk profiles."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tradeguard.cli._common import (
    EXIT_FAILED,
    EXIT_USAGE,
    fail,
    parse_day,
    print_json,
    read_table,
    write_table,
)

if TYPE_CHECKING:

    from tradeguard.rules import ProfileSet

rules_app = typer.Typer(help="Risk profiles (selectivity criteria): list, check, test, record.")

_PROFILES_HELP = "Profile directory (default: the example profiles shipped with the package)."
_ON_HELP = "Apply validity windows as of this date (default: test every profile)."
_OUT_HELP = "Also write the findings (CSV, or Parquet by extension)."


def _load(profiles: Path | None) -> ProfileSet:
    from tradeguard.rules import ProfileLoadError, load_profile_set, shipped_profiles_dir

    try:
        return load_profile_set(profiles or shipped_profiles_dir())
    except FileNotFoundError as exc:
        fail(str(exc), EXIT_USAGE)
    except ProfileLoadError as exc:
        fail("profiles do not load:\n" + "\n".join(str(i) for i in exc.issues), EXIT_FAILED)


def _echo_warnings(warnings: tuple[str, ...] | list[str]) -> None:
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


@rules_app.command("list")
def list_profiles(
    profiles: Annotated[Path | None, typer.Option("--profiles", help=_PROFILES_HELP)] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Status as of this date (default today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
) -> None:
    """Show each profile: treatment, validity, owner, review date and status."""
    from tradeguard.rules import profile_status

    pset = _load(profiles)
    when = parse_day(on, "--on") or date.today()
    rows: list[dict[str, Any]] = []
    flagged = {i.split(":")[0].removeprefix("profile ") for i in pset.change_issues}
    for p in pset.profiles:
        t = p.treatment
        effect = "lower" if t.effect == "lower" else "raise"
        treatment = f"lane {t.lane}" if t.lane else f"weight {t.weight:g} ({effect})"
        rows.append(
            {
                "id": p.id,
                "title": p.title,
                "treatment": treatment,
                "category": t.category.value if t.category else "",
                "valid_from": p.valid_from,
                "valid_to": p.valid_to,
                "owner": p.owner,
                "review_date": p.review_date,
                "status": profile_status(p, when).value
                + (" (unrecorded change)" if p.id in flagged else ""),
                "version": pset.profile_versions[p.id],
            }
        )
    _echo_warnings(pset.change_issues)
    if as_json:
        print_json({"profile_set_version": pset.version, "as_of": when, "profiles": rows})
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Risk profiles {pset.version} as of {when}")
    for col in ("id", "title", "treatment", "validity", "owner", "review date", "status"):
        table.add_column(col)
    for r in rows:
        validity = f"{r['valid_from'] or '…'} – {r['valid_to'] or '…'}"
        table.add_row(
            r["id"],
            r["title"],
            r["treatment"],
            validity,
            r["owner"],
            str(r["review_date"] or ""),
            r["status"],
        )
    Console(width=160).print(table)


@rules_app.command("check")
def check(
    path: Annotated[Path, typer.Argument(help="A profile file (or a directory of them).")],
) -> None:
    """Validate profile files; every error names the file and line. Exit 1 on any error."""
    from tradeguard.rules import check_profiles

    if not path.exists():
        fail(f"{path}: no such file or directory", EXIT_USAGE)
    issues = check_profiles(path)
    for issue in issues:
        typer.echo(f"error: {issue}", err=True)
    if issues:
        raise typer.Exit(EXIT_FAILED)
    typer.echo(f"{path}: ok")


@rules_app.command("test")
def test_profiles(
    entries: Annotated[Path, typer.Option("--entries", help="Entries file (contract columns).")],
    lines: Annotated[Path, typer.Option("--lines", help="Lines file (contract columns).")],
    profiles: Annotated[Path | None, typer.Option("--profiles", help=_PROFILES_HELP)] = None,
    outcomes: Annotated[Path | None, typer.Option("--outcomes", help="Exam outcomes file.")] = None,
    on: Annotated[str | None, typer.Option("--on", help=_ON_HELP)] = None,
    findings_out: Annotated[Path | None, typer.Option("--findings-out", help=_OUT_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
) -> None:
    """Back-test profiles on past declarations: hits per profile, hit rates with outcomes."""
    import polars as pl

    from tradeguard.rules import FieldValueError, declaration_lines, evaluate, hit_rates

    pset = _load(profiles)
    try:
        frame = declaration_lines(read_table(entries, EXIT_USAGE), read_table(lines, EXIT_USAGE))
        result = evaluate(pset, frame, on=parse_day(on, "--on"))
        ids = [p.id for p in pset.profiles]
        if outcomes is not None:
            table = hit_rates(result.hits, read_table(outcomes, EXIT_USAGE), ids)
        else:
            counts = result.hits.group_by("profile_id").len("lines_hit")
            table = pl.DataFrame({"profile_id": ids}).join(counts, on="profile_id", how="left")
            table = table.with_columns(pl.col("lines_hit").fill_null(0))
    except (FieldValueError, ValueError) as exc:
        fail(f"{lines}: {exc}" if isinstance(exc, FieldValueError) else str(exc), EXIT_FAILED)
    except pl.exceptions.ColumnNotFoundError as exc:
        fail(f"a required column is missing: {exc}", EXIT_FAILED)
    table = table.with_columns(
        pl.col("profile_id")
        .replace_strict({k: v.value for k, v in result.statuses.items()}, default=None)
        .alias("status")
    )
    if findings_out is not None:
        write_table(result.findings, findings_out)
    _echo_warnings(result.warnings)
    if as_json:
        print_json(
            {
                "profile_set_version": pset.version,
                "lines": frame.height,
                "findings": result.findings.height,
                "profiles": table.to_dicts(),
            }
        )
        return
    from rich.console import Console
    from rich.table import Table

    out = Table(title=f"Back-test of {pset.version} on {frame.height} lines")
    for col in table.columns:
        out.add_column(col)
    for row in table.iter_rows():
        out.add_row(
            *["" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        )
    Console(width=160).print(out)


@rules_app.command("record")
def record(
    profiles: Annotated[Path, typer.Option("--profiles", help="Profile directory.")],
    author: Annotated[str, typer.Option("--author", help="Who made the change.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the profiles changed.")],
) -> None:
    """Record every added, edited or removed profile in the directory's change log."""
    from tradeguard.rules import CHANGE_LOG_NAME, record_changes

    pset = _load(profiles)
    try:
        changes = record_changes(profiles / CHANGE_LOG_NAME, pset, author, reason)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    print_json({"profile_set_version": pset.version, "recorded": [c.to_json() for c in changes]})


def register(app: typer.Typer) -> None:
    """Add the ``rules`` command group."""
    app.add_typer(rules_app, name="rules")
