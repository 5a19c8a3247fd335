"""Proposed changes to the profile set, judged by the loader the ``tradeguard rules``
commands use, in a staging copy of the folder, so a set that does not load never reaches the
folder the scorer reads.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradeguard.api.problems import ApiProblem
from tradeguard.api.routers.risk_profiles.published import ActiveProfiles
from tradeguard.rules import ProfileIssue, ProfileSet, check_profiles, load_profile_set

#: A profile file of the set: a plain name, never a path (nothing outside the folder).
FILE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.ya?ml$"
_FILE = re.compile(FILE_PATTERN)

#: What the YAML reader refuses (control characters, lone surrogates); found here, because
#: the reader raises an error without a line for them.
_UNREADABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD"
                         "\U00010000-\U0010FFFF]")


@dataclass(frozen=True, slots=True)
class Proposal:
    """New text for one profile file of the set, or (``replace_set``) the whole set."""

    file: str
    text: str
    replace_set: bool = False

    def files(self, current: Mapping[str, str]) -> dict[str, str]:
        """The files of the proposed set."""
        if not _FILE.fullmatch(self.file):
            raise ApiProblem(422, f"file {self.file!r}: a file name like textiles.yaml "
                                  "(letters, digits, '_' or '-', ending .yaml)",
                             kind="invalid-input")
        kept = {} if self.replace_set else {k: v for k, v in current.items() if k != self.file}
        return {**kept, self.file: self.text}


@dataclass(frozen=True, slots=True)
class Checked:
    """What the loader says of a proposal, and how it differs from the published set."""

    problems: tuple[ProfileIssue, ...]
    files: Mapping[str, str]
    profile_set: ProfileSet | None
    added: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the proposed set loads."""
        return not self.problems and self.profile_set is not None


def _unreadable(name: str, text: str) -> ProfileIssue | None:
    bad = _UNREADABLE.search(text)
    if bad is None:
        return None
    line = text.count("\n", 0, bad.start()) + 1
    return ProfileIssue(name, line,
                        f"YAML syntax: character #x{ord(bad.group()):04x} is not allowed in YAML")


def check_files(active: ActiveProfiles, files: Mapping[str, str], focus: str) -> Checked:
    """Load a whole proposed set from a staging folder; every problem with file and line
    (``focus``: the file a problem of the set as a whole is reported against)."""
    for name, text in files.items():
        issue = _unreadable(name, text)
        if issue is not None:
            return Checked((issue,), files, None)
    with tempfile.TemporaryDirectory(prefix="tg-profiles-") as tmp:
        staging = Path(tmp)
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        # The loader reports unreadable YAML (syntax, characters, nesting) with its line.
        issues = [ProfileIssue(Path(i.file).name, i.line, i.message)
                  for i in check_profiles(staging)]
        pset = None if issues else load_profile_set(staging)
    if pset is not None and not pset.profiles:
        issues.append(ProfileIssue(focus, 1, "the set would hold no profile at all"))
        pset = None
    if pset is None:
        return Checked(tuple(issues), files, None)
    before, after = active.profile_set.profile_versions, pset.profile_versions
    return Checked(
        (), files, pset,
        added=tuple(sorted(set(after) - set(before))),
        edited=tuple(sorted(k for k in set(after) & set(before) if after[k] != before[k])),
        removed=tuple(sorted(set(before) - set(after))),
    )


def check_proposal(active: ActiveProfiles, proposal: Proposal) -> Checked:
    """The proposed set against the published one (see :func:`check_files`)."""
    files = proposal.files(active.files)
    issue = _unreadable(proposal.file, proposal.text)
    if issue is not None:
        return Checked((issue,), files, None)
    return check_files(active, files, proposal.file)


def issue_row(issue: ProfileIssue) -> dict[str, Any]:
    """A loader problem for JSON."""
    return {"file": issue.file, "line": issue.line, "message": issue.message}


def refuse(checked: Checked, what: str) -> ApiProblem:
    """The 422 for a set that does not load, every problem listed."""
    return ApiProblem(422, f"the proposed profiles do not load ({len(checked.problems)} "
                           f"problems); {what}",
                      kind="invalid-profiles", problems=[issue_row(i) for i in checked.problems])
