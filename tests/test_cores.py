"""Sharing the machine: workers per core, threads per worker, freed memory returned."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tradeguard import cores


def test_threads_are_shared_out_between_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cores, "default_workers", lambda: 8)
    assert set(cores.worker_threads(2).values()) == {"4"}
    assert set(cores.worker_threads(16).values()) == {"1"}
    assert set(cores.worker_threads(2)) == set(cores.THREAD_VARIABLES)


def test_allocator_setting_is_a_default_an_operator_can_override(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cores.ALLOCATOR_VARIABLE, raising=False)
    cores.return_freed_memory()
    import os

    assert os.environ[cores.ALLOCATOR_VARIABLE] == cores.ALLOCATOR_SETTINGS
    monkeypatch.setenv(cores.ALLOCATOR_VARIABLE, "dirty_decay_ms:5000")
    cores.return_freed_memory()
    assert os.environ[cores.ALLOCATOR_VARIABLE] == "dirty_decay_ms:5000"
    # A parent that imported Polars passes on Polars' own defaults: ours go after them (the
    # allocator reads options left to right, the last one wins).
    monkeypatch.setenv(cores.ALLOCATOR_VARIABLE, "dirty_decay_ms:500,muzzy_decay_ms:-1")
    cores.return_freed_memory()
    assert os.environ[cores.ALLOCATOR_VARIABLE] == (
        "dirty_decay_ms:500,muzzy_decay_ms:-1," + cores.ALLOCATOR_SETTINGS)


def test_the_command_line_sets_it_before_polars_loads() -> None:
    code = ("import os, sys; import tradeguard.cli; "
            "print('polars' in sys.modules, os.environ.get('_RJEM_MALLOC_CONF'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PATH": ""}).stdout.split()
    assert out == ["False", cores.ALLOCATOR_SETTINGS]
