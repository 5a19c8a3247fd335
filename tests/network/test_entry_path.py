"""An entry's few lines screened against the fitted clusters give the general path's findings.

``NetworkDetector.detect`` first asks, with per-cluster counts kept from the fit, whether any
cluster a small batch touches could pass a rule (:mod:`tradeguard.network.entry_screen`); when
none can, it returns no finding without running the rules over the history. Each test runs
``detect`` and the general path (``detect_in_parts``) on the same lines and compares them.
"""

from __future__ import annotations

import pickle
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.network.test_detector import AS_OF, Line, decl, population, violator_history

from tradeguard.demo import generate_demo_data
from tradeguard.detectors.base import DetectionContext
from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.network import detector as detector_module
from tradeguard.network.detector import NetworkDetector
from tradeguard.network.entry_screen import entry_parties
from tradeguard.network.linkage import LinkageConfig
from tradeguard.pipeline.run import declarations
from tradeguard.refdata import load_reference_data

ENTRIES_USED = 120
LATER_LINES = 40


@pytest.fixture(autouse=True)
def linked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Splink links a batch's new spellings the same way each time it is asked: both paths
    ask for the same batch, so the links are worked out once per batch (a test-time saving)."""
    link = detector_module.link_new_records
    kept: dict[object, tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]] = {}

    def once(new: pl.DataFrame, known: pl.DataFrame, config: LinkageConfig | None = None
             ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        key = (tuple(new.rows()), tuple(known.get_column("record_id").to_list()),
               tuple(known.get_column("cluster").to_list()), repr(config))
        if key not in kept:
            kept[key] = link(new, known, config)
        return kept[key]

    monkeypatch.setattr(detector_module, "link_new_records", once)


def _read(d: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(d / f"{name}.csv", infer_schema_length=0)


@pytest.fixture(scope="module")
def ctx() -> DetectionContext:
    return DetectionContext(ref=load_reference_data(), as_of=AS_OF)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(history declarations, the latest ENTRIES_USED entries' declarations, outcomes)."""
    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out, entries=3000, seed=11)
    decl_ = declarations(_read(out, "entries"), _read(out, "lines"))
    numbers = (decl_.select("entry_number", "entry_date").unique()
               .sort("entry_date", "entry_number").tail(ENTRIES_USED)["entry_number"])
    recent = pl.col("entry_number").is_in(numbers.implode())
    return decl_.filter(~recent), decl_.filter(recent), _read(out, "outcomes")


def both(detector: NetworkDetector, lines: pl.DataFrame, ctx: DetectionContext
         ) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """(``detect``'s findings, the general path's, whether the screen cleared the lines)."""
    fast = detector.detect(lines, ctx)
    general = detector.detect_in_parts(lambda: (lines,), ctx)
    return fast, general, detector._screened_clear(lines, detector._cfg(ctx))


def same(detector: NetworkDetector, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
    """``detect``'s findings, checked against the general path's (rows, order, dtypes)."""
    fast, general, _ = both(detector, lines, ctx)
    assert_frame_equal(fast, general)
    return fast


def test_every_demo_entry_gets_the_general_paths_findings(
        demo: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    history, current, outcomes = demo
    day = current["entry_date"].max()
    assert isinstance(day, date)
    ctx = DetectionContext(ref=load_reference_data(), as_of=day, outcomes=outcomes)
    detector = NetworkDetector()
    detector.fit(history, ctx)
    cleared = raised = 0
    codes: set[str] = set()
    for _, one in current.group_by("entry_number", maintain_order=True):
        fast, general, clear = both(detector, one, ctx)
        assert_frame_equal(fast, general)
        assert not (clear and general.height), "the screen cleared an entry with findings"
        cleared += clear
        raised += general.height > 0
        codes.update(general["reason_code"].to_list())
    assert cleared > ENTRIES_USED // 2, "most entries are cleared by the screen"
    assert raised > 0, "some demo entries have network findings"
    # The demo's latest entries as one batch: the general path (too many lines to screen).
    assert current.height > detector_module.SMALL_ENTRY_LINES
    assert detector.detect(current, ctx).equals(
        detector.detect_in_parts(lambda: (current,), ctx))
    # The first entry after the history, parties seen before (a real request's case).
    later = current.with_columns(pl.col("entry_date") + timedelta(days=30))
    for _, one in later.head(LATER_LINES).group_by("entry_number", maintain_order=True):
        same(detector, one, ctx)
    assert codes, "findings of at least one rule"


def ring_detector(ctx: DetectionContext) -> NetworkDetector:
    """A detector fitted on twenty importers and a pair of new numbers under one EIN root."""
    pair: list[Line] = [
        ("SUN-1", "12-345678900", "Sunrise Trading LLC", "Apex Export Ltd", "Apex Mfg Co", 120),
        ("SUN-2", "12-345678901", "Sunrise Imports Inc.", "Cedar Export Ltd", "Cedar Mfg Co",
         100),
    ]
    detector = NetworkDetector()
    detector.fit(decl([*population([300, 200, 100]), *pair]), ctx)
    return detector


def test_an_entry_of_a_pair_buying_one_supplier_joins_the_ring(ctx: DetectionContext) -> None:
    detector = ring_detector(ctx)
    # Each number buys its own goods: not a ring, cleared.
    own = decl([("NOW-2", "12-345678901", "Sunrise Imports Inc.", "Cedar Export Ltd",
                 "Cedar Mfg Co", 10)])
    assert same(detector, own, ctx).is_empty()
    assert detector._screened_clear(own, detector._cfg(ctx))
    # The second number now buys the first one's goods: both share a supplier, a ring.
    shared = decl([("NOW-2", "12-345678901", "Sunrise Imports Inc.", "Apex Export Ltd",
                    "Apex Mfg Co", 10)])
    found = same(detector, shared, ctx)
    assert found["reason_code"].to_list() == ["NET_SHARED_IDENTITY"]


def test_a_new_spelling_linking_to_a_known_party_is_resolved_as_the_general_path_does(
        ctx: DetectionContext) -> None:
    detector = ring_detector(ctx)
    # A number never seen, a spelling never seen, linked to the pair by its EIN root.
    third = decl([("NOW-3", "12-345678902", "SUNRISE WHOLESALE", "Apex Export Ltd",
                   "Apex Mfg Co", 3)])
    found = same(detector, third, ctx)
    assert found["reason_code"].to_list() == ["NET_SHARED_IDENTITY"]
    # The same number buying goods nobody else buys: linked, yet no shared supplier.
    alone = decl([("NOW-3", "12-345678902", "SUNRISE WHOLESALE", "Zephyr Export Ltd",
                   "Zephyr Mfg Co", 3)])
    assert same(detector, alone, ctx).is_empty()


def test_first_seen_parties_are_linked_and_screened(ctx: DetectionContext) -> None:
    detector = ring_detector(ctx)
    one = decl([("ONE-1", "99-9999999-00", "Zyxquor Holdings Inc.", "Vexlume Export Ltd",
                 "Qorvanth Works Co Ltd", 2)])
    assert same(detector, one, ctx).is_empty()
    assert detector._screened_clear(one, detector._cfg(ctx))
    # A new importer with five entries in one batch, no history: fly-by-night is possible.
    burst = decl([(f"FLY-{i}", "98-7654321-00", "Quickstart Goods LLC", "Vexlume Export Ltd",
                   "Qorvanth Works Co Ltd", i) for i in range(6)])
    assert not detector._screened_clear(burst, detector._cfg(ctx))
    same(detector, burst, ctx)


def test_a_violator_clusters_line_takes_the_general_path(ctx: DetectionContext) -> None:
    history, outcomes = violator_history()
    detector = NetworkDetector(outcomes=outcomes)
    detector.fit(history, ctx)
    now = decl([("NOW-1", "88-8888888-00", "Willow Retail LLC", "RICHWAY TRADING LIMITED",
                 "Tundra Manufacturing Co Ltd", 5)])
    assert same(detector, now, ctx)["reason_code"].to_list() == ["NET_VIOLATOR_CLUSTER"]
    # Shipped pickled, the kept counts are rebuilt on the first entry and say the same.
    shipped = pickle.loads(pickle.dumps(detector))
    assert shipped._facts is None
    assert_frame_equal(shipped.detect(now, ctx), detector.detect(now, ctx))
    quiet = decl([("NOW-2", "88-8888888-00", "Willow Retail LLC", "Tundra Export Ltd",
                   "Tundra Manufacturing Co Ltd", 5)])
    assert same(shipped, quiet, ctx).is_empty()


def test_without_history_nulls_and_no_lines(ctx: DetectionContext) -> None:
    detector = NetworkDetector()
    detector.fit(decl([]), ctx)
    lines = decl([("R-0", "12-345678900", "Sunrise Trading LLC", "Apex Export Ltd",
                   "Apex Mfg Co", 3)])
    assert same(detector, lines, ctx).is_empty()
    fitted = ring_detector(ctx)
    nulls = lines.with_columns(
        pl.lit(None, dtype=pl.String).alias("importer_name"),
        pl.lit(" \t", dtype=pl.String).alias("seller_name"),
        pl.lit(None, dtype=pl.String).alias("manufacturer_id"),
        pl.lit(None, dtype=pl.Date).alias("entry_date"))
    for frame in (nulls, nulls.drop("importer_country", "entered_value_usd"),
                  lines.with_columns(pl.lit(None, dtype=pl.String).alias("importer_id"))):
        same(detector, frame, ctx)
        same(fitted, frame, ctx)
    empty = lines.clear()
    for d in (detector, fitted):
        assert_frame_equal(d.detect(empty, ctx), pl.DataFrame(schema=FINDINGS_SCHEMA))
        assert_frame_equal(d.detect(empty, ctx), d.detect_in_parts(lambda: (empty,), ctx))
    # Every party nameless: nothing to resolve.
    nameless = lines.with_columns(pl.lit("").alias(c) for c in (
        "importer_name", "seller_name", "manufacturer_name"))
    assert entry_parties(nameless) == []
    same(fitted, nameless, ctx)
