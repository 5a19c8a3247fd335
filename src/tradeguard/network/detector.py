"""The ``network`` line detector: party clusters in the scoring chain.

Fitting resolves the parties of the history with Splink once (:func:`resolve_parties`) and
keeps what the cluster rules need of it, small enough to ship with the fitted chain: each
resolved record's comparison keys and cluster, the peer price cut of each HTS number and unit
(:func:`peer_prices`), the history folded to one row per record and buyer with its priced and
low lines (:func:`fold_history`), and the violator clusters that past exam outcomes support.
Detecting reads the batch's parties, looks each declared spelling up among the resolved
records, links only the spellings never seen before (:func:`link_new_records`, Splink on the
new records and the known records they share a block with) and runs the same rules as
``tradeguard network build`` (:mod:`~tradeguard.network.findings`) over history and batch.

Importer rings, MID churn, fly-by-night importers and shipper clusters compare lines of
different entries,
so the batch engines run this detector once over the run's lines
(:data:`tradeguard.engines.entry_batch.CROSS_ENTRY`); every line of a run is a candidate.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import polars as pl

from tradeguard.detectors.base import DetectionContext, configured
from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.network.findings import (
    DETECTOR_VERSION,
    NetworkConfig,
    attach_findings,
    cluster_hits,
)
from tradeguard.network.linkage import (
    KEY_COLUMNS,
    LinkageConfig,
    link_new_records,
    resolve_parties,
)
from tradeguard.network.records import (
    LINE_PARTY_FIELDS,
    RECORD_SCHEMA,
    fold_history,
    line_parties,
    occurrences_of,
    party_records,
)
from tradeguard.network.shippers import peer_prices, with_price_flags
from tradeguard.network.violators import violator_clusters

KEYS: dict[str, pl.DataType] = {"entry_number": pl.String(), "line_number": pl.Int64()}


def known_outcomes(outcomes: pl.DataFrame | None, as_of: date) -> pl.DataFrame | None:
    """Exam outcomes decided by ``as_of`` (all of them when no decision date is given)."""
    if outcomes is None or outcomes.is_empty() or "decided_on" not in outcomes.columns:
        return outcomes
    decided = pl.col("decided_on").cast(pl.Date, strict=False)
    return outcomes.filter(decided.is_null() | (decided <= as_of))


class NetworkDetector:
    """Party-network findings on entry lines (category ``network``).

    ``outcomes`` are past exam outcomes (contract ``outcomes``): with them the violator rule
    runs on the history's lines at fit time; those decided after the evaluation date are
    left out.
    """

    name: ClassVar[str] = "network"
    version: ClassVar[str] = DETECTOR_VERSION
    # The declared fields ``detect`` reads: batch engines gather only these for every line.
    reads: ClassVar[tuple[str, ...]] = (*LINE_PARTY_FIELDS, "line_number")

    def __init__(self, config: NetworkConfig | None = None,
                 linkage: LinkageConfig | None = None,
                 outcomes: pl.DataFrame | None = None) -> None:
        self.config = config or NetworkConfig()
        self.linkage = linkage or LinkageConfig()
        self.outcomes = outcomes
        self._known: pl.DataFrame | None = None
        self._history: pl.DataFrame | None = None
        self._violators: pl.DataFrame | None = None
        self._peers: pl.DataFrame | None = None

    def _cfg(self, ctx: DetectionContext) -> NetworkConfig:
        return configured(ctx, self.name, self.config)

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """Resolve the history's parties and fold what the rules read of it."""
        self._known = self._history = self._violators = self._peers = None
        if history.is_empty():
            return
        occ = occurrences_of([line_parties(history, history=True)])
        if occ.is_empty():
            return
        resolved, _ = resolve_parties(party_records(occ), self.linkage)
        occ = occ.join(resolved.select("record_id", "cluster", "linkage_version"),
                       on="record_id")
        cfg = self._cfg(ctx)
        self._peers = peer_prices(occ, cfg.shippers)
        occ = with_price_flags(occ, self._peers)
        # Cluster names repeat along their members, and kinds, names and buyers along the
        # folded rows: kept as categories, each pickles once.
        self._known = resolved.select(*KEY_COLUMNS, pl.col("cluster").cast(pl.Categorical))
        self._history = fold_history(occ).with_columns(
            pl.col(pl.String).cast(pl.Categorical))
        # Outcomes given to the detector win; else the scoring chain's (the ``score`` inputs).
        given = self.outcomes if self.outcomes is not None else ctx.outcomes
        outcomes = known_outcomes(given, ctx.as_of)
        if outcomes is not None and not outcomes.is_empty():
            self._violators = violator_clusters(occ, outcomes, cfg.violators)

    def _clusters(self, records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(record_id, cluster) of the batch's records, and known clusters merged by them."""
        if self._known is None:
            known = pl.DataFrame(schema={c: pl.String for c in (*KEY_COLUMNS, "cluster")}
                                 ).with_columns(pl.col("words").cast(pl.List(pl.String)))
        else:
            known = self._known.with_columns(pl.col("cluster").cast(pl.String))
        seen = records.select("record_id").join(known.select("record_id", "cluster"),
                                                on="record_id")
        new = records.join(known, on="record_id", how="anti")
        assigned, merged, _ = link_new_records(new, known, self.linkage)
        if seen.is_empty():
            return assigned, merged
        return pl.concat([seen, assigned]), merged

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Findings on the batch's lines whose parties belong to a flagged cluster."""
        if lines.is_empty():
            return pl.DataFrame(schema=FINDINGS_SCHEMA)
        occ = occurrences_of([line_parties(lines, history=False)])
        if occ.is_empty():
            return pl.DataFrame(schema=FINDINGS_SCHEMA)
        records = occ.select("record_id", *RECORD_SCHEMA).unique("record_id").sort("record_id")
        clusters, merged = self._clusters(records)

        def relabel(frame: pl.DataFrame) -> pl.DataFrame:
            if merged.is_empty():
                return frame
            return frame.join(merged, on="cluster", how="left", maintain_order="left"
                              ).with_columns(pl.coalesce("merged", "cluster").alias("cluster")
                                             ).drop("merged")

        version = pl.lit(self.linkage.version()).alias("linkage_version")
        cfg = self._cfg(ctx)
        # Without a fitted history the batch is its own peer group, as in ``network build``.
        peers = self._peers if self._peers is not None else peer_prices(occ, cfg.shippers)
        current = with_price_flags(occ.join(relabel(clusters), on="record_id"), peers
                                   ).with_columns(version)
        every = current
        if self._history is not None:
            past = relabel(self._history.with_columns(pl.col(pl.Categorical).cast(pl.String)))
            past = past.with_columns(version, pl.lit(True).alias("history"))
            every = pl.concat([current, past.with_columns(
                *[pl.lit(None, dtype=current.schema[c]).alias(c)
                  for c in current.columns if c not in past.columns],
            ).select(current.columns)])
        hits = cluster_hits(every, cfg)
        if self._violators is not None and not self._violators.is_empty():
            hits["NET_VIOLATOR_CLUSTER"] = relabel(self._violators)
        return attach_findings(every, hits)
