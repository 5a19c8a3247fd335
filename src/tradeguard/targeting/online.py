"""Lanes for entries scored one at a time, consistent with the batch's port-day quotas.

A single request cannot fill a per-port-day quota: with one line in the "day", rounding a
share of 1 decides the lane. Online, the quota is replaced by the risk cut-off it implied on
a recent batch: for each port, the lowest risk score the batch targeted into red (yellow).
Precedence is the batch's (:mod:`.lanes`): forced, then the random sample by the same seeded
hash (so a line drawn in the batch is drawn online too), then trusted traders, then a line
at or above its port's cut-off (and the lane's minimum risk) is targeted, the rest green.

For the lines of the calibration batch this gives the batch's lane, except for lines tied at
a cut-off score that the batch left out by entry number, which go to the stricter lane.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from tradeguard.request_path import REQUEST_LINES
from tradeguard.targeting.config import TargetingConfig
from tradeguard.targeting.lanes import LANE_INPUT, line_draws

#: The cut-off of a port whose batch targeted nobody into a lane: that lane is not targeted.
NEVER = math.inf
#: Up to this many lines (a scoring request's), lanes are assigned in Python
#: (:mod:`tradeguard.targeting.lanes_request`): each query here costs ~100 us.
SMALL_LANE_LINES = REQUEST_LINES


@dataclass(frozen=True)
class LaneCutoffs:
    """Per-port risk cut-offs for the red and yellow lanes, and what they came from."""

    red: Mapping[str, float] = field(default_factory=dict)
    yellow: Mapping[str, float] = field(default_factory=dict)
    source: str = ""

    def for_port(self, lane: str, port: str | None) -> float:
        """The cut-off of ``lane`` at ``port`` (ports the batch never saw are not targeted)."""
        table = self.red if lane == "red" else self.yellow
        return table.get(port or "", NEVER)


def lane_cutoffs(assessments: pl.DataFrame, source: str = "") -> LaneCutoffs:
    """The cut-offs a batch's lane assignment implied: lowest targeted risk per port and lane.

    ``assessments`` needs ``port_of_entry``, ``lane``, ``selection`` and ``risk_score``.
    """
    targeted = assessments.filter(pl.col("selection") == "targeted").group_by(
        pl.col("port_of_entry").cast(pl.String).fill_null(""), "lane",
    ).agg(pl.col("risk_score").min().alias("cutoff"))
    tables: dict[str, dict[str, float]] = {"red": {}, "yellow": {}}
    for port, lane, cutoff in targeted.iter_rows():
        if lane in tables:
            tables[lane][port] = float(cutoff)
    return LaneCutoffs(tables["red"], tables["yellow"], source)


def assign_lanes_online(
    frame: pl.DataFrame, cfg: TargetingConfig, cutoffs: LaneCutoffs,
    draws: pl.Series | None = None,
) -> pl.DataFrame:
    """Add ``lane``, ``selection``, ``selection_probability`` and ``sample_draw`` per line.

    The same columns as :func:`tradeguard.targeting.lanes.assign_lanes`, without quotas
    (``draws`` too).
    """
    missing = [c for c in LANE_INPUT if c not in frame.columns]
    if missing:
        raise ValueError(f"lane assignment needs column(s) {missing}")
    if draws is None and frame.height <= SMALL_LANE_LINES:  # a request's lines, in Python
        from tradeguard.targeting.lanes_request import few_lines_lanes_online

        small = few_lines_lanes_online(frame, cfg, cutoffs)
        if small is not None:
            return small
    sample, cap = cfg.random_sample, cfg.capacity
    ports = frame.get_column("port_of_entry").cast(pl.String).fill_null("").unique().to_list()
    red = {p: max(cutoffs.for_port("red", p), cap.min_risk.red) for p in ports}
    yellow = {p: max(cutoffs.for_port("yellow", p), cap.min_risk.yellow) for p in ports}
    port = pl.col("port_of_entry").cast(pl.String).fill_null("")
    trusted_line = pl.col("trusted_trader").cast(pl.Boolean).fill_null(False)
    forced = pl.col("forced_lane").is_not_null()
    eligible = ~trusted_line | sample.include_trusted
    drawn = ~forced & eligible & (pl.col("sample_draw") < sample.rate)
    trusted = ~forced & ~drawn & trusted_line & cfg.trusted_traders.fast_track
    to_red = pl.col("risk_score") >= port.replace_strict(red, return_dtype=pl.Float64)
    to_yellow = pl.col("risk_score") >= port.replace_strict(yellow, return_dtype=pl.Float64)
    chance = pl.when(trusted_line & ~pl.lit(sample.include_trusted)).then(0.0) \
        .otherwise(sample.rate)
    return frame.with_columns(
        line_draws(frame, cfg, draws),
    ).with_columns(
        pl.when(forced).then(pl.col("forced_lane")).when(drawn).then(pl.lit(sample.lane))
        .when(trusted).then(pl.lit("green")).when(to_red).then(pl.lit("red"))
        .when(to_yellow).then(pl.lit("yellow")).otherwise(pl.lit("green")).alias("lane"),
        pl.when(forced).then(pl.lit("forced")).when(drawn).then(pl.lit("random"))
        .when(trusted).then(pl.lit("trusted")).when(to_red | to_yellow)
        .then(pl.lit("targeted")).otherwise(pl.lit("none")).alias("selection"),
    ).with_columns(
        pl.when(pl.col("selection").is_in(["forced", "targeted"])).then(1.0)
        .otherwise(chance).alias("selection_probability"),
    )
