"""The request path's shared reads and cheaper checks give what the plain Polars calls give.

A request frame's column types and rows are read once and shared
(:mod:`tradeguard.frame_reads`), columns are made by the constructor ``pl.Series`` ends in
(:func:`tradeguard.targeting.request_frames.column`), types are told by their short names,
version stamps are looked up before their texts are checked, and the rules' statuses,
warnings and tests are kept per day. Each test compares those with the general calls on
generated inputs and fails on any difference.
"""

from __future__ import annotations

import gc
from datetime import date
from typing import Any

import polars as pl
import pytest

from tradeguard.findings import FINDINGS_SCHEMA, empty_findings, is_canonical
from tradeguard.frame_reads import column_types, named_rows, row_tuples, short_type_names
from tradeguard.pipeline import run as run_module
from tradeguard.pipeline.assessments_request import stamped, version_values
from tradeguard.pipeline.declarations_request import plain_digests
from tradeguard.rules import load_profile_set, shipped_profiles_dir
from tradeguard.rules._evaluate import _warnings, evaluate, statuses_on
from tradeguard.rules._request import predicate, predicates
from tradeguard.targeting.assessment import ASSESSMENT_SCHEMA
from tradeguard.targeting.request_frames import column as request_column

_ODD_TYPES: list[pl.DataType] = [
    pl.String(), pl.Int64(), pl.Int32(), pl.Float64(), pl.Float32(), pl.Boolean(), pl.Date(),
    pl.Categorical(), pl.Enum(["a"]), pl.List(pl.String()), pl.List(pl.Int64()),
    pl.Array(pl.String(), 2), pl.Struct({"a": pl.String()}), pl.Datetime("us"), pl.Null(),
    pl.Decimal(10, 2), pl.Binary(),
]


def _frame(n: int) -> pl.DataFrame:
    return pl.DataFrame({"a": [f"x{i}" for i in range(n)], "b": list(range(n)),
                         "c": [None if i % 2 else i / 3 for i in range(n)]})


def test_reads_are_polars_own_and_follow_the_frame() -> None:
    for n in (0, 1, 3, 64, 65):
        frame = _frame(n)
        for _ in range(2):  # first look, then the kept reads
            assert column_types(frame) == dict(frame.schema)
            assert row_tuples(frame) == frame.rows()
            assert named_rows(frame) == frame.rows(named=True)
        assert list(column_types(frame)) == frame.columns
    frame = _frame(3)
    assert row_tuples(frame) == frame.rows()
    frame.hstack([pl.Series("d", [1, 2, 3])], in_place=True)  # a new shape: read again
    assert column_types(frame) == dict(frame.schema)
    assert row_tuples(frame) == frame.rows()
    # frames made and dropped one after another (ids reused) each read as themselves
    for i in range(50):
        other = pl.DataFrame({"v": [i], "w": [str(i)]})
        assert row_tuples(other) == [(i, str(i))]
        assert column_types(other) == {"v": pl.Int64(), "w": pl.String()}
        del other
        gc.collect()


def test_short_type_names_tell_types_apart() -> None:
    frame = pl.DataFrame(schema={f"c{i}": t for i, t in enumerate(_ODD_TYPES)})
    names = short_type_names(frame)
    assert names is not None and len(names) == len(_ODD_TYPES)
    plain = [n for n, t in zip(names, _ODD_TYPES, strict=True)
             if not isinstance(t, (pl.Struct, pl.Enum, pl.Decimal, pl.Array, pl.Datetime))]
    assert len(set(plain)) == len(plain)  # the types judged by name have names of their own


@pytest.mark.parametrize("values", [
    [1.5, None, 3.25], [1, None], [None, None], [], [float("nan"), float("inf")], [True, 2],
    [10**400 // 10**399],
])
def test_float_columns_as_the_public_call(values: list[Any]) -> None:
    got, want = request_column("x", values, pl.Float64()), pl.Series("x", values, dtype=pl.Float64)
    assert got.dtype == want.dtype and got.name == want.name
    assert got.to_list() == want.to_list() or got.equals(want)


@pytest.mark.parametrize("values", [["a", None, ""], [None], [], ["é", "x" * 200]])
def test_text_columns_as_the_public_call(values: list[Any]) -> None:
    got, want = request_column("x", values, pl.String()), pl.Series("x", values, dtype=pl.String)
    assert got.dtype == want.dtype and got.equals(want) and got.name == want.name


def test_refused_values_fail_as_the_public_call() -> None:
    for dtype, bad in ((pl.Float64(), ["a"]), (pl.String(), [1])):
        with pytest.raises(TypeError):
            pl.Series("x", bad, dtype=dtype)
        with pytest.raises(TypeError):
            request_column("x", bad, dtype)


def test_canonical_findings_told_by_type_names() -> None:
    base = empty_findings()
    assert is_canonical(base)
    for column in FINDINGS_SCHEMA:
        for dtype in _ODD_TYPES:
            variant = base.with_columns(pl.col(column).cast(dtype, strict=False)) \
                if not isinstance(dtype, (pl.Struct, pl.Array)) else base.with_columns(
                    pl.lit(None, dtype=dtype).alias(column))
            want = variant.schema == pl.Schema(FINDINGS_SCHEMA)
            assert is_canonical(variant) == want, (column, dtype)
    assert not is_canonical(base.select(list(reversed(FINDINGS_SCHEMA))))


def _laned(types: dict[str, pl.DataType]) -> pl.DataFrame:
    """A one-line laned frame of the assessment columns (versions left out) with ``types``."""
    return pl.DataFrame({c: [None] for c in ASSESSMENT_SCHEMA if "version" not in c},
                        schema={c: types.get(c, t) for c, t in ASSESSMENT_SCHEMA.items()
                                if "version" not in c})


def test_finished_assessments_as_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    versions = {"model": "m1", "rules": "r1", "targeting": "t1", "lists": {"ofac_sdn": "v"},
                "refdata": {"hts": "2025"}, "detectors": {"origin": "Origin@1"}}
    variants = [{}, *({c: t} for c in ("lane", "risk_score", "reasons", "entry_date")
                      for t in _ODD_TYPES)]
    for types in variants:
        laned = _laned(types)
        try:
            got = run_module.finish_assessments(laned, versions)
        except Exception as exc:  # the general path must fail alike
            got = type(exc)
        monkeypatch.setattr(run_module, "PLAIN_FINISH_LINES", -1)
        try:
            want = run_module.finish_assessments(laned, versions)
        except Exception as exc:
            want = type(exc)
        monkeypatch.undo()
        if isinstance(want, pl.DataFrame):
            assert isinstance(got, pl.DataFrame), types
            assert got.schema == want.schema and got.equals(want), types
        else:
            assert got == want, types


def test_stamps_as_the_version_values() -> None:
    texts = {"model": "m", "rules": "r", "targeting": "t", "lists": {"a": "1"},
             "refdata": {"b": "2"}, "detectors": {"c": "3"}}
    numbers = {**texts, "lists": {"a": 1}}
    floats = {**texts, "lists": {"a": 1.0}}
    unhashable = {**texts, "lists": {"a": ["1"]}}
    for _ in range(2):  # first met, then remembered
        for versions in (texts, numbers, floats, unhashable, {**texts, "model": None}):
            assert stamped(versions) == version_values(versions)
    assert stamped(numbers)["list_versions"] != stamped(floats)["list_versions"]
    with pytest.raises(KeyError):
        stamped({"lists": {}, "refdata": {}, "detectors": {}})


def test_plain_digests_as_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = {"entry_number": ["E1", "E2%s", None], "line_number": [1, None, 3],
            "entry_date": [date(2024, 1, 2), None, date(999, 1, 1)],
            "quantity": [1.5, None, 0.0], "entered_value_usd": [1e20, 2.0, -0.5],
            "trusted_trader": [True, False, None], "description": ["100% cotton", "", None]}
    frame = pl.DataFrame(rows)
    for part in (frame.head(1), frame.slice(1, 1), frame.slice(2, 1), frame):
        got = plain_digests(part)
        monkeypatch.setattr(run_module, "PLAIN_DIGEST_LINES", -1)
        want = run_module.input_digest(part)
        monkeypatch.undo()
        if got is not None:  # None: a value the general path writes (exponents, old years)
            assert got.equals(want) and got.name == want.name


def test_rules_kept_per_day_as_worked_out_each_time() -> None:
    profiles = load_profile_set(shipped_profiles_dir())
    lines = pl.DataFrame({"entry_number": ["E1"], "line_number": [1]})
    for on in (date(2020, 1, 1), date(2025, 6, 1), date(2031, 1, 1), None):
        for _ in range(2):
            got = evaluate(profiles, lines, on=on)
            statuses = statuses_on(profiles, on)
            assert got.statuses == statuses
            assert got.warnings == tuple(_warnings(profiles, statuses))
        firing = [p for p in profiles.profiles if statuses[p.id].fires]
        hit = predicates(profiles, firing)
        tests = [predicate(p.condition, profiles.lists) for p in firing]
        for row in _rule_rows(profiles):
            assert hit(row) == any(t(row) for t in tests)


def test_a_set_of_thousands_of_profiles_is_tested_row_by_row() -> None:
    """However many profiles fire, a row is tested in one flat pass (no nesting that a
    large set would take past Python's recursion limit), as ``any`` over them."""
    import dataclasses
    import sys

    profiles = load_profile_set(shipped_profiles_dir())
    copies = -(-2 * sys.getrecursionlimit() // len(profiles.profiles))
    many = dataclasses.replace(profiles, profiles=tuple(
        dataclasses.replace(p, id=f"{p.id}-{i}") for i in range(copies)
        for p in profiles.profiles))
    statuses = statuses_on(many, None)
    firing = [p for p in many.profiles if statuses[p.id].fires]
    assert len(firing) > sys.getrecursionlimit()
    hit = predicates(many, firing)
    tests = [predicate(p.condition, many.lists) for p in firing]
    for row in _rule_rows(profiles):
        assert hit(row) == any(t(row) for t in tests)


def _rule_rows(profiles: Any) -> list[dict[str, Any]]:
    """Rows holding, field by field, each value some profile tests for (and nothing)."""
    from tradeguard.rules import DECLARED_FIELDS

    empty: dict[str, Any] = dict.fromkeys(DECLARED_FIELDS)
    rows = [empty]
    for profile in profiles.profiles:
        stack = [profile.condition]
        while stack:
            cond = stack.pop()
            items = getattr(cond, "items", None)
            if items is not None:
                stack.extend(items)
                continue
            values = list(getattr(cond, "values", ()) or ())
            for value in values[:2]:
                rows.append({**empty, cond.field: value})
    return rows
