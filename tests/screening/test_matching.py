"""Name comparison: legal forms, scripts, word order, common words, explanations."""

from __future__ import annotations

import polars as pl

from tradeguard.screening import PreparedName, ScreeningConfig, compare_names, prepared_names
from tradeguard.screening.config import PAIR_THRESHOLD


def _pair(a: str, b: str, kind: str = "") -> tuple[PreparedName, PreparedName]:
    frame = pl.DataFrame({"name": [a, b], "kind": [kind, kind]})
    left, right = prepared_names(frame, "name", "kind")
    return left, right


def _score(a: str, b: str, kind: str = "") -> float:
    return compare_names(*_pair(a, b, kind)).score


def test_legal_form_and_trade_abbreviation_variants_match() -> None:
    left, right = _pair("Hoshine Silicon Industry Co., Ltd.", "HOSHINE SILICON IND CO LTD")
    assert left.legal_form == right.legal_form == "ltd"
    assert compare_names(left, right).score == 1.0


def test_legal_form_is_separated_and_a_mismatch_is_weak_evidence() -> None:
    same = _score("Deutsche Bank AG", "Deutsche Bank Aktiengesellschaft", "organization")
    other = _score("Deutsche Bank AG", "Deutsche Bank GmbH", "organization")
    assert same == 1.0
    assert 0.9 <= other < same


def test_chinese_characters_match_their_pinyin_entity() -> None:
    assert _score("合盛硅业", "Hesheng Guiye") >= ScreeningConfig().threshold
    assert _score("合盛硅业", "Daqo New Energy") < PAIR_THRESHOLD


def test_cyrillic_matches_latin_transliteration() -> None:
    assert _score("Владимир Путин", "Vladimir Putin", "person") >= 0.9


def test_reordered_person_names_match() -> None:
    assert _score("LAVROV, Sergei Viktorovich", "Sergei Viktorovich Lavrov", "person") == 1.0
    assert _score("Putin, Vladimir", "Vladimir Putin", "person") == 1.0


def test_different_company_sharing_one_common_word_does_not_match() -> None:
    assert _score("Xinjiang Zhongtai Chemical Co Ltd", "Xinjiang Tianye Group") < PAIR_THRESHOLD
    assert _score("Sparkles Business Corporation", "Sporks Business Corporation") < PAIR_THRESHOLD


def test_swapped_surname_scores_below_a_typo() -> None:
    typo = _score("Sergei Lavrob", "Sergei Lavrov", "person")
    swap = _score("Sergei Ivanov", "Sergei Lavrov", "person")
    assert typo >= PAIR_THRESHOLD > swap


def test_initials_joined_words_and_acronyms() -> None:
    assert _score("SergeiLavrov", "Sergei Lavrov", "person") >= 0.9
    assert _score("vanderbilt corp", "van der bilt corp", "organization") >= 0.9
    assert _score("A.B.C. Company", "ABC Company", "organization") == 1.0


def test_explanation_names_matched_and_unmatched_tokens() -> None:
    result = compare_names(*_pair("Hoshine Silicon Trading Co", "Hoshine Silicon Industry Co Ltd"))
    matched = {(m.query, m.listed, m.how) for m in result.matched}
    assert ("hoshine", "hoshine", "exact") in matched
    assert result.query_only == ("trading",)
    assert result.listed_only == ("industry",)
    assert result.legal_form_agrees is False
