"""Write the demo data set in the contract's CSV layout (contract columns first, extras after)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from tradeguard.demo.declarations import Columns

ENTRY_COLUMNS = ["entry_number", "entry_type", "entry_date", "port_of_entry", "importer_id",
                 "importer_name", "importer_country", "filer_code", "mode_of_transport",
                 "country_of_export", "port_of_lading", "bill_of_lading", "carrier_code",
                 "trusted_trader", "importer_address"]
LINE_COLUMNS = ["entry_number", "line_number", "hts_code", "description", "country_of_origin",
                "quantity", "quantity_unit", "entered_value_usd", "gross_weight_kg",
                "manufacturer_id", "manufacturer_name", "manufacturer_address",
                "manufacturer_country", "seller_name", "seller_country", "duty_rate",
                "duty_usd", "chapter99_numbers", "additional_duty_usd", "adcvd_deposit_usd",
                "adcvd_case_number", "spi", "related_party"]
PACKAGE_COLUMNS = ["package_id", "arrival_date", "port_of_entry", "shipper_name",
                   "shipper_country", "consignee_name", "consignee_address",
                   "declared_value_usd", "description", "hts_code", "weight_kg",
                   "country_of_origin", "carrier_code", "seller_id"]


def to_frame(cols: Columns, names: list[str]) -> pl.DataFrame:
    """Column arrays -> frame; NaN and empty text become missing values (empty cells)."""
    series = []
    for name in names:
        arr = cols[name]
        if arr.dtype == object:
            s = pl.Series(name, arr.tolist(), dtype=pl.String, strict=False)
            s = pl.select(pl.when(s == "").then(None).otherwise(s)).to_series().alias(name)
        elif np.issubdtype(arr.dtype, np.datetime64):
            s = pl.Series(name, arr.astype("datetime64[D]")).cast(pl.Date)
        elif np.issubdtype(arr.dtype, np.floating):
            s = pl.Series(name, arr).fill_nan(None)
        else:
            s = pl.Series(name, arr)
        series.append(s)
    return pl.DataFrame(series)


def write_outputs(out: Path, entries: Columns, lines: Columns, h_entries: Columns,
                  h_lines: Columns, chain: pl.DataFrame, packages: Columns,
                  outcomes: pl.DataFrame, truth: pl.DataFrame,
                  history_packages: Columns | None = None,
                  package_outcomes: pl.DataFrame | None = None,
                  ) -> tuple[dict[str, str], dict[str, int]]:
    """Write every file; returns (kind -> file name, kind -> row count)."""
    out.mkdir(parents=True, exist_ok=True)
    frames = {
        "entries": to_frame(entries, ENTRY_COLUMNS).sort("entry_date", "entry_number"),
        "lines": to_frame(lines, LINE_COLUMNS),
        "history_entries": to_frame(h_entries, ENTRY_COLUMNS),
        "history_lines": to_frame(h_lines, LINE_COLUMNS),
        "supply_chain": chain,
        "packages": to_frame(packages, PACKAGE_COLUMNS).sort("arrival_date", "package_id"),
        "outcomes": outcomes,
        "truth": truth.sort("category", "scheme_id", "entry_number", "line_number",
                            "package_id", nulls_last=True),
    }
    if history_packages is not None:
        frames["history_packages"] = to_frame(history_packages, PACKAGE_COLUMNS).sort(
            "arrival_date", "package_id")
    if package_outcomes is not None:
        frames["package_outcomes"] = package_outcomes
    files, counts = {}, {}
    for kind, frame in frames.items():
        name = f"{kind}.csv"
        frame.write_csv(out / name)
        files[kind] = name
        counts[kind] = frame.height
    return files, counts
