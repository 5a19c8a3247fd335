"""An entry's few lines screened against the fitted clusters give the general path's findings.

``NetworkDetector.detect`` first asks, with per-cluster counts kept from the fit, whether any
cluster a small batch touches could pass a rule (:mod:`tradeguard.network.entry_screen`); when
none can, it returns no finding without running the rules over the history; when one might,
the rules run over the lines and the history rows their clusters need
(:mod:`tradeguard.network.entry_rules`). Each test runs ``detect`` and the general path
(``detect_in_parts``) on the same lines and compares them.
"""

from __future__ import annotations

import pickle
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.network.test_detector import AS_OF, Line, decl, population, violator_history
from tests.request_demo import (
    ENTRIES_USED,
    demo_declarations,
    read_demo,
    split_latest,
)

from tradeguard.detectors.base import DetectionContext
from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.network import detector as detector_module
from tradeguard.network.detector import NetworkDetector
from tradeguard.network.entry_links import block_counts, unlinkable
from tradeguard.network.entry_rules import REST_CLUSTER, entry_history, history_index
from tradeguard.network.entry_screen import entry_parties, entry_records
from tradeguard.network.linkage import LinkageConfig
from tradeguard.network.shippers import PRICED_KINDS
from tradeguard.refdata import load_reference_data

LATER_LINES = 40
REDECLARED = 40
RESPELT = 3


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


@pytest.fixture(scope="module")
def ctx() -> DetectionContext:
    return DetectionContext(ref=load_reference_data(), as_of=AS_OF)


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(history declarations, the latest ENTRIES_USED entries' declarations, outcomes)."""
    history, current = split_latest(demo_declarations(demo_dir))
    return history, current, read_demo(demo_dir, "outcomes")


def both(detector: NetworkDetector, lines: pl.DataFrame, ctx: DetectionContext
         ) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """(``detect``'s findings, the general path's, whether the screen cleared the lines);
    the entry's rules, when they answer, give the general path's findings too."""
    fast = detector.detect(lines, ctx)
    general = detector.detect_in_parts(lambda: (lines,), ctx)
    ruled = detector._entry_findings(lines, detector._cfg(ctx))
    if ruled is not None:
        assert_frame_equal(ruled, general)
    return fast, general, detector._screened_clear(lines, detector._cfg(ctx))


def answered(detector: NetworkDetector, lines: pl.DataFrame, ctx: DetectionContext) -> bool:
    """Whether the entry's own rules answered for ``lines`` (not the general path)."""
    return detector._entry_findings(lines, detector._cfg(ctx)) is not None


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
    cleared = raised = ruled = 0
    codes: set[str] = set()
    for _, one in current.group_by("entry_number", maintain_order=True):
        fast, general, clear = both(detector, one, ctx)
        assert_frame_equal(fast, general)
        assert not (clear and general.height), "the screen cleared an entry with findings"
        cleared += clear
        raised += general.height > 0
        ruled += general.height > 0 and answered(detector, one, ctx)
        codes.update(general["reason_code"].to_list())
    assert cleared > ENTRIES_USED // 2, "most entries are cleared by the screen"
    assert raised > 0, "some demo entries have network findings"
    assert ruled > 0, "the entry's own rules find some of them"
    # The demo's latest entries as one batch: the general path (too many lines to screen).
    assert current.height > detector_module.SMALL_ENTRY_LINES
    assert detector.detect(current, ctx).equals(
        detector.detect_in_parts(lambda: (current,), ctx))
    # The first entry after the history, parties seen before (a real request's case).
    later = current.with_columns(pl.col("entry_date") + timedelta(days=30))
    for _, one in later.head(LATER_LINES).group_by("entry_number", maintain_order=True):
        same(detector, one, ctx)
    assert codes, "findings of at least one rule"
    # The history's latest entries declared again: their clusters' rows are all in the
    # history, and some of them are flagged shipper clusters.
    ruled_codes: set[str] = set()
    latest = history.select("entry_number").unique(maintain_order=True).tail(REDECLARED)
    again = history.join(latest, on="entry_number")
    for _, one in again.group_by("entry_number", maintain_order=True):
        fast, general, _ = both(detector, one, ctx)
        assert_frame_equal(fast, general)
        if answered(detector, one, ctx):
            ruled_codes.update(general["reason_code"].to_list())
    assert {"NET_SHIPPER_CLUSTER", "NET_VIOLATOR_CLUSTER"} <= ruled_codes


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


def test_the_gathered_history_keeps_every_seller_lines_price_counts(
        demo: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    """The shipper rule's base rate reads every priced seller line: the rows gathered for one
    seller cluster and the row standing in for the others add up to the whole history's."""
    history, _, _ = demo
    detector = NetworkDetector()
    detector.fit(history, DetectionContext(ref=load_reference_data(), as_of=AS_OF))
    past = detector._history
    assert past is not None
    index = history_index(past)
    sold = (pl.col("kind").is_in(PRICED_KINDS)) & (pl.col("priced") > 0)
    whole = past.filter(sold).select(pl.col("priced", "low").sum()).row(0)
    seller = past.filter(sold).sort("low", descending=True)["cluster"].cast(pl.String)[0]
    gathered = entry_history(past, index, {"NET_SHIPPER_CLUSTER"}, [], [], [seller])
    assert gathered.select(pl.col("priced", "low").filter(sold).sum()).row(0) == whole
    assert gathered.filter(pl.col("cluster") == REST_CLUSTER).height == 1
    assert set(gathered["cluster"].to_list()) == {seller, REST_CLUSTER}
    # Without the shipper rule, no row stands in; without history, nothing is gathered.
    ring = entry_history(past, index, {"NET_SHARED_IDENTITY"}, [], [], [seller])
    assert REST_CLUSTER not in ring["cluster"].to_list()
    assert ring.height == len(set(index.extremes))
    assert history_index(None).by_cluster == {}


def test_a_ring_entry_is_answered_by_the_entry_rules(ctx: DetectionContext) -> None:
    detector = ring_detector(ctx)
    shared = decl([("NOW-2", "12-345678901", "Sunrise Imports Inc.", "Apex Export Ltd",
                    "Apex Mfg Co", 10)])
    assert answered(detector, shared, ctx)
    assert same(detector, shared, ctx)["reason_code"].to_list() == ["NET_SHARED_IDENTITY"]
    # Dated long after the history, the group is no longer new: no ring.
    late = shared.with_columns(pl.col("entry_date") + timedelta(days=250))
    assert same(detector, late, ctx).is_empty()
    # Earlier than the history's first date, the entry moves the data's start.
    early = shared.with_columns(pl.col("entry_date") - timedelta(days=400))
    same(detector, early, ctx)


def test_an_entry_whose_factory_might_churn_takes_the_general_path(
        ctx: DetectionContext) -> None:
    """MID churn's base rate reads every factory's MIDs: left to the general path."""
    mids = [("TUN-1", 60), ("TUN-2", 40), ("TUN-3", 20)]
    churning = decl([(f"{e}", "55-5555555-00", "Willow Retail LLC", "Tundra Export Ltd",
                      "Tundra Manufacturing Co Ltd", ago) for e, ago in mids]).with_columns(
        pl.format("CNTUNMAN{}XIA", pl.col("entry_number").str.slice(4)).alias(
            "manufacturer_id"))
    detector = NetworkDetector()
    detector.fit(pl.concat([decl(population([300, 200, 100])), churning], how="diagonal"),
                 ctx)
    now = decl([("TUN-9", "55-5555555-00", "Willow Retail LLC", "Tundra Export Ltd",
                 "Tundra Manufacturing Co Ltd", 1)]).with_columns(
        pl.lit("CNTUNMAN9XIA").alias("manufacturer_id"))
    assert not answered(detector, now, ctx)
    same(detector, now, ctx)


def test_a_burst_without_history_is_answered_by_the_entry_rules(
        ctx: DetectionContext) -> None:
    detector = NetworkDetector()
    detector.fit(decl([]), ctx)
    burst = decl([(f"FLY-{i}", "98-7654321-00", "Quickstart Goods LLC", "Vexlume Export Ltd",
                   "Qorvanth Works Co Ltd", i) for i in range(6)])
    assert answered(detector, burst, ctx)
    same(detector, burst, ctx)
    fitted = ring_detector(ctx)
    assert answered(fitted, burst, ctx)
    same(fitted, burst, ctx)


def own_clusters_as_splink_links_them(detector: NetworkDetector, lines: pl.DataFrame
                                      ) -> bool:
    """Whether the lines' new spellings were found unlinkable; if so, Splink's linking of
    them (the general path's) leaves each its own cluster and merges nothing."""
    parties = entry_parties(lines)
    known = detector._known
    assert known is not None
    records = entry_records(parties)
    new = records.join(known.select("record_id"), on="record_id", how="anti")
    if new.is_empty() or not unlinkable(new, block_counts(known), detector.linkage):
        return False
    assigned, merged, links = detector_module.link_new_records(
        new, known.with_columns(pl.col("cluster").cast(pl.String)), detector.linkage)
    assert links.is_empty() and merged.is_empty()
    assert assigned.sort("record_id")["cluster"].to_list() == new["record_id"].to_list()
    return True


def test_new_spellings_are_linked_as_the_general_path_links_them(
        ctx: DetectionContext) -> None:
    detector = ring_detector(ctx)
    base = ("NOW-5", "12-345678901", "Sunrise Imports Inc.", "Apex Export Ltd", "Apex Mfg Co",
            10)
    spellings: list[tuple[str, pl.DataFrame]] = [
        ("typo", decl([(*base[:2], "Sunrsie Imports Inc.", *base[3:])])),
        ("reordered", decl([(*base[:2], "Imports Sunrise Inc.", *base[3:])])),
        ("seller typo", decl([(*base[:3], "Apex Exprot Ltd", *base[4:])])),
        ("new address", decl([base]).with_columns(
            pl.lit("7 Quarry Rd, Boise, ID 83701").alias("importer_address"))),
        ("brand new", decl([("NOW-6", "77-1234567-00", "Zorblat Quuxworks LLC",
                             "Yimvarr Export Ltd", "Xelquon Mfg Co", 4)])),
        ("brand new, one word", decl([("NOW-7", "66-7654321-00", "Plimsaw",
                                       "Apex Export Ltd", "Apex Mfg Co", 4)])),
    ]
    shortcut = []
    for label, lines in spellings:
        same(detector, lines, ctx)
        if own_clusters_as_splink_links_them(detector, lines):
            shortcut.append(label)
    assert "brand new" in shortcut, shortcut
    assert "typo" not in shortcut and "seller typo" not in shortcut


def test_new_spellings_on_demo_entries(
        demo: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    """Demo entries with their parties respelt: typos, new names and addresses."""
    history, current, outcomes = demo
    day = current["entry_date"].max()
    assert isinstance(day, date)
    ctx = DetectionContext(ref=load_reference_data(), as_of=day, outcomes=outcomes)
    detector = NetworkDetector()
    detector.fit(history, ctx)
    entries = current.select("entry_number").unique(maintain_order=True).head(RESPELT)
    chosen = current.join(entries, on="entry_number")
    variants = [
        chosen.with_columns(pl.col("importer_name").str.reverse()),
        chosen.with_columns(pl.col("seller_name") + " Intl"),
        chosen.with_columns(pl.format("Qz{} Wexport Ltd", pl.col("line_number"))
                            .alias("seller_name")),
        chosen.with_columns(pl.lit("1 Nowhere Ln, Nome, AK 99762").alias("importer_address"),
                            pl.lit("Vrindle Quoxx LLC").alias("importer_name"),
                            pl.lit("13-5792468-00").alias("importer_id")),
    ]
    shortcut = 0
    for frame in variants:
        for _, one in frame.group_by("entry_number", maintain_order=True):
            same(detector, one, ctx)
            shortcut += own_clusters_as_splink_links_them(detector, one)
    assert shortcut > 0
