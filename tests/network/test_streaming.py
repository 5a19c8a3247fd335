"""The network detector over a run read in parts finds what the one-frame algorithm finds on
all its lines at once, however the lines are cut."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import polars as pl
import pytest

from tradeguard.detectors.base import DetectionContext
from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.network.findings import attach_findings, cluster_hits
from tradeguard.network.records import RECORD_SCHEMA, line_parties, occurrences_of
from tradeguard.network.shippers import peer_prices, with_price_flags
from tradeguard.network.streaming import Folder, PartyTally
from tradeguard.refdata import load_reference_data

KEYS = ["entry_number", "line_number", "reason_code"]
Cut = Callable[[pl.DataFrame], list[pl.DataFrame]]


def reference(detector: object, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
    """The specification: every line's own occurrences (one row per declared party) linked,
    priced and run through the rules together with the fitted history, then the findings
    attached to those unfolded rows."""
    from tradeguard.network.detector import NetworkDetector

    assert isinstance(detector, NetworkDetector)
    occ = occurrences_of([line_parties(lines, history=False)])
    if occ.is_empty():
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    records = occ.select("record_id", *RECORD_SCHEMA).unique("record_id").sort("record_id")
    clusters, merged = detector._clusters(records)

    def relabel(frame: pl.DataFrame) -> pl.DataFrame:
        if merged.is_empty():
            return frame
        return frame.join(merged, on="cluster", how="left", maintain_order="left"
                          ).with_columns(pl.coalesce("merged", "cluster").alias("cluster")
                                         ).drop("merged")

    version = pl.lit(detector.linkage.version()).alias("linkage_version")
    cfg = detector._cfg(ctx)
    peers = detector._peers if detector._peers is not None else peer_prices(occ, cfg.shippers)
    current = with_price_flags(occ.join(relabel(clusters), on="record_id"), peers
                               ).with_columns(version)
    every = current
    if detector._history is not None:
        past = relabel(detector._history.with_columns(pl.col(pl.Categorical).cast(pl.String)))
        past = past.with_columns(version, pl.lit(True).alias("history"))
        every = pl.concat([current, past.with_columns(
            *[pl.lit(None, dtype=current.schema[c]).alias(c)
              for c in current.columns if c not in past.columns]).select(current.columns)])
    hits = cluster_hits(every, cfg)
    if detector._violators is not None and not detector._violators.is_empty():
        hits["NET_VIOLATOR_CLUSTER"] = relabel(detector._violators)
    return attach_findings(every, hits)


def one_part(lines: pl.DataFrame) -> list[pl.DataFrame]:
    return [lines]


def small_parts(lines: pl.DataFrame) -> list[pl.DataFrame]:
    return [lines.slice(i, 97) for i in range(0, lines.height, 97)]


def uneven_parts(lines: pl.DataFrame) -> list[pl.DataFrame]:
    """Cut at random places: parts of one line, empty parts, entries split across parts."""
    cuts = np.sort(np.random.default_rng(7).integers(0, lines.height, 12))
    bounds = [0, 1, 1, *cuts.tolist(), lines.height]
    return [lines.slice(a, b - a) for a, b in pairwise(bounds)]


CUTS: dict[str, Cut] = {"one": one_part, "small": small_parts, "uneven": uneven_parts}


def streamed(detector: object, parts: list[pl.DataFrame], ctx: DetectionContext
             ) -> pl.DataFrame:
    from tradeguard.network.detector import NetworkDetector

    assert isinstance(detector, NetworkDetector)
    return detector.detect_in_parts(lambda: iter(parts), ctx)


# (seed, entries, fitted on history): with history every rule but violators fires on demo
# data; without, the run's own priced seller lines are the peer group of the shipper rule and
# every MID is new, so none churns improbably.
DEMO = [(5, 2000, True), (5, 2000, False), (3, 1500, True)]
EXPECTED = {True: {"NET_SHARED_IDENTITY", "NET_MID_CHURN", "NET_FLY_BY_NIGHT",
                   "NET_SHIPPER_CLUSTER"},
            False: {"NET_SHARED_IDENTITY", "NET_FLY_BY_NIGHT", "NET_SHIPPER_CLUSTER"}}
Demo = tuple[object, pl.DataFrame, DetectionContext, pl.DataFrame, bool]


@pytest.fixture(scope="module", params=DEMO, ids=[f"seed{s}-{n}-{'history' if h else 'none'}"
                                                  for s, n, h in DEMO])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """A fitted detector, the demo run's declaration lines, the context, the reference
    findings and whether the detector was fitted on history."""
    from tradeguard.demo import generate_demo_data
    from tradeguard.network.detector import NetworkDetector
    from tradeguard.pipeline.run import declarations

    seed, entries, with_history = request.param
    ref = load_reference_data()
    out = tmp_path_factory.getbasetemp() / f"stream-{seed}-{entries}"
    if not out.exists():
        generate_demo_data(out, entries=entries, seed=seed, ref=ref)

    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(out / f"{name}.csv", infer_schema_length=0)

    lines = declarations(read("entries"), read("lines"))
    day = lines["entry_date"].max()
    assert isinstance(day, date)
    ctx = DetectionContext(ref=ref, as_of=day, outcomes=read("outcomes"))
    history = (declarations(read("history_entries"), read("history_lines")) if with_history
               else lines.clear())
    detector = NetworkDetector()
    detector.fit(history, ctx)
    return detector, lines, ctx, reference(detector, lines, ctx), with_history


@pytest.mark.slow
@pytest.mark.parametrize("cut", list(CUTS))
def test_findings_in_parts_are_the_one_frame_findings(demo: Demo, cut: str) -> None:
    detector, lines, ctx, want, with_history = demo
    # What the comparison covers: the planted rings, fly-by-night importers, shipper
    # clusters and (with history) churning factories are found.
    assert set(want["reason_code"]) == EXPECTED[with_history]
    got = streamed(detector, CUTS[cut](lines), ctx)
    # Same rows, same columns and values: texts and evidence word for word.
    assert got.sort(KEYS).equals(want.sort(KEYS))


@pytest.mark.slow
def test_lines_in_any_order_and_grouping_find_what_their_concatenation_finds(
        demo: Demo) -> None:
    # Parts that are not slices: lines dealt to four parts by entry, in reverse order.
    detector, lines, ctx, _, _ = demo
    dealt = lines.reverse().with_columns(
        (pl.col("entry_number").hash(3) % 4).alias("_part"))
    parts = [p.drop("_part") for p in dealt.partition_by("_part", maintain_order=True)]
    want = reference(detector, pl.concat(parts), ctx)
    got = streamed(detector, parts, ctx)
    assert got.equals(want)  # in the same order too


@pytest.mark.slow
def test_what_is_kept_between_passes_grows_with_parties_not_lines(demo: Demo) -> None:
    _, lines, _, _, _ = demo

    def tally(copies: int) -> PartyTally:
        kept = PartyTally(peers=None)
        for k in range(copies):
            # The same parties trading again: new entry numbers, same lines otherwise.
            again = lines.with_columns(pl.col("entry_number") + f"-{k}")
            kept.add(occurrences_of([line_parties(again, history=False)]))
        return kept

    once, thrice = tally(1), tally(3)
    assert thrice.records.table.height == once.records.table.height
    assert thrice.parties.folded().height == once.parties.folded().height
    assert once.parties.folded().height < lines.height
    assert thrice.entries.folded().height == 3 * once.entries.folded().height


AS_OF = date(2026, 9, 30)


def declared(rows: list[tuple[str, str, str, str, str, int]]) -> pl.DataFrame:
    """One line per entry: entry, importer number and name, seller, manufacturer, days ago."""
    frame = pl.DataFrame(rows, orient="row", schema={
        **{c: pl.String for c in ("entry_number", "importer_id", "importer_name",
                                  "seller_name", "manufacturer_name")}, "ago": pl.Int64})
    return frame.with_columns(
        pl.lit(1, dtype=pl.Int64).alias("line_number"),
        (pl.lit(AS_OF) - pl.duration(days=pl.col("ago"))).cast(pl.Date).alias("entry_date"),
        pl.format("{} Main St, Reno, NV 89501", pl.col("ago") + 10).alias("importer_address"),
        pl.lit("US").alias("importer_country"),
        pl.col("manufacturer_name").str.to_uppercase().str.replace_all("[^A-Z]", "")
        .str.slice(0, 8).alias("manufacturer_id"),
        pl.lit("CN").alias("manufacturer_country"), pl.lit("HK").alias("seller_country"),
        (pl.col("ago") * 37.5 + 1000.25).alias("entered_value_usd"),
    ).drop("ago")


TRADE = ["Apex", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Garnet", "Harbor", "Indigo",
         "Juniper", "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Pioneer", "Quartz",
         "Raven", "Sable", "Tundra"]


def population(ago: list[int]) -> list[tuple[str, str, str, str, str, int]]:
    return [(f"{w[:3].upper()}-{a}", f"{40 + i}-{1000000 + i}00", f"{w} Imports Inc.",
             f"{TRADE[-1 - i]} Export Ltd", f"{TRADE[-1 - i]} Manufacturing Co Ltd", a)
            for i, w in enumerate(TRADE) for a in ago]


def test_a_violator_cluster_found_at_fit_is_raised_on_lines_in_any_part() -> None:
    from tradeguard.network.detector import NetworkDetector

    ctx = DetectionContext(ref=load_reference_data(), as_of=AS_OF)
    # One seller under two names whose lines kept failing exams, among one-name sellers.
    ring = [(f"RW-{i}", "77-7777777-00", "Lantern Goods Inc.",
             ["Richway Trading Limited", "Richway Trade Co., Ltd."][i % 2],
             "Kestrel Manufacturing Co Ltd", 280 - 40 * i) for i in range(5)]
    bad, good = ["RW-0", "RW-1", "APE-300", "BIR-300"], ["RW-2", "COB-300", "DEL-300"]
    outcomes = pl.DataFrame({"entry_number": bad + good, "line_number": 1,
                             "discrepancy": ["true"] * len(bad) + ["false"] * len(good),
                             "decided_on": str(AS_OF - timedelta(days=60))})
    detector = NetworkDetector(outcomes=outcomes)
    detector.fit(declared([*population([300, 250, 200, 150, 100]), *ring]), ctx)
    now = declared([*population([10, 4]),
                    ("NOW-1", "88-8888888-00", "Willow Retail LLC", "RICHWAY TRADING LIMITED",
                     "Tundra Manufacturing Co Ltd", 5),
                    ("NOW-2", "88-8888888-00", "Willow Retail LLC", "Richway Trade Co., Ltd.",
                     "Raven Manufacturing Co Ltd", 2)])
    want = reference(detector, now, ctx)
    assert sorted(want.filter(pl.col("reason_code") == "NET_VIOLATOR_CLUSTER")["entry_number"]
                  ) == ["NOW-1", "NOW-2"]
    for parts in ([now], [now.slice(i, 1) for i in range(now.height)], [now.head(0), now]):
        assert streamed(detector, parts, ctx).equals(want)
    assert detector.detect(now, ctx).equals(want)


def test_a_run_without_named_parties_has_no_findings() -> None:
    from tradeguard.network.detector import NetworkDetector

    ctx = DetectionContext(ref=load_reference_data(), as_of=AS_OF)
    detector = NetworkDetector()
    detector.fit(declared(population([300, 100])), ctx)
    nameless = declared(population([5])).with_columns(
        pl.lit(None, dtype=pl.String).alias(c)
        for c in ("importer_name", "seller_name", "manufacturer_name"))
    assert streamed(detector, [nameless, nameless.head(0)], ctx).is_empty()
    assert streamed(detector, [], ctx).is_empty()


def test_folding_as_parts_arrive_is_folding_everything_at_once() -> None:
    rng = np.random.default_rng(3)
    rows = pl.DataFrame({"code": rng.integers(0, 40, 5000), "importer": rng.choice(
        ["A", "B", None], 5000), "n": rng.integers(1, 4, 5000),
        "date": rng.integers(0, 900, 5000)})
    whole = rows.group_by("code", "importer").agg(
        pl.col("n").sum(), pl.col("date").min().alias("first"), pl.col("date").max())
    folder = Folder(["code", "importer"], {"n": "sum", "first": "min", "date": "max"},
                    refold_rows=50)
    for part in rows.with_columns(pl.col("date").alias("first")).iter_slices(137):
        folder.add(part)
    order = ["code", "importer"]
    assert folder.folded().select(whole.columns).sort(order, nulls_last=True).equals(
        whole.sort(order, nulls_last=True))
