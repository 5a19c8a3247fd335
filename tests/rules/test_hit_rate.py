"""Hit rates from exam outcomes, checked against hand-computed Wilson intervals."""

from __future__ import annotations

import math

import polars as pl
import pytest

from tradeguard.rules import hit_rates, wilson_interval


def test_wilson_interval_hand_computed() -> None:
    # 2 of 4, z = 1.96: centre 0.5, half-width 1.96*sqrt(1/16 + 3.8415/64) / 1.9604 = 0.3500
    low, high = wilson_interval(2, 4)
    assert low == pytest.approx(0.1500, abs=1e-4)
    assert high == pytest.approx(0.8500, abs=1e-4)
    # 0 of 3: lower bound 0, upper bound z^2 / (n + z^2) = 3.8415 / 6.8415
    assert wilson_interval(0, 3) == pytest.approx((0.0, 0.5615), abs=1e-4)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_hit_rates_line_and_entry_outcomes() -> None:
    hits = pl.DataFrame(
        {
            "entry_number": ["E1", "E1", "E2", "E3", "E4", "E5", "E2"],
            "line_number": [1, 2, 1, 1, 1, 1, 1],
            "profile_id": ["A", "A", "A", "A", "A", "A", "B"],
        }
    )
    # CSV-style text columns, as an outcomes file arrives.
    outcomes = pl.DataFrame(
        {
            "entry_number": ["E1", "E1", "E2", "E3", "E4"],
            "line_number": ["1", None, "1", None, "1"],
            "examined": ["true", "true", "true", "true", "false"],
            "discrepancy": ["true", "false", "false", "true", "true"],
        }
    )
    table = hit_rates(hits, outcomes, ["A", "B", "C"]).sort("profile_id")
    a, b, c = table.to_dicts()
    # A: E1/1 found (line outcome beats entry outcome), E1/2 clean (entry outcome),
    # E2/1 clean, E3/1 found (entry outcome), E4/1 not examined, E5/1 no outcome.
    assert (a["lines_hit"], a["examined"], a["discrepancies"]) == (6, 4, 2)
    assert a["hit_rate"] == pytest.approx(0.5)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx(wilson_interval(2, 4))
    assert (b["lines_hit"], b["examined"], b["discrepancies"], b["hit_rate"]) == (1, 1, 0, 0.0)
    assert b["ci_low"] == 0.0
    assert (c["lines_hit"], c["examined"], c["hit_rate"], c["ci_low"]) == (0, 0, None, None)


def test_bad_outcome_value_names_row_and_field() -> None:
    hits = pl.DataFrame({"entry_number": ["E1"], "line_number": [1], "profile_id": ["A"]})
    outcomes = pl.DataFrame(
        {"entry_number": ["E1", "E1"], "examined": ["true", "maybe"], "discrepancy": ["1", "0"]}
    )
    with pytest.raises(ValueError, match=r"outcomes: row 2, field 'examined': 'maybe'"):
        hit_rates(hits, outcomes, ["A"])
