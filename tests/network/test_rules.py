"""The MID churn and violator cluster rules on inline, already clustered declarations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from tradeguard.network import network_findings
from tradeguard.network.churn import ChurnRule, mid_churn, mid_stem
from tradeguard.network.violators import ViolatorRule, violator_clusters

LATEST = date(2026, 9, 30)
Row = tuple[str, str, str | None, int, str]


def declarations(rows: Sequence[Row]) -> pl.DataFrame:
    """(cluster, kind, identifier, days before LATEST, entry_number) as occurrences."""
    frame = pl.DataFrame(list(rows), orient="row",
                         schema=["cluster", "kind", "identifier", "ago", "entry_number"])
    return frame.with_columns(
        pl.lit(LATEST).sub(pl.duration(days=pl.col("ago"))).cast(pl.Date).alias("date"),
        pl.col("cluster").alias("name"), pl.lit("CN").alias("country"),
        pl.lit(1).cast(pl.Int64).alias("line_number"), pl.lit("v1").alias("linkage_version"),
    ).drop("ago")


def established(clusters: int) -> list[Row]:
    """Factories with one MID each, declared for a year."""
    return [(f"F{c}", "manufacturer", f"CNFAC{c:03d}1SHA", ago, f"E{c}-{ago}")
            for c in range(clusters) for ago in (20, 200, 340)]


def test_mid_stem_reads_a_mid_keyed_without_its_city_or_with_another_country_alike() -> None:
    mids = pl.DataFrame({"mid": ["VNVIETHA1017HAI", "vnvietha-1017", "XXVIETHA1017HAI",
                                 "VNVIETHA2954BIN"]})
    stems = mids.select(mid_stem(pl.col("mid"))).to_series().to_list()
    assert stems == ["VIETHA1017", "VIETHA1017", "VIETHA1017", "VIETHA2954"]


def test_a_factory_taking_new_mids_in_a_short_window_churns() -> None:
    churner: list[Row] = [("X", "manufacturer", f"CNXIABAO{2456 + 2 * i}XIA", 10 + 15 * i, f"X{i}")
               for i in range(4)]
    hits = mid_churn(declarations([*established(30), *churner]), ChurnRule())
    assert hits["cluster"].to_list() == ["X"]
    assert hits["new_mids"][0] == 4 and hits["p_value"][0] < 0.01


def test_established_mids_keying_errors_and_short_mids_are_not_churn() -> None:
    plants: list[Row] = [  # one group with two long-standing plants
        ("G", "manufacturer", "VNVIETHA1017HAI", 300, "G1"),
        ("G", "manufacturer", "VNVIETHA1017HAI", 10, "G2"),
        ("G", "manufacturer", "VNVIETHA2954BIN", 250, "G4"),
        ("G", "manufacturer", "VNVIETHA2954BIN", 5, "G5"),
    ]
    # MIDs keyed without (all) the city, and MIDs of other factories keyed on its lines
    short: list[Row] = [("G", "manufacturer", mid, 12, f"G{mid}")
                        for mid in ("VNVIETHA1017", "VNVIETHA2954", "VNVIETHA1017HA")]
    borrowed: list[Row] = [("G", "manufacturer", f"CNFAC00{c}1SHA", 8, f"GB{c}")
                           for c in range(3)]
    for odd in (short, borrowed):
        assert mid_churn(declarations([*established(30), *plants, *odd]), ChurnRule()).is_empty()


def test_without_history_no_mid_is_new_and_none_is_churn() -> None:
    fresh: list[Row] = [(f"F{c}", "manufacturer", f"CNFAC{c:03d}{i}SHA", 5 + i, f"E{c}{i}")
             for c in range(20) for i in range(c % 4)]
    assert mid_churn(declarations(fresh), ChurnRule(window_days=400)).is_empty()
    # Dated from the first day (no lead), every MID is new: the base rate is high and only a
    # loose tail raises anything.
    assert mid_churn(declarations(fresh), ChurnRule(window_days=400, lead_days=0)).is_empty()
    assert not mid_churn(declarations(fresh),
                         ChurnRule(window_days=400, lead_days=0, alpha=0.5)).is_empty()


def test_a_short_history_does_not_make_old_mids_new() -> None:
    # Six months of data: thirty one-MID factories, a group declaring five plants' MIDs from
    # the first weeks on, and a factory taking four MIDs in the last two months.
    plants: list[Row] = [(f"F{c}", "manufacturer", f"CNFAC{c:03d}1SHA", ago, f"E{c}-{ago}")
                         for c in range(30) for ago in (170, 100, 20)]
    group: list[Row] = [("G", "manufacturer", f"VNGROUP{100 + i}HAI", ago, f"G{i}-{ago}")
                        for i in range(5) for ago in (170 - 2 * i, 60, 10)]
    churner: list[Row] = [("X", "manufacturer", f"CNXIABAO{2456 + 2 * i}XIA", 60 - 15 * i,
                           f"X{i}") for i in range(4)]
    occ = declarations([*plants, *group, *churner])
    assert mid_churn(occ, ChurnRule())["cluster"].to_list() == ["X"]
    assert "G" in mid_churn(occ, ChurnRule(lead_days=0))["cluster"].to_list()


def outcome_rows(bad: list[str], good: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"entry_number": bad + good, "line_number": [1] * (len(bad) + len(good)),
                         "discrepancy": ["true"] * len(bad) + ["false"] * len(good)})


def population() -> list[Row]:
    """Forty single-name exporters with five lines each."""
    return [(f"S{c}", "seller", None, 5 + i, f"S{c}-{i}") for c in range(40) for i in range(5)]


def test_a_small_cluster_under_several_names_failing_exams_is_a_violator() -> None:
    ring = declarations([("R", "seller", None, 3 + i, f"R{i}") for i in range(5)]).with_columns(
        pl.Series("name", ["Richway Ltd", "Richway Trading", "Richway Intl", "Richway Ltd",
                           "Richway Ltd"]))
    occ = pl.concat([declarations(population()), ring])
    outcomes = outcome_rows(["R0", "R1", "S1-0", "S2-0", "S3-0"],
                            ["R2", "S4-0", "S5-0", "S6-4"])
    hits = violator_clusters(occ, outcomes, ViolatorRule())
    assert hits["cluster"].to_list() == ["R"]
    assert (hits["discrepancies"][0], hits["lines"][0]) == (2, 5)


def test_a_large_group_with_ordinary_error_rate_is_not_a_violator() -> None:
    big = declarations([("B", "seller", None, 3 + i % 30, f"B{i}") for i in range(120)])
    big = big.with_columns(pl.when(pl.col("entry_number").str.ends_with("7"))
                           .then(pl.lit("Big Group JSC")).otherwise(pl.lit("Big Group Co Ltd"))
                           .alias("name"))
    occ = pl.concat([declarations(population()), big])
    outcomes = outcome_rows(["B1", "B2", "B3", "S1-0", "S2-0", "S3-0", "S4-0", "S5-0"],
                            ["B4", "B5", "S6-0"])
    assert violator_clusters(occ, outcomes, ViolatorRule()).is_empty()
    # the same cluster is raised once its discrepancy share stands out
    many = outcome_rows([f"B{i}" for i in range(12)], ["S1-0"])
    assert violator_clusters(occ, many, ViolatorRule())["cluster"].to_list() == ["B"]


def test_outcomes_without_a_confirmed_discrepancy_do_not_count() -> None:
    ring = declarations([("R", "seller", None, 3 + i, f"R{i}") for i in range(4)]).with_columns(
        pl.Series("name", ["Richway Ltd", "Richway Trading", "Richway Ltd", "Richway Ltd"]))
    occ = pl.concat([declarations(population()), ring])
    examined = outcome_rows([], ["R0", "R1", "R2", "S1-0"])
    assert violator_clusters(occ, examined, ViolatorRule()).is_empty()


def test_rules_are_configuration() -> None:
    churner: list[Row] = [("X", "manufacturer", f"CNXIABAO{2456 + 2 * i}XIA", 10 + 15 * i, f"X{i}")
               for i in range(3)]
    occ = declarations([*established(30), *churner])
    assert not mid_churn(occ, ChurnRule(min_new_mids=3)).is_empty()
    assert mid_churn(occ, ChurnRule(min_new_mids=4)).is_empty()
    assert mid_churn(occ, ChurnRule(window_days=20)).is_empty()


def importer_lines(cluster: str, days_ago: list[int], usd: float,
                   history: bool = False) -> pl.DataFrame:
    return pl.DataFrame({
        "record_id": cluster, "kind": "importer", "name": cluster, "identifier": cluster,
        "address": None, "country": "US", "package_id": None, "history": history,
        "entry_number": [f"{cluster}-{i}" for i in range(len(days_ago))], "line_number": 1,
        "date": [LATEST - timedelta(days=d) for d in days_ago], "entered_value_usd": usd,
    }, schema_overrides={"address": pl.String, "package_id": pl.String})


def test_a_new_importer_filing_fast_is_fly_by_night_though_a_quarter_of_trade_is_larger(
        ) -> None:
    quarter = list(range(0, 90, 3))  # thirty entries over ninety days
    occ = pl.concat([
        *[importer_lines(f"EST{c}", quarter, 300_000.0) for c in range(3)],
        importer_lines("EST0", [200, 300], 1.0, history=True),
        importer_lines("EST1", [250], 1.0, history=True),
        importer_lines("SMALL", quarter, 1_000.0),
        importer_lines("NEW", [19, 15, 12, 8, 4, 1], 500_000.0),  # $3M, a third of EST's
        importer_lines("NEWSMALL", [19, 15, 12, 8, 4, 1], 5_000.0),
    ])
    resolved = occ.select("record_id").unique().with_columns(
        pl.col("record_id").alias("cluster"), pl.col("record_id").alias("name_key"),
        pl.lit("v1").alias("linkage_version"))
    found = network_findings(occ, resolved)
    raised = found.filter(pl.col("reason_code") == "NET_FLY_BY_NIGHT")["entry_number"]
    assert raised.str.starts_with("NEW-").all() and raised.len() == 6
