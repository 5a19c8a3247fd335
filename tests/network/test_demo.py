"""On a generated demo set: every planted network is one cluster and raises a finding."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tradeguard.demo import generate_demo_data
from tradeguard.network import PartyNetwork, build_network
from tradeguard.refdata import load_reference_data

# Which declared party carries each kind of planted network.
CARRIER = {"importer_ring_shared_identity": "importer", "fly_by_night_importer": "importer",
           "mid_churn_one_factory": "manufacturer", "foreign_shipper_cluster": "seller"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[PartyNetwork, pl.DataFrame]:
    out: Path = tmp_path_factory.mktemp("demo_network")
    generate_demo_data(out, entries=2000, seed=5, ref=load_reference_data())

    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(out / f"{name}.csv", infer_schema_length=0)

    net = build_network(read("entries"), read("lines"), read("packages"),
                        history_entries=read("history_entries"),
                        history_lines=read("history_lines"), outcomes=read("outcomes"))
    truth = read("truth").filter((pl.col("category") == "network")
                                 & (pl.col("record_kind") == "line")).with_columns(
        pl.col("line_number").cast(pl.Int64))
    return net, truth


@pytest.mark.slow
def test_each_planted_network_is_one_cluster(demo: tuple[PartyNetwork, pl.DataFrame]) -> None:
    net, truth = demo
    assert truth["scheme_id"].n_unique() >= 6
    occ = net.occurrences.join(net.records.select("record_id", "cluster"), on="record_id")
    for (scheme_id, scheme), group in truth.group_by("scheme_id", "scheme"):
        members = occ.join(group.select("entry_number", "line_number"),
                           on=["entry_number", "line_number"]).filter(
            pl.col("kind") == CARRIER[str(scheme)])
        assert members.height > 0, scheme_id
        assert members["cluster"].n_unique() == 1, (scheme_id, members["name"].unique())


@pytest.mark.slow
def test_each_planted_network_raises_network_findings(
        demo: tuple[PartyNetwork, pl.DataFrame]) -> None:
    net, truth = demo
    found = net.findings.filter(pl.col("category") == "network").select(
        "entry_number", "line_number").unique().with_columns(pl.lit(True).alias("hit"))
    hit = truth.join(found, on=["entry_number", "line_number"], how="left")
    per_scheme = hit.group_by("scheme_id").agg(pl.col("hit").fill_null(False).mean())
    assert per_scheme["hit"].min() >= 0.9, per_scheme  # type: ignore[operator]
