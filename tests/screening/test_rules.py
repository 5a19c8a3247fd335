"""Candidate ranking, the sound-alike rule for ordinary words and misspelled legal forms."""

from __future__ import annotations

import polars as pl

from tradeguard.screening import (
    ScreeningConfig,
    WatchlistIndex,
    compare_names,
    normalise_names,
    prepared_names,
    screen_names,
)

SOUND_ALIKES = ["KORF", "KURF", "KARF", "KIRF", "KERF", "KYRF", "KOURFE", "KAURF", "KOORF"]


def _lists(names: list[str], kind: str = "organization") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "entity_id": [f"E-{i:02d}" for i in range(len(names))],
            "list": ["ofac_sdn"] * len(names),
            "name": names,
            "entity_type": [kind] * len(names),
        }
    )


def _top_candidates(index: WatchlistIndex, name: str, k: int) -> list[str]:
    """The entity ids of the ``k`` candidates kept for ``name`` (sorted, as a set)."""
    queries = normalise_names(pl.DataFrame({"name": [name]}), "name").with_row_index("qid")
    cands = index.candidates(queries, ScreeningConfig(candidates_per_name=k))
    ids = cands.join(index.names.select("slot", "entity_id"), on="slot")["entity_id"]
    return sorted(ids.to_list())


def test_exact_word_outranks_sound_alikes_at_the_cut_off() -> None:
    lists = _lists(["KOURF OOO"] + [f"{w} OOO" for w in SOUND_ALIKES])
    index = WatchlistIndex.build(lists)
    assert _top_candidates(index, "KOURF OOO", 1) == ["E-00"]
    assert not screen_names(pl.DataFrame({"id": ["q"], "name": ["KOURF OOO"]}), index).is_empty()


def test_ties_are_broken_the_same_way_whatever_the_list_order() -> None:
    # Ten names that meet the query on the same two words: a tie the cut-off must break.
    names = [f"KIM {w} CHOL" for w in ("SOK", "YONG", "TONG", "MUN", "SONG", "IL", "NAM", "HO")]
    lists = _lists([*names, "KIM CHOL", "KIM CHOL SU"], kind="person")
    for k in (2, 4):
        picks = []
        for seed in (1, 2, 3):
            shuffled = lists.sample(fraction=1.0, shuffle=True, seed=seed)
            picks.append(_top_candidates(WatchlistIndex.build(shuffled), "KIM SKO CHOL", k))
        assert picks[0] == picks[1] == picks[2]
        assert len(picks[0]) == k
    # "SOK" also meets "SKO" by sound key; then the lightest name ("KIM CHOL") leaves least
    # unexplained; then canonical list order.
    assert picks[0] == ["E-00", "E-01", "E-02", "E-08"]


def test_ordinary_words_that_sound_alike_do_not_make_a_match() -> None:
    index = WatchlistIndex.build(_lists(["ORIENT SHIPPING LIMITED", "ACME MARINE LLC"]))
    declared = pl.DataFrame({"id": ["a"], "name": ["Orient Spinning Pvt. Ltd."]})
    assert screen_names(declared, index).is_empty()
    left, right = prepared_names(
        pl.DataFrame({"name": ["Orient Spinning Pvt. Ltd.", "ORIENT SHIPPING LIMITED"]}), "name"
    )
    assert compare_names(left, right, vocabulary=index.commonness).score < 0.75


def test_sound_alike_lift_depends_on_word_rarity() -> None:
    left, right = prepared_names(
        pl.DataFrame({"name": ["Mohammed Enterprises", "Muhammad Enterprises"], "k": ["org"] * 2}),
        "name",
        "k",
    )
    rare = {m.query: m for m in compare_names(left, right).matched}["mohammed"]
    assert rare.how == "phonetic" and rare.similarity == ScreeningConfig().phonetic_floor
    # The same pair when both spellings are ordinary words in firm names keeps its edit score.
    common = {
        m.query: m
        for m in compare_names(left, right, vocabulary={"mohammed": 1.0, "muhammad": 1.0}).matched
    }["mohammed"]
    assert common.how == "fuzzy" and common.similarity < rare.similarity


def test_transliterated_person_names_still_match() -> None:
    index = WatchlistIndex.build(
        _lists(["Usama bin Laden", "Muhammad Yusuf Hasan", "ALI SHIPPING"], kind="person")
    )
    declared = pl.DataFrame({"id": ["a", "b"], "name": ["Osama bin Laden", "Mohammed Yusuf Hasan"]})
    out = screen_names(declared, index)
    assert dict(zip(out["id"], out["entity_id"], strict=True)) == {"a": "E-00", "b": "E-01"}


def test_misspelled_legal_forms_are_recognised() -> None:
    names = [
        "Acme Steel Joint Tsock",
        "Hengda CO LDT",
        "Nordic Timber LIMTED",
        "Bauer GMBH.",
        "Delta Joint Stock Compnay",
    ]
    norm = normalise_names(pl.DataFrame({"name": names}), "name")
    assert norm["legal_form"].to_list() == ["jsc", "ltd", "ltd", "gmbh", "jsc"]
    assert norm["tokens"].to_list() == [
        ["acme", "steel"],
        ["hengda"],
        ["nordic", "timber"],
        ["bauer"],
        ["delta"],
    ]


def test_ordinary_words_near_a_legal_form_are_left_alone() -> None:
    names = ["Candy Stick", "Speed Limiter", "Blue Ice", "Pet Supply", "Rational Association"]
    norm = normalise_names(pl.DataFrame({"name": names}), "name")
    assert norm["legal_form"].to_list() == [None] * 5
    assert norm["tokens"].to_list()[:3] == [
        ["candy", "stick"],
        ["speed", "limiter"],
        ["blue", "ice"],
    ]


def test_misspelled_form_matches_the_listed_company() -> None:
    index = WatchlistIndex.build(_lists(["Acme Steel JSC"]))
    out = screen_names(pl.DataFrame({"id": ["a"], "name": ["ACME STEEL JOINT TSOCK"]}), index)
    assert out.row(0, named=True)["score"] == 1.0
    assert out.row(0, named=True)["legal_form"] == "same jsc / jsc"
