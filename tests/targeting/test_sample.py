"""SHA-256 of text columns (`digests`) and the seeded compliance-sample draw built on it."""

from __future__ import annotations

import hashlib

import polars as pl

from tradeguard.digests import sha256_hex
from tradeguard.targeting.sample import sample_draw


def test_sha256_hex_is_the_standard_digest_per_row() -> None:
    text = pl.Series("s", ["abc", None, "Ürümqi 乌鲁木齐", "", "abc"])
    out = sha256_hex(text)
    assert out.name == "s" and out.dtype == pl.String
    assert out[0] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert out[1] is None
    assert out[2] == hashlib.sha256("Ürümqi 乌鲁木齐".encode()).hexdigest()
    assert out[3] == hashlib.sha256(b"").hexdigest()
    assert out[4] == out[0]


def test_draw_is_the_leading_52_bits_of_the_keyed_digest() -> None:
    keys = pl.DataFrame({"entry_number": ["AB1-0000001-1", "AB1-0000001-1"],
                         "line_number": [1, 2]})
    draws = sample_draw(keys, 7, "v1").to_list()
    digest = hashlib.sha256(b"7|v1|AB1-0000001-1|2").hexdigest()
    assert draws[1] == int(digest[:13], 16) / 16**13
    assert 0.0 <= draws[0] < 1.0 and draws[0] != draws[1]
