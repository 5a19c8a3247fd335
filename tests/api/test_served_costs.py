"""A served process warms its scorer up at start and must answer exactly as a cold one does.

Warm-up scores the latest stored entries (as one batch, then a few one at a time) so the
model's remembered tree patterns and the lookups the single-entry paths build on first use
exist before the first request. These tests score stored entries one at a time with a cold
scorer and with a warmed one and require the same assessments and findings; they also check
what the warm-up chooses and that it stays within its bounds, and the edge cases (no stored
entries, entries without lines or dates, a stored entry that no longer scores).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tradeguard.api import scoring as scoring_module
from tradeguard.api.scoring import EntryScorer, _latest_entries

#: The latest entries of the demo left out of the history and scored one by one.
CURRENT = 40


@dataclass(frozen=True)
class Stored:
    """A demo's history (what a service would have stored), its latest entries, outcomes."""

    entries: pl.DataFrame
    lines: pl.DataFrame
    current_entries: pl.DataFrame
    current_lines: pl.DataFrame
    outcomes: pl.DataFrame
    model_dir: Path


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Stored:
    """300 demo entries with two months of history and a model trained on them."""
    from tradeguard.demo import generate_demo_data
    from tradeguard.model import save_artifact
    from tradeguard.pipeline.training import train_line_model

    folder = tmp_path_factory.mktemp("served-costs")
    generate_demo_data(folder, entries=300, seed=11, history_months=2)
    read = {k: pl.read_csv(folder / f"{k}.csv", infer_schema_length=0) for k in
            ("entries", "lines", "outcomes", "history_entries", "history_lines")}
    artifact = train_line_model(read["entries"], read["lines"], read["outcomes"],
                                read["history_entries"], read["history_lines"])
    save_artifact(artifact, folder / "model")
    entries = pl.concat([read["history_entries"], read["entries"]], how="diagonal_relaxed")
    lines = pl.concat([read["history_lines"], read["lines"]], how="diagonal_relaxed")
    latest = (entries.sort("entry_date", "entry_number").get_column("entry_number")
              .tail(CURRENT).implode())
    recent = pl.col("entry_number").is_in(latest)
    return Stored(entries.filter(~recent), lines.filter(~recent), entries.filter(recent),
                  lines.filter(recent), read["outcomes"], folder / "model")


def _scorer(stored: Stored, warm: bool, *, network: bool = True) -> EntryScorer:
    """A service scorer on the stored history; without ``network``, the chain leaves out
    the party-network detector (linking a new party's records takes it about a second)."""
    from tradeguard.model import load_artifact
    from tradeguard.pipeline import Scorer
    from tradeguard.pipeline.registry import default_registry

    registry = default_registry()
    scorer = EntryScorer(Scorer(
        history_entries=stored.entries, history_lines=stored.lines, outcomes=stored.outcomes,
        model=load_artifact(stored.model_dir), pin_baseline=True,
        registry=registry if network else registry.without("network")))
    if warm:
        scorer.warm_up(stored.entries, stored.lines)
    return scorer


@pytest.fixture(scope="module")
def cold_and_warm(stored: Stored) -> tuple[EntryScorer, EntryScorer]:
    """A scorer that scored nothing yet and one warmed up as a served process is (the whole
    chain)."""
    return _scorer(stored, warm=False), _scorer(stored, warm=True)


def _compare(cold: EntryScorer, warm: EntryScorer,
             cases: list[tuple[pl.DataFrame, pl.DataFrame]]) -> int:
    """Score each case with both; the same answers required. The cases scored."""
    scored = 0
    for entries, lines in cases:
        if not lines.height:
            continue
        want = cold.score(entries, lines)
        got = warm.score(entries, lines)
        assert_frame_equal(got.assessments, want.assessments)
        assert_frame_equal(got.findings, want.findings)
        assert got.versions == want.versions
        assert got.warnings == want.warnings
        scored += 1
    return scored


def _one(entries: pl.DataFrame, lines: pl.DataFrame, number: str
         ) -> tuple[pl.DataFrame, pl.DataFrame]:
    pick = pl.col("entry_number") == number
    return entries.filter(pick), lines.filter(pick)


def test_warm_up_remembers_tree_patterns(
    cold_and_warm: tuple[EntryScorer, EntryScorer],
) -> None:
    cold, warm = cold_and_warm
    assert warm.scorer.model is not None and cold.scorer.model is not None
    assert warm.scorer.model is not cold.scorer.model
    assert len(warm.scorer.model.contribution_memo) > 0


def test_warmed_scorer_answers_as_a_cold_one_for_every_entry(stored: Stored) -> None:
    cold, warm = _scorer(stored, False, network=False), _scorer(stored, True, network=False)
    # every new entry (most with parties never seen), then stored ones the warm-up scored
    warmed = _latest_entries(stored.entries, stored.lines, scoring_module.WARM_BATCH_LINES)
    cases = [*(_one(stored.current_entries, stored.current_lines, n)
               for n in stored.current_entries.get_column("entry_number").to_list()),
             *(_one(stored.entries, stored.lines, n) for n in warmed[:10])]
    assert _compare(cold, warm, cases) >= CURRENT


def test_warmed_whole_chain_answers_as_a_cold_one(
    cold_and_warm: tuple[EntryScorer, EntryScorer], stored: Stored,
) -> None:
    cold, warm = cold_and_warm
    warmed = _latest_entries(stored.entries, stored.lines, scoring_module.WARM_BATCH_LINES)
    oldest = stored.entries.sort("entry_date", "entry_number").get_column("entry_number")
    cases = [_one(stored.entries, stored.lines, n)
             for n in [*warmed[:8], *oldest.head(8).to_list()]]
    assert _compare(cold, warm, cases) >= 12


def test_warmed_entries_meet_no_new_tree_pattern(
    cold_and_warm: tuple[EntryScorer, EntryScorer], stored: Stored,
) -> None:
    _, warm = cold_and_warm
    assert warm.scorer.model is not None
    memo = warm.scorer.model.contribution_memo
    before = len(memo)
    for number in _latest_entries(stored.entries, stored.lines, 200)[:10]:
        warm.score(*_one(stored.entries, stored.lines, number))
    assert len(memo) == before


def test_latest_entries_newest_first_within_the_line_bound() -> None:
    entries = pl.DataFrame({
        "entry_number": ["A", "B", "C", "D", "E"],
        "entry_date": [date(2026, 1, 1), date(2026, 1, 3), None, date(2026, 1, 3),
                       date(2026, 1, 2)],
    })
    lines = pl.DataFrame({"entry_number": ["A", "B", "B", "C", "D", "D", "D"],
                          "line_number": [1, 1, 2, 1, 1, 2, 3]})
    # E has no lines; C no date (last); B and D share a date (number order, newest first)
    assert _latest_entries(entries, lines, 100) == ["D", "B", "A", "C"]
    assert _latest_entries(entries, lines, 5) == ["D", "B"]
    assert _latest_entries(entries, lines, 1) == ["D"]  # at least one
    assert _latest_entries(entries.clear(), lines.clear(), 10) == []
    assert _latest_entries(entries, lines.clear(), 10) == []


class _Recorder(EntryScorer):
    """Records what it is asked to score instead of scoring."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def score(self, entries: pl.DataFrame, lines: pl.DataFrame,
              supply_chain: pl.DataFrame | None = None, as_of: date | None = None) -> Any:
        self.calls.append(sorted(lines.get_column("entry_number").unique().to_list()))
        if self.fail:
            raise ValueError("no longer scores")
        return None


def test_warm_up_scores_a_bounded_batch_then_single_entries(
    stored: Stored, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scoring_module, "WARM_BATCH_LINES", 40)
    monkeypatch.setattr(scoring_module, "WARM_ENTRIES", 3)
    latest = _latest_entries(stored.entries, stored.lines, 40)
    recorder = _Recorder()
    recorder.warm_up(stored.entries, stored.lines)
    assert recorder.calls[0] == sorted(latest)
    assert recorder.calls[1:] == [[n] for n in latest[:3]]
    assert stored.lines.filter(pl.col("entry_number").is_in(latest)).height <= 40


def test_warm_up_with_nothing_stored_or_failing_entries(stored: Stored) -> None:
    recorder = _Recorder()
    recorder.warm_up(stored.entries.clear(), stored.lines.clear())
    assert recorder.calls == []
    failing = _Recorder(fail=True)
    failing.warm_up(stored.entries, stored.lines)  # logged, not raised
    assert len(failing.calls) == 1 + min(scoring_module.WARM_ENTRIES,
                                         len(_latest_entries(stored.entries, stored.lines,
                                                             scoring_module.WARM_BATCH_LINES)))
