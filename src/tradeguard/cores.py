"""How the machine is shared out: worker processes, threads per worker, freed memory.

Scoring is CPU-bound Python and native work: one process keeps about one core busy, so both
the service and the batch engine run one worker process per core, and each worker's native
libraries (Polars, LightGBM's OpenMP, BLAS) get its share of the cores. More threads than cores
only wait on each other; OpenMP matters most — LightGBM's predict starts its thread team on
every call, about 8 ms of CPU for one entry with two threads against 0.02 ms with one.

Polars allocates through its own jemalloc, which by default keeps freed pages for about ten
seconds and purges them only when it allocates again: a driver that built a 2 GB frame and then
waits on its workers keeps the 2 GB. :func:`return_freed_memory` asks it to hand freed pages
back within a second from a background thread (measured on the 1M-line benchmark: 8.7 GB ->
3.8 GB of anonymous memory over the process tree, 76 -> 85 s; bench/results/end_to_end.md).
"""

from __future__ import annotations

import os

# Polars' jemalloc reads its settings from this variable when the library is loaded.
ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"
ALLOCATOR_SETTINGS = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0"
# What ``import polars`` writes there itself (a parent process that imported Polars passes it
# on): freed pages are only marked reusable and stay counted as the process's memory.
_POLARS_DEFAULTS = ("dirty_decay_ms:500", "muzzy_decay_ms:-1", "thp:always",
                    "metadata_thp:always")

THREAD_VARIABLES = ("POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS")


def default_workers() -> int:
    """One worker per core the process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without CPU affinity
        return max(1, os.cpu_count() or 1)


def worker_threads(workers: int) -> dict[str, str]:
    """Thread-count environment for each of ``workers`` processes: its share of the cores."""
    share = str(max(1, default_workers() // max(1, workers)))
    return dict.fromkeys(THREAD_VARIABLES, share)


def return_freed_memory() -> None:
    """Have this process (before it loads Polars) and the workers it starts return freed
    memory to the system promptly. A setting an operator put in the environment wins; one that
    only holds Polars' own defaults (inherited from a parent that imported Polars) does not."""
    current = os.environ.get(ALLOCATOR_VARIABLE, "")
    options = [o for o in current.split(",") if o]
    if all(o in _POLARS_DEFAULTS for o in options):
        os.environ[ALLOCATOR_VARIABLE] = ",".join([*options, ALLOCATOR_SETTINGS])
