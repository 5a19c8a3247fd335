"""Risk profiles in the service: the published set, proposals checked and back-tested on the
stored history, and publication recorded in the change log.

The published set lives in ``Settings.profiles_dir`` (default ``<work_dir>/profiles``); until
a first publication it is the example set shipped with the package. A proposal replaces one
profile file of the set (or, with ``replace_set``, the whole set) and is judged by the
loader the ``tradeguard rules`` commands use, in a staging copy of the folder, so a set that
does not load never reaches the folder the scorer reads.

The service's scorer adopts whatever set is published: :class:`PublishedProfilesScorer`
looks at the folder (a few ``stat`` calls) each time a request takes the scorer, so every
worker process scores with the new version from its next request, and a restarted service
starts on the published set rather than the shipped one.
"""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.problems import ApiProblem
from tradeguard.api.scoring import EntryScorer, LazyScorer
from tradeguard.api.services import Services
from tradeguard.rules import (
    CHANGE_LOG_NAME,
    Profile,
    ProfileChange,
    ProfileIssue,
    ProfileLoadError,
    ProfileSet,
    ProfileStatus,
    check_profiles,
    declaration_lines,
    evaluate,
    hit_rates,
    load_profile_set,
    read_change_log,
    record_changes,
    shipped_profiles_dir,
    statuses_on,
)
from tradeguard.security import Permission, Principal, Resource
from tradeguard.security.roles import allowed
from tradeguard.settings import Settings

log = logging.getLogger("tradeguard.api.risk_profiles")

#: A profile file of the set: a plain name, never a path (nothing outside the folder).
FILE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.ya?ml$"
_FILE = re.compile(FILE_PATTERN)
RESOURCE = Resource("risk_profiles")
#: Who may read the set: those who write profiles, those who oversee targeting, and
#: administrators (the admin area lists them). Publishing needs ``profile:edit``.
VIEW_PERMISSIONS = (Permission.PROFILE_EDIT, Permission.MONITORING_READ, Permission.USER_ADMIN)
STATUS_WORDS: Mapping[ProfileStatus, str] = {
    ProfileStatus.ACTIVE: "active",
    ProfileStatus.REVIEW_DUE: "review overdue",
    ProfileStatus.PENDING: "not yet valid",
    ProfileStatus.EXPIRED: "expired",
    ProfileStatus.LAPSED: "review overdue over a year: no longer fires",
}
_CACHE = "risk_profiles.active"
#: How long a scoring request trusts the last look at the profiles folder: a publication in
#: another worker process reaches this one within a second, at no cost per request.
RECHECK_SECONDS = 1.0
_HITS_CACHE = "risk_profiles.hit_rates"
#: One publication at a time per process (the folder is written file by file).
_PUBLISHING = threading.Lock()


# --- the published set -------------------------------------------------------------------


def profiles_folder(settings: Settings) -> Path:
    """Where published profiles live: the setting, else ``<work_dir>/profiles``."""
    return settings.profiles_dir or settings.work_dir / "profiles"


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, mtime and size of the profile files and the change log (one directory scan)."""
    out = []
    try:
        with os.scandir(folder) as found:
            for entry in found:
                if entry.name.endswith((".yaml", ".yml")) or entry.name == CHANGE_LOG_NAME:
                    st = entry.stat()
                    out.append((entry.name, st.st_mtime_ns, st.st_size))
    except FileNotFoundError:
        return ()
    return tuple(sorted(out))


@dataclass(slots=True)
class _Cached:
    key: tuple[str, tuple[tuple[str, int, int], ...]]
    active: ActiveProfiles
    checked: float


@dataclass(frozen=True, slots=True)
class ActiveProfiles:
    """The set the service scores with, where it was read from, its files and its history."""

    profile_set: ProfileSet
    folder: Path
    published: bool
    files: Mapping[str, str]
    changes: tuple[ProfileChange, ...]


def active_profiles(services: Services, *, max_age: float = 0.0) -> ActiveProfiles:
    """The published set (or the shipped one before any publication), cached until the
    folder changes; ``max_age`` seconds: trust the last look at the folder that long.

    A folder that stops loading (edited by hand, or caught mid-publication by another
    process) keeps the last set that loaded, so scoring never runs without profiles.
    """
    cached = services.cache.get(_CACHE)
    now = time.monotonic()
    if not isinstance(cached, _Cached):
        cached = None
    elif max_age > 0 and now - cached.checked < max_age:
        return cached.active
    folder = profiles_folder(services.settings)
    fingerprint = _fingerprint(folder)
    published = any(name.endswith((".yaml", ".yml")) for name, _, _ in fingerprint)
    source = folder if published else shipped_profiles_dir()
    key = (str(source), fingerprint if published else _fingerprint(source))
    if cached is not None and cached.key == key:
        cached.checked = now
        return cached.active
    try:
        pset = load_profile_set(source)
        changes = tuple(read_change_log(source / CHANGE_LOG_NAME))
    except (ProfileLoadError, ValueError, KeyError) as exc:
        if cached is not None:
            log.warning("risk profiles in %s do not load; keeping %s: %s", source,
                        cached.active.profile_set.version, exc)
            cached.checked = now
            return cached.active
        raise ApiProblem(503, f"the risk profiles in {source} do not load: {exc}",
                         kind="profiles-unavailable") from exc
    files = {p.name: p.read_text(encoding="utf-8") for p in _yaml_files(source)}
    active = ActiveProfiles(pset, source, published, files, changes)
    services.cache[_CACHE] = _Cached(key, active, now)
    return active


class PublishedProfilesScorer(LazyScorer):
    """The service's scorer, kept on the published profile set.

    Each :meth:`get` compares the folder with what was last loaded (cached, a few ``stat``
    calls) and hands a newly published set to the scorer, so publication takes effect from
    the next request in every worker process.
    """

    def __init__(self, inner: LazyScorer, services: Services) -> None:
        super().__init__(inner.get)
        self.inner = inner
        self.services = services

    def get(self) -> EntryScorer:
        """The scorer, on the published profile set."""
        scorer = self.inner.get()
        try:
            current = active_profiles(self.services, max_age=RECHECK_SECONDS).profile_set
        except ApiProblem:  # no set loads at all: keep scoring with the one in use
            return scorer
        if scorer.scorer.profiles is not current:
            scorer.scorer.profiles = current
        return scorer

    @property
    def ready(self) -> bool:
        """True once the underlying scorer is built."""
        return self.inner.ready


def follow_published(services: Services) -> PublishedProfilesScorer:
    """Make the service's scorer follow the published set (idempotent)."""
    if not isinstance(services.scorer, PublishedProfilesScorer):
        services.scorer = PublishedProfilesScorer(services.scorer, services)
    return services.scorer


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up: score with the published set, not the shipped one."""
    services = getattr(app.state, "services", None)
    if isinstance(services, Services):
        follow_published(services)
    yield


def scoring_version(services: Services) -> str | None:
    """The profile-set version the scorer of this process holds (None before it is built)."""
    if not services.scorer.ready:
        return None
    return services.scorer.get().scorer.profiles.version


# --- permissions -----------------------------------------------------------------------


def check_view(services: Services, principal: Principal) -> None:
    """Require one of :data:`VIEW_PERMISSIONS` through the workflow's (logged) check."""
    for permission in VIEW_PERMISSIONS:
        if allowed(principal, permission, RESOURCE):
            services.workflow.check(principal, permission, RESOURCE)
            return
    services.workflow.check(principal, VIEW_PERMISSIONS[0], RESOURCE)  # refused, and logged


def may_publish(principal: Principal) -> bool:
    """For showing the publish form; publication itself is checked in :func:`publish`."""
    return allowed(principal, Permission.PROFILE_EDIT, RESOURCE)


# --- proposals -------------------------------------------------------------------------


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


#: What the YAML reader refuses (control characters, lone surrogates); found here, because
#: the reader raises an error without a line for them.
_UNREADABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD"
                         "\U00010000-\U0010FFFF]")


def check_proposal(active: ActiveProfiles, proposal: Proposal) -> Checked:
    """Load the proposed set from a staging folder; every problem with its file and line."""
    files = proposal.files(active.files)
    bad = _UNREADABLE.search(proposal.text)
    if bad is not None:
        line = proposal.text.count("\n", 0, bad.start()) + 1
        message = f"YAML syntax: character #x{ord(bad.group()):04x} is not allowed in YAML"
        return Checked((ProfileIssue(proposal.file, line, message),), files, None)
    with tempfile.TemporaryDirectory(prefix="tg-profiles-") as tmp:
        staging = Path(tmp)
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        # The loader reports unreadable YAML (syntax, characters, nesting) with its line.
        issues = [ProfileIssue(Path(i.file).name, i.line, i.message)
                  for i in check_profiles(staging)]
        pset = None if issues else load_profile_set(staging)
    if pset is not None and not pset.profiles:
        issues.append(ProfileIssue(proposal.file, 1, "the set would hold no profile at all"))
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


def _refuse(checked: Checked, what: str) -> ApiProblem:
    return ApiProblem(422, f"the proposed profiles do not load ({len(checked.problems)} "
                           f"problems); {what}",
                      kind="invalid-profiles", problems=[_issue(i) for i in checked.problems])


def _issue(issue: ProfileIssue) -> dict[str, Any]:
    return {"file": issue.file, "line": issue.line, "message": issue.message}


# --- back-tests and hit rates ----------------------------------------------------------


def _table_count(conn: sa.Connection, name: str) -> int:
    from tradeguard.store.tables import CONTRACT_TABLES

    return int(conn.execute(sa.select(sa.func.count()).select_from(
        CONTRACT_TABLES[name])).scalar_one())


@dataclass(frozen=True, slots=True)
class BackTest:
    """Per profile: stored lines hit and, among those examined, the discrepancy rate."""

    version: str
    lines: int
    outcomes: int
    table: pl.DataFrame  # HIT_RATE_SCHEMA


def back_test(services: Services, pset: ProfileSet) -> BackTest:
    """Run ``pset`` over every stored line as ``tradeguard rules test`` does: validity
    windows ignored (a profile is tested before it is switched on), hit rates from the
    stored exam outcomes with Wilson intervals."""
    from tradeguard.api.records import stored_declarations, stored_outcomes

    history = stored_declarations(services.engine)
    outcomes = stored_outcomes(services.engine)
    try:
        frame = declaration_lines(history.entries, history.lines)
        result = evaluate(pset, frame, on=None)
        table = hit_rates(result.hits, outcomes, [p.id for p in pset.profiles])
    except ValueError as exc:
        raise ApiProblem(422, f"the stored lines cannot be evaluated: {exc}") from exc
    return BackTest(pset.version, frame.height, outcomes.height, table)


def stored_hit_rates(services: Services, pset: ProfileSet) -> BackTest | None:
    """:func:`back_test` of the published set, kept until the set or the store changes;
    None while no exam outcome is stored."""
    with services.engine.connect() as conn:
        counts = (_table_count(conn, "lines"), _table_count(conn, "outcomes"))
    if counts[1] == 0:
        return None
    key = (pset.version, counts)
    cached = services.cache.get(_HITS_CACHE)
    if isinstance(cached, tuple) and cached[0] == key:
        found: BackTest = cached[1]
        return found
    result = back_test(services, pset)
    services.cache[_HITS_CACHE] = (key, result)
    return result


# --- publication -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Published:
    """A publication: the new version and the change records it added."""

    version: str
    previous_version: str
    recorded: tuple[ProfileChange, ...]


def _write_folder(folder: Path, files: Mapping[str, str]) -> None:
    """Each file written beside its final name and renamed over it; old files removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        part = folder / f".{name}.part"
        part.write_text(text, encoding="utf-8")
        os.replace(part, folder / name)
    for old in _yaml_files(folder):
        if old.name not in files:
            old.unlink()


def publish(services: Services, principal: Principal, proposal: Proposal,
            rationale: str) -> Published:
    """Check, write where the service reads, record who and why, switch the scorer.

    Refused (422, nothing written) when the proposed set does not load, holds no profile or
    changes nothing; 403 without ``profile:edit``.
    """
    services.workflow.check(principal, Permission.PROFILE_EDIT, RESOURCE)
    if not rationale.strip():
        raise ApiProblem(422, "a publication needs a rationale", kind="invalid-input")
    folder = profiles_folder(services.settings)
    with _PUBLISHING:
        active = active_profiles(services)
        checked = check_proposal(active, proposal)
        if not checked.ok:
            raise _refuse(checked, "nothing was published")
        assert checked.profile_set is not None
        if checked.profile_set.version == active.profile_set.version:
            raise ApiProblem(422, "the proposal changes no profile; nothing was published",
                             kind="no-change")
        log_path = folder / CHANGE_LOG_NAME
        before = dict(active.files) if active.published else {}
        log_before = log_path.read_bytes() if log_path.exists() else None
        try:
            if not log_path.exists() and not active.published:
                # The shipped history continues in the published folder.
                folder.mkdir(parents=True, exist_ok=True)
                shipped_log = active.folder / CHANGE_LOG_NAME
                if shipped_log.exists():
                    shutil.copyfile(shipped_log, log_path)
            _write_folder(folder, checked.files)
            written = load_profile_set(folder)
            recorded = record_changes(log_path, written, principal.subject_id,
                                      rationale.strip())
        except Exception:
            _write_folder(folder, before)
            if log_before is None:
                log_path.unlink(missing_ok=True)
            else:
                log_path.write_bytes(log_before)
            raise
    active_profiles(services)  # this process takes the written set now
    scorer = follow_published(services)
    if scorer.ready:
        scorer.get()  # the built scorer takes the new set now, not at its next request
    log.info("risk profiles %s published by %s (was %s)", written.version,
             principal.subject_id, active.profile_set.version)
    return Published(written.version, active.profile_set.version, tuple(recorded))


# --- what the API and the page show ----------------------------------------------------


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) \
        else float(value)


def hits_of(table: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Rows of a hit-rate table by profile id (NaN as None)."""
    out: dict[str, dict[str, Any]] = {}
    for row in table.to_dicts():
        pid = str(row.pop("profile_id"))
        out[pid] = {k: _number(v) if k in ("hit_rate", "ci_low", "ci_high") else int(v)
                    for k, v in row.items()}
    return out


def profile_row(profile: Profile, pset: ProfileSet, status: ProfileStatus,
                hits: Mapping[str, Any] | None) -> dict[str, Any]:
    """One profile as the API and the page show it."""
    t = profile.treatment
    return {
        "id": profile.id, "title": profile.title, "owner": profile.owner,
        "rationale": profile.rationale,
        "treatment": {"lane": t.lane, "weight": t.weight, "effect": t.effect,
                      "category": None if t.category is None else t.category.value,
                      "severity": t.severity.value, "reason_code": t.reason_code,
                      "reason": t.reason},
        "valid_from": _day(profile.valid_from), "valid_to": _day(profile.valid_to),
        "review_date": _day(profile.review_date), "status": status.value,
        "status_text": STATUS_WORDS[status], "fires": status.fires,
        "version": pset.profile_versions[profile.id],
        "file": Path(profile.source_file).name, "line": profile.line, "hits": hits,
    }


def change_row(change: ProfileChange) -> dict[str, Any]:
    """A change-log record for JSON."""
    return change.to_json()


def overview(services: Services, on: date | None = None) -> dict[str, Any]:
    """The published set: every profile with its status on ``on`` (default today) and
    hit rates, the change log (newest first) and what the log does not account for."""
    active = active_profiles(services)
    pset = active.profile_set
    day = on or date.today()
    statuses = statuses_on(pset, day)
    rates = stored_hit_rates(services, pset)
    by_id = hits_of(rates.table) if rates is not None else {}
    return {
        "version": pset.version,
        "published": active.published,
        "folder": str(profiles_folder(services.settings)),
        "scoring_version": scoring_version(services),
        "as_of": day.isoformat(),
        "profiles": [profile_row(p, pset, statuses[p.id], by_id.get(p.id))
                     for p in pset.profiles],
        "files": dict(active.files),
        "change_log": [change_row(c) for c in reversed(active.changes)],
        "change_issues": list(pset.change_issues),
        "outcomes": 0 if rates is None else rates.outcomes,
    }


def back_test_rows(result: BackTest) -> dict[str, Any]:
    """A back-test for JSON."""
    return {"version": result.version, "lines": result.lines, "outcomes": result.outcomes,
            "profiles": [{"profile_id": k, **v} for k, v in hits_of(result.table).items()]}


def check_rows(checked: Checked) -> dict[str, Any]:
    """A check for JSON."""
    return {"ok": checked.ok, "problems": [_issue(i) for i in checked.problems],
            "version": checked.profile_set.version if checked.profile_set else None,
            "added": list(checked.added), "edited": list(checked.edited),
            "removed": list(checked.removed)}


def published_rows(done: Published) -> dict[str, Any]:
    """A publication for JSON."""
    return {"version": done.version, "previous_version": done.previous_version,
            "recorded": [change_row(c) for c in done.recorded]}


# --- the JSON API ----------------------------------------------------------------------


class TreatmentOut(BaseModel):
    """What a hit does and the reason given for it."""

    lane: str | None
    weight: float | None
    effect: str
    category: str | None
    severity: str
    reason_code: str
    reason: str


class HitsOut(BaseModel):
    """Stored lines a profile hits; among those examined, how many had a discrepancy."""

    lines_hit: int
    examined: int
    discrepancies: int
    hit_rate: float | None
    ci_low: float | None = Field(description="Wilson 95% interval, lower bound")
    ci_high: float | None = Field(description="Wilson 95% interval, upper bound")


class ProfileOut(BaseModel):
    """One profile of the published set."""

    id: str
    title: str
    owner: str
    rationale: str
    treatment: TreatmentOut
    valid_from: str | None
    valid_to: str | None
    review_date: str | None
    status: str = Field(description="active | review_due | pending | expired | lapsed")
    status_text: str
    fires: bool
    version: str
    file: str
    line: int
    hits: HitsOut | None


class ChangeOut(BaseModel):
    """A change-log record: ``version_before`` null = created, ``version_after`` null =
    removed."""

    profile_id: str
    version_before: str | None
    version_after: str | None
    author: str
    at: str
    reason: str


class RiskProfilesOut(BaseModel):
    """The published set, its history and the version this process scores with."""

    version: str
    published: bool = Field(description="false: the shipped example set, never published")
    folder: str
    scoring_version: str | None
    as_of: str
    profiles: list[ProfileOut]
    files: dict[str, str]
    change_log: list[ChangeOut]
    change_issues: list[str]
    outcomes: int


class ProposalIn(BaseModel):
    """New text for one profile file (``replace_set``: the text is the whole set)."""

    file: str = Field(pattern=FILE_PATTERN, max_length=70, examples=["textiles.yaml"])
    yaml: str = Field(max_length=200_000)
    replace_set: bool = False

    def proposal(self) -> Proposal:
        """As the library's value object."""
        return Proposal(self.file, self.yaml, self.replace_set)


class PublishIn(ProposalIn):
    """A proposal to publish, with why."""

    rationale: str = Field(min_length=1, max_length=2000)


class ProblemLine(BaseModel):
    """One loader problem, located to its file and line."""

    file: str
    line: int
    message: str


class CheckOut(BaseModel):
    """Whether the proposed set loads, and which profiles it adds, edits or removes."""

    ok: bool
    problems: list[ProblemLine]
    version: str | None
    added: list[str]
    edited: list[str]
    removed: list[str]


class BackTestRow(HitsOut):
    """Back-test of one profile."""

    profile_id: str


class BackTestOut(BaseModel):
    """Back-test of a proposed set over the stored lines."""

    version: str
    lines: int
    outcomes: int
    profiles: list[BackTestRow]


class PublishedOut(BaseModel):
    """The new version and the change records added."""

    version: str
    previous_version: str
    recorded: list[ChangeOut]


router = APIRouter(prefix="/risk-profiles", tags=["admin"], lifespan=_lifespan)


@router.get("", response_model=RiskProfilesOut, summary="Published risk profiles")
def list_profiles(principal: PrincipalDep, services: ServicesDep) -> Any:
    """Every profile with treatment, validity, status today and hit rates; the change log."""
    check_view(services, principal)
    follow_published(services)
    return overview(services)


@router.post("/check", response_model=CheckOut, summary="Check a proposed change")
def check(body: ProposalIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """The loader's problems with file and line; nothing is written."""
    check_view(services, principal)
    return check_rows(check_proposal(active_profiles(services), body.proposal()))


@router.post("/test", response_model=BackTestOut, summary="Back-test a proposed change")
def test_change(body: ProposalIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Stored lines each proposed profile would hit, with hit rates from stored outcomes."""
    check_view(services, principal)
    checked = check_proposal(active_profiles(services), body.proposal())
    if not checked.ok:
        raise _refuse(checked, "fix them before testing")
    assert checked.profile_set is not None
    return back_test_rows(back_test(services, checked.profile_set))


@router.post("/publish", response_model=PublishedOut, status_code=201,
             summary="Publish a change")
def publish_change(body: PublishIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Write the set where the service reads it and record the change; scoring uses it
    from the next request."""
    return published_rows(publish(services, principal, body.proposal(), body.rationale))


__all__: Sequence[str] = [
    "ActiveProfiles", "BackTest", "Checked", "Proposal", "PublishedProfilesScorer",
    "active_profiles", "back_test", "check_proposal", "check_view", "follow_published",
    "overview", "profiles_folder", "publish", "router",
]
