"""``tradeguard score-packages``: contract output, rejects quarantined next to --out."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from tradeguard.cli import build_app

HEADER = ("package_id,arrival_date,port_of_entry,shipper_name,shipper_country,consignee_name,"
          "consignee_address,declared_value_usd,description,hts_code,weight_kg,"
          "country_of_origin,carrier_code,seller_id\n")


def test_score_packages_writes_contract_columns_and_quarantines(tmp_path: Path) -> None:
    rows = [f"P{i},2026-05-0{1 + i % 5},4701,ACME CO LTD,CN,ANN {i},{i} OAK AVE,"
            f"{20 + i},LED DESK LAMP,940520,1.0,CN,DHL,S{i}\n" for i in range(10)]
    rows.append("BAD1,not-a-date,4701,ACME CO LTD,CN,BOB,1 ELM ST,12,LAMP,,1,CN,DHL,S1\n")
    src = tmp_path / "packages.csv"
    src.write_text(HEADER + "".join(rows), "utf-8")
    out = tmp_path / "out" / "scores.csv"
    result = CliRunner().invoke(build_app(), ["score-packages", "--packages", str(src),
                                              "--out", str(out), "--no-watchlist"])
    assert result.exit_code == 0, result.output
    scores = pl.read_csv(out)
    assert scores.columns[:5] == ["package_id", "risk_score", "lane", "categories", "reasons"]
    assert scores.height == 10 and "BAD1" not in scores["package_id"].to_list()
    assert set(scores["lane"]) <= {"green", "yellow", "red"}
    rejects = pl.read_csv(tmp_path / "out" / "packages.csv.rejects.csv")
    assert rejects["fields"].to_list() == ["arrival_date"] and rejects["row"].to_list() == [12]


def test_missing_file_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), ["score-packages", "--packages",
                                              str(tmp_path / "none.csv"), "--out",
                                              str(tmp_path / "o.csv"), "--no-watchlist"])
    assert result.exit_code == 1


def test_package_outcomes_are_validated_and_their_rejects_kept(tmp_path: Path) -> None:
    """Outcomes in the contract's outcomes form (package id in entry_number): a bad yes/no or
    a future date is quarantined with file row and field; the good rows still count."""
    rows = [f"P{i},2026-05-0{1 + i % 5},4701,ACME CO LTD,CN,ANN {i},{i} OAK AVE,"
            f"{20 + i},LED DESK LAMP,940520,1.0,CN,DHL,S{i}\n" for i in range(6)]
    packages = tmp_path / "packages.csv"
    packages.write_text(HEADER + "".join(rows), "utf-8")
    outcomes = tmp_path / "package_outcomes.csv"
    outcomes.write_text(
        "entry_number,line_number,examined,discrepancy,category,recovered_duty_usd,decided_on\n"
        "P0,,true,true,small_package,12.5,2026-04-01\n"
        "P1,,true,maybe,,,2026-04-02\n"
        "P2,,,false,,,2999-01-01\n"
        "P3,,,false,,,2026-04-03\n", "utf-8")
    out = tmp_path / "out" / "scores.csv"
    result = CliRunner().invoke(build_app(), [
        "score-packages", "--packages", str(packages), "--history-packages", str(packages),
        "--outcomes", str(outcomes), "--out", str(out), "--no-watchlist"])
    assert result.exit_code == 0, result.output
    assert '"outcomes_rejected": 2' in result.output
    rejects = pl.read_csv(tmp_path / "out" / "package_outcomes.csv.rejects.csv")
    assert rejects["row"].to_list() == [3, 4]
    assert rejects["fields"].to_list() == ["discrepancy", "decided_on"]
    assert "maybe" in rejects["raw_row"][0]


def test_package_outcomes_without_the_package_column_exit_1(tmp_path: Path) -> None:
    packages = tmp_path / "packages.csv"
    packages.write_text(HEADER + "P0,2026-05-01,4701,A CO,CN,ANN,1 OAK AVE,20,LAMP,940520,1.0,"
                        "CN,DHL,S0\n", "utf-8")
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("parcel,discrepancy\nP0,true\n", "utf-8")
    result = CliRunner().invoke(build_app(), [
        "score-packages", "--packages", str(packages), "--history-packages", str(packages),
        "--outcomes", str(outcomes), "--out", str(tmp_path / "o.csv"), "--no-watchlist"])
    assert result.exit_code == 1
    assert "package_id" in result.output
