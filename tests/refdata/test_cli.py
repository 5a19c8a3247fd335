"""The ``duty`` and ``refdata`` commands: JSON out, exit codes, errors on stderr."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tradeguard.cli import build_app

RUNNER = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def test_duty_json() -> None:
    code, out, _ = _run("duty", "--hts", "6109.10.00.12", "--origin", "VN", "--value", "10000",
                        "--date", "2026-05-01")
    assert code == 0
    doc = json.loads(out)
    assert doc["general_rate"] == "16.5%"
    assert doc["total_usd"] == 1684.64
    assert {c["name"] for c in doc["components"]} == {"HTS duty (general)",
                                                     "Merchandise processing fee"}
    assert all({"name", "legal_basis", "rate", "amount_usd"} <= set(c) for c in doc["components"])


def test_duty_compound_via_cli() -> None:
    code, out, _ = _run("duty", "--hts", "0402295000", "--origin", "NZ", "--value", "2000",
                        "--quantity", "500", "--unit", "KG", "--date", "2026-05-01")
    assert code == 0
    doc = json.loads(out)
    assert doc["general_rate"] == "$1.104/kg + 14.9%"
    assert doc["components"][0]["amount_usd"] == 850.0


def test_duty_unknown_code_exits_1() -> None:
    code, out, err = _run("duty", "--hts", "6109100099", "--origin", "CN", "--value", "10")
    assert code == 1 and out == ""
    assert "6109100099" in err and "--hts" in err


def test_duty_bad_date_is_usage_error() -> None:
    code, _, err = _run("duty", "--hts", "6109100012", "--origin", "CN", "--value", "10",
                        "--date", "01/05/2026")
    assert code == 2 and "--date" in err


def test_refdata_list_json() -> None:
    code, out, _ = _run("refdata", "list", "--json", "--home", "/nonexistent-store")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["tariff"]["rows"] == 19856
    assert rows["tariff"]["as_of"] == "2026-04-01"
    assert rows["ofac_sdn"]["rows"] == 14965


def test_refdata_import_and_diff(tmp_path: Path) -> None:
    header = ("entity_id,name,aliases,country,location,sector,legal_basis,date_added,"
              "date_removed,source_url,confidence\n")
    a = tmp_path / "a.csv"
    a.write_text(header + "U-1,Alpha,,China,,,,2024-01-01,,,high\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text(header + "U-2,Beta,,China,,,,2024-01-01,,,high\n", encoding="utf-8")
    home = str(tmp_path / "store")
    assert _run("refdata", "import", "uflpa", str(a), "--as-of", "2025-01-01",
                "--home", home)[0] == 0
    code, out, _ = _run("refdata", "import", "uflpa", str(b), "--as-of", "2025-02-01",
                        "--home", home)
    assert code == 0
    code, out, _ = _run("refdata", "diff", "uflpa", "--home", home)
    assert code == 0
    doc = json.loads(out)
    assert (doc["added"], doc["removed"]) == (["U-2"], ["U-1"])
    assert _run("refdata", "import", "nonsense", str(a), "--home", home)[0] == 2
    assert _run("refdata", "import", "uflpa", str(tmp_path / "missing.csv"),
                "--home", home)[0] == 1
