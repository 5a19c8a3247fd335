"""Version store: import official files, diff versions, load the data of a past day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tradeguard.refdata import ReferenceData, load_reference_data
from tradeguard.refdata.duty import compute_duty
from tradeguard.refdata.importer import diff_versions, import_official

UFLPA_HEADER = ("entity_id,name,aliases,country,location,sector,legal_basis,date_added,"
                "date_removed,source_url,confidence\n")


def _uflpa(path: Path, rows: list[str]) -> Path:
    path.write_text(UFLPA_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_import_and_diff_round_trip(tmp_path: Path, ref: ReferenceData) -> None:
    home = tmp_path / "store"
    v1 = _uflpa(tmp_path / "v1.csv", [
        "U-1,Alpha Cotton Co.,Alpha;A. Cotton,China,Xinjiang,cotton,(v),2024-05-17,,https://x,high",
        "U-2,Beta Tomato Co.,,China,Xinjiang,tomato,(v),2024-05-17,,https://x,high",
    ])
    v2 = _uflpa(tmp_path / "v2.csv", [
        "U-1,Alpha Cotton Co.,Alpha,China,Xinjiang,cotton,(v),2024-05-17,,https://x,high",
        "U-3,Gamma Polysilicon,,China,Xinjiang,polysilicon,(iv),2025-01-15,,https://x,high",
    ])
    first = import_official("uflpa", v1, home, date(2025, 1, 1), ref)
    second = import_official("uflpa", v2, home, date(2025, 6, 1), ref)
    assert first["version"].startswith("2025-01-01+") and second["version"] != first["version"]
    diff = diff_versions("uflpa", home)
    assert (diff["from"], diff["to"]) == (first["version"], second["version"])
    assert diff["added"] == ["U-3"] and diff["removed"] == ["U-2"]
    assert diff["changed"] == [{"entity_id": "U-1", "field": "aliases",
                                "from": ["Alpha", "A. Cotton"], "to": ["Alpha"]}]
    # both versions stay loadable: by date and by id
    past = load_reference_data(store=home, as_of=date(2025, 3, 1))
    assert past.versions["uflpa"] == first["version"]
    assert set(past.watchlists.filter(past.watchlists["list"] == "uflpa")["entity_id"]) == {
        "U-1", "U-2"}
    pinned = load_reference_data(store=home, versions={"uflpa": second["version"]})
    assert pinned.versions["uflpa"] == second["version"]
    latest = load_reference_data(store=home)
    assert latest.versions["uflpa"] == second["version"]
    assert latest.versions["tariff"] == ref.versions["tariff"]


def test_official_adcvd_list_gives_deposit(tmp_path: Path, ref: ReferenceData) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "Case Number,Country,Product,HTS Numbers,Order Date,Cash Deposit Rate\n"
        "A-570-979,China,Solar cells,8541.42;8541.43,2012-12-07,238.95\n", encoding="utf-8")
    home = tmp_path / "store"
    manifest = import_official("adcvd", path, home, date(2026, 6, 1), ref)
    new = load_reference_data(store=home)
    assert new.versions["adcvd_orders"] == manifest["version"]
    order = new.adcvd_orders.row(0, named=True)
    assert order["hts_prefixes"] == ["854142", "854143"]
    assert order["deposit_rate"] == pytest.approx(2.3895)
    result = compute_duty(new, "8541430010", "CN", 1_000, on=date(2026, 7, 1),
                          adcvd_case="A-570-979")
    deposit = next(c for c in result.components if c.name.startswith("AD/CVD"))
    assert deposit.amount_usd == pytest.approx(2389.50)
    diff = diff_versions("adcvd", home)
    assert diff["from"] == ref.versions["adcvd_orders"] and diff["counts"]["removed"] == 33


def test_bad_case_number_names_file_row_field(tmp_path: Path, ref: ReferenceData) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("case_number,country\nA-570-979,China\nX-1,China\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv: row 3: case_number"):
        import_official("adcvd", path, tmp_path / "s", date(2026, 1, 1), ref)


def test_hts_import_diff_and_past_day(tmp_path: Path, tiny_hts: Path, ref: ReferenceData) -> None:
    home = tmp_path / "store"
    newer = tmp_path / "hts_next.csv"
    text = tiny_hts.read_text(encoding="utf-8")
    newer.write_text(text.replace('"16.5%"', '"17%"').replace(
        '"0101.21.00.20","3","Females","[""furlongs""]","","","","",""\n', ""), encoding="utf-8")
    old_v = import_official("hts", tiny_hts, home, date(2026, 7, 1), ref)["version"]
    new_v = import_official("hts", newer, home, date(2026, 8, 1), ref)["version"]
    diff = diff_versions("hts", home)
    assert (diff["from"], diff["to"]) == (old_v, new_v)
    assert diff["removed"] == ["0101210020"] and diff["added"] == []
    assert diff["changed"] == [{"hts10": "0101300000", "field": "general_rate",
                                "from": "16.5%", "to": "17%"}]
    july = load_reference_data(store=home, as_of=date(2026, 7, 15))
    august = load_reference_data(store=home, as_of=date(2026, 8, 15))
    assert compute_duty(july, "0101300000", "FR", 1_000, on=date(2026, 7, 15)
                        ).components[0].amount_usd == 165.0
    assert compute_duty(august, "0101300000", "FR", 1_000, on=date(2026, 8, 15)
                        ).components[0].amount_usd == 170.0
    assert july.tariff.get("0101210020") is not None
    assert august.tariff.get("0101210020") is None
    # before any import: the shipped schedule
    assert load_reference_data(store=home, as_of=date(2026, 5, 1)).versions["tariff"] == \
        ref.versions["tariff"]
