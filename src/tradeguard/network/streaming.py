"""A run's party occurrences folded part by part: what the network detector keeps between the
pass that reads the run and the pass that attaches findings.

A batch run hands the detector its lines in parts (the engine's batches, or line keys gathered
a few hundred thousand at a time). The cluster rules read occurrence rows that may stand for
many declarations (``n``, ``date`` to ``last_date``, ``priced`` and ``low`` counts), as the
fitted history already does (:func:`~tradeguard.network.records.fold_history`), so each
part's occurrences are folded as they arrive and :class:`PartyTally` keeps:

- the distinct party records of the run, each with a code;
- per record, buyer and whether the declaration is dated: declarations, first and last date
  (importer rings, MID churn; an undated MID declaration never counts for churn);
- per seller record, buyer and (for lines below the cut) HTS number and unit: priced and low
  lines (the shipper rule). That needs the peer prices: the fitted history's, or without
  history the run's own priced seller lines, whose cut is only known once the run is read, so
  then each of those lines keeps its unit value and a code of its seller, buyer and HTS number;
- per importer record, its distinct entries, and line by line the entered value in the order
  declared: the fly-by-night value is added up in that order by the same aggregation as over
  the unfolded lines (a float sum depends on the order of its terms), so it is the same to the
  last bit however the run was cut.

What is kept grows with distinct parties, buyers and entries, plus twelve bytes per importer
line (and per priced seller line without history), never with the occurrence rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from tradeguard.network.findings import importer_volume
from tradeguard.network.records import RECORD_SCHEMA
from tradeguard.network.shippers import PRICED_KINDS, ShipperRule, peer_prices, with_price_flags

# Folded rows waiting are folded into the rest once they outnumber it (and at least this many).
REFOLD_ROWS = 100_000


def own_strings(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its text copied out of the buffers it was cut from.

    A string column taken from a larger frame (a filter, join or group key of a part's
    occurrences) can keep that frame's whole text buffers alive; rows kept from one part to
    the next get their own, so each part's buffers go with the part."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if not text:
        return frame
    return frame.with_columns(pl.concat_str([pl.col(c), pl.lit("")]).alias(c) for c in text)


class Codebook:
    """Codes 0, 1, ... for the distinct keys met across parts, numbered as first met; the
    table keeps each key with the fields it was first met with."""

    def __init__(self, schema: Mapping[str, pl.DataType], key: Sequence[str]) -> None:
        self.key = list(key)
        self.table = pl.DataFrame(schema={**schema, "code": pl.UInt32()})

    def codes(self, frame: pl.DataFrame) -> pl.Series:
        """The code of each row's key, in row order (keys never met get new codes)."""
        fields = [c for c in self.table.columns if c != "code"]
        if len(self.key) == 1:  # the same rows as ``unique``, without regrouping them
            met = frame.select(fields).filter(pl.col(self.key[0]).is_first_distinct())
        else:
            met = frame.select(fields).unique(self.key, keep="first", maintain_order=True)
        new = met.join(self.table, on=self.key, how="anti", nulls_equal=True)
        if not new.is_empty():
            numbered = own_strings(new).with_row_index("code", offset=self.table.height)
            self.table = pl.concat([self.table, numbered.select(self.table.columns)])
        return frame.select(self.key).join(
            self.table.select(*self.key, "code"), on=self.key, how="left",
            maintain_order="left", nulls_equal=True).get_column("code")


class Folder:
    """Rows folded by key as parts arrive (``how``: column -> ``sum``, ``min`` or ``max``;
    none: the distinct keys). Folded parts wait until they outnumber what is folded, so the
    folder holds about twice the distinct keys and refolds a logarithmic number of times."""

    def __init__(self, key: Sequence[str], how: Mapping[str, str], *,
                 refold_rows: int = REFOLD_ROWS) -> None:
        self.key = list(key)
        self.how = dict(how)
        self.refold_rows = refold_rows
        self._folded: pl.DataFrame | None = None
        self._waiting: list[pl.DataFrame] = []
        self._waiting_rows = 0

    def _fold(self, frame: pl.DataFrame) -> pl.DataFrame:
        if not self.how:
            return frame.select(self.key).unique()
        return frame.group_by(self.key).agg(
            *[getattr(pl.col(c), h)() for c, h in self.how.items()])

    def add(self, frame: pl.DataFrame) -> None:
        """Fold ``frame`` (the key and ``how`` columns) into the rows kept."""
        part = own_strings(self._fold(frame))
        self._waiting.append(part)
        self._waiting_rows += part.height
        held = 0 if self._folded is None else self._folded.height
        if self._waiting_rows > max(held, self.refold_rows):
            self._refold()

    def _refold(self) -> None:
        frames = ([] if self._folded is None else [self._folded]) + self._waiting
        self._folded = self._fold(pl.concat(frames)) if len(frames) > 1 else frames[0]
        self._waiting, self._waiting_rows = [], 0

    @property
    def met(self) -> bool:
        """Whether any row was added."""
        return self._folded is not None or bool(self._waiting)

    def folded(self) -> pl.DataFrame:
        """One row per key met."""
        if self._waiting:
            self._refold()
        if self._folded is None:
            raise ValueError("nothing was folded")
        return self._folded


class PartyTally:
    """What the cluster rules need of a run's current occurrences, filled part by part.

    ``peers``: the fitted history's peer prices (:func:`peer_prices`); None when the run's
    own priced seller lines are the peer group.
    """

    def __init__(self, peers: pl.DataFrame | None) -> None:
        self.peers = peers
        self.records = Codebook({"record_id": pl.String(), **RECORD_SCHEMA}, ["record_id"])
        self.parties = Folder(["code", "importer", "dated"],
                              {"n": "sum", "date": "min", "last_date": "max"})
        self.entries = Folder(["code", "entry_number"], {})
        self.values: list[pl.DataFrame] = []
        # With fitted peers: priced seller lines folded. Without: kept line by line.
        self.priced = Folder(["code", "importer", "price_key"], {"priced": "sum", "low": "sum"})
        self.sales = Codebook({"record": pl.UInt32(), "importer": pl.String(),
                               "price_key": pl.String()}, ["record", "importer", "price_key"])
        self.unit_values: list[pl.DataFrame] = []

    @property
    def empty(self) -> bool:
        """No party was declared in the parts added."""
        return self.records.table.is_empty()

    def add(self, occ: pl.DataFrame) -> None:
        """Fold one part's occurrences (:func:`~tradeguard.network.records.occurrences_of`)."""
        occ = occ.with_columns(self.records.codes(occ.select("record_id", *RECORD_SCHEMA)))
        self.parties.add(occ.select("code", "importer", pl.col("date").is_not_null()
                                    .alias("dated"), "n", "date", "last_date"))
        imp = occ.filter(pl.col("kind") == "importer")
        self.entries.add(imp.select("code", "entry_number"))
        self.values.append(imp.select("code", "entered_value_usd"))
        # Only a seller line with an HTS number and a positive unit value can be priced.
        sold = occ.filter(pl.col("kind").is_in(PRICED_KINDS) & pl.col("price_key").is_not_null()
                          & (pl.col("unit_value") > 0))
        if self.peers is not None:
            flagged = with_price_flags(sold, self.peers).filter(pl.col("priced") > 0)
            self.priced.add(flagged.select(
                "code", "importer", pl.when(pl.col("low") > 0).then("price_key")
                .alias("price_key"), "priced", "low"))
        else:
            sale = self.sales.codes(sold.select(pl.col("code").alias("record"), "importer",
                                                "price_key"))
            self.unit_values.append(sold.select(sale.alias("sale"), "unit_value"))

    def priced_sales(self, rule: ShipperRule) -> pl.DataFrame:
        """Priced seller lines per seller record, buyer and (for low lines) HTS number and
        unit: ``priced`` and ``low`` counts."""
        if self.peers is not None:
            return self.priced.folded() if self.priced.met else self._no_sales()
        if not self.unit_values:
            return self._no_sales()
        sales = self.sales.table
        lines = pl.concat(self.unit_values).join(
            sales.select(pl.col("code").alias("sale"), "price_key"), on="sale",
            how="left", maintain_order="left")
        peers = peer_prices(lines.with_columns(pl.lit("seller").alias("kind")), rule)
        counts = with_price_flags(lines, peers).filter(pl.col("priced") > 0).group_by(
            "sale").agg(pl.col("priced").sum(), pl.col("low").sum())
        return counts.join(sales.rename({"code": "sale"}), on="sale").select(
            pl.col("record").alias("code"), "importer",
            pl.when(pl.col("low") > 0).then("price_key").alias("price_key"), "priced", "low")

    @staticmethod
    def _no_sales() -> pl.DataFrame:
        return pl.DataFrame(schema={"code": pl.UInt32(), "importer": pl.String(),
                                    "price_key": pl.String(), "priced": pl.Int64(),
                                    "low": pl.Int64()})

    def current_rows(self, cluster: pl.DataFrame, rule: ShipperRule) -> pl.DataFrame:
        """Folded current occurrences as the cluster rules read them: the record's fields,
        its ``cluster`` (``cluster``: ``code`` -> ``cluster``), buyer, counts and dates."""
        fields = self.records.table.select("code", *RECORD_SCHEMA).join(cluster, on="code")
        parties = self.parties.folded().drop("dated").join(fields, on="code")
        sales = self.priced_sales(rule).join(fields, on="code")
        return pl.concat([parties, sales], how="diagonal_relaxed").drop("code").with_columns(
            pl.lit(False).alias("history"))

    def volume(self, cluster: pl.DataFrame, version: str) -> pl.DataFrame:
        """:func:`~tradeguard.network.findings.importer_volume` of the run's importer lines,
        from the entries and values kept (``cluster``: ``code`` -> ``cluster``)."""
        ids = cluster.select("code", "cluster")
        # The value is added by the very aggregation that adds it over unfolded lines, over
        # the same values in the same order: a float sum depends on both.
        lines = pl.concat(self.values).join(ids, on="code", how="left", maintain_order="left")
        value = importer_volume(lines.select(
            "cluster", pl.lit(None, dtype=pl.String).alias("entry_number"),
            "entered_value_usd", pl.lit(None, dtype=pl.Date).alias("date"),
            pl.lit(version).alias("linkage_version"))).select("cluster", "value_usd")
        entries = self.entries.folded().join(ids, on="code").select(
            "cluster", "entry_number").unique().group_by("cluster").agg(
            pl.len().alias("entries"))
        importers = self.records.table.filter(pl.col("kind") == "importer").select("code")
        dates = self.parties.folded().join(importers, on="code").join(ids, on="code").group_by(
            "cluster").agg(pl.col("date").min().alias("first_entry"),
                           pl.col("last_date").max().alias("last_entry"))
        return entries.join(value, on="cluster").join(dates, on="cluster").select(
            "cluster", "entries", "value_usd", "first_entry",
            pl.lit(version).alias("linkage_version"), "last_entry")
