"""Exam and review outcomes: the labels a targeting model learns from.

Examined lines are a targeted share of planted lines plus a random sample of all lines (the
random sample is what makes unbiased evaluation possible). Exams find most planted violations
and, as in real life, a little noise on clean lines; recovered duty comes from the truth file's
revenue at stake.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradeguard.demo.declarations import Columns

_CATEGORIES = ["data_quality", "valuation", "classification", "origin"]


def build_outcomes(rng: np.random.Generator, lines: Columns, entry_dates: pl.DataFrame,
                   truth: pl.DataFrame, random_rate: float = 0.03,
                   targeted_rate: float = 0.5) -> pl.DataFrame:
    """One outcome row per examined line."""
    keys = pl.DataFrame({"entry_number": lines["entry_number"].astype(str),
                         "line_number": lines["line_number"].astype(np.int64)})
    planted = (truth.filter(pl.col("record_kind") == "line")
               .group_by("entry_number", "line_number")
               .agg(pl.col("category").first(), pl.col("loss_usd").sum()))
    frame = keys.join(planted, on=["entry_number", "line_number"], how="left")
    n = frame.height
    is_planted = frame["category"].is_not_null().to_numpy()
    u = rng.random(n)
    examined = np.where(is_planted, u < targeted_rate, u < random_rate)
    found = np.where(is_planted, rng.random(n) < 0.85, rng.random(n) < 0.03)
    noise_cat = np.array(_CATEGORIES, dtype=object)[rng.integers(0, len(_CATEGORIES), n)]
    category = np.where(is_planted, frame["category"].fill_null("").to_numpy(), noise_cat)
    loss = frame["loss_usd"].fill_null(0.0).to_numpy()
    recovered = np.where(found, np.round(np.maximum(loss, 0) * rng.uniform(0.7, 1.0, n), 2),
                         0.0)
    recovered = np.where(found & ~is_planted, np.round(rng.uniform(20, 400, n), 2), recovered)
    dates = frame.select("entry_number").join(entry_dates, on="entry_number", how="left")[
        "entry_date"].to_numpy().astype("datetime64[D]")
    decided = dates + rng.integers(5, 60, n).astype("timedelta64[D]")
    out = pl.DataFrame({
        "entry_number": frame["entry_number"], "line_number": frame["line_number"],
        "examined": examined, "discrepancy": examined & found,
        "category": pl.Series(np.where(examined & found, category, "").astype(str)),
        "recovered_duty_usd": np.where(examined & found, recovered, 0.0),
        "decided_on": decided,
        # The exam design's own propensity: what unbiased evaluation and training reweight by.
        "selection_probability": np.where(is_planted, targeted_rate, random_rate),
    })
    return out.filter(pl.col("examined")).with_columns(
        pl.when(pl.col("category") == "").then(None).otherwise(pl.col("category"))
        .alias("category"))

