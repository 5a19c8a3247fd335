"""Repeat offenders named by exam outcomes: a sender's hit rate against the other senders'."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from scipy.stats import binom
from tests.packages.test_rules import parcel, peers, reasons

from tradeguard.packages import score_packages
from tradeguard.packages.significance import benjamini_hochberg, binomial_excess_p


def exam_record(senders: dict[str, tuple[int, int]], *, key: str = "package_id",
                selection: dict[str, str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Past parcels and outcomes: per sender (exams, violations); ``selection`` per sender."""
    rows: list[dict[str, Any]] = []
    outcomes: dict[str, list[Any]] = {key: [], "examined": [], "discrepancy": []}
    if selection is not None:
        outcomes["selection"] = []
    for sender, (exams, bad) in senders.items():
        for i in range(exams):
            pid = f"OLD-{sender}-{i}"
            rows.append(parcel(pid, seller_id=sender))
            outcomes[key].append(pid)
            outcomes["examined"].append("true")
            outcomes["discrepancy"].append("true" if i < bad else "false")
            if selection is not None:
                outcomes["selection"].append(selection.get(sender, "random"))
    return pl.DataFrame(rows), pl.DataFrame(outcomes)


# Twenty ordinary sellers hit at about the targeted-exam rate (3 of 20 = 15 %).
ORDINARY = {f"S-{i}": (20, 3) for i in range(20)}


def low_priced(sender: str) -> pl.DataFrame:
    # About a third of the peers' price: low, but not low enough to be undervalued alone.
    return pl.DataFrame([*peers(), parcel("N1", seller_id=sender, declared_value_usd=14.0)])


def test_big_clean_seller_with_base_rate_hits_is_not_an_offender() -> None:
    # 60 of 400 exams (15 %) passed any fixed 10 % share; it is the others' rate exactly.
    history, outcomes = exam_record({**ORDINARY, "BIG": (400, 60)})
    scores = score_packages(low_priced("BIG"), history=history, outcomes=outcomes).scores
    assert reasons(scores, "N1") == set()


def test_small_seller_with_significant_excess_is_an_offender() -> None:
    history, outcomes = exam_record({**ORDINARY, "BIG": (400, 60), "BAD": (6, 5)})
    result = score_packages(low_priced("BAD"), history=history, outcomes=outcomes)
    assert reasons(result.scores, "N1") == {"PKG_REPEAT_OFFENDER"}
    evidence = result.findings.filter(pl.col("entry_number") == "N1")["evidence"][0]
    assert '"past_violations":5' in evidence and '"past_exams":6' in evidence
    # A clean seller's parcel at the same low price stays green.
    scores = score_packages(low_priced("S-1"), history=history, outcomes=outcomes).scores
    assert reasons(scores, "N1") == set()


def test_too_few_violations_do_not_make_an_offender_however_few_the_exams() -> None:
    history, outcomes = exam_record({**ORDINARY, "NEW": (2, 2)})
    scores = score_packages(low_priced("NEW"), history=history, outcomes=outcomes).scores
    assert reasons(scores, "N1") == set()


def test_outcomes_in_contract_form_key_parcels_by_entry_number() -> None:
    history, outcomes = exam_record({**ORDINARY, "BAD": (6, 5)}, key="entry_number")
    outcomes = outcomes.with_columns(pl.lit(None, dtype=pl.Int64).alias("line_number"))
    scores = score_packages(low_priced("BAD"), history=history, outcomes=outcomes).scores
    assert reasons(scores, "N1") == {"PKG_REPEAT_OFFENDER"}


def test_only_random_exams_count_when_outcomes_say_how_parcels_were_chosen() -> None:
    # TGT's exams were all targeted: with them it looks bad, the random sample says nothing.
    senders = {**ORDINARY, "TGT": (10, 8)}
    history, outcomes = exam_record(senders, selection={"TGT": "targeted"})
    scores = score_packages(low_priced("TGT"), history=history, outcomes=outcomes).scores
    assert reasons(scores, "N1") == set()
    history, outcomes = exam_record(senders)
    scores = score_packages(low_priced("TGT"), history=history, outcomes=outcomes).scores
    assert reasons(scores, "N1") == {"PKG_REPEAT_OFFENDER"}


def test_binomial_excess_matches_the_binomial_tail() -> None:
    k, n = np.array([0, 1, 4, 9]), np.array([5, 10, 10, 30])
    p = binomial_excess_p(k, n, np.array([0.1, 0.1, 0.2, 0.15]))
    expected = binom.sf(k - 1, n, [0.1, 0.1, 0.2, 0.15])
    assert p[0] == 1.0
    np.testing.assert_allclose(p[1:], expected[1:], rtol=1e-9)


def test_benjamini_hochberg_adjusts_in_input_order() -> None:
    # Sorted 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.04, 0.04, 0.5 (step-up minimum).
    q = benjamini_hochberg(np.array([0.03, 0.5, 0.01, 0.02]))
    np.testing.assert_allclose(q, [0.04, 0.5, 0.04, 0.04])
    assert benjamini_hochberg(np.array([])).size == 0
