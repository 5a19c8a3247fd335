"""Watch-list detector: sanctions and export-control lists on every party of an entry line.

Manufacturer, seller and importer are screened against the OFAC SDN List (organisations and
persons: dealing with a blocked party is prohibited), the BIS Military-Intelligence End-User
list and the DoD section 1260H Chinese military companies list (organisations). A hit is a
reason to look, not a verdict: the evidence carries the screening explanation, the list
version and the matching algorithm version so an officer can confirm or clear it.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.detectors.base import DetectionContext, configured
from tradeguard.detectors.forced_labor.config import party_screening
from tradeguard.detectors.forced_labor.detector import LIST_TITLES
from tradeguard.detectors.forced_labor.entry import (
    ENTRY_LINES,
    EntryLines,
    entry_parties,
)
from tradeguard.detectors.forced_labor.parties import ListScreen, line_parties, with_entry_date
from tradeguard.detectors.forced_labor.report import HIT_COLUMNS, fmt, item_json, to_findings
from tradeguard.findings import Category, empty_findings
from tradeguard.screening import ScreeningConfig

REASON_BY_LIST: dict[str, str] = {
    "ofac_sdn": "WL_OFAC_SDN",
    "bis_mieu": "WL_BIS_MIEU",
    "dod_1260h": "WL_DOD_1260H",
}


class WatchlistConfig(BaseModel):
    """Lists, roles and severities of the watch-list detector (defaults are the released ones)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lists: tuple[str, ...] = ("ofac_sdn", "bis_mieu", "dod_1260h")
    roles: tuple[str, ...] = ("manufacturer", "seller", "importer")
    # Persons are screened only where the list names persons as parties to trade (SDN);
    # vessels and aircraft are never declared parties of an entry line.
    person_lists: tuple[str, ...] = ("ofac_sdn",)
    # SDN: transactions are prohibited outright; MIEU and 1260H: strong risk, no import bar.
    severity: dict[str, str] = Field(
        default_factory=lambda: {
            "WL_OFAC_SDN": "critical",
            "WL_BIS_MIEU": "high",
            "WL_DOD_1260H": "high",
        }
    )
    screening: ScreeningConfig = Field(default_factory=lambda: party_screening())


class WatchlistDetector:
    """Finds sanctioned or restricted parties on entry lines (category ``watchlist``)."""

    name: ClassVar[str] = "watchlist"
    version: ClassVar[str] = "1.0.0"

    def __init__(self, config: WatchlistConfig | None = None) -> None:
        self.config = config or WatchlistConfig()
        self._screen: ListScreen | None = None
        self._screen_key: tuple[str, ...] = ()
        self._screen_for: tuple[object, object] | None = None  # (reference data, settings)

    def _cfg(self, ctx: DetectionContext) -> WatchlistConfig:
        return configured(ctx, self.name, self.config)

    def screen_for(self, ctx: DetectionContext,
                   cfg: WatchlistConfig | None = None) -> ListScreen:
        """The list index for this context's list versions (built once, then reused; the
        same reference data and settings objects as last time need no versions read: that
        costs more than the rest of a request with no listed party). ``cfg``: this
        context's settings, when the caller has them already."""
        cfg = cfg if cfg is not None else self._cfg(ctx)
        seen = self.__dict__.get("_screen_for")
        if self._screen is not None and seen is not None and seen[0] is ctx.ref \
                and seen[1] is cfg:
            return self._screen
        versions = dict(getattr(ctx.ref, "versions", {}) or {})
        key = (*(f"{n}={versions.get(n, '')}" for n in cfg.lists), cfg.model_dump_json())
        if self._screen is None or key != self._screen_key:
            kind = pl.col("entity_type").fill_null("organization").str.to_lowercase()
            keep = (kind == "organization") | (
                (kind == "person") & pl.col("list").is_in(list(cfg.person_lists))
            )
            self._screen = ListScreen.build(
                ctx.ref.watchlists, versions, cfg.lists, cfg.screening, keep=keep
            )
            self._screen_key = key
        self._screen_for = (ctx.ref, cfg)
        return self._screen

    def __getstate__(self) -> dict[str, object]:
        # the reference data last screened for stays with this process, not in a pickle
        return {k: v for k, v in self.__dict__.items() if k != "_screen_for"}

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """No baseline is learned; builds the list index (and its one-entry lookups) once."""
        self.screen_for(ctx).index.entry_lookup()

    def _parties(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        return line_parties(with_entry_date(lines, ctx.as_of), self._cfg(ctx).roles)

    def remember(self, lines: pl.DataFrame, ctx: DetectionContext) -> None:
        """Screen the parties of ``lines`` ahead, so ``detect`` later only looks them up."""
        self.screen_for(ctx).remember(self._parties(lines, ctx))

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Findings for a batch of declaration lines (``FINDINGS_SCHEMA``)."""
        cfg = self._cfg(ctx)
        if lines.height <= ENTRY_LINES:
            # One entry's few parties: when none is listed there is nothing to report, and
            # that takes dict lookups, not frame queries (see forced_labor/entry.py).
            few = entry_parties(EntryLines(lines), cfg.roles)
            if few is not None and not self.screen_for(ctx, cfg).any_listed(few):
                return empty_findings()  # a clone costs less than clearing a frame
        parties = self._parties(lines, ctx)
        matches = self.screen_for(ctx).screen(parties) if parties.height else parties.clear()
        if matches.is_empty():
            return to_findings(matches, Category.WATCHLIST.value, self.name, self.version)
        role = pl.col("role").str.slice(0, 1).str.to_uppercase() + pl.col("role").str.slice(1)
        code = pl.col("list").replace_strict(REASON_BY_LIST, default="WL_OTHER")
        hits = matches.select(
            "entry_number",
            "line_number",
            reason_code=code,
            severity=code.replace_strict(cfg.severity, default="medium"),
            text=fmt(
                "{} '{}' matches {} entry '{}' (score {})",
                role,
                pl.col("name"),
                pl.col("list").replace_strict(LIST_TITLES, default=pl.col("list")),
                pl.col("matched_name"),
                pl.col("score").round(2),
            ),
            rank=pl.col("score"),
            item=item_json(
                role=pl.col("role"),
                declared_name=pl.col("name"),
                declared_country=pl.col("country"),
                list=pl.col("list"),
                entity_id=pl.col("entity_id"),
                matched_name=pl.col("matched_name"),
                score=pl.col("score"),
                program=pl.col("program"),
                explanation=pl.col("explanation"),
                list_version=pl.col("list_version"),
                algorithm=pl.col("algorithm"),
            ),
        ).select(HIT_COLUMNS)
        return to_findings(hits, Category.WATCHLIST.value, self.name, self.version)
