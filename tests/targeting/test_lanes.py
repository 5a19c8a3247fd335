"""Selectivity: forced first, the random sample at its rate, trusted traders, capacity fill."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from tradeguard.targeting import TargetingConfig, assign_lanes, load_targeting_config

DAY = date(2026, 7, 1)


def _config(**changes: object) -> TargetingConfig:
    data = load_targeting_config().model_dump()
    for path, value in changes.items():
        node = data
        *parents, leaf = path.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return TargetingConfig.model_validate(data)


def _frame(risk: list[float], forced: list[str | None] | None = None,
           trusted: list[bool] | None = None, port: str = "2704") -> pl.DataFrame:
    n = len(risk)
    return pl.DataFrame({
        "entry_number": [f"E{i:06d}" for i in range(n)], "line_number": [1] * n,
        "port_of_entry": [port] * n, "entry_date": [DAY] * n, "risk_score": risk,
        "forced_lane": forced or [None] * n, "trusted_trader": trusted or [False] * n,
    }, schema_overrides={"forced_lane": pl.String})


def test_capacity_is_filled_from_the_highest_remaining_risk() -> None:
    cfg = _config(random_sample__rate=0.0, capacity__rounding="round",
                  capacity__min_risk={"red": 0.0, "yellow": 0.0},
                  capacity__default={"red": 0.1, "yellow": 0.2})
    risk = list(np.linspace(0.0, 0.99, 20))[::-1]
    out = assign_lanes(_frame(risk), cfg)
    assert out["lane"].to_list() == ["red"] * 2 + ["yellow"] * 4 + ["green"] * 14
    assert out["selection"].to_list()[:6] == ["targeted"] * 6


def test_forced_lanes_come_first_and_count_toward_capacity() -> None:
    cfg = _config(random_sample__rate=0.0, capacity__rounding="round",
                  capacity__min_risk={"red": 0.0, "yellow": 0.0},
                  capacity__default={"red": 0.1, "yellow": 0.0})
    risk = [0.1, 0.9, 0.8] + [0.0] * 17
    forced: list[str | None] = ["red"] + [None] * 19
    out = assign_lanes(_frame(risk, forced), cfg)
    # quota 2 red: one forced (low risk), one targeted (highest remaining risk)
    assert out["lane"].to_list()[:3] == ["red", "red", "green"]
    assert out["selection"].to_list()[:2] == ["forced", "targeted"]
    assert out["selection_probability"].to_list()[:2] == [1.0, 1.0]


def test_lines_below_minimum_risk_are_not_selected_to_fill_capacity() -> None:
    cfg = _config(random_sample__rate=0.0, capacity__rounding="round",
                  capacity__min_risk={"red": 0.5, "yellow": 0.5},
                  capacity__default={"red": 0.5, "yellow": 0.5})
    out = assign_lanes(_frame([0.4, 0.3, 0.2, 0.1]), cfg)
    assert set(out["lane"]) == {"green"}


def test_trusted_traders_go_green_unless_forced() -> None:
    cfg = _config(random_sample__rate=0.0, capacity__rounding="round",
                  capacity__min_risk={"red": 0.0, "yellow": 0.0},
                  capacity__default={"red": 0.5, "yellow": 0.0})
    out = assign_lanes(_frame([0.9, 0.8, 0.1, 0.0], ["red", None, None, None],
                              [True, True, False, False]), cfg)
    assert out["lane"].to_list() == ["red", "green", "red", "green"]
    assert out["selection"].to_list() == ["forced", "trusted", "targeted", "none"]


def test_random_sample_matches_its_rate_and_is_reproducible() -> None:
    cfg = _config(random_sample__rate=0.02)
    n = 200_000
    frame = _frame([0.0] * n, trusted=[i % 3 == 0 for i in range(n)])
    out = assign_lanes(frame, cfg)
    share = (out["selection"] == "random").mean()
    assert isinstance(share, float) and abs(share - 0.02) < 0.01
    picked = out.filter(pl.col("selection") == "random")
    assert (picked["selection_probability"] == 0.02).all() and (picked["lane"] == "red").all()
    again = assign_lanes(frame.reverse(), cfg).reverse()
    assert again["selection"].equals(out["selection"])
    other = assign_lanes(frame, _config(random_sample__rate=0.02, random_sample__seed=99))
    assert not other["selection"].equals(out["selection"])


def test_stochastic_rounding_keeps_small_ports_at_the_rate_on_average() -> None:
    cfg = _config(random_sample__rate=0.0, capacity__min_risk={"red": 0.0, "yellow": 0.0},
                  capacity__default={"red": 0.05, "yellow": 0.0})
    frames = []
    for day in range(400):
        f = _frame([0.5] * 5, port=f"{day:04d}")
        frames.append(f.with_columns(pl.col("entry_number") + f"-{day}"))
    out = assign_lanes(pl.concat(frames), cfg)
    assert abs((out["lane"] == "red").mean() - 0.05) < 0.015  # type: ignore[operator]


def test_missing_columns_are_an_error() -> None:
    with pytest.raises(ValueError, match="risk_score"):
        assign_lanes(_frame([0.1]).drop("risk_score"), load_targeting_config())
