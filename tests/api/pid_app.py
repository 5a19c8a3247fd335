"""A tiny app whose one route answers with the serving process's id (worker-socket tests)."""

from __future__ import annotations

import os

from fastapi import FastAPI


def pid_app() -> FastAPI:
    """App factory, as ``run_workers`` takes one."""
    app = FastAPI()

    @app.get("/pid")
    def pid() -> int:
        return os.getpid()

    return app
