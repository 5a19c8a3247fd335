"""The ``network`` line detector: cluster rules in the scoring chain, fitted on history."""

from __future__ import annotations

import pickle
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from tradeguard.detectors.base import DetectionContext
from tradeguard.network.detector import NetworkDetector
from tradeguard.network.records import line_parties, occurrences_of
from tradeguard.refdata import load_reference_data

AS_OF = date(2026, 9, 30)
RING_ADDRESS = "100 Harbor Blvd, Dallas, TX 75201"
Line = tuple[str, str, str, str, str, int]  # entry, importer id, importer name, seller, mfr, ago


@pytest.fixture(scope="module")
def ctx() -> DetectionContext:
    return DetectionContext(ref=load_reference_data(), as_of=AS_OF)


def decl(rows: list[Line]) -> pl.DataFrame:
    """Declaration lines (entry header joined): one line per entry, parties as given."""
    frame = pl.DataFrame(rows, orient="row", schema={
        **{c: pl.String for c in ("entry_number", "importer_id", "importer_name",
                                  "seller_name", "manufacturer_name")}, "ago": pl.Int64})
    return frame.with_columns(
        pl.lit(1, dtype=pl.Int64).alias("line_number"),
        (pl.lit(AS_OF) - pl.duration(days=pl.col("ago"))).cast(pl.Date).alias("entry_date"),
        pl.when(pl.col("importer_name").str.to_lowercase().str.starts_with("sunrise"))
        .then(pl.lit(RING_ADDRESS))
        .otherwise(pl.format("{} Main St, Reno, NV 89501", pl.col("ago") + 10))
        .alias("importer_address"),
        pl.lit("US").alias("importer_country"),
        pl.col("manufacturer_name").str.to_uppercase().str.replace_all("[^A-Z]", "")
        .str.slice(0, 8).alias("manufacturer_id"),
        pl.lit(None, dtype=pl.String).alias("manufacturer_address"),
        pl.lit("CN").alias("manufacturer_country"), pl.lit("HK").alias("seller_country"),
        pl.lit(20_000.0).alias("entered_value_usd"),
    ).drop("ago")


TRADE = ["Apex", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Garnet", "Harbor", "Indigo",
         "Juniper", "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Pioneer", "Quartz",
         "Raven", "Sable", "Tundra"]


def population(ago: list[int]) -> list[Line]:
    """Twenty importers buying from twenty different sellers and factories."""
    return [(f"{w[:3].upper()}-{a}", f"{40 + i}-{1000000 + i}00", f"{w} Imports Inc.",
             f"{TRADE[-1 - i]} Export Ltd", f"{TRADE[-1 - i]} Manufacturing Co Ltd", a)
            for i, w in enumerate(TRADE) for a in ago]


def codes(found: pl.DataFrame, code: str) -> list[str]:
    return sorted(found.filter(pl.col("reason_code") == code)["entry_number"].to_list())


def test_a_new_importer_number_joins_a_known_pair_and_every_member_is_raised(
        ctx: DetectionContext) -> None:
    # Two numbers under one EIN root, new this year, each buying its own goods.
    pair: list[Line] = [
        ("SUN-1", "12-345678900", "Sunrise Trading LLC", "Apex Export Ltd", "Apex Mfg Co", 120),
        ("SUN-2", "12-345678901", "Sunrise Imports Inc.", "Cedar Export Ltd", "Cedar Mfg Co",
         100),
    ]
    detector = NetworkDetector()
    detector.fit(decl([*population([300, 200, 100]), *pair]), ctx)
    now: list[Line] = [
        ("NOW-1", "12-345678900", "Sunrise Trading LLC", "Apex Export Ltd", "Apex Mfg Co", 20),
        ("NOW-2", "12-345678901", "Sunrise Imports Inc.", "Cedar Export Ltd", "Cedar Mfg Co",
         10),
    ]
    # Two divisions with a trade each: not a ring.
    quiet = detector.detect(decl([*population([30, 5]), *now]), ctx)
    assert codes(quiet, "NET_SHARED_IDENTITY") == []
    # A third number, a spelling never seen, links to them and buys the first one's goods:
    # the group splits one supplier's trade, and every member's line is raised.
    third: Line = ("NOW-3", "12-345678902", "SUNRISE WHOLESALE", "Apex Export Ltd",
                   "Apex Mfg Co", 3)
    found = detector.detect(decl([*population([30, 5]), *now, third]), ctx)
    assert codes(found, "NET_SHARED_IDENTITY") == ["NOW-1", "NOW-2", "NOW-3"]
    text = found.filter(pl.col("reason_code") == "NET_SHARED_IDENTITY")["text"]
    # Reasons are exported: counts, never the names or numbers of other parties.
    assert text.str.contains("3 importer numbers").all()
    assert text.str.contains("2 of the numbers buy from the same foreign supplier").all()
    assert not text.str.contains("(?i)sunrise|12-3456|apex").any()
    evidence = found.filter(pl.col("reason_code") == "NET_SHARED_IDENTITY")["evidence"]
    assert evidence.str.contains("SUNRISE WHOLESALE").all()
    assert evidence.str.contains("Apex Export Ltd").all()  # the supplier they share


def test_a_multi_division_importer_at_one_address_is_one_party_and_not_a_ring(
        ctx: DetectionContext) -> None:
    hq = "500 Commerce Pkwy, Columbus, OH 43215"
    divisions = [("12-345678900", "Acme Industries Inc.", "Birch"),
                 ("12-345678901", "Acme Industries Inc. Medical Division", "Cedar"),
                 ("12-345678902", "ACME INDUSTRIES AUTOMOTIVE DIV", "Dune")]

    def firm(ago: list[int], tag: str) -> list[Line]:
        return [(f"{tag}{j}-{a}", number, name, f"{trade} Export Ltd", f"{trade} Mfg Co", a)
                for j, (number, name, trade) in enumerate(divisions) for a in ago]

    def at_hq(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(pl.when(pl.col("importer_id").str.starts_with("12-3456789"))
                                  .then(pl.lit(hq)).otherwise("importer_address")
                                  .alias("importer_address"))

    detector = NetworkDetector()
    detector.fit(at_hq(decl([*population([300, 200, 100]), *firm([330, 250, 160], "H")])), ctx)
    batch = at_hq(decl([*population([30, 5]), *firm([20, 8], "ACME")]))
    records = line_parties(batch, history=False).filter(
        pl.col("importer").str.starts_with("12-3456789") & (pl.col("kind") == "importer"))
    clusters, _ = detector._clusters(occurrences_of([records]).select(
        "record_id", "kind", "name", "address", "country", "identifier").unique())
    assert clusters["cluster"].n_unique() == 1  # the divisions are linked as one firm
    assert codes(detector.detect(batch, ctx), "NET_SHARED_IDENTITY") == []
    # The same three numbers new, at one address, all buying one factory's goods: a ring.
    fresh = NetworkDetector()
    fresh.fit(decl(population([300, 200, 100])), ctx)
    ring = at_hq(decl([*population([30, 5]), *[
        (f"RING{j}-{a}", number, name, "Birch Export Ltd", "Birch Mfg Co", a)
        for j, (number, name, _) in enumerate(divisions) for a in (20, 8)]]))
    assert len(codes(fresh.detect(ring, ctx), "NET_SHARED_IDENTITY")) == 6


def violator_history() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Forty one-name sellers and one seller under two names; outcomes of their lines."""
    rows = population([300, 250, 200, 150, 100])
    ring: list[Line] = [(f"RW-{i}", "77-7777777-00", "Lantern Goods Inc.",
                         ["Richway Trading Limited", "Richway Trade Co., Ltd."][i % 2],
                         "Kestrel Manufacturing Co Ltd", 280 - 40 * i) for i in range(5)]
    bad = ["RW-0", "RW-1", "APE-300", "BIR-300"]
    good = ["RW-2", "COB-300", "DEL-300", "EMB-300", "FJO-300", "GAR-300"]
    outcomes = pl.DataFrame({
        "entry_number": bad + good, "line_number": 1,
        "discrepancy": ["true"] * len(bad) + ["false"] * len(good),
        "decided_on": [str(AS_OF - timedelta(days=60))] * (len(bad) + len(good))})
    return decl([*rows, *ring]), outcomes


def test_past_exam_outcomes_make_a_violator_cluster_of_a_seller_under_two_names(
        ctx: DetectionContext) -> None:
    history, outcomes = violator_history()
    now = decl([("NOW-1", "88-8888888-00", "Willow Retail LLC", "RICHWAY TRADING LIMITED",
                 "Tundra Manufacturing Co Ltd", 5), *population([10])])
    detector = NetworkDetector(outcomes=outcomes)
    detector.fit(history, ctx)
    found = detector.detect(now, ctx)
    assert codes(found, "NET_VIOLATOR_CLUSTER") == ["NOW-1"]
    assert "2 names" in found.filter(pl.col("reason_code") == "NET_VIOLATOR_CLUSTER")["text"][0]
    # Outcomes decided after the evaluation date are not known yet.
    later = outcomes.with_columns(pl.lit(str(AS_OF + timedelta(days=1))).alias("decided_on"))
    unaware = NetworkDetector(outcomes=later)
    unaware.fit(history, ctx)
    assert codes(unaware.detect(now, ctx), "NET_VIOLATOR_CLUSTER") == []


def test_the_fitted_detector_ships_pickled_and_finds_the_same(ctx: DetectionContext) -> None:
    history, outcomes = violator_history()
    detector = NetworkDetector(outcomes=outcomes)
    detector.fit(history, ctx)
    now = decl([("NOW-1", "88-8888888-00", "Willow Retail LLC", "Richway Trade Co., Ltd.",
                 "Tundra Manufacturing Co Ltd", 5), *population([10])])
    shipped = pickle.loads(pickle.dumps(detector))
    assert shipped.detect(now, ctx).equals(detector.detect(now, ctx))
    assert not detector.detect(now, ctx).is_empty()


def test_without_history_the_batch_is_resolved_on_its_own(ctx: DetectionContext) -> None:
    detector = NetworkDetector()
    detector.fit(decl([]), ctx)
    ring: list[Line] = [(f"R-{i}", f"12-3456789{i:02d}", name, "Apex Export Ltd",
                         "Apex Mfg Co", 3 + i) for i, name in enumerate(
        ["Sunrise Trading LLC", "Sunrise Imports Inc.", "SUNRISE WHOLESALE"])]
    found = detector.detect(decl([*population([40, 20]), *ring]), ctx)
    assert codes(found, "NET_SHARED_IDENTITY") == ["R-0", "R-1", "R-2"]
    assert detector.detect(decl([]), ctx).is_empty()


def test_a_party_sharing_no_block_with_anyone_is_its_own_cluster(
        ctx: DetectionContext) -> None:
    detector = NetworkDetector()
    detector.fit(decl(population([300, 100])), ctx)
    one = decl([("ONE-1", "99-9999999-00", "Zyxquor Holdings Inc.", "Vexlume Export Ltd",
                 "Qorvanth Works Co Ltd", 2)])
    assert detector.detect(one, ctx).is_empty()
    records, merged = detector._clusters(pl.DataFrame({
        "record_id": ["importer|Zyxquor Holdings Inc.||US|99-9999999-00"],
        "kind": ["importer"], "name": ["Zyxquor Holdings Inc."], "address": [None],
        "country": ["US"], "identifier": ["99-9999999-00"]},
        schema_overrides={"address": pl.String}))
    assert records["cluster"].to_list() == records["record_id"].to_list() and merged.is_empty()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 5])
def test_on_demo_data_the_line_chain_raises_what_network_build_raises(
        seed: int, tmp_path: Path, ctx: DetectionContext) -> None:
    from tradeguard.demo import generate_demo_data
    from tradeguard.network import build_network
    from tradeguard.pipeline.run import declarations

    generate_demo_data(tmp_path, entries=2000, seed=seed, ref=ctx.ref)

    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(tmp_path / f"{name}.csv", infer_schema_length=0)

    entries, lines = read("entries"), read("lines")
    history = (read("history_entries"), read("history_lines"))
    built = build_network(entries, lines, history_entries=history[0],
                          history_lines=history[1]).findings
    batch = declarations(entries, lines)
    day = batch["entry_date"].max()
    assert isinstance(day, date)
    at = DetectionContext(ref=ctx.ref, as_of=day)
    detector = NetworkDetector()
    detector.fit(declarations(*history), at)
    found = detector.detect(batch, at)
    keys = ["entry_number", "line_number", "reason_code"]
    assert found.height > 0
    assert found.select(keys).sort(keys).equals(built.select(keys).sort(keys))
    names = pl.concat([entries["importer_name"], lines["manufacturer_name"],
                       lines["seller_name"]]).drop_nulls().unique()
    names = names.filter(names.str.len_chars() >= 6)
    assert not found["text"].str.contains_any(names.to_list(), ascii_case_insensitive=True
                                              ).any()
