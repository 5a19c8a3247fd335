"""Connected components of the link graph of a run's new records: every node labelled with
the smallest node of its component, as a graph library finds the components."""

from __future__ import annotations

import random

import networkx as nx
import polars as pl
import pytest

from tradeguard.network.incremental import components


def expected(edges: list[tuple[str, str]]) -> dict[str, str]:
    graph = nx.Graph()
    graph.add_edges_from(edges)
    return {node: min(part) for part in nx.connected_components(graph) for node in part}


def labels(edges: list[tuple[str, str]]) -> dict[str, str]:
    frame = components(pl.DataFrame(edges, schema=["a", "b"], orient="row"))
    assert frame.get_column("node").is_unique().all()
    return dict(frame.iter_rows())


@pytest.mark.parametrize("seed", range(5))
def test_components_of_random_graphs(seed: int) -> None:
    rng = random.Random(seed)
    names = [f"r{rng.randrange(10**6):06d}" for _ in range(300)]
    edges = [(n, n) for n in names]  # every node on its own, as each new record is
    edges += [(rng.choice(names), rng.choice(names)) for _ in range(250)]
    assert labels(edges) == expected(edges)


def test_a_long_chain_numbered_against_its_order_is_one_component() -> None:
    # Each link joins the next name down: labels must travel the whole chain.
    names = [f"{i:04d}" for i in range(500)]
    edges = [(names[i], names[i - 1]) for i in range(499, 0, -1)]
    edges += [("x1", "x2"), ("x2", "x0")]
    got = labels(edges)
    assert set(got.values()) == {"0000", "x0"}
    assert got == expected(edges)


def test_no_edges_no_components() -> None:
    frame = components(pl.DataFrame(schema={"a": pl.String, "b": pl.String}))
    assert frame.is_empty() and frame.columns == ["node", "label"]
