"""Parties screened ahead: later batches only look them up, and find the same."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest


def _fitted(demo: Any, work: Path) -> tuple[Any, Any, Any]:
    from tradeguard.engines.run import _fit, _stage_all

    staged = _stage_all(demo.sources(), work / "staged", work, batch_rows=400)
    day = pl.read_parquet(list(staged["entries"].parts))["entry_date"].max()
    return staged, _fit(staged, day), day


def test_remembered_parties_are_not_screened_again(demo: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeguard.engines.prescreen import remember_parties
    from tradeguard.engines.shipping import pack, unpack
    from tradeguard.pipeline.run import declarations

    staged, run, _ = _fitted(demo, tmp_path)
    decl = declarations(staged["entries"].read(), staged["lines"].read())
    names = ("watchlist", "forced_labor")
    cold = dict(unpack(pack(list(run.chain.only(names)))))
    want = {n: cold[n].detect(decl, run.ctx) for n in names}
    assert want["watchlist"].height > 0 and want["forced_labor"].height > 0

    ctx = replace(run.ctx, supply_chain=None)  # each part's own is read from the staged file
    warm = remember_parties(list(run.chain.only(names)), ctx, staged)
    assert sorted(n for n, _ in warm) == sorted(names)
    shipped = dict(unpack(pack(warm)))  # as it comes back from the screening process

    def no_screening(*_: object) -> pl.DataFrame:
        raise AssertionError("a remembered party was screened again")

    monkeypatch.setattr("tradeguard.screening.engine.screen_parties", no_screening)
    for name in names:
        got = shipped[name].detect(decl, run.ctx)
        assert got.sort(pl.all()).equals(want[name].sort(pl.all())), name
    # A party never seen before is still screened (and so fails here).
    fresh = decl.head(1).with_columns(pl.lit("Zzyzx Unheard Of Trading Co").alias("seller_name"))
    with pytest.raises(AssertionError, match="screened again"):
        shipped["watchlist"].detect(fresh, run.ctx)


def test_a_run_screens_its_parties_ahead_in_place(demo: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeguard.engines.prescreen import prescreened
    from tradeguard.pipeline.run import declarations

    staged, run, _ = _fitted(demo, tmp_path)
    with prescreened(run, staged, enabled=True) as ahead:
        ahead.wait()

    def no_screening(*_: object) -> pl.DataFrame:
        raise AssertionError("a remembered party was screened again")

    monkeypatch.setattr("tradeguard.screening.engine.screen_parties", no_screening)
    decl = declarations(staged["entries"].read(), staged["lines"].read())
    detectors = dict(run.chain)
    assert detectors["watchlist"].detect(decl, run.ctx).height > 0
    assert detectors["forced_labor"].detect(decl, run.ctx).height > 0
