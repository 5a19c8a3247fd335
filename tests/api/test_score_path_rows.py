"""A scoring request's rows typed in one call: the same frames as the general path builds.

The plain-rows path builds its frame from row tuples with the constructor
``pl.DataFrame(..., orient="row")`` ends in, and looks its schema up by identity; the
request's known entry numbers may be handed over as plain strings. These tests compare each
with what it stands for, on every entry of the demo set and on edge values.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tradeguard.api import intake
from tradeguard.api.problems import ApiProblem
from tradeguard.contract.plain_rows import accept_plain_rows, row_frame
from tradeguard.contract.schema import schema_for


def _read(d: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(d / f"{name}.csv", infer_schema_length=0)


@pytest.fixture(scope="module")
def requests(demo_dir: Path) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Every demo entry with its lines, cells as the files have them."""
    lines: dict[str, list[dict[str, Any]]] = {}
    for ln in _read(demo_dir, "lines").to_dicts():
        lines.setdefault(ln["entry_number"], []).append(
            {k: v for k, v in ln.items() if v is not None})
    return [({k: v for k, v in e.items() if v is not None}, lines.get(e["entry_number"], []))
            for e in _read(demo_dir, "entries").to_dicts()]


def _both(kind: str, rows: list[dict[str, Any]], known: Any) -> tuple[Any, Any]:
    """(plain-capable path, general path) on ``rows``: frames or problems."""
    plain = intake.PLAIN_ROWS_MAX

    def run(limit: int) -> Any:
        saved = intake.PLAIN_ROWS_MAX
        intake.PLAIN_ROWS_MAX = limit
        try:
            return intake.validated(kind, rows, label="line", known_entries=known)
        except ApiProblem as problem:
            return (problem.status, problem.detail, problem.extra)
        finally:
            intake.PLAIN_ROWS_MAX = saved

    return run(plain), run(-1)


def _same(got: Any, want: Any) -> None:
    if isinstance(want, pl.DataFrame):
        assert isinstance(got, pl.DataFrame)
        assert got.schema == want.schema
        assert got.equals(want), (got.to_dicts(), want.to_dicts())
    else:
        assert got == want


def test_every_demo_entry_types_as_the_general_path(
    requests: list[tuple[dict[str, Any], list[dict[str, Any]]]],
) -> None:
    """Entries, then their lines with the entry numbers as a column and as plain strings
    (every third entry of the 3,000, so that the general path's ~10 ms a call stays short)."""
    chosen = requests[::3]
    plain = 0
    for i, (entry, lines) in enumerate(chosen):
        got, want = _both("entries", [entry], None)
        _same(got, want)
        if not isinstance(want, pl.DataFrame) or not lines:
            continue
        column = want.get_column("entry_number")
        for known in (column, set(column.to_list()), column.to_list())[:1 if i % 10 else 3]:
            got_lines, want_lines = _both("lines", lines, known)
            _same(got_lines, want_lines)
        plain += isinstance(want_lines, pl.DataFrame)
    assert plain > 0.9 * len(chosen)


def test_lines_of_an_unknown_entry_are_refused_alike() -> None:
    row = {"entry_number": "ABC-1234567-6", "line_number": "1", "hts_code": "3923210030",
           "description": "BAGS", "country_of_origin": "CN", "quantity": "1",
           "quantity_unit": "KG", "entered_value_usd": "10"}
    other = {**row, "entry_number": "XYZ-7654321-0", "line_number": "2"}
    for known in (set(), {"XYZ-7654321-0"}, pl.Series(["XYZ-7654321-0", None]),
                  pl.Series([None], dtype=pl.String), ["ABC-1234567-6"]):
        got, want = _both("lines", [row, other], known)
        _same(got, want)
    refused = _both("lines", [row], {"XYZ-7654321-0"})[0]
    assert refused[0] == 422 and refused[2]["rejected"][0]["row"] == 1


def test_row_frame_is_the_public_row_constructor() -> None:
    schema = pl.Schema({"t": pl.String(), "i": pl.Int64(), "f": pl.Float64(),
                        "d": pl.Date(), "b": pl.Boolean(), "none": pl.String()})
    rows = [("Zürich — ✓", 2**53, 1e-7, date(2026, 11, 26), True, None),
            ("", -1, math.inf, date(1, 1, 1), False, None),
            (None, None, None, None, None, None),
            ("x" * 5000, 0, -0.0, date(9999, 12, 31), None, None)]
    for chosen in (rows, rows[:1], rows[2:3]):
        got = row_frame(chosen, schema)
        want = pl.DataFrame(chosen, schema=schema, orient="row")
        assert got.schema == want.schema
        assert got.equals(want)
        assert got.rows() == want.rows()


def test_every_schema_object_gets_its_own_readers() -> None:
    """Schemas are looked up by identity: an equal copy reads alike, a changed one as
    changed."""
    lines = schema_for("lines")
    row = {"entry_number": "ABC-1234567-6", "line_number": "1", "hts_code": "3923210030",
           "description": "BAGS", "country_of_origin": "CN", "quantity": "1",
           "quantity_unit": "KG", "entered_value_usd": "10"}
    today = date.today()
    first = accept_plain_rows([row], lines, today=today)
    copy = dataclasses.replace(lines)
    again = accept_plain_rows([row], copy, today=today)
    assert first is not None and again is not None and again.equals(first)
    fewer = dataclasses.replace(lines, fields=tuple(f for f in lines.fields
                                                    if f.name != "spi"))
    narrow = accept_plain_rows([row], fewer, today=today)
    assert narrow is not None and "spi" not in narrow.columns
    assert narrow.equals(first.drop("spi"))
