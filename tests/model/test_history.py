"""History features: right numbers, and no outcome leaks into its own or earlier rows."""

from __future__ import annotations

import polars as pl
import pytest

from tradeguard.model import (
    HistoryKey,
    HistorySpec,
    history_features,
    history_reasons,
    out_of_fold_history_features,
    split_history_features,
)

SPEC = HistorySpec(
    keys=(HistoryKey("importer", ("importer",), "importer"),
          HistoryKey("hs_origin", ("hs", "origin"), "HS code from this origin")),
    outcome="fraud",
    critical="critical",
    unit_value="unit_price",
    prior_weight=2.0,
)


def _frame(importers: list[str], fraud: list[int]) -> pl.DataFrame:
    n = len(importers)
    return pl.DataFrame({
        "importer": importers, "hs": ["610910"] * n, "origin": ["CN", "VN"] * (n // 2),
        "critical": [0] * n, "unit_price": [float(i) for i in range(n)], "fraud": fraud,
    })


def test_rates_are_shrunk_toward_the_prior() -> None:
    history = _frame(["A", "A", "B", "B"], [1, 1, 0, 0])
    target = _frame(["A", "C"], [0, 0])
    feats = history_features(history, target, SPEC)
    # prior 0.5, weight 2: A = (2 + 1) / (2 + 2); unseen C = prior.
    assert feats["hist_importer_rate"].to_list() == pytest.approx([0.75, 0.5])
    assert feats["hist_importer_n"].to_list() == [2.0, 0.0]
    assert feats["hist_importer_price_gap"].to_list()[0] == pytest.approx(0.0 - 0.5)
    assert feats["hist_importer_price_gap"][1] is None
    assert feats.columns == SPEC.feature_names()


def test_test_period_labels_never_change_test_features() -> None:
    train = _frame(["A", "B", "A", "B", "C", "C"], [1, 0, 1, 0, 1, 0])
    valid = _frame(["A", "C"], [0, 1])
    test = _frame(["A", "B", "C", "D"], [0, 0, 0, 0])
    flipped = test.with_columns((1 - pl.col("fraud")).alias("fraud"))
    base = split_history_features(train, valid, test, SPEC)
    again = split_history_features(train, valid, flipped, SPEC)
    assert base[2].equals(again[2])
    # Valid labels do feed test features (they are the past for the test quarter)...
    relabelled = valid.with_columns((1 - pl.col("fraud")).alias("fraud"))
    later = split_history_features(train, relabelled, test, SPEC)
    assert not later[2].equals(base[2])
    # ...but never the valid rows' own features.
    assert later[1].equals(base[1])


def test_out_of_fold_row_ignores_its_own_outcome() -> None:
    frame = _frame(["A"] * 20, [0] * 20)
    base = out_of_fold_history_features(frame, SPEC, folds=4, seed=0)
    flipped = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(1).otherwise(pl.col("fraud")).alias("fraud")
    )
    changed = out_of_fold_history_features(flipped, SPEC, folds=4, seed=0)
    assert changed.row(5) == base.row(5)
    assert not changed.equals(base)  # other folds do see row 5
    assert base.height == frame.height


def test_history_reasons_speak_plain_words() -> None:
    reasons = history_reasons(SPEC)
    assert reasons["hist_importer_rate"].text == "importer's past discrepancy rate"
    assert reasons["hist_importer_n"].code == reasons["hist_importer_rate"].code
    assert reasons["hist_hs_origin_price_gap"].text == (
        "declared unit price vs HS code from this origin peers"
    )


def test_missing_key_column_is_named() -> None:
    with pytest.raises(ValueError, match="importer"):
        history_features(_frame(["A", "B"], [0, 1]).drop("importer"), _frame(["A", "B"], [0, 0]),
                         SPEC)
