"""Online lanes: one entry at a time against the cut-offs a batch's quotas implied."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from tradeguard.targeting import (
    TargetingConfig,
    assign_lanes,
    assign_lanes_online,
    lane_cutoffs,
    load_targeting_config,
)
from tradeguard.targeting.sample import sample_draw

DAY = date(2026, 7, 1)


def _config(rate: float) -> TargetingConfig:
    data = load_targeting_config().model_dump()
    data["random_sample"]["rate"] = rate
    data["capacity"]["rounding"] = "round"
    data["capacity"]["min_risk"] = {"red": 0.2, "yellow": 0.1}
    data["capacity"]["default"] = {"red": 0.12, "yellow": 0.2}
    return TargetingConfig.model_validate(data)


def _batch(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    forced = [("red" if i % 37 == 0 else None) for i in range(n)]
    return pl.DataFrame({
        "entry_number": [f"E{i:06d}" for i in range(n)], "line_number": [1] * n,
        "port_of_entry": ["2704" if i % 3 else "1001" for i in range(n)],
        "entry_date": [DAY] * n, "risk_score": rng.random(n).round(6).tolist(),
        "forced_lane": forced, "trusted_trader": [i % 11 == 0 for i in range(n)],
    }, schema_overrides={"forced_lane": pl.String})


def test_each_line_scored_alone_gets_its_batch_lane() -> None:
    cfg = _config(rate=0.02)
    frame = _batch(600, seed=3)
    batch = assign_lanes(frame, cfg).with_columns(risk_score=frame["risk_score"])
    cutoffs = lane_cutoffs(batch)
    assert set(cutoffs.red) == {"2704", "1001"}
    alone = pl.concat([assign_lanes_online(frame.slice(i, 1), cfg, cutoffs)
                       for i in range(frame.height)])
    same = ["lane", "selection", "selection_probability", "sample_draw"]
    # Scores are distinct here (no ties at a cut-off), so every lane agrees.
    assert alone.select(same).equals(batch.select(same))
    assert (alone["selection"] == "targeted").sum() > 0


def test_ports_the_batch_never_targeted_get_no_targeted_lane() -> None:
    cfg = _config(rate=0.0)
    cutoffs = lane_cutoffs(assign_lanes(_batch(300, seed=5), cfg))
    other = _batch(20, seed=6).with_columns(port_of_entry=pl.lit("9999"), risk_score=pl.lit(0.99),
                                            forced_lane=pl.lit(None, dtype=pl.String),
                                            trusted_trader=pl.lit(False))
    out = assign_lanes_online(other, cfg, cutoffs)
    assert out["lane"].unique().to_list() == ["green"]
    assert out["selection"].unique().to_list() == ["none"]


def test_small_and_large_batches_draw_the_same_sample() -> None:
    n = 600
    keys = pl.DataFrame({"entry_number": [f"E{i}" for i in range(n)], "line_number": [1] * n})
    whole = sample_draw(keys, 7, "v1")
    parts = pl.concat([sample_draw(keys.slice(i, 1), 7, "v1") for i in range(0, n, 97)])
    assert parts.to_list() == whole.gather(list(range(0, n, 97))).to_list()
