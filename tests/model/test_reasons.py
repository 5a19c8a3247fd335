"""Top reasons: the strongest positive reasons per row, in a stable order."""

from __future__ import annotations

import numpy as np
import pytest

from tradeguard.model._reasons import ReasonCode, top_reasons


def _reference(grouped: np.ndarray, codes: list[str], k: int) -> list[list[str]]:
    """Per row, sorted by strength (largest first, equal ones in reason order, NaN last),
    the first ``k`` whose strength is not <= 0."""
    out = []
    for row in grouped.tolist():
        order = sorted(range(len(row)), key=lambda j: (np.isnan(row[j]), -row[j] if not
                                                       np.isnan(row[j]) else 0.0, j))[:k]
        out.append([codes[j] for j in order if not row[j] <= 0])
    return out


@pytest.mark.parametrize("with_nan", [False, True])
def test_top_reasons_rank_like_a_stable_sort(with_nan: bool) -> None:
    rng = np.random.default_rng(3)
    features = [f"f{i}" for i in range(6)]
    # f4 and f5 share a reason: their contributions add up before ranking.
    catalog = {f: ReasonCode(f"r{min(i, 4)}", f) for i, f in enumerate(features)}
    contributions = np.round(rng.normal(0.0, 1.0, (400, 7)), 1)  # many ties, exact zeros
    contributions[:40, :6] = 0.0
    contributions[40:80, 1] = contributions[40:80, 0]
    if with_nan:
        contributions[80:90, 2] = np.nan
    listed, grouped = top_reasons(contributions, features, catalog, k=3)
    assert grouped.shape == (400, 5)
    plain = ~np.isnan(contributions).any(axis=1)
    np.testing.assert_array_equal(grouped[plain, 4],
                                  contributions[plain, 4] + contributions[plain, 5])
    assert listed.to_list() == _reference(grouped, ["r0", "r1", "r2", "r3", "r4"], 3)
    assert listed.name == "reasons" and listed.to_list()[:40] == [[]] * 40


def test_top_reasons_of_no_rows_and_more_reasons_asked_than_exist() -> None:
    catalog = {"a": ReasonCode("ra", "a"), "b": ReasonCode("rb", "b")}
    listed, _ = top_reasons(np.zeros((0, 3)), ["a", "b"], catalog, k=3)
    assert listed.len() == 0
    listed, _ = top_reasons(np.array([[0.2, 0.5, 9.0]]), ["a", "b"], catalog, k=5)
    assert listed.to_list() == [["rb", "ra"]]


def test_codes_that_could_not_be_joined_are_listed_all_the_same() -> None:
    catalog = {"a": ReasonCode("", "a"), "b": ReasonCode("r\x1fb", "b")}
    listed, _ = top_reasons(np.array([[0.3, 0.5, 0.0], [0.1, -1.0, 0.0]]), ["a", "b"], catalog)
    assert listed.to_list() == [["r\x1fb", ""], [""]]
