"""Each operator, evaluated over a small inline frame: which lines does it hit?"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
import pytest

from tradeguard.rules import evaluate, profile_set_from_yaml

ROWS: list[dict[str, Any]] = [
    {
        "line_number": 1,
        "hts_code": "6109.10.0012",
        "country_of_origin": "CN",
        "description": "Men's cotton T-shirts",
        "entered_value_usd": 100.0,
        "quantity": 100.0,
        "entry_date": date(2025, 3, 1),
        "trusted_trader": True,
        "manufacturer_id": "CNABC1",
    },
    {
        "line_number": 2,
        "hts_code": "6110200020",
        "country_of_origin": "VN",
        "description": "Sweaters of cotton",
        "entered_value_usd": 5000.0,
        "quantity": 10.0,
        "entry_date": date(2025, 6, 1),
        "trusted_trader": False,
        "manufacturer_id": None,
    },
    {
        "line_number": 3,
        "hts_code": "8471300100",
        "country_of_origin": None,
        "description": "Laptop SAMPLE",
        "entered_value_usd": 2500.0,
        "quantity": 0.0,
        "entry_date": date(2025, 9, 1),
        "trusted_trader": None,
        "manufacturer_id": "MXDEF2",
    },
]


def hit_lines(when: str, profile_yaml: Callable[..., str], **kw: str) -> list[int]:
    pset = profile_set_from_yaml(profile_yaml(when, **kw))
    frame = pl.DataFrame(ROWS, infer_schema_length=None).with_columns(
        pl.lit("ABC-0000001-1").alias("entry_number")
    )
    result = evaluate(pset, frame, on=None)
    return sorted(result.hits["line_number"].to_list())


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("{field: country_of_origin, op: eq, value: CN}", [1]),
        # A missing origin is not "different from CN": unknown values never match.
        ("{field: country_of_origin, op: ne, value: CN}", [2]),
        ("{field: country_of_origin, op: in, value: [CN, VN]}", [1, 2]),
        ("{field: country_of_origin, op: not_in, value: [CN]}", [2]),
        ("{field: hts_code, op: prefix, value: '6109.10'}", [1]),
        ("{field: hts_code, op: prefix, value: ['61', '8471']}", [1, 2, 3]),
        ("{field: hts_code, op: prefix, value: '6110'}", [2]),
        ("{field: hts_code, op: eq, value: 6109.10.0012}", [1]),
        ("{field: hts_code, op: not_in, value: ['6109100012', '8471.30.0100']}", [2]),
        ("{field: entered_value_usd, op: gt, value: 2500}", [2]),
        ("{field: entered_value_usd, op: ge, value: 2500}", [2, 3]),
        ("{field: entered_value_usd, op: lt, value: 2500}", [1]),
        ("{field: entered_value_usd, op: le, value: 2500}", [1, 3]),
        ("{field: entered_value_usd, op: between, value: [100, 2500]}", [1, 3]),
        ("{field: entry_date, op: between, value: [2025-05-01, 2025-12-31]}", [2, 3]),
        ("{field: entry_date, op: lt, value: 2025-05-01}", [1]),
        ("{field: description, op: contains, value: t-shirt}", [1]),
        ("{field: description, op: contains, value: [sample, sweater]}", [2, 3]),
        ("{field: description, op: matches, value: '^(men|women)''s\\b'}", [1]),
        ("{field: description, op: matches, value: 'cotton$'}", [2]),
        ("{field: manufacturer_id, op: is_null}", [2]),
        ("{field: manufacturer_id, op: not_null}", [1, 3]),
        ("{field: trusted_trader, op: eq, value: true}", [1]),
        ("{field: trusted_trader, op: eq, value: false}", [2]),
        # Derived: unit value = value / quantity; a zero quantity gives no unit value.
        ("{field: unit_value_usd, op: lt, value: 2}", [1]),
        ("{field: unit_value_usd, op: is_null}", [3]),
        ("{field: line_number, op: in, value: [1, 3]}", [1, 3]),
    ],
)
def test_leaf_operator(when: str, expected: list[int], profile_yaml: Callable[..., str]) -> None:
    assert hit_lines(when, profile_yaml) == expected


def test_and_or_not_groups(profile_yaml: Callable[..., str]) -> None:
    both = """
    and:
      - {field: hts_code, op: prefix, value: '61'}
      - {field: entered_value_usd, op: gt, value: 1000}
    """
    assert hit_lines(both, profile_yaml) == [2]
    either = """
    or:
      - {field: country_of_origin, op: eq, value: CN}
      - {field: description, op: contains, value: laptop}
    """
    assert hit_lines(either, profile_yaml) == [1, 3]
    # not over a null-valued test is true: line 3 has no origin, so "origin is CN" is false.
    assert hit_lines("not: {field: country_of_origin, op: eq, value: CN}", profile_yaml) == [2, 3]
    # A plain YAML list of conditions means "all of them".
    implicit = """
    - {field: hts_code, op: prefix, value: '61'}
    - not: {field: country_of_origin, op: eq, value: VN}
    """
    assert hit_lines(implicit, profile_yaml) == [1]


def test_list_references(profile_yaml: Callable[..., str]) -> None:
    lists = """
    apparel:
      kind: hts_prefixes
      items: ['6109', '6110.20']
    origins:
      kind: countries
      items: [VN, MX]
    mids:
      kind: mids
      items: [MXDEF2]
    """
    assert hit_lines("{field: hts_code, op: prefix, list: apparel}", profile_yaml, lists=lists) == [
        1,
        2,
    ]
    assert hit_lines(
        "{field: country_of_origin, op: in, list: origins}", profile_yaml, lists=lists
    ) == [2]
    assert hit_lines(
        "{field: manufacturer_id, op: not_in, list: mids}", profile_yaml, lists=lists
    ) == [1]


def test_text_values_keep_their_source_text(profile_yaml: Callable[..., str]) -> None:
    """YAML would read 01 as the integer 1; an entry type must stay the text '01'."""
    pset = profile_set_from_yaml(profile_yaml("{field: entry_type, op: eq, value: 01}"))
    frame = pl.DataFrame(
        {"entry_number": ["E1", "E2"], "line_number": [1, 1], "entry_type": ["01", "1"]}
    )
    assert evaluate(pset, frame, on=None).hits["entry_number"].to_list() == ["E1"]
