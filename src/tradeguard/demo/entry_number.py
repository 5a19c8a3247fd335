"""Entry numbers: filer code + 7-digit transaction number + check digit.

The check digit follows CBP's entry-number rule (ACE CATAIR Appendix E): the ten characters
are read as digits, letters of the filer code mapped A-I -> 1-9, J-R -> 1-9, S-Z -> 2-9; then
the mod-10 (Luhn) scheme: from the rightmost character leftwards every other digit (starting
with the rightmost) is doubled, the digits of all products and the undoubled digits are summed,
and the check digit is what brings that sum up to the next multiple of ten.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_LETTER_VALUE = {chr(ord("A") + i): v for i, v in enumerate(
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5, 6, 7, 8, 9])}


def char_value(ch: str) -> int:
    """Numeric value of one entry-number character."""
    if ch.isdigit():
        return int(ch)
    return _LETTER_VALUE[ch.upper()]


def check_digit(filer_code: str, transaction: str) -> int:
    """Check digit for a filer code (3 characters) and transaction number (7 digits)."""
    chars = (filer_code + transaction)[::-1]
    total = 0
    for i, ch in enumerate(chars):
        value = char_value(ch)
        if i % 2 == 0:
            value *= 2
            value = value // 10 + value % 10
        total += value
    return (10 - total % 10) % 10


def format_entry_number(filer_code: str, transaction: str) -> str:
    """``ABC-1234567-8``."""
    return f"{filer_code}-{transaction}-{check_digit(filer_code, transaction)}"


def is_valid(entry_number: str) -> bool:
    """True when the number has the 3-7-1 shape and its check digit is right."""
    compact = entry_number.replace("-", "")
    if len(compact) != 11 or not compact[3:].isdigit() or not compact[:3].isalnum():
        return False
    return check_digit(compact[:3], compact[3:10]) == int(compact[10])


def entry_numbers(filer_codes: npt.NDArray[np.str_], serials: npt.NDArray[np.int64]
                  ) -> npt.NDArray[np.object_]:
    """Vectorised: entry numbers for arrays of filer codes and 7-digit serial numbers."""
    digits = np.zeros((len(serials), 10), dtype=np.int64)
    codes = np.asarray(filer_codes).astype("U3")
    as_chars = codes.view("U1").reshape(len(codes), 3) if len(codes) else np.zeros((0, 3), "U1")
    lookup = {**{str(d): d for d in range(10)}, **_LETTER_VALUE}
    for j in range(3):
        digits[:, j] = np.vectorize(lookup.__getitem__, otypes=[np.int64])(as_chars[:, j]) \
            if len(codes) else 0
    for j in range(7):
        digits[:, 3 + j] = (serials // 10 ** (6 - j)) % 10
    reversed_digits = digits[:, ::-1]
    doubled = reversed_digits[:, 0::2] * 2
    total = (doubled // 10 + doubled % 10).sum(axis=1) + reversed_digits[:, 1::2].sum(axis=1)
    check = (10 - total % 10) % 10
    serial_text = np.char.zfill(serials.astype(str), 7)
    out = np.char.add(np.char.add(np.char.add(codes, "-"), serial_text), "-")
    return np.char.add(out, check.astype(str)).astype(object)
