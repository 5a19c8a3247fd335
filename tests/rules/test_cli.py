"""The ``tradeguard rules`` commands on small files written in the test."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer
from typer.testing import CliRunner

from tradeguard.cli import rules as rules_cli
from tradeguard.rules import CHANGE_LOG_NAME


def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Test root."""

    rules_cli.register(root)
    return root


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app(), ["rules", *args])
    return result.exit_code, result.stdout, result.stderr


def test_check_reports_file_and_line(tmp_path: Path, profile_yaml: Callable[..., str]) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(profile_yaml("{field: origin, op: eq, value: CN}"), encoding="utf-8")
    code, _, err = invoke("check", str(path))
    assert code == 1
    assert f"error: {path}:7: unknown field 'origin'" in err

    path.write_text(profile_yaml("{field: country_of_origin, op: eq, value: CN}"), "utf-8")
    code, out, _ = invoke("check", str(path))
    assert code == 0 and "ok" in out
    assert invoke("check", str(tmp_path / "missing.yaml"))[0] == 2


def test_list_shows_status_and_flags_unrecorded(
    tmp_path: Path, profile_yaml: Callable[..., str]
) -> None:
    extra = "valid_from: 2025-01-01\nvalid_to: 2025-06-30\nreview_date: 2025-05-01"
    (tmp_path / "p.yaml").write_text(
        profile_yaml("{field: country_of_origin, op: eq, value: CN}", extra=extra), "utf-8"
    )
    code, out, err = invoke("list", "--profiles", str(tmp_path), "--on", "2025-07-01", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["profiles"][0]["status"] == "expired (unrecorded change)"
    assert payload["profiles"][0]["owner"] == "Test team"
    assert "has no recorded change" in err

    code, out, _ = invoke(
        "record", "--profiles", str(tmp_path), "--author", "me", "--reason", "new"
    )
    assert code == 0 and (tmp_path / CHANGE_LOG_NAME).exists()
    code, out, err = invoke("list", "--profiles", str(tmp_path), "--on", "2025-03-01")
    assert code == 0 and "P-1" in out and "active" in out and err == ""


def test_backtest_with_outcomes(tmp_path: Path, profile_yaml: Callable[..., str]) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "p.yaml").write_text(
        profile_yaml(
            "{field: country_of_origin, op: eq, value: CN}", extra="valid_from: 2030-01-01"
        ),
        "utf-8",
    )
    (tmp_path / "entries.csv").write_text(
        "entry_number,entry_type,entry_date,port_of_entry,importer_id,importer_name\n"
        "E1,01,2025-01-02,2704,IOR1,Acme\nE2,01,2025-01-03,2704,IOR2,Beta\n",
        "utf-8",
    )
    (tmp_path / "lines.csv").write_text(
        "entry_number,line_number,hts_code,description,country_of_origin,quantity,"
        "quantity_unit,entered_value_usd\n"
        "E1,1,6109100012,shirts,CN,10,DOZ,100\nE1,2,6109100012,shirts,VN,10,DOZ,100\n"
        "E2,1,6109100012,shirts,CN,10,DOZ,100\n",
        "utf-8",
    )
    (tmp_path / "outcomes.csv").write_text(
        "entry_number,line_number,examined,discrepancy\nE1,1,true,true\nE2,,true,false\n", "utf-8"
    )
    findings = tmp_path / "findings.csv"
    code, out, _ = invoke(
        "test",
        "--profiles",
        str(profiles),
        "--entries",
        str(tmp_path / "entries.csv"),
        "--lines",
        str(tmp_path / "lines.csv"),
        "--outcomes",
        str(tmp_path / "outcomes.csv"),
        "--findings-out",
        str(findings),
        "--json",
    )
    assert code == 0, out
    row = json.loads(out)["profiles"][0]
    # Not yet valid, but a back-test evaluates it anyway.
    assert (row["lines_hit"], row["examined"], row["discrepancies"]) == (2, 2, 1)
    assert row["hit_rate"] == 0.5
    assert findings.read_text("utf-8").count("\n") == 3  # header + 2 findings

    code, out, _ = invoke(
        "test",
        "--profiles",
        str(profiles),
        "--entries",
        str(tmp_path / "entries.csv"),
        "--lines",
        str(tmp_path / "lines.csv"),
        "--on",
        "2025-06-01",
        "--json",
    )
    assert code == 0 and json.loads(out)["profiles"][0]["lines_hit"] == 0


def test_backtest_bad_value_fails_naming_file_row_field(
    tmp_path: Path, profile_yaml: Callable[..., str]
) -> None:
    (tmp_path / "p.yaml").write_text(profile_yaml("{field: quantity, op: gt, value: 1}"), "utf-8")
    (tmp_path / "e.csv").write_text("entry_number\nE1\n", "utf-8")
    (tmp_path / "l.csv").write_text("entry_number,line_number,quantity\nE1,1,lots\n", "utf-8")
    code, _, err = invoke(
        "test",
        "--profiles",
        str(tmp_path),
        "--entries",
        str(tmp_path / "e.csv"),
        "--lines",
        str(tmp_path / "l.csv"),
    )
    assert code == 1
    assert "l.csv" in err and "row 1" in err and "'quantity'" in err
