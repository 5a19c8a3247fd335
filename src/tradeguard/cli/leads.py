"""``tradeguard leads adcvd``: EAPA-style AD/CVD case leads from contract files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeguard.cli._common import (
    EXIT_FAILED,
    EXIT_USAGE,
    fail,
    print_json,
    require_history_pair,
    write_table,
)

if TYPE_CHECKING:
    import polars as pl

leads_app = typer.Typer(help="Case leads: related entries grouped for investigation.",
                        no_args_is_help=True)


def _read(path: Path, kind: str, rejects_dir: Path,
          entries: pl.Series | None = None) -> pl.DataFrame:
    """Read and validate one contract file; rejected rows go to ``<name>.rejects.csv``."""
    from tradeguard.contract import ContractError
    from tradeguard.pipeline.inputs import read_contract_file

    if not path.is_file():
        fail(f"{path}: no such file", EXIT_USAGE)
    try:
        read = read_contract_file(path, kind, rejects_dir, entries=entries)
    except ContractError as exc:
        fail(f"{path}: {exc}", EXIT_FAILED)
    if read.rejects_file is not None:
        typer.echo(f"warning: {path}: {read.rejected} rows rejected, see {read.rejects_file}",
                   err=True)
    return read.frame


def adcvd(
    entries: Annotated[Path, typer.Option("--entries", help="Entries file (contract).")],
    lines: Annotated[Path, typer.Option("--lines", help="Lines file (contract).")],
    history_entries: Annotated[Path | None, typer.Option(
        "--history-entries", help="Past entries: the baseline (new plants, flows, prices).")
    ] = None,
    supply_chain: Annotated[Path | None, typer.Option(
        "--supply-chain", help="Declared upstream suppliers (contract); subject-country "
        "suppliers are evidence of transshipment.")] = None,
    history_lines: Annotated[Path | None, typer.Option(
        "--history-lines", help="Past lines, same format as --lines.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the leads here: CSV, Parquet (.parquet) or JSON (.json).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the leads as JSON.")] = False,
    refdata: Annotated[Path | None, typer.Option(
        "--refdata", help="Another built copy of the reference data.")] = None,
    default_rate: Annotated[float | None, typer.Option(
        "--default-rate", help="Deposit rate assumed when the order list gives none "
        "(fraction; leads using it are flagged rate_assumed).")] = None,
) -> None:
    """List AD/CVD case leads ranked by estimated duty exposure.

    Flagged lines (wrong or missing case numbers, short deposits, transshipment indicators)
    are grouped by manufacturer cluster and order. Exit 0 with or without leads, 1 when a
    file cannot be read, 2 on a usage error.
    """
    import json

    import polars as pl

    from tradeguard.detectors.adcvd.config import AdcvdConfig
    from tradeguard.detectors.adcvd.detector import AdcvdDetector
    from tradeguard.detectors.adcvd.leads import build_leads, leads_frame
    from tradeguard.detectors.base import DetectionContext, declaration_lines
    from tradeguard.refdata import ReferenceDataError, load_reference_data

    require_history_pair(history_entries, history_lines)
    if default_rate is not None and not 0.0 <= default_rate <= 10.0:
        fail(f"--default-rate must be a fraction between 0 and 10, got {default_rate}",
             EXIT_USAGE)
    rejects_dir = (out.parent if out is not None else Path.cwd()) / "quarantine"
    try:
        ref = load_reference_data(refdata)
    except ReferenceDataError as exc:
        fail(str(exc), EXIT_USAGE)
    entry_frame = _read(entries, "entries", rejects_dir)
    known = entry_frame.get_column("entry_number")
    batch = declaration_lines(entry_frame, _read(lines, "lines", rejects_dir, known))
    chain = None if supply_chain is None else _read(supply_chain, "supply_chain",
                                                     rejects_dir, known)
    cfg = AdcvdConfig() if default_rate is None else AdcvdConfig(
        default_deposit_rate=default_rate)
    detector = AdcvdDetector(cfg)
    # Date the baseline window and the orders by the batch itself, as scoring does.
    as_of = batch.get_column("entry_date").cast(pl.Date).max() if batch.height else None
    ctx = DetectionContext(ref=ref, as_of=as_of if isinstance(as_of, date) else date.today(),
                           supply_chain=chain)
    if history_entries is not None and history_lines is not None:
        detector.fit(declaration_lines(_read(history_entries, "entries", rejects_dir),
                                       _read(history_lines, "lines", rejects_dir)), ctx)
    result = detector.assess(batch, ctx)
    leads = build_leads(result, detector.findings(result), cfg)
    frame = leads_frame(leads)
    if out is not None and out.suffix == ".json":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps([x.to_json() for x in leads], indent=2, sort_keys=True),
                       "utf-8")
    elif out is not None:
        write_table(frame, out)
    if as_json:
        print_json({"detector": detector.name, "version": detector.version,
                    "reference_versions": {"adcvd_orders": ref.versions.get("adcvd_orders")},
                    "default_deposit_rate": cfg.default_deposit_rate,
                    "leads": [x.to_json() for x in leads]})
    elif out is None:
        for x in leads:
            flag = " (rate assumed)" if x.rate_assumed else ""
            typer.echo(f"{x.rank:>3} {x.lead_id} {x.case_number} {x.kind:<7} {x.severity:<6} "
                       f"{x.exposure_usd:>14,.2f} USD{flag}  {len(x.members)} lines  "
                       f"{'; '.join(x.manufacturers)[:60]}")


def register(app: typer.Typer) -> None:
    """Add the ``leads`` group (``leads adcvd``)."""
    leads_app.command("adcvd")(adcvd)
    app.add_typer(leads_app, name="leads")
