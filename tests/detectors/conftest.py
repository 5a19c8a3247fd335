"""The valuation detector fitted on the demo's history, shared by its request-path tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.request_demo import demo_declarations, split_latest

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.valuation import ValuationDetector
from tradeguard.refdata import load_reference_data


@pytest.fixture(scope="module")
def valuation_demo(demo_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(history declarations, the latest entries' declarations) of the demo."""
    return split_latest(demo_declarations(demo_dir))


@pytest.fixture(scope="module")
def fitted_valuation(valuation_demo: tuple[pl.DataFrame, pl.DataFrame]
                     ) -> tuple[ValuationDetector, DetectionContext]:
    """The valuation detector fitted on the history, with the context of its last day."""
    history, current = valuation_demo
    day = current["entry_date"].max()
    assert isinstance(day, date)
    ctx = DetectionContext(ref=load_reference_data(), as_of=day)
    detector = ValuationDetector()
    detector.fit(history, ctx)
    return detector, ctx
