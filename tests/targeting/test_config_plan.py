"""Configuration validation and versioning; the exam plan for a port-day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml

from tradeguard.targeting import exam_plan, load_targeting_config


def test_shipped_config_loads_and_version_tracks_content(tmp_path: Path) -> None:
    cfg = load_targeting_config()
    data = cfg.model_dump(mode="json")
    data["capacity"]["default"]["red"] = 0.05
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    changed = load_targeting_config(path)
    assert changed.version != cfg.version and changed.capacity.default.red == 0.05
    assert load_targeting_config().version == cfg.version


def test_invalid_config_names_the_file_and_the_problem(tmp_path: Path) -> None:
    data = load_targeting_config().model_dump(mode="json")
    data["risk"]["severity_weights"]["low"] = 0.99
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match=r"(?s)bad\.yaml.*must not decrease"):
        load_targeting_config(path)


def test_plan_lists_forced_first_then_risk_within_capacity() -> None:
    scored = pl.DataFrame({
        "entry_number": ["A", "B", "C", "D", "E"], "line_number": [1, 1, 1, 1, 1],
        "port_of_entry": ["2704"] * 4 + ["1001"], "entry_date": ["2026-07-01"] * 5,
        "risk_score": [0.2, 0.9, 0.7, 0.5, 0.99],
        "lane": ["red", "red", "red", "yellow", "red"],
        "selection": ["forced", "targeted", "targeted", "targeted", "targeted"],
        "categories": ["watchlist", "valuation", "", "origin", "adcvd"],
        "reasons": ["WL-001", "V1", "", "O1", "A1"],
        "top_reasons_text": ["listed", "cheap", "", "moved", "x"],
    })
    plan = exam_plan(scored, "2704", date(2026, 7, 1), capacity=2)
    assert plan.exams["entry_number"].to_list() == ["A", "B"]
    assert plan.beyond_capacity["entry_number"].to_list() == ["C"]
    assert plan.reviews["entry_number"].to_list() == ["D"]
    assert plan.exams["reason_texts"].to_list()[0] == ["listed"]
    assert plan.lines == 4
