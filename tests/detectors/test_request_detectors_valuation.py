"""What the request paths of the valuation and list detectors take as given, checked.

The plain-Python pieces stand in for library calls and must give their bits: Polars' (NumPy's)
``round`` worked on Python floats, ``norm.isf`` and ``norm.sf`` as the special functions they
call, a findings frame built from rows with the types Polars reads, a frame's column types
read without a schema. The flagged lines' values a request's findings are written from must be
the rows of the flagged frame the batch path compares with, on every demo entry and on
entries moved to give each kind of finding. The list screens are kept for the same reference
data and settings, and not carried into a pickle.
"""

from __future__ import annotations

import math
import pickle
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy.stats import norm
from tests.request_demo import demo_declarations, one_by_one, split_latest

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.finding_text import findings_frame_of, polars_round
from tradeguard.detectors.forced_labor.detector import ForcedLaborDetector
from tradeguard.detectors.valuation import ValuationDetector, tariff_rates
from tradeguard.detectors.valuation_entry import FINDING_INPUTS, entry_scores, tariff_lookup
from tradeguard.detectors.valuation_entry_reviews import _isf
from tradeguard.detectors.watchlist import WatchlistDetector
from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.frame_reads import column_types
from tradeguard.refdata import load_reference_data


def _same_bits(a: float, b: float) -> bool:
    return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (
        math.isnan(a) and math.isnan(b))


def test_polars_round_gives_numpys_bits() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate([
        rng.normal(0, 1, 20_000), rng.normal(0, 1e4, 20_000),
        np.exp(rng.uniform(-40, 40, 20_000)) * rng.choice([-1.0, 1.0], 20_000),
        np.round(rng.uniform(-100, 100, 20_000), 2) + 0.005,  # halves, as stored
        np.array([0.0, -0.0, -0.0004, 0.00049, 2.5, -2.5, 0.125, 74.65, 1e300, -1e300,
                  5e-324, math.inf, -math.inf, math.nan])])
    with np.errstate(over="ignore", invalid="ignore"):
        for digits in (0, 1, 2, 3, 4, 20):
            for value in values.tolist():
                want = float(np.round(np.float64(value), digits))
                assert _same_bits(polars_round(value, digits), want), (value, digits)


def test_normal_tails_give_scipys_bits() -> None:
    rng = np.random.default_rng(11)
    ps = np.concatenate([rng.uniform(0, 1, 20_000), np.exp(rng.uniform(-700, 0, 5_000)),
                         np.array([0.0, 1.0, 0.5, 1e-300, np.nextafter(1.0, 0.0)])])
    want = norm.isf(ps)
    for p, w in zip(ps.tolist(), want.tolist(), strict=True):
        assert _same_bits(_isf(p), float(w)), p
    zs = np.concatenate([rng.normal(0, 4, 20_000), np.array([0.0, -0.0, 40.0, -40.0])])
    from scipy.special import ndtr
    for z, w in zip(zs.tolist(), norm.sf(zs).tolist(), strict=True):
        assert _same_bits(float(ndtr(-z)), float(w)), z


def test_findings_frame_of_rows_has_the_schema() -> None:
    rows = [("E1", 1, "valuation", "R", "high", "text", "{}", "d", "1"),
            ("E1", None, "valuation", "R", "low", None, "{}", "d", "1")]
    for given in (rows, rows[:1], [(*r[:5], None, *r[6:]) for r in rows],
                  [(r[0], None, *r[2:]) for r in rows]):
        got = findings_frame_of(given)
        assert_frame_equal(got, pl.DataFrame(given, schema=FINDINGS_SCHEMA, orient="row"))
        assert got.schema == pl.Schema(FINDINGS_SCHEMA)


def test_column_types_are_the_schema() -> None:
    frame = pl.DataFrame({"a": [1], "b": ["x"], "c": [None], "d": [[1.5]],
                          "e": [date(2026, 1, 1)]}).with_columns(pl.col("a").cast(pl.Int32))
    assert column_types(frame) == dict(frame.schema)
    assert list(column_types(frame)) == frame.columns


@pytest.fixture(scope="module")
def fitted(demo_dir: Path) -> tuple[ValuationDetector, DetectionContext, pl.DataFrame]:
    history, current = split_latest(demo_declarations(demo_dir))
    day = current["entry_date"].max()
    assert isinstance(day, date)
    ctx = DetectionContext(ref=load_reference_data(), as_of=day)
    detector = ValuationDetector()
    detector.fit(history, ctx)
    return detector, ctx, current


def test_flagged_values_are_the_flagged_frames_rows(
    fitted: tuple[ValuationDetector, DetectionContext, pl.DataFrame],
) -> None:
    detector, ctx, current = fitted
    cfg = detector.config
    refs = detector._fitted().entry_references(cfg.min_party_lines, cfg.sigma_floor)
    assert refs is not None
    rates = tariff_rates(ctx)
    value = pl.col("entered_value_usd")
    entries = one_by_one(current)
    frames = entries + [one.with_columns(value * m) for one in entries
                        for m in (0.3, 0.6, 3.5, 12.0)]
    frames += [one.with_columns(pl.col("gross_weight_kg") * 0.05) for one in entries]
    flagged = 0
    for one in frames:
        got = entry_scores(one, cfg, refs, detector.base_rates,
                           None if rates is None else tariff_lookup(rates))
        assert got is not None
        rows = got.rows()
        assert rows is not None
        assert rows == got.flagged.rows(named=True)
        assert all(list(row) == list(FINDING_INPUTS) for row in rows)
        flagged += len(rows)
    assert flagged >= 40
    # a value not of its column's type: no rows, the frame casts it
    one = frames[-1]
    got = entry_scores(one, cfg, refs, detector.base_rates, None)
    assert got is not None and got.values
    got.values[0]["peer_n"] = 3.0
    assert got.rows() is None
    got.values[0]["peer_n"] = 3
    got.values[0]["luv"] = 2
    rows = got.rows()
    assert rows is not None and rows[0]["luv"] == 2.0 and isinstance(rows[0]["luv"], float)


@pytest.mark.parametrize("kind", [WatchlistDetector, ForcedLaborDetector])
def test_list_screens_are_kept_per_reference_data_and_settings(kind: type) -> None:
    ref = load_reference_data()
    detector = kind()
    ctx = DetectionContext(ref=ref, as_of=date(2026, 6, 1))
    screen = detector.screen_for(ctx)
    assert detector.screen_for(ctx) is screen
    assert detector.screen_for(DetectionContext(ref=ref, as_of=date(2026, 7, 1))) is screen
    other = detector.config.model_copy()
    assert detector.screen_for(DetectionContext(ref=ref, as_of=ctx.as_of,
                                                config={kind.name: other})) is screen
    assert detector.__dict__["_screen_for"][1] is other
    assert "_screen_for" not in detector.__getstate__()
    bare = kind()  # pickled before any screen is built (a screen holds a lock)
    bare.__dict__["_screen_for"] = (ref, bare.config)
    assert "_screen_for" not in pickle.loads(pickle.dumps(bare)).__dict__
