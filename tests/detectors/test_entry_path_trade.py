"""Request-sized frames skip the batch path only when it would find nothing.

The AD/CVD, origin and classification detectors and the rules profiles settle a scoring
request's few lines in Python when nothing can be found (``SMALL_REQUEST``); every other frame
goes through the batch path. Each test runs both paths (the batch path forced by lowering the
size bar) on every one of the latest demo entries, on edited copies of entries that reach the
edge of each check (declared cases, deposits, entry types, new plants, preference claims,
odd texts and nulls), on several entries together, without history and on an empty frame,
and requires identical results.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
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
    request_context,
    split_latest,
)

from tradeguard.detectors import origin as origin_module
from tradeguard.detectors.adcvd import detector as adcvd_module
from tradeguard.detectors.adcvd.detector import AdcvdDetector
from tradeguard.detectors.classification import detector as classification_module
from tradeguard.detectors.classification.detector import ClassificationDetector
from tradeguard.detectors.origin import OriginDetector
from tradeguard.pipeline.run import declarations
from tradeguard.refdata import ReferenceData, load_reference_data
from tradeguard.rules import _request as rules_request
from tradeguard.rules import evaluate, load_profile_set, shipped_profiles_dir

SIZE_BARS = {"adcvd": adcvd_module, "origin": origin_module,
             "classification": classification_module, "rules": rules_request}


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(history declarations, the latest ENTRIES_USED entries' declarations)."""
    return split_latest(demo_declarations(demo_dir))


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return load_reference_data()


@contextmanager
def _batch_path(name: str) -> Iterator[None]:
    """Every frame takes the batch path inside this block."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SIZE_BARS[name], "SMALL_REQUEST", -1)
        yield


class _Paths:
    """The four request steps over one history, each run on both paths and compared."""

    def __init__(self, ref: ReferenceData, history: pl.DataFrame) -> None:
        self.ref = ref
        ctx = request_context(ref, history)
        self.detectors: dict[str, Any] = {
            "adcvd": AdcvdDetector(), "origin": OriginDetector(),
            "classification": ClassificationDetector()}
        for detector in self.detectors.values():
            detector.fit(history, ctx)
        self.profiles = load_profile_set(shipped_profiles_dir())
        self.found: dict[str, int] = dict.fromkeys(SIZE_BARS, 0)

    def check(self, frame: pl.DataFrame, wants: dict[str, Any] | None = None
              ) -> dict[str, Any]:
        """Both paths on ``frame`` (the batch path's results may be given: ``wants``)."""
        ctx = request_context(self.ref, frame)
        known = wants is not None
        wants = wants if wants is not None else {}
        for name, detector in self.detectors.items():
            got = detector.detect(frame, ctx)
            if not known:
                with _batch_path(name):
                    wants[name] = detector.detect(frame, ctx)
                self.found[name] += wants[name].height > 0
            assert_frame_equal(got, wants[name])
        got_rules = evaluate(self.profiles, frame, on=ctx.as_of)
        if not known:
            with _batch_path("rules"):
                wants["rules"] = evaluate(self.profiles, frame, on=ctx.as_of)
            self.found["rules"] += wants["rules"].hits.height > 0
        want_rules = wants["rules"]
        for part in ("findings", "treatments", "hits"):
            assert_frame_equal(getattr(got_rules, part), getattr(want_rules, part))
        assert got_rules.warnings == want_rules.warnings
        assert got_rules.statuses == want_rules.statuses
        return wants


# Edits that reach the edges of the checks the screens settle.
EDITS: list[dict[str, Any]] = [
    {"adcvd_case_number": None}, {"adcvd_case_number": "A-570-000"},
    {"adcvd_case_number": lambda c: c.str.to_lowercase()},
    {"adcvd_case_number": lambda c: pl.lit(" ") + c},
    {"adcvd_deposit_usd": None}, {"adcvd_deposit_usd": 0.0},
    {"adcvd_deposit_usd": float("nan")},
    {"adcvd_deposit_usd": lambda c: c * 0.97}, {"adcvd_deposit_usd": lambda c: c - 1.0},
    {"entry_type": "01"}, {"entry_type": None}, {"entry_type": " 03"}, {"entry_type": "03"},
    {"country_of_origin": None}, {"country_of_origin": "cn"}, {"country_of_origin": "CN"},
    {"country_of_origin": "VN"}, {"country_of_origin": "CN "},
    {"manufacturer_id": None}, {"manufacturer_id": "VNNEWPLA1HAN"},
    {"manufacturer_id": lambda c: pl.lit(" ") + c},
    {"entered_value_usd": float("nan")}, {"entered_value_usd": None},
    {"quantity": 0.0}, {"quantity": float("nan")},
    {"spi": "A"}, {"spi": " au "}, {"spi": "ZZ"}, {"spi": ""}, {"spi": "S+"},
    {"description": None}, {"description": "x"}, {"description": "free SAMPLE, no value"},
    {"description": "FROZEN SHRIMP PEELED"}, {"description": "Straße Ätzteil"},
    {"hts_code": None}, {"hts_code": "9801001000"}, {"hts_code": "7604.21.0000"},
    {"hts_code": "4412310000"},
    {"manufacturer_address": None}, {"manufacturer_address": "12 Shanghai Road, Hanoi"},
    {"manufacturer_address": "8 Industrial Zone, Guangdong, China"},
    {"manufacturer_country": "CN", "seller_country": "CN"},
    {"port_of_lading": "CNSHA", "country_of_export": "CN"},
    {"seller_country": "cn", "country_of_export": " CN"},
    {"trusted_trader": True}, {"related_party": None},
]


@pytest.fixture(scope="module")
def paths(demo: tuple[pl.DataFrame, pl.DataFrame], ref: ReferenceData) -> _Paths:
    return _Paths(ref, demo[0])


def test_every_demo_entry_gets_the_batch_findings(
    demo: tuple[pl.DataFrame, pl.DataFrame], paths: _Paths,
) -> None:
    _, current = demo
    entries = one_by_one(current)
    assert len(entries) == ENTRIES_USED
    # First seen (nothing remembered yet), then again with what the screens remembered.
    wants = [paths.check(one) for one in entries]
    for one, want in zip(entries, wants, strict=True):
        paths.check(one, want)
    # The comparison means something only if the batch path finds things on demo entries.
    assert paths.found["classification"] and paths.found["origin"], paths.found


def _touching(decl: pl.DataFrame, ref: ReferenceData, per_kind: int = 1
              ) -> list[pl.DataFrame]:
    """A few entries of each kind the screens must tell apart: lines an AD/CVD order may
    cover (subject country and third country), declared cases, preference claims, origins
    contradicted by the paperwork."""
    orders = ref.adcvd_orders.explode("hts_prefixes").select(
        pl.col("hts_prefixes").str.replace_all(r"[^0-9]", "").alias("p"), "country")
    digits = pl.col("hts_code").str.replace_all(r"[^0-9]", "")
    in_scope = pl.any_horizontal(
        [digits.str.starts_with(p) for p in orders["p"].unique().to_list()])
    kinds = [
        in_scope & pl.col("country_of_origin").is_in(orders["country"].implode()),
        in_scope & ~pl.col("country_of_origin").is_in(orders["country"].implode()),
        pl.col("adcvd_case_number").is_not_null(),
        pl.col("spi").is_not_null(),
        pl.col("manufacturer_country") != pl.col("country_of_origin"),
    ]
    chosen: list[str] = []
    for kind in kinds:
        numbers = decl.filter(kind)["entry_number"].unique(maintain_order=True).head(per_kind)
        chosen.extend(n for n in numbers.to_list() if n not in chosen)
    return [decl.filter(pl.col("entry_number") == n) for n in chosen]


def test_edited_entries_get_the_batch_findings(
    demo: tuple[pl.DataFrame, pl.DataFrame], paths: _Paths, ref: ReferenceData,
) -> None:
    history, current = demo
    recent = pl.concat([history.tail(4000), current])
    chosen = _touching(recent, ref)
    assert len(chosen) >= 4
    for one in _touching(recent, ref, per_kind=3):
        paths.check(one)
    for one in chosen:
        for edit in EDITS:
            paths.check(edited(one, **edit))
    # Several entries at once (a surge needs lines enough), and a request of one line.
    paths.check(pl.concat(chosen))
    paths.check(chosen[0].head(1))
    assert paths.found["adcvd"], paths.found


def test_without_history_and_empty_frames(
    demo: tuple[pl.DataFrame, pl.DataFrame], ref: ReferenceData,
) -> None:
    history, current = demo
    bare = _Paths(ref, history.clear())
    for one in [*one_by_one(current)[:20], *_touching(history.tail(3000), ref)]:
        bare.check(one)
    bare.check(current.clear())


def test_rules_predicates_read_missing_values_as_the_expressions_do() -> None:
    """``not_in`` of a missing value, NaN and untyped text all decide as the batch path."""
    profiles = load_profile_set(shipped_profiles_dir())
    line = {"entry_number": "E1", "line_number": 1, "hts_code": "6109100010",
            "description": "MENS KNIT SHIRTS", "country_of_origin": "CN",
            "entered_value_usd": 100.0, "quantity": 10.0, "entry_date": date(2026, 7, 1)}
    typed = declarations(pl.DataFrame([{k: v for k, v in line.items() if k not in (
        "line_number", "hts_code", "description", "country_of_origin", "entered_value_usd",
        "quantity")}]), pl.DataFrame([{k: v for k, v in line.items() if k != "entry_date"}]))
    variants: list[Callable[[pl.DataFrame], pl.DataFrame]] = [
        lambda f: f, lambda f: f.with_columns(pl.lit(math.nan).alias("quantity")),
        lambda f: f.with_columns(pl.lit(None, pl.String).alias("importer_id")),
        lambda f: f.with_columns(pl.lit("61.09.10").alias("hts_code")),
        lambda f: f.with_columns(pl.col("quantity").cast(pl.String)),
    ]
    for make in variants:
        frame = make(typed)
        got = evaluate(profiles, frame, on=date(2026, 7, 1))
        with _batch_path("rules"):
            want = evaluate(profiles, frame, on=date(2026, 7, 1))
        assert_frame_equal(got.treatments, want.treatments)
        assert_frame_equal(got.findings, want.findings)
