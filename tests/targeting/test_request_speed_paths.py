"""Request columns built by Polars' own constructors, and the model read as row tuples, give
what the public calls and the general path give.

:func:`~tradeguard.targeting.request_frames.column` calls the Rust constructor that
``pl.Series(name, values, dtype=...)`` ends in; these hold it to that call on generated
values of every kind (odd floats, integers out of range, values of another type, nulls,
lists of text with nulls, tuples, bytes), including the errors it raises. The risk of a
request reads the model's rows by position; these hold it to the general path when the
model's rows come in another order, repeat, miss lines, carry other entries' lines, null
keys, or columns in another order.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal

from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.targeting import risk as risk_module
from tradeguard.targeting import risk_request
from tradeguard.targeting.config import load_targeting_config
from tradeguard.targeting.request_frames import column
from tradeguard.targeting.risk import MODEL_SCHEMA

_TEXT_LISTS = pl.List(pl.String())
_ODD: tuple[Any, ...] = (None, 0, 1, -1, 2**63, -(2**63), 2**64, True, False, 0.0, -0.0, 0.5,
                         math.nan, math.inf, 1e-300, "", "a", "\u00e9\u4e2d", b"x", ("a",),
                         ["a"], [None], [], dt.date(2026, 1, 2))
_KINDS: tuple[pl.DataType, ...] = (pl.String(), pl.Int64(), pl.Float64(), pl.Boolean(),
                                   _TEXT_LISTS, pl.Date())


def _values(rng: random.Random, dtype: pl.DataType) -> list[Any]:
    """Mostly values of ``dtype`` (so most columns build), now and then any odd value."""
    plain: dict[Any, tuple[Any, ...]] = {
        pl.String: (None, "", "red", "\u00e9 \"q\"\n"), pl.Int64: (None, 0, -5, 2**62),
        pl.Float64: (None, 0.0, -0.0, 0.1 + 0.2, math.nan, math.inf, 1e-300),
        pl.Boolean: (None, True, False), pl.Date: (None, dt.date(2026, 7, 1)),
    }
    out: list[Any] = []
    for _ in range(rng.choice((0, 1, 2, 3, 5))):
        if rng.random() < 0.15:
            out.append(rng.choice(_ODD))
        elif dtype == _TEXT_LISTS:
            out.append(None if rng.random() < 0.1 else [
                rng.choice(plain[pl.String]) for _ in range(rng.choice((0, 1, 3)))])
        else:
            out.append(rng.choice(plain[type(dtype)]))
    return out


@pytest.mark.parametrize("dtype", _KINDS, ids=str)
def test_a_column_is_the_series_polars_builds(dtype: pl.DataType) -> None:
    rng = random.Random(11)
    built = 0
    for _ in range(1500):
        values = _values(rng, dtype)
        try:
            want = pl.Series("c", values, dtype=dtype)
        except Exception as exc:  # whatever Polars raises, so must this
            with pytest.raises(type(exc)):
                column("c", values, dtype)
            continue
        got = column("c", values, dtype)
        assert got.name == "c"
        assert got.dtype == want.dtype
        assert_series_equal(got, want, check_exact=True)
        assert got.equals(want, null_equal=True)
        if dtype == _TEXT_LISTS:
            assert got.explode().equals(want.explode(), null_equal=True)
        built += 1
    assert built > 1000


def _request(rng: random.Random, entry: str) -> tuple[pl.DataFrame, pl.DataFrame,
                                                      pl.DataFrame, pl.DataFrame]:
    lines = rng.randrange(1, 6)
    keys = pl.DataFrame({"entry_number": [entry] * lines, "line_number": range(1, lines + 1)},
                        schema={"entry_number": pl.String(), "line_number": pl.Int64()})
    findings = pl.DataFrame([{
        "entry_number": entry, "line_number": rng.choice((None, 1, 2)),
        "category": rng.choice(("valuation", "origin")), "reason_code": "VAL_LOW",
        "severity": rng.choice(("low", "high")), "text": "value under peers",
        "evidence": None, "detector": "valuation", "detector_version": "1",
    } for _ in range(rng.randrange(3))], schema=FINDINGS_SCHEMA)
    codes = ["model_value", "model_weight", "model_importer"]
    model = pl.DataFrame({
        "entry_number": keys["entry_number"], "line_number": keys["line_number"],
        "probability": [rng.choice((0.0, 0.2, 0.73, 1.0)) for _ in range(lines)],
        "model_reasons": [rng.sample(codes, rng.randrange(4)) for _ in range(lines)],
    }).with_columns(model_reason_texts=pl.col("model_reasons").list.eval(
        pl.concat_str(pl.lit("declared "), pl.element()))).cast(dict(MODEL_SCHEMA))
    return keys, findings, pl.DataFrame(schema=risk_request._TREATMENT_SCHEMA), model


def _model_shapes(rng: random.Random, model: pl.DataFrame, other: pl.DataFrame
                  ) -> list[pl.DataFrame]:
    """The model's rows as they come, and in every other arrangement a caller could pass."""
    shuffled = model.sample(fraction=1.0, shuffle=True, seed=rng.randrange(99))
    return [model, shuffled, model.reverse(), model.head(1), model.tail(1), model.clear(),
            pl.concat([other, model]), pl.concat([model, other]).reverse(),
            pl.concat([model, model.head(1)]),
            model.with_columns(entry_number=pl.when(pl.col("line_number") == 1)
                               .then(None).otherwise(pl.col("entry_number"))),
            model.with_columns(line_number=pl.lit(None, dtype=pl.Int64)),
            model.select(list(reversed(model.columns))),
            model.with_columns(extra=pl.lit(1.0))]


def test_request_risk_with_the_model_in_any_arrangement_is_the_general_paths(
        monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_targeting_config()
    rng = random.Random(23)
    answered = fallen_back = 0
    for seed in range(40):
        keys, findings, treatments, model = _request(rng, f"AAA-{seed:07d}-1")
        other = _request(rng, f"BBB-{seed:07d}-2")[3]
        for scores in _model_shapes(rng, model, other):
            with monkeypatch.context() as m:
                m.setattr(risk_module, "SMALL_RISK_LINES", -1)
                try:
                    want: pl.DataFrame | None = risk_module.combine_risk(
                        keys, findings, treatments, cfg, scores)
                except pl.exceptions.PolarsError:
                    want = None
            got = risk_request.few_lines_risk(keys, findings, treatments, cfg, scores)
            if got is None:
                fallen_back += 1
                continue
            assert want is not None
            assert got.schema == want.schema
            assert_frame_equal(got, want, check_exact=True)
            answered += 1
    assert answered > 300 and fallen_back > 40


def test_request_lanes_with_port_day_draws_kept_are_the_general_paths() -> None:
    """Interleaved configurations, ports and days: a port-day's draw is its own each time
    (the quota of a few lines at a rate of a third turns on the draw)."""
    from tradeguard.targeting.config import LaneRates
    from tradeguard.targeting.lanes import assign_lanes
    from tradeguard.targeting.lanes_request import few_lines_lanes

    cfg = load_targeting_config()
    configs = [cfg.model_copy(update={
        "capacity": cfg.capacity.model_copy(update={
            "rounding": "stochastic", "default": LaneRates(red=rate, yellow=rate)}),
        "random_sample": cfg.random_sample.model_copy(update={"seed": seed, "rate": 0.0}),
    }) for rate in (0.3, 0.34) for seed in (1, 2)]
    rng = random.Random(31)
    differ = 0
    for _ in range(300):
        lines = rng.randrange(1, 6)
        frame = pl.DataFrame({
            "entry_number": ["AAA-0000001-1"] * lines, "line_number": range(1, lines + 1),
            "port_of_entry": [rng.choice(("3001", "2704", "1001"))] * lines,
            "entry_date": [dt.date(2026, 7, rng.randrange(1, 6))] * lines,
            "risk_score": [rng.choice((0.1, 0.5, 0.9)) for _ in range(lines)],
            "forced_lane": [None] * lines, "trusted_trader": [False] * lines,
        }, schema={"entry_number": pl.String(), "line_number": pl.Int64(),
                   "port_of_entry": pl.String(), "entry_date": pl.Date(),
                   "risk_score": pl.Float64(), "forced_lane": pl.String(),
                   "trusted_trader": pl.Boolean()})
        answers = []
        for c in rng.sample(configs, len(configs)):
            got = few_lines_lanes(frame, c)
            assert got is not None
            assert_frame_equal(got, assign_lanes(frame, c), check_exact=True)
            answers.append(tuple(got["lane"]))
        differ += len(set(answers)) > 1
    assert differ > 30, "the draws decide some quotas"
