"""``tradeguard network build`` and ``network show`` on a tiny declaration set."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tradeguard.cli import build_app

ENTRIES = ("entry_number,entry_type,entry_date,port_of_entry,importer_id,importer_name,"
           "importer_address\n")
LINES = ("entry_number,line_number,hts_code,description,country_of_origin,quantity,"
         "quantity_unit,entered_value_usd,manufacturer_id,manufacturer_name,"
         "manufacturer_address,manufacturer_country,seller_name,seller_country\n")


def test_build_then_show_a_ring(tmp_path: Path) -> None:
    from tradeguard.contract import entry_number_check_digit

    numbers = [f"AB1-000000{i}-{entry_number_check_digit('AB1', f'000000{i}')}"
               for i in range(3)]
    names = ["Sunrise Trading LLC", "Sunrise Imports Inc.", "SUNRISE SUPPLY CO"]
    (tmp_path / "entries.csv").write_text(ENTRIES + "".join(
        f"{n},01,2026-05-0{i + 1},2704,12-3456789{i:02d},{names[i]},"
        f"\"100 Harbor Blvd, Dallas, TX 75201\"\n" for i, n in enumerate(numbers)), "utf-8")
    (tmp_path / "lines.csv").write_text(LINES + "".join(
        f"{n},1,6109100012,MENS COTTON T-SHIRTS,CN,100,DOZ,5000,CNABC1SHA,ABC Garment Co Ltd,"
        f"\"1 Road, Shanghai\",CN,ABC Garment Co Ltd,CN\n" for n in numbers), "utf-8")
    runner = CliRunner()
    out = tmp_path / "net"
    built = runner.invoke(build_app(), ["network", "build", "--entries",
                                        str(tmp_path / "entries.csv"), "--lines",
                                        str(tmp_path / "lines.csv"), "--out", str(out)])
    assert built.exit_code == 0, built.output
    summary = json.loads(built.stdout)
    assert summary["findings"].get("NET_SHARED_IDENTITY") == 3
    shown = runner.invoke(build_app(), ["network", "show", "12-345678901", "--graph", str(out),
                                        "--json"])
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.stdout)[0]
    assert {m["name"] for m in view["members"] if m["kind"] == "importer"} == set(names)
    assert len(view["links"]) >= 2
    tree = runner.invoke(build_app(), ["network", "show", "Sunrise", "--graph", str(out)])
    assert tree.exit_code == 0 and "NET_SHARED_IDENTITY" in tree.stdout
    missing = runner.invoke(build_app(), ["network", "show", "nobody", "--graph", str(out)])
    assert missing.exit_code == 1
