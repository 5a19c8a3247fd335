"""Demo realism: traced priority goods, firm-only WRO names, local streets, truth, planting."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tradeguard.demo import DEFAULT_PLANTING_RATE, generate_demo_data
from tradeguard.demo.catalogue import read_catalogue_file
from tradeguard.demo.ledger import TRUTH_KEY, Ledger
from tradeguard.detectors.forced_labor import priority_sectors

KEY = ["entry_number", "line_number"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo_realism")
    generate_demo_data(out, entries=3000, seed=5, history_months=1)
    return out


def _read(demo: Path, name: str) -> pl.DataFrame:
    frame = pl.read_csv(demo / f"{name}.csv", infer_schema_length=0)
    if "line_number" in frame.columns:
        frame = frame.with_columns(pl.col("line_number").cast(pl.Int64))
    return frame


def test_2025_sectors_are_flagged_and_traced_in_the_catalogue() -> None:
    cat = read_catalogue_file()
    flagged = set(cat["priority"].drop_nulls().to_list())
    assert {"steel", "copper", "lithium", "caustic_soda", "red_dates", "aluminum", "pvc",
            "seafood"} <= flagged
    assert cat.filter(pl.col("priority").is_not_null() & pl.col("chain").is_null()).is_empty()


def test_clean_chinese_priority_lines_declare_a_supply_chain(demo: Path) -> None:
    lines, truth = _read(demo, "lines"), _read(demo, "truth")
    chain = _read(demo, "supply_chain").select(KEY).unique()
    cn = lines.filter(pl.col("country_of_origin") == "CN").with_row_index("row").with_columns(
        hts=pl.col("hts_code").str.replace_all(r"\D", ""), entry_date=pl.lit(date(2026, 9, 1)))
    in_sector = cn.join(priority_sectors(cn), on="row")
    assert in_sector["sector"].n_unique() >= 5
    untraced = in_sector.join(chain, on=KEY, how="anti")
    planted = truth.filter(pl.col("record_kind") == "line").select(KEY).unique()
    # every untraced one is a planted case, and the missing-chain scheme says so
    assert untraced.join(planted, on=KEY, how="anti").is_empty()
    no_chain = truth.filter(pl.col("scheme") == "no_traceability").select(KEY)
    assert no_chain.height > 0
    assert no_chain.join(chain, on=KEY).is_empty()
    assert untraced.height / in_sector.height < 0.25


def test_only_firms_are_planted_as_listed_parties(demo: Path) -> None:
    lines = _read(demo, "lines")
    names = pl.concat([lines["manufacturer_name"], lines["seller_name"]]).drop_nulls()
    product_wide = names.filter(names.str.contains(r"(?i)^all\b|region-wide|produced in|vessel"))
    assert product_wide.is_empty(), product_wide.unique().to_list()
    truth = _read(demo, "truth").filter(pl.col("scheme") == "wro_manufacturer")
    assert truth.height > 0


def test_addresses_use_the_streets_of_their_country(demo: Path) -> None:
    lines = _read(demo, "lines").select("manufacturer_address", "manufacturer_country").unique()
    street = pl.col("manufacturer_address").str.split(",").list.first()
    foreign = {"Gewerbestrasse": {"DE", "AT"}, "Nguyen": {"VN"}, "Jalan": {"MY", "ID"},
               "Via ": {"IT"}, "Xingye": {"CN"}, "Soi ": {"TH"}, "Mirpur": {"BD"}}
    for word, countries in foreign.items():
        wrong = lines.filter(street.str.contains(word, literal=True)
                             & ~pl.col("manufacturer_country").is_in(sorted(countries)))
        assert wrong.is_empty(), (word, wrong.head(3).rows())
    cn = lines.filter(pl.col("manufacturer_country") == "CN")
    assert cn.filter(~street.str.contains(r"^No\. \d+ ")).is_empty()


def test_truth_has_one_row_per_record_category_and_scheme(demo: Path) -> None:
    truth = _read(demo, "truth")
    assert truth.height == truth.unique(TRUTH_KEY).height
    led = Ledger(np.random.default_rng(0), np.zeros(3, bool), np.zeros(1, bool))
    for _ in range(2):
        led.add("line", "adcvd", "missing_deposit", "ADC-missing_deposit-001",
                entry_numbers=np.array(["E1", "E1"], object), line_numbers=np.array([1, 2]))
    assert led.frame().height == 2


def test_transshipment_chains_match_their_truth_notes(demo: Path) -> None:
    truth = _read(demo, "truth").filter(
        (pl.col("category") == "adcvd") & pl.col("scheme").str.starts_with("transshipment_"))
    chain = _read(demo, "supply_chain")
    checked = 0
    for (note,), rows in truth.group_by("note"):
        tier1 = chain.join(rows.select(KEY), on=KEY).filter(pl.col("tier") == "1")
        if "CN tier-1 supplier" in str(note):
            assert tier1.height == rows.height and (tier1["supplier_country"] == "CN").all()
            assert tier1["supplier_name"].n_unique() == 1
            checked += 1
        elif "no supply chain" in str(note):
            assert tier1.is_empty()
            checked += 1
    assert checked >= 1


def test_default_planting_share_is_near_eight_percent(tmp_path: Path) -> None:
    manifest = generate_demo_data(tmp_path, entries=4000, seed=2, history_months=1)
    assert manifest.planting_rate == DEFAULT_PLANTING_RATE
    assert 0.065 <= manifest.planted_line_share <= 0.10
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", manifest.window[0])
