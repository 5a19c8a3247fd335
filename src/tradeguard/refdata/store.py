"""A versioned store of imported official files: ``<home>/<kind>/<version>/``.

Importing never overwrites: every version stays so that a past decision can be replayed with
the data of its day. Each version folder holds Parquet files and a manifest in the same format
as the shipped copy, so loading treats them alike.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

# import kind -> data sets it provides
KIND_DATASETS: dict[str, tuple[str, ...]] = {
    "hts": ("tariff", "tariff_special"), "ofac_sdn": ("ofac_sdn",), "uflpa": ("uflpa",),
    "adcvd": ("adcvd_orders",),
}
DATASET_KIND: dict[str, str] = {ds: kind for kind, sets in KIND_DATASETS.items() for ds in sets}


class VersionStore:
    """The folder of imported versions, one sub-folder per kind."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)

    def versions(self, kind: str) -> list[dict[str, Any]]:
        """Versions of one kind, oldest as-of first: ``{version, as_of, dir, imported_at}``."""
        folder = self.home / kind
        found: list[dict[str, Any]] = []
        if not folder.is_dir():
            return found
        for sub in folder.iterdir():
            manifest = sub / "manifest.json"
            if manifest.is_file():
                doc = json.loads(manifest.read_text("utf-8"))
                found.append({"version": sub.name, "as_of": doc["as_of"], "dir": str(sub),
                              "imported_at": doc.get("imported_at"), "datasets": doc["datasets"],
                              "source_file": doc.get("source_file")})
        return sorted(found, key=lambda v: (v["as_of"], v.get("imported_at") or ""))

    def find(self, kind: str, version: str) -> dict[str, Any]:
        """One version by id; raises KeyError naming what is available."""
        for found in self.versions(kind):
            if found["version"] == version:
                return found
        have = [v["version"] for v in self.versions(kind)]
        raise KeyError(f"{kind}: no version {version!r} in {self.home} (have: {have})")

    def overlay(self, entries: dict[str, dict[str, Any]], *, as_of: date | None,
                versions: dict[str, str] | None, notes: list[str]) -> dict[str, dict[str, Any]]:
        """Replace shipped entries by stored versions chosen by id, date or recency."""
        out = dict(entries)
        pinned = versions or {}
        for kind, names in KIND_DATASETS.items():
            candidates = self.versions(kind)
            wanted = pinned.get(kind) or next((pinned[n] for n in names if n in pinned), None)
            chosen: dict[str, Any] | None = None
            if wanted is not None:
                shipped = {entries[n]["version"] for n in names if n in entries}
                if wanted in shipped:
                    continue
                chosen = self.find(kind, wanted)
            else:
                if as_of is not None:
                    candidates = [c for c in candidates if c["as_of"] <= as_of.isoformat()]
                # An import is a deliberate act: the newest imported version wins over the
                # shipped copy; history is reached with ``as_of`` or a pinned version.
                if candidates:
                    chosen = candidates[-1]
            if chosen is None:
                continue
            for name, entry in chosen["datasets"].items():
                out[name] = {**entry, "dir": chosen["dir"]}
            notes.append(f"{kind}: using imported version {chosen['version']}")
        return out
