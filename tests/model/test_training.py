"""Training, scoring and the artifact round trip on a small inline table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tradeguard.model import (
    ReasonCode,
    load_artifact,
    save_artifact,
    score,
    train_model,
)

SMALL = {"num_leaves": 7, "min_data_in_leaf": 10}



def test_training_is_deterministic_and_learns(lines: pl.DataFrame, held_out: pl.DataFrame) -> None:
    first = train_model(lines, "fraud", valid=held_out, exclude=["duty"], params=SMALL,
                        max_rounds=60, seed=3)
    second = train_model(lines, "fraud", valid=held_out, exclude=["duty"], params=SMALL,
                         max_rounds=60, seed=3)
    assert first.version == second.version
    assert first.model_text == second.model_text
    assert first.features == ("price_gap", "mass", "origin")
    assert first.categories["origin"] == ("CN", "DE", "VN")
    assert first.metrics["valid_auc"] > 0.75
    other = train_model(lines, "fraud", valid=held_out, exclude=["duty"], params=SMALL,
                        max_rounds=60, seed=4)
    assert other.version != first.version


def test_artifact_round_trips_with_same_scores_and_hash(
    lines: pl.DataFrame, held_out: pl.DataFrame, tmp_path: Path
) -> None:
    artifact = train_model(lines, "fraud", valid=held_out, exclude=["duty"], params=SMALL,
                           max_rounds=60)
    save_artifact(artifact, tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.pkl"))
    loaded = load_artifact(tmp_path / "m")
    assert loaded.version == artifact.version
    assert loaded.calibration == artifact.calibration
    before = score(artifact, held_out, at_stake="duty").frame
    after = score(loaded, held_out, at_stake="duty").frame
    assert before.equals(after)


def test_altered_artifact_is_refused(
    lines: pl.DataFrame, held_out: pl.DataFrame, tmp_path: Path
) -> None:
    artifact = train_model(lines, "fraud", valid=held_out, exclude=["duty"], params=SMALL,
                           max_rounds=30)
    save_artifact(artifact, tmp_path)
    sidecar = tmp_path / "model.json"
    sidecar.write_text(sidecar.read_text().replace('"fraud_model"', '"other"'))
    with pytest.raises(ValueError, match="altered"):
        load_artifact(tmp_path)


def test_contributions_sum_to_raw_score_and_name_reasons(
    lines: pl.DataFrame, held_out: pl.DataFrame
) -> None:
    catalog = {"price_gap": ReasonCode("model_unit_price_gap", "declared unit price vs peers")}
    artifact = train_model(lines, "fraud", valid=held_out, exclude=["duty"], params=SMALL,
                           max_rounds=60, reasons=catalog)
    batch = score(artifact, held_out)
    raw = artifact.booster.predict(
        held_out.select("price_gap", "mass",
                        pl.col("origin").replace_strict({"CN": 0.0, "DE": 1.0, "VN": 2.0}))
        .to_numpy(), raw_score=True)
    assert batch.contributions.shape == (held_out.height, 4)
    np.testing.assert_allclose(batch.contributions.sum(axis=1), raw, atol=1e-9)
    np.testing.assert_allclose(batch.frame["raw_score"].to_numpy(), raw, atol=1e-9)
    # The strongest positive reason of the riskiest line is its largest contribution.
    top = int(np.argmax(raw))
    strongest = artifact.features[int(np.argmax(batch.contributions[top, :-1]))]
    codes = {f: artifact.reasons[f].code for f in artifact.features}
    assert batch.frame["reasons"][top][0] == codes[strongest]
    assert codes["price_gap"] == "model_unit_price_gap"
    assert codes["origin"] == "model_origin"
    assert set(batch.frame["model_version"]) == {artifact.version}


def test_expected_revenue_is_probability_times_stake(
    lines: pl.DataFrame, held_out: pl.DataFrame
) -> None:
    artifact = train_model(lines, "fraud", valid=held_out, exclude=["duty"], params=SMALL,
                           max_rounds=30)
    frame = score(artifact, held_out, at_stake="duty", explain=False).frame
    np.testing.assert_allclose(
        frame["expected_revenue"].to_numpy(),
        frame["probability"].to_numpy() * held_out["duty"].to_numpy(),
    )
    assert frame["reasons"].list.len().sum() == 0


def test_bad_label_names_row_and_field(lines: pl.DataFrame, held_out: pl.DataFrame) -> None:
    broken = lines.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(2).otherwise(pl.col("fraud")).alias("fraud")
    )
    with pytest.raises(ValueError, match=r"row 7: field 'fraud'"):
        train_model(broken, "fraud", valid=held_out, params=SMALL, max_rounds=5)


def test_missing_feature_at_scoring_is_named(
    lines: pl.DataFrame, held_out: pl.DataFrame
) -> None:
    artifact = train_model(lines, "fraud", valid=held_out, exclude=["duty"], params=SMALL,
                           max_rounds=10)
    with pytest.raises(ValueError, match="mass"):
        score(artifact, held_out.drop("mass"))
