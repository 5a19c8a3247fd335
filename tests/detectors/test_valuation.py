"""Peer-price valuation: flags, peer statistics, shrinkage and the HTS fallback."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.peers import build_peer_baseline, load_baseline, save_baseline
from tradeguard.detectors.valuation import ValuationDetector

AS_OF = date(2025, 6, 1)
CTX = DetectionContext(ref=None, as_of=AS_OF)  # type: ignore[arg-type]


def _history(groups: dict[str, list[float]], origin: str = "CN") -> pl.DataFrame:
    codes = [c for c, vals in groups.items() for _ in vals]
    values = [v for vals in groups.values() for v in vals]
    return pl.DataFrame({
        "entry_number": "H", "line_number": 1, "hts_code": codes,
        "country_of_origin": origin, "quantity_unit": "DOZ", "quantity": 100.0,
        "entered_value_usd": values, "gross_weight_kg": 50.0, "entry_date": date(2025, 1, 1),
    })


def _line(code: str, value: float, entry: str = "E1") -> pl.DataFrame:
    return pl.DataFrame({
        "entry_number": [entry], "line_number": [1], "hts_code": [code],
        "country_of_origin": ["CN"], "quantity_unit": ["DOZ"], "quantity": [100.0],
        "entered_value_usd": [value], "gross_weight_kg": [50.0], "duty_rate": [0.165],
    })


def _spread(center: float, n: int) -> list[float]:
    return list(center * np.exp(np.linspace(-0.2, 0.2, n)))


def test_undervalued_line_is_flagged_with_peer_median_ratio_and_count() -> None:
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 41)}), CTX)
    found = detector.detect(_line("6109100012", 1000.0), CTX)
    assert found.height == 1
    row = found.row(0, named=True)
    ev = json.loads(row["evidence"])
    assert row["category"] == "valuation" and row["reason_code"] == "VAL_UNDER_UNIT_VALUE"
    assert ev["peer_count"] == 41 and ev["peer_level"] == "hts10"
    assert abs(ev["peer_median_unit_value_usd"] - 50.0) < 0.01
    assert abs(ev["ratio"] - 0.2) < 0.001
    assert ev["percentile"] < 1.0
    # gap of $4,000 at 16.5 %
    assert abs(ev["duty_at_risk_usd"] - 660.0) < 1.0
    assert "50.0" in row["text"] and "41 peer lines" in row["text"]


def test_line_within_the_peer_range_is_not_flagged() -> None:
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 41)}), CTX)
    assert detector.detect(_line("6109100012", 4300.0), CTX).is_empty()


def test_gross_overvaluation_is_reported() -> None:
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 41)}), CTX)
    found = detector.detect(_line("6109100012", 60000.0), CTX)
    assert found["reason_code"].to_list() == ["VAL_OVER_UNIT_VALUE"]


def test_sparse_group_median_is_shrunk_towards_its_parent() -> None:
    history = _history({
        "6109100012": _spread(5000.0, 60), "6109100027": _spread(4000.0, 60),
        "6109100014": [9000.0, 9500.0, 9200.0],
    })
    base = build_peer_baseline(history, AS_OF)
    sparse = base.filter((pl.col("level") == "hts10") & (pl.col("code") == "6109100014")).row(
        0, named=True)
    dense = base.filter((pl.col("level") == "hts10") & (pl.col("code") == "6109100012")).row(
        0, named=True)
    parent = base.filter(pl.col("level") == "hs6").row(0, named=True)
    assert sparse["luv_weight"] < dense["luv_weight"]
    assert parent["luv_post_med"] < sparse["luv_post_med"] < sparse["luv_med"]
    assert abs(dense["luv_post_med"] - dense["luv_med"]) < 0.01


def test_fallback_from_hts10_to_hs6_to_hs4() -> None:
    history = _history({"6109100012": _spread(5000.0, 30), "6109900000": _spread(5000.0, 30)})
    detector = ValuationDetector()
    detector.fit(history, CTX)
    lines = pl.concat([
        _line("6109100012", 1000.0, "A"),  # own HTS-10 peers
        _line("6109100099", 1000.0, "B"),  # no HTS-10 peers -> HS-6 610910
        _line("6109500000", 1000.0, "C"),  # no HS-6 peers -> HS-4 6109
        _line("6110100000", 1000.0, "D"),  # nothing in the heading -> no finding
    ])
    found = detector.detect(lines, CTX)
    levels = {r["entry_number"]: json.loads(r["evidence"])["peer_level"]
              for r in found.iter_rows(named=True)}
    assert levels == {"A": "hts10", "B": "hs6", "C": "hs4"}


def test_other_origin_is_not_a_peer() -> None:
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 41)}, origin="IT"), CTX)
    assert detector.detect(_line("6109100012", 1000.0), CTX).is_empty()


def test_baseline_outside_the_window_is_ignored_and_round_trips_parquet(tmp_path: Path) -> None:
    history = _history({"6109100012": _spread(5000.0, 41)}).with_columns(
        pl.lit(date(2020, 1, 1)).alias("entry_date"))
    assert build_peer_baseline(history, AS_OF).is_empty()
    base = build_peer_baseline(_history({"6109100012": _spread(5000.0, 41)}), AS_OF)
    save_baseline(base, tmp_path / "peers.parquet")
    again = load_baseline(tmp_path / "peers.parquet")
    assert again.equals(base)
    found = ValuationDetector(baseline=again).detect(_line("6109100012", 1000.0), CTX)
    assert found.height == 1


def test_weight_far_below_peers_with_an_ordinary_price_is_a_weight_error() -> None:
    # the peers' unit value, but a thousandth of their kilograms per dozen: the value per kg
    # is extreme only because the weight is wrong, so it is not reported as overvaluation
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 41)}), CTX)
    line = _line("6109100012", 5000.0).with_columns(pl.lit(0.05).alias("gross_weight_kg"))
    found = detector.detect(line, CTX)
    assert found["reason_code"].to_list() == ["DQ_WEIGHT_FAR_BELOW_PEERS"]
    assert found["category"].to_list() == ["data_quality"]
    assert found["severity"].to_list() == ["medium"]
    ev = json.loads(found["evidence"][0])
    assert abs(ev["ratio_kg_per_unit"] - 0.001) < 1e-4 and abs(ev["ratio"] - 1.0) < 0.05
    assert "looks misdeclared" in found["text"][0]
    # a tenth of the weight AND five times the price is an inflated invoice, still reported
    pricey = _line("6109100012", 25000.0).with_columns(pl.lit(0.05).alias("gross_weight_kg"))
    assert detector.detect(pricey, CTX)["reason_code"].to_list() == ["VAL_OVER_UNIT_VALUE"]
    # half the peers' weight per dozen is within what articles of a kind weigh
    lighter = _line("6109100012", 5000.0).with_columns(pl.lit(25.0).alias("gross_weight_kg"))
    assert detector.detect(lighter, CTX)["reason_code"].to_list() != [
        "DQ_WEIGHT_FAR_BELOW_PEERS"]


def test_weight_far_above_peers_per_unit_is_a_quantity_weight_mismatch() -> None:
    # same unit value as peers, but 10x the kilograms per dozen: quantity understated
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 41)}), CTX)
    line = _line("6109100012", 500.0).with_columns(
        pl.lit(10.0).alias("quantity"), pl.lit(50.0).alias("gross_weight_kg"))
    found = detector.detect(line, CTX)
    assert found["reason_code"].to_list() == ["VAL_QUANTITY_WEIGHT_MISMATCH"]
    ev = json.loads(found["evidence"][0])
    assert abs(ev["ratio_kg_per_unit"] - 10.0) < 0.01
    # true quantity 100 at the declared $50/dozen: $4,500 undeclared at 16.5 %
    assert abs(ev["duty_at_risk_usd"] - 742.5) < 1.0


def test_low_value_per_kilogram_with_a_plausible_weight_is_undervaluation_per_kg() -> None:
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 41)}), CTX)
    # unit value 0.7x peers (above the lowest peer price), kg/unit 1.45x peers: value per kg
    # 0.48x
    line = _line("6109100012", 3500.0).with_columns(pl.lit(72.5).alias("gross_weight_kg"))
    found = detector.detect(line, CTX)
    assert found["reason_code"].to_list() == ["VAL_UNDER_VALUE_PER_KG"]


def _wide(center: float, n: int) -> list[float]:
    return list(center * np.exp(np.linspace(-0.35, 0.35, n)))


def test_related_party_lowers_the_bar_but_never_flags_alone() -> None:
    detector = ValuationDetector()
    # one past line as low as 0.4x: the market floor is no help here, only the z and ratio
    detector.fit(_history({"6109100012": [*_wide(5000.0, 40), 2000.0]}), CTX)
    half = _line("6109100012", 2400.0)  # 0.48x peers, robust z about -2.8
    assert detector.detect(half, CTX).is_empty()
    related = detector.detect(half.with_columns(pl.lit(True).alias("related_party")), CTX)
    assert related["reason_code"].to_list() == ["VAL_UNDER_UNIT_VALUE"]
    assert json.loads(related["evidence"][0])["related_party"] is True
    normal = _line("6109100012", 5000.0).with_columns(pl.lit(True).alias("related_party"))
    assert detector.detect(normal, CTX).is_empty()


def test_importer_own_history_counts_by_its_precision_and_is_shown() -> None:
    # peers spread widely; this importer always paid about $90/dozen
    peers = _history({"6109100012": _wide(5000.0, 60)}).with_columns(
        pl.lit("OTHER").alias("importer_id"))
    own = _history({"6109100012": list(9000.0 * np.exp(np.linspace(-0.05, 0.05, 12)))})\
        .with_columns(pl.lit("IMP-1").alias("importer_id"))
    detector = ValuationDetector()
    detector.fit(pl.concat([peers, own]), CTX)
    line = _line("6109100012", 2700.0).with_columns(pl.lit("IMP-1").alias("importer_id"))
    found = detector.detect(line, CTX)
    assert found["reason_code"].to_list() == ["VAL_UNDER_UNIT_VALUE"]
    ev = json.loads(found["evidence"][0])
    assert ev["importer_history_lines"] == 12
    assert abs(ev["ratio_to_importer_history"] - 0.3) < 0.01
    assert ev["signals"]["z_importer"] < ev["signals"]["z_uv"] < 0
    # a tight 12-line history is more precise than the wide peers: more than the base 0.5
    assert ev["unit_value_signal_weights"]["z_importer"] > 0.5
    # the same price from an importer without history is judged on peers alone: inside range
    stranger = line.with_columns(pl.lit("IMP-2").alias("importer_id"))
    assert detector.detect(stranger, CTX).is_empty()


def _party_history(values: list[float], importer: str, manufacturer: str) -> pl.DataFrame:
    return _history({"6109100012": values}).with_columns(
        pl.lit(importer).alias("importer_id"), pl.lit(manufacturer).alias("manufacturer_id"))


def _party_line(value: float, importer: str, manufacturer: str) -> pl.DataFrame:
    return _line("6109100012", value).with_columns(
        pl.lit(importer).alias("importer_id"), pl.lit(manufacturer).alias("manufacturer_id"))


def test_erratic_own_history_weighs_less_than_a_stable_one() -> None:
    peers = _party_history(_wide(5000.0, 60), "OTHER", "M-0")
    stable = _party_history(list(5000.0 * np.exp(np.linspace(-0.03, 0.03, 20))), "IMP-1", "M-1")
    erratic = _party_history(list(5000.0 * np.exp(np.linspace(-0.6, 0.6, 20))), "IMP-2", "M-2")
    detector = ValuationDetector()
    detector.fit(pl.concat([peers, stable, erratic]), CTX)
    lines = pl.concat([_party_line(4000.0, "IMP-1", "M-1"), _party_line(4000.0, "IMP-2", "M-2")])
    scored = detector.score(lines, detector.config, CTX)
    w_stable, w_erratic = scored["w_z_supplier"].to_list()
    assert w_stable > 0.5 > w_erratic
    assert w_stable <= 0.5 * detector.config.max_precision_gain


def test_related_party_gap_is_material_at_a_smaller_cut() -> None:
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 41)}), CTX)
    line = _line("6109100012", 3250.0)  # 0.65x tight peers: extreme, under the 0.5 cut
    assert detector.detect(line, CTX).is_empty()
    related = detector.detect(line.with_columns(pl.lit(True).alias("related_party")), CTX)
    assert related["reason_code"].to_list() == ["VAL_UNDER_UNIT_VALUE"]


def test_price_well_below_the_lowest_in_a_long_pair_history_is_flagged() -> None:
    peers = _party_history(_wide(5000.0, 60), "OTHER", "M-0")
    # two articles under one tariff number: median and spread are loose, the floor is not
    pair = _party_history([6000.0, 12000.0] * 6, "IMP-1", "M-1")
    detector = ValuationDetector()
    detector.fit(pl.concat([peers, pair]), CTX)
    found = detector.detect(_party_line(4500.0, "IMP-1", "M-1"), CTX)
    assert found["reason_code"].to_list() == ["VAL_UNDER_UNIT_VALUE"]
    ev = json.loads(found["evidence"][0])
    assert ev["below_own_floor"] is True and ev["supplier_history_lines"] == 12
    assert abs(ev["ratio_to_supplier_lowest_price"] - 0.75) < 0.01
    assert "lowest price" in found["text"][0]
    # just under the floor is normal wear; a short history is no floor; other sellers differ
    assert detector.detect(_party_line(5500.0, "IMP-1", "M-1"), CTX).is_empty()
    short = _party_history([6000.0, 12000.0] * 3, "IMP-3", "M-3")
    detector.fit(pl.concat([peers, short]), CTX)
    assert detector.detect(_party_line(4500.0, "IMP-3", "M-3"), CTX).is_empty()
    assert detector.detect(_party_line(4500.0, "IMP-1", "M-9"), CTX).is_empty()


def test_price_well_below_the_lowest_peer_price_is_flagged_once_peers_are_many() -> None:
    # tight peers (+-20 %): 0.55x the median is 0.67x the lowest of 41 past prices
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 41)}), CTX)
    found = detector.detect(_line("6109100012", 2750.0), CTX)
    assert found["reason_code"].to_list() == ["VAL_UNDER_UNIT_VALUE"]
    ev = json.loads(found["evidence"][0])
    assert ev["below_market_floor"] is True
    assert abs(ev["ratio_to_peer_lowest_price"] - 2750.0 / (5000.0 * np.exp(-0.2))) < 0.001
    assert "lowest price among the peer lines" in found["text"][0]


def test_below_the_lowest_of_few_peers_needs_an_extreme_score_and_no_own_price_above() -> None:
    # 15 tight peers (+-20 %): 0.55x the median is 0.67x the lowest of them and far out on
    # their spread; with no price of its own, the line is flagged
    peers = _party_history(_spread(5000.0, 15), "OTHER", "M-0")
    # IMP-1 has always paid about this price (its past lines came from Vietnam, so they are
    # not among the Chinese peers): a cheap contract of its own, not a cut
    own = _party_history([2700.0, 2750.0, 2800.0, 2750.0], "IMP-1", "M-1").with_columns(
        pl.lit("VN").alias("country_of_origin"))
    detector = ValuationDetector()
    detector.fit(pl.concat([peers, own]), CTX)
    lines = pl.concat([_party_line(2750.0, "IMP-2", "M-2"), _party_line(2750.0, "IMP-1", "M-1")])
    scored = detector.score(lines, detector.config, CTX)
    assert scored["peer_n"].to_list() == [15, 15]
    assert scored["ratio_uv"][0] > detector.config.under_ratio  # the ratio cut alone: no
    assert scored["ratio_to_market_floor"][0] < 0.75
    assert scored["below_market_floor"].to_list() == [True, False]
    assert scored["_under"].to_list() == [True, False]
    # the same price against wide peers is not extreme on their spread
    wide = _party_history(_wide(5000.0, 15), "OTHER", "M-0")
    detector.fit(wide, CTX)
    assert detector.detect(_party_line(3250.0, "IMP-2", "M-2"), CTX).is_empty()


def test_price_far_above_the_importers_highest_is_overvaluation() -> None:
    # wide peers hide a doubling; this importer never paid more than about $55 a dozen
    peers = _party_history(_wide(5000.0, 60), "OTHER", "M-0")
    own = _party_history(list(5000.0 * np.exp(np.linspace(-0.1, 0.1, 10))), "IMP-1", "M-1")
    detector = ValuationDetector()
    detector.fit(pl.concat([peers, own]), CTX)
    found = detector.detect(_party_line(12000.0, "IMP-1", "M-1"), CTX)
    assert found["reason_code"].to_list() == ["VAL_OVER_UNIT_VALUE"]
    ev = json.loads(found["evidence"][0])
    assert ev["above_own_ceiling"] is True and ev["ratio"] < 3.0
    assert abs(ev["ratio_to_importer_highest_price"] - 12000.0 / (5000.0 * np.exp(0.1))) < 0.01
    assert "highest price in the importer's own 10 past lines" in found["text"][0]
    # 1.8x the highest is inside the ceiling, and another buyer's price is its own affair
    assert detector.detect(_party_line(9900.0, "IMP-1", "M-1"), CTX).is_empty()
    assert detector.detect(_party_line(12000.0, "IMP-2", "M-1"), CTX).is_empty()


def test_kilograms_per_unit_are_compared_across_origins_when_the_origin_is_sparse() -> None:
    # 41 Chinese lines at 0.5 kg/dozen; 3 Cambodian lines: too few for their own origin
    history = pl.concat([_history({"6109100012": _spread(5000.0, 41)}),
                         _history({"6109100012": [5000.0] * 3}, origin="KH")])
    detector = ValuationDetector()
    detector.fit(history, CTX)
    line = _line("6109100012", 5000.0).with_columns(
        pl.lit("KH").alias("country_of_origin"), pl.lit(40.0).alias("quantity"),
        pl.lit(50.0).alias("gross_weight_kg"), pl.lit(2000.0).alias("entered_value_usd"))
    found = detector.detect(line, CTX)
    assert found["reason_code"].to_list() == ["VAL_QUANTITY_WEIGHT_MISMATCH"]
    ev = json.loads(found["evidence"][0])
    assert ev["peer_level_kg_per_unit"] == "hts10_any" and ev["peer_level"] is None
    assert abs(ev["ratio_kg_per_unit"] - 2.5) < 0.01


def test_importer_lines_in_the_window_are_counted_for_context() -> None:
    peers = _party_history(_spread(5000.0, 41), "IMP-1", "M-1")
    detector = ValuationDetector()
    detector.fit(peers, CTX)
    lines = pl.concat([_party_line(1000.0, "IMP-1", "M-1"), _party_line(1000.0, "IMP-9", "M-1")])
    scored = detector.score(lines, detector.config, CTX)
    assert scored["importer_lines_in_window"].to_list() == [41, 0]
    assert scored["new_importer"].to_list() == [False, True]


def test_far_above_the_highest_of_many_peers_is_overvaluation_below_the_median_cut() -> None:
    # 2.5x the median of tight peers is twice the highest of them: no buyer paid near that
    detector = ValuationDetector()
    detector.fit(_history({"6109100012": _spread(5000.0, 25)}), CTX)
    found = detector.detect(_line("6109100012", 12500.0), CTX)
    assert found["reason_code"].to_list() == ["VAL_OVER_UNIT_VALUE"]
    ev = json.loads(found["evidence"][0])
    assert ev["ratio"] < 3.0 and ev["above_market_ceiling"] is True
    assert abs(ev["ratio_to_peer_highest_price"] - 12500.0 / (5000.0 * np.exp(0.2))) < 0.001
    assert "highest price among the peer lines" in found["text"][0]
    # 1.8x the highest is not, nor is twice the highest of only 19 peers
    assert detector.detect(_line("6109100012", 11000.0), CTX).is_empty()
    detector.fit(_history({"6109100012": _spread(5000.0, 19)}), CTX)
    assert detector.detect(_line("6109100012", 12500.0), CTX).is_empty()


def test_a_price_the_buyer_has_paid_again_and_again_is_not_overvaluation() -> None:
    # IMP-1 buys a premium article at about 3.5x the market median, ten times over (from
    # Vietnam, so not among the Chinese peers); IMP-2 never has
    peers = _party_history(_spread(5000.0, 41), "OTHER", "M-0")
    own = _party_history(list(17500.0 * np.exp(np.linspace(-0.05, 0.05, 10))), "IMP-1", "M-1")
    detector = ValuationDetector()
    detector.fit(pl.concat([peers, own.with_columns(pl.lit("VN").alias("country_of_origin"))]),
                 CTX)
    lines = pl.concat([_party_line(17500.0, "IMP-1", "M-1"), _party_line(17500.0, "IMP-2", "M-2")])
    scored = detector.score(lines, detector.config, CTX)
    assert (scored["ratio_uv"] > 3.0).all() and (scored["over_score"] > 3.0).all()
    assert scored["_over"].to_list() == [False, True]
    # above the buyer's own highest price, the market view stands
    assert detector.detect(_party_line(19000.0, "IMP-1", "M-1"), CTX).height == 1


def test_each_lines_peers_are_those_of_its_own_tariff_number_unit_and_origin() -> None:
    detector = ValuationDetector()
    detector.fit(pl.concat([
        _history({"6109100012": _spread(5000.0, 41), "6109100020": _spread(900.0, 12)}),
        _history({"6109100012": _spread(2000.0, 30)}, origin="VN")]), CTX)
    lines = pl.concat([
        _line("6109100012", 1000.0), _line("6109100020", 850.0, "E2"),
        _line("6109100012", 1900.0, "E3").with_columns(country_of_origin=pl.lit("VN")),
        _line("6109100012", 4800.0, "E4").with_columns(country_of_origin=pl.lit(None)),
        _line("6109100099", 10.0, "E5"), _line("6109100012", 1000.0, "E6")])
    cfg = detector.config
    together = detector._evidence(lines, cfg, CTX)
    alone = pl.concat([detector._evidence(lines.slice(i, 1), cfg, CTX)
                       for i in range(lines.height)], how="vertical_relaxed")
    assert together.equals(alone.select(together.columns).cast(together.schema))
    assert together["peer_level"].to_list() == ["hts10", "hts10", "hts10", None, "hs6", "hts10"]
