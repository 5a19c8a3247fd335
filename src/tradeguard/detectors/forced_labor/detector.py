"""The forced-labor detector: listed parties, Xinjiang places, listed or Xinjiang suppliers up
the declared chain, and high-priority goods from at-risk origins with no chain declared.

Under the UFLPA (Pub. L. 117-78, sec. 3) goods made wholly or in part in Xinjiang or by an
entity on the UFLPA Entity List are presumed made with forced labor and barred from entry;
under 19 U.S.C. 1307 CBP withholds release of goods named in a WRO or Finding. Each trigger
becomes a reason code; the evidence names the party, the list entry and its version, the
match explanation and, upstream, the supply-chain path down to the imported line.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from tradeguard.detectors.base import DetectionContext, configured
from tradeguard.detectors.forced_labor.chain import expand_chain, trace_paths
from tradeguard.detectors.forced_labor.config import ForcedLaborConfig
from tradeguard.detectors.forced_labor.entry import (
    ENTRY_LINES,
    EntryLines,
    TariffTexts,
    entry_parties,
    names_xinjiang,
    sector_rules,
    traceability_findings,
)
from tradeguard.detectors.forced_labor.parties import ListScreen, line_parties, with_entry_date
from tradeguard.detectors.forced_labor.report import (
    HIT_COLUMNS,
    NO_TRACEABILITY_TEXT,
    fmt,
    item_json,
    to_findings,
)
from tradeguard.detectors.forced_labor.sectors import priority_sectors
from tradeguard.findings import Category
from tradeguard.screening import xuar_places

LIST_TITLES: dict[str, str] = {
    "uflpa": "the UFLPA Entity List",
    "wro": "a CBP Withhold Release Order/Finding",
    "ofac_sdn": "the OFAC SDN List",
    "bis_mieu": "the BIS Military-Intelligence End-User list",
    "dod_1260h": "the DoD section 1260H list",
}


def _versions_key(ctx: DetectionContext, lists: tuple[str, ...]) -> tuple[str, ...]:
    versions = dict(getattr(ctx.ref, "versions", {}) or {})
    return tuple(f"{n}={versions.get(n, '')}" for n in lists)


def _tariff_text(ctx: DetectionContext) -> pl.DataFrame | None:
    tariff = getattr(ctx.ref, "tariff", None)
    frame = getattr(tariff, "frame", None)
    if isinstance(frame, pl.DataFrame) and {"hts10", "description"} <= set(frame.columns):
        return frame.select("hts10", "description")
    return None


class ForcedLaborDetector:
    """Finds UFLPA / WRO forced-labor risk on entry lines (category ``forced_labor``)."""

    name: ClassVar[str] = "forced_labor"
    version: ClassVar[str] = "1.0.0"

    def __init__(self, config: ForcedLaborConfig | None = None) -> None:
        self.config = config or ForcedLaborConfig()
        self._screen: ListScreen | None = None
        self._screen_key: tuple[str, ...] = ()
        self._screen_for: tuple[object, object] | None = None  # (reference data, settings)
        self._tariff: TariffTexts | None = None

    def _cfg(self, ctx: DetectionContext) -> ForcedLaborConfig:
        return configured(ctx, self.name, self.config)

    def screen_for(self, ctx: DetectionContext) -> ListScreen:
        """The list index for this context's list versions (built once, then reused; the
        same reference data and settings objects as last time need no versions read)."""
        cfg = self._cfg(ctx)
        seen = self.__dict__.get("_screen_for")
        if self._screen is not None and seen is not None and seen[0] is ctx.ref \
                and seen[1] is cfg:
            return self._screen
        key = (*_versions_key(ctx, cfg.lists), cfg.screening.model_dump_json())
        if self._screen is None or key != self._screen_key:
            self._screen = ListScreen.build(
                ctx.ref.watchlists, dict(ctx.ref.versions), cfg.lists, cfg.screening
            )
            self._screen_key = key
        self._screen_for = (ctx.ref, cfg)
        return self._screen

    def __getstate__(self) -> dict[str, object]:
        # the reference data last screened for stays with this process, not in a pickle
        return {k: v for k, v in self.__dict__.items() if k != "_screen_for"}

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """No baseline is learned: lists and sectors are law. Builds the list index (and its
        one-entry lookups) once, and reads the tariff texts."""
        self.screen_for(ctx).index.entry_lookup()
        self._tariff_texts(ctx)

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Findings for a batch of declaration lines (``FINDINGS_SCHEMA``)."""
        if lines.height <= ENTRY_LINES:
            found = self._entry_findings(lines, ctx)
            if found is not None:
                return found
        return to_findings(
            self.hits(lines, ctx), Category.FORCED_LABOR.value, self.name, self.version
        )

    def _entry_findings(self, lines: pl.DataFrame, ctx: DetectionContext
                        ) -> pl.DataFrame | None:
        """One entry's findings without frame queries when it has no supply chain, no listed
        party and no Xinjiang address (see entry.py): at most ``FL_NO_TRACEABILITY`` ones.
        None (any doubt) leaves the lines to :meth:`hits`."""
        if ctx.supply_chain is not None and not ctx.supply_chain.is_empty():
            return None
        cfg = self._cfg(ctx)
        entry = EntryLines(lines)
        parties = entry_parties(entry, ["manufacturer", "seller"])
        if (parties is None
                or any(a is not None and names_xinjiang(a) for _, _, a in parties)
                or self.screen_for(ctx).any_listed(parties)):
            return None
        return traceability_findings(
            entry, ctx.as_of, self._tariff_texts(ctx), cfg.at_risk_origins,
            sector_rules(cfg.apparel_requires_cotton, cfg.include_downstream),
            cfg.severity.get("FL_NO_TRACEABILITY", "medium"), self.name, self.version)

    def _tariff_texts(self, ctx: DetectionContext) -> TariffTexts:
        """Tariff descriptions by number (read once per tariff frame)."""
        source = getattr(getattr(ctx.ref, "tariff", None), "frame", None)
        if self._tariff is None or self._tariff.source is not source:
            self._tariff = TariffTexts(source, _tariff_text(ctx))
        return self._tariff

    def remember(self, lines: pl.DataFrame, ctx: DetectionContext) -> None:
        """Screen the parties of ``lines`` and their supply chains ahead, so ``detect``
        later only looks them up."""
        _, _, parties = self._parties(lines, ctx)
        self.screen_for(ctx).remember(parties)

    def _parties(self, lines: pl.DataFrame, ctx: DetectionContext
                 ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """(lines with entry dates, supply-chain nodes, every party to screen)."""
        cfg = self._cfg(ctx)
        batch = with_entry_date(lines, ctx.as_of).with_columns(
            pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64)
        )
        direct = line_parties(batch, ["manufacturer", "seller"])
        nodes = expand_chain(batch, ctx.supply_chain).filter(pl.col("tier") <= cfg.max_tiers)
        suppliers = nodes.select(
            "entry_number",
            "line_number",
            "entry_date",
            role=fmt("tier {} supplier", pl.col("tier")),
            tier="tier",
            name="name",
            country="country",
            address="address",
            node="node",
        )
        parties = pl.concat(
            [direct.with_columns(node=pl.lit(None, dtype=pl.UInt32)), suppliers]
        )
        return batch, nodes, parties

    def hits(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Every party, place and traceability hit of the batch, before grouping."""
        cfg = self._cfg(ctx)
        batch, nodes, parties = self._parties(lines, ctx)
        matches = self.screen_for(ctx).screen(parties) if parties.height else parties.clear()
        places = _xuar_parties(parties)
        flagged = pl.concat(
            [matches.select("node"), places.select("node")]
        ).drop_nulls().unique()
        paths = trace_paths(nodes, flagged, batch, cfg.max_tiers)
        # Most batches match no list and name no Xinjiang place: nothing to split by tier.
        parts = [
            _match_hits(matches.filter(pl.col("tier") == 0), upstream=False),
            _match_hits(matches.filter(pl.col("tier") > 0).join(paths, on="node"), upstream=True),
        ] if matches.height else []
        if places.height:
            parts += [
                _place_hits(places.filter(pl.col("tier") == 0), upstream=False),
                _place_hits(places.filter(pl.col("tier") > 0).join(paths, on="node"),
                            upstream=True),
            ]
        parts.append(_traceability_hits(batch, nodes, ctx, cfg))
        hits = pl.concat([p for p in parts if p.height], how="vertical_relaxed") if any(
            p.height for p in parts
        ) else _empty_hits()
        return hits.with_columns(
            severity=pl.col("reason_code").replace_strict(cfg.severity, default="medium")
        )


def _xuar_parties(parties: pl.DataFrame) -> pl.DataFrame:
    """The parties whose address names a place in Xinjiang, with the ``places`` named.

    Addresses repeat across a batch's parties (120,000 rows, ~7,500 addresses): each is
    searched once.
    """
    found = (parties.select(pl.col("address").unique())
             .with_columns(places=xuar_places(pl.col("address")))
             .filter(pl.col("places").list.len() > 0))
    return parties.join(found, on="address", how="inner", maintain_order="left")


def _empty_hits() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "entry_number": pl.String,
            "line_number": pl.Int64,
            "reason_code": pl.String,
            "severity": pl.String,
            "text": pl.String,
            "rank": pl.Float64,
            "item": pl.String,
        }
    )


def _who() -> pl.Expr:
    role = pl.col("role")
    return role.str.slice(0, 1).str.to_uppercase() + role.str.slice(1)


def _match_hits(matches: pl.DataFrame, *, upstream: bool) -> pl.DataFrame:
    if matches.is_empty():
        return _empty_hits()
    title = pl.col("list").replace_strict(LIST_TITLES, default=pl.col("list"))
    uflpa, wro = (
        ("FL_UPSTREAM_LISTED", "FL_UPSTREAM_WRO") if upstream
        else ("FL_UFLPA_PARTY", "FL_WRO_PARTY")
    )
    code = pl.when(pl.col("list") == "uflpa").then(pl.lit(uflpa)).otherwise(pl.lit(wro))
    fields: dict[str, Any] = {
        "role": pl.col("role"),
        "declared_name": pl.col("name"),
        "declared_country": pl.col("country"),
        "list": pl.col("list"),
        "entity_id": pl.col("entity_id"),
        "matched_name": pl.col("matched_name"),
        "score": pl.col("score"),
        "legal_basis": pl.col("program"),
        "date_added": pl.col("date_added").cast(pl.String),
        "explanation": pl.col("explanation"),
        "list_version": pl.col("list_version"),
        "algorithm": pl.col("algorithm"),
    }
    text = fmt(
        "{} '{}' matches {} entry '{}' (score {})",
        _who(),
        pl.col("name"),
        title,
        pl.col("matched_name"),
        pl.col("score").round(2),
    )
    if upstream:
        fields |= {"tier": pl.col("tier"), "path": pl.col("path"),
                   "path_complete": pl.col("path_complete")}
        text = fmt("{}; chain: {}", text, pl.col("path").list.join(" <- "))
    return matches.select(
        "entry_number",
        "line_number",
        reason_code=code,
        severity=pl.lit(""),
        text=text,
        rank=pl.col("score"),
        item=item_json(**fields),
    ).select(HIT_COLUMNS)


def _place_hits(places: pl.DataFrame, *, upstream: bool) -> pl.DataFrame:
    if places.is_empty():
        return _empty_hits()
    found = pl.col("places").list.unique(maintain_order=True).list.join(", ")
    fields: dict[str, Any] = {
        "role": pl.col("role"),
        "name": pl.col("name"),
        "address": pl.col("address"),
        "xuar_places": pl.col("places").list.unique(maintain_order=True),
    }
    if upstream:
        fields |= {"tier": pl.col("tier"), "path": pl.col("path"),
                   "path_complete": pl.col("path_complete")}
        text = fmt(
            "{} '{}' is in Xinjiang ({}); chain: {}",
            _who(), pl.col("name"), found, pl.col("path").list.join(" <- "),
        )
    else:
        text = fmt("{} address names a place in Xinjiang ({})", _who(), found)
    return places.select(
        "entry_number",
        "line_number",
        reason_code=pl.lit("FL_UPSTREAM_XUAR" if upstream else "FL_XUAR_ADDRESS"),
        severity=pl.lit(""),
        text=text,
        rank=pl.lit(1.0),
        item=item_json(**fields),
    ).select(HIT_COLUMNS)


def _traceability_hits(
    batch: pl.DataFrame, nodes: pl.DataFrame, ctx: DetectionContext, cfg: ForcedLaborConfig
) -> pl.DataFrame:
    """High-priority goods from an at-risk origin with no supplier declared for the line."""
    if "hts_code" not in batch.columns or "country_of_origin" not in batch.columns:
        return _empty_hits()
    at_risk = batch.with_row_index("row").filter(
        pl.col("country_of_origin").cast(pl.String).str.to_uppercase().is_in(cfg.at_risk_origins)
    ).join(nodes.select("entry_number", "line_number").unique(),
           on=["entry_number", "line_number"], how="anti")
    if at_risk.is_empty():
        return _empty_hits()
    keyed = at_risk.with_columns(
        hts=pl.col("hts_code").cast(pl.String).str.replace_all(r"\D", ""),
        description=pl.col("description").cast(pl.String)
        if "description" in at_risk.columns else pl.lit(None, dtype=pl.String),
    )
    sectors = priority_sectors(
        keyed,
        _tariff_text(ctx),
        apparel_requires_cotton=cfg.apparel_requires_cotton,
        include_downstream=cfg.include_downstream,
    )
    found = keyed.join(sectors, on="row")
    return found.select(
        "entry_number",
        "line_number",
        reason_code=pl.lit("FL_NO_TRACEABILITY"),
        severity=pl.lit(""),
        text=fmt(
            NO_TRACEABILITY_TEXT,
            pl.col("sector"),
            pl.col("country_of_origin"),
        ),
        rank=pl.lit(0.0),
        item=item_json(
            sector=pl.col("sector"),
            hts_code=pl.col("hts"),
            hts_prefix=pl.col("hts_prefix"),
            country_of_origin=pl.col("country_of_origin"),
            source=pl.col("source"),
            supply_chain_rows=pl.lit(0),
        ),
    ).select(HIT_COLUMNS)
