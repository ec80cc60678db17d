"""Run independent GIL-free numba calls on the machine's cores.

numba's ``parallel=True`` is avoided on purpose: its default OpenMP threading layer
spins against OpenBLAS's threads (measured 3x slowdowns of the fake-news products).
Kernels declared ``nogil=True`` run truly in parallel from plain Python threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="hetdag")
    return _POOL


def in_threads(tasks: Sequence[Callable[[], object]]) -> list:
    """Call every task, in threads when there are several; results in order.

    Exceptions propagate to the caller (the first one raised, in task order).
    """
    if len(tasks) <= 1 or (os.cpu_count() or 1) == 1:
        return [t() for t in tasks]
    futures = [_pool().submit(t) for t in tasks]
    return [f.result() for f in futures]
