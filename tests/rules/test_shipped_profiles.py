"""The example profiles shipped with the package load cleanly and are fully recorded."""

from __future__ import annotations

from datetime import date

import polars as pl

from tradeguard.rules import evaluate, load_profile_set, shipped_profiles_dir


def test_shipped_profiles_load_with_complete_change_log() -> None:
    pset = load_profile_set(shipped_profiles_dir())
    assert len(pset.profiles) >= 5
    assert pset.change_issues == ()
    for profile in pset.profiles:
        assert profile.owner and profile.rationale and profile.review_date is not None


def test_shipped_textile_profile_targets_low_value_apparel() -> None:
    pset = load_profile_set(shipped_profiles_dir())
    frame = pl.DataFrame(
        {
            "entry_number": ["E1", "E1", "E1"],
            "line_number": [1, 2, 3],
            "hts_code": ["6109100012", "6109100012", "6109100012"],
            "country_of_origin": ["CN", "CN", "IT"],
            "quantity": [100.0, 100.0, 100.0],
            "quantity_unit": ["DOZ", "DOZ", "DOZ"],
            "entered_value_usd": [500.0, 5000.0, 500.0],
        }
    )
    result = evaluate(pset, frame, on=date(2026, 1, 15))
    tex = result.findings.filter(pl.col("reason_code") == "TEX-001")
    assert tex["line_number"].to_list() == [1]  # 5.00 a dozen from a listed origin
    lanes = result.treatments.filter(pl.col("line_number") == 1)["lane"].to_list()
    assert lanes == ["yellow"]
