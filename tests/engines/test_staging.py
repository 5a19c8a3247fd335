"""Staging keeps exactly the rows the one-frame reader keeps, whatever the batch size."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tradeguard.engines.staging import entry_numbers, stage_file
from tradeguard.pipeline.inputs import read_contract_file

TODAY = date(2026, 11, 25)
ENTRIES = """entry_number,entry_type,entry_date,port_of_entry,importer_id,importer_name,note
ABC-1234567-6,01,2026-03-02,2704,IOR1,Acme,a
abc12345684,1,2026-03-02T08:00,401,ior2,Beta,
ABC-1234569-2,01,2026-03-02,2704,IOR3,=cmd|' /C calc'!A0,b
ABC-1234567-6,01,2026-03-04,2704,IOR1,Acme again,
XYZ-0000001-0,01,2027-01-01,2704,IOR4,Future,
ABC-1234570-0,03,20260305,2704,IOR5,Gamma,c
"""
LINES = """entry_number,line_number,hts_code,description,country_of_origin,quantity,\
quantity_unit,entered_value_usd,related_party
ABC-1234567-6,1,6109100012,cotton t-shirts,CN,120,DOZ,4800.00,true
ABC-1234567-6,2,6109.10.0012,more shirts,cn,"1,234.5",doz,12000,Y
ABC-1234568-4,1,6109100012,shirts,VN,10,DOZ,100,false
ABC-1234567-6,1,6109100012,repeat,CN,1,DOZ,1,false
ABC-1234569-2,1,6109100012,orphan (entry rejected),CN,1,DOZ,1,false
ABC-1234570-0,1,61091000,bad hts,CN,-1,DOZ,1,maybe
abc 1234570 0,2,6109100012,spaced entry number,CN,5,DOZ,50,0
ABC-1234570-0,3,6109100012,\x1bescape,CN,5,DOZ,50,1
ABC-1234568-4,2,6109100012,last,CN,7,DOZ,70,no
"""


@pytest.mark.parametrize("batch_rows", [1, 2, 4, 1000])
def test_staged_rows_and_rejects_are_those_of_the_one_frame_reader(
        tmp_path: Path, batch_rows: int) -> None:
    (tmp_path / "entries.csv").write_text(ENTRIES)
    (tmp_path / "lines.csv").write_text(LINES)
    one, staged_q = tmp_path / "one", tmp_path / "staged"
    want_entries = read_contract_file(tmp_path / "entries.csv", "entries", one, today=TODAY)
    want_lines = read_contract_file(tmp_path / "lines.csv", "lines", one, today=TODAY,
                                    entries=want_entries.frame.get_column("entry_number"))
    entries = stage_file(tmp_path / "entries.csv", "entries", tmp_path / "work", staged_q,
                         batch_rows=batch_rows, today=TODAY)
    lines = stage_file(tmp_path / "lines.csv", "lines", tmp_path / "work", staged_q,
                       batch_rows=batch_rows, entries=entry_numbers(entries), today=TODAY)
    for staged, want in ((entries, want_entries), (lines, want_lines)):
        assert staged.read().equals(want.frame)
        assert (staged.accepted, staged.rejected) == (want.accepted, want.rejected)
        assert staged.rejects_file is not None and want.rejects_file is not None
        assert staged.rejects_file.read_bytes() == want.rejects_file.read_bytes()
    assert want_entries.rejected == 3 and want_lines.rejected == 4
    assert pl.read_parquet(lines.parts[0]).schema == want_lines.frame.schema
