"""Request-sized frames whose lines can have no transshipment report skip the indicators.

:meth:`AdcvdDetector.detect` answers such a request with its deposit checks alone when the tie
screen (:mod:`tradeguard.detectors.adcvd.request_ties`) rules every subject-country tie out.
Each test runs both paths (the batch path forced by lowering the size bar) on demo entries
(the latest ones, first seen, and older ones history remembers), on edited copies that reach
the edge of each tie (new plants on documented routes, subject-country places, sellers and
prices, odd texts and nulls, declared suppliers), without history and on an empty frame, and
requires identical findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.request_demo import (
    ENTRIES_USED,
    demo_declarations,
    edited,
    one_by_one,
    split_latest,
)

from tradeguard.detectors.adcvd import detector as adcvd_module
from tradeguard.detectors.adcvd.detector import AdcvdDetector
from tradeguard.detectors.base import DetectionContext
from tradeguard.refdata import ReferenceData, load_reference_data

REMEMBERED = 800  # older entries, scored against a history that holds them


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(history declarations, the latest ENTRIES_USED entries' declarations)."""
    return split_latest(demo_declarations(demo_dir))


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return load_reference_data()


def _ctx(ref: ReferenceData, frame: pl.DataFrame,
         supply_chain: pl.DataFrame | None = None) -> DetectionContext:
    day = frame["entry_date"].max() if frame.height else None
    return DetectionContext(ref=ref, as_of=day if isinstance(day, date) else date(2026, 7, 1),
                            supply_chain=supply_chain)


@contextmanager
def _batch_path() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(adcvd_module, "SMALL_REQUEST", -1)
        yield


class _Paths:
    """One fitted detector; both paths run on each frame and compared."""

    def __init__(self, ref: ReferenceData, history: pl.DataFrame) -> None:
        self.ref = ref
        self.detector = AdcvdDetector()
        self.detector.fit(history, _ctx(ref, history))
        self.found = 0
        self.settled_by_ties = 0

    def check(self, frame: pl.DataFrame, supply_chain: pl.DataFrame | None = None) -> None:
        ctx = _ctx(self.ref, frame, supply_chain)
        detector = self.detector
        read = detector.screen(ctx).triage(frame)
        if read is not None and any(read.third) and detector.screen(ctx).may_evade(read) \
                and not detector.ties(ctx).may_tie(read, frame.schema, supply_chain,
                                                   detector.screen(ctx)):
            self.settled_by_ties += 1
        got = detector.detect(frame, ctx)
        with _batch_path():
            want = detector.detect(frame, ctx)
        self.found += want.height > 0
        assert_frame_equal(got, want)


def _in_scope(decl: pl.DataFrame, ref: ReferenceData) -> pl.DataFrame:
    """Lines under some order's HTS prefix, whatever their origin."""
    prefixes = ref.adcvd_orders.explode("hts_prefixes").select(
        pl.col("hts_prefixes").str.replace_all(r"[^0-9]", ""))
    digits = pl.col("hts_code").str.replace_all(r"[^0-9]", "")
    return decl.filter(pl.any_horizontal(
        [digits.str.starts_with(p) for p in prefixes.to_series().unique().to_list()]))


def _third_country(decl: pl.DataFrame, ref: ReferenceData) -> pl.DataFrame:
    """Lines under some order's HTS prefix from a country no order is on."""
    return _in_scope(decl, ref).filter(
        ~pl.col("country_of_origin").is_in(ref.adcvd_orders["country"].implode()))


@pytest.fixture(scope="module")
def paths(demo: tuple[pl.DataFrame, pl.DataFrame], ref: ReferenceData) -> _Paths:
    return _Paths(ref, demo[0])


def test_every_demo_entry_gets_the_batch_findings(
    demo: tuple[pl.DataFrame, pl.DataFrame], paths: _Paths, ref: ReferenceData,
) -> None:
    history, current = demo
    entries = one_by_one(current)
    assert len(entries) == ENTRIES_USED
    for one in entries:
        paths.check(one)
    for one in entries:  # again, with the screens built
        paths.check(one)
    # Older entries that touch an order (in scope from any country, or a declared case).
    older = history.filter(pl.col("entry_number").is_in(
        history["entry_number"].unique(maintain_order=True).tail(REMEMBERED).implode()))
    touching = pl.concat([_in_scope(older, ref), older.drop_nulls("adcvd_case_number")])
    for one in one_by_one(older.filter(pl.col("entry_number").is_in(
            touching["entry_number"].implode()))):
        paths.check(one)
    # The comparison means something only if both paths have work: findings, and requests
    # the tie screen settles that the supply-change screen could not.
    assert paths.found >= 5 and paths.settled_by_ties >= 5, (paths.found,
                                                             paths.settled_by_ties)


# Edits that reach the edges of the ties the screen rules out.
EDITS: list[dict[str, Any]] = [
    {"manufacturer_id": "VNNEWPLA1HAN"}, {"manufacturer_id": "CNNEWPLA1SHA"},
    {"manufacturer_id": None}, {"manufacturer_id": ""}, {"manufacturer_id": " VNX1HAN"},
    {"manufacturer_id": lambda c: c.str.to_lowercase()},
    {"manufacturer_address": None}, {"manufacturer_address": "12 Shanghai Road, Hanoi"},
    {"manufacturer_address": "8 Industrial Zone, Guangdong, China"},
    {"manufacturer_address": "3 Ningbo Lane, Hai Phong"},
    {"manufacturer_address": "Organize Sanayi 5, İstanbul, Türkiye"},
    {"manufacturer_address": "7 \u212aunshan Avenue"},
    {"seller_country": "CN"}, {"seller_country": "cn"}, {"seller_country": None},
    {"seller_country": "Ç"}, {"importer_id": None}, {"importer_id": "IMP-NEW"},
    {"quantity": 0.0}, {"quantity": float("nan")}, {"quantity": None},
    {"quantity_unit": None}, {"entered_value_usd": None},
    {"entered_value_usd": float("nan")}, {"entered_value_usd": lambda c: c * 0.3},
    {"entered_value_usd": lambda c: c * 3.0}, {"entry_date": None},
    {"country_of_origin": "MY"}, {"country_of_origin": "KH"},
]
# Applied 60 days later than the settled start of the demo history: plants first seen then
# are new, so a tie with them is reported.
NEW_PLANT_EDITS: list[dict[str, Any]] = [
    {"manufacturer_id": "CNNEWPLA1SHA"},
    {"manufacturer_id": "XXNEWPLA1ABC", "seller_country": "CN"},
    {"manufacturer_id": "XXNEWPLA1ABC", "manufacturer_address": "12 Shanghai Road, Hanoi"},
    {"manufacturer_id": "XXNEWPLA1ABC", "manufacturer_address": "4 Ningbo Lane, İzmir"},
    {"manufacturer_id": "XXNEWPLA1ABC"}, {"manufacturer_id": None},
    {"manufacturer_id": "XXNEWPLA1ABC", "country_of_origin": "VN"},
    {"manufacturer_id": "XXNEWPLA1ABC", "country_of_origin": "MY"},
    {"manufacturer_id": "XXNEWPLA1ABC", "entered_value_usd": lambda c: c * 0.2},
]


def test_edited_entries_get_the_batch_findings(
    demo: tuple[pl.DataFrame, pl.DataFrame], paths: _Paths, ref: ReferenceData,
) -> None:
    history, current = demo
    third = _third_country(pl.concat([history.tail(6000), current]), ref)
    numbers = third["entry_number"].unique(maintain_order=True)
    chosen = [pl.concat([history, current]).filter(pl.col("entry_number") == n)
              for n in numbers.tail(4).to_list()]
    assert len(chosen) >= 4
    for one in chosen:
        for edit in EDITS:
            paths.check(edited(one, **edit))
        # a new plant on a route, shipping again: history's shipments count
        paths.check(edited(one, manufacturer_id="VNNEWPLA1HAN", country_of_origin="VN"))
    paths.check(pl.concat(chosen))
    paths.check(pl.concat([edited(one, manufacturer_id="VNNEWPLA1HAN") for one in chosen]))
    reported = paths.found
    for edit in NEW_PLANT_EDITS:
        later = [edited(one, entry_date=lambda c: c + pl.duration(days=60), **edit)
                 for one in chosen]
        for one in later:
            paths.check(one)
        # three shipments of one new plant: its start-up volume is tested
        paths.check(pl.concat(later[:3]))
        paths.check(pl.concat([one.head(1) for one in later[:4]]))
    assert paths.found > reported


def test_declared_suppliers_in_the_subject_country(
    demo: tuple[pl.DataFrame, pl.DataFrame], paths: _Paths, ref: ReferenceData,
) -> None:
    history, current = demo
    third = _third_country(pl.concat([history.tail(6000), current]), ref)
    for number in third["entry_number"].unique(maintain_order=True).tail(4).to_list():
        one = pl.concat([history, current]).filter(pl.col("entry_number") == number)
        for tier in ("1", "2"):
            chain = pl.DataFrame({"entry_number": [number], "line_number": [None],
                                  "tier": [tier], "supplier_country": ["CN"],
                                  "supplier_name": ["Hua Feng"]},
                                 schema={"entry_number": pl.String, "line_number": pl.String,
                                         "tier": pl.String, "supplier_country": pl.String,
                                         "supplier_name": pl.String})
            paths.check(one, chain)
            paths.check(pl.concat([one] * 3).with_columns(
                pl.int_range(1, 3 * one.height + 1).alias("line_number")), chain)


def test_without_history_and_empty_frames(
    demo: tuple[pl.DataFrame, pl.DataFrame], ref: ReferenceData,
) -> None:
    history, current = demo
    bare = _Paths(ref, history.clear())
    third = _third_country(history.tail(3000), ref)
    for one in [*one_by_one(current)[:20], *one_by_one(third.head(40))]:
        bare.check(one)
    bare.check(current.clear())


# Inline scenarios (the package's conftest kit) in which a request-sized frame is reported on
# ties the screen must not rule out: a documented route with an implausible start-up volume,
# and subject-country prices corroborated by a new plant and a surge.
ALU = {"hts_code": "7604210000", "quantity": 100.0, "entered_value_usd": 500.0}
NEW_VN = {"manufacturer_id": "VNNEWALU9HAN", "manufacturer_name": "New Star Aluminium",
          "manufacturer_address": "No. 9 Tan Thuan Road, Bac Ninh, Viet Nam",
          "importer_id": "IMP-NEW", "entry_type": "01"}


class _NotedRef:
    """The kit's reference data with Viet Nam named as a route in the aluminum AD order."""

    def __init__(self, ref: Any) -> None:
        self.adcvd_orders = ref.adcvd_orders.with_columns(
            pl.when(pl.col("case_number") == "A-570-967")
            .then(pl.lit("EAPA transshipment via Viet Nam")).otherwise(pl.col("notes"))
            .alias("notes"))
        self.countries = pl.DataFrame({"iso2": ["CN", "VN", "TW"],
                                       "name": ["China", "Viet Nam", "Taiwan"]})
        self.versions, self.locode = ref.versions, ref.locode


def _both(detector: AdcvdDetector, frame: pl.DataFrame, ctx: DetectionContext
          ) -> pl.DataFrame:
    """Both paths on ``frame`` typed as declarations are (all-null columns too)."""
    frame = frame.with_columns(
        pl.col(c).cast(pl.Float64 if c == "adcvd_deposit_usd" else pl.String)
        for c, t in frame.schema.items() if t == pl.Null)
    got = detector.detect(frame, ctx)
    with _batch_path():
        want = detector.detect(frame, ctx)
    assert_frame_equal(got, want)
    return want


def _reported(found: pl.DataFrame) -> set[str]:
    return set(found.filter(pl.col("reason_code").str.starts_with("ADCVD_EVASION"))[
        "reason_code"])


def test_route_with_start_up_volume_is_reported_on_both_paths(
    kit: Any, ctx: DetectionContext,
) -> None:
    start = date(2025, 1, 6)
    history = kit.frame(
        kit.monthly(start, 12, 2, **(ALU | {"manufacturer_id": "VNALUOLD1HAN"}))
        + [kit.line(f"H-STA-{k}", entry_date=date.fromordinal(
            date(2025, 6, 2).toordinal() + 45 * k),
            **(ALU | {"manufacturer_id": "VNALUSTA5HAN"})) for k in range(5)])
    noted = DetectionContext(ref=_NotedRef(ctx.ref), as_of=ctx.as_of)  # type: ignore[arg-type]
    detector = AdcvdDetector()
    detector.fit(history, noted)
    for n, importer in ((5, "IMP-NEW"), (3, "IMP-NEW"), (5, "IMP-A")):
        frame = kit.frame([kit.line(f"N{k}", entry_date=date.fromordinal(
            date(2026, 3, 2).toordinal() + 6 * k), **(ALU | NEW_VN | {"importer_id": importer}))
            for k in range(n)])
        found = _both(detector, frame, noted)
        if (n, importer) == (5, "IMP-NEW"):
            assert "ADCVD_EVASION_KNOWN_ROUTE" in _reported(found)


def test_price_tie_with_a_surge_is_reported_on_both_paths(
    kit: Any, ctx: DetectionContext,
) -> None:
    spread, cheap = [450.0, 480.0, 500.0, 520.0, 550.0], [380.0, 400.0, 420.0, 440.0, 460.0]
    rows = []
    for k in range(48):
        day = date.fromordinal(date(2025, 1, 6).toordinal() + 7 * k)
        rows.append(kit.line(f"HV{k}", entry_date=day, **(ALU | {
            "manufacturer_id": "VNOLD1HAN", "entered_value_usd": spread[k % 5]})))
        rows.append(kit.line(f"HC{k}", entry_date=day, **(ALU | {
            "manufacturer_id": "CNALU1NIN", "manufacturer_country": "CN",
            "country_of_origin": "CN", "entered_value_usd": cheap[k % 5]})))
    detector = AdcvdDetector()
    detector.fit(kit.frame(rows), ctx)
    at_subject = [400.0, 420.0, 410.0, 430.0, 400.0]
    for values in (at_subject, spread, cheap):
        frame = kit.frame([kit.line(f"N{k}", entry_date=date(2026, 3, 2 + k),
                                    **(ALU | NEW_VN | {"entered_value_usd": values[k % 5]}))
                           for k in range(16)])
        found = _both(detector, frame, ctx)
        if values is at_subject:
            assert "ADCVD_EVASION_PRICE_SUBJECT" in _reported(found)
        _both(detector, frame.head(4), ctx)
