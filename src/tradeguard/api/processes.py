"""Serving from one process per core, each with its own fitted scorer.

Scoring is CPU-bound Python and Polars work: one process keeps about one core busy, so a
service answers on every core only with one worker process per core (uvicorn's ``workers``),
each running Polars, LightGBM (OpenMP) and BLAS on its share of the cores. The parent checks
the settings and migrates the database once; each worker then builds its app from the same
settings (the environment, as :func:`tradeguard.settings.get_settings` reads it) and fits its
scorer before it takes requests (``ApiConfig.warm_scorer``).

Each worker listens on a socket of its own bound to the same port, so the kernel deals
connections out over the workers evenly (see :mod:`tradeguard.worker_sockets`).

In-process state stays per worker: the rate limiter's buckets (a deployment puts a shared
limiter in front, see :mod:`tradeguard.api.limits`) and caches. Jobs and everything else a
client reads back live in the database, so any worker can answer for them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tradeguard.cores import default_workers, worker_threads
from tradeguard.worker_sockets import run_workers

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["MODEL_ENV", "app_from_environment", "default_workers", "run_workers",
           "serve_workers", "worker_threads"]

#: Where the parent tells its workers which model artifact to score with.
MODEL_ENV = "TRADEGUARD_SERVE_MODEL"


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
    if db:
        os.environ["TRADEGUARD_DB"] = db
    if model is not None:
        os.environ[MODEL_ENV] = str(model.resolve())
    for name, value in worker_threads(workers).items():
        os.environ.setdefault(name, value)
    run_workers(f"{__name__}:app_from_environment", host, port, workers, log_level=log_level)
