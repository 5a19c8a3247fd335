"""Matching once per name form: the same matches as screening each party on its own."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from rapidfuzz import fuzz, process
from tests.screening.test_cache import _lists

from tradeguard.screening import ScreeningConfig, WatchlistIndex, screen_names
from tradeguard.screening.engine import party_queries, screen_parties
from tradeguard.screening.quick import TEXTS, name_texts, quick_screens


def _index() -> WatchlistIndex:
    return WatchlistIndex.build(_lists(), {"uflpa": "v1", "ofac_sdn": "v2"})


PARTIES = pl.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e"],
        # a, b, c: one name form, three countries and addresses; d: the same form spelled
        # otherwise; e: no match.
        "name": ["Hoshine Silicon Industry Co Ltd", "Hoshine Silicon Industry Co Ltd",
                 "Hoshine Silicon Industry Co Ltd", "HOSHINE SILICON INDUSTRY CO., LTD.",
                 "Blue Ocean Foods"],
        "country": ["CN", "RU", None, "CN", "CN"],
        "address": ["Shihezi, Xinjiang", "Moscow", None, None, None],
    }
)


def test_parties_sharing_a_name_are_each_weighed_on_their_own() -> None:
    cfg = ScreeningConfig(threshold=0.85)
    together = screen_parties(party_queries(PARTIES), _index(), cfg)
    alone = pl.concat([screen_parties(party_queries(PARTIES.slice(i, 1)), _index(), cfg)
                       .with_columns(id=pl.lit(PARTIES["id"][i]))
                       for i in range(PARTIES.height)])
    best_first = alone.sort(["id", "score", "list", "entity_id", "matched_name"],
                            descending=[False, True, False, False, False])
    assert_frame_equal(together, best_first)
    score = dict(zip(together["id"], together["score"], strict=True))
    assert set(score) == {"a", "b", "c", "d"}
    # One name, but the country and address agree for a, the country contradicts for b.
    evidence = {r["id"]: (r["country_evidence"], r["address_evidence"])
                for r in together.iter_rows(named=True)}
    assert evidence["a"][0].startswith("agrees") and evidence["a"][1].startswith("agrees")
    assert evidence["b"][0].startswith("differs")
    assert evidence["c"] == ("not compared", "not compared")
    assert score["b"] < score["c"]


def test_a_name_screened_before_is_not_matched_again(monkeypatch: pytest.MonkeyPatch) -> None:
    index, cfg = _index(), ScreeningConfig(threshold=0.85)
    searched: list[int] = []
    candidates = WatchlistIndex.candidates

    def counted(self: WatchlistIndex, queries: pl.DataFrame,
                config: ScreeningConfig) -> pl.DataFrame:
        searched.append(queries.height)
        return candidates(self, queries, config)

    monkeypatch.setattr(WatchlistIndex, "candidates", counted)
    screen_names(PARTIES.filter(pl.col("id") == "a"), index, cfg)
    later = screen_names(PARTIES.filter(pl.col("id").is_in(["b", "d"])), index, cfg)
    assert searched == [1]  # b and d are new parties, but their name form is known
    screen_names(PARTIES.filter(pl.col("id") == "e"), index, cfg)
    assert searched == [1, 1]
    fresh = screen_names(PARTIES.filter(pl.col("id").is_in(["b", "d"])), _index(), cfg)
    assert_frame_equal(later, fresh)


def _reference(q: list[str], ls: list[str], least: float) -> list[bool]:
    """All three quick screens on every pair, the best applicable one against ``least``;
    the token-set screen applies when either name has at most one word more."""
    sort = process.cpdist(q, ls, scorer=fuzz.token_sort_ratio)
    joined = process.cpdist([s.replace(" ", "") for s in q], [s.replace(" ", "") for s in ls],
                            scorer=fuzz.ratio)
    token_set = process.cpdist(q, ls, scorer=fuzz.token_set_ratio)
    extra = np.array([len(a.split()) - len(b.split()) for a, b in zip(q, ls, strict=True)])
    few = np.abs(extra) <= 1
    best = np.maximum(np.maximum(sort, joined), np.where(few, token_set, 0)) / 100
    return (best.astype(np.float64) >= least).tolist()


@pytest.mark.parametrize("least", [0.0, 0.65, 0.9])
def test_quick_screens_pass_a_pair_when_any_screen_reaches_the_floor(least: float) -> None:
    names = ["hoshine silicon industry", "hoshinesilicon industry", "silicon hoshine",
             "hoshine silicon industry xinjiang", "acme steel", "acme steel works plant",
             "blue ocean foods", "sergei lavrov", "lavrov sergei v", "s lavrov"]
    q = [a for a in names for _ in names]
    ls = [b for _ in names for b in names]
    queries = pl.DataFrame({"tokens": [n.split() for n in names]}).select(
        name_texts(pl.col("tokens")))
    assert queries.columns == list(TEXTS)
    # every name against every name, through positions into the one table of names
    qids = np.repeat(np.arange(len(names)), len(names))
    slots = np.tile(np.arange(len(names)), len(names))
    got = quick_screens(queries, queries, qids, slots, least).tolist()
    assert got == _reference(q, ls, least)
    assert any(got) and (least == 0.0 or not all(got))


def test_quick_screens_read_each_pairs_names_by_position() -> None:
    declared = ["acme steel works", "blue ocean foods", "sergei lavrov", "hoshine silicon"]
    listed = ["lavrov sergei", "acme steel", "ocean blue food co", "nothing alike here",
              "hoshinesilicon", "steel acme works ltd"]
    pairs = [(q, lst) for q in range(len(declared)) for lst in range(len(listed))]
    random.Random(5).shuffle(pairs)
    pairs = pairs[:-5]  # some listed names meet only some declared names, in no order

    def texts(names: list[str]) -> pl.DataFrame:
        return pl.DataFrame({"tokens": [n.split() for n in names]}).select(
            name_texts(pl.col("tokens")))

    qids = np.array([q for q, _ in pairs])
    slots = np.array([lst for _, lst in pairs])
    got = quick_screens(texts(declared), texts(listed), qids, slots, 0.65).tolist()
    assert got == _reference([declared[q] for q in qids], [listed[s] for s in slots], 0.65)
    assert 0 < sum(got) < len(got)
