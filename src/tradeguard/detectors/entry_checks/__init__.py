"""Entry checks: deterministic data-quality and entry-type rules over declaration lines.

``EntryChecks().detect(lines, ctx)`` returns findings in
:data:`tradeguard.findings.FINDINGS_SCHEMA`, one per failed rule, each with a stable reason
code (:data:`REASONS`), a sentence an importer can read and JSON evidence citing the declared
value, the expected value and the reference-data version used.
"""

from tradeguard.detectors.entry_checks.config import (
    ArticleWeight,
    ChapterBound,
    DutyTolerance,
    EntryChecksConfig,
    PartyRules,
    Plausibility,
)
from tradeguard.detectors.entry_checks.detector import CheckStats, EntryChecks
from tradeguard.detectors.entry_checks.reasons import REASONS, ReasonCode

__all__ = [
    "REASONS",
    "ArticleWeight",
    "ChapterBound",
    "CheckStats",
    "DutyTolerance",
    "EntryChecks",
    "EntryChecksConfig",
    "PartyRules",
    "Plausibility",
    "ReasonCode",
]
