"""CBP entry numbers: ``AAA-NNNNNNN-N`` (filer code, transaction number, check digit).

Ingest validates only the *format* (see :mod:`tradeguard.contract.validate`); whether the check
digit is right is a data-quality detector's call, made with :func:`entry_number_check_digit`.

The check digit follows CBP's ACE CATAIR (Appendix E, "Valid Entry Numbers"; the same
computation is table 1 of the Entry Summary chapter):

1. Take the 10 characters filer code + transaction number. Letters of the filer code become
   digits: A-I -> 1-9, J-R -> 1-9, S-Z -> 2-9 (the punched-card zone mapping).
2. Double the digits in the even positions (2nd, 4th, ... 10th, counting from the left);
   a doubled value over 9 counts as the sum of its digits (10 -> 1, 14 -> 5, 18 -> 9).
3. Add those to the digits in the odd positions; the check digit is what brings the total
   to the next multiple of ten: ``(10 - total % 10) % 10``.

That is the Luhn (mod 10) scheme over the converted characters. Worked examples:
``ABC-1234567`` -> 6, ``999-9999999`` -> 0.
"""

from __future__ import annotations

import re

ENTRY_NUMBER_PATTERN = r"^[A-Z0-9]{3}-[0-9]{7}-[0-9]$"
_ENTRY_RE = re.compile(ENTRY_NUMBER_PATTERN)
_BASE_RE = re.compile(r"^[A-Z0-9]{3}[0-9]{7}$")

# A-I, J-R, S-Z onto 1-9, 1-9, 2-9.
_LETTER_VALUE = {
    letter: value
    for zone, start in (("ABCDEFGHI", 1), ("JKLMNOPQR", 1), ("STUVWXYZ", 2))
    for value, letter in enumerate(zone, start=start)
}


def entry_number_check_digit(filer_code: str, transaction_number: str) -> int:
    """The check digit of an entry with this filer code and 7-digit transaction number.

    ValueError if the filer code is not 3 letters/digits or the transaction number not 7
    digits.
    """
    base = (filer_code + transaction_number).upper()
    if not _BASE_RE.match(base):
        raise ValueError(
            f"need a 3-character filer code and a 7-digit transaction number, got "
            f"{filer_code!r} and {transaction_number!r}"
        )
    total = 0
    for position, char in enumerate(base, start=1):
        digit = int(char) if char.isdigit() else _LETTER_VALUE[char]
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def is_valid_entry_number(entry_number: str) -> bool:
    """True when ``entry_number`` is ``AAA-NNNNNNN-N`` and its check digit is right."""
    if not _ENTRY_RE.match(entry_number):
        return False
    filer, transaction, check = entry_number.split("-")
    return entry_number_check_digit(filer, transaction) == int(check)


def format_entry_number(filer_code: str, transaction_number: int | str) -> str:
    """A full entry number with its check digit, e.g. ``ABC-0000042-x``."""
    transaction = f"{int(transaction_number):07d}"
    check = entry_number_check_digit(filer_code, transaction)
    return f"{filer_code.upper()}-{transaction}-{check}"
