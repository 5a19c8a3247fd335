"""Remembered screening results: the same matches as screening afresh, screened once."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tradeguard.engines.shipping import pack, unpack
from tradeguard.screening import ScreeningConfig, WatchlistIndex, normalise_names, screen_names
from tradeguard.screening.cache import NAME_FORM, NameForms
from tradeguard.screening.engine import party_queries, screen_parties


def _lists() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "entity_id": ["U-1", "S-2"],
            "list": ["uflpa", "ofac_sdn"],
            "name": ["Hoshine Silicon Industry Co., Ltd.", "Acme Steel JSC"],
            "aliases": [["Hesheng Guiye"], []],
            "country": ["CN", "RU"],
            "addresses": [["Shihezi, Xinjiang"], []],
            "entity_type": ["organization", "organization"],
        }
    )


@pytest.fixture()
def index() -> WatchlistIndex:
    return WatchlistIndex.build(_lists(), {"uflpa": "v1", "ofac_sdn": "v2"})


NAMES = pl.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e"],
        "name": ["HOSHINE SILICON IND CO LTD", "Acme Steel JSC", "Blue Ocean Foods",
                 "HOSHINE SILICON IND CO LTD", "Hoshine Silicon Industry"],
        "country": ["CN", "CN", None, "RU", "CN"],
        "address": ["Shihezi, Xinjiang", None, None, None, None],
    }
)


def test_cached_answer_equals_fresh_screening(index: WatchlistIndex) -> None:
    cfg = ScreeningConfig(threshold=0.85)
    first = screen_names(NAMES, index, cfg)
    again = screen_names(NAMES, index, cfg)
    fresh = screen_parties(party_queries(NAMES), index, cfg)
    assert set(first["id"]) == {"a", "b", "d", "e"}
    assert_frame_equal(first, again)
    assert_frame_equal(first, fresh)


def test_each_distinct_party_is_screened_once(index: WatchlistIndex) -> None:
    calls: list[int] = []
    cfg = ScreeningConfig(threshold=0.85)
    settings = cfg.model_dump_json()

    def screen(parties: pl.DataFrame) -> pl.DataFrame:
        calls.append(parties.height)
        return screen_parties(parties, index, cfg)

    queries = party_queries(NAMES)
    index.cache.matches(queries, settings, screen)
    # a and d share a name but not a country: both are distinct parties.
    assert calls == [5]
    later = party_queries(pl.DataFrame({"id": ["x", "y"], "name": ["Acme Steel JSC", "New Co"],
                                        "country": ["CN", None], "address": [None, None]}))
    found = index.cache.matches(later, settings, screen)
    assert calls == [5, 1]  # only "New Co" was new
    assert found["id"].to_list() == ["x"]
    assert len(index.cache) == 6


def test_settings_are_remembered_apart(index: WatchlistIndex) -> None:
    # "Acme Steel JSC" declared in CN, listed in RU: 0.9 after the country penalty.
    loose, strict = ScreeningConfig(threshold=0.85), ScreeningConfig(threshold=0.95)
    names = NAMES.filter(pl.col("id") == "b")
    assert screen_names(names, index, loose).height > 0
    assert screen_names(names, index, strict).is_empty()
    assert screen_names(names, index, loose).height > 0


def test_memory_starts_afresh_past_its_bound(index: WatchlistIndex) -> None:
    index.cache.max_parties = 3
    cfg = ScreeningConfig()
    screen_names(NAMES, index, cfg)
    assert len(index.cache) == 5  # one call is kept whole
    out = screen_names(NAMES.head(2), index, cfg)
    assert len(index.cache) == 2
    assert_frame_equal(out, screen_parties(party_queries(NAMES.head(2)), index, cfg))


def test_a_name_is_normalised_once_and_as_normalise_names_would() -> None:
    forms = NameForms()
    seen: list[list[str]] = []

    def normalise(fresh: pl.DataFrame) -> pl.DataFrame:
        seen.append(fresh.get_column("name").to_list())
        return normalise_names(fresh, "name")

    first = forms.of(pl.Series(["Acme Steel JSC", None, "Blue Ocean Foods"]), normalise)
    later = forms.of(pl.Series(["Blue Ocean Foods", "HOSHINE SILICON IND CO LTD", None]),
                     normalise)
    assert seen == [["Acme Steel JSC", None, "Blue Ocean Foods"], ["HOSHINE SILICON IND CO LTD"]]
    assert len(forms) == 4
    assert later.get_column("name").to_list() == ["Blue Ocean Foods",
                                                  "HOSHINE SILICON IND CO LTD", None]
    direct = normalise_names(later.select("name"), "name").select("name", *NAME_FORM)
    assert_frame_equal(later, direct)
    assert first.item(1, "legal_form") is None and first.get_column("tokens")[1].len() == 0


def test_indexes_shipped_together_share_one_memory_of_name_forms() -> None:
    one, other = (WatchlistIndex.build(_lists()) for _ in range(2))
    assert one.forms is other.forms  # built in one process
    shipped = unpack(pack((one, other)))
    assert shipped[0].forms is shipped[1].forms
    assert shipped[0].forms is not one.forms
    cfg = ScreeningConfig(threshold=0.85)
    names = NAMES.with_columns(pl.col("name") + " Holdings")  # names no test screened yet
    before = len(shipped[1].forms)
    screen_names(names, shipped[0], cfg)
    known = len(shipped[1].forms)
    assert known == before + names.get_column("name").n_unique()
    screen_names(names, shipped[1], cfg)  # the other lists: no name normalised again
    assert len(shipped[1].forms) == known
