"""Score requests built from a demo installation's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl


def entry_request(site_dir: Path, entry_number: str | None = None) -> dict[str, Any]:
    """One demo entry (default: the last of the current window) with its lines, as
    ``POST /api/v1/score`` takes it."""
    data = site_dir / "data"
    entries = pl.read_csv(data / "entries.csv", infer_schema=False)
    lines = pl.read_csv(data / "lines.csv", infer_schema=False)
    entry = (entries.filter(pl.col("entry_number") == entry_number).to_dicts()[0]
             if entry_number else entries.to_dicts()[-1])
    chosen = lines.filter(pl.col("entry_number") == entry["entry_number"]).to_dicts()
    return {"entry": {k: v for k, v in entry.items() if v is not None},
            "lines": [{k: v for k, v in ln.items() if v is not None and k != "entry_number"}
                      for ln in chosen]}


def every_entry_request(site_dir: Path) -> list[dict[str, Any]]:
    """Every demo entry that has lines, as a score request body."""
    data = site_dir / "data"
    entries = pl.read_csv(data / "entries.csv", infer_schema=False)
    lines = pl.read_csv(data / "lines.csv", infer_schema=False)
    by_entry = lines.partition_by("entry_number", as_dict=True)
    out = []
    for e in entries.to_dicts():
        chosen = by_entry.get((e["entry_number"],))
        if chosen is None:
            continue
        out.append({"entry": {k: v for k, v in e.items() if v is not None},
                    "lines": [{k: v for k, v in ln.items() if v is not None
                               and k != "entry_number"} for ln in chosen.to_dicts()]})
    return out
