"""Serving from one process per core, each with its own fitted scorer.

Scoring is CPU-bound Python and Polars work: one process keeps about one core busy, so a
service answers on every core only with one worker process per core (uvicorn's ``workers``),
each running Polars, LightGBM (OpenMP) and BLAS on its share of the cores. The parent checks
the settings and migrates the database once; each worker then builds its app from the same
settings (the environment, as :func:`tradeguard.settings.get_settings` reads it) and fits its
scorer before it takes requests (``ApiConfig.warm_scorer``).

In-process state stays per worker: the rate limiter's buckets (a deployment puts a shared
limiter in front, see :mod:`tradeguard.api.limits`) and caches. Jobs and everything else a
client reads back live in the database, so any worker can answer for them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

#: Where the parent tells its workers which model artifact to score with.
MODEL_ENV = "TRADEGUARD_SERVE_MODEL"


def default_workers() -> int:
    """One worker per core the process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without CPU affinity
        return max(1, os.cpu_count() or 1)


def worker_threads(workers: int) -> dict[str, str]:
    """Thread counts for each worker's native libraries: its share of the cores.

    With one process per core, extra threads only wait on each other. OpenMP matters most:
    LightGBM's predict starts its thread team on every call, about 8 ms of CPU for one entry
    with two threads against 0.02 ms with one.
    """
    share = str(max(1, default_workers() // max(1, workers)))
    return {name: share for name in (
        "POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def app_from_environment() -> FastAPI:
    """The app of one worker: settings from the environment, scorer fitted at start-up."""
    from tradeguard.api.app import create_app
    from tradeguard.api.config import ApiConfig
    from tradeguard.settings import get_settings

    model = os.environ.get(MODEL_ENV)
    return create_app(get_settings(), config=ApiConfig(
        model_dir=Path(model) if model else None, warm_scorer=True))


def serve_workers(host: str, port: int, workers: int, *, db: str | None = None,
                  model: Path | None = None, log_level: str = "info") -> None:
    """Run ``workers`` processes of :func:`app_from_environment` on ``host:port``.

    ``db`` and ``model`` are passed to the workers through the environment, and so are the
    thread counts of :func:`worker_threads` (unless already set).
    """
    import uvicorn

    if db:
        os.environ["TRADEGUARD_DB"] = db
    if model is not None:
        os.environ[MODEL_ENV] = str(model.resolve())
    for name, value in worker_threads(workers).items():
        os.environ.setdefault(name, value)
    uvicorn.run(f"{__name__}:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level=log_level)
