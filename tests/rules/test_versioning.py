"""Set versions follow content; the change log must account for every version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tradeguard.rules import (
    CHANGE_LOG_NAME,
    load_profile_set,
    profile_set_from_yaml,
    read_change_log,
    record_changes,
)

WHEN = "{field: country_of_origin, op: in, list: origins}"
LISTS = "origins:\n  kind: countries\n  items: [CN, VN]\n"


def test_version_follows_content_not_layout(profile_yaml: Callable[..., str]) -> None:
    base = profile_set_from_yaml(profile_yaml(WHEN, lists=LISTS))
    same = profile_set_from_yaml(
        "# a comment moves every line\n\n" + profile_yaml(WHEN, lists=LISTS)
    )
    assert base.version == same.version
    assert base.profile_versions == same.profile_versions
    # A different list item changes the profile that uses it, and the set.
    edited = profile_set_from_yaml(profile_yaml(WHEN, lists=LISTS.replace("VN", "KH")))
    assert edited.profile_versions["P-1"] != base.profile_versions["P-1"]
    assert edited.version != base.version
    # So does a different reason text.
    reworded = profile_set_from_yaml(
        profile_yaml(WHEN, lists=LISTS).replace("Test reason text.", "Other text.")
    )
    assert reworded.version != base.version


def write(directory: Path, text: str) -> None:
    (directory / "p.yaml").write_text(text, encoding="utf-8")


def test_change_log_enforcement(tmp_path: Path, profile_yaml: Callable[..., str]) -> None:
    write(tmp_path, profile_yaml(WHEN, lists=LISTS))
    unrecorded = load_profile_set(tmp_path)
    assert unrecorded.change_issues == (
        f"profile P-1: version {unrecorded.profile_versions['P-1']} has no recorded change",
    )

    log = tmp_path / CHANGE_LOG_NAME
    at = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    created = record_changes(log, unrecorded, "a.officer", "new profile", at)
    assert [(c.profile_id, c.version_before, c.version_after) for c in created] == [
        ("P-1", None, unrecorded.profile_versions["P-1"])
    ]
    assert load_profile_set(tmp_path).change_issues == ()
    assert record_changes(log, unrecorded, "a.officer", "nothing changed") == []

    # Edit the list without recording: flagged.
    write(tmp_path, profile_yaml(WHEN, lists=LISTS.replace("VN", "KH")))
    edited = load_profile_set(tmp_path)
    assert len(edited.change_issues) == 1
    assert "content changed" in edited.change_issues[0]
    assert "without a recorded change" in edited.change_issues[0]

    changed = record_changes(log, edited, "b.officer", "KH added after risk assessment")
    assert changed[0].version_before == unrecorded.profile_versions["P-1"]
    assert load_profile_set(tmp_path).change_issues == ()
    history = read_change_log(log)
    assert [c.author for c in history] == ["a.officer", "b.officer"]
    assert history[0].at == at

    # Removing the profile without recording it is flagged too.
    write(tmp_path, "lists:\n" + "  " + LISTS.replace("\n  ", "\n    "))
    assert load_profile_set(tmp_path).change_issues == (
        "profile P-1: removed without a recorded change",
    )


def test_change_needs_author_and_reason(tmp_path: Path, profile_yaml: Callable[..., str]) -> None:
    pset = profile_set_from_yaml(profile_yaml(WHEN, lists=LISTS))
    with pytest.raises(ValueError, match="author and a reason"):
        record_changes(tmp_path / CHANGE_LOG_NAME, pset, "someone", "  ")


def test_tampered_log_chain_is_flagged(tmp_path: Path, profile_yaml: Callable[..., str]) -> None:
    write(tmp_path, profile_yaml(WHEN, lists=LISTS))
    log = tmp_path / CHANGE_LOG_NAME
    record_changes(log, load_profile_set(tmp_path), "a", "created")
    text = log.read_text(encoding="utf-8").replace(
        '"version_before": null', '"version_before": "x"'
    )
    log.write_text(text, encoding="utf-8")
    issues = load_profile_set(tmp_path).change_issues
    assert len(issues) == 1 and "previous recorded version is None" in issues[0]
