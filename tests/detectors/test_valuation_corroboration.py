"""Entry and account corroboration of undervaluation: one scheme rarely covers one line."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.valuation import ValuationDetector
from tradeguard.detectors.valuation_corroboration import (
    AccountBaseRates,
    corroborate,
    line_p_values,
)
from tradeguard.detectors.valuation_evidence import ValuationConfig

CFG = ValuationConfig()
CTX = DetectionContext(ref=None, as_of=date(2025, 6, 1))  # type: ignore[arg-type]


def _scored(rows: Sequence[Mapping[str, object]]) -> pl.DataFrame:
    """A scored batch as :func:`evidence_scores` leaves it, with only what corroboration reads."""
    base: dict[str, object] = {
        "entry_number": "E0", "importer_id": "IMP-0", "manufacturer_id": "M-0",
        "hts10": "6109100012", "related": False, "under_score": 0.0, "ratio_uv": 1.0,
        "ratio_importer": None, "ratio_supplier": None, "ratio_manufacturer": None,
        "_under": False, "_over": False, "_quantity": False, "_under_uv": False,
        "entered_value_usd": 1000.0, "ad_valorem_rate": 0.1, "value_gap_usd": None,
        "duty_at_risk_usd": None}
    return pl.DataFrame([{**base, **r} for r in rows], schema_overrides={
        "ratio_importer": pl.Float64, "ratio_supplier": pl.Float64,
        "ratio_manufacturer": pl.Float64, "value_gap_usd": pl.Float64,
        "duty_at_risk_usd": pl.Float64})


def _normal_market(n: int, related: bool = False) -> list[dict[str, object]]:
    """n other importers, one ordinary contract each."""
    return [{"entry_number": f"N{i}", "importer_id": f"IMP-N{i}", "manufacturer_id": f"M-{i}",
             "hts10": f"61091000{i % 90:02d}", "related": related} for i in range(n)]


def _flagged(importer: str, k: int, entry: str = "X") -> list[dict[str, object]]:
    return [{"entry_number": f"{entry}{i}", "importer_id": importer, "hts10": f"64029916{i:02d}",
             "manufacturer_id": f"M-X{i}", "_under": True, "_under_uv": True,
             "under_score": 8.0, "ratio_uv": 0.2} for i in range(k)]


def _moderate(importer: str, entry: str = "Y", **kw: object) -> dict[str, object]:
    # 0.7x the peers at a z of about 1.5: not enough alone
    return {"entry_number": entry, "importer_id": importer, "hts10": "6110200020",
            "manufacturer_id": "M-Y", "under_score": 1.5, "ratio_uv": 0.7, **kw}


def test_importer_with_improbably_many_low_contracts_has_its_moderate_line_reported() -> None:
    batch = _scored([*_normal_market(60), *_flagged("IMP-X", 6), _moderate("IMP-X"),
                     _moderate("IMP-Y")])
    out = corroborate(batch, CFG).filter(pl.col("hts10") == "6110200020")
    x, y = out.row(0, named=True), out.row(1, named=True)
    assert x["importer_id"] == "IMP-X" and x["_account_corroborated"] and x["_under"]
    assert x["account_low_contracts"] == 6 and x["account_contracts"] == 7
    assert x["account_p_value"] < CFG.account_alpha
    # the gap is taken against the reference that let the line in: 1000 / 0.7 - 1000
    assert abs(x["value_gap_usd"] - 1000.0 / 0.7 + 1000.0) < 0.01
    assert abs(x["duty_at_risk_usd"] - 0.1 * (1000.0 / 0.7 - 1000.0)) < 0.01
    # the same price from an importer with no such pattern stays unreported
    assert not y["_under"] and not y["_account_corroborated"]


def test_a_few_low_contracts_are_within_the_base_rate() -> None:
    # 2 of 7 contracts low is ordinary when 1 in 10 contracts in the batch is low
    market = _normal_market(60)
    for row in market[:6]:
        row.update(_under=True, under_score=5.0, ratio_uv=0.3)
    batch = _scored([*market, *_flagged("IMP-X", 2),
                     *[{"entry_number": f"Z{i}", "importer_id": "IMP-X",
                        "hts10": f"62034245{i:02d}"} for i in range(4)],
                     _moderate("IMP-X")])
    out = corroborate(batch, CFG).filter(pl.col("hts10") == "6110200020")
    assert out["account_p_value"][0] > CFG.account_alpha
    assert out["_under"].to_list() == [False]


def test_with_base_rates_from_history_an_account_does_not_depend_on_its_batch_mates() -> None:
    """The batch engines cut batches of any size: an importer's findings must not change
    with the other importers scored beside it."""
    account = [*_flagged("IMP-X", 3), _moderate("IMP-X"),
               *[{"entry_number": f"Z{i}", "importer_id": "IMP-X", "hts10": f"62034245{i:02d}"}
                 for i in range(3)]]
    cheap_market = _normal_market(60)
    for row in cheap_market[:20]:
        row.update(_under=True, under_score=5.0, ratio_uv=0.3)
    batches = [_scored(account), _scored([*_normal_market(60), *account]),
               _scored([*cheap_market, *account])]
    rates = AccountBaseRates(overall=0.06, related=None)
    fixed = [corroborate(b, CFG, rates).filter(pl.col("importer_id") == "IMP-X")
             .select("hts10", "account_p_value", "_under").sort("hts10") for b in batches]
    assert fixed[0].equals(fixed[1]) and fixed[0].equals(fixed[2])
    # Without them p0 is the batch's own share, and a cheap market hides the same account.
    own = [corroborate(b, CFG).filter(pl.col("importer_id") == "IMP-X")["account_p_value"][0]
           for b in batches[1:]]
    assert own[0] != own[1]


def test_related_party_purchases_priced_low_as_a_rule_are_reported() -> None:
    # the importer's unrelated trade is ordinary; its related-party contracts are all low
    related = [{"entry_number": f"R{i}", "importer_id": "IMP-R", "manufacturer_id": "M-AFF",
                "hts10": f"94036080{i:02d}", "related": True, "under_score": 2.5,
                "ratio_uv": 0.6} for i in range(6)]
    unrelated = [{"entry_number": f"U{i}", "importer_id": "IMP-R", "manufacturer_id": f"M-U{i}",
                  "hts10": f"42022215{i:02d}"} for i in range(30)]
    batch = _scored([*_normal_market(60), *_normal_market(60, related=True), *related,
                     *unrelated])
    out = corroborate(batch, CFG).filter(pl.col("importer_id") == "IMP-R")
    assert out["account_p_value"][0] > CFG.account_alpha
    assert out["related_account_p_value"][0] < CFG.account_alpha
    assert out.filter(pl.col("related"))["_account_corroborated"].all()
    assert not out.filter(~pl.col("related"))["_under"].any()


def test_entry_with_two_flagged_lines_brings_in_a_line_low_against_every_reference() -> None:
    rows = [*_normal_market(60),
            *_flagged("IMP-E", 2, entry="E1"),
            _moderate("IMP-E", entry="E1X", under_score=2.5, ratio_uv=0.65),
            _moderate("IMP-E", entry="E1X", under_score=2.5, ratio_uv=0.65,
                      ratio_manufacturer=0.9)]
    for row in rows[60:62]:
        row["entry_number"] = "E1X"
    out = corroborate(_scored(rows), CFG).filter(pl.col("hts10") == "6110200020")
    # low against the peers and (no other reference) -> reported; the second line's own
    # manufacturer usually sells at about this price -> not
    assert out["_entry_corroborated"].to_list() == [True, False]
    assert out["entry_flagged_lines"].to_list() == [2, 2]
    # one flagged line on the entry is not enough
    single = [r for r in rows if r.get("hts10") != "6402991601"]
    out = corroborate(_scored(single), CFG).filter(pl.col("hts10") == "6110200020")
    assert not out["_entry_corroborated"].any()


def _history(rows: list[tuple[str, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame({
        "entry_number": [f"H{i}" for i in range(len(rows))], "line_number": 1,
        "importer_id": [r[0] for r in rows], "manufacturer_id": [r[1] for r in rows],
        "hts_code": [r[2] for r in rows], "entered_value_usd": [r[3] for r in rows],
        "country_of_origin": "CN", "quantity_unit": "DOZ", "quantity": 100.0,
        "gross_weight_kg": 50.0, "entry_date": date(2025, 1, 1)})


def test_detector_reports_an_account_pattern_with_its_reason_and_counts() -> None:
    codes = [f"61091000{i:02d}" for i in range(12)]
    spread = 5000.0 * np.exp(np.linspace(-0.35, 0.35, 41))
    history = _history([(f"IMP-H{j}", f"M-{j}", c, float(v))
                        for c in codes for j, v in enumerate(spread)])
    detector = ValuationDetector()
    detector.fit(history, CTX)
    lines = [("IMP-X", f"M-X{i}", codes[i], 1000.0) for i in range(6)]  # 0.2x: flagged
    lines.append(("IMP-X", "M-X9", codes[6], 3500.0))  # 0.7x: alone, not enough
    lines += [(f"IMP-N{i}", f"M-{i}", codes[i % 12], 5000.0) for i in range(60)]
    batch = _history(lines).drop("entry_date").with_columns(
        pl.Series("entry_number", [f"B{i}" for i in range(len(lines))]),
        pl.lit(0.1).alias("duty_rate"))
    found = detector.detect(batch, CTX)
    assert found.height == 7
    row = found.filter(pl.col("entry_number") == "B6").row(0, named=True)
    assert row["reason_code"] == "VAL_UNDER_ACCOUNT_PATTERN"
    ev = json.loads(row["evidence"])
    assert ev["account_corroborated"] is True and ev["account_low_contracts"] == 6
    assert "6 of 7 contracts in the lines scored priced low" in row["text"]
    # without the pattern the 0.7x line is left alone
    alone = detector.detect(batch.filter(pl.col("entry_number").is_in(["B6", "B7"])), CTX)
    assert alone.is_empty()


def test_line_p_values_are_the_share_of_past_scores_at_least_as_high() -> None:
    reference = np.sort(np.array([0.0, 0.5, 1.0, 2.0, 3.0]))
    p = line_p_values(np.array([3.5, 2.0, -1.0, np.nan]), reference)
    assert np.allclose(p, [1 / 6, 3 / 6, 6 / 6, 1.0])


def _weak(importer: str, **kw: object) -> dict[str, object]:
    # below the account review's own line score, at 0.6x the importer's usual price
    return {"entry_number": "W", "importer_id": importer, "hts10": "6110200020",
            "manufacturer_id": "M-W", "under_score": 0.8, "ratio_uv": 0.9,
            "ratio_importer": 0.6, **kw}


def test_a_weak_line_of_an_importer_whose_other_contracts_are_low_is_combined_evidence() -> None:
    rates = AccountBaseRates(overall=0.06, related=None,
                             scores=np.sort(np.linspace(-3.0, 3.0, 1000)))
    batch = _scored([*_normal_market(60), *_flagged("IMP-X", 6), _weak("IMP-X"),
                     _weak("IMP-Y"), _weak("IMP-X", hts10="6110200021", ratio_importer=0.9)])
    out = corroborate(batch, CFG, rates).filter(pl.col("hts10").str.starts_with("611020002"))
    x, y, immaterial = (out.row(i, named=True) for i in range(3))
    assert x["under_score"] < CFG.account_z  # the account review alone would not take it
    assert abs(x["line_p_value"] - 0.37) < 0.01
    assert x["account_others_p_value"] < 1e-6 and x["combined_p_value"] < CFG.account_alpha
    assert x["_account_corroborated"] and x["_under"]
    # no other contract says anything; the same line from IMP-Y stays unreported
    assert y["account_others_p_value"] == 1.0 and not y["_under"]
    # 0.9x of every reference is not material, however strong the account
    assert not immaterial["_under"]


def test_the_lines_own_contract_does_not_count_as_its_corroboration() -> None:
    """Left out of its own account test, a line cannot corroborate itself: the importer's
    only low contract is the one the line belongs to."""
    rates = AccountBaseRates(overall=0.06, related=None,
                             scores=np.sort(np.linspace(-3.0, 3.0, 1000)))
    own_contract = [{**_weak("IMP-Z"), "entry_number": f"W{i}", "_under": True,
                     "under_score": 8.0, "ratio_uv": 0.2} for i in range(3)]
    batch = _scored([*_normal_market(60), *own_contract, _weak("IMP-Z")])
    out = corroborate(batch, CFG, rates).filter(pl.col("entry_number") == "W")
    assert out["account_others_p_value"].to_list() == [1.0]
    assert out["_under"].to_list() == [False]
