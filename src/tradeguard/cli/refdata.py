"""``tradeguard refdata ...`` (list, import, diff, build) and ``tradeguard duty``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, parse_day, print_json

if TYPE_CHECKING:
    from tradeguard.refdata import ReferenceData

REFDATA_OPTION = typer.Option(None, "--refdata", help="Reference data folder (default: shipped).")
HOME_OPTION = typer.Option(None, "--home", help="Version store (default: WORK_DIR/refdata).")
KIND_ARG = typer.Argument(..., help="hts | ofac_sdn | uflpa | adcvd")
FILE_ARG = typer.Argument(..., help="The official file to import.")
SRC_ARG = typer.Argument(..., help="Folder of public source files.")
DST_ARG = typer.Argument(..., help="Output folder.")


def _store_home(home: Path | None) -> Path:
    from tradeguard.settings import get_settings

    return home if home is not None else get_settings().work_dir / "refdata"


def _load(refdata: Path | None, home: Path | None = None, as_of: date | None = None
          ) -> ReferenceData:
    from tradeguard.refdata import ReferenceDataError, load_reference_data
    from tradeguard.settings import get_settings

    folder = refdata or get_settings().refdata_dir
    store = _store_home(home)
    try:
        return load_reference_data(folder, store=store if store.is_dir() else None, as_of=as_of)
    except (ReferenceDataError, KeyError) as exc:
        fail(str(exc), EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add the ``refdata`` group and the ``duty`` command."""
    group = typer.Typer(help="Reference data: tariff, orders, watch lists, geography, FX.",
                        no_args_is_help=True)
    app.add_typer(group, name="refdata")

    @group.command("list")
    def list_cmd(refdata: Path | None = REFDATA_OPTION, home: Path | None = HOME_OPTION,
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Show every data set with version, as-of date, row count and source."""
        ref = _load(refdata, home)
        rows = [{"name": n, **ref.provenance(n)} for n in sorted(ref.entries)]
        if as_json:
            print_json([{k: r.get(k) for k in ("name", "version", "as_of", "rows", "source",
                                                  "licence", "caveat")} for r in rows])
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title="tradeguard reference data")
        for column in ("data set", "version", "as of", "rows", "source"):
            table.add_column(column, overflow="fold")
        for r in rows:
            table.add_row(r["name"], r["version"], r["as_of"], str(r["rows"]), r["source"])
        Console().print(table)
        for note in ref.notes:
            typer.echo(note)

    @group.command("import")
    def import_cmd(kind: str = KIND_ARG,
                   file: Path = FILE_ARG,
                   as_of: str | None = typer.Option(None, "--as-of", help="As-of date."),
                   refdata: Path | None = REFDATA_OPTION,
                   home: Path | None = HOME_OPTION) -> None:
        """Store a newer official file as a new version (old versions stay available)."""
        from tradeguard.refdata.importer import ImportError_, import_official
        from tradeguard.refdata.store import KIND_DATASETS

        if kind not in KIND_DATASETS:
            fail(f"KIND: {kind!r} is not one of {sorted(KIND_DATASETS)}", EXIT_USAGE)
        when = parse_day(as_of, "--as-of")
        try:
            manifest = import_official(kind, file, _store_home(home), when, _load(refdata))
        except (ImportError_, ValueError) as exc:
            fail(str(exc), EXIT_FAILED)
        print_json({"kind": kind, "version": manifest["version"], "as_of": manifest["as_of"],
                    "rows": {n: e["rows"] for n, e in manifest["datasets"].items()}})

    @group.command("diff")
    def diff_cmd(kind: str = KIND_ARG,
                 from_v: str | None = typer.Option(None, "--from", help="Older version id."),
                 to_v: str | None = typer.Option(None, "--to", help="Newer version id."),
                 home: Path | None = HOME_OPTION) -> None:
        """Say what changed between two versions: records added, removed, values changed."""
        from tradeguard.refdata.importer import diff_versions
        from tradeguard.refdata.store import KIND_DATASETS

        if kind not in KIND_DATASETS:
            fail(f"KIND: {kind!r} is not one of {sorted(KIND_DATASETS)}", EXIT_USAGE)
        try:
            print_json(diff_versions(kind, _store_home(home), from_v, to_v))
        except (KeyError, ValueError) as exc:
            fail(str(exc), EXIT_FAILED)

    @group.command("build")
    def build_cmd(src: Path = SRC_ARG,
                  dst: Path = DST_ARG) -> None:
        """Build the compact Parquet copy + manifest from the public source files."""
        from tradeguard.refdata import build_package_data

        try:
            manifest = build_package_data(src, dst)
        except (OSError, ValueError) as exc:
            fail(f"{src}: {exc}", EXIT_FAILED)
        datasets: dict[str, Any] = manifest["datasets"]
        print_json({n: {"rows": e["rows"], "version": e["version"]} for n, e in datasets.items()})

    @app.command("duty")
    def duty_cmd(hts: str = typer.Option(..., "--hts", help="10-digit HTS number."),
                 origin: str = typer.Option(..., "--origin", help="Country of origin (ISO2)."),
                 value: float = typer.Option(..., "--value", help="Entered value, USD."),
                 quantity: float | None = typer.Option(None, "--quantity"),
                 unit: str | None = typer.Option(None, "--unit", help="CBP unit, e.g. KG, DOZ."),
                 on: str | None = typer.Option(None, "--date", help="Entry date (YYYY-MM-DD)."),
                 spi: str | None = typer.Option(None, "--spi", help="Special program claimed."),
                 adcvd_case: str | None = typer.Option(None, "--adcvd-case"),
                 chapter99: list[str] = typer.Option([], "--chapter99",  # noqa: B008
                                                     help="Declared Chapter 99 number(s)."),
                 mode: str | None = typer.Option(None, "--mode", help="Mode of transport."),
                 refdata: Path | None = REFDATA_OPTION,
                 home: Path | None = HOME_OPTION) -> None:
        """Expected duty, fees and deposits for one line, each with its legal basis (JSON)."""
        from tradeguard.refdata import UnknownTariffNumber
        from tradeguard.refdata.duty import compute_duty

        when = parse_day(on, "--date")
        if len(origin.strip()) != 2 or not origin.strip().isalpha():
            fail(f"--origin: expected an ISO 3166-1 alpha-2 code, got {origin!r}", EXIT_USAGE)
        if value < 0 or (quantity is not None and quantity < 0):
            fail("--value/--quantity: must not be negative", EXIT_USAGE)
        ref = _load(refdata, home, when)
        try:
            result = compute_duty(ref, hts, origin, value, quantity=quantity, unit=unit, on=when,
                                  spi=spi, adcvd_case=adcvd_case, chapter99=chapter99,
                                  mode_of_transport=mode)
        except UnknownTariffNumber as exc:
            fail(f"--hts: {exc}", EXIT_FAILED)
        payload = result.to_dict()
        payload["refdata_notes"] = ref.notes
        print_json(payload)
