"""One valid entry and line as raw text cells: the base the validation tests break."""

from __future__ import annotations

ENTRY = {
    "entry_number": "ABC-1234567-6",
    "entry_type": "01",
    "entry_date": "2026-03-02",
    "port_of_entry": "2704",
    "importer_id": "IOR000001",
    "importer_name": "Acme Imports LLC",
}
LINE = {
    "entry_number": "ABC-1234567-6",
    "line_number": "1",
    "hts_code": "6109100012",
    "description": "cotton t-shirts",
    "country_of_origin": "CN",
    "quantity": "120",
    "quantity_unit": "DOZ",
    "entered_value_usd": "4800.00",
}
