"""The detector registry: which line detectors the scoring chain runs, by name.

Detectors plug in by name -> factory, so a new detector (forced labor, watch lists, networks)
joins the chain by registering itself rather than by editing the pipeline. A factory is called
once per scoring run; a detector that cannot be built, fitted or run stops the run with its
name in the error — a silently skipped detector would make every lane look safer than it is.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from tradeguard.detectors.base import LineDetector

DetectorFactory = Callable[[], LineDetector]


class DetectorError(RuntimeError):
    """A registered detector failed to build, fit or detect; the run cannot be trusted."""

    def __init__(self, name: str, stage: str, cause: BaseException) -> None:
        self.name = name
        self.stage = stage
        super().__init__(f"detector {name!r} failed to {stage}: {type(cause).__name__}: {cause}")


def _lazy(target: str) -> DetectorFactory:
    """A factory for ``"module:Class"``, imported only when a run needs it (fast CLI start)."""

    def build() -> LineDetector:
        module, _, name = target.partition(":")
        detector: LineDetector = getattr(importlib.import_module(module), name)()
        return detector

    return build


# The detectors shipped today, in the order they run. Small packages have their own chain
# (``tradeguard.packages``).
BUILTIN: Mapping[str, DetectorFactory] = {
    name: _lazy(target)
    for name, target in {
        "entry_checks": "tradeguard.detectors.entry_checks:EntryChecks",
        "valuation": "tradeguard.detectors.valuation:ValuationDetector",
        "classification": "tradeguard.detectors.classification:ClassificationDetector",
        "origin": "tradeguard.detectors.origin:OriginDetector",
        "adcvd": "tradeguard.detectors.adcvd.detector:AdcvdDetector",
        "forced_labor": "tradeguard.detectors.forced_labor:ForcedLaborDetector",
        "watchlist": "tradeguard.detectors.watchlist:WatchlistDetector",
        "network": "tradeguard.network.detector:NetworkDetector",
    }.items()
}


# Detectors whose judgement comes from a trained model rather than a written rule or a
# statistical test: the registry's kill switch takes them out with the fraud model.
LEARNED_DETECTORS: frozenset[str] = frozenset({"classification"})


@dataclass
class DetectorRegistry:
    """An ordered name -> factory mapping; copy the default and add or drop detectors."""

    factories: dict[str, DetectorFactory] = field(default_factory=dict)

    def register(self, name: str, factory: DetectorFactory) -> None:
        """Add (or replace) a detector under ``name``."""
        if not name or not name.strip():
            raise ValueError("a detector needs a non-empty name")
        self.factories[name] = factory

    def without(self, *names: str) -> DetectorRegistry:
        """A copy without the named detectors (unknown names are an error, not a no-op)."""
        unknown = sorted(set(names) - set(self.factories))
        if unknown:
            raise KeyError(f"unknown detector(s) {unknown}; known: {sorted(self.factories)}")
        return DetectorRegistry({k: f for k, f in self.factories.items() if k not in names})

    def names(self) -> list[str]:
        """Registered names in run order."""
        return list(self.factories)

    def build(self) -> Iterator[tuple[str, LineDetector]]:
        """Instantiate every detector, failing loudly with the name of the one that broke."""
        for name, factory in self.factories.items():
            try:
                detector = factory()
            except Exception as exc:
                raise DetectorError(name, "build", exc) from exc
            yield name, detector


def default_registry() -> DetectorRegistry:
    """The registry of every detector shipped with the package."""
    return DetectorRegistry(dict(BUILTIN))
