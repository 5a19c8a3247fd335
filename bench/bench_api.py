"""Latency and CPU cost of the single-entry scoring endpoint (``POST /api/v1/score``).

Builds a demo installation (or reuses ``--dir``), serves it the way ``tradeguard serve`` does
(uvicorn, one worker process per core each on its own socket, Polars on one thread per worker,
scorer fitted at start-up) in a child process, then measures over loopback:

1. service time, one request at a time;
2. an open-loop load at each ``--rates`` value for ``--seconds``: request *i* is due at
   ``start + i / rate`` and is sent then whether or not earlier ones finished (a new
   keep-alive connection is opened when none is idle). Latency runs from the due time, so a
   late send counts against the service, never for it. Each request is abandoned after
   ``--timeout`` seconds (counted as timed out, never dropped);
3. the server's CPU seconds per request answered 200 during each load (all worker processes,
   from ``/proc``), which decides whether a rate fits on the machine's cores whatever else
   is running (at a rate beyond capacity it also holds the cheap 503 answers);
4. in-process, one entry at a time: CPU milliseconds per stage of the request (contract
   validation, then every step of ``Scorer.score``), for parties seen before (warm) and
   first seen (cold).

The load generator is a minimal HTTP/1.1 client on asyncio streams (request bytes prepared in
advance) so that it takes little of the CPU the service is measured on.

    .venv/bin/python bench/bench_api.py --rates 200 --seconds 30 --out /tmp/api.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

SERVER = """
import sys
from tradeguard.worker_sockets import run_workers
run_workers("bench_api:bench_app", "127.0.0.1", int(sys.argv[1]), int(sys.argv[2]),
            log_level="warning", timeout_keep_alive=300)
"""
BENCH_KEY_FILE = "bench_api_key.txt"


def bench_app() -> Any:
    """The service over the demo folder in ``TRADEGUARD_BENCH_DIR`` (one per worker).

    As ``tradeguard serve`` builds it (scorer fitted at start-up), with the per-client rate
    limit lifted: the load comes from one client.
    """
    from tradeguard.api import ApiConfig, create_app
    from tradeguard.api.demo_site import demo_settings

    d = Path(os.environ["TRADEGUARD_BENCH_DIR"])
    return create_app(demo_settings(d), config=ApiConfig(
        model_dir=d / "model", rate_per_second=100000, rate_burst=100000, warm_scorer=True))


def _cpu_reference_ms() -> float:
    """CPU ms of a fixed pure-Python loop (best of five): this machine's speed, so results
    from hosts of the same kind but different processors can be compared."""
    best = float("inf")
    for _ in range(5):
        t = time.process_time()
        s = 0
        for i in range(1_000_000):
            s += i * i
        best = min(best, time.process_time() - t)
    return round(best * 1000, 1)


def _cpu_model() -> str:
    """The processor's name as the kernel reports it ('unknown' where it does not)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


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


def _api_key(directory: Path) -> str:
    """An officer-role API key on the demo database (made once, kept beside it)."""
    path = directory / BENCH_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    from tradeguard.api.accounts import create_api_key
    from tradeguard.api.demo_site import demo_settings
    from tradeguard.store import open_store

    with open_store(demo_settings(directory).db) as store:
        _, key = create_api_key(store.engine, "bench", ["officer"], created_by="bench")
    path.write_text(key, encoding="utf-8")
    return key


# ---------------------------------------------------------------------------------------------
# Load generator: HTTP/1.1 keep-alive over asyncio streams.


def _request_bytes(port: int, key: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (f"POST /api/v1/score HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"X-API-Key: {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> int:
    """Send one request, read its whole response; the status code."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


@dataclass
class _Pool:
    """Idle keep-alive connections, the longest idle taken first (so the load spreads over
    every open connection, and so over every worker process, as it would from many
    clients); a request that finds none opens a new one."""

    port: int
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)
    opened: int = 0

    async def take(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self.idle:
            conn = self.idle.pop(0)
            if not conn[0].at_eof():  # the server may close an idle connection
                return conn
            conn[1].close()
        self.opened += 1
        return await asyncio.open_connection("127.0.0.1", self.port)

    def give(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        self.idle.append(conn)

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _open_loop(port: int, requests: list[bytes], rate: float, seconds: float,
                     timeout: float) -> dict[str, Any]:
    count = int(rate * seconds)
    pool = _Pool(port)
    for _ in range(min(64, count)):  # connections a steady load needs, opened in advance
        pool.give(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []  # answered 200
    shed_ms: list[float] = []  # answered 503: at capacity, refused at once
    late: list[float] = []
    errors = timeouts = 0
    kinds: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2

    async def one(i: int) -> None:
        nonlocal errors, timeouts
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        late.append(max(0.0, loop.time() - due) * 1000)
        try:
            conn = await pool.take()
        except OSError as exc:  # refused: the listen backlog is full
            errors += 1
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
            return
        try:
            status = await asyncio.wait_for(
                _exchange(*conn, requests[i % len(requests)]), timeout)
        except TimeoutError:
            timeouts += 1
            conn[1].close()
            return
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors += 1
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
            conn[1].close()
            return
        pool.give(conn)
        if status == 200:
            latencies.append((loop.time() - due) * 1000)
        elif status == 503:
            shed_ms.append((loop.time() - due) * 1000)
        else:
            errors += 1
            kinds[str(status)] = kinds.get(str(status), 0) + 1

    await asyncio.gather(*(one(i) for i in range(count)))
    wall = loop.time() - start
    pool.close()
    done = len(latencies)
    return {"sent": count, "completed": done, "shed_503": len(shed_ms),
            "shed_p99_ms": round(_pct(shed_ms, 0.99), 1) if shed_ms else None,
            "errors": errors, "error_kinds": kinds, "timed_out": timeouts,
            "wall_s": round(wall, 2), "throughput_rps": round(done / wall, 1) if wall else 0,
            "connections": pool.opened,
            "p50_ms": round(_pct(latencies, 0.5), 1) if done else None,
            "p95_ms": round(_pct(latencies, 0.95), 1) if done else None,
            "p99_ms": round(_pct(latencies, 0.99), 1) if done else None,
            "max_ms": round(max(latencies), 1) if done else None,
            "send_late_p99_ms": round(_pct(late, 0.99), 1) if late else None}


# ---------------------------------------------------------------------------------------------
# Server CPU from /proc.

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` so far."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICK


# ---------------------------------------------------------------------------------------------
# In-process stages.


def _stages(directory: Path, n: int) -> dict[str, Any]:
    """Median CPU ms per stage of a request scored in-process, parties warm and cold.

    Times the real ``Scorer.score`` (after the contract validation the endpoint does) with a
    timer around each stage where the scorer calls it: every fitted detector, the rules, the
    model, risk, redaction, the lane input, lanes and the versions; "glue" is what is left
    (findings stacking, keys, caches). For the first ``n`` demo entries the contract accepts;
    run in a child process with a worker's environment.
    """
    import tradeguard.pipeline.scorer as scoring
    import tradeguard.rules as rules
    from tradeguard.api.config import ApiConfig
    from tradeguard.api.demo_site import demo_settings
    from tradeguard.api.intake import validated
    from tradeguard.api.problems import ApiProblem
    from tradeguard.api.services import _scorer_from_store
    from tradeguard.store import open_store

    with open_store(demo_settings(directory).db) as store:
        scorer = _scorer_from_store(store.engine, ApiConfig(model_dir=directory / "model")).scorer
    laps: dict[str, float] = {}

    def timed(stage: str, fn: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                laps[stage] = laps.get(stage, 0.0) + (time.process_time() - t) * 1000
        return run

    stages = {"declarations": "declarations", "model (features, trees, reasons)": "model_scores",
              "risk combination": "combine_risk", "redaction": "redact_declared",
              "lane input (keys, header, digest)": "plain_lane_frame",
              "lanes + versions": "finish_assessments"}
    for stage, name in stages.items():
        setattr(scoring, name, timed(stage, getattr(scoring, name)))
    rules.evaluate = timed("rules profiles", rules.evaluate)
    scorer.lanes = timed("lanes + versions", scorer.lanes)  # type: ignore[method-assign]
    wrapped: set[int] = set()

    def score(body: dict[str, Any], times: dict[str, list[float]]) -> None:
        laps.clear()
        t0 = time.process_time()
        entries = validated("entries", [body["entry"]], label="entry")
        lines = validated("lines", [{**ln, "entry_number": body["entry"]["entry_number"]}
                                    for ln in body["lines"]], label="line",
                          known_entries=entries.get_column("entry_number"))
        validation = (time.process_time() - t0) * 1000
        decl = scoring.declarations(entries, lines)
        for name, detector in scorer.fitted(decl.get_column("entry_date").max(),
                                            decl).detectors:
            if id(detector) not in wrapped:  # the fitted objects live as long as the scorer
                wrapped.add(id(detector))
                detector.detect = timed(f"detector {name}", detector.detect)  # type: ignore
        laps.clear()
        t1 = time.process_time()
        scorer.score(entries, lines)
        total = (time.process_time() - t1) * 1000
        times.setdefault("contract validation (2 calls)", []).append(validation)
        for stage, ms in laps.items():
            times.setdefault(stage, []).append(ms)
        times.setdefault("glue (findings stacking, keys, caches)", []).append(
            total - sum(laps.values()))
        times.setdefault("Scorer.score (all stages above but validation)", []).append(total)

    warm: dict[str, list[float]] = {}
    cold: dict[str, list[float]] = {}
    used = 0
    for body in _bodies(directory, 100):
        if used == n:
            break
        try:
            score(body, cold)  # first time: its parties are new to every memory
        except ApiProblem:  # the demo plants data errors the contract rejects
            continue
        score(body, warm)
        used += 1
    return {"warm": {k: round(statistics.median(v), 2) for k, v in warm.items()},
            "cold": {k: round(statistics.median(v), 2) for k, v in cold.items()},
            "entries": used}


# ---------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=None, help="Existing demo folder to reuse.")
    ap.add_argument("--entries", type=int, default=2000,
                    help="Demo size when no --dir is given: the default demo's, whose model "
                    "passes its shadow audit and is approved (smaller demos serve without it).")
    ap.add_argument("--serial", type=int, default=100, help="Requests one at a time.")
    ap.add_argument("--rates", type=str, default="200",
                    help="Open-loop rates (requests/s), comma-separated, run in turn.")
    ap.add_argument("--seconds", type=float, default=30.0, help="Length of each open loop.")
    ap.add_argument("--workers", type=int, default=None,
                    help="uvicorn worker processes (default: one per core).")
    ap.add_argument("--stages", type=int, default=30,
                    help="Entries timed stage by stage in-process (0: skip).")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--out", type=Path, default=None, help="Write the markdown results here.")
    ap.add_argument("--stages-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stages_only:  # the child process of step 4
        print(json.dumps(_stages(args.dir, args.stages)))
        return

    from tradeguard.api.demo_site import build_demo
    from tradeguard.api.processes import default_workers, worker_threads

    workers = args.workers or default_workers()
    work = args.dir or Path(tempfile.mkdtemp(prefix="tradeguard-bench-"))
    if args.dir is None:
        build_demo(work, entries=args.entries, passwords={"officer": "bench-officer-pw"})
    key = _api_key(work)
    port = _port()
    threads = worker_threads(workers)
    env = {**os.environ, **threads, "TRADEGUARD_BENCH_DIR": str(work),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent),
                                          os.environ.get("PYTHONPATH", "")])}
    load_before = os.getloadavg()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(workers)], env=env)
    base = f"http://127.0.0.1:{port}"
    import httpx

    try:
        started = time.perf_counter()
        for _ in range(1200):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        headers = {"X-API-Key": key}
        url = f"{base}/api/v1/score"
        # Entries the contract rejects (the demo plants some data errors) are left out.
        bodies = [b for b in _bodies(work, 60)
                  if httpx.post(url, json=b, headers=headers, timeout=300).status_code == 200]
        startup_s = time.perf_counter() - started
        requests = [_request_bytes(port, key, b) for b in bodies]
        # Every worker warm: each body sent over ~16 connections spread over the workers (the
        # cost of parties first seen by a process is measured in step 4, not in the loads).
        asyncio.run(_open_loop(port, requests, 100.0, 16 * len(requests) / 100.0,
                               args.timeout))
        serial: list[float] = []
        with httpx.Client(timeout=args.timeout) as client:
            for i in range(args.serial):
                t = time.perf_counter()
                client.post(url, json=bodies[i % len(bodies)], headers=headers) \
                    .raise_for_status()
                serial.append((time.perf_counter() - t) * 1000)
        pids = _tree(server.pid)
        loads = []
        for rate in (float(r) for r in args.rates.split(",")):
            each0 = [_cpu_seconds([p]) for p in pids]
            own0, load0 = time.process_time(), os.getloadavg()
            run = asyncio.run(_open_loop(port, requests, rate, args.seconds, args.timeout))
            each = [_cpu_seconds([p]) - c for p, c in zip(pids, each0, strict=True)]
            cpu = sum(each)
            run |= {"rate_rps": rate, "seconds": args.seconds,
                    "server_cpu_ms_per_request": round(1000 * cpu / max(1, run["completed"]), 2),
                    # how evenly the connections' load fell on the processes that did work
                    "cpu_split_percent": [round(100 * c / cpu) for c in each
                                          if cpu and c > 0.02 * cpu],
                    "client_cpu_ms_per_request": round(
                        1000 * (time.process_time() - own0) / max(1, run["sent"]), 2),
                    "loadavg_1min_before_after": [round(load0[0], 2),
                                                  round(os.getloadavg()[0], 2)]}
            loads.append(run)
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
        "open_loop": loads, "workers": workers, "threads_per_worker": threads,
        "distinct_bodies": len(bodies), "startup_s": round(startup_s, 1),
        "stages": json.loads(subprocess.run(
            [sys.executable, __file__, "--stages-only", "--dir", str(work), "--stages",
             str(args.stages)], env=env, check=True, capture_output=True, text=True).stdout)
        if args.stages else {},
        "target": {"p99_ms": 20, "rate_rps": 200},
        "machine": f"{platform.machine()} ({_cpu_model()}), {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}",
        "cpu_reference_ms": _cpu_reference_ms(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "date": date.today().isoformat(),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(_markdown(result), encoding="utf-8")


def _markdown(r: dict[str, Any]) -> str:
    s = r["serial"]
    rows = "\n".join(
        f"| {o['rate_rps']:.0f} | {o['seconds']:.0f} | {o['sent']} | {o['completed']} | "
        f"{o['shed_503']} | {o['timed_out']} | {o['errors']} | {o['p50_ms']} | {o['p95_ms']} | "
        f"{o['p99_ms']} | "
        f"{o['throughput_rps']} | {o['server_cpu_ms_per_request']} | "
        f"{'/'.join(map(str, o.get('cpu_split_percent', [])))} | "
        f"{o['loadavg_1min_before_after'][0]} -> {o['loadavg_1min_before_after'][1]} |"
        for o in r["open_loop"])
    st = r["stages"]
    stage_rows = "\n".join(f"| {k} | {v} | {st['cold'].get(k, '')} |"
                           for k, v in st.get("warm", {}).items())
    at200 = [o for o in r["open_loop"] if o["rate_rps"] == 200]
    met = bool(at200) and at200[0]["p99_ms"] is not None and at200[0]["p99_ms"] <= 20 \
        and at200[0]["timed_out"] == 0 and at200[0]["errors"] == 0 \
        and at200[0]["shed_503"] == 0
    return f"""Machine: {r["machine"]}; load average before the run {r["loadavg_before"]};
CPU reference (a fixed 1M-step Python loop, best of five): {r.get("cpu_reference_ms")} ms.
Served by uvicorn, {r["workers"]} worker processes, \
{", ".join(f"{k}={v}" for k, v in r["threads_per_worker"].items())},
API-key authentication, {r["distinct_bodies"]} distinct demo entries (1 to 5 lines) cycled.

Service time, one request at a time ({s["requests"]} requests): p50 {s["p50_ms"]} ms,
p99 {s["p99_ms"]} ms, max {s["max_ms"]} ms.

Latency of the requests answered 200, from the moment each was due; "503" are requests the
service refused at once because it already held as many as it may (``max_waiting_scores``).

| rate (req/s) | s | sent | answered 200 | 503 | timed out | errors | p50 ms | p95 ms | \
p99 ms | throughput req/s | server CPU ms/request | CPU split over workers % | \
load avg (1 min) |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
{rows}

Target (p99 <= 20 ms at 200 req/s): {"met" if met else "NOT met"}.

CPU ms per stage, one request in-process (median of {st.get("entries", 0)} entries; each stage
timed where `Scorer.score` calls it, so medians do not add up to the total):

| stage | warm parties | first-seen parties |
|---|---|---|
{stage_rows}
"""


if __name__ == "__main__":
    main()
