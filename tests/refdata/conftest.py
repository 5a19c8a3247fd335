"""Fixtures: the shipped reference data (read once) and tiny inline source files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeguard.refdata import ReferenceData, load_reference_data


@pytest.fixture(scope="session")
def ref() -> ReferenceData:
    """The copy shipped in the package."""
    return load_reference_data()


HTS_HEADER = ("HTS Number,Indent,Description,Unit of Quantity,General Rate of Duty,"
              "Special Rate of Duty,Column 2 Rate of Duty,Quota Quantity,Additional Duties\n")


@pytest.fixture()
def tiny_hts(tmp_path: Path) -> Path:
    """Two headings, an indent-only header row, inherited and own rates, an odd unit."""
    body = (
        '"0101","0","Live horses:","","","","","",""\n'
        '"","1","Horses:","","","","","",""\n'
        '"0101.21.00","2","Purebred breeding animals","","2.2¢/kg + 7%",'
        '"Free (AU,KR) 1% (JP)","20%","",""\n'
        '"0101.21.00.10","3","Males","[""No."",""kg""]","","","","",""\n'
        '"0101.21.00.20","3","Females","[""furlongs""]","","","","",""\n'
        '"0101.30.00.00","1","Asses","[""doz."",""kg""]","16.5%","","90%","",""\n'
    )
    path = tmp_path / "hts.csv"
    path.write_text(HTS_HEADER + body, encoding="utf-8")
    return path
