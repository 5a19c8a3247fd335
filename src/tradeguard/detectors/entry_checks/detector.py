"""``EntryChecks``: the deterministic data-quality detector over a batch of declaration lines.

Every check is a documented reason code (see :mod:`.reasons`) computed for the whole batch
with Polars joins and expressions. A request-sized batch is first screened in plain Python
(:mod:`.request`): no check runs when no line is flagged (the usual case), and the findings of
the checks that may flag a line are written in plain Python too (:mod:`.request_findings`),
or by those checks alone when the plain writing declines. The detector needs no history:
``fit`` is a no-op kept for the :class:`~tradeguard.detectors.base.LineDetector` interface.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.entry_checks.config import EntryChecksConfig
from tradeguard.detectors.entry_checks.entry_level import (
    entry_headers,
    entry_number_findings,
    importer_findings,
)
from tradeguard.detectors.entry_checks.frame import prepare_lines
from tradeguard.detectors.entry_checks.mid_checks import mid_findings
from tradeguard.detectors.entry_checks.party_checks import party_findings
from tradeguard.detectors.entry_checks.plausibility import plausibility_findings
from tradeguard.detectors.entry_checks.reasons import DETECTOR_NAME, DETECTOR_VERSION
from tradeguard.detectors.entry_checks.reference import CheckTables
from tradeguard.detectors.entry_checks.request import (
    CHECKS,
    REQUEST_LINES,
    line_frame,
    screen,
)
from tradeguard.detectors.entry_checks.request_findings import plain_findings
from tradeguard.detectors.entry_checks.tariff_checks import (
    adcvd_type01_findings,
    duty_findings,
    hts_findings,
    spi_findings,
    unit_findings,
    with_tariff,
)
from tradeguard.findings import conform, empty_findings

if TYPE_CHECKING:
    from tradeguard.refdata import ReferenceData

log = logging.getLogger(__name__)
_NO_FINDINGS = conform(empty_findings())


@dataclass(frozen=True)
class CheckStats:
    """What a run could not check and why (e.g. duty undetermined by the reference data)."""

    lines: int
    findings_by_reason: dict[str, int]
    not_checked: dict[str, int] = field(default_factory=dict)


class EntryChecks:
    """Deterministic checks of declared entry data against the rules and reference data."""

    name: ClassVar[str] = DETECTOR_NAME
    version: ClassVar[str] = DETECTOR_VERSION

    def __init__(self, config: EntryChecksConfig | None = None) -> None:
        self.config = config or EntryChecksConfig()
        self.last_stats: CheckStats | None = None
        self._tables: CheckTables | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The tables are rebuilt from the reference data where the detector is unpickled.
        return {**self.__dict__, "_tables": None}

    def tables(self, ref: ReferenceData, cfg: EntryChecksConfig) -> CheckTables:
        """The reference tables for ``ref`` and ``cfg``, built on first use and kept."""
        tables = self._tables
        if tables is None or tables.ref is not ref or (
                tables.plausibility is not cfg.plausibility
                and tables.plausibility != cfg.plausibility):
            tables = self._tables = CheckTables.build(ref, cfg.plausibility)
        return tables

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """No baseline: every check is a rule, so past declarations change nothing."""
        del history, ctx

    def _config(self, ctx: DetectionContext) -> EntryChecksConfig:
        override = ctx.config.get(DETECTOR_NAME)
        if override is None:
            return self.config
        if isinstance(override, EntryChecksConfig):
            return override
        return EntryChecksConfig.model_validate(override)

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Findings for a batch of declaration lines (entry headers joined, see
        :func:`~tradeguard.detectors.base.declaration_lines`)."""
        cfg = self._config(ctx)
        not_checked: dict[str, int] = {}
        if lines.is_empty():
            self.last_stats = CheckStats(0, {})
            return empty_findings()
        tables = self.tables(ctx.ref, cfg)
        run: Collection[str] = CHECKS
        screened = screen(lines, tables, cfg, tables.mid_verdicts, ctx.as_of) \
            if lines.height <= REQUEST_LINES else None
        if screened is not None:
            if not screened.flagged:  # what the checks below give when no line is flagged
                self.last_stats = CheckStats(screened.rows, {}, screened.not_checked)
                return _NO_FINDINGS.clone()
            plain = plain_findings(screened, cfg, lines.columns)
            if plain is not None:  # the flagged checks' findings, written in plain Python
                self.last_stats = CheckStats(screened.rows, plain[1], screened.not_checked)
                return plain[0]
            run, not_checked = screened.flagged, {}
            df = line_frame(screened)
        else:
            df = with_tariff(prepare_lines(lines, ctx.as_of), tables, ctx.as_of)
        # one row per entry, read by the entry-level checks only
        entries = entry_headers(df) if {"entry_number", "importer"} & set(run) else df
        checks: dict[str, Callable[[], list[pl.DataFrame]]] = {
            "hts": lambda: hts_findings(df), "unit": lambda: unit_findings(df),
            "duty": lambda: duty_findings(df, cfg.duty, not_checked),
            "spi": lambda: spi_findings(df, tables),
            "adcvd": lambda: adcvd_type01_findings(df, tables),
            "entry_number": lambda: entry_number_findings(entries),
            "importer": lambda: importer_findings(entries),
            "mid": lambda: mid_findings(df, tables.iso2_not_ca, tables.mid_verdicts,
                                        tables.mid_memory),
            "party": lambda: party_findings(df, cfg.parties, set(lines.columns), not_checked),
            "plausibility": lambda: plausibility_findings(df, tables),
        }
        parts = [part for name in CHECKS if name in run for part in checks[name]()]
        if screened is not None:
            not_checked = screened.not_checked  # the checks left out would add to it
        found = pl.concat(parts) if parts else empty_findings()
        if cfg.disabled:
            found = found.filter(~pl.col("reason_code").is_in(list(cfg.disabled)))
        found = conform(found)
        counts: dict[str, int] = {}
        if found.height:
            found = found.sort(["entry_number", "line_number", "reason_code"], nulls_last=False)
            counts = dict(found.group_by("reason_code").len().sort("reason_code").iter_rows())
        self.last_stats = CheckStats(df.height, {str(k): int(v) for k, v in counts.items()},
                                     not_checked)
        log.debug("entry checks: %s", self.last_stats)
        return found
