""":func:`~tradeguard.targeting.lanes.assign_lanes` for the few lines of one scoring request.

The general path runs about a dozen Polars queries (draws, a sort, a join of port-day draws,
two window passes per lane), about 100 us each whatever the size, on a request's one to five
lines. Here the same precedence (forced, random sample, trusted traders, port-day quotas) is
applied in Python with the same configuration, the same seeded SHA-256 draws and the same
quota arithmetic, so every lane, selection, probability and draw is the general path's. What
this path does not model (nulls in keys, ports, days or scores, draws given by the caller,
columns the general path would overwrite) answers None and the general path runs. Lanes from
online cut-offs (:func:`~tradeguard.targeting.online.assign_lanes_online`) likewise.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.kept import Kept
from tradeguard.request_path import REQUEST_LINES
from tradeguard.targeting.config import TargetingConfig
from tradeguard.targeting.lanes import LANE_INPUT
from tradeguard.targeting.request_frames import RequestFrame
from tradeguard.targeting.sample import _HEX_DIGITS, _SCALE

if TYPE_CHECKING:
    from tradeguard.targeting.online import LaneCutoffs

#: Up to this many lines (a scoring request's), lanes are assigned here.
SMALL_LANE_LINES = REQUEST_LINES
#: Columns the lanes add (in this order), and the general path's working columns.
_ADDED = ("sample_draw", "lane", "selection", "selection_probability")
_WORKING = ("_order", "_trusted", "_red", "_yellow", "_day_draw", "_port", "_date")
_OVERWRITTEN = frozenset(_ADDED + _WORKING)
_ADDED_TYPES: dict[str, pl.DataType] = {
    "sample_draw": pl.Float64(), "lane": pl.String(), "selection": pl.String(),
    "selection_probability": pl.Float64(),
}  # fmt: skip
_ADDED_FRAME = RequestFrame(_ADDED_TYPES)
#: The lane input's types, as the general path would leave them (no cast), in its order.
_INPUT_TYPES: dict[str, type[pl.DataType]] = {
    "entry_number": pl.String, "line_number": pl.Int64, "port_of_entry": pl.String,
    "entry_date": pl.Date, "risk_score": pl.Float64, "forced_lane": pl.String,
    "trusted_trader": pl.Boolean,
}  # fmt: skip
_INPUT_KINDS = [_INPUT_TYPES[c] for c in LANE_INPUT]
#: Port-day capacity draws already made, by seed, version, port and day: a request's lines
#: share one port-day, and requests of a port share it all day.
_DAY_DRAWS: Kept[tuple[int, str, str, date], float] = Kept(4096)


def _draw(seed: int, version: str, first: str, second: str) -> float:
    """:func:`tradeguard.targeting.sample.sample_draw` of one row."""
    text = f"{seed}|{version}|{first}|{second}"
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HEX_DIGITS], 16) / _SCALE


def _day_draw(seed: int, version: str, port: str, day: date) -> float:
    """The port-day's capacity draw (the general path's per port-day), made once."""
    key = (seed, version, port, day)
    found = _DAY_DRAWS.get(key)
    if found is None:
        found = _DAY_DRAWS.keep(key, _draw(seed, f"capacity|{version}", port, day.isoformat()))
    return found


def _quota(n: int, rate: float, rounding: str, day_draw: float) -> int:
    """:func:`tradeguard.targeting.lanes._quota` of one port-day."""
    raw = float(n) * rate
    if rounding == "ceil":
        return math.ceil(raw - 1e-9)
    if rounding == "floor":
        return math.floor(raw + 1e-9)
    if rounding == "stochastic":
        return math.floor(raw + day_draw)
    return math.floor(raw + 0.5)


def _lane_rows(frame: pl.DataFrame) -> list[dict[str, Any]] | None:
    """The lane input of each line, or None when the general path must run (no rows, a
    column it would overwrite, types it would cast, nulls it would carry, repeated keys)."""
    names = set(frame.columns)
    if frame.is_empty() or not names.isdisjoint(_OVERWRITTEN) \
            or not names.issuperset(LANE_INPUT):
        return None
    # The types of the input's columns only (a frame's ``dtypes`` makes one per column); each
    # a plain type, told apart by its class.
    columns = [frame.get_column(c) for c in LANE_INPUT]
    if any(type(s.dtype) is not kind for s, kind in zip(columns, _INPUT_KINDS, strict=True)):
        return None
    cols = [s.to_list() for s in columns]
    rows = [dict(zip(LANE_INPUT, values, strict=True)) for values in zip(*cols, strict=True)]
    keys = {(r["entry_number"], r["line_number"]) for r in rows}
    if len(keys) < len(rows) or any(
            r["entry_number"] is None or r["line_number"] is None or r["port_of_entry"] is None
            or r["entry_date"] is None or not 1000 <= r["entry_date"].year <= 9999
            or r["risk_score"] is None
            or math.isnan(r["risk_score"]) or math.copysign(1.0, r["risk_score"]) < 0
            for r in rows):
        return None
    return rows


def _with_lanes(frame: pl.DataFrame, rows: list[dict[str, Any]], draws: list[float],
                lanes: Sequence[str | None], selections: Sequence[str | None],
                cfg: TargetingConfig) -> pl.DataFrame:
    """``frame`` with the lanes' columns (an open lane is green, an open selection none)."""
    sample = cfg.random_sample
    probability = [1.0 if s in ("forced", "targeted")
                   else 0.0 if bool(r["trusted_trader"]) and not sample.include_trusted
                   else sample.rate for r, s in zip(rows, selections, strict=True)]
    return frame.hstack(_ADDED_FRAME.series({
        "sample_draw": draws, "lane": [lane or "green" for lane in lanes],
        "selection": [s or "none" for s in selections], "selection_probability": probability,
    }))


def few_lines_lanes(frame: pl.DataFrame, cfg: TargetingConfig) -> pl.DataFrame | None:
    """What ``assign_lanes(frame, cfg)`` gives, or None when the general path must run."""
    rows = _lane_rows(frame)
    if rows is None:
        return None
    version = cfg.version
    draws, lanes, selections = _before_risk(rows, cfg, version)
    _fill_quotas(rows, lanes, selections, cfg, version)
    return _with_lanes(frame, rows, draws, lanes, selections, cfg)


def few_lines_lanes_online(frame: pl.DataFrame, cfg: TargetingConfig,
                           cutoffs: LaneCutoffs) -> pl.DataFrame | None:
    """What ``assign_lanes_online(frame, cfg, cutoffs)`` gives, or None (general path)."""
    rows = _lane_rows(frame)
    if rows is None:
        return None
    cap = cfg.capacity
    draws, lanes, selections = _before_risk(rows, cfg, cfg.version)
    for i, r in enumerate(rows):
        if lanes[i] is not None:
            continue
        port, risk = r["port_of_entry"], r["risk_score"]
        if risk >= max(cutoffs.for_port("red", port), cap.min_risk.red):
            lanes[i], selections[i] = "red", "targeted"
        elif risk >= max(cutoffs.for_port("yellow", port), cap.min_risk.yellow):
            lanes[i], selections[i] = "yellow", "targeted"
    return _with_lanes(frame, rows, draws, lanes, selections, cfg)


def _before_risk(rows: list[dict[str, Any]], cfg: TargetingConfig, version: str
                 ) -> tuple[list[float], list[str | None], list[str | None]]:
    """Each line's sample draw and the lanes decided before risk, in precedence order:
    forced, the random sample, the trusted-trader track (None: open for risk to decide)."""
    sample = cfg.random_sample
    draws: list[float] = []
    lanes: list[str | None] = []
    selections: list[str | None] = []
    for r in rows:
        draw = _draw(sample.seed, version, r["entry_number"], str(r["line_number"]))
        trusted = bool(r["trusted_trader"])
        forced = r["forced_lane"] is not None
        drawn = not forced and (not trusted or sample.include_trusted) and draw < sample.rate
        fast = not forced and not drawn and trusted and cfg.trusted_traders.fast_track
        lanes.append(r["forced_lane"] if forced else sample.lane if drawn
                     else "green" if fast else None)
        selections.append("forced" if forced else "random" if drawn
                          else "trusted" if fast else None)
        draws.append(draw)
    return draws, lanes, selections


def _fill_quotas(rows: list[dict[str, Any]], lanes: list[str | None],
                 selections: list[str | None], cfg: TargetingConfig, version: str) -> None:
    """Red, then yellow: each port-day's riskiest open lines up to the lane's quota."""
    cap, sample = cfg.capacity, cfg.random_sample
    order = sorted(range(len(rows)), key=lambda i: (
        rows[i]["port_of_entry"], rows[i]["entry_date"], -rows[i]["risk_score"],
        rows[i]["entry_number"], rows[i]["line_number"]))
    days: dict[tuple[str, date], list[int]] = {}
    for i in order:
        days.setdefault((rows[i]["port_of_entry"], rows[i]["entry_date"]), []).append(i)
    for (port, day), members in days.items():
        day_draw = _day_draw(sample.seed, version, port, day)
        rates = cap.rates_for(port)
        for lane, rate, least in (("red", rates.red, cap.min_risk.red),
                                  ("yellow", rates.yellow, cap.min_risk.yellow)):
            quota = _quota(len(members), rate, cap.rounding, day_draw)
            room = max(quota - sum(lanes[i] == lane for i in members), 0)
            for i in members:
                if room > 0 and lanes[i] is None and rows[i]["risk_score"] >= least:
                    lanes[i], selections[i] = lane, "targeted"
                    room -= 1
