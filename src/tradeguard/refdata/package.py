"""Build the compact copy of the reference data shipped inside the package.

Public files are parsed once here into Parquet (zstd) with a manifest recording source,
licence, as-of date, row count and hashes, so loading at run time is a Parquet read with no
parsing. Re-run after refreshing /work/shared/data-style sources:
``python -c "from tradeguard.refdata import build_package_data; build_package_data(src, dst)"``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from tradeguard.refdata.adcvd import commerce_country_codes, load_orders
from tradeguard.refdata.catalog import MANIFEST, SPECS, DatasetSpec
from tradeguard.refdata.chapter99 import build_chapter99
from tradeguard.refdata.countries import build_countries, name_lookup
from tradeguard.refdata.geography import (
    load_fx_monthly,
    load_hs2022,
    load_locode_tables,
    load_ports,
)
from tradeguard.refdata.tariff_build import build_tariff
from tradeguard.refdata.watchlists import LIST_LOADERS

FORMAT_VERSION = 1


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def version_id(as_of: str, source_sha: str) -> str:
    """A version names its as-of date and its content: ``2026-04-01+3f2a9c1b0d4e``."""
    return f"{as_of}+{source_sha[:12]}"


def dataset_entry(spec: DatasetSpec, frame: pl.DataFrame, out: Path, source_sha: str,
                  as_of: str | None = None, extra: dict[str, object] | None = None
                  ) -> dict[str, object]:
    """Write one frame to Parquet and describe it for the manifest."""
    frame.write_parquet(out, compression="zstd", compression_level=19, statistics=False)
    when = as_of or spec.as_of
    return {
        "file": out.name, "source": spec.source_note, "source_files": list(spec.sources),
        "licence": spec.licence, "as_of": when, "rows": frame.height,
        "sha256": sha256_file(out), "source_sha256": source_sha,
        "version": version_id(when, source_sha), "caveat": spec.caveat, **(extra or {}),
    }


def _sources_sha(src: Path, spec: DatasetSpec) -> str:
    digest = hashlib.sha256()
    for rel in spec.sources:
        digest.update(sha256_file(src / rel).encode())
    return digest.hexdigest()


def build_frames(src: Path) -> tuple[dict[str, pl.DataFrame], dict[str, dict[str, object]]]:
    """Parse every public source under ``src`` into the shipped frames (+ build reports)."""
    countries_csv = src / "iso_country_codes/country-codes.csv"
    lookup = name_lookup(countries_csv)
    tariff = build_tariff(src / SPECS["tariff"].sources[0], valid_from=None)
    frames: dict[str, pl.DataFrame] = {
        "tariff": tariff.lines, "tariff_special": tariff.special,
        "chapter99": build_chapter99(src / SPECS["chapter99"].sources[0], lookup),
        "hs2022": load_hs2022(src / SPECS["hs2022"].sources[0]),
        "adcvd_orders": load_orders(
            src / SPECS["adcvd_orders"].sources[0], lookup,
            commerce_country_codes(src / SPECS["adcvd_orders"].sources[1])),
        "countries": build_countries(countries_csv),
        "country_names": pl.DataFrame({"name": list(lookup), "iso2": list(lookup.values())}),
        "ports": load_ports(src / SPECS["ports"].sources[0]),
        "fx_monthly": load_fx_monthly(src / SPECS["fx_monthly"].sources[0], lookup),
        **load_locode_tables(src / "un_locode"),
    }
    loaders: dict[str, Callable[[Path, dict[str, str]], pl.DataFrame]] = LIST_LOADERS
    for name, loader in loaders.items():
        frames[name] = loader(src / SPECS[name].sources[0], lookup)
    reports: dict[str, dict[str, object]] = {
        "tariff": {"unmapped_units": tariff.unmapped_units, "rejected_rows": tariff.rejected},
    }
    for name in LIST_LOADERS:
        reports[name] = {"country_unresolved": frames[name]["country"].null_count()}
    return frames, reports


def build_package_data(src: Path, dst: Path) -> dict[str, object]:
    """Build Parquet files + ``manifest.json`` in ``dst`` from the public files in ``src``."""
    dst.mkdir(parents=True, exist_ok=True)
    frames, reports = build_frames(src)
    datasets: dict[str, object] = {}
    for name, frame in frames.items():
        spec = SPECS[name]
        datasets[name] = dataset_entry(spec, frame, dst / f"{name}.parquet",
                                       _sources_sha(src, spec),
                                       extra={"build": reports.get(name, {})})
    manifest: dict[str, object] = {
        "format": FORMAT_VERSION, "built_on": date.today().isoformat(), "datasets": datasets,
    }
    (dst / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return manifest
