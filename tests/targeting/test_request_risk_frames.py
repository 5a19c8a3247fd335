"""A request's risk and lanes frames, built column-wise, are the frames Polars builds.

The request path builds its output frames from grouped columns (one series per type, cut
into columns; lists of text built at once, constant columns shared), checks input types by
type class, and hashes the targeting configuration once. Each test holds these to the plain
constructions, to the general (vectorised) path, and to a freshly hashed configuration.
"""

from __future__ import annotations

import math
import random
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.targeting import risk as risk_module
from tradeguard.targeting import risk_request
from tradeguard.targeting.config import LaneRates, load_targeting_config
from tradeguard.targeting.lanes import assign_lanes
from tradeguard.targeting.lanes_request import few_lines_lanes
from tradeguard.targeting.request_frames import RequestFrame, conforms, signatures
from tradeguard.targeting.risk import MODEL_SCHEMA, RISK_SCHEMA

_TEXTS = ("", "value 40% under peers", "origin \u00e9 \"quoted\"\n", "\u4e2d\u6587 " * 9,
          "model: also declared value", "x" * 40)
_FLOATS = (0.0, -0.0, 1.0, 0.1 + 0.2, 1e-300, math.inf, math.nan, 0.999)


def _text(rng: random.Random, nulls: bool) -> str | None:
    return None if nulls and rng.random() < 0.2 else rng.choice(_TEXTS)


def _column(rng: random.Random, dtype: pl.DataType, height: int) -> list[Any]:
    """Values of one column: nulls, empty and long lists, odd floats, unicode text."""
    if dtype == pl.List(pl.String):
        return [None if rng.random() < 0.1 else
                [_text(rng, nulls=True) for _ in range(rng.choice((0, 0, 1, 3, 7)))]
                for _ in range(height)]
    if dtype == pl.Float64:
        return [None if rng.random() < 0.1 else rng.choice(_FLOATS) for _ in range(height)]
    if dtype == pl.Int64:
        return [rng.choice((None, 0, 1, -5, 2**62)) for _ in range(height)]
    return [_text(rng, nulls=True) for _ in range(height)]


@pytest.mark.parametrize("schema", [RISK_SCHEMA, MODEL_SCHEMA, FINDINGS_SCHEMA])
def test_a_request_frame_is_the_frame_polars_builds(schema: dict[str, pl.DataType]) -> None:
    frame = RequestFrame(schema)
    rng = random.Random(7)
    for height in (0, 1, 2, 3, 5, 64) * 5:
        columns = {c: _column(rng, t, height) for c, t in schema.items()}
        got, want = frame.build(columns), pl.DataFrame(columns, schema=schema)
        assert got.schema == want.schema
        assert_frame_equal(got, want, check_exact=True)
        assert got.equals(want, null_equal=True)
        # The text lists are in Polars' own layout: they compare, sort and explode alike.
        for c, t in schema.items():
            if t == pl.List(pl.String):
                assert (got[c] == want[c]).fill_null(True).all()
                assert got[c].explode().equals(want[c].explode())


def test_given_columns_are_taken_as_they_are_and_checked() -> None:
    frame = RequestFrame(RISK_SCHEMA, given=("entry_number", "line_number"))
    rng = random.Random(3)
    columns = {c: _column(rng, t, 3) for c, t in RISK_SCHEMA.items()}
    keys = pl.DataFrame({"e": columns["entry_number"], "n": columns["line_number"]},
                        schema={"e": pl.String(), "n": pl.Int64()})
    given = {"entry_number": keys["e"], "line_number": keys["n"]}
    rest = {c: v for c, v in columns.items() if c not in given}
    assert_frame_equal(frame.build(rest, given), pl.DataFrame(columns, schema=RISK_SCHEMA),
                       check_exact=True)
    with pytest.raises(ValueError, match="length or type"):
        frame.build(rest, {**given, "line_number": keys["n"].cast(pl.Int32, strict=False)})
    with pytest.raises(ValueError, match="length or type"):
        frame.build(rest, {**given, "entry_number": keys["e"].head(2)})
    with pytest.raises(ValueError, match="length or type"):
        frame.build({**rest, "relief": [0.0]}, given)


def test_conforms_reads_types_as_a_schema_comparison_would() -> None:
    expected = {"entry_number": pl.String(), "line_number": pl.Int64(),
                "profile_ids": pl.List(pl.String())}
    types = signatures(expected)
    frame = pl.DataFrame(schema={"extra": pl.Float64(), **expected})
    assert conforms(frame, types)
    assert conforms(frame.select(list(reversed(frame.columns))), types)
    assert not conforms(frame.drop("profile_ids"), types)
    for other in (pl.List(pl.Int64()), pl.List(pl.Categorical()), pl.String(),
                  pl.Array(pl.String(), 2), pl.List(pl.List(pl.String()))):
        assert not conforms(frame.with_columns(pl.col("profile_ids").cast(other)), types)
    assert not conforms(frame.with_columns(pl.col("line_number").cast(pl.Int32)), types)
    stamped = signatures({"at": pl.Datetime("us")})
    assert conforms(pl.DataFrame(schema={"at": pl.Datetime("us")}), stamped)
    assert not conforms(pl.DataFrame(schema={"at": pl.Datetime("ms")}), stamped)


def test_the_version_is_hashed_once_and_afresh_for_a_changed_copy() -> None:
    cfg = load_targeting_config()
    first = cfg.version
    assert cfg.version == first == load_targeting_config().version
    assert cfg == load_targeting_config()  # the memo is no field: equality and dumps ignore it
    assert "_version_memo" not in cfg.model_dump()
    changed = cfg.model_copy(update={"capacity": cfg.capacity.model_copy(
        update={"default": LaneRates(red=0.5, yellow=0.25)})})
    fresh = load_targeting_config().model_copy(update={"capacity": changed.capacity})
    assert changed.version != first
    assert changed.version == fresh.version == type(cfg).model_validate(
        changed.model_dump()).version
    assert cfg.model_copy().version == first


def _finding(rng: random.Random, entry: str, lines: int) -> dict[str, Any]:
    category = rng.choice(("valuation", "origin", "data_quality", "watchlist", "rules",
                           "forced_labor", "adcvd"))
    return {"entry_number": entry, "line_number": rng.choice([None, *range(1, lines + 2)]),
            "category": category, "reason_code": rng.choice(("VAL_LOW", "A_TIE", "SDN", "X")),
            "severity": rng.choice(("low", "medium", "high", "critical")),
            "text": rng.choice(_TEXTS), "evidence": rng.choice((None, '{"q": "\u00e9"}')),
            "detector": "rules" if category == "rules" else rng.choice(("valuation", "lists")),
            "detector_version": "1"}


def _request(seed: int) -> tuple[pl.DataFrame, ...]:
    """One request's keys, findings, rules treatments and model scores (seeded)."""
    rng = random.Random(seed)
    entry, lines = f"AAA-{seed:07d}-1", rng.randrange(1, 6)
    keys = pl.DataFrame({"entry_number": [entry] * lines, "line_number": range(1, lines + 1)},
                        schema={"entry_number": pl.String(), "line_number": pl.Int64()})
    findings = pl.DataFrame([_finding(rng, entry, lines) for _ in range(rng.randrange(9))],
                            schema=FINDINGS_SCHEMA)
    treated = rng.sample(range(1, lines + 1), rng.randrange(lines + 1))
    treatments = pl.DataFrame([
        {"entry_number": entry, "line_number": n, "lane": rng.choice((None, "red", "yellow")),
         "risk_weight": rng.choice((None, 0.3, 0.9)), "relief_weight": rng.choice((None, 0.4)),
         "profile_ids": rng.sample(["P-1", "P-2", "FAC-1"], rng.randrange(1, 3))}
        for n in treated], schema=risk_request._TREATMENT_SCHEMA)
    codes = rng.sample(["model_value", "model_weight", "model_importer"], 3)
    model = pl.DataFrame({
        "entry_number": keys["entry_number"], "line_number": keys["line_number"],
        "probability": [rng.choice((0.0, 0.005, 0.5, 0.73, 1.0)) for _ in range(lines)],
        "model_reasons": [codes[:rng.randrange(4)] for _ in range(lines)],
    }).with_columns(model_reason_texts=pl.col("model_reasons").list.eval(
        pl.concat_str(pl.lit("declared "), pl.element()))).cast(dict(MODEL_SCHEMA))
    return keys, findings, treatments, model


def test_request_risk_with_findings_treatments_and_model_is_the_general_paths(
        monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_targeting_config()
    with_findings = 0
    for seed in range(150):
        keys, findings, treatments, model = _request(seed)
        for scores in (model, None):
            got = risk_request.few_lines_risk(keys, findings, treatments, cfg, scores)
            assert got is not None
            with monkeypatch.context() as m:
                m.setattr(risk_module, "SMALL_RISK_LINES", -1)
                want = risk_module.combine_risk(keys, findings, treatments, cfg, scores)
            assert got.schema == want.schema
            assert_frame_equal(got, want, check_exact=True)
        with_findings += findings.height > 0 and got["forced_by"].list.len().sum() > 0
    assert with_findings > 20, "many requests have findings and forced lanes"


def test_request_lanes_under_changed_configurations_are_the_general_paths() -> None:
    cfg = load_targeting_config()
    configs = [cfg, cfg.model_copy(update={"random_sample": cfg.random_sample.model_copy(
        update={"rate": 0.5, "seed": 3})})]
    configs.append(configs[1].model_copy(update={"capacity": cfg.capacity.model_copy(
        update={"rounding": "ceil", "default": LaneRates(red=0.5, yellow=0.5)})}))
    rng = random.Random(5)
    for seed in range(60):
        keys = _request(seed)[0]
        frame = keys.with_columns(
            risk_score=pl.Series([rng.choice((0.0, 0.3, 0.9)) for _ in range(keys.height)]),
            forced_lane=pl.Series([rng.choice((None, None, "red")) for _ in range(keys.height)],
                                  dtype=pl.String),
            port_of_entry=pl.lit(rng.choice(("3001", "2704"))),
            entry_date=pl.date(2026, 7, rng.randrange(1, 4)),
            trusted_trader=pl.lit(rng.random() < 0.3),
            reasons=pl.Series([["R"]] * keys.height, dtype=pl.List(pl.String)))
        for c in configs:
            got = few_lines_lanes(frame, c)
            assert got is not None
            assert_frame_equal(got, assign_lanes(frame, c), check_exact=True)
