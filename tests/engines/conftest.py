"""Fixtures for the engine tests: one small demo set, a model trained on it, the one-frame
chain's result on it, and one Spark session for the whole test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest


@dataclass(frozen=True)
class DemoSet:
    """Files of a generated demo set and the trained model folder."""

    folder: Path
    model: Path

    def sources(self) -> Any:
        """The set's contract files as one batch run's sources."""
        from tradeguard.engines import BatchSources

        f = self.folder
        return BatchSources(f / "entries.csv", f / "lines.csv", f / "history_entries.csv",
                            f / "history_lines.csv", f / "supply_chain.csv",
                            f / "outcomes.csv")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSet:
    """600 demo entries with three months of history and a model trained on them."""
    from tradeguard.demo import generate_demo_data
    from tradeguard.model import save_artifact
    from tradeguard.pipeline.training import train_line_model

    folder = tmp_path_factory.mktemp("engines-demo")
    generate_demo_data(folder, entries=600, seed=11, history_months=3)
    read = {k: pl.read_csv(folder / f"{k}.csv", infer_schema_length=0) for k in
            ("entries", "lines", "outcomes", "history_entries", "history_lines")}
    artifact = train_line_model(read["entries"], read["lines"], read["outcomes"],
                                read["history_entries"], read["history_lines"])
    save_artifact(artifact, folder / "model")
    return DemoSet(folder, folder / "model")


@pytest.fixture(scope="session")
def one_frame(demo: DemoSet, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """``score_declarations`` on the demo set, read as the ``score`` command reads it."""
    from tradeguard.model import load_artifact
    from tradeguard.pipeline import score_declarations
    from tradeguard.pipeline.inputs import read_contract_file
    from tradeguard.targeting import output_frame

    q, d = tmp_path_factory.mktemp("one-frame"), demo.folder
    ent = read_contract_file(d / "entries.csv", "entries", q)
    known = ent.frame.get_column("entry_number")
    lin = read_contract_file(d / "lines.csv", "lines", q, entries=known)
    sc = read_contract_file(d / "supply_chain.csv", "supply_chain", q, entries=known)
    he = read_contract_file(d / "history_entries.csv", "entries", q)
    hl = read_contract_file(d / "history_lines.csv", "lines", q,
                            entries=he.frame.get_column("entry_number"))
    oc = read_contract_file(d / "outcomes.csv", "outcomes", q)
    result = score_declarations(ent.frame, lin.frame, supply_chain=sc.frame,
                                history_entries=he.frame, history_lines=hl.frame,
                                outcomes=oc.frame, model=load_artifact(demo.model))
    return output_frame(result.assessments)


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[Any]:
    """One local Spark session (2 threads, small shuffles, no UI), stopped at the end."""
    pytest.importorskip("pyspark")
    from tradeguard.engines.spark import SparkEngine

    engine = SparkEngine.start("local[2]")
    yield engine
    engine.session.stop()
