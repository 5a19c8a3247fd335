"""Selectivity: lanes from forced rules, the random sample, trusted traders and capacity.

Order of precedence, as in ASYCUDA selectivity but with the sample and capacity explicit:

1. **forced** — a hard rule or a rules profile fixed the lane (strongest wins);
2. **random** — the seeded compliance sample (see :mod:`.sample`) sends the line to its lane;
3. **trusted** — a trusted-trader line goes green (fast track);
4. **targeted** — per port and day, each lane's expected share of lines (forced and random
   picks count toward it) is filled with the highest remaining risk scores at or above the
   lane's minimum risk, red first, then yellow (a fractional quota is rounded as configured;
   ``stochastic`` rounding keeps small ports at the configured rate on average);
5. **none** — everything else is green.

``selection_probability`` is the chance the line would be picked under this design: 1 for
forced and targeted lines, the sample rate for the rest (0 for trusted lines when the sample
excludes them) — the inverse-probability weight for estimates from examined lines.
"""

from __future__ import annotations

import polars as pl

from tradeguard.targeting.config import TargetingConfig
from tradeguard.targeting.sample import sample_draw

SELECTIONS = ("forced", "random", "trusted", "targeted", "none")
LANE_INPUT = ("entry_number", "line_number", "port_of_entry", "entry_date", "risk_score",
              "forced_lane", "trusted_trader")

def _quota(n: pl.Expr, rate: pl.Expr, rounding: str) -> pl.Expr:
    """Lines a lane may hold in a port-day: ``rate x n`` rounded as configured.

    ``stochastic`` rounds up with probability equal to the fraction, drawn from the port-day's
    seeded hash (``_day_draw``), so small ports still meet the configured rate on average.
    """
    raw = n.cast(pl.Float64) * rate
    if rounding == "ceil":
        return (raw - 1e-9).ceil().cast(pl.Int64)
    if rounding == "floor":
        return (raw + 1e-9).floor().cast(pl.Int64)
    if rounding == "stochastic":
        return (raw + pl.col("_day_draw")).floor().cast(pl.Int64)
    return (raw + 0.5).floor().cast(pl.Int64)


def _fill(frame: pl.DataFrame, lane: str, rate_col: str, min_risk: float,
          rounding: str) -> pl.DataFrame:
    """Give ``lane`` to the riskiest open lines of each port-day up to its quota."""
    group = ["port_of_entry", "entry_date"]
    quota = _quota(pl.len().over(group), pl.col(rate_col), rounding)
    taken = (pl.col("lane") == lane).sum().over(group)
    open_line = pl.col("lane").is_null() & (pl.col("risk_score") >= min_risk)
    rank = open_line.cast(pl.Int64).cum_sum().over(group)
    chosen = open_line & (rank <= (quota - taken).clip(lower_bound=0))
    return frame.with_columns(
        pl.when(chosen).then(pl.lit(lane)).otherwise(pl.col("lane")).alias("lane"),
        pl.when(chosen).then(pl.lit("targeted")).otherwise(pl.col("selection"))
        .alias("selection"),
    )


def line_draws(frame: pl.DataFrame, cfg: TargetingConfig, draws: pl.Series | None) -> pl.Series:
    """The random-sample draw of every line of ``frame``: ``draws`` when given, else drawn."""
    if draws is None:
        draws = sample_draw(frame, cfg.random_sample.seed, cfg.version)
    elif draws.len() != frame.height:
        raise ValueError(f"{draws.len()} sample draws for {frame.height} lines")
    return draws.cast(pl.Float64).alias("sample_draw")


def assign_lanes(frame: pl.DataFrame, cfg: TargetingConfig,
                 draws: pl.Series | None = None) -> pl.DataFrame:
    """Add ``lane``, ``selection``, ``selection_probability`` and ``sample_draw``.

    ``frame`` needs :data:`LANE_INPUT` (``forced_lane`` may be null, ``trusted_trader`` null
    counts as not trusted). Deterministic: ties in risk are broken by entry and line number.
    ``draws``: the lines' :func:`sample_draw` under ``cfg``, when a batch step drew them
    already (one per row, in order).
    """
    missing = [c for c in LANE_INPUT if c not in frame.columns]
    if missing:
        raise ValueError(f"lane assignment needs column(s) {missing}")
    sample, cap = cfg.random_sample, cfg.capacity
    ports = frame.get_column("port_of_entry").cast(pl.String).unique().to_list()
    red = {p: cap.rates_for(p).red for p in ports}
    yellow = {p: cap.rates_for(p).yellow for p in ports}
    work = frame.with_row_index("_order").with_columns(
        line_draws(frame, cfg, draws),
        pl.col("trusted_trader").cast(pl.Boolean).fill_null(False).alias("_trusted"),
        pl.col("port_of_entry").cast(pl.String)
        .replace_strict(red, default=cap.default.red, return_dtype=pl.Float64).alias("_red"),
        pl.col("port_of_entry").cast(pl.String)
        .replace_strict(yellow, default=cap.default.yellow, return_dtype=pl.Float64)
        .alias("_yellow"),
    )
    forced = pl.col("forced_lane").is_not_null()
    eligible = ~pl.col("_trusted") | sample.include_trusted
    drawn = ~forced & eligible & (pl.col("sample_draw") < sample.rate)
    trusted = ~forced & ~drawn & pl.col("_trusted") & cfg.trusted_traders.fast_track
    work = work.with_columns(
        pl.when(forced).then(pl.col("forced_lane"))
        .when(drawn).then(pl.lit(sample.lane))
        .when(trusted).then(pl.lit("green")).alias("lane"),
        pl.when(forced).then(pl.lit("forced")).when(drawn).then(pl.lit("random"))
        .when(trusted).then(pl.lit("trusted")).alias("selection"),
    ).sort(["port_of_entry", "entry_date", "risk_score", "entry_number", "line_number"],
           descending=[False, False, True, False, False], nulls_last=True)
    days = work.select(pl.col("port_of_entry").cast(pl.String).fill_null(""),
                       pl.col("entry_date").cast(pl.String).fill_null("")).unique()
    days = days.with_columns(sample_draw(
        days.rename({"port_of_entry": "entry_number", "entry_date": "line_number"}),
        sample.seed, f"capacity|{cfg.version}").alias("_day_draw"))
    work = work.with_columns(pl.col("port_of_entry").cast(pl.String).fill_null("")
                             .alias("_port"), pl.col("entry_date").cast(pl.String)
                             .fill_null("").alias("_date")).join(
        days.rename({"port_of_entry": "_port", "entry_date": "_date"}),
        on=["_port", "_date"], how="left", maintain_order="left").drop("_port", "_date")
    work = _fill(work, "red", "_red", cap.min_risk.red, cap.rounding)
    work = _fill(work, "yellow", "_yellow", cap.min_risk.yellow, cap.rounding)
    certain = pl.col("selection").is_in(["forced", "targeted"])
    chance = pl.when(pl.col("_trusted") & ~pl.lit(sample.include_trusted)).then(0.0) \
        .otherwise(sample.rate)
    return work.sort("_order").with_columns(
        pl.col("lane").fill_null("green"),
        pl.col("selection").fill_null("none"),
        pl.when(certain).then(1.0).otherwise(chance).alias("selection_probability"),
    ).drop("_order", "_trusted", "_red", "_yellow", "_day_draw")
