"""One entry's importer ring, shipper cluster and violator findings, worked out in plain Python.

When the screen (:mod:`~tradeguard.network.entry_screen`) cannot rule a finding out, the rules
must give their verdict on the entry's clusters. Run as Polars queries over the entry and the
history rows those clusters need (:mod:`~tradeguard.network.entry_rules`), that is still some
fifty queries of ~100 us each (10-15 ms), though each verdict is a few sets and counts over
a handful of rows. Here they are counted directly, as the rules count them:

- importer ring (:func:`~tradeguard.network.rings.importer_rings`): the cluster's importer
  rows (gathered from the history), the supplier clusters its numbers bought from and the
  first and last date of all rows (kept per fit in
  :class:`~tradeguard.network.entry_screen.ClusterFacts`);
- shipper cluster (:func:`~tradeguard.network.shippers.shipper_clusters`): the names,
  buyers, priced and low lines of the cluster's history seller rows (kept per fit), the
  entry's lines priced by the fitted peer cuts, and the priced and low lines of every
  history seller row (the base rate);
- violator cluster: flagged at fit time; its texts are written once per fit.

The texts and evidence of a flagged cluster are written by the rule's own expressions
(:data:`~tradeguard.network.findings.RULES`, one query per rule that flags one), and the
findings are picked as :func:`~tradeguard.network.findings.first_findings` picks them. Where
plain Python might read a value otherwise than Polars (text outside ASCII that is case-folded,
NaN prices, line numbers that are not integers) these functions decline (None) and the
Polars rules run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from tradeguard.findings import FINDINGS_SCHEMA, empty_findings
from tradeguard.kept import Kept
from tradeguard.network.entry_rules import HistoryIndex
from tradeguard.network.entry_screen import ClusterFacts, EntryParty
from tradeguard.network.findings import DETECTOR, DETECTOR_VERSION, RULES
from tradeguard.network.rings import SUPPLIER_KINDS, RingRule
from tradeguard.network.shippers import PRICED_KINDS, ShipperRule

RING = "NET_SHARED_IDENTITY"
SHIPPER = "NET_SHIPPER_CLUSTER"
VIOLATOR = "NET_VIOLATOR_CLUSTER"
# The rules whose verdict on an entry's clusters is worked out here.
VERDICT_RULES: frozenset[str] = frozenset({RING, SHIPPER, VIOLATOR})
# The rules in the order the general path ranks them (the violator rule last, when the fit
# flagged any cluster): a line's findings come rule by rule in this order.
RANKED: tuple[str, ...] = (RING, "NET_MID_CHURN", "NET_FLY_BY_NIGHT", SHIPPER)
# Per flagged cluster: its finding's text and evidence.
Texts = dict[str, tuple[str | None, str | None]]
# A request line's seller price: (priced, low, the HTS number and unit when low).
LinePrice = tuple[int, int, str | None]
# The evidence frames the rules give (the dtypes their aggregations give).
RING_SCHEMA: dict[str, pl.DataType] = {
    "cluster": pl.String(), "importer_ids": pl.List(pl.String()),
    "names": pl.List(pl.String()), "addresses": pl.List(pl.String()),
    "first_entry": pl.String(), "has_history": pl.Boolean(), "linkage_version": pl.String(),
    "sharing_numbers": pl.UInt32(), "shared_suppliers": pl.List(pl.String()),
    "days_filing": pl.Int64()}
SHIPPER_SCHEMA: dict[str, pl.DataType] = {
    "cluster": pl.String(), "lines": pl.Int64(), "low_lines": pl.Int64(),
    "importers": pl.UInt32(), "importer_ids": pl.List(pl.String()),
    "name_count": pl.UInt32(), "members": pl.List(pl.String()),
    "countries": pl.List(pl.String()), "linkage_version": pl.String(),
    "hts_units": pl.List(pl.String()), "p_value": pl.Float64(), "base_rate": pl.Float64(),
    "low_percent": pl.String()}
CATEGORY = "network"
# The texts written for each flagged frame (rule code, columns, rows): a known party's
# request flags the same clusters with the same evidence again, and one Polars query per rule
# (~200 us) writes them. Kept for this many frames.
KEPT_TEXTS = 1024
_WRITTEN: Kept[tuple[object, ...], Texts] = Kept(KEPT_TEXTS)
_NOT_EIN = re.compile(r"[^0-9A-Za-z]")
_NOT_NAME = re.compile(r"[^a-z0-9]+")


class PastRow(NamedTuple):
    """One folded history row as the ring rule reads it (text as ``String``)."""

    cluster: str | None
    kind: str | None
    name: str | None
    address: str | None
    identifier: str | None
    date: date | None


def _nulls_first(values: Iterable[str | None]) -> list[str | None]:
    """Distinct values sorted as Polars sorts them (nulls first, text by code point)."""
    distinct = set(values)
    return ([None] if None in distinct else []) + sorted(v for v in distinct if v is not None)


def _present(values: Iterable[str | None]) -> list[str]:
    """Distinct non-null values, sorted."""
    return sorted({v for v in values if v is not None})


def span(parties: Sequence[EntryParty], earliest: date | None, latest: date | None
         ) -> tuple[date | None, date | None]:
    """The first ``date`` and last ``last_date`` of the history (``earliest``, ``latest``)
    and the entry's lines together, as the ring rule reads them."""
    days = [p.date for p in parties if p.date is not None]
    first = [d for d in (earliest, *days) if d is not None]
    last = [d for d in (latest, *days) if d is not None]
    return (min(first) if first else None, max(last) if last else None)


def past_rows(history: pl.DataFrame, rows: Sequence[np.ndarray]) -> list[PastRow]:
    """The folded ``history`` rows numbered in ``rows`` (one gather)."""
    picked = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *rows]))
    if not picked.size:
        return []
    frame = history[picked]
    where = {c: i for i, c in enumerate(frame.columns)}
    fields = [where.get(c) for c in PastRow._fields]
    return [PastRow(*(None if i is None else values[i] for i in fields))
            for values in frame.iter_rows()]


def cluster_rows(history: pl.DataFrame, index: HistoryIndex, importers: Iterable[str]
                 ) -> list[PastRow]:
    """The history rows of the entry's importer clusters, as :func:`past_rows` of
    :func:`importer_rows` gives them (up to order, which the ring rule does not read): each
    cluster's gathered once per fit and kept on ``index`` (a gather from the folded history
    costs ~100-300 us)."""
    rows: list[PastRow] = []
    for cluster in importers:
        got = index.read.get(cluster)
        if got is None:
            got = index.read.keep(cluster, past_rows(history, importer_rows(index, [cluster])))
        rows.extend(got)
    return rows


def importer_rows(index: HistoryIndex, importers: Iterable[str]) -> list[np.ndarray]:
    """The row numbers of the history rows of the entry's importer clusters (the ring's
    members; what they bought is in :class:`~tradeguard.network.entry_screen.ClusterFacts`).
    """
    return [index.by_cluster[c] for c in importers if c in index.by_cluster]


def _column(lines: pl.DataFrame, name: str, present: Collection[str],
            dtype: type[pl.DataType]) -> list[Any]:
    """A declared field of every line, cast to ``dtype`` as the general path casts it
    (``present``: the lines' columns; an absent field is null on every line)."""
    if name not in present:
        return [None] * lines.height
    values = lines.get_column(name)
    if values.dtype != dtype:
        values = values.cast(dtype, strict=False)
    return values.to_list()


def _floats(lines: pl.DataFrame, name: str, present: Collection[str]) -> list[float | None]:
    """A declared number of every line as a float."""
    return _column(lines, name, present, pl.Float64)


def _texts(lines: pl.DataFrame, name: str, present: Collection[str]) -> list[str | None]:
    """A declared field of every line as text."""
    return _column(lines, name, present, pl.String)


def line_prices(lines: pl.DataFrame, cuts: Mapping[str, float | None]
                ) -> list[LinePrice] | None:
    """Each line's seller price against the fitted peer ``cuts`` (HTS number and unit ->
    low cut), as :func:`~tradeguard.network.shippers.with_price_flags` flags it; None when a
    value might compare otherwise in Polars (NaN) or a unit is not ASCII (case folding)."""
    prices: list[LinePrice] = []
    present = frozenset(lines.columns)
    for hts, unit, value, quantity in zip(
            _texts(lines, "hts_code", present), _texts(lines, "quantity_unit", present),
            _floats(lines, "entered_value_usd", present), _floats(lines, "quantity", present),
            strict=True):
        if any(v is not None and math.isnan(v) for v in (value, quantity)):
            return None
        if hts is None or unit is None or quantity is None or value is None \
                or not quantity > 0:
            prices.append((0, 0, None))
            continue
        if not unit.isascii():
            return None
        key = hts.replace(".", "") + "|" + unit.upper()
        unit_value = value / quantity
        cut = cuts.get(key)
        if math.isnan(unit_value) or (cut is not None and math.isnan(cut)):
            return None
        if not unit_value > 0 or cut is None:
            prices.append((0, 0, None))
            continue
        low = int(unit_value < cut)
        prices.append((1, low, key if low else None))
    return prices


def ring_hits(parties: Sequence[EntryParty], clusters: Mapping[str, str],
              past: Sequence[PastRow], facts: ClusterFacts,
              span: tuple[date | None, date | None], rule: RingRule, version: str
              ) -> pl.DataFrame:
    """:func:`~tradeguard.network.rings.importer_rings` on the entry's importer clusters, over
    the entry, the history rows of those clusters (``past``), the supplier clusters each
    importer number bought from (``facts``) and the first and last date of all rows
    (``span``)."""
    earliest, latest = span
    mine = sorted({clusters[p.record_id] for p in parties if p.kind == "importer"})
    if earliest is None or latest is None or not mine:
        return pl.DataFrame()
    since = latest - timedelta(days=rule.new_days)
    dated = earliest + timedelta(days=rule.lead_days)
    found: list[tuple[object, ...]] = []
    for cluster in mine:
        # (identifier, name, address, date, history) of the cluster's importer rows
        members = [(r.identifier, r.name, r.address, r.date, True) for r in past
                   if r.kind == "importer" and r.cluster == cluster]
        members += [(p.identifier, p.name, p.address, p.date, False) for p in parties
                     if p.kind == "importer" and clusters[p.record_id] == cluster]
        ids = {m[0] for m in members}
        if len(ids) < rule.min_importers:
            continue
        bought: dict[str, set[str]] = {}
        for number in ids:
            if number is not None:
                for supplier in facts.supplied.get(number, frozenset()):
                    bought.setdefault(supplier, set()).add(number)
        for p in parties:
            if p.kind in SUPPLIER_KINDS and p.importer is not None and p.importer in ids:
                bought.setdefault(clusters[p.record_id], set()).add(p.importer)
        shared = {s: len(b) for s, b in bought.items() if len(b) >= rule.min_importers}
        if not shared:
            continue
        days = [m[3] for m in members if m[3] is not None]
        first = min(days) if days else None
        history = any(m[4] for m in members)
        if history and (first is None or first < since or first < dated):
            continue
        found.append((
            cluster, _nulls_first(ids), _present(m[1] for m in members),
            _present(m[2] for m in members), None if first is None else first.isoformat(),
            history, version, max(shared.values()),
            _nulls_first(_supplier_name(s) for s in shared),
            None if first is None else (latest - first).days))
    return _frame(found, RING_SCHEMA)


def _frame(rows: Sequence[tuple[object, ...]], schema: Mapping[str, pl.DataType]
           ) -> pl.DataFrame:
    """Rows of ``schema`` as a frame (no frame without rows)."""
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _supplier_name(cluster: str | None) -> str | None:
    """:func:`~tradeguard.network.rings.supplier_name` of one cluster name."""
    parts = None if cluster is None else cluster.split("|")
    return parts[1] if parts is not None and len(parts) > 1 else None


def shipper_hits(parties: Sequence[EntryParty], clusters: Mapping[str, str],
                 facts: ClusterFacts, prices: Sequence[LinePrice], totals: tuple[int, int],
                 rule: ShipperRule, version: str) -> pl.DataFrame | None:
    """:func:`~tradeguard.network.shippers.shipper_clusters` on the entry's seller clusters,
    over the entry's lines (priced by ``prices``) and what the history's priced seller rows
    of those clusters hold (``facts``: names, buyers, priced and low lines; the folded
    history keeps no country or HTS number of a seller); ``totals``: the priced and low
    lines of every history seller row. None when a name is not ASCII (its case folding is
    left to Polars)."""
    # (name, importer, country, priced, low, HTS number and unit when low, cluster)
    sold = [(p.name, p.importer, p.country, *prices[p.row], clusters[p.record_id])
            for p in parties if p.kind in PRICED_KINDS]
    priced = totals[0] + sum(s[3] for s in sold)
    low = totals[1] + sum(s[4] for s in sold)
    mine = sorted({s[6] for s in sold})
    if not priced or not mine:
        return pl.DataFrame()
    from scipy.special import bdtrc  # as binomial_tail: scipy loads on the first use

    base = float(low) / float(priced)
    found: list[tuple[object, ...]] = []
    for cluster in mine:
        rows = [s for s in sold if s[6] == cluster and s[3] > 0]
        lines = facts.seller_priced.get(cluster, 0) + sum(r[3] for r in rows)
        low_lines = facts.seller_low.get(cluster, 0) + sum(r[4] for r in rows)
        if not (low_lines >= rule.min_low_lines and low_lines >= rule.min_share * lines):
            continue
        names = set(facts.seller_names.get(cluster, frozenset())) | {r[0] for r in rows}
        if any(n is not None and not n.isascii() for n in names):
            return None
        buyers = set(facts.seller_buyers.get(cluster, frozenset())) | {
            r[1] for r in rows if r[1] is not None}
        importers = {_NOT_EIN.sub("", b)[:9] for b in buyers if b is not None}
        name_count = len({None if n is None else _NOT_NAME.sub("", n.lower()) for n in names})
        if len(importers) < rule.min_importers or name_count < rule.min_names:
            continue
        p_value = float(bdtrc(np.asarray([low_lines - 1], dtype=np.int64),
                              np.asarray([lines], dtype=np.int64),
                              min(max(base, 1e-12), 1 - 1e-12))[0])
        if not p_value <= rule.alpha:
            continue
        found.append((
            cluster, lines, low_lines, len(importers), _present(buyers), name_count,
            _nulls_first(names), _present(r[2] for r in rows), version,
            _present(r[5] for r in rows if r[4] > 0), p_value, round(base, 4),
            f"{rule.low_quantile * 100:g}"))
    return _frame(found, SHIPPER_SCHEMA)


def rule_texts(code: str, flagged: pl.DataFrame) -> Texts:
    """The text and evidence of each cluster ``flagged`` by rule ``code``, written by the
    rule's own expressions as :func:`~tradeguard.network.findings.finding_rows` writes them;
    ``flagged`` carries the detector's linkage version (the evidence's)."""
    if flagged.is_empty():
        return {}
    key = (code, tuple(flagged.columns), tuple(tuple(map(_hashable, row))
                                               for row in flagged.rows()))
    kept = _WRITTEN.get(key)
    if kept is not None:
        return dict(kept)
    rule = RULES[code]
    written = flagged.select(
        "cluster", rule.text.alias("text"),
        pl.struct(["cluster", *rule.evidence, "linkage_version"]).struct.json_encode()
        .alias("evidence"))
    texts = {cluster: (text, evidence) for cluster, text, evidence in written.iter_rows()}
    return dict(_WRITTEN.keep(key, texts))


def _hashable(value: object) -> object:
    """A frame value as a key telling apart whatever writes otherwise (-0.0 and 0.0, 1.0
    and 1)."""
    if isinstance(value, list):
        return tuple(map(_hashable, value))
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, float):
        return ("float", value.hex())
    return (type(value).__name__, value)


def _last(value: object) -> tuple[bool, object]:
    """A sort key placing nulls last."""
    return (value is None, value)


def entry_findings(parties: Sequence[EntryParty], clusters: Mapping[str, str],
                   hits: Mapping[str, Texts], ranked: Sequence[str]) -> pl.DataFrame:
    """Findings (:data:`~tradeguard.findings.FINDINGS_SCHEMA`) on the entry's parties in a
    flagged cluster: rule by rule in the order ``ranked``, then by entry, line, party kind
    and cluster, one per line and reason code (as :func:`~tradeguard.network.findings.
    first_findings` picks them)."""
    placed: list[tuple[tuple[object, ...], tuple[object, ...]]] = []
    for rank, code in enumerate(ranked):
        texts = hits.get(code)
        if not texts:
            continue
        rule = RULES[code]
        for party in parties:
            cluster = clusters[party.record_id]
            if party.kind not in rule.kinds or cluster not in texts:
                continue
            text, evidence = texts[cluster]
            place = (rank, _last(party.entry_number), _last(party.line_number),
                     party.kind, cluster)
            placed.append((place, (party.entry_number, party.line_number, CATEGORY, code,
                                   rule.severity, text, evidence, DETECTOR,
                                   DETECTOR_VERSION)))
    placed.sort(key=lambda found: found[0])
    seen: set[tuple[object, ...]] = set()
    rows: list[tuple[object, ...]] = []
    for where, row in placed:
        one = (where[0], row[0], row[1])
        if one not in seen:
            seen.add(one)
            rows.append(row)
    if not rows:
        return empty_findings()
    return pl.DataFrame(rows, schema=FINDINGS_SCHEMA, orient="row")
