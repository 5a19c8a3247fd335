"""Latency of the single-entry scoring endpoint (``POST /api/v1/score``) over loopback.

Builds a demo installation (or reuses ``--dir``), serves it with uvicorn in a child process,
then measures: (1) service time, one request at a time; (2) an open-loop load at ``--rate``
requests per second for ``--seconds`` (requests are sent on schedule whether or not earlier
ones finished, so queueing shows in the latency). Bounded: at most rate x seconds requests,
each abandoned after ``--timeout`` seconds (counted as timed out, never dropped).

    .venv/bin/python bench/bench_api.py --out bench/results/api.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import polars as pl

SERVER = """
import sys, uvicorn
uvicorn.run("bench_api:bench_app", factory=True, host="127.0.0.1", port=int(sys.argv[1]),
            workers=int(sys.argv[2]), log_level="warning")
"""


def bench_app() -> Any:
    """The service over the demo folder in ``TRADEGUARD_BENCH_DIR`` (one per worker)."""
    from tradeguard.api import ApiConfig, create_app
    from tradeguard.api.demo_site import demo_settings

    d = Path(os.environ["TRADEGUARD_BENCH_DIR"])
    return create_app(demo_settings(d), config=ApiConfig(
        model_dir=d / "model", rate_per_second=100000, rate_burst=100000))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bodies(directory: Path, n: int) -> list[dict[str, Any]]:
    """``n`` distinct real entries of the demo as score requests."""
    entries = pl.read_csv(directory / "data" / "entries.csv", infer_schema=False)
    lines = pl.read_csv(directory / "data" / "lines.csv", infer_schema=False)
    out = []
    for e in entries.head(n).to_dicts():
        chosen = lines.filter(pl.col("entry_number") == e["entry_number"]).to_dicts()
        out.append({"entry": {k: v for k, v in e.items() if v is not None},
                    "lines": [{k: v for k, v in ln.items() if v is not None
                               and k != "entry_number"} for ln in chosen]})
    return out


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))]


async def _open_loop(url: str, headers: dict[str, str], bodies: list[dict[str, Any]],
                     rate: float, seconds: float, timeout: float) -> dict[str, Any]:
    count = int(rate * seconds)
    latencies: list[float] = []
    errors = timeouts = 0
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        async def one(i: int) -> None:
            nonlocal errors, timeouts
            await asyncio.sleep(i / rate)
            t = time.perf_counter()
            try:
                r = await client.post(url, json=bodies[i % len(bodies)], headers=headers)
            except httpx.TimeoutException:
                timeouts += 1
                return
            if r.status_code != 200:
                errors += 1
            latencies.append((time.perf_counter() - t) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        wall = time.perf_counter() - start
    done = len(latencies)
    return {"sent": count, "completed": done, "errors": errors, "timed_out": timeouts,
            "wall_s": round(wall, 2), "throughput_rps": round(done / wall, 1) if wall else 0,
            "p50_ms": round(_pct(latencies, 0.5), 1) if done else None,
            "p95_ms": round(_pct(latencies, 0.95), 1) if done else None,
            "p99_ms": round(_pct(latencies, 0.99), 1) if done else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=None, help="Existing demo folder to reuse.")
    ap.add_argument("--entries", type=int, default=100)
    ap.add_argument("--serial", type=int, default=20, help="Requests one at a time.")
    ap.add_argument("--rates", type=str, default="50,100,200",
                    help="Open-loop rates (requests/s), comma-separated, run in turn.")
    ap.add_argument("--seconds", type=float, default=2.0, help="Length of each open loop.")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes.")
    ap.add_argument("--stages", type=int, default=30,
                    help="Entries timed stage by stage in-process (0: skip).")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--out", type=Path, default=None, help="Write the markdown results here.")
    args = ap.parse_args()

    from tradeguard.api.demo_site import build_demo

    work = args.dir or Path(tempfile.mkdtemp(prefix="tradeguard-bench-"))
    if args.dir is None:
        site = build_demo(work, entries=args.entries, passwords={"officer": "bench-officer-pw"})
        password = site.users["officer"]["password"]
    else:
        password = os.environ["TRADEGUARD_BENCH_PASSWORD"]
    port = _port()
    threads = max(1, (os.cpu_count() or 1) // max(1, args.workers))
    env = {**os.environ, "TRADEGUARD_BENCH_DIR": str(work), "POLARS_MAX_THREADS": str(threads),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent),
                                          os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(args.workers)],
                              env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = httpx.post(f"{base}/api/v1/auth/token", data={
            "username": "officer", "password": password}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{base}/api/v1/score"
        # Warm-up (the scorer fits its baseline on first use); entries the contract rejects
        # (the demo plants some data errors) are left out of the timed requests.
        bodies = [b for b in _bodies(work, 40)
                  if httpx.post(url, json=b, headers=headers, timeout=300).status_code == 200]
        asyncio.run(_warm(url, headers, bodies, 4 * args.workers))
        serial: list[float] = []
        with httpx.Client(timeout=args.timeout) as client:
            for i in range(args.serial):
                t = time.perf_counter()
                client.post(url, json=bodies[i % len(bodies)], headers=headers).raise_for_status()
                serial.append((time.perf_counter() - t) * 1000)
        loads = [{"rate_rps": rate, "seconds": args.seconds, **asyncio.run(
            _open_loop(url, headers, bodies, rate, args.seconds, args.timeout))}
            for rate in (float(r) for r in args.rates.split(","))]
    finally:
        server.terminate()  # queued requests are abandoned, not waited for
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    result = {
        "serial": {"requests": len(serial), "p50_ms": round(_pct(serial, 0.5), 1),
                   "p99_ms": round(_pct(serial, 0.99), 1), "max_ms": round(max(serial), 1)},
        "open_loop": loads,
        "workers": args.workers, "polars_threads": threads,
        "stages": _stages(work, args.stages) if args.stages else {},
        "target": {"p99_ms": 20, "rate_rps": 200},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}",
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(_markdown(result), encoding="utf-8")


def _warm(url: str, headers: dict[str, str], bodies: list[dict[str, Any]],
          n: int) -> Any:
    """Concurrent requests so every worker fits its scorer before anything is timed."""
    async def go() -> None:
        async with httpx.AsyncClient(timeout=300) as client:
            for _ in range(2):
                await asyncio.gather(*(client.post(url, json=bodies[i % len(bodies)],
                                                   headers=headers) for i in range(n)))
    return go()


def _stages(directory: Path, n: int) -> dict[str, float]:
    """Mean milliseconds per stage of one entry scored in-process (median of ``n`` entries)."""
    import statistics

    from tradeguard.api.config import ApiConfig
    from tradeguard.api.demo_site import demo_settings
    from tradeguard.api.records import stored_declarations
    from tradeguard.api.services import _scorer_from_store
    from tradeguard.detectors.base import DetectionContext
    from tradeguard.pipeline import declarations
    from tradeguard.rules import evaluate
    from tradeguard.store import open_store

    settings = demo_settings(directory)
    with open_store(settings.db) as store:
        scorer = _scorer_from_store(store.engine, ApiConfig(model_dir=directory / "model"))
        every = stored_declarations(store.engine)
    inner = scorer.scorer
    times: dict[str, list[float]] = {}

    def timed(stage: str, start: float) -> float:
        now = time.perf_counter()
        times.setdefault(stage, []).append((now - start) * 1000)
        return now

    for number in every.entries["entry_number"].head(n + 3).to_list():
        e = every.entries.filter(pl.col("entry_number") == number)
        ln = every.lines.filter(pl.col("entry_number") == number)
        t0 = t = time.perf_counter()
        decl = declarations(e, ln)
        t = timed("declarations", t)
        day = decl["entry_date"].max()
        assert isinstance(day, date)
        ctx = DetectionContext(ref=inner.ref, as_of=day)
        for name, detector in inner.fitted(day, decl):
            detector.detect(decl, ctx)
            t = timed(f"detector {name}", t)
        evaluate(inner.profiles, decl, on=day)
        timed("rules profiles", t)
        timed("declarations + detectors + rules", t0)
        t = time.perf_counter()
        inner.score(e, ln)
        timed("whole Scorer.score (adds model, risk, redaction, digest, lanes)", t)
    return {k: round(statistics.median(v[3:]), 1) for k, v in times.items()}


def _markdown(r: dict[str, Any]) -> str:
    s = r["serial"]
    rows = "\n".join(
        f"| {o['rate_rps']:.0f} | {o['sent']} | {o['completed']} | {o['timed_out']} | "
        f"{o['errors']} | {o['p50_ms']} | {o['p95_ms']} | {o['p99_ms']} | "
        f"{o['throughput_rps']} |" for o in r["open_loop"])
    stages = "\n".join(f"| {k} | {v} |" for k, v in r["stages"].items())
    at200 = [o for o in r["open_loop"] if o["rate_rps"] == 200]
    met = bool(at200) and at200[0]["p99_ms"] is not None and at200[0]["p99_ms"] <= 20 \
        and at200[0]["timed_out"] == 0
    return f"""# API benchmark: single-entry scoring (`POST /api/v1/score`)

Command: `.venv/bin/python bench/bench_api.py --out bench/results/api.md`
Machine: {r["machine"]} (2 cores shared with other work, 24 GiB). Demo of 100 entries,
served by uvicorn ({r["workers"]} workers, POLARS_MAX_THREADS={r["polars_threads"]}) over
loopback; each request is one real demo entry (1 to 5 lines) scored through the whole chain
with the trained model. Open loop: requests sent on schedule whether or not earlier ones
finished, each abandoned after 30 s (counted as timed out).

Service time, one request at a time ({s["requests"]} requests): p50 {s["p50_ms"]} ms,
p99 {s["p99_ms"]} ms, max {s["max_ms"]} ms.

| rate (req/s) | sent | completed | timed out | errors | p50 ms | p95 ms | p99 ms | \
throughput req/s |
|---|---|---|---|---|---|---|---|---|
{rows}

Target (p99 <= 20 ms at 200 req/s): {"met" if met else "NOT met"}.

Where the time goes: one entry scored in-process (no HTTP), stage by stage, median ms
over the timed entries:

| stage | ms |
|---|---|
{stages}
"""


if __name__ == "__main__":
    main()
