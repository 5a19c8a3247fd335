"""``tradeguard demo-data``: write the demo test bed (declarations, packages, truth)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from tradeguard.cli._common import EXIT_USAGE, fail, print_json

OUT_OPTION = typer.Option(..., "--out", help="Folder to write the files to.")
ENTRIES_OPTION = typer.Option(2000, "--entries", help="Entry summaries in the window.")
SEED_OPTION = typer.Option(7, "--seed", help="Random seed; same seed, same files.")
PACKAGES_OPTION = typer.Option(None, "--packages",
                               help="Small packages (default: as many as entries).")
HISTORY_OPTION = typer.Option(12, "--history-months", help="Months of past declarations.")
RATE_OPTION = typer.Option(None, "--planting-rate",
                           help="Share of lines carrying planted violations (default: the "
                           "generator's, about 9 %).")
END_OPTION = typer.Option(None, "--end-date", help="Last day of the window (YYYY-MM-DD).")
REFDATA_OPTION = typer.Option(None, "--refdata", help="Reference data folder.")


def register(app: typer.Typer) -> None:
    """Add the ``demo-data`` command."""

    @app.command("demo-data")
    def demo_data(
        out: Path = OUT_OPTION,
        entries: int = ENTRIES_OPTION,
        seed: int = SEED_OPTION,
        packages: int | None = PACKAGES_OPTION,
        history_months: int = HISTORY_OPTION,
        planting_rate: float | None = RATE_OPTION,
        end_date: str | None = END_OPTION,
        refdata: Path | None = REFDATA_OPTION,
    ) -> None:
        """Generate demo entries, lines, packages, supply chains, outcomes, history and truth."""
        from tradeguard.demo import DEFAULT_END_DATE, DEFAULT_PLANTING_RATE, generate_demo_data
        from tradeguard.refdata import ReferenceDataError, load_reference_data

        try:
            end = date.fromisoformat(end_date) if end_date else DEFAULT_END_DATE
        except ValueError:
            fail(f"--end-date: not an ISO date: {end_date!r}", EXIT_USAGE)
        if packages is not None and packages < 0:
            fail("--packages: must not be negative", EXIT_USAGE)
        try:
            ref = load_reference_data(refdata) if refdata else None
        except ReferenceDataError as exc:
            fail(f"--refdata: {exc}", EXIT_USAGE)
        rate = DEFAULT_PLANTING_RATE if planting_rate is None else planting_rate
        try:
            manifest = generate_demo_data(out, entries=entries, seed=seed, packages=packages,
                                          history_months=history_months, planting_rate=rate,
                                          end_date=end, ref=ref)
        except ValueError as exc:
            fail(str(exc), EXIT_USAGE)
        except OSError as exc:
            fail(f"{out}: {exc}")
        print_json({"out": str(out), "counts": manifest.counts,
                    "truth_by_category": manifest.truth_by_category,
                    "planted_line_share": manifest.planted_line_share})
