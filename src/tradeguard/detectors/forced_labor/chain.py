"""The declared supply chain as a graph: suppliers of each line, and paths down to the line.

Each supply-chain row is a node bound to one entry line (rows with an empty line number apply
to every line of their entry). A tier-k supplier links to the party it sells to: the tier k-1
supplier named in ``buyer_name`` or, when the buyer is not named, the only supplier declared
one tier lower. Paths are walked with joins, one tier per step, never row by row, so an
officer sees the chain from the imported line up to the listed or Xinjiang supplier.
"""

from __future__ import annotations

import polars as pl

from tradeguard.detectors.forced_labor.report import fmt

REQUIRED = ("entry_number", "tier", "supplier_name")


def _text(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    return pl.col(name).cast(pl.String)


def _key(expr: pl.Expr) -> pl.Expr:
    """Names compared for links: case, spacing and punctuation do not matter."""
    return expr.str.to_lowercase().str.replace_all(r"[^\w]+", " ").str.strip_chars()


def expand_chain(lines: pl.DataFrame, supply_chain: pl.DataFrame | None) -> pl.DataFrame:
    """Supply-chain nodes of the batch's lines (``node, entry_number, line_number, tier, ...``).

    Raises ValueError naming the field when a required supply-chain column is missing.
    """
    schema = {
        "node": pl.UInt32(),
        "entry_number": pl.String(),
        "line_number": pl.Int64(),
        "entry_date": pl.Date(),
        "tier": pl.Int64(),
        "name": pl.String(),
        "country": pl.String(),
        "address": pl.String(),
        "buyer_name": pl.String(),
        "material": pl.String(),
    }
    if supply_chain is None or supply_chain.is_empty():
        return pl.DataFrame(schema=schema)
    missing = [c for c in REQUIRED if c not in supply_chain.columns]
    if missing:
        raise ValueError(f"supply_chain: missing required field(s) {missing}")
    rows = supply_chain.select(
        pl.col("entry_number").cast(pl.String),
        (
            pl.col("line_number").cast(pl.Int64, strict=False)
            if "line_number" in supply_chain.columns
            else pl.lit(None, dtype=pl.Int64)
        ).alias("sc_line"),
        pl.col("tier").cast(pl.Int64, strict=False),
        name=_text(supply_chain, "supplier_name"),
        country=_text(supply_chain, "supplier_country"),
        address=_text(supply_chain, "supplier_address"),
        buyer_name=_text(supply_chain, "buyer_name"),
        material=_text(supply_chain, "material"),
    ).filter(pl.col("name").is_not_null() & pl.col("tier").is_not_null())
    keys = lines.select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64), "entry_date"
    )
    per_line = rows.filter(pl.col("sc_line").is_not_null()).join(
        keys, left_on=["entry_number", "sc_line"], right_on=["entry_number", "line_number"]
    ).with_columns(line_number=pl.col("sc_line"))
    whole_entry = rows.filter(pl.col("sc_line").is_null()).drop("sc_line").join(
        keys, on="entry_number"
    )
    nodes = pl.concat([per_line.drop("sc_line"), whole_entry], how="diagonal_relaxed")
    return nodes.select([c for c in schema if c != "node"]).with_row_index("node")


def _label(tier: pl.Expr) -> pl.Expr:
    place = pl.coalesce(pl.col("address"), pl.col("country"), pl.lit("?"))
    return fmt("tier {}: {} ({})", tier, pl.col("name"), place)


def trace_paths(
    nodes: pl.DataFrame, flagged: pl.DataFrame, manufacturers: pl.DataFrame, max_tiers: int
) -> pl.DataFrame:
    """Path from each flagged node down to its line: ``node, path (list[str]), path_complete``.

    ``flagged`` holds ``node``; ``manufacturers`` holds ``entry_number, line_number,
    manufacturer_name``. The path starts at the line's manufacturer and ends at the flagged
    supplier; it is complete when every tier down to tier 1 was linked.
    """
    line_key = ["entry_number", "line_number"]
    if nodes.is_empty() or flagged.is_empty():
        # Nothing upstream to trace (a line without a declared chain, or no flagged supplier).
        return pl.DataFrame(schema={"node": nodes.schema["node"], "path": pl.List(pl.String),
                                    "path_complete": pl.Boolean})
    # A path never leaves its line: only the lines of flagged nodes (a few hundred of the
    # batch's 50,000) are read.
    mine = flagged.select("node").join(nodes, on="node").select(line_key).unique()
    nodes = nodes.join(mine, on=line_key, how="semi")
    manufacturers = manufacturers.join(mine, on=line_key, how="semi")
    links = nodes.select(
        *line_key,
        link_tier=pl.col("tier"),
        link_key=_key(pl.col("name")),
        link_buyer=_key(pl.col("buyer_name")),
        link_label=_label(pl.col("tier")),
    )
    only_one = links.filter(pl.len().over([*line_key, "link_tier"]) == 1)
    state = flagged.select("node").join(nodes, on="node").select(
        "node",
        *line_key,
        cur_tier=pl.col("tier"),
        cur_buyer=_key(pl.col("buyer_name")),
        path=pl.concat_list(_label(pl.col("tier"))),
    )
    done = [state.filter(pl.col("cur_tier") <= 1)]
    moving = state.filter(pl.col("cur_tier") > 1)
    for _ in range(max_tiers):
        if moving.is_empty():
            break
        by_name = (
            moving.join(
                links, left_on=[*line_key, "cur_buyer"], right_on=[*line_key, "link_key"]
            )
            .filter(pl.col("link_tier") < pl.col("cur_tier"))
            .sort("link_tier", descending=True)
            .unique("node", keep="first")
        )
        rest = moving.join(by_name.select("node"), on="node", how="anti")
        by_tier = rest.with_columns(want=pl.col("cur_tier") - 1).join(
            only_one.drop("link_key"),
            left_on=[*line_key, "want"],
            right_on=[*line_key, "link_tier"],
        ).with_columns(link_tier=pl.col("want")).drop("want")
        stepped = pl.concat(
            [by_name, by_tier], how="diagonal_relaxed"
        ).select(
            "node",
            *line_key,
            cur_tier=pl.col("link_tier"),
            cur_buyer=pl.col("link_buyer"),
            path=pl.col("path").list.concat(pl.concat_list("link_label")),
        )
        done.append(moving.join(stepped.select("node"), on="node", how="anti"))
        done.append(stepped.filter(pl.col("cur_tier") <= 1))
        moving = stepped.filter(pl.col("cur_tier") > 1)
    done.append(moving)
    traced = pl.concat(done, how="vertical_relaxed")
    maker = manufacturers.select(
        *line_key,
        maker=fmt(
            "manufacturer: {}", pl.col("manufacturer_name").fill_null("(not declared)")
        ),
    ).unique(line_key)
    return traced.join(maker, on=line_key, how="left").select(
        "node",
        path=pl.concat_list(pl.col("maker"), pl.col("path").list.reverse()),
        path_complete=pl.col("cur_tier") <= 1,
    )
