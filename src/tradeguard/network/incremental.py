"""Linking the party records a run declares that the fitted resolution has never seen.

:func:`~tradeguard.network.linkage.resolve_parties` clusters the history's records once, at
fit time; a run then only links its new spellings (:func:`link_new_records`): Splink scores
the pairs a new record takes part in, and the new records join, or join up, the known
clusters along the links (:func:`components`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradeguard.network.linkage import (
    KEY_COLUMNS,
    LinkageConfig,
    _linker,
    _no_links,
    _scored_links,
    _with_block_keys,
    _with_word_rarity,
    record_keys,
)
from tradeguard.network.records import FAMILY, RECORD_SCHEMA


def _neighbours(both: pl.DataFrame) -> pl.Expr:
    """Whether a record is new or shares a block with a new record (Splink's candidate pairs
    of a new record are only ever among these)."""
    new = both.filter(pl.col("new"))
    near = [both.join(new.select("family", key).drop_nulls().unique(), on=["family", key],
                      how="semi").select("rid") for key in ("id_block", "addr_block")]
    words = new.select("family", "country_key", "block_words").explode("block_words") \
        .drop_nulls().unique()
    near.append(both.select("rid", "family", "country_key", "block_words").explode(
        "block_words").join(words, on=["family", "country_key", "block_words"], how="semi")
        .select("rid"))
    return pl.col("new") | pl.col("rid").is_in(pl.concat(near)["rid"].unique().implode())


def components(edges: pl.DataFrame) -> pl.DataFrame:
    """Connected components of ``edges`` (a, b): every node with the smallest node of its
    component as ``label``.

    Nodes are numbered in sorted order, so the smallest number is the smallest node. Each
    round hooks the larger of the two roots an edge joins onto the smaller and then points
    every node at its root; a root only ever moves to a smaller number, so when no edge
    joins two roots each component's root is its smallest node. Rounds are few (about the
    logarithm of the longest chain of links), each a handful of array operations.
    """
    nodes = pl.concat([edges.get_column("a"), edges.get_column("b")]).unique().sort()
    number = nodes.to_frame("node").with_row_index("id")
    ends = edges.select("a", "b").join(number.rename({"node": "a", "id": "ia"}), on="a").join(
        number.rename({"node": "b", "id": "ib"}), on="b")
    a = ends.get_column("ia").to_numpy().astype(np.int64)
    b = ends.get_column("ib").to_numpy().astype(np.int64)
    root = np.arange(nodes.len(), dtype=np.int64)
    while True:
        ra, rb = root[a], root[b]
        apart = ra != rb
        if not apart.any():
            break
        np.minimum.at(root, np.maximum(ra[apart], rb[apart]), np.minimum(ra[apart], rb[apart]))
        while True:  # every node straight to its root
            up = root[root]
            if np.array_equal(up, root):
                break
            root = up
    return pl.DataFrame({"node": nodes, "label": nodes.gather(root)})


def link_new_records(new: pl.DataFrame, known: pl.DataFrame,
                     config: LinkageConfig | None = None
                     ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Link records not seen when ``known`` was resolved to it and to each other.

    ``known`` is :func:`~tradeguard.network.linkage.resolve_parties` output
    (:data:`~tradeguard.network.linkage.KEY_COLUMNS` and ``cluster``). Word rarity and block
    sizes are counted over both sets, as a resolution of all records would count them; Splink
    then scores only the pairs a new record takes part in, among the new records and the
    known records sharing a block with one, with the configured levels (a trained model's
    estimates stay with the resolution that trained them). A new record joins the cluster it
    links to; a new record linking two known clusters joins them (a merged cluster is named,
    as every cluster is, by its smallest record id).

    Returns (``record_id``, ``cluster``) of every new record, (``cluster``, ``merged``) of
    the known clusters merged into another, and the links of new records.
    """
    import duckdb

    cfg = config or LinkageConfig()
    links = _no_links()
    if new.is_empty():
        return (pl.DataFrame(schema={"record_id": pl.String, "cluster": pl.String}),
                pl.DataFrame(schema={"cluster": pl.String, "merged": pl.String}), links)
    keys = record_keys(new.select("record_id", *RECORD_SCHEMA)).with_columns(
        pl.col("kind").replace_strict(FAMILY, default="other").alias("family"))
    both = pl.concat([known.select(*KEY_COLUMNS, pl.lit(False).alias("new")),
                      keys.select(*KEY_COLUMNS, pl.lit(True).alias("new"))],
                     how="vertical_relaxed").with_row_index("rid").with_columns(
        pl.col("country").fill_null("").alias("country_key"))
    both = _with_block_keys(_with_word_rarity(both, cfg), cfg)
    subset = both.filter(_neighbours(both))
    if subset.height >= 2:
        connection = duckdb.connect()
        try:
            scored, _ = _scored_links(_linker(subset, cfg, connection, new_only=True), cfg)
        finally:
            connection.close()
        ids = subset.select(pl.col("rid").cast(pl.UInt32), "record_id", "new")
        links = scored.join(ids.rename({"rid": "left", "record_id": "left_id", "new": "l"}),
                            on="left").join(
            ids.rename({"rid": "right", "record_id": "right_id", "new": "r"}), on="right"
        ).filter(pl.col("l") | pl.col("r")).select("left_id", "right_id", "probability")
    # Graph nodes: a known record stands for its cluster, a new record for itself.
    node = known.select("record_id", pl.col("cluster").alias("node"))

    def as_node(side: str) -> pl.Expr:
        return pl.coalesce(pl.col("node"), pl.col(side))

    edges = links.join(node, left_on="left_id", right_on="record_id", how="left").select(
        as_node("left_id").alias("a"), "right_id").join(
        node, left_on="right_id", right_on="record_id", how="left").select(
        "a", as_node("right_id").alias("b"))
    label = components(pl.concat([keys.select(pl.col("record_id").alias("a"),
                                              pl.col("record_id").alias("b")), edges]))
    assigned = keys.select("record_id").join(label, left_on="record_id", right_on="node"
                                             ).select("record_id", pl.col("label").alias(
                                                 "cluster"))
    merged = label.join(node.select("node").unique(), on="node").filter(
        pl.col("label") != pl.col("node")).select(pl.col("node").alias("cluster"),
                                                  pl.col("label").alias("merged"))
    return assigned, merged, links
