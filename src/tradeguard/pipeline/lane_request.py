"""A request's lane input frame assembled from columns, without a query per step.

:meth:`Scorer.assess <tradeguard.pipeline.scorer.Scorer.assess>` selects the line keys, then
the header fields and the input digest, sets them beside the risk columns and joins the
model's probabilities on the keys: four Polars queries of ~50-100 us each, whatever the size.
For one entry's few lines, with every column already of its type and the model's lines the
risk's own lines in the same order, the same frame is the columns themselves, side by side.
Anything else (a cast to make, keys repeated, missing or in another order) returns None and
the general path runs.
"""

from __future__ import annotations

import polars as pl

from tradeguard.pipeline.run import input_digest
from tradeguard.request_path import REQUEST_LINES
from tradeguard.targeting.request_frames import column, frame_of

#: Up to this many lines (a scoring request's), the lane input is built from columns.
PLAIN_LANE_LINES = REQUEST_LINES
#: The header fields the lane input carries, with their types.
HEADER_TYPES: tuple[tuple[str, type[pl.DataType]], ...] = (
    ("port_of_entry", pl.String), ("entry_date", pl.Date), ("trusted_trader", pl.Boolean))
_KEY_TYPES: tuple[tuple[str, type[pl.DataType]], ...] = (
    ("entry_number", pl.String), ("line_number", pl.Int64))
_ADDED = frozenset([*(n for n, _ in HEADER_TYPES), "input_digest", "model_probability"])


def _typed(frame: pl.DataFrame, types: tuple[tuple[str, type[pl.DataType]], ...]
           ) -> list[pl.Series] | None:
    """The columns ``types`` names, when each is there and of its (plain) type."""
    out = []
    for name, kind in types:
        # A missing column raises: cheaper than listing a wide frame's names every request.
        try:
            series = frame.get_column(name)
        except pl.exceptions.ColumnNotFoundError:
            return None
        if type(series.dtype) is not kind:
            return None
        out.append(series)
    return out


def plain_keys(decl: pl.DataFrame) -> pl.DataFrame | None:
    """The line keys of a few lines already typed (what the keys' casting select gives)."""
    if decl.height > PLAIN_LANE_LINES:
        return None
    keys = _typed(decl, _KEY_TYPES)
    return frame_of(keys) if keys is not None else None


def plain_lane_frame(risk: pl.DataFrame, decl: pl.DataFrame,
                     scores: pl.DataFrame | None) -> pl.DataFrame | None:
    """The risk columns, the header fields, the input digest and the model probability of a
    few lines side by side, or None (see the module)."""
    if decl.height > PLAIN_LANE_LINES or risk.height != decl.height \
            or not _ADDED.isdisjoint(risk.columns):
        return None
    header = _typed(decl, HEADER_TYPES)
    if header is None:
        return None
    if scores is None:
        probability = column("model_probability", [None] * risk.height, pl.Float64())
    else:
        if "probability" not in scores.columns or not _same_keys(risk, scores):
            return None
        probability = scores.get_column("probability").alias("model_probability")
    return risk.hstack([*header, input_digest(decl), probability])


def _same_keys(risk: pl.DataFrame, scores: pl.DataFrame) -> bool:
    """Whether a left join of ``scores`` on the keys gives each line of ``risk`` the row at
    its own position: the same keys in the same order, none missing, none repeated."""
    mine, theirs = _typed(risk, _KEY_TYPES), _typed(scores, _KEY_TYPES)
    if mine is None or theirs is None:
        return False
    entries, numbers = (k.to_list() for k in mine)
    if [entries, numbers] != [k.to_list() for k in theirs]:
        return False
    return None not in entries and None not in numbers \
        and len(set(zip(entries, numbers, strict=True))) == len(entries)
