"""MID construction (CBP examples) and entry-number check digits."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tradeguard.contract import is_valid_entry_number
from tradeguard.demo.entry_number import entry_numbers, format_entry_number, is_valid
from tradeguard.demo.mid import build_mid, name_part


def test_mid_matches_cbp_published_example() -> None:
    assert build_mid("DHL Express", "236 Wendell Ford Blvd Ste 1304", "Erlanger", "US") == \
        "USDHLEXP1304ERL"


def test_mid_name_rules() -> None:
    assert name_part("Amalgamated Plastics Corp.") == "AMAPLA"
    assert name_part("Bergstrom") == "BER"
    assert name_part("A.B.C. Company") == "ABCCOM"
    assert name_part("A B C Company") == "ABCCOM"
    assert name_part("The Ningbo Hengda Garment Co., Ltd.") == "NINHEN"


def test_mid_canada_uses_province_code_and_caps_length() -> None:
    mid = build_mid("Maple Leaf Foods Inc.", "30 St Clair Ave West Suite 1500", "Toronto",
                    "CA", "Ontario")
    assert mid == "XOMAPLEA1500TOR"
    assert len(build_mid("Longname Longername", "123456 Road", "Saskatoon", "CN")) <= 15


@given(st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=3, max_size=3),
       st.integers(min_value=0, max_value=9_999_999))
def test_check_digit_agrees_with_contract_module(filer: str, serial: int) -> None:
    number = format_entry_number(filer, f"{serial:07d}")
    assert is_valid(number)
    assert is_valid_entry_number(number)
    wrong = number[:-1] + str((int(number[-1]) + 3) % 10)
    assert not is_valid_entry_number(wrong)


def test_vectorised_entry_numbers_equal_scalar() -> None:
    codes = np.array(["ABC", "9Z1", "K7Q"])
    serials = np.array([1234567, 42, 9_999_999], dtype=np.int64)
    got = entry_numbers(codes, serials)
    assert list(got) == [format_entry_number(c, f"{s:07d}") for c, s in zip(codes, serials,
                                                                             strict=True)]
