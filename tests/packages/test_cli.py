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
