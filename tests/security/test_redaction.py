from __future__ import annotations

import polars as pl

from tradeguard.security.redaction import confidential_values, redact_texts


def test_declared_names_become_role_labels_in_reason_lists() -> None:
    declared = pl.DataFrame({"manufacturer_name": ["Hoshine Silicon Co", "Abc"],
                             "seller_name": ["Blue River Trading", None]})
    chain = pl.DataFrame({"supplier_name": ["Xinjiang Polysilicon Works"]})
    values = confidential_values(declared, chain)
    assert "Abc" not in values["value"].to_list()  # too short to replace safely
    frame = pl.DataFrame({"reason_texts": [[
        "HOSHINE SILICON CO matches a UFLPA Entity List entry",
        "tier 2 supplier Xinjiang Polysilicon Works is in XUAR",
        "Abc sells through Blue River Trading"]]})
    out = redact_texts(frame, "reason_texts", values)["reason_texts"].to_list()[0]
    assert out == ["[manufacturer] matches a UFLPA Entity List entry",
                   "tier 2 supplier [supplier] is in XUAR",
                   "Abc sells through [seller]"]


def test_plain_text_column_and_nothing_to_redact() -> None:
    frame = pl.DataFrame({"text": ["made by Acme Widgets Ltd"]})
    values = confidential_values(pl.DataFrame({"manufacturer_name": ["Acme Widgets Ltd"]}))
    assert redact_texts(frame, "text", values)["text"][0] == "made by [manufacturer]"
    assert redact_texts(frame, "text", confidential_values(None)).equals(frame)
