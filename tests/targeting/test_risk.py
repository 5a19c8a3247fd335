"""Risk combination: monotone, category-deduplicated, explained, with forced lanes."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys

import polars as pl

from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.rules import TREATMENT_SCHEMA
from tradeguard.targeting import MODEL_SCHEMA, combine_risk, load_targeting_config

CFG = load_targeting_config()


def _keys(*lines: tuple[str, int]) -> pl.DataFrame:
    return pl.DataFrame({"entry_number": [e for e, _ in lines],
                         "line_number": [n for _, n in lines]})


def _findings(*rows: tuple[str, int | None, str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"entry_number": e, "line_number": n, "category": c, "reason_code": code,
          "severity": s, "text": f"{code} text", "evidence": "{}", "detector": "test",
          "detector_version": "1"} for e, n, c, code, s in rows],
        schema=FINDINGS_SCHEMA)


NO_TREATMENTS = pl.DataFrame(schema=TREATMENT_SCHEMA)


def test_no_findings_scores_zero_and_explains_nothing() -> None:
    out = combine_risk(_keys(("E1", 1)), _findings(), NO_TREATMENTS, CFG)
    row = out.row(0, named=True)
    assert row["risk_score"] == 0.0 and row["categories"] == [] and row["reasons"] == []


def test_more_and_stronger_evidence_never_lowers_the_score() -> None:
    keys = _keys(("E1", 1), ("E2", 1), ("E3", 1), ("E4", 1))
    found = _findings(
        ("E2", 1, "valuation", "V1", "medium"),
        ("E3", 1, "valuation", "V1", "high"),
        ("E4", 1, "valuation", "V1", "high"), ("E4", 1, "origin", "O1", "medium"),
    )
    scores = combine_risk(keys, found, NO_TREATMENTS, CFG)["risk_score"].to_list()
    assert scores == sorted(scores) and len(set(scores)) == 4
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_a_category_counts_once_by_its_strongest_finding() -> None:
    keys = _keys(("E1", 1), ("E2", 1))
    found = _findings(
        ("E1", 1, "adcvd", "A1", "medium"),
        ("E2", 1, "adcvd", "A1", "medium"), ("E2", 1, "adcvd", "A2", "medium"),
        ("E2", 1, "adcvd", "A3", "low"),
    )
    a, b = combine_risk(keys, found, NO_TREATMENTS, CFG)["risk_score"].to_list()
    assert a == b


def test_entry_level_finding_counts_on_every_line_of_its_entry() -> None:
    keys = _keys(("E1", 1), ("E1", 2), ("E2", 1))
    out = combine_risk(keys, _findings(("E1", None, "data_quality", "D1", "medium")),
                       NO_TREATMENTS, CFG)
    assert out["categories"].to_list() == [["data_quality"], ["data_quality"], []]


def test_reasons_are_ordered_by_the_weight_they_add_with_text() -> None:
    found = _findings(("E1", 1, "classification", "C1", "low"),
                      ("E1", 1, "valuation", "V1", "high"))
    row = combine_risk(_keys(("E1", 1)), found, NO_TREATMENTS, CFG).row(0, named=True)
    assert row["reasons"] == ["V1", "C1"]
    assert row["reason_texts"][0] == "V1 text"
    assert row["categories"] == ["classification", "valuation"]


def test_critical_finding_and_profile_lane_force_lanes() -> None:
    keys = _keys(("E1", 1), ("E2", 1), ("E3", 1))
    found = _findings(("E1", 1, "valuation", "V1", "critical"))
    treat = pl.DataFrame({"entry_number": ["E2", "E3"], "line_number": [1, 1],
                          "lane": ["yellow", None], "risk_weight": [0.0, 0.0],
                          "relief_weight": [0.0, 0.5], "profile_ids": [["P-1"], ["FAC"]]},
                         schema=TREATMENT_SCHEMA)
    out = combine_risk(keys, found, treat, CFG)
    assert out["forced_lane"].to_list() == ["red", "yellow", None]
    assert out["forced_by"].to_list()[:2] == [["critical_finding"], ["profile:P-1"]]


def test_relief_lowers_and_model_raises_the_score() -> None:
    keys = _keys(("E1", 1), ("E2", 1))
    found = _findings(("E1", 1, "valuation", "V1", "high"), ("E2", 1, "valuation", "V1", "high"))
    treat = pl.DataFrame({"entry_number": ["E2"], "line_number": [1], "lane": [None],
                          "risk_weight": [0.0], "relief_weight": [0.3],
                          "profile_ids": [["FAC-1"]]}, schema=TREATMENT_SCHEMA)
    plain, relieved = combine_risk(keys, found, treat, CFG)["risk_score"].to_list()
    assert relieved < plain
    model = pl.DataFrame({"entry_number": ["E1"], "line_number": [1], "probability": [0.9],
                          "model_reasons": [["model_x"]], "model_reason_texts": [["x"]]},
                         schema=MODEL_SCHEMA)
    with_model = combine_risk(keys, found, treat, CFG, model).row(0, named=True)
    assert with_model["risk_score"] > plain
    assert "model" in with_model["categories"] and "model_x" in with_model["reasons"]


# Four categories whose log terms add up to two different scores depending on their order.
_ORDER_SENSITIVE = {"valuation": 0.545, "origin": 0.764, "adcvd": 0.069, "network": 0.121}

_SCORE_IN_A_NEW_PROCESS = """
import sys
sys.path[:0] = {path!r}
from tests.targeting.test_risk import order_sensitive_score
print(repr(order_sensitive_score({seed})))
"""


def order_sensitive_score(seed: int) -> float:
    """The score of one line with the :data:`_ORDER_SENSITIVE` findings, shuffled by seed."""
    risk = CFG.risk.model_copy(update={
        "severity_weights": {**CFG.risk.severity_weights, "high": 1.0},
        "category_weights": {**CFG.risk.category_weights, **_ORDER_SENSITIVE}})
    rows = [("E1", 1, c, f"X{i}", "high") for i, c in enumerate(_ORDER_SENSITIVE)]
    found = _findings(*random.Random(seed).sample(rows, len(rows)))
    score = combine_risk(_keys(("E1", 1)), found, NO_TREATMENTS,
                         CFG.model_copy(update={"risk": risk}))["risk_score"][0]
    return float(score)


def test_the_score_is_the_same_in_every_process_whatever_the_findings_order() -> None:
    logs = [math.log(1 - w) for w in _ORDER_SENSITIVE.values()]
    assert len({sum(random.Random(s).sample(logs, 4)) for s in range(30)}) > 1
    # Groups come out of hash tables seeded per process, so each score is taken in a new one.
    scores = {subprocess.run(
        [sys.executable, "-c", _SCORE_IN_A_NEW_PROCESS.format(path=sys.path, seed=seed)],
        check=True, capture_output=True, text=True).stdout for seed in range(3)}
    scores |= {repr(order_sensitive_score(seed)) + "\n" for seed in range(3, 9)}
    assert len(scores) == 1
    assert 0.9 < float(scores.pop()) < 0.92


def test_model_rows_in_any_order_give_the_same_lines() -> None:
    keys = _keys(("E2", 1), ("E1", 2), ("E1", 1))
    found = _findings(("E1", 2, "valuation", "V1", "high"), ("E1", None, "origin", "O1", "low"))
    model = pl.DataFrame({
        "entry_number": ["E2", "E1", "E1"], "line_number": [1, 2, 1],
        "probability": [0.7, 0.2, 0.05],
        "model_reasons": [["model_b", "model_a"], ["model_c"], []],
        "model_reason_texts": [["b", "a"], ["c"], []]}, schema=MODEL_SCHEMA)
    aligned = combine_risk(keys, found, NO_TREATMENTS, CFG, model)
    shuffled = combine_risk(keys, found, NO_TREATMENTS, CFG, model.reverse())
    assert aligned.equals(shuffled)
    assert aligned["entry_number"].to_list() == ["E2", "E1", "E1"]
    first = aligned.row(0, named=True)
    # One model weight for both reasons: they rank by code, the lead text stays the first's.
    assert first["reasons"] == ["model_a", "model_b"]
    assert first["reason_texts"] == ["model: also a",
                                     "model: 70% likely a discrepancy, mainly b"]
    assert first["categories"] == ["model"] and first["findings"] == "[]"
    assert aligned["categories"].to_list()[1:] == [["origin", "valuation"], ["origin"]]
    assert aligned["reasons"].to_list()[2] == ["O1"]


def test_equal_reasons_keep_the_order_of_their_findings() -> None:
    found = _findings(("E1", 1, "network", "N1", "medium"), ("E1", 1, "network", "N1", "medium"),
                      ("E1", 1, "network", "N1", "medium"))
    texts = ["second party", "first party", "third party"]
    found = found.with_columns(pl.Series("text", texts), pl.Series("evidence", ['{"i":1}',
                                                                              '{"i":2}',
                                                                              '{"i":3}']))
    row = combine_risk(_keys(("E1", 1)), found, NO_TREATMENTS, CFG).row(0, named=True)
    assert row["reasons"] == ["N1"] and row["reason_texts"] == texts
    assert [f["evidence"] for f in json.loads(row["findings"])] == ['{"i":1}', '{"i":2}',
                                                                   '{"i":3}']
