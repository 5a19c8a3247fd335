"""Loading profile files: YAML kept as nodes so every error names its file and line.

A profile directory holds ``*.yaml`` files, each with optional ``lists:`` and ``profiles:``
sections, and ``changes.json``, the change log. Lists are shared across the directory and
defined once. All problems are collected and reported together, each as ``file:line: what``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from tradeguard.findings import Category, Severity
from tradeguard.rules._conditions import (
    line_of,
    normalise_hts,
    parse_condition,
    parse_scalar,
)
from tradeguard.rules._model import (
    LIST_KINDS,
    Effect,
    Lane,
    ListKind,
    NamedList,
    Profile,
    ProfileSet,
    Treatment,
)
from tradeguard.rules._versioning import (
    CHANGE_LOG_NAME,
    build_profile_set,
    read_change_log,
    with_change_log,
)

_PROFILE_KEYS = {
    "id",
    "title",
    "when",
    "treatment",
    "owner",
    "rationale",
    "valid_from",
    "valid_to",
    "review_date",
}
_REQUIRED = ("id", "title", "when", "treatment", "owner", "rationale")
_TREATMENT_KEYS = {"lane", "weight", "effect", "category", "severity", "reason_code", "reason"}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class ProfileIssue:
    """One problem in a profile file, located to the line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ProfileLoadError(ValueError):
    """Raised when a profile set cannot be built; carries every issue found."""

    def __init__(self, issues: list[ProfileIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class _ParsedFile:
    path: str
    issues: list[ProfileIssue] = field(default_factory=list)
    profiles: list[Profile] = field(default_factory=list)
    lists: dict[str, tuple[NamedList, int]] = field(default_factory=dict)
    list_refs: list[tuple[str, int]] = field(default_factory=list)

    def report(self, node: yaml.Node, message: str) -> None:
        self.issues.append(ProfileIssue(self.path, line_of(node), message))


def _text(node: yaml.Node | None, what: str, pf: _ParsedFile) -> str | None:
    if node is None or not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        if node is not None:
            pf.report(node, f"{what} must be non-empty text")
        return None
    return str(node.value).strip()


def _mapping(node: yaml.Node, what: str, pf: _ParsedFile) -> dict[str, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        pf.report(node, f"{what} must be a mapping")
        return None
    out: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = str(key.value)
        if name in out:
            pf.report(key, f"duplicate key {name!r} in {what}")
        out[name] = value
    return out


def _date(node: yaml.Node | None, pf: _ParsedFile) -> date | None:
    if node is None:
        return None
    value = parse_scalar(node, "date", pf.report)
    return value if isinstance(value, date) else None


def _parse_lists(node: yaml.Node, pf: _ParsedFile) -> None:
    lists = _mapping(node, "'lists'", pf)
    for name, body in (lists or {}).items():
        spec = _mapping(body, f"list {name!r}", pf)
        if spec is None:
            continue
        for extra in sorted(set(spec) - {"kind", "items", "description"}):
            pf.report(spec[extra], f"unknown key {extra!r} in list {name!r}")
        kind = _text(spec.get("kind"), "list kind", pf)
        if kind not in LIST_KINDS:
            pf.report(spec.get("kind", body), f"list {name!r}: kind must be one of {LIST_KINDS}")
            continue
        items_node = spec.get("items")
        if not isinstance(items_node, yaml.SequenceNode) or not items_node.value:
            pf.report(items_node or body, f"list {name!r} needs a non-empty 'items' list")
            continue
        items = [_list_item(n, kind, name, pf) for n in items_node.value]
        if any(i is None for i in items):
            continue
        desc = _text(spec.get("description"), "list description", pf) or ""
        list_kind: ListKind = kind  # type: ignore[assignment]
        named = NamedList(name, list_kind, tuple(i for i in items if i is not None), desc)
        pf.lists[name] = (named, line_of(body))


def _list_item(node: yaml.Node, kind: str, name: str, pf: _ParsedFile) -> str | None:
    raw = parse_scalar(node, "text", pf.report)
    if raw is None:
        return None
    item = str(raw)
    if kind == "countries" and not re.fullmatch(r"[A-Z]{2}", item):
        pf.report(node, f"list {name!r}: {item!r} is not an ISO 3166-1 alpha-2 country code")
        return None
    if kind == "hts_prefixes":
        item = normalise_hts(item)
        if not re.fullmatch(r"\d{1,10}", item):
            pf.report(node, f"list {name!r}: HTS prefix {item!r} must be 1 to 10 digits")
            return None
    return item


def _parse_treatment(node: yaml.Node, pf: _ParsedFile) -> Treatment | None:
    keys = _mapping(node, "'treatment'", pf)
    if keys is None:
        return None
    ok = True
    for extra in sorted(set(keys) - _TREATMENT_KEYS):
        pf.report(keys[extra], f"unknown treatment key {extra!r}")
        ok = False
    lane = _text(keys.get("lane"), "lane", pf)
    if lane is not None and lane not in ("green", "yellow", "red"):
        pf.report(keys["lane"], f"lane must be green, yellow or red, not {lane!r}")
        ok = False
    weight = None
    if "weight" in keys:
        w = parse_scalar(keys["weight"], "number", pf.report)
        if not isinstance(w, float) or not 0.0 <= w <= 1.0:
            if w is not None:
                pf.report(keys["weight"], "weight must be between 0 and 1")
            ok = False
        else:
            weight = w
    if ("lane" in keys) == ("weight" in keys):
        pf.report(node, "a treatment needs exactly one of 'lane' or 'weight'")
        ok = False
    effect = _text(keys.get("effect"), "effect", pf) or "raise"
    if effect not in ("raise", "lower") or (effect == "lower" and "lane" in keys):
        pf.report(keys.get("effect", node), "effect must be 'raise' or 'lower' (weights only)")
        ok = False
    category = _category(keys.get("category"), pf)
    facilitates = effect == "lower" or lane == "green"
    if category is None and not facilitates:
        if "category" not in keys:
            pf.report(node, "a treatment that raises risk needs a finding 'category'")
        ok = False
    severity = _severity(keys.get("severity"), lane, weight, pf)
    reason_code = _text(keys.get("reason_code"), "reason_code", pf)
    reason = _text(keys.get("reason"), "reason", pf)
    for req, got in (("reason_code", reason_code), ("reason", reason)):
        if got is None:
            if req not in keys:
                pf.report(node, f"treatment needs {req!r}")
            ok = False
    if not ok or severity is None or reason_code is None or reason is None:
        return None
    lane_v: Lane | None = lane  # type: ignore[assignment]
    effect_v: Effect = effect  # type: ignore[assignment]
    return Treatment(lane_v, weight, effect_v, category, severity, reason_code, reason)


def _category(node: yaml.Node | None, pf: _ParsedFile) -> Category | None:
    text = _text(node, "category", pf)
    if text is None or node is None:
        return None
    try:
        return Category(text)
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        pf.report(node, f"unknown finding category {text!r} (one of {allowed})")
        return None


def _severity(
    node: yaml.Node | None, lane: str | None, weight: float | None, pf: _ParsedFile
) -> Severity | None:
    if node is not None:
        text = _text(node, "severity", pf)
        try:
            return Severity(text or "")
        except ValueError:
            pf.report(node, f"severity must be one of {', '.join(s.value for s in Severity)}")
            return None
    # Defaults: a forced red lane is as strong as findings get; weights map to bands.
    if lane == "red":
        return Severity.CRITICAL
    if lane == "yellow" or (weight or 0.0) >= 0.7:
        return Severity.HIGH
    return Severity.MEDIUM if (weight or 0.0) >= 0.4 else Severity.LOW


def _parse_profile(node: yaml.Node, pf: _ParsedFile) -> None:
    keys = _mapping(node, "a profile", pf)
    if keys is None:
        return
    n_issues = len(pf.issues)
    for extra in sorted(set(keys) - _PROFILE_KEYS):
        pf.report(keys[extra], f"unknown profile key {extra!r}")
    for req in _REQUIRED:
        if req not in keys:
            pf.report(node, f"profile needs {req!r}")
    pid = _text(keys.get("id"), "id", pf)
    if pid is not None and not _ID.fullmatch(pid):
        pf.report(keys["id"], f"profile id {pid!r}: use letters, digits, '_', '-', '.'")
    title, owner = _text(keys.get("title"), "title", pf), _text(keys.get("owner"), "owner", pf)
    rationale = _text(keys.get("rationale"), "rationale", pf)
    cond = parse_condition(keys["when"], pf.report, pf.list_refs) if "when" in keys else None
    treatment = _parse_treatment(keys["treatment"], pf) if "treatment" in keys else None
    valid_from, valid_to = _date(keys.get("valid_from"), pf), _date(keys.get("valid_to"), pf)
    review = _date(keys.get("review_date"), pf)
    if valid_from and valid_to and valid_to < valid_from:
        pf.report(keys["valid_to"], "valid_to is before valid_from")
    if len(pf.issues) > n_issues:
        return
    assert pid and title and owner and rationale and cond and treatment  # checked above
    pf.profiles.append(
        Profile(
            pid,
            title,
            cond,
            treatment,
            owner,
            rationale,
            valid_from,
            valid_to,
            review,
            pf.path,
            line_of(node),
        )
    )


def _parse_text(text: str, path: str) -> _ParsedFile:
    pf = _ParsedFile(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        pf.issues.append(ProfileIssue(path, line, f"YAML syntax: {exc.problem or exc}"))
        return pf
    except yaml.reader.ReaderError as exc:  # characters YAML does not allow (controls)
        line = text[:exc.position].count("\n") + 1
        pf.issues.append(ProfileIssue(
            path, line, f"YAML syntax: character {exc.character!r} is not allowed"))
        return pf
    except RecursionError:
        pf.issues.append(ProfileIssue(path, 1, "YAML syntax: nested too deeply to read"))
        return pf
    if root is None:
        pf.issues.append(ProfileIssue(path, 1, "empty profile file"))
        return pf
    top = _mapping(root, "the file (lists:/profiles:)", pf)
    for extra in sorted(set(top or {}) - {"lists", "profiles"}):
        pf.report((top or {})[extra], f"unknown top-level key {extra!r} (lists or profiles)")
    if top and "lists" in top:
        _parse_lists(top["lists"], pf)
    if top and "profiles" in top:
        body = top["profiles"]
        if not isinstance(body, yaml.SequenceNode):
            pf.report(body, "'profiles' must be a list")
        else:
            for node in body.value:
                _parse_profile(node, pf)
    return pf


def _resolve(files: list[_ParsedFile]) -> list[ProfileIssue]:
    """Cross-file checks: duplicate ids and list names, unknown list references."""
    issues: list[ProfileIssue] = []
    id_sites: dict[str, list[tuple[str, int]]] = {}
    list_sites: dict[str, list[tuple[str, int]]] = {}
    for pf in files:
        for p in pf.profiles:
            id_sites.setdefault(p.id, []).append((pf.path, p.line))
        for name, (_, line) in pf.lists.items():
            list_sites.setdefault(name, []).append((pf.path, line))
    for what, sites in (("profile id", id_sites), ("list name", list_sites)):
        for key, where in sites.items():
            for path, line in where if len(where) > 1 else []:
                others = ", ".join(f"{f}:{n}" for f, n in where if (f, n) != (path, line))
                issues.append(ProfileIssue(path, line, f"duplicate {what} {key!r} (also {others})"))
    for pf in files:
        for name, line in pf.list_refs:
            if name not in list_sites:
                issues.append(ProfileIssue(pf.path, line, f"unknown list reference {name!r}"))
    return issues


def _profile_files(path: Path) -> list[Path]:
    directory = path if path.is_dir() else path.parent
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return files if path.is_dir() or path in files else [*files, path]


def _parse_all(path: Path) -> tuple[list[_ParsedFile], list[ProfileIssue]]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such profile file or directory")
    files = [_parse_text(f.read_text(encoding="utf-8"), str(f)) for f in _profile_files(path)]
    issues = [i for pf in files for i in pf.issues] + _resolve(files)
    return files, issues


def check_profiles(path: Path) -> list[ProfileIssue]:
    """Every problem in a profile file (lists of sibling files are visible) or directory."""
    _, issues = _parse_all(path)
    if path.is_dir():
        return issues
    return [i for i in issues if Path(i.file) == path]


def _assemble(files: list[_ParsedFile], issues: list[ProfileIssue]) -> ProfileSet:
    if issues:
        raise ProfileLoadError(issues)
    lists = {name: named for pf in files for name, (named, _) in pf.lists.items()}
    return build_profile_set([p for pf in files for p in pf.profiles], lists)


def load_profile_set(path: Path, change_log: Path | None = None) -> ProfileSet:
    """Load every profile file of a directory (or one file with its siblings' lists).

    The change log defaults to ``changes.json`` beside the profiles; anything it does not
    account for is listed in ``ProfileSet.change_issues``. Raises ProfileLoadError.
    """
    files, issues = _parse_all(path)
    profile_set = _assemble(files, issues)
    log = change_log or (path if path.is_dir() else path.parent) / CHANGE_LOG_NAME
    return with_change_log(profile_set, read_change_log(log))


def profile_set_from_yaml(text: str, source: str = "<profiles>") -> ProfileSet:
    """A set from YAML text (no change log): for inline definitions in tests and benches."""
    pf = _parse_text(text, source)
    return _assemble([pf], pf.issues + _resolve([pf]))
