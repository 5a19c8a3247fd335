"""Worker processes each listen on a socket of their own, so connections reach every worker.

Runs ``run_workers`` (what ``tradeguard serve`` uses) in a child process with a tiny app whose
one route answers with the serving process's id, then opens many connections and asks each
which process answers it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tradeguard.worker_sockets import refuse_taken_port

ROOT = Path(__file__).resolve().parents[2]
SERVE = """
import sys
from tradeguard.worker_sockets import run_workers
run_workers("tests.api.pid_app:pid_app", "127.0.0.1", int(sys.argv[1]), 2, log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def served() -> Iterator[int]:
    """Two workers of the tiny app on a free port; stopped (and waited for) afterwards."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        seen: set[int] = set()
        while len(seen) < 2 and time.monotonic() < deadline:  # both workers up
            seen |= _pids(port, 8)
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _pids(port: int, connections: int) -> set[int]:
    """The process ids answering ``connections`` fresh connections (none while down)."""
    pids: set[int] = set()
    for _ in range(connections):
        try:
            with httpx.Client(timeout=5) as client:  # a new connection each
                pids.add(int(client.get(f"http://127.0.0.1:{port}/pid").json()))
        except httpx.HTTPError:
            pass
    return pids


def _listening_sockets(port: int) -> int:
    """Sockets listening on ``port`` on this machine (IPv4, from ``/proc/net/tcp``)."""
    count = 0
    for row in Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]:
        local, state = row.split()[1], row.split()[3]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            count += 1
    return count


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_connections_are_dealt_out_to_every_worker(served: int) -> None:
    assert _listening_sockets(served) == 2  # one per worker, not one shared
    answered = _pids(served, 40)
    assert len(answered) == 2  # all 40 on one of two sockets: odds 2 ** -39


def test_a_taken_port_is_refused_before_any_worker_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            refuse_taken_port("127.0.0.1", port)
        started = subprocess.run([sys.executable, "-c", SERVE, str(port)], cwd=ROOT,
                                 capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert started.returncode != 0
    assert "Address already in use" in started.stderr


def test_a_running_service_on_the_port_is_not_joined() -> None:
    from tradeguard.worker_sockets import reuse_port_socket

    port = _free_port()
    with reuse_port_socket("127.0.0.1", port) as running:  # a worker of another service
        running.listen()
        with pytest.raises(OSError, match="Address already in use"):
            refuse_taken_port("127.0.0.1", port)
