"""Fixtures for the risk-profile tests: inline YAML profiles and tiny declaration frames."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

TREATMENT = """\
treatment:
  weight: 0.5
  category: valuation
  reason_code: TEST_CODE
  reason: Test reason text.
"""


def build_profile(
    when: str,
    pid: str = "P-1",
    treatment: str = TREATMENT,
    extra: str = "",
    lists: str = "",
) -> str:
    """YAML for one profile: ``when`` is the YAML body of the condition (indented freely)."""
    body = textwrap.indent(textwrap.dedent(when).strip(), "      ")
    head = f"lists:\n{textwrap.indent(textwrap.dedent(lists).strip(), '  ')}\n" if lists else ""
    return (
        head
        + "profiles:\n"
        + f"  - id: {pid}\n"
        + "    title: Test profile\n"
        + "    owner: Test team\n"
        + "    rationale: Because the test says so.\n"
        + textwrap.indent(textwrap.dedent(extra).strip() + "\n", "    ") * bool(extra)
        + "    when:\n"
        + body
        + "\n"
        + textwrap.indent(treatment, "    ")
    )


@pytest.fixture
def profile_yaml() -> Callable[..., str]:
    """Builder of one-profile YAML documents."""
    return build_profile


def lines_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A declaration-line frame from rows; unnamed contract columns are filled by the engine."""
    base = {"entry_number": "ABC-0000001-1", "line_number": 1}
    return pl.DataFrame([{**base, **r} for r in rows], infer_schema_length=None)


@pytest.fixture
def make_lines() -> Callable[[list[dict[str, Any]]], pl.DataFrame]:
    """Builder of small declaration-line frames."""
    return lines_frame
