"""One entry's parties screened name by name give exactly what the batch screening gives.

A scored request holds 1-5 lines; its parties are screened without frame queries
(``screening/entry.py``), and the forced-labor and watch-list detectors answer an entry with
no listed party and no Xinjiang address from lookups alone (``detectors/forced_labor/entry.py``).
Each test runs both paths on every recent demo entry (parties never seen before, then
remembered) and on edge cases, and compares the rows, their order, types and texts.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.request_demo import (
    demo_declarations,
    latest_entries,
    one_by_one,
    read_demo,
)

from tradeguard.detectors import watchlist as wl_module
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.forced_labor import detector as fl_module
from tradeguard.detectors.forced_labor import parties as parties_module
from tradeguard.detectors.forced_labor.detector import ForcedLaborDetector
from tradeguard.detectors.forced_labor.entry import names_xinjiang
from tradeguard.detectors.forced_labor.parties import ListScreen, ScreenCache
from tradeguard.detectors.watchlist import WatchlistDetector
from tradeguard.engines.shipping import pack
from tradeguard.refdata import load_reference_data
from tradeguard.screening import ScreeningConfig, normalise_names, screen_names, xuar_places
from tradeguard.screening.cache import ScreeningCache
from tradeguard.screening.entry import screen_entry
from tradeguard.screening.entry_lookup import name_form

Party = tuple[str | None, str | None, str | None]
#: Entries the forced-labor detector left to its batch path on the entry path's first pass.
GENERAL_CALLS: list[list[str]] = []
ROLES = (("manufacturer_name", "manufacturer_country", "manufacturer_address"),
         ("seller_name", "seller_country", None),
         ("importer_name", "importer_country", "importer_address"))
QUERY_SCHEMA = {"id": pl.String, "name": pl.String, "country": pl.String, "address": pl.String}
EDGE_NAMES = [None, "", "   ", "Co., Ltd.", "Mr. John Smith", "李明贸易有限公司", "ООО Ромашка",
              "ACME Trading co ldt", "The 1st National Bank", "a.b.c. trading & co",
              "Hoshine Silicon Industry (Shanshan) Co Ltd", "OAO  Rosneft'", "X",
              "Ürümqi Cotton Textile Joint Tsock Co", "Dr. Ali bin Hassan al-Tikriti"]


@pytest.fixture(scope="module", autouse=True)
def _one_index_per_list_set() -> Iterator[None]:
    """Each detector gets its own list index with empty memories (as a first request does),
    built once per module: an index over the sanctions lists takes seconds to build."""
    built: dict[tuple[str, ...], ListScreen] = {}
    original = ListScreen.build.__func__  # type: ignore[attr-defined]

    def build(cls: type[ListScreen], watchlists: pl.DataFrame, versions: dict[str, str],
              lists: Sequence[str], config: ScreeningConfig | None = None,
              keep: pl.Expr | None = None) -> ListScreen:
        key = (*lists, config.model_dump_json() if config else "", str(keep), str(versions))
        if key not in built:
            built[key] = original(cls, watchlists, versions, lists, config, keep)
        base = built[key]
        return replace(base, cache=ScreenCache(),
                       index=replace(base.index, cache=ScreeningCache()))

    with pytest.MonkeyPatch.context() as m:
        m.setattr(ListScreen, "build", classmethod(build))
        yield


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict[str, pl.DataFrame]:
    """The latest ENTRIES_USED entries' declarations plus the entries with a forced-labor or
    watch-list finding (the demo plants listed parties), the supply chain and every line."""
    out = demo_dir
    decl = demo_declarations(out)
    numbers = latest_entries(decl)
    ctx = _ctx(decl)
    flagged = pl.concat([ForcedLaborDetector().detect(decl, ctx),
                         WatchlistDetector().detect(decl, ctx)])["entry_number"].unique().sort()
    chosen = pl.concat([numbers, flagged.head(30)]).unique()
    return {"current": decl.filter(pl.col("entry_number").is_in(chosen.implode())),
            "all": decl, "chain": read_demo(out, "supply_chain")}


def _ctx(decl: pl.DataFrame, chain: pl.DataFrame | None = None) -> DetectionContext:
    day = decl.get_column("entry_date").max()
    assert isinstance(day, date)
    return DetectionContext(ref=load_reference_data(), as_of=day, supply_chain=chain)


def _parties(lines: pl.DataFrame) -> list[Party]:
    out: dict[Party, None] = {}
    for name, country, address in ROLES:
        cols = [name, country, address] if address else [name, country]
        for row in lines.select(cols).iter_rows():
            out[(row[0], row[1], row[2] if address else None)] = None
    return list(out)


def test_name_forms_equal_the_column_normaliser(demo: dict[str, pl.DataFrame]) -> None:
    decl, chain, lists = demo["all"], demo["chain"], load_reference_data().watchlists
    names = [*decl.get_column("manufacturer_name").to_list(),
             *decl.get_column("seller_name").to_list(),
             *decl.get_column("importer_name").to_list(),
             *chain.get_column("supplier_name").to_list(),
             *lists.get_column("name").to_list(),
             *[a for al in lists.get_column("aliases").drop_nulls().to_list() for a in al],
             *EDGE_NAMES]
    distinct = list(dict.fromkeys(names))
    want = normalise_names(pl.DataFrame({"name": distinct}, schema={"name": pl.String}), "name")
    got = [name_form(n) for n in distinct]
    expected = [(tuple(t), tuple(k), f) for t, k, f in want.select(
        "tokens", "keys", "legal_form").iter_rows()]
    assert len(got) > 15_000
    assert got == expected


@pytest.mark.parametrize("detector", [ForcedLaborDetector, WatchlistDetector])
def test_entry_screening_gives_the_batch_rows(
    demo: dict[str, pl.DataFrame], detector: type[ForcedLaborDetector | WatchlistDetector],
) -> None:
    current = demo["current"]
    ctx = _ctx(current)
    screen = detector().screen_for(ctx)
    lists = screen.index.names
    # Listed names as declared (with and without the listed country) make sure hits are met.
    planted: list[Party] = [(n, c if i % 2 else None, None) for i, (n, c) in enumerate(
        lists.select("variant", "country").gather_every(max(1, lists.height // 60)).iter_rows())]
    groups = [_parties(lines) for lines in one_by_one(current)]
    groups += [planted[i:i + 4] for i in range(0, len(planted), 4)]
    groups.append([(n, "CN", "Urumqi, Xinjiang") for n in EDGE_NAMES])
    hits = 0
    for group in groups:
        queries = [(str(i), *party) for i, party in enumerate(group)]
        screen.index.cache.clear()  # the batch path computes, not recalls
        want = screen_names(pl.DataFrame(queries, schema=QUERY_SCHEMA, orient="row"),
                            screen.index, screen.config)
        got = screen_entry(queries, screen.index, screen.config)
        assert_frame_equal(got, want)
        hits += want.height
    assert hits > 20


def _both_paths(
    detector: type[ForcedLaborDetector | WatchlistDetector], entries: list[pl.DataFrame],
    ctx: DetectionContext, monkeypatch: pytest.MonkeyPatch,
) -> tuple[list[pl.DataFrame], list[pl.DataFrame], list[pl.DataFrame]]:
    """(entry path first seen, entry path remembered, batch path) findings per entry."""
    quick = detector()
    quick.fit(pl.DataFrame(), ctx)
    if isinstance(quick, ForcedLaborDetector):
        general_hits = quick.hits

        def counted(lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
            GENERAL_CALLS.append(lines.get_column("entry_number").to_list())
            return general_hits(lines, ctx)

        quick.hits = counted  # type: ignore[method-assign]
    first = [quick.detect(lines, ctx) for lines in entries]
    again = [quick.detect(lines, ctx) for lines in entries]
    with monkeypatch.context() as m:
        m.setattr(fl_module, "ENTRY_LINES", -1)
        m.setattr(wl_module, "ENTRY_LINES", -1)
        m.setattr(parties_module, "CACHED_BATCH", -1)
        general = detector()
        general.fit(pl.DataFrame(), ctx)
        batch = [general.detect(lines, ctx) for lines in entries]
    return first, again, batch


@pytest.mark.parametrize("detector", [ForcedLaborDetector, WatchlistDetector])
def test_detector_findings_per_entry_equal_the_batch_path(
    demo: dict[str, pl.DataFrame], detector: type[ForcedLaborDetector | WatchlistDetector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    current = demo["current"]
    entries = one_by_one(current)
    GENERAL_CALLS.clear()
    first, again, batch = _both_paths(detector, entries, _ctx(current), monkeypatch)
    for a, b, want in zip(first, again, batch, strict=True):
        assert_frame_equal(a, want)
        assert_frame_equal(b, want)
    assert sum(f.height for f in batch) > 0, "the demo plants listed parties"
    if detector is ForcedLaborDetector:
        # Most entries with findings (goods from an at-risk origin with no chain) are written
        # by the entry path itself, not left to the batch path.
        flagged = [f for f in first if f.height]
        assert len(flagged) > 10
        assert len(GENERAL_CALLS) < len(flagged)


def _edgeone_by_one(decl: pl.DataFrame) -> list[pl.DataFrame]:
    """Odd entries: no lines, null and blank names, a listed name, Xinjiang addresses,
    cotton from China, another text type for names."""
    one = decl.head(1)
    listed = load_reference_data().watchlists.filter(pl.col("list") == "uflpa")
    name = listed.get_column("name")[0]
    sdn = load_reference_data().watchlists.filter(pl.col("list") == "ofac_sdn")
    person = sdn.get_column("name")[0]
    return [
        one.clear(),
        one.with_columns(manufacturer_name=pl.lit(None, dtype=pl.String),
                         seller_name=pl.lit("   ")),
        one.with_columns(manufacturer_name=pl.lit(name), seller_name=pl.lit(person),
                         importer_name=pl.lit(person)),
        one.with_columns(manufacturer_address=pl.lit("新疆乌鲁木齐市")),
        one.with_columns(manufacturer_address=pl.lit("No. 5 Road, Kashgar, China")),
        one.with_columns(manufacturer_address=pl.lit("12 Ili Street, Hami Town")),
        one.with_columns(hts_code=pl.lit("5208120000"), country_of_origin=pl.lit("cn"),
                         description=pl.lit("COTTON FABRIC")),
        one.with_columns(hts_code=pl.lit("6109100012"), country_of_origin=pl.lit("CN"),
                         description=pl.lit("T-SHIRTS, KNIT")),
        one.with_columns(hts_code=pl.lit("0702000000"), country_of_origin=pl.lit("MO")),
        one.with_columns(hts_code=pl.lit("6109.10.0012"), country_of_origin=pl.lit("CN"),
                         description=pl.lit("ＣＯＴＴＯＮ tees")),
        one.with_columns(hts_code=pl.lit("7208100000"), country_of_origin=pl.lit("HK"),
                         entry_date=pl.lit(date(2025, 8, 18))),
        one.with_columns(hts_code=pl.lit("7208100000"), country_of_origin=pl.lit("HK"),
                         entry_date=pl.lit(None, dtype=pl.Date)),
        one.with_columns(hts_code=pl.lit("0813409000"), country_of_origin=pl.lit("CN"),
                         description=pl.lit("dried jujube 'red dates'")),
        pl.concat([one, one]).with_columns(hts_code=pl.lit("5208120000"),
                                           country_of_origin=pl.lit("CN")),
        one.with_columns(country_of_origin=pl.lit(None, dtype=pl.String)),
        one.with_columns(pl.col("line_number").cast(pl.String)),
        one.with_columns(manufacturer_name=pl.lit(7)),
        one.drop("manufacturer_name", "seller_name"),
        pl.concat([one, one.with_columns(line_number=pl.lit(2, dtype=pl.Int64),
                                         seller_name=pl.lit(name))]),
    ]


@pytest.mark.parametrize(("detector", "least"), [(ForcedLaborDetector, 4),
                                                 (WatchlistDetector, 1)])
def test_edge_entries_equal_the_batch_path(
    demo: dict[str, pl.DataFrame], detector: type[ForcedLaborDetector | WatchlistDetector],
    least: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    current = demo["current"]
    entries = _edgeone_by_one(current)
    first, again, batch = _both_paths(detector, entries, _ctx(current), monkeypatch)
    for a, b, want in zip(first, again, batch, strict=True):
        assert_frame_equal(a, want)
        assert_frame_equal(b, want)
    assert sum(f.height for f in batch) >= least


def test_entries_with_a_supply_chain_equal_the_batch_path(
    demo: dict[str, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    current, chain = demo["current"], demo["chain"]
    entries = one_by_one(current)
    first, again, batch = _both_paths(ForcedLaborDetector, entries, _ctx(current, chain),
                                      monkeypatch)
    for a, b, want in zip(first, again, batch, strict=True):
        assert_frame_equal(a, want)
        assert_frame_equal(b, want)


def test_xinjiang_check_never_misses_a_place_the_batch_path_finds(
    demo: dict[str, pl.DataFrame],
) -> None:
    addresses = [*demo["all"].get_column("manufacturer_address").drop_nulls().unique(),
                 *demo["chain"].get_column("supplier_address").drop_nulls().unique(),
                 "Kashgar", "kashgar!", "KASHGAR", "Xinjiang_Road", "ürümqi", "Hotan-7",
                 "新疆乌鲁木齐市", "ÜRÜMQI", "Kashgar路", "Hotanå", "Ili"]
    found = pl.select(xuar_places(pl.lit(pl.Series(addresses, dtype=pl.String)))).to_series()
    for address, places in zip(addresses, found.to_list(), strict=True):
        assert names_xinjiang(address) == bool(places), address


def test_index_lookups_are_made_once_and_never_pickled(
    demo: dict[str, pl.DataFrame],
) -> None:
    screen = ForcedLaborDetector().screen_for(_ctx(demo["current"]))
    made = screen.index.entry_lookup()
    assert screen.index.entry_lookup() is made
    copy = pickle.loads(pickle.dumps(screen.index.entry))
    assert copy.get(screen.index.names, screen.index.keys) is not made
    assert copy.get(screen.index.names, screen.index.keys).bkeys == made.bkeys


def test_a_fitted_detector_pickles_without_its_lookups(
    demo: dict[str, pl.DataFrame],
) -> None:
    current = demo["current"]
    ctx = _ctx(current)
    fitted = ForcedLaborDetector()
    fitted.fit(pl.DataFrame(), ctx)
    copy = pickle.loads(pack(fitted))  # as a fitted run is shipped to batch workers
    assert copy._tariff is not None and not copy._tariff.by_number
    for lines in one_by_one(current)[:20]:
        assert_frame_equal(copy.detect(lines, ctx), fitted.detect(lines, ctx))


@pytest.mark.parametrize("detector", [ForcedLaborDetector, WatchlistDetector])
def test_parties_screened_ahead_give_the_same_findings(
    demo: dict[str, pl.DataFrame], detector: type[ForcedLaborDetector | WatchlistDetector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    current = demo["current"]
    ctx = _ctx(current)
    entries = one_by_one(current)[-40:]
    _, _, batch = _both_paths(detector, entries, ctx, monkeypatch)
    ahead = detector()
    ahead.fit(pl.DataFrame(), ctx)
    ahead.remember(current.head(300), ctx)  # a batch screened ahead, as batch engines do
    assert ahead.screen_for(ctx).index.cache.remembers(ahead.screen_for(ctx).config
                                                        .model_dump_json())
    for lines, want in zip(entries, batch, strict=True):
        assert_frame_equal(ahead.detect(lines, ctx), want)
