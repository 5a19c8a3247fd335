"""One finding row of a request, in :data:`~tradeguard.findings.FINDINGS_SCHEMA` order, as
:func:`~.frame.emit` writes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tradeguard.detectors.entry_checks.reasons import DETECTOR_NAME, DETECTOR_VERSION, REASONS
from tradeguard.detectors.entry_checks.request_text import evidence

Row = tuple[Any, ...]


def finding(code: str, entry_number: str | None, line_number: int | None, sentence: str,
            keys: Sequence[str], values: Sequence[object], severity: str | None = None) -> Row:
    """The row ``emit`` gives for one hit of ``code`` (default severity unless given)."""
    reason = REASONS[code]
    return (entry_number, line_number, reason.category.value, code,
            severity if severity is not None else reason.severity.value, sentence,
            evidence(keys, values), DETECTOR_NAME, DETECTOR_VERSION)
