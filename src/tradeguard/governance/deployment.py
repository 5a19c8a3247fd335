"""What a scoring run may use right now, as the registry says: one decision for every scorer.

The command-line scoring commands and the service ask :func:`deployment_status` the same
question — is the kill switch engaged, and may this model version decide lanes — so the rules
live in one place (:class:`~tradeguard.governance.gate.DeploymentGate`) and are read the same
way everywhere. A running service keeps the answer in a :class:`RegistryWatch`, which looks
at the registry file at most once a second (one ``stat``) and decides again only when the
file or the day changed: engaging the kill switch or revoking a model takes effect within
about a second, without a restart and without parsing the registry on every request.

Fail closed: a registry that cannot be read turns AI-assisted lanes off until it can.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tradeguard.governance.gate import DeploymentGate, DeploymentRefused
from tradeguard.governance.registry import Registry, RegistryError

log = logging.getLogger(__name__)

#: How often a running service looks at the registry file, in seconds.
RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class DeploymentStatus:
    """The gate's answer for one model version (``None``: scoring without a model).

    ``refused`` says why the model may not decide lanes; it is checked even while the kill
    switch is engaged, so operators see both reasons at once.
    """

    ai_lanes_enabled: bool
    kill_switch_reason: str = ""
    model_version: str | None = None
    refused: DeploymentRefused | None = None
    registry_error: str = ""

    @property
    def model_allowed(self) -> bool:
        """True when the model may be used: lanes on, a model given and approved."""
        return self.ai_lanes_enabled and self.model_version is not None and self.refused is None

    @property
    def warnings(self) -> tuple[str, ...]:
        """What an operator must be told about this run, in words (empty when all is well)."""
        out: list[str] = []
        if self.registry_error:
            out.append(f"the model registry cannot be read ({self.registry_error}): "
                       "AI-assisted lanes are off until it can")
        elif not self.ai_lanes_enabled:
            reason = f": {self.kill_switch_reason}" if self.kill_switch_reason else ""
            out.append(f"kill switch engaged{reason}")
        if self.refused is not None:
            out.append(f"model {self.refused.version} not used: {self.refused.why} "
                       f"(state: {self.refused.state})")
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        """The status as the service reports it."""
        refused = self.refused
        return {
            "ai_lanes_enabled": self.ai_lanes_enabled,
            "kill_switch_reason": self.kill_switch_reason or None,
            "model_version": self.model_version,
            "model_used": self.model_allowed,
            "model_state": None if refused is None else refused.state,
            "model_refused_because": None if refused is None else refused.why,
            "registry_error": self.registry_error or None,
            "warnings": list(self.warnings),
        }


def deployment_status(registry: Registry, model_version: str | None,
                      on: date | None = None) -> DeploymentStatus:
    """The kill switch and the gate's verdict on ``model_version`` (one registry read each).

    Raises :class:`~tradeguard.governance.registry.RegistryError` when the registry cannot be
    read; callers decide whether that stops them (the command line) or fails closed (the
    service, :class:`RegistryWatch`).
    """
    gate = DeploymentGate(registry)
    state = registry.state()
    refused = None
    if model_version is not None:
        try:
            gate.check("model", model_version, on)
        except DeploymentRefused as exc:
            refused = exc
    return DeploymentStatus(state.ai_lanes_enabled, state.kill_switch_reason, model_version,
                            refused)


def registry_path(registry: Registry) -> Path | None:
    """The file a registry keeps its state in, when it keeps it in one."""
    path = getattr(registry.repo, "path", None)
    return path if isinstance(path, Path) else None


class RegistryWatch:
    """The current :class:`DeploymentStatus` of one model version, kept fresh cheaply.

    :meth:`current` costs a clock read between checks and one ``stat`` of the registry file
    per ``interval``; the registry is read and the gate asked again only when the file
    (modification time, size, inode) or the day changed, since approvals expire by date.
    A registry kept elsewhere than in a file is read once per ``interval``.
    """

    def __init__(self, registry: Registry, model_version: str | None, *,
                 interval: float = RECHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.registry, self.model_version = registry, model_version
        self.interval, self._clock = interval, clock
        self._path = registry_path(registry)
        self._lock = threading.Lock()
        self._key = self._fingerprint()  # before reading: a change in between is seen next
        self._status = self._decide()
        self._checked = clock()

    def _fingerprint(self) -> tuple[Any, ...]:
        day = self.registry.clock().date()
        if self._path is None:
            return (day, self._clock())  # nothing to stat: every check reads the registry
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return (day, None)
        return (day, st.st_mtime_ns, st.st_size, st.st_ino)

    def _decide(self) -> DeploymentStatus:
        try:
            status = deployment_status(self.registry, self.model_version)
        except (RegistryError, OSError) as exc:
            log.error("model registry unreadable, AI-assisted lanes off: %s", exc)
            return DeploymentStatus(False, model_version=self.model_version,
                                    registry_error=str(exc))
        for warning in status.warnings:
            log.warning("deployment gate: %s", warning)
        return status

    def current(self) -> DeploymentStatus:
        """The status as of at most ``interval`` seconds ago."""
        now = self._clock()
        if now - self._checked < self.interval:
            return self._status
        with self._lock:
            if now - self._checked >= self.interval:
                key = self._fingerprint()
                if key != self._key:
                    before = self._status
                    self._status = self._decide()
                    self._key = key
                    if before.model_allowed != self._status.model_allowed or \
                            before.ai_lanes_enabled != self._status.ai_lanes_enabled:
                        log.warning("deployment gate changed: AI-assisted lanes %s, model %s",
                                    "on" if self._status.ai_lanes_enabled else "off",
                                    "used" if self._status.model_allowed else "not used")
                self._checked = now
        return self._status
