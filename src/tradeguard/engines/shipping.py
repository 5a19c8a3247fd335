"""Shipping a fitted run to other processes: pickled once, unpickled once per process.

The fitted run (scorer without history, fitted detectors, cross-entry findings) is plain data
except for the locks that guard the screening caches; those travel as new, unlocked locks.
Both the Spark executors and the local worker processes of the DuckDB engine receive the run
this way, so a worker scores with exactly the objects the driver fitted.
"""

from __future__ import annotations

import io
import pickle
import threading
from typing import Any

_LOCKS = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}
# What this process last unpacked: the packed bytes and the object they hold.
_RECEIVED: list[tuple[bytes, Any]] = []


class _RunPickler(pickle.Pickler):
    """Pickles a fitted run; locks travel as new ones."""

    def reducer_override(self, obj: Any) -> Any:
        make = _LOCKS.get(type(obj))
        return (make, ()) if make is not None else NotImplemented


def pack(obj: Any) -> bytes:
    """``obj`` as bytes another process can :func:`unpack`."""
    buf = io.BytesIO()
    _RunPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def unpack(packed: bytes) -> Any:
    """The object ``packed`` holds, unpickled once per process for the same bytes object."""
    if not _RECEIVED or _RECEIVED[0][0] is not packed:
        _RECEIVED[:] = [(packed, pickle.loads(packed))]
    return _RECEIVED[0][1]
