"""Valuation scores of a request-sized batch, worked out line by line in plain Python.

A scoring service sends one entry (1-5 lines) per call. The batch path runs some twenty Polars
queries on it, each with ~100 us of fixed cost, to join peer levels, party histories, importer
counts and tariff rates and to corroborate across the entry and the account. Here those
references are cut once per fitted baseline into dicts (peer rows per level and code, party
histories per party, HTS-10 and unit, importers' line counts, tariff rates), and the few lines'
signals, flags and corroboration follow
:func:`~tradeguard.detectors.valuation_evidence.evidence_scores` and
:func:`~tradeguard.detectors.valuation_corroboration.corroborate` with the same
:class:`ValuationConfig` thresholds and in the same floating-point order.

The tables are :mod:`valuation_entry_tables`, each line's signals and flags
:mod:`valuation_entry_signals`, the entry and account reviews :mod:`valuation_entry_reviews`.
The flagged lines come out as one frame with the columns
:func:`~tradeguard.detectors.valuation_findings.valuation_findings` reads, so the findings'
texts and evidence keep one source. A frame this path does not cover (other column types,
non-ASCII codes, NaN or infinite numbers, keys repeated in the fitted tables) gives None and
takes the batch path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl

from tradeguard.detectors.valuation_corroboration import AccountBaseRates
from tradeguard.detectors.valuation_entry_nulls import NotCovered
from tradeguard.detectors.valuation_entry_reviews import LineFlags, corroborate_lines
from tradeguard.detectors.valuation_entry_signals import line_evidence, parse
from tradeguard.detectors.valuation_entry_tables import (
    EntryReferences,
    entry_references,
    tariff_lookup,
)
from tradeguard.detectors.valuation_evidence import SIGNAL_WEIGHTS, ValuationConfig
from tradeguard.detectors.valuation_history import PARTIES
from tradeguard.frame_reads import column_types, named_rows
from tradeguard.request_path import REQUEST_LINES

#: Batches with at most this many lines are scored here (a request holds 1-5).
ENTRY_LINES = REQUEST_LINES

# the declaration columns read, and the types this path reads them as
_TEXT = ("entry_number", "hts_code", "country_of_origin", "quantity_unit", "importer_id",
         "manufacturer_id")
_NUMBERS = ("entered_value_usd", "quantity", "gross_weight_kg")
_KINDS = tuple(kind for kind, _ in PARTIES)

_F, _I, _S, _B = pl.Float64(), pl.Int64(), pl.String(), pl.Boolean()
#: The scored columns the findings read, in the batch path's types.
FINDING_INPUTS: dict[str, pl.DataType] = {
    "entry_number": _S, "line_number": _I, "origin": _S, "unit": _S,
    "luv": _F, "lvpk": _F, "lkpu": _F,
    "peer_level": _S, "peer_code": _S, "peer_n": _I, "peer_luv_post_med": _F,
    "peer_uv_p05": _F, "peer_uv_p95": _F, "peer_uv_min": _F, "peer_uv_max": _F,
    "peer_lvpk_n": _I, "peer_lvpk_post_med": _F, "peer_kpu_level": _S,
    "peer_lkpu_post_med": _F,
    **{f"{name}_{kind}": _F for name in ("z", "ratio") for kind in _KINDS},
    **{f"{kind}_history_lines": _I for kind in _KINDS},
    **{f"{name}_{kind}": _F for name in ("floor_ratio", "ceiling_ratio") for kind in _KINDS},
    "importer_lines_in_window": _I,
    "z_uv": _F, "z_kg": _F, "z_kpu": _F, "ratio_uv": _F, "ratio_kg": _F, "ratio_kpu": _F,
    "ad_valorem_rate": _F, "related": _B,
    **{f"w_{s}": _F for s in SIGNAL_WEIGHTS},
    "new_importer": _B,
    "_under_uv": _B, "below_own_floor": _B, "above_own_ceiling": _B,
    "ratio_to_market_floor": _F, "below_market_floor": _B, "ratio_to_market_ceiling": _F,
    "above_market_ceiling": _B, "_under": _B, "_over": _B, "_quantity": _B, "_light": _B,
    "evidence_score": _F, "value_gap_usd": _F, "duty_at_risk_usd": _F,
    "entry_flagged_lines": _I,
    "account_low_contracts": _I, "account_contracts": _I, "account_p_value": _F,
    "related_account_low_contracts": _I, "related_account_contracts": _I,
    "related_account_p_value": _F,
    "account_others_p_value": _F, "line_p_value": _F, "combined_p_value": _F,
    "_entry_corroborated": _B, "_account_corroborated": _B,
}

__all__ = ["ENTRY_LINES", "FINDING_INPUTS", "EntryReferences", "EntryScores", "LineFlags",
           "entry_references", "entry_scores", "tariff_lookup"]


@dataclass(frozen=True, slots=True)
class EntryScores:
    """Each line's flags, in order, and the flagged lines' values (:data:`FINDING_INPUTS`
    and more, as worked out here)."""

    flags: list[LineFlags]
    values: list[dict[str, object]]

    @property
    def flagged(self) -> pl.DataFrame:
        """The flagged lines as the frame of :data:`FINDING_INPUTS` (built on demand: a frame
        of 90 columns costs ~0.3 ms, and the findings are written from :meth:`rows`)."""
        if not self.values:
            return _none_flagged()
        return pl.DataFrame([tuple(v[c] for c in FINDING_INPUTS) for v in self.values],
                            schema=FINDING_INPUTS, orient="row")

    def rows(self) -> list[dict[str, object]] | None:
        """The flagged lines' :data:`FINDING_INPUTS` as :attr:`flagged` would give them back
        (``rows(named=True)``), or None when a value is not of its column's type as written
        here (then :attr:`flagged` casts it)."""
        out = []
        for v in self.values:
            row: dict[str, object] = {}
            for column, kind in _KIND_OF.items():
                value = v[column]
                if value is not None and type(value) is not kind:
                    if kind is not float or type(value) is not int or abs(value) > _EXACT:
                        return None
                    value = float(value)  # as a Float64 column holds it
                row[column] = value
            out.append(row)
        return out


# the Python type each FINDING_INPUTS column gives back; integers up to 2**53 are floats exactly
_PYTHON_TYPES: dict[type[pl.DataType], type] = {pl.Float64: float, pl.Int64: int,
                                                pl.String: str, pl.Boolean: bool}
_KIND_OF = {c: _PYTHON_TYPES[type(t)] for c, t in FINDING_INPUTS.items()}
_EXACT = 2**53


# the types this path reads each column as (None: the column may be left out); none of them
# has parameters, so a column's type class says all
_COVERED: dict[str, tuple[type[pl.DataType] | None, ...]] = {
    "line_number": (pl.Int64,), **{c: (pl.String,) for c in _TEXT},
    **{c: (pl.Float64,) for c in _NUMBERS},
    "related_party": (None, pl.Boolean, pl.String), "duty_rate": (None, pl.Float64)}


def covered(lines: pl.DataFrame) -> bool:
    """Whether ``lines`` is small and has the columns and types this path reads (the types'
    classes compared: a Polars type's ``==`` costs microseconds, and a request reads 13;
    the types are read once per frame for every step of a request, :mod:`frame_reads`)."""
    if lines.height > ENTRY_LINES:
        return False
    types = column_types(lines)
    for column, allowed in _COVERED.items():
        dtype = types.get(column)
        if (None if dtype is None else type(dtype)) not in allowed:
            return False
    return True


def entry_scores(lines: pl.DataFrame, cfg: ValuationConfig, refs: EntryReferences,
                 rates: AccountBaseRates | None,
                 tariff: dict[object, object] | None) -> EntryScores | None:
    """Each line's flags and the flagged lines' :data:`FINDING_INPUTS` (``tariff``:
    :func:`tariff_lookup`, when a tariff is loaded); None when this path does not cover
    ``lines``. The rows are the ones every step of a request shares (:func:`named_rows`),
    only read here."""
    if not covered(lines):
        return None
    rows = named_rows(lines)
    try:
        parsed = [parse(row) for row in rows]
        one_key = len(rows) > 1 and len({(p.hts10, p.origin, p.unit) for p in parsed}) == 1
        scored = [line_evidence(row, p, refs, cfg, tariff, one_key)
                  for row, p in zip(rows, parsed, strict=True)]
        flags = corroborate_lines(scored, cfg, rates or AccountBaseRates(None, None))
    except (NotCovered, OverflowError):
        return None
    return EntryScores(flags, [ln.values for ln, f in zip(scored, flags, strict=True)
                               if f.flagged])


@cache
def _none_flagged() -> pl.DataFrame:
    """The frame of no flagged line (built once; frames are not changed in place here)."""
    return pl.DataFrame(schema=FINDING_INPUTS)
