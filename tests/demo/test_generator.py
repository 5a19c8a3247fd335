"""The demo generator: contract-loadable files, determinism, every category, clean lines right."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tradeguard.contract import is_valid_entry_number, open_source, validate_batch
from tradeguard.demo import build_mid, generate_demo_data
from tradeguard.refdata import load_reference_data
from tradeguard.refdata.duty import compute_duty_frame

CATEGORIES = ["data_quality", "valuation", "classification", "origin", "adcvd", "forced_labor",
              "watchlist", "small_package", "network"]
FILES = ["entries", "lines", "packages", "supply_chain", "outcomes", "history_entries",
         "history_lines", "truth", "history_packages", "package_outcomes"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out, entries=600, seed=11, history_months=3)
    return out


def _accepted(path: Path, kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    src = open_source(path, kind=kind)
    batches = [validate_batch(raw, src.schema, today=date(2026, 11, 25))
               for raw in src.batches(50_000)]
    return (pl.concat([b.accepted for b in batches]), pl.concat([b.rejected for b in batches]))


def _planted_lines(demo: Path) -> pl.DataFrame:
    truth = pl.read_csv(demo / "truth.csv", infer_schema_length=0)
    return truth.filter(pl.col("record_kind") == "line").select(
        "entry_number", pl.col("line_number").cast(pl.Int64)).unique()


def test_every_file_loads_through_the_contract(demo: Path) -> None:
    for name in FILES:
        assert (demo / f"{name}.csv").is_file(), name
    for name in ["entries", "packages", "supply_chain", "outcomes", "history_entries",
                 "history_lines"]:
        accepted, rejected = _accepted(demo / f"{name}.csv", name.replace("history_", ""))
        assert rejected.height == 0, (name, rejected.head(3).to_dicts())
        assert accepted.height > 0
    accepted, rejected = _accepted(demo / "lines.csv", "lines")
    # only planted malformed HTS numbers may be rejected by the contract
    assert rejected.height > 0
    assert all("hts_code" in r for r in rejected["reasons"].to_list())


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    def digest(folder: Path) -> dict[str, str]:
        return {n: hashlib.sha256((folder / f"{n}.csv").read_bytes()).hexdigest() for n in FILES}

    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_demo_data(tmp_path / name, entries=300, seed=seed, history_months=1)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")["lines"] != digest(tmp_path / "c")["lines"]


def test_every_category_has_several_schemes(demo: Path) -> None:
    truth = pl.read_csv(demo / "truth.csv", infer_schema_length=0)
    schemes = truth.group_by("category").agg(pl.col("scheme").n_unique().alias("n"))
    got = dict(schemes.iter_rows())
    for category in CATEGORIES:
        assert got.get(category, 0) >= 2, (category, got)
    assert "model" not in got


def test_truth_points_at_real_rows(demo: Path) -> None:
    truth = pl.read_csv(demo / "truth.csv", infer_schema_length=0)
    lines = pl.read_csv(demo / "lines.csv", infer_schema_length=0).select(
        "entry_number", "line_number")
    line_truth = truth.filter(pl.col("record_kind") == "line").select(
        "entry_number", "line_number")
    assert line_truth.join(lines, on=["entry_number", "line_number"], how="anti").height == 0
    pk = pl.read_csv(demo / "packages.csv", infer_schema_length=0).select("package_id")
    pk_truth = truth.filter(pl.col("record_kind") == "package").select("package_id")
    assert pk_truth.height > 0
    assert pk_truth.join(pk, on="package_id", how="anti").height == 0


def test_planted_share_is_moderate(demo: Path) -> None:
    # small runs keep a floor of a few rows per scheme, so the share can sit above the default
    lines = pl.read_csv(demo / "lines.csv", infer_schema_length=0)
    share = _planted_lines(demo).height / lines.height
    assert 0.02 < share < 0.2


def test_clean_lines_have_tariff_duty_and_unit(demo: Path) -> None:
    """Duty recomputed by the reference-data duty engine, not by the generator."""
    ref = load_reference_data()
    accepted, _ = _accepted(demo / "lines.csv", "lines")
    clean = accepted.join(_planted_lines(demo), on=["entry_number", "line_number"], how="anti")
    expected = compute_duty_frame(clean, ref, on=date(2026, 9, 1))
    assert expected["duty_undetermined_reason"].is_null().all()
    diff = (expected["expected_duty_usd"] - expected["duty_usd"]).abs()
    assert (diff <= 0.011).all(), expected.filter(diff > 0.011).head(5).to_dicts()
    units = ref.tariff.frame.select("hts10", pl.col("units").list.first().alias("unit"))
    joined = clean.with_columns(pl.col("hts_code").str.replace_all(r"\.", "").alias("hts10")
                                ).join(units, on="hts10", how="left")
    assert (joined["unit"] == joined["quantity_unit"]).all()


def test_clean_lines_have_rule_built_mids(demo: Path) -> None:
    lines = pl.read_csv(demo / "lines.csv", infer_schema_length=0)
    clean = lines.join(_planted_lines(demo).with_columns(pl.col("line_number").cast(pl.String)),
                       on=["entry_number", "line_number"], how="anti")
    rows = clean.select("manufacturer_id", "manufacturer_name", "manufacturer_address",
                        "manufacturer_country").unique().iter_rows()
    checked = 0
    for mid, name, address, country in rows:
        parts = [p.strip() for p in address.split(",")]
        street, city = parts[0], parts[1]
        province = parts[2] if len(parts) > 3 else None
        assert mid == build_mid(name, street, city, country, province), (mid, name, address)
        assert mid[:2] == country or (country == "CA" and re.fullmatch(r"X[A-Z]", mid[:2]))
        checked += 1
    assert checked > 20


def test_entry_numbers_valid_except_planted(demo: Path) -> None:
    entries = pl.read_csv(demo / "entries.csv", infer_schema_length=0)
    truth = pl.read_csv(demo / "truth.csv", infer_schema_length=0)
    bad = set(truth.filter(pl.col("scheme") == "bad_check_digit")["entry_number"].to_list())
    assert bad
    for number in entries["entry_number"].to_list():
        assert is_valid_entry_number(number) != (number in bad), number
    assert entries["entry_number"].n_unique() == entries.height


def test_adcvd_transshipment_factories_are_new(demo: Path) -> None:
    truth = pl.read_csv(demo / "truth.csv", infer_schema_length=0)
    lines = pl.read_csv(demo / "lines.csv", infer_schema_length=0)
    hist = pl.read_csv(demo / "history_lines.csv", infer_schema_length=0)
    scheme = truth.filter(pl.col("scheme").str.starts_with("transshipment_")
                          & (pl.col("category") == "adcvd"))
    assert scheme["scheme_id"].n_unique() >= 3
    mids = scheme.join(lines, on=["entry_number", "line_number"])["manufacturer_id"].unique()
    assert not set(mids.to_list()) & set(hist["manufacturer_id"].to_list())
    # each scheme is one lead: all its lines come from one factory
    per = scheme.join(lines, on=["entry_number", "line_number"]).group_by("scheme_id").agg(
        pl.col("manufacturer_name").n_unique().alias("n"))
    assert (per["n"] == 1).all()


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="entries"):
        generate_demo_data(tmp_path, entries=5)
    with pytest.raises(ValueError, match="planting_rate"):
        generate_demo_data(tmp_path, entries=300, planting_rate=0.9)
