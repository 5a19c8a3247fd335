"""Service limits and switches, with defaults a pilot can run on unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ApiConfig:
    """Limits and options of one running service.

    ``rate_per_second``/``rate_burst`` bound each client (user, API key or address) with a
    token bucket; ``max_body_bytes`` bounds JSON bodies and ``max_upload_bytes`` file uploads.
    ``model_dir`` points at a model artifact folder used by the synchronous scorer.
    ``warm_scorer`` fits that scorer and scores the latest stored entries (once as a batch,
    then one at a time, answers dropped) while the service starts, so the first requests do
    not wait for fitting or for the lookups the request paths build on first use; a served
    process sets it, tests that never score leave it off; what start-up built is then frozen
    out of the cyclic garbage collector (``gc.freeze``), so its full passes see only what
    requests create. ``max_waiting_scores`` bounds the single-entry score requests a process
    holds at once (scoring or waiting to): past it a request is answered 503 with Retry-After
    at once, rather than queued until its client has given up and then scored for nobody
    while newer requests wait behind it.
    """

    rate_per_second: float = 20.0
    rate_burst: int = 60
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 50_000_000
    token_ttl_seconds: int = 8 * 3600
    cookie_secure: bool = False
    model_dir: Path | None = None
    max_page_size: int = 500
    max_score_lines: int = 999
    warm_scorer: bool = False
    max_waiting_scores: int = 16
