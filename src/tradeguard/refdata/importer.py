"""Import a newer official file into the version store, and say what changed between versions.

Accepted files: the USITC HTS CSV export (``hts``), OFAC's legacy sdn.csv (``ofac_sdn``), a UFLPA
list CSV in the shipped column layout (``uflpa``) and an AD/CVD order list CSV (``adcvd``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from tradeguard.refdata.adcvd import load_orders
from tradeguard.refdata.catalog import SPECS
from tradeguard.refdata.loader import ReferenceData, load_reference_data
from tradeguard.refdata.package import dataset_entry, sha256_file, version_id
from tradeguard.refdata.store import KIND_DATASETS, VersionStore
from tradeguard.refdata.tariff_build import build_tariff
from tradeguard.refdata.watchlists import load_ofac_sdn, load_uflpa

# What identifies a record, and which fields count as a change, per data set.
DIFF_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tariff": ("hts10", ("general_rate", "special_rate", "column2_rate", "units", "description")),
    "ofac_sdn": ("entity_id", ("name", "aliases", "country", "program", "entity_type")),
    "uflpa": ("entity_id", ("name", "aliases", "country", "program", "date_removed")),
    "adcvd_orders": ("case_number", ("deposit_rate", "hts_prefixes", "product", "country")),
}


class ImportError_(ValueError):
    """An import that cannot proceed; the message names the file and the problem."""


def country_lookup(ref: ReferenceData) -> dict[str, str]:
    """Name -> ISO2 from the shipped name table (no need for the raw ISO file at import)."""
    names = ref.frame("country_names")
    return dict(zip(names["name"].to_list(), names["iso2"].to_list(), strict=True))


def _frames_for(kind: str, file: Path, ref: ReferenceData) -> dict[str, pl.DataFrame]:
    if kind == "hts":
        built = build_tariff(file)
        if built.lines.is_empty():
            raise ImportError_(f"{file}: no 10-digit statistical lines found")
        return {"tariff": built.lines, "tariff_special": built.special}
    lookup = country_lookup(ref)
    if kind == "ofac_sdn":
        return {"ofac_sdn": load_ofac_sdn(file, lookup)}
    if kind == "uflpa":
        return {"uflpa": load_uflpa(file, lookup)}
    if kind == "adcvd":
        codes = dict(zip(ref.adcvd_orders["case_number"].str.slice(2, 3).to_list(),
                         ref.adcvd_orders["country"].to_list(), strict=True))
        return {"adcvd_orders": load_orders(file, lookup, codes)}
    raise ImportError_(f"unknown kind {kind!r}; expected one of {sorted(KIND_DATASETS)}")


def import_official(kind: str, file: Path, home: Path, as_of: date | None = None,
                    ref: ReferenceData | None = None) -> dict[str, Any]:
    """Parse ``file`` and store it as a new version of ``kind``; returns the version manifest."""
    if not file.is_file():
        raise ImportError_(f"{file}: file not found")
    ref = ref or load_reference_data()
    try:
        frames = _frames_for(kind, file, ref)
    except (pl.exceptions.PolarsError, KeyError, UnicodeDecodeError) as exc:
        raise ImportError_(f"{file}: not a readable {kind} file: {exc}") from exc
    when = (as_of or date.today()).isoformat()
    source_sha = sha256_file(file)
    version = version_id(when, source_sha)
    folder = VersionStore(home).home / kind / version
    folder.mkdir(parents=True, exist_ok=True)
    datasets = {}
    for name, frame in frames.items():
        spec = SPECS[name]
        entry = dataset_entry(spec, frame, folder / f"{name}.parquet", source_sha, as_of=when)
        entry["source"] = f"imported {file.name} ({spec.source_note})"
        datasets[name] = entry
    manifest = {"kind": kind, "as_of": when, "version": version, "source_file": str(file),
                "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "datasets": datasets}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True),
                                          encoding="utf-8")
    return manifest


def _frame_at(kind: str, version: str, home: Path, name: str) -> pl.DataFrame:
    shipped = load_reference_data()
    if version in {shipped.entries[name]["version"], "shipped"}:
        return shipped.frame(name)
    found = VersionStore(home).find(kind, version)
    return pl.read_parquet(Path(found["dir"]) / found["datasets"][name]["file"])


def diff_versions(kind: str, home: Path, from_version: str | None = None,
                  to_version: str | None = None) -> dict[str, Any]:
    """Records added, removed and changed between two versions (default: the last two)."""
    name = KIND_DATASETS[kind][0]
    key, fields = DIFF_KEYS[name]
    shipped = str(load_reference_data().entries[name]["version"])
    ids = [shipped, *[v["version"] for v in VersionStore(home).versions(kind)]]
    to_v = to_version or ids[-1]
    from_v = from_version or (ids[ids.index(to_v) - 1] if ids.index(to_v) > 0 else ids[0])
    old = _frame_at(kind, from_v, home, name)
    new = _frame_at(kind, to_v, home, name)
    added = new.join(old.select(key), on=key, how="anti")[key].sort().to_list()
    removed = old.join(new.select(key), on=key, how="anti")[key].sort().to_list()
    both = old.select(key, *fields).join(new.select(key, *fields), on=key, suffix="__new")
    changed: list[dict[str, Any]] = []
    for field in fields:
        moved = both.filter(pl.col(field).ne_missing(pl.col(f"{field}__new")))
        for rec in moved.select(key, field, f"{field}__new").iter_rows():
            changed.append({key: rec[0], "field": field, "from": rec[1], "to": rec[2]})
    return {"kind": kind, "data_set": name, "from": from_v, "to": to_v, "added": added,
            "removed": removed, "changed": changed,
            "counts": {"added": len(added), "removed": len(removed), "changed": len(changed)}}
