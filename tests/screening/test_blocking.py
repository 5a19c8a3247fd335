"""Work done once per distinct word or name gives what working per row gives."""

from __future__ import annotations

import random

import polars as pl
from tests.screening.test_cache import _lists

from tradeguard.screening import ScreeningConfig, WatchlistIndex
from tradeguard.screening.blocking import blocking_keys, token_rows
from tradeguard.screening.normalise import _DOUBLED, _phonetic, _sound_keys, normalise_names
from tradeguard.screening.scorer import _add_joined, _joined_runs

NAMES = ["Hoshine Silicon Industry Co Ltd", "Silicon Silicon Trading", "Xinjiang Hoshine",
         "Al Qaida", "Acme Steel Works Steel", "Blue Ocean Foods", "HOSHINESILICON IND"]


def _reference_keys(named: pl.DataFrame) -> set[tuple[int, int, str]]:
    """Blocking keys built word by word, name by name, in plain Python."""
    keys: set[tuple[int, int, str]] = set()
    for qid, tokens, sounds in named.select("qid", "tokens", "keys").iter_rows():
        for pos, (word, sound) in enumerate(zip(tokens, sounds, strict=True)):
            keys.add((qid, pos, "t:" + word))
            if pos + 1 < len(tokens):
                keys.add((qid, pos, "t:" + word + tokens[pos + 1]))
            if len(sound) >= 2:
                keys.add((qid, pos, "p:" + sound))
            if len(word) >= 4:
                keys.add((qid, pos, "d:" + word))
                keys.update((qid, pos, "d:" + word[:cut] + word[cut + 1:])
                            for cut in range(len(word)))
        for a in range(len(tokens)):
            for b in range(a + 1, len(tokens)):
                low, high = sorted((tokens[a], tokens[b]))
                keys.add((qid, -1, f"b:{low}|{high}"))
    return keys


def test_blocking_keys_are_the_keys_of_each_word_and_word_pair() -> None:
    named = normalise_names(pl.DataFrame({"name": NAMES}), "name").with_row_index("qid")
    got = blocking_keys(named.select("qid", "tokens", "keys"), "qid")
    assert got.height == len(set(got.iter_rows()))  # no key twice
    assert set(got.iter_rows()) == _reference_keys(named)


def test_a_names_candidates_do_not_depend_on_the_other_names_of_the_batch() -> None:
    index = WatchlistIndex.build(_lists())
    cfg = ScreeningConfig(candidates_per_name=1)
    batch = normalise_names(pl.DataFrame({"name": NAMES}), "name").with_row_index("qid")
    together = index.candidates(batch, cfg)
    for qid in range(len(NAMES)):
        alone = index.candidates(batch.filter(pl.col("qid") == qid), cfg)
        mine = together.filter(pl.col("qid") == qid)
        assert sorted(alone.select("slot", "block_score").rows()) == sorted(
            mine.select("slot", "block_score").rows())
    # "Hoshine Silicon ..." meets both of Hoshine's listed names, the cut keeps one of them
    assert together.filter(pl.col("qid") == 0).height == 1
    assert set(together["qid"]) >= {0, 2, 4}


def test_sound_keys_of_distinct_words_equal_each_words_own() -> None:
    names = pl.DataFrame({"tokens": [["mohammed", "bin", "mohammed"], [], ["usama", "zzhuu"],
                                     ["phillipp", "schmitt", "ddjjo"]]})
    got = names.select(keys=_sound_keys(names.get_column("tokens")))
    one_by_one = names.select(keys=pl.col("tokens").list.eval(_phonetic(pl.element())))
    assert got.equals(one_by_one)
    assert got.get_column("keys").to_list()[0] == ["md", "bn", "md"]


def test_one_pass_over_doubled_consonants_equals_a_pass_per_letter() -> None:
    rng = random.Random(7)
    words = ["".join(rng.choice("bdfgjklmnrstaeio") for _ in range(rng.randint(0, 12)))
             for _ in range(3_000)]
    column = pl.Series(words)
    per_letter = column
    for letter in "bdfgjklmnrst":
        per_letter = per_letter.str.replace_all(f"{letter}{letter}+", letter)
    assert column.str.replace_all(*_DOUBLED).equals(per_letter)
    assert pl.Series(["abbddddbb"]).str.replace_all(*_DOUBLED).item() == "abdb"


def test_joined_words_are_found_as_the_length_ratio_rule_says() -> None:
    rng = random.Random(3)
    from rapidfuzz.distance import OSA

    def reference(words: tuple[str, ...], other: tuple[str, ...], least: float) -> list[object]:
        found = []
        for run, joined in _joined_runs(other):
            for i, word in enumerate(words):
                if len(word) < 4 or min(len(word), len(joined)) < least * max(len(word),
                                                                              len(joined)):
                    continue
                sim = OSA.normalized_similarity(word, joined)
                if sim >= least:
                    found.append((sim, (i,), run, "joined"))
        return found

    for _ in range(2_000):
        words = tuple("".join(rng.choice("abcs") for _ in range(rng.randint(1, 9)))
                      for _ in range(rng.randint(1, 3)))
        other = tuple("".join(rng.choice("abcs") for _ in range(rng.randint(1, 5)))
                      for _ in range(rng.randint(2, 4)))
        least = rng.choice([0.5, 0.75, 0.85, 0.9])
        got: list[tuple[float, tuple[int, ...], tuple[int, ...], str]] = []
        _add_joined(words, _joined_runs(other), least, got, query_side=True)
        assert got == reference(words, other, least)


def test_token_rows_number_each_names_words() -> None:
    named = pl.DataFrame({"qid": [0, 1], "tokens": [["a", "b"], []], "keys": [["a", "b"], []]})
    assert token_rows(named, "qid").select("qid", "pos", "token").rows() == [
        (0, 0, "a"), (0, 1, "b")]
