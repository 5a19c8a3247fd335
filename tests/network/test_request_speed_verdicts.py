"""The kept reads of the plain-Python network verdicts give what a fresh read gives: each
importer cluster's history rows, and the texts written for a flagged frame."""

from __future__ import annotations

import polars as pl
from tests.network.test_entry_network_verdicts import ctx
from tests.network.test_entry_path import ring_detector

from tradeguard.detectors.base import DetectionContext
from tradeguard.network import entry_verdicts
from tradeguard.network.entry_rules import history_index
from tradeguard.network.entry_verdicts import (
    SHIPPER,
    SHIPPER_SCHEMA,
    cluster_rows,
    importer_rows,
    past_rows,
    rule_texts,
)

__all__ = ["ctx"]


def test_each_clusters_rows_are_the_gathered_rows(ctx: DetectionContext) -> None:
    detector = ring_detector(ctx)
    assert detector._history is not None
    index = history_index(detector._history)
    clusters = sorted(index.by_cluster)
    for chosen in ([c] for c in clusters):
        fresh = past_rows(detector._history, importer_rows(index, chosen))
        assert cluster_rows(detector._history, index, chosen) == fresh
        assert cluster_rows(detector._history, index, chosen) == fresh  # kept
    every = past_rows(detector._history, importer_rows(index, clusters))
    assert sorted(cluster_rows(detector._history, index, clusters), key=repr) == sorted(
        every, key=repr)


def flagged(rate: float) -> pl.DataFrame:
    row = ("S|seller", 12, 9, 3, ["A", "B", "C"], 2, ["X", "Y"], ["CN"], "v1", ["850110|KG"],
           0.001, rate, "10")
    return pl.DataFrame([row], schema=SHIPPER_SCHEMA, orient="row")


def test_kept_texts_are_the_written_texts() -> None:
    entry_verdicts._WRITTEN.clear()
    rates = (0.25, 0.0, -0.0, 0.25, -0.0)
    kept = [rule_texts(SHIPPER, flagged(rate)) for rate in rates]  # read back when seen
    for rate, texts in zip(rates, kept, strict=True):
        entry_verdicts._WRITTEN.clear()
        assert texts == rule_texts(SHIPPER, flagged(rate))
