"""Detectors: pure functions of (declaration lines, baseline, reference data, config) -> findings.

Each detector lives in its own module and follows :class:`LineDetector`: ``fit`` builds its
baseline once from history (peer prices, known manufacturers, pre-order trade flows) and
``detect`` scores a whole batch at once, returning a frame in
:data:`tradeguard.findings.FINDINGS_SCHEMA`. Detectors never read files, open connections or
know about HTTP; engines and the CLI feed them frames.
"""

from tradeguard.detectors.base import (
    DetectionContext,
    LineDetector,
    declaration_lines,
)

__all__ = ["DetectionContext", "LineDetector", "declaration_lines"]
