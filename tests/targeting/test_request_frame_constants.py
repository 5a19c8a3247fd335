"""Request frames' shared and inferred columns are the columns Polars builds from the values.

A request frame takes a column of only nulls, or of only empty lists of text, from a cache
shared by every frame of that shape, and builds lists of text with their type inferred (cast
when there is no text to infer it from). These hold such frames to ``pl.DataFrame(columns,
schema=schema)``, including every mix of constant and built columns of one type, and check
that a frame changed in place leaves the shared columns, and so later frames, as they were.
"""

from __future__ import annotations

import itertools
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tradeguard.targeting.request_frames import RequestFrame, frame_of
from tradeguard.targeting.risk import RISK_SCHEMA

_TEXT_LISTS = pl.List(pl.String())
_SCHEMA: dict[str, pl.DataType] = {
    "a": _TEXT_LISTS, "b": _TEXT_LISTS, "c": _TEXT_LISTS,
    "x": pl.Float64(), "y": pl.Float64(), "s": pl.String(), "t": pl.String(),
}  # fmt: skip
#: Per type, columns of one line's worth each: constant ones and ones to build.
_LISTS: tuple[list[Any], ...] = (
    [], [None], [[]], [["a"]], [[None]], [["", "\u00e9"]], [None, []], [[], [None, None]])
_FLOATS: tuple[list[Any], ...] = ([None], [0.0], [-0.0], [float("nan")], [1e-300])
_TEXTS: tuple[list[Any], ...] = ([None], [""], ["red"])


def _same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    assert got.schema == want.schema
    assert_frame_equal(got, want, check_exact=True)
    assert got.equals(want, null_equal=True)
    for c, t in want.schema.items():
        if t == _TEXT_LISTS:
            assert got[c].explode().equals(want[c].explode(), null_equal=True)


@pytest.mark.parametrize("height", [0, 1, 2, 3, 6])
def test_constant_and_built_columns_mixed_are_the_frame_polars_builds(height: int) -> None:
    frame = RequestFrame(_SCHEMA)
    for lists in itertools.product(_LISTS, repeat=3):
        for x, s in ((_FLOATS[len(lists[0]) % 5], _TEXTS[len(lists[1]) % 3]),
                     (_FLOATS[0], _TEXTS[0])):
            # Each column repeats one pattern to ``height`` lines (or, for mixed patterns of
            # two, alternates them), so a column is constant or not whatever the height.
            base = {"a": lists[0], "b": lists[1], "c": lists[2], "x": x, "y": _FLOATS[1],
                    "s": s, "t": ["green", None]}
            columns = {c: [v[i % len(v)] for i in range(height)] if v else [None] * height
                       for c, v in base.items()}
            _same(frame.build(columns), pl.DataFrame(columns, schema=_SCHEMA))


def test_text_lists_of_one_column_are_built_by_their_values() -> None:
    schema: dict[str, pl.DataType] = {"a": _TEXT_LISTS, "x": pl.Float64()}
    frame = RequestFrame(schema)
    for values in ([["a"], None], [[None], []], [[None]], [None, [None, "b"]], [["x" * 40]]):
        columns = {"a": values, "x": [1.0] * len(values)}
        _same(frame.build(columns), pl.DataFrame(columns, schema=schema))


def test_values_of_other_types_are_taken_as_polars_takes_them() -> None:
    schema: dict[str, pl.DataType] = {"a": _TEXT_LISTS}
    frame = RequestFrame(schema)
    for values in ([[1]], [["a"], [2]], [("a",)], [["a"], ("b", None)], [[b"x"]]):
        try:
            want = pl.DataFrame({"a": values}, schema=schema)
        except (TypeError, pl.exceptions.PolarsError) as exc:
            with pytest.raises(type(exc)):
                frame.build({"a": values})
        else:
            _same(frame.build({"a": values}), want)


def test_shared_columns_stay_as_they_were_when_a_frame_changes() -> None:
    frame = RequestFrame(RISK_SCHEMA)
    columns: dict[str, list[Any]] = {
        "entry_number": ["E-1", "E-1"], "line_number": [1, 2], "risk_score": [0.5, 0.25],
        "evidence_score": [0.5, 0.25], "relief": [0.0, 0.0], "categories": [[], []],
        "reasons": [["R1"], []], "reason_texts": [["one"], []], "forced_lane": [None, None],
        "forced_by": [[], []], "findings": ["[]", "[]"],
    }  # fmt: skip
    want = pl.DataFrame(columns, schema=RISK_SCHEMA)
    first = frame.build(columns)
    first[0, "forced_lane"] = "red"
    first.replace_column(5, pl.Series("categories", [["x"], ["y"]]))
    first.get_column("forced_by").append(pl.Series("forced_by", [["z"]]))
    _same(frame.build(columns), want)


def test_frame_of_is_a_frame_of_the_series() -> None:
    a, b = pl.Series("a", [1, 2]), pl.Series("b", [[None], ["x"]])
    _same(frame_of([a, b]), pl.DataFrame([a, b]))
    assert frame_of([]).shape == (0, 0)
    with pytest.raises(pl.exceptions.ShapeError):
        frame_of([a, pl.Series("c", [1])])
    with pytest.raises(pl.exceptions.DuplicateError):
        frame_of([a, a])
