"""The truth ledger: every planted violation, and which rows are already used by a scheme.

Each scheme draws its rows through the ledger so no line carries two planted schemes, which
keeps every truth record attributable to exactly one cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

TRUTH_SCHEMA: dict[str, pl.DataType] = {
    "record_kind": pl.String(), "entry_number": pl.String(), "line_number": pl.Int64(),
    "package_id": pl.String(), "category": pl.String(), "scheme": pl.String(),
    "scheme_id": pl.String(), "note": pl.String(), "party_id": pl.String(),
    "loss_usd": pl.Float64(),
}

# One truth row per planted record (line, entry, package or party) x category x scheme.
TRUTH_KEY = ["record_kind", "entry_number", "line_number", "package_id", "party_id",
             "category", "scheme"]


@dataclass
class Ledger:
    """Truth records plus the 'taken' masks over lines and entries."""

    rng: np.random.Generator
    line_taken: npt.NDArray[np.bool_]
    entry_taken: npt.NDArray[np.bool_]
    records: list[dict[str, Any]] = field(default_factory=list)
    counter: dict[str, int] = field(default_factory=dict)

    def scheme_id(self, category: str, scheme: str) -> str:
        """A fresh id for one scheme instance (``VAL-undervaluation-003``)."""
        key = f"{category}:{scheme}"
        self.counter[key] = self.counter.get(key, 0) + 1
        return f"{category[:3].upper()}-{scheme}-{self.counter[key]:03d}"

    def pick(self, eligible: npt.NDArray[np.bool_], k: int, *, entries: bool = False
             ) -> npt.NDArray[np.int64]:
        """Up to k untaken rows where ``eligible``; marks them taken."""
        taken = self.entry_taken if entries else self.line_taken
        pool = np.flatnonzero(eligible & ~taken)
        if len(pool) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64)
        chosen = self.rng.choice(pool, min(k, len(pool)), replace=False)
        taken[chosen] = True
        return np.sort(chosen)

    def add(self, kind: str, category: str, scheme: str, scheme_id: str, *,
            entry_numbers: npt.NDArray[Any] | None = None,
            line_numbers: npt.NDArray[Any] | None = None,
            package_ids: npt.NDArray[Any] | None = None, notes: Any = "",
            party_id: str = "", loss: Any = 0.0) -> None:
        """Record one truth row per given entry/line or package."""
        keys = package_ids if package_ids is not None else entry_numbers
        if keys is None:
            keys = np.array([""], dtype=object)
        n = len(keys)
        notes_arr = np.broadcast_to(np.asarray(notes, dtype=object), (n,))
        loss_arr = np.broadcast_to(np.asarray(loss, dtype=float), (n,))
        for i in range(n):
            self.records.append({
                "record_kind": kind,
                "entry_number": None if entry_numbers is None else str(entry_numbers[i]),
                "line_number": None if line_numbers is None else int(line_numbers[i]),
                "package_id": None if package_ids is None else str(package_ids[i]),
                "category": category, "scheme": scheme, "scheme_id": scheme_id,
                "note": str(notes_arr[i]), "party_id": party_id or None,
                "loss_usd": round(float(loss_arr[i]), 2),
            })

    def frame(self) -> pl.DataFrame:
        """All truth records in :data:`TRUTH_SCHEMA`, one per record x category x scheme.

        A record named twice for the same scheme (a line reached by two planting steps) is
        one violation, so the first note and loss are kept and the repeat is dropped.
        """
        return pl.DataFrame(self.records, schema=TRUTH_SCHEMA).unique(
            TRUTH_KEY, keep="first", maintain_order=True)
