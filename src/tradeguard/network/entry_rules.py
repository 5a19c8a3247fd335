"""The history rows the cluster rules read for one entry's clusters, cut without a scan.

When the screen (:mod:`~tradeguard.network.entry_screen`) cannot rule out a finding for a
request's entry, the rules must run; the general path runs them over the request and the
**whole** folded history (a dozen queries, each over every row, ~20-30 ms). Each rule's
verdict on a cluster reads only a few of those rows, plus a handful of totals over all:

- importer ring: the cluster's importer rows, the supplier rows (manufacturers, sellers)
  bought by its importer numbers, and the first date and last date of all rows;
- fly-by-night: the cluster's importer rows (whether it has history); the rest is the
  request's own filing;
- shipper cluster: the cluster's seller rows, and the priced and low line counts of all
  seller rows (the base rate).

:class:`HistoryIndex` keeps, per fitted history, the row numbers of each cluster and of the
supplier rows of each importer number, the rows holding the first and the last date, and
the priced and low counts; :func:`entry_history` gathers the rows an entry's clusters need
and stands one row in for the priced and low counts of every other seller row. The same
rule functions then run over the request and those rows: for the entry's clusters they give
what they give over the whole history. MID churn's base rate counts the new MIDs of every
factory, which a request shifts; an entry that might churn takes the general path.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from tradeguard.kept import Kept
from tradeguard.network.records import RECORD_SCHEMA
from tradeguard.network.rings import SUPPLIER_KINDS
from tradeguard.network.shippers import PRICED_KINDS, with_price_flags

# The cluster of the row standing in for the other seller rows' priced and low counts: no
# cluster is empty (clusters are named by a record id, five fields joined by ``|``).
REST_CLUSTER = ""
# The rules whose verdict on the entry's clusters the gathered rows decide.
GATHERED_RULES: frozenset[str] = frozenset(
    {"NET_SHARED_IDENTITY", "NET_FLY_BY_NIGHT", "NET_SHIPPER_CLUSTER",
     "NET_VIOLATOR_CLUSTER"})


@dataclass(frozen=True)
class HistoryIndex:
    """Row numbers of a folded history (:func:`~tradeguard.network.records.fold_history`):
    per cluster, per importer number its supplier rows, and the rows holding the first
    ``date`` and the last ``last_date``; per row its priced and low seller lines (zero
    unless a priced seller row), with their totals."""

    by_cluster: dict[str, np.ndarray] = field(default_factory=dict)
    by_buyer: dict[str, np.ndarray] = field(default_factory=dict)
    extremes: tuple[int, ...] = ()
    priced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    low: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Each cluster's rows as the plain-Python ring rule reads them, filled on first use
    # (:func:`~tradeguard.network.entry_verdicts.cluster_rows`), for this many clusters.
    read: Kept[str, list[Any]] = field(default_factory=lambda: Kept(4096))


def _rows_by(frame: pl.DataFrame, key: str) -> dict[str, np.ndarray]:
    groups = frame.group_by(key).agg(pl.col("index"))
    return {k: np.asarray(v, dtype=np.int64) for k, v in zip(
        groups[key].to_list(), groups["index"].to_list(), strict=True) if k is not None}


def history_index(history: pl.DataFrame | None) -> HistoryIndex:
    """The index of a fitted detector's folded history (empty without one); built once."""
    if history is None or history.is_empty():
        return HistoryIndex()
    rows = history.select(
        pl.col("cluster", "kind", "importer").cast(pl.String),
        *[(pl.col(c) if c in history.columns else pl.lit(0)).cast(pl.Int64).fill_null(0)
          .alias(c) for c in ("priced", "low")],
    ).with_row_index()
    supplies = rows.filter(pl.col("kind").is_in(SUPPLIER_KINDS)
                           & pl.col("importer").is_not_null())
    sold = rows.select((pl.col("kind").is_in(PRICED_KINDS) & (pl.col("priced") > 0))
                       .fill_null(False).alias("sold"))["sold"].to_numpy()
    extremes = (history["date"].arg_min(), history["last_date"].arg_max())
    return HistoryIndex(
        by_cluster=_rows_by(rows, "cluster"),
        by_buyer=_rows_by(supplies, "importer"),
        extremes=tuple(i for i in extremes if i is not None),
        priced=np.where(sold, rows["priced"].to_numpy(), 0),
        low=np.where(sold, rows["low"].to_numpy(), 0),
    )


def entry_history(history: pl.DataFrame, index: HistoryIndex, rules: Collection[str],
                  importers: Iterable[str], buyers: Iterable[str | None],
                  sellers: Iterable[str]) -> pl.DataFrame:
    """The rows of the folded ``history`` that ``rules`` read for the entry's importer
    clusters ``importers`` (bought from by the importer numbers ``buyers``) and seller
    clusters ``sellers``, text as ``String``; with the shipper rule, one more seller row
    (cluster :data:`REST_CLUSTER`, no name, buyer or date) carries the priced and low lines
    of every other seller row, so the base rate is the whole history's."""
    parts: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    ring = "NET_SHARED_IDENTITY" in rules
    if ring or "NET_FLY_BY_NIGHT" in rules:
        parts += [index.by_cluster[c] for c in importers if c in index.by_cluster]
    if ring:
        parts += [index.by_buyer[b] for b in buyers if b is not None and b in index.by_buyer]
        parts.append(np.asarray(index.extremes, dtype=np.int64))
    shipper = "NET_SHIPPER_CLUSTER" in rules
    if shipper:
        parts += [index.by_cluster[c] for c in sellers if c in index.by_cluster]
    rows = np.unique(np.concatenate(parts))
    past = history[rows].with_columns(pl.col(pl.Categorical).cast(pl.String))
    if not shipper:
        return past
    priced = int(index.priced.sum() - index.priced[rows].sum())
    low = int(index.low.sum() - index.low[rows].sum())
    if priced == 0:
        return past
    given = {"cluster": REST_CLUSTER, "kind": PRICED_KINDS[0], "n": 0, "priced": priced,
             "low": low}
    rest = {c: given.get(c) for c in past.columns}
    return pl.concat([past, pl.DataFrame([rest], schema=past.schema)])


def entry_current(occ: pl.DataFrame, clusters: dict[str, str], peers: pl.DataFrame
                  ) -> pl.DataFrame:
    """A few lines' occurrences (:func:`~tradeguard.network.records.occurrences_of`) folded
    as :meth:`~tradeguard.network.streaming.PartyTally.current_rows` folds a run's, priced
    by the fitted ``peers``: one row per record, buyer and whether dated; per seller record,
    buyer and (for low lines) HTS number and unit, its priced and low lines. Each record
    keeps the fields it was first declared with. A handful of queries where the tally, built
    to fold a run part by part, takes a dozen."""
    ids = pl.DataFrame({"record_id": list(clusters), "cluster": list(clusters.values())},
                       schema={"record_id": pl.String, "cluster": pl.String})
    fields = occ.select("record_id", *RECORD_SCHEMA).unique(
        "record_id", keep="first", maintain_order=True).join(ids, on="record_id")
    parties = occ.group_by(
        "record_id", "importer", pl.col("date").is_not_null().alias("dated")).agg(
        pl.col("n").sum(), pl.col("date").min(), pl.col("last_date").max()).drop("dated")
    sold = occ.filter(pl.col("kind").is_in(PRICED_KINDS) & pl.col("price_key").is_not_null()
                      & (pl.col("unit_value") > 0))
    sales = with_price_flags(sold, peers).filter(pl.col("priced") > 0).group_by(
        "record_id", "importer",
        pl.when(pl.col("low") > 0).then("price_key").alias("price_key")).agg(
        pl.col("priced").sum(), pl.col("low").sum())
    return pl.concat([parties.join(fields, on="record_id"),
                      sales.join(fields, on="record_id")], how="diagonal_relaxed").drop(
        "record_id").with_columns(pl.lit(False).alias("history"))
