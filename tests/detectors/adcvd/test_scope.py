"""Scope matching: HTS prefix + subject country + order in force."""

from __future__ import annotations

from datetime import date

import polars as pl

from tradeguard.detectors.adcvd.scope import MATCH_SCHEMA, match_orders, match_scope


def test_match_orders_by_prefix_country_and_date(kit):
    lines = kit.frame([
        kit.line("E1", hts_code="7604.21.0000", country_of_origin="CN"),
        kit.line("E2", hts_code="7604210000", country_of_origin="VN"),
        kit.line("E3", hts_code="7604210000", country_of_origin="CN",
                 entry_date=date(2010, 6, 1)),
        kit.line("E4", hts_code="9403608081", country_of_origin="CN"),
        kit.line("E5", hts_code="0304620000", country_of_origin="VN"),
    ])
    got = match_orders(lines, kit.orders())
    assert dict(got.schema) == MATCH_SCHEMA
    pairs = set(zip(got["entry_number"], got["case_number"], strict=True))
    assert pairs == {("E1", "A-570-967"), ("E1", "C-570-968"), ("E5", "A-552-801")}
    assert got.filter(got["case_number"] == "A-570-967")["deposit_rate"].to_list() == [0.3]


def test_match_scope_ignores_origin_and_counts_an_order_once(kit):
    lines = kit.frame([kit.line("E2", hts_code="7610.10.0010", country_of_origin="VN")])
    orders = kit.orders()
    orders = orders.with_columns(
        pl.when(pl.col("country") == "CN")
        .then(pl.col("hts_prefixes").list.concat(pl.lit(["761010"])))
        .otherwise(pl.col("hts_prefixes")).alias("hts_prefixes"))
    got = match_scope(lines, orders)
    assert sorted(got["case_number"].to_list()) == ["A-570-967", "C-570-968"]
    assert set(got["hts_prefix"].to_list()) == {"761010"}  # the most specific prefix
    assert set(got["country"].to_list()) == {"CN"}


def test_pre_order_lines_match_only_when_asked(kit):
    lines = kit.frame([kit.line("E3", hts_code="7604210000", entry_date=date(2010, 6, 1))])
    assert match_scope(lines, kit.orders()).height == 0
    assert match_scope(lines, kit.orders(), in_force_only=False).height == 2
