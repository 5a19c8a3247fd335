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
They hand it the lines in parts (:meth:`NetworkDetector.detect_in_parts`, two passes over
the parts, :mod:`~tradeguard.network.streaming` in between), so a run costs what its distinct
parties cost; ``detect`` is the same over one part. A scoring request's entry (a few lines)
is first screened against per-cluster counts kept from the fit
(:mod:`~tradeguard.network.entry_screen`): when no cluster it touches can pass a rule, its
findings are known to be none without running the rules over the history. When one might,
the rules run over the entry and only the history rows its clusters need
(:mod:`~tradeguard.network.entry_rules`; in plain Python when only the importer ring,
shipper and violator rules might flag one, :mod:`~tradeguard.network.entry_verdicts`),
unless the entry merges known clusters or a factory it names might churn MIDs (the general
path then). Its new spellings that share no
usable block with any other record are their own clusters without running Splink
(:mod:`~tradeguard.network.entry_links`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import ClassVar

import polars as pl

from tradeguard.detectors.base import DetectionContext, configured
from tradeguard.findings import empty_findings
from tradeguard.frame_reads import column_types
from tradeguard.network.entry_links import BlockCounts, block_counts, unlinkable
from tradeguard.network.entry_rules import (
    GATHERED_RULES,
    HistoryIndex,
    entry_current,
    entry_history,
    history_index,
)
from tradeguard.network.entry_screen import (
    ClusterFacts,
    EntryParty,
    cluster_facts,
    entry_parties,
    entry_records,
    may_raise,
    rule_candidates,
)
from tradeguard.network.entry_verdicts import (
    RANKED,
    RING,
    SHIPPER,
    VERDICT_RULES,
    VIOLATOR,
    Texts,
    cluster_rows,
    entry_findings,
    line_prices,
    ring_hits,
    rule_texts,
    shipper_hits,
    span,
)
from tradeguard.network.findings import (
    DETECTOR_VERSION,
    NetworkConfig,
    cluster_hits,
    finding_rows,
    first_findings,
)
from tradeguard.network.incremental import link_new_records
from tradeguard.network.linkage import KEY_COLUMNS, LinkageConfig, resolve_parties
from tradeguard.network.records import (
    LINE_PARTY_FIELDS,
    RECORD_SCHEMA,
    fold_history,
    line_parties_plan,
    occurrences_of,
    party_records,
)
from tradeguard.network.shippers import PRICED_KINDS, peer_prices, with_price_flags
from tradeguard.network.streaming import PartyTally, own_strings
from tradeguard.network.violators import violator_clusters
from tradeguard.request_path import REQUEST_LINES

KEYS: dict[str, pl.DataType] = {"entry_number": pl.String(), "line_number": pl.Int64()}
# A run's declaration lines in parts: each call reads them again, in the same order.
Parts = Callable[[], Iterable[pl.DataFrame]]
# Up to this many lines (a request holds 1-5), ``detect`` first screens the lines' clusters
# with plain Python: the general path's rules cost dozens of ~100 us queries over the history.
SMALL_ENTRY_LINES = REQUEST_LINES
# A few lines' parties with the cluster of each record (None: the general path resolves them).
EntryScope = tuple[list[EntryParty], dict[str, str], ClusterFacts]


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
        self._facts: ClusterFacts | None = None
        self._index: HistoryIndex | None = None
        self._blocks: BlockCounts | None = None
        self._cuts: dict[str, float | None] | None = None
        self._violator_findings: tuple[str, Texts] | None = None

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_facts"] = None  # rebuilt from the fitted frames by the first small entry
        state["_index"] = state["_blocks"] = state["_cuts"] = None
        state["_violator_findings"] = None
        return state

    def _cfg(self, ctx: DetectionContext) -> NetworkConfig:
        return configured(ctx, self.name, self.config)

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """Resolve the history's parties and fold what the rules read of it."""
        self._known = self._history = self._violators = self._peers = None
        self._facts = self._index = self._blocks = None
        self._cuts = self._violator_findings = None
        if history.is_empty():
            return
        occ = occurrences_of([line_parties_plan(history, history=True)])
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
        if lines.height <= SMALL_ENTRY_LINES:
            found = self._entry_findings(lines, self._cfg(ctx))
            if found is not None:
                return found
        return self.detect_in_parts(lambda: (lines,), ctx)

    def _entry_scope(self, lines: pl.DataFrame) -> EntryScope | None:
        """A few lines' parties and the cluster of each, new spellings linked as the general
        path links them; None when the general path must take the lines (a run that merges
        known clusters changes their counts)."""
        number = column_types(lines).get("line_number")  # read once per request
        if number is None or not number.is_integer():
            return None  # the general path reads it (and says what is wrong with it)
        facts = getattr(self, "_facts", None)
        if facts is None:
            facts = self._facts = cluster_facts(self._known, self._history, self._violators)
        parties = entry_parties(lines)
        clusters = {p.record_id: facts.record_cluster.get(p.record_id) for p in parties}
        if any(c is None for c in clusters.values()):
            records = entry_records(parties)
            new = records.filter(pl.col("record_id").is_in(
                [r for r, c in clusters.items() if c is None]))
            blocks = getattr(self, "_blocks", None)
            if blocks is None:
                blocks = self._blocks = block_counts(self._known)
            if unlinkable(new, blocks, self.linkage):
                # No pair to score: each new spelling is its own cluster, as Splink leaves it.
                clusters.update((r, r) for r in new["record_id"].to_list())
            else:
                resolved, merged = self._clusters(records)
                if not merged.is_empty():
                    return None
                clusters.update(zip(resolved["record_id"].to_list(),
                                    resolved["cluster"].to_list(), strict=True))
        known = {r: c for r, c in clusters.items() if c is not None}
        if len(known) < len(clusters):
            return None
        return parties, known, facts

    def _screened_clear(self, lines: pl.DataFrame, cfg: NetworkConfig) -> bool:
        """Whether no cluster a few lines' parties belong to can pass a rule (then they have
        no finding); False sends them on to the rules."""
        scope = self._entry_scope(lines)
        if scope is None:
            return False
        parties, clusters, facts = scope
        return not parties or not may_raise(parties, clusters, facts, cfg)

    def _entry_findings(self, lines: pl.DataFrame, cfg: NetworkConfig) -> pl.DataFrame | None:
        """A few lines' findings: none when the screen rules every cluster out, else the
        rules that might flag one run over the lines and the history rows their clusters
        need (:func:`~tradeguard.network.entry_rules.entry_history`); None leaves the lines
        to the general path."""
        scope = self._entry_scope(lines)
        if scope is None:
            return None
        parties, clusters, facts = scope
        if not parties:
            return empty_findings()
        candidates = rule_candidates(parties, clusters, facts, cfg)
        rules = {code for code, flagged in candidates.items() if flagged}
        if not rules:
            return empty_findings()
        if rules <= VERDICT_RULES:
            found = self._entry_verdicts(lines, parties, clusters, rules, cfg)
            if found is not None:
                return found
        if not rules <= GATHERED_RULES:
            return None
        declared = list(_occurrences(lambda: (lines,)))  # read once, for both passes
        if not declared:
            return empty_findings()
        version = self.linkage.version()
        if rules <= {"NET_VIOLATOR_CLUSTER"}:  # flagged at fit time: no rule to run
            hits = self._rule_hits(pl.DataFrame(), None, cfg, None, set())
            return self._attach(lambda: declared, hits, _members(_cluster_frame(clusters),
                                                                 hits), read=False)
        if self._peers is not None and "NET_FLY_BY_NIGHT" not in rules:
            # No run filing to add up: the lines folded directly, priced by the fitted peers.
            current = entry_current(pl.concat(declared), clusters, self._peers)
            volume = None
        else:
            tally = PartyTally(self._peers)
            for occ in declared:
                tally.add(occ)
            by_code = tally.records.table.select("code", pl.col("record_id").replace_strict(
                clusters, return_dtype=pl.String).alias("cluster"))
            current = tally.current_rows(by_code, cfg.shippers)
            volume = tally.volume(by_code, version)
        past = self._entry_history(parties, clusters, rules) if self._history is not None \
            else None
        hits = self._rule_hits(current, past, cfg, volume, rules)
        return self._attach(lambda: declared, hits, _members(_cluster_frame(clusters), hits),
                            read=False)

    def _entry_verdicts(self, lines: pl.DataFrame, parties: list[EntryParty],
                        clusters: dict[str, str], rules: set[str], cfg: NetworkConfig
                        ) -> pl.DataFrame | None:
        """A few lines' findings when only the importer ring, shipper and violator rules
        might flag their clusters, worked out in plain Python
        (:mod:`~tradeguard.network.entry_verdicts`); None leaves them to the rules' queries.
        """
        if any(p.line_number is None for p in parties):
            return None
        version = self.linkage.version()
        hits: dict[str, Texts] = {}
        if rules & {RING, SHIPPER}:
            if self._history is None or self._peers is None:
                return None
            index = getattr(self, "_index", None)
            if index is None:
                index = self._index = history_index(self._history)
            facts = self._facts or ClusterFacts()
            if RING in rules:
                importers = {clusters[p.record_id] for p in parties if p.kind == "importer"}
                past = cluster_rows(self._history, index, importers)
                dates = span(parties, facts.earliest, facts.latest)
                hits[RING] = rule_texts(RING, ring_hits(parties, clusters, past, facts, dates,
                                                        cfg.ring, version))
            if SHIPPER in rules:
                if {"country", "price_key"} & set(self._history.columns):
                    return None  # seller rows the facts do not fold
                prices = line_prices(lines, self._peer_cuts())
                if prices is None:
                    return None
                totals = (int(index.priced.sum()), int(index.low.sum()))
                flagged = shipper_hits(parties, clusters, facts, prices, totals, cfg.shippers,
                                       version)
                if flagged is None:
                    return None
                hits[SHIPPER] = rule_texts(SHIPPER, flagged)
        ranked = list(RANKED)
        if self._violators is not None and not self._violators.is_empty():
            ranked.append(VIOLATOR)
            hits[VIOLATOR] = self._violator_texts(version)
        return entry_findings(parties, clusters, hits, ranked)

    def _peer_cuts(self) -> dict[str, float | None]:
        """The fitted peer low cut of each HTS number and unit (kept once per fit)."""
        cuts = getattr(self, "_cuts", None)
        if cuts is None:
            peers = self._peers if self._peers is not None else pl.DataFrame(
                schema={"price_key": pl.String, "low_cut": pl.Float64})
            cuts = self._cuts = dict(zip(peers["price_key"].to_list(),
                                         peers["low_cut"].to_list(), strict=True))
        return cuts

    def _violator_texts(self, version: str) -> Texts:
        """The texts and evidence of the fit's violator clusters (written once per fit)."""
        kept = getattr(self, "_violator_findings", None)
        if kept is None or kept[0] != version:
            assert self._violators is not None
            # The evidence names the detector's linkage version, not the fit's. The fit's
            # frame comes in pieces that ``pl.format`` cannot read (a Polars panic): one piece.
            flagged = self._violators.rechunk().with_columns(
                pl.lit(version).alias("linkage_version"))
            kept = self._violator_findings = (version, rule_texts(VIOLATOR, flagged))
        return kept[1]

    def detect_in_parts(self, parts: Parts, ctx: DetectionContext) -> pl.DataFrame:
        """Findings on a run's lines read in parts: the same as :meth:`detect` on all of
        them at once, however they are cut.

        ``parts`` returns a fresh iterable of declaration frames on each call, the same lines
        in the same order. The first pass folds each part's occurrences
        (:class:`~tradeguard.network.streaming.PartyTally`), the clusters and rules run once
        on the folded run and history, and the second pass attaches the findings part by
        part; between the passes the detector holds the run's distinct parties, not its lines.
        """
        cfg = self._cfg(ctx)
        tally = PartyTally(self._peers)
        for occ in _occurrences(parts):
            tally.add(occ)
        if tally.empty:
            return empty_findings()
        hits, members = self._hits(tally, cfg)
        return self._attach(parts, hits, members)

    def _attach(self, parts: Parts, hits: dict[str, pl.DataFrame], members: pl.DataFrame,
                *, read: bool = True) -> pl.DataFrame:
        """Findings on the lines of ``parts`` whose records are ``members`` of a cluster
        flagged in ``hits`` (``read``: False when ``parts`` are occurrences already read)."""
        if all(flagged.is_empty() for flagged in hits.values()):
            return empty_findings()
        version = pl.lit(self.linkage.version()).alias("linkage_version")
        declared = _occurrences(parts) if read else parts()
        # Rows kept across a run's parts get their own text; a few lines' need not.
        rows = [own_strings(found) if read else found for occ in declared
                if (found := finding_rows(
            occ.join(members, on="record_id").with_columns(version), hits)).width]
        return first_findings(pl.concat(rows) if rows else pl.DataFrame())

    def _hits(self, tally: PartyTally, cfg: NetworkConfig
              ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
        """The clusters each rule flags over the folded run and history, and (record_id,
        cluster) of the run's records in a flagged cluster."""
        records = tally.records.table.select("record_id", *RECORD_SCHEMA).sort("record_id")
        clusters, merged = self._clusters(records)
        clusters = _relabel(clusters, merged)
        by_code = tally.records.table.select("code", "record_id").join(
            clusters, on="record_id").select("code", "cluster")
        version = self.linkage.version()
        current = tally.current_rows(by_code, cfg.shippers)
        past = None
        if self._history is not None:
            past = _relabel(self._history.with_columns(pl.col(pl.Categorical).cast(pl.String)),
                            merged)
        hits = self._rule_hits(current, past, cfg, tally.volume(by_code, version), None,
                               merged)
        return hits, _members(clusters, hits)

    def _rule_hits(self, current: pl.DataFrame, past: pl.DataFrame | None,
                   cfg: NetworkConfig, volume: pl.DataFrame | None, rules: set[str] | None,
                   merged: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
        """The clusters each rule (``rules``, default all) flags over the folded current
        rows and the history rows ``past`` (``merged``: known clusters a run merged)."""
        version = pl.lit(self.linkage.version()).alias("linkage_version")
        every = current.with_columns(version)
        if past is not None:
            every = pl.concat([every, past.with_columns(version, pl.lit(True).alias("history"))],
                              how="diagonal_relaxed")
        hits = cluster_hits(every, cfg, volume=volume, rules=rules)
        if self._violators is not None and not self._violators.is_empty():
            hits["NET_VIOLATOR_CLUSTER"] = (self._violators if merged is None
                                            else _relabel(self._violators, merged))
        return hits

    def _entry_history(self, parties: list[EntryParty], clusters: dict[str, str],
                       rules: set[str]) -> pl.DataFrame:
        """The fitted history's rows that ``rules`` read for the entry's clusters."""
        assert self._history is not None
        index = getattr(self, "_index", None)
        if index is None:
            index = self._index = history_index(self._history)
        facts = self._facts or ClusterFacts()
        importers = {clusters[p.record_id] for p in parties if p.kind == "importer"}
        buyers = {p.identifier for p in parties if p.kind == "importer"}
        for cluster in importers:
            buyers |= facts.importer_ids.get(cluster, frozenset())
        sellers = {clusters[p.record_id] for p in parties if p.kind in PRICED_KINDS}
        return entry_history(self._history, index, rules, sorted(importers),
                             sorted(b for b in buyers if b is not None), sorted(sellers))


def _cluster_frame(clusters: dict[str, str]) -> pl.DataFrame:
    """(record_id, cluster) of a few records."""
    return pl.DataFrame({"record_id": list(clusters), "cluster": list(clusters.values())},
                        schema={"record_id": pl.String, "cluster": pl.String})


def _members(clusters: pl.DataFrame, hits: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """(record_id, cluster) of ``clusters`` in a cluster flagged by any rule."""
    flagged = pl.concat([f.select("cluster") for f in hits.values() if not f.is_empty()]
                        or [pl.DataFrame(schema={"cluster": pl.String})]).unique()
    return clusters.join(flagged, on="cluster")


def _relabel(frame: pl.DataFrame, merged: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with each known cluster merged into another by the run named as the latter."""
    if merged.is_empty():
        return frame
    return frame.join(merged, on="cluster", how="left", maintain_order="left").with_columns(
        pl.coalesce("merged", "cluster").alias("cluster")).drop("merged")


def _occurrences(parts: Parts) -> Iterator[pl.DataFrame]:
    """The party occurrences of each part that declares any."""
    for lines in parts():
        if lines.is_empty():
            continue
        occ = occurrences_of([line_parties_plan(lines, history=False)])
        if not occ.is_empty():
            yield occ
