"""The findings of a request the screen flagged, built in plain Python as one frame.

Running a flagged check in its general form costs its Polars queries (~1-2 ms per check on
one entry, sentences and evidence included); a request's few findings are written here from
the values the screen read, by the same rules and texts (:mod:`.request_tariff`,
:mod:`.request_parties`, :mod:`.request_plausible`), sorted as the detector sorts them and
counted by reason code. Anything the plain writing cannot vouch for (a value Polars would
write its own way, a join that would repeat a line, findings the detector's sort could order
either way) gives ``None``: the flagged checks then run in their general form.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import TYPE_CHECKING

import polars as pl

from tradeguard.detectors.entry_checks.request_duty import Ambiguous
from tradeguard.detectors.entry_checks.request_lookups import Unsure
from tradeguard.detectors.entry_checks.request_parties import entry_rows, mid_rows, party_rows
from tradeguard.detectors.entry_checks.request_plausible import plausibility_rows
from tradeguard.detectors.entry_checks.request_rows import Row
from tradeguard.detectors.entry_checks.request_tariff import (
    adcvd_rows,
    duty_rows,
    hts_rows,
    spi_rows,
    unit_rows,
)
from tradeguard.detectors.entry_checks.request_text import Declined
from tradeguard.findings import FINDINGS_SCHEMA

if TYPE_CHECKING:
    from tradeguard.detectors.entry_checks.config import EntryChecksConfig
    from tradeguard.detectors.entry_checks.request import Screen

_SCHEMA = pl.Schema(FINDINGS_SCHEMA)
_NONE = pl.DataFrame(schema=_SCHEMA)
_NAMES = list(FINDINGS_SCHEMA)
_TYPES = [type(t) for t in FINDINGS_SCHEMA.values()]
SortKey = tuple[bool, str, bool, int, str]


def plain_findings(screened: Screen, cfg: EntryChecksConfig, present: Collection[str],
                   ) -> tuple[pl.DataFrame, dict[str, int]] | None:
    """(findings sorted as the detector sorts them, count per reason code) of the checks
    ``screened`` flagged, or ``None`` when the general checks must write them."""
    try:
        rows = _rows(screened, cfg, set(present))
    except (Declined, Unsure, Ambiguous):
        return None
    if cfg.disabled:
        rows = [row for row in rows if row[3] not in cfg.disabled]
    keyed = {_sort_key(row): row for row in rows}
    if len(keyed) != len(rows):
        return None  # findings alike in the sort columns: their order is Polars' to choose
    rows = [keyed[key] for key in sorted(keyed)]
    counts = dict(sorted(Counter(str(row[3]) for row in rows).items()))
    if not rows:
        return _NONE.clone(), counts
    # rows in, one frame out, the types read by Polars (half the cost of checking them
    # against the schema); a column read otherwise (all lines null) is read with the schema
    frame = pl.DataFrame(rows, schema=_NAMES, orient="row")
    if [type(t) for t in frame.dtypes] != _TYPES:
        frame = pl.DataFrame(rows, schema=_SCHEMA, orient="row")
    return frame, counts


def _sort_key(row: Row) -> SortKey:
    """``entry_number``, ``line_number``, ``reason_code`` ascending, nulls first."""
    entry, line = row[0], row[1]
    return (entry is not None, entry or "", line is not None, line or 0, row[3])


def _rows(screened: Screen, cfg: EntryChecksConfig, present: set[str]) -> list[Row]:
    """The rows of the flagged checks, in the detector's order of checks."""
    run, col, look = screened.flagged, screened.columns, screened.look
    version = look.tables.ref.versions.get("tariff")
    rows: list[Row] = []
    if "hts" in run:
        rows += hts_rows(screened, version)
    if "unit" in run:
        rows += unit_rows(screened, version)
    if "duty" in run:
        rows += duty_rows(screened, cfg.duty, version)
    if "spi" in run:
        rows += spi_rows(screened, version)
    if "adcvd" in run:
        rows += adcvd_rows(screened)
    if "entry_number" in run or "importer" in run:
        rows += entry_rows(col, "entry_number" in run, "importer" in run)
    if "mid" in run:
        rows += mid_rows(col, screened.verdicts)
    if "party" in run:
        rows += party_rows(col, cfg.parties, present)
    if "plausibility" in run:
        rows += plausibility_rows(col, look)
    return rows
