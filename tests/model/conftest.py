"""Small inline tables for the model tests (a few hundred rows; no real data)."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest
from tests.model.test_treeshap import _data


def make_lines(rows: int, seed: int) -> pl.DataFrame:
    """Lines whose fraud depends on price gap and origin, so a model has something to learn."""
    rng = np.random.default_rng(seed)
    origin = rng.choice(["CN", "VN", "DE"], rows)
    gap = rng.normal(0.0, 1.0, rows)
    logit = 1.5 * gap + np.where(origin == "CN", 1.0, -1.0)
    fraud = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pl.DataFrame({
        "price_gap": gap,
        "mass": rng.lognormal(3.0, 1.0, rows),
        "origin": origin,
        "duty": rng.lognormal(5.0, 1.0, rows),
        "fraud": fraud,
    })


@pytest.fixture
def lines() -> pl.DataFrame:
    return make_lines(600, seed=1)


@pytest.fixture
def held_out() -> pl.DataFrame:
    return make_lines(300, seed=2)


@pytest.fixture(scope="module")
def booster() -> lgb.Booster:
    """A small LightGBM model on synthetic rows with a categorical column (the remembered
    contributions' tests)."""
    x, y = _data(3000, seed=3)
    return lgb.train(
        {"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 5, "verbose": -1,
         "num_threads": 1, "seed": 1},
        lgb.Dataset(x, y, categorical_feature=[3]), num_boost_round=30)
