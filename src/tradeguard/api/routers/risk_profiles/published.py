"""The published profile set and the scorer that follows it.

The published set lives in ``Settings.profiles_dir`` (default ``<work_dir>/profiles``); until a
first approved publication it is the example set shipped with the package.
:class:`PublishedProfilesScorer` looks at the folder (a few ``stat`` calls) each time a request
takes the scorer, so every worker process scores with a newly approved version from its next
request, and a restarted service starts on the published set rather than the shipped one.
Pending publications live beside the set (see :mod:`.ledger`) and are never read here: only
what an approver let through reaches the folder's profile files.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from tradeguard.api.problems import ApiProblem
from tradeguard.api.scoring import EntryScorer, LazyScorer
from tradeguard.api.services import Services
from tradeguard.rules import (
    CHANGE_LOG_NAME,
    ProfileChange,
    ProfileLoadError,
    ProfileSet,
    load_profile_set,
    read_change_log,
    shipped_profiles_dir,
)
from tradeguard.settings import Settings

log = logging.getLogger("tradeguard.api.risk_profiles")

_CACHE = "risk_profiles.active"
#: How long a scoring request trusts the last look at the profiles folder: an approval in
#: another worker process reaches this one within a second, at no cost per request.
RECHECK_SECONDS = 1.0


def profiles_folder(settings: Settings) -> Path:
    """Where published profiles live: the setting, else ``<work_dir>/profiles``."""
    return settings.published_profiles


def yaml_files(folder: Path) -> list[Path]:
    """The profile files of a folder (what the loader reads)."""
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


@dataclass(frozen=True, slots=True)
class ActiveProfiles:
    """The set the service scores with, where it was read from, its files and its history."""

    profile_set: ProfileSet
    folder: Path
    published: bool
    files: Mapping[str, str]
    changes: tuple[ProfileChange, ...]


@dataclass(slots=True)
class _Cached:
    key: tuple[str, tuple[tuple[str, int, int], ...]]
    active: ActiveProfiles
    checked: float


def active_profiles(services: Services, *, max_age: float = 0.0) -> ActiveProfiles:
    """The published set (or the shipped one before any publication), cached until the
    folder changes; ``max_age`` seconds: trust the last look at the folder that long.

    A folder that stops loading (edited by hand, or caught mid-write by another process)
    keeps the last set that loaded, so scoring never runs without profiles.
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
    files = {p.name: p.read_text(encoding="utf-8") for p in yaml_files(source)}
    active = ActiveProfiles(pset, source, published, files, changes)
    services.cache[_CACHE] = _Cached(key, active, now)
    return active


class PublishedProfilesScorer(LazyScorer):
    """The service's scorer, kept on the published profile set.

    Each :meth:`get` compares the folder with what was last loaded (cached, a few ``stat``
    calls) and hands a newly published set to the scorer, so an approval takes effect from
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
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
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
