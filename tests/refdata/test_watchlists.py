"""Watch lists normalised into one frame; OFAC's legacy layout read right."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tradeguard.refdata import ReferenceData
from tradeguard.refdata.watchlists import WATCHLIST_SCHEMA, load_ofac_sdn

LOOKUP = {"pakistan": "PK", "panama": "PA", "cuba": "CU"}


def test_ofac_legacy_csv(tmp_path: Path) -> None:
    path = tmp_path / "sdn.csv"
    rows = [
        '12402,"AFRIDI, Amanullah","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
        '"DOB 1973; nationality Pakistan; a.k.a. \'MUFTI ILYAS\'; a.k.a. \'GUL, Aman\'."',
        '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
        '"a.k.a. \'BNC\'; RUC # 1 (Cuba)."',
        '900,"SEÑOR SHIP","vessel","IRAN",-0- ,-0- ,"Tanker",-0- ,-0- ,"Panama",-0- ,-0- ',
    ]
    path.write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    frame = load_ofac_sdn(path, LOOKUP)
    by_id = {r["entity_id"]: r for r in frame.iter_rows(named=True)}
    person = by_id["OFAC-12402"]
    assert person["aliases"] == ["MUFTI ILYAS", "GUL, Aman"]
    assert (person["country"], person["entity_type"], person["program"]) == ("PK", "person", "SDGT")
    assert by_id["OFAC-306"]["country"] == "CU" and by_id["OFAC-306"]["aliases"] == ["BNC"]
    assert by_id["OFAC-900"]["name"] == "SEÑOR SHIP"
    assert (by_id["OFAC-900"]["entity_type"], by_id["OFAC-900"]["country"]) == ("vessel", "PA")


def test_shipped_watchlists_frame(ref: ReferenceData) -> None:
    frame = ref.watchlists
    for column, dtype in WATCHLIST_SCHEMA.items():
        assert frame.schema[column] == dtype, column
    assert set(frame["list"].unique()) == {"uflpa", "wro", "ofac_sdn", "bis_mieu", "dod_1260h"}
    assert frame["entity_id"].is_unique().all()
    uflpa = frame.filter(frame["list"] == "uflpa")
    assert uflpa["country"].drop_nulls().unique().to_list() == ["CN"]
    hetian = uflpa.filter(uflpa["entity_id"] == "UFLPA-0003").row(0, named=True)
    assert hetian["aliases"] == ["Hotan Haolin Hair Accessories", "Hollin Hair Accessories"]


def test_watchlists_on_a_date_drops_later_and_removed(ref: ReferenceData) -> None:
    early = ref.watchlists_on(date(2021, 1, 1))
    assert early.filter(early["list"] == "uflpa").is_empty()  # first tranche 2022-06-21
    removed = ref.watchlists.filter(ref.watchlists["date_removed"].is_not_null())
    assert not removed.is_empty()
    day = removed["date_removed"].max()
    assert day is not None
    later = ref.watchlists_on(day)  # type: ignore[arg-type]
    assert later.join(removed.filter(removed["date_removed"] <= day), on="entity_id",
                      how="semi").is_empty()
