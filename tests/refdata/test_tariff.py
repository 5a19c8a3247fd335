"""The tariff schedule: shipped values, hierarchy walk, unit mapping, unknown codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tradeguard.refdata import ReferenceData, UnknownTariffNumber
from tradeguard.refdata.tariff_build import TariffFileError, build_tariff


def test_tshirt_line(ref: ReferenceData) -> None:
    line = ref.tariff.get("6109.10.00.12")
    assert line is not None
    assert line.general_rate == "16.5%"
    assert line.general.ad_valorem == pytest.approx(0.165)
    assert line.units == ("DOZ", "KG")
    assert line.column2_rate == "90%"
    assert "KR" in line.special_programs
    assert line.description.startswith("T-shirts, singlets, tank tops")
    assert line.description.endswith("Men's (338)")


def test_laptop_is_free(ref: ReferenceData) -> None:
    line = ref.tariff.get("8471300100")
    assert line is not None and line.general_rate == "Free"
    assert line.general.kind == "free"


def test_unknown_code(ref: ReferenceData) -> None:
    assert ref.tariff.get("6109100099") is None
    with pytest.raises(UnknownTariffNumber, match="6109100099"):
        ref.tariff.require("6109100099")
    assert not ref.tariff.is_valid("6109100099", date(2026, 5, 1))
    assert ref.tariff.is_valid("6109100012", date(2026, 5, 1))


def test_frame_columns_and_one_row_per_stat_number(ref: ReferenceData) -> None:
    frame = ref.tariff.frame
    assert frame["hts10"].is_unique().all()
    assert frame["hts10"].str.len_chars().eq(10).all()
    for column in ("hts8", "description", "units", "general_rate", "special_rate",
                   "column2_rate", "general_ad_valorem", "general_specific", "specific_unit",
                   "special_programs", "valid_from", "valid_to"):
        assert column in frame.columns
    assert frame.schema["units"] == pl.List(pl.String)


def test_build_walks_indents_and_inherits_rates(tiny_hts: Path) -> None:
    built = build_tariff(tiny_hts)
    rows = {r["hts10"]: r for r in built.lines.iter_rows(named=True)}
    males = rows["0101210010"]
    assert males["description"] == "Live horses: Horses: Purebred breeding animals: Males"
    assert males["general_rate"] == "2.2¢/kg + 7%" and males["general_kind"] == "compound"
    assert males["units"] == ["NO", "KG"]
    assert males["special_programs"] == ["AU", "JP", "KR"]
    assert rows["0101300000"]["units"] == ["DOZ", "KG"]
    assert rows["0101300000"]["column2_ad_valorem"] == pytest.approx(0.9)
    # an unknown unit is kept as printed and reported, never mapped by guess
    assert rows["0101210020"]["units"] == ["furlongs"]
    assert built.unmapped_units == {"furlongs": 1}
    jp = built.special.filter((pl.col("hts10") == "0101210010") & (pl.col("program") == "JP"))
    assert jp["special_ad_valorem"].to_list() == [pytest.approx(0.01)]


def test_every_unit_in_the_shipped_schedule_is_mapped(ref: ReferenceData) -> None:
    assert ref.provenance("tariff")["build"]["unmapped_units"] == {}
    units = set(ref.tariff.frame["units"].explode().drop_nulls().to_list())
    assert {"NO", "KG", "DOZ", "M2", "PRS", "L", "M", "DPR", "GRS", "M3", "T", "PCS"} <= units
    assert all(u.isupper() or u[0].isdigit() for u in units)


def test_not_an_hts_export(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(TariffFileError, match=r"x\.csv"):
        build_tariff(path)
