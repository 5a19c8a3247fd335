"""Documented routes, importers new to the merchandise and the start-up volume test, and the
reporting rule that lets them stand in for a tie when declarations name no subject-country party.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.detector import AdcvdDetector
from tradeguard.detectors.adcvd.routes import documented_routes

ALU = {"hts_code": "7604210000", "quantity": 100.0, "entered_value_usd": 500.0}
OLD_VN = {"manufacturer_id": "VNALUOLD1HAN", "manufacturer_name": "Old Aluminium JSC",
          "importer_id": "IMP-A"}
CN_PLANT = {"manufacturer_id": "CNALUCN1NIN", "manufacturer_name": "Ningbo Alu Co., Ltd.",
            "manufacturer_country": "CN", "seller_country": "CN", "country_of_origin": "CN",
            "importer_id": "IMP-B"}
STARTED = {"manufacturer_id": "VNALUSTA5HAN", "manufacturer_name": "Star Aluminium JSC",
           "importer_id": "IMP-A"}
NEW_VN = {"manufacturer_id": "VNNEWALU9HAN", "manufacturer_name": "New Star Aluminium",
          "manufacturer_address": "No. 9 Tan Thuan Road, Bac Ninh, Viet Nam",
          "importer_id": "IMP-NEW"}
NOTE = "AD order evaded: EAPA transshipment via Viet Nam; circumvention inquiry on KH/MY assembly"


class RefWithNotes:
    """The test reference data with a route named in the aluminum AD order's notes."""

    def __init__(self, ref: object) -> None:
        orders = ref.adcvd_orders  # type: ignore[attr-defined]
        self.adcvd_orders = orders.with_columns(
            pl.when(pl.col("case_number") == "A-570-967").then(pl.lit(NOTE))
            .otherwise(pl.col("notes")).alias("notes"))
        self.countries = pl.DataFrame({"iso2": ["CN", "VN", "TW", "KH", "MY", "AD"],
                                       "name": ["China", "Viet Nam", "Taiwan", "Cambodia",
                                                "Malaysia", "Andorra"]})
        self.versions = ref.versions  # type: ignore[attr-defined]
        self.locode = ref.locode  # type: ignore[attr-defined]


@pytest.fixture
def noted(ctx):
    return type(ctx)(ref=RefWithNotes(ctx.ref), as_of=ctx.as_of)  # type: ignore[arg-type]


@pytest.fixture
def history(kit) -> pl.DataFrame:
    """Two established plants from January, and one that started in June and shipped every
    45 days (three shipments in its first quarter: about one a month)."""
    start = date(2025, 1, 6)
    rows = (kit.monthly(start, 12, 2, **(ALU | OLD_VN))
            + kit.monthly(start, 12, 1, **(ALU | CN_PLANT | {"entered_value_usd": 400.0})))
    rows += [kit.line(f"H-STA-{k}", entry_date=date(2025, 6, 2) + timedelta(days=45 * k),
                      **(ALU | STARTED)) for k in range(5)]
    return kit.frame(rows)


def _run(kit, ctx, history, rows, cfg=None):
    det = AdcvdDetector(cfg)
    det.fit(history, ctx)
    return det.assess(kit.frame(rows), ctx)


def _codes(result, entry):
    return set(result.indicators.filter(pl.col("entry_number") == entry)["reason_code"])


def _shipments(kit, n, days=6, one_entry=False, **kw):
    """``n`` lines of the new VN plant from 2 March 2026, ``days`` apart, each its own entry
    (one shipment each) unless ``one_entry``."""
    return [kit.line("N0" if one_entry else f"N{k}", k + 1 if one_entry else 1,
                     entry_date=date(2026, 3, 2) + timedelta(days=0 if one_entry else days * k),
                     **(ALU | NEW_VN | kw)) for k in range(n)]


def test_routes_come_from_order_notes_and_configuration(noted, kit):
    routes = documented_routes(noted.ref.adcvd_orders, noted.ref,
                               AdcvdConfig(known_routes={"A-552-801": ("th",)}))
    pairs = set(zip(routes["case_number"], routes["route_country"], strict=True))
    assert pairs == {("A-570-967", "VN"), ("A-570-967", "KH"), ("A-570-967", "MY"),
                     ("A-552-801", "TH")}  # "AD" in no slash list is not Andorra
    source = routes.filter(pl.col("route_country") == "VN")["source"][0]
    assert "EAPA transshipment" in source


def test_subject_country_in_notes_is_no_route(kit, noted):
    orders = noted.ref.adcvd_orders.with_columns(pl.lit("Dumped goods from China, via Taiwan")
                                                 .alias("notes"))
    routes = documented_routes(orders, noted.ref, AdcvdConfig())
    assert set(routes.filter(pl.col("case_number") == "A-570-967")["route_country"]) == {"TW"}


def test_known_route_marks_lines_from_a_route_country_only(kit, noted, history):
    rows = [*_shipments(kit, 1), kit.line("T1", entry_date=date(2026, 3, 3), **(
        ALU | NEW_VN | {"country_of_origin": "TW", "manufacturer_id": "TWNEW1TAI"}))]
    result = _run(kit, noted, history, rows)
    assert "ADCVD_EVASION_KNOWN_ROUTE" in _codes(result, "N0")
    assert "ADCVD_EVASION_KNOWN_ROUTE" not in _codes(result, "T1")


def test_new_importer_is_one_without_purchases_under_the_order(kit, ctx, history):
    rows = [*_shipments(kit, 1), kit.line("K1", entry_date=date(2026, 3, 2), **(
        ALU | NEW_VN | {"importer_id": "IMP-B"}))]  # IMP-B bought Chinese aluminum before
    result = _run(kit, ctx, history, rows)
    assert "ADCVD_EVASION_NEW_IMPORTER" in _codes(result, "N0")
    assert "ADCVD_EVASION_NEW_IMPORTER" not in _codes(result, "K1")


def test_start_up_volume_counts_shipments_against_start_ups(kit, ctx, history):
    result = _run(kit, ctx, history, _shipments(kit, 5))
    assert "ADCVD_EVASION_NEW_PLANT_VOLUME" in _codes(result, "N0")
    evidence = json.loads(result.indicators.filter(
        pl.col("reason_code") == "ADCVD_EVASION_NEW_PLANT_VOLUME")["evidence"][0])
    assert evidence["shipments_in_first_months"] == 5
    assert evidence["start_up_shipments_per_month"] == pytest.approx(3 / (92 / 30.44), rel=1e-3)
    assert (evidence["start_ups_compared"], evidence["start_ups_of"]) == (1, "all orders")
    assert evidence["p_value"] < 0.01
    # Three shipments a month are what a start-up may do; five lines in one entry are one.
    assert "ADCVD_EVASION_NEW_PLANT_VOLUME" not in _codes(
        _run(kit, ctx, history, _shipments(kit, 3)), "N0")
    assert "ADCVD_EVASION_NEW_PLANT_VOLUME" not in _codes(
        _run(kit, ctx, history, _shipments(kit, 5, one_entry=True)), "N0")


def test_start_up_long_before_the_batch_is_not_judged_again(kit, ctx, history):
    # The plant started in history (November 2025) with a busy first quarter (nine weekly
    # shipments, far above the start-ups' one a month); the batch only sees it in March.
    early = [kit.line(f"H-NEW-{k}", entry_date=date(2025, 11, 1) + timedelta(days=7 * k),
                      **(ALU | NEW_VN)) for k in range(9)]
    busy = pl.concat([history, kit.frame(early)], how="diagonal_relaxed")
    result = _run(kit, ctx, busy, _shipments(kit, 5))
    assert "ADCVD_EVASION_NEW_MANUFACTURER" in _codes(result, "N0")  # still new to the order
    assert "ADCVD_EVASION_NEW_PLANT_VOLUME" not in _codes(result, "N0")


def test_route_with_start_up_volume_and_new_buyers_is_reported(kit, noted, history):
    result = _run(kit, noted, history, _shipments(kit, 5))
    assert {"ADCVD_EVASION_KNOWN_ROUTE", "ADCVD_EVASION_NEW_PLANT_VOLUME",
            "ADCVD_EVASION_NEW_IMPORTER", "ADCVD_EVASION_NEW_MANUFACTURER"} == _codes(result, "N0")
    assert result.scores["reported"].all()


def test_route_needs_the_volume_and_a_second_kind_of_change(kit, noted, ctx, history):
    # Without the documented route the same plant has no tie at all.
    assert not _run(kit, ctx, history, _shipments(kit, 5)).scores["reported"].any()
    # Established buyers: new plant and volume are one kind of change, not enough.
    known = _run(kit, noted, history, _shipments(kit, 5, importer_id="IMP-A"))
    assert "ADCVD_EVASION_NEW_IMPORTER" not in _codes(known, "N0")
    assert not known.scores["reported"].any()
    # New buyers but a plausible start-up (three shipments): no tested volume.
    slow = _run(kit, noted, history, _shipments(kit, 3))
    assert "ADCVD_EVASION_NEW_PLANT_VOLUME" not in _codes(slow, "N0")
    assert not slow.scores["reported"].any()


def test_route_never_adds_to_the_tie_score(kit, noted, history):
    # Even weighted like a strong tie, a route with the importer's switch from China (a weak
    # tie) and a new plant is no case: the route says nothing about this plant.
    weights = AdcvdConfig().weights | {"ADCVD_EVASION_KNOWN_ROUTE": 1.0}
    result = _run(kit, noted, history, _shipments(kit, 2, importer_id="IMP-B"),
                  AdcvdConfig(weights=weights))
    assert _codes(result, "N0") == {"ADCVD_EVASION_KNOWN_ROUTE", "ADCVD_EVASION_ORIGIN_SWITCH",
                                    "ADCVD_EVASION_NEW_MANUFACTURER"}
    assert result.scores["score"][0] >= AdcvdConfig().min_score
    assert not result.scores["reported"].any()


def test_new_buyer_is_no_supply_change_for_a_strong_tie(kit, ctx, history):
    # A long-established plant with a Chinese seller and address, bought by a new importer:
    # the ties are strong and the score high, but nothing changed on the supply side.
    rows = [kit.line(f"E{k}", entry_date=date(2026, 3, 2 + k), **(ALU | OLD_VN | {
        "importer_id": "IMP-NEW", "seller_country": "CN",
        "manufacturer_address": "No. 9 Zhongshan Road, Ningbo, Zhejiang, China"}))
        for k in range(2)]
    result = _run(kit, ctx, history, rows)
    assert _codes(result, "E0") == {"ADCVD_EVASION_SELLER_SUBJECT",
                                    "ADCVD_EVASION_ADDRESS_SUBJECT",
                                    "ADCVD_EVASION_NEW_IMPORTER"}
    assert result.scores["score"][0] >= AdcvdConfig().min_score
    assert not result.scores["reported"].any()
