"""Profile files: every error names the file and the line, and what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tradeguard.findings import Category, Severity
from tradeguard.rules import (
    Group,
    Leaf,
    ProfileLoadError,
    check_profiles,
    load_profile_set,
    profile_set_from_yaml,
)


def issues_for(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "profiles.yaml"
    path.write_text(text, encoding="utf-8")
    return [str(i) for i in check_profiles(path)]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("when", "needle", "message"),
    [
        ("{field: hts_cod, op: eq, value: x}", "hts_cod,", "unknown field 'hts_cod'"),
        ("{field: hts_code, op: startswith, value: '61'}", "startswith", "unknown operator"),
        ("{field: entry_date, op: gt, value: 2025-13-01}", "2025-13-01", "bad date"),
        ("{field: country_of_origin, op: in, list: nowhere}", "nowhere", "unknown list reference"),
        ("{field: description, op: gt, value: 3}", "description", "does not apply to text"),
        ("{field: description, op: matches, value: '(unclosed'}", "unclosed", "bad regular exp"),
        ("{field: entered_value_usd, op: between, value: [5, 1]}", "between", "low value"),
        ("{field: hts_code, op: prefix, value: '61A'}", "61A", "must be 1 to 10 digits"),
    ],
)
def test_condition_errors_name_file_and_line(
    tmp_path: Path, profile_yaml: Callable[..., str], when: str, needle: str, message: str
) -> None:
    text = profile_yaml("- {field: hts_code, op: prefix, value: '61'}\n- " + when)
    issues = issues_for(tmp_path, text)
    assert len(issues) == 1, issues
    assert issues[0].startswith(f"{tmp_path / 'profiles.yaml'}:{line_of(text, needle)}: ")
    assert message in issues[0]


def test_duplicate_id_reported_at_both_sites(
    tmp_path: Path, profile_yaml: Callable[..., str]
) -> None:
    first = profile_yaml("{field: hts_code, op: prefix, value: '61'}", pid="DUP-1")
    (tmp_path / "a.yaml").write_text(first, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(first, encoding="utf-8")
    issues = [str(i) for i in check_profiles(tmp_path)]
    assert len(issues) == 2
    assert all("duplicate profile id 'DUP-1'" in i for i in issues)
    assert any(i.startswith(f"{tmp_path / 'a.yaml'}:2:") for i in issues)
    assert any(i.startswith(f"{tmp_path / 'b.yaml'}:2:") for i in issues)
    # Checking a single file still sees its sibling's duplicate.
    assert len(check_profiles(tmp_path / "b.yaml")) == 1
    with pytest.raises(ProfileLoadError):
        load_profile_set(tmp_path)


def test_list_defined_in_sibling_file_resolves(
    tmp_path: Path, profile_yaml: Callable[..., str]
) -> None:
    (tmp_path / "lists.yaml").write_text(
        "lists:\n  origins:\n    kind: countries\n    items: [CN]\n", encoding="utf-8"
    )
    (tmp_path / "p.yaml").write_text(
        profile_yaml("{field: country_of_origin, op: in, list: origins}"), encoding="utf-8"
    )
    assert check_profiles(tmp_path / "p.yaml") == []
    assert load_profile_set(tmp_path).lists["origins"].items == ("CN",)


def test_treatment_and_profile_key_errors(tmp_path: Path, profile_yaml: Callable[..., str]) -> None:
    bad_treatment = "treatment:\n  lane: purple\n  category: smuggling\n  reason: x\n"
    text = profile_yaml(
        "{field: hts_code, op: prefix, value: '61'}",
        treatment=bad_treatment,
        extra="valid_from: 2025-02-30\ncolour: blue",
    )
    issues = issues_for(tmp_path, text)
    joined = "\n".join(issues)
    assert f":{line_of(text, 'purple')}: lane must be green, yellow or red" in joined
    assert f":{line_of(text, 'smuggling')}: unknown finding category 'smuggling'" in joined
    assert "treatment needs 'reason_code'" in joined
    assert f":{line_of(text, '2025-02-30')}: bad date" in joined
    assert f":{line_of(text, 'colour')}: unknown profile key 'colour'" in joined


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    text = "profiles:\n  - id: X\n    title: [unclosed\n    owner: y\n"
    issues = issues_for(tmp_path, text)
    assert len(issues) == 1 and "YAML syntax" in issues[0]
    assert issues[0].startswith(str(tmp_path / "profiles.yaml") + ":")


def test_control_character_is_reported_with_its_line(tmp_path: Path) -> None:
    text = "profiles:\n  - id: X\n    title: bad \x07 bell\n"
    issues = issues_for(tmp_path, text)
    assert len(issues) == 1
    assert issues[0].startswith(str(tmp_path / "profiles.yaml") + ":3:")
    assert "not allowed" in issues[0]


def test_nesting_too_deep_is_reported_not_raised(tmp_path: Path) -> None:
    issues = issues_for(tmp_path, "profiles: " + "[" * 5000 + "]" * 5000 + "\n")
    assert len(issues) == 1 and "nested too deeply" in issues[0]


def test_parsed_profile_model(profile_yaml: Callable[..., str]) -> None:
    text = profile_yaml(
        """
        or:
          - {field: hts_code, op: prefix, value: ['6109.10', '6110']}
          - {field: entered_value_usd, op: between, value: [10, 20]}
        """,
        treatment="treatment:\n  lane: red\n  category: watchlist\n"
        "  reason_code: RC\n  reason: Plain words.\n",
        extra="valid_from: 2025-01-01\nvalid_to: 2025-12-31\nreview_date: 2025-06-30",
    )
    profile = profile_set_from_yaml(text).profiles[0]
    assert isinstance(profile.condition, Group) and profile.condition.op == "or"
    first, second = profile.condition.items
    assert first == Leaf("hts_code", "prefix", ("610910", "6110"), None, first.line)
    assert isinstance(second, Leaf) and second.values == (10.0, 20.0)
    assert profile.treatment.lane == "red" and profile.treatment.category is Category.WATCHLIST
    assert profile.treatment.severity is Severity.CRITICAL  # red lane default
    assert profile.valid_to is not None and profile.valid_to.isoformat() == "2025-12-31"
