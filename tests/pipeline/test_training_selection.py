"""Training the line model on selectively examined lines.

The demo generator examines half of the planted lines but only 3 % of the others, so the
examined lines are mostly violations while few lines overall are. Given each exam's selection
probability, the model's mean probability over all lines must land near the true rate; the
unweighted model lands near the examined lines' rate instead.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tradeguard.model import ModelArtifact

KEYS = ["entry_number", "line_number"]
TARGETED = 0.5  # the demo generator's exam: chance a planted line is examined
FOUND, NOISE = 0.85, 0.03  # chance an exam finds a planted / a clean line's discrepancy


def _read(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{name}.csv", infer_schema_length=0)


@pytest.fixture(scope="module")
def selective(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    from tradeguard.demo import generate_demo_data

    folder = tmp_path_factory.mktemp("selective")
    generate_demo_data(folder, entries=1500, seed=5, history_months=1)
    data = {n: _read(folder, n) for n in ("entries", "lines", "outcomes", "truth")}
    planted = data["truth"].filter(pl.col("record_kind") == "line").select(
        pl.col("entry_number"), pl.col("line_number").cast(pl.Int64)).unique()
    # The generator records its exam design on each outcome; keep it apart so the naive model
    # trains without it.
    data["selection"] = data["outcomes"].select(
        "entry_number", pl.col("line_number").cast(pl.Int64),
        pl.col("selection_probability").cast(pl.Float64))
    data["outcomes"] = data["outcomes"].drop("selection_probability")
    by_truth = data["selection"].join(planted, on=KEYS, how="semi")
    assert (by_truth["selection_probability"] == TARGETED).all()
    data["planted"] = planted
    return data


def _split(data: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], ...]:
    """Earlier 60 % of entry days to train on, the later days to score (as in service)."""
    days = data["entries"]["entry_date"].unique().sort()
    cut = days[int(days.len() * 0.6)]
    parts = []
    for keep in (pl.col("entry_date") < cut, pl.col("entry_date") >= cut):
        entries = data["entries"].filter(keep)
        parts.append({"entries": entries, **{
            n: data[n].join(entries.select("entry_number"), on="entry_number", how="semi")
            for n in ("lines", "outcomes")}})
    return tuple(parts)


def _mean_probability(artifact: ModelArtifact, earlier: dict[str, pl.DataFrame],
                      later: dict[str, pl.DataFrame]) -> float:
    from tradeguard.pipeline import score_declarations

    frame = score_declarations(
        later["entries"], later["lines"], history_entries=earlier["entries"],
        history_lines=earlier["lines"], outcomes=earlier["outcomes"], model=artifact,
    ).assessments
    return float(frame["model_probability"].mean())  # type: ignore[arg-type]


def test_selection_weighted_model_estimates_the_rate_over_all_lines(
    selective: dict[str, pl.DataFrame],
) -> None:
    from tradeguard.pipeline.training import train_line_model

    earlier, later = _split(selective)
    later_keys = later["lines"].select("entry_number", pl.col("line_number").cast(pl.Int64))
    share = later_keys.join(selective["planted"], on=KEYS, how="semi").height / later_keys.height
    truth = FOUND * share + NOISE * (1 - share)
    examined_rate = float(earlier["outcomes"]["discrepancy"].str.to_lowercase()
                          .eq("true").mean())  # type: ignore[arg-type]
    assert examined_rate > 3 * truth
    args = (earlier["entries"], earlier["lines"], earlier["outcomes"])
    weighted = train_line_model(*args, selection=selective["selection"])
    naive = train_line_model(*args)
    assert weighted.metrics["selection_weighted"] == 1.0
    assert weighted.metrics["selection_unknown_rows"] == 0.0
    assert naive.metrics["selection_weighted"] == 0.0
    assert abs(_mean_probability(weighted, earlier, later) - truth) < 0.05
    assert _mean_probability(naive, earlier, later) - truth > 0.15


def test_selection_probability_in_outcomes_is_used(
    selective: dict[str, pl.DataFrame],
) -> None:
    from tradeguard.pipeline.training import train_line_model

    outcomes = selective["outcomes"].with_columns(
        pl.col("line_number").cast(pl.Int64)).join(selective["selection"], on=KEYS, how="left")
    artifact = train_line_model(selective["entries"], selective["lines"], outcomes)
    assert artifact.metrics["selection_weighted"] == 1.0
    assert artifact.metrics["selection_known_rows"] > 0


def test_bad_selection_probability_names_row_and_field() -> None:
    from tradeguard.pipeline.training import train_line_model

    outcomes = pl.DataFrame({"entry_number": ["E1", "E2"], "line_number": [1, 1],
                             "examined": [True, True], "discrepancy": [True, False],
                             "selection_probability": ["0.5", "0"]})
    with pytest.raises(ValueError, match=r"outcomes row 1: field 'selection_probability'"):
        train_line_model(pl.DataFrame(), pl.DataFrame(), outcomes)
    selection = outcomes.with_columns(pl.lit("x").alias("selection_probability"))
    with pytest.raises(ValueError, match=r"selection row 0: field 'selection_probability'"):
        train_line_model(pl.DataFrame(), pl.DataFrame(), outcomes.drop("selection_probability"),
                         selection=selection)
