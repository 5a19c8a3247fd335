"""One demo data set shared by the pipeline tests (generating it takes a couple of seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeguard.demo import generate_demo_data


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out, entries=3000, seed=11)
    return out
