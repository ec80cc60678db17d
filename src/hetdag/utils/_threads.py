"""Run independent GIL-free numba calls on the machine's cores.

numba's ``parallel=True`` is avoided on purpose: its default OpenMP threading layer
spins against OpenBLAS's threads (measured 3x slowdowns of the fake-news products).
Kernels declared ``nogil=True`` run truly in parallel from plain Python threads.

On Linux each worker thread is pinned to one CPU, and a task goes to a worker on a CPU
other than the caller's. Unpinned, the scheduler often woke the worker on the caller's
CPU, and two 4 ms kernels then took 7-9 ms instead of 4.5 (measured on a 2-vCPU VM,
after the machine had been idle for 0.05 s or more). ``HETDAG_PIN_THREADS=0`` turns
pinning off.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

_WORKERS: dict[int, ThreadPoolExecutor] | None = None  # CPU (or slot) -> one thread
_GETCPU: Callable[[], int] | None = None


def _forget_workers() -> None:
    # a forked child has none of the parent's threads: start its own when first needed
    global _WORKERS
    _WORKERS = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def _cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return list(range(os.cpu_count() or 1))


def _workers() -> dict[int, ThreadPoolExecutor]:
    """One single-thread executor per usable CPU, pinned to it where the OS allows."""
    global _WORKERS, _GETCPU
    if _WORKERS is None:
        pin = os.environ.get("HETDAG_PIN_THREADS", "1") != "0"
        workers = {}
        for c in _cpus():
            ex = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hetdag-cpu{c}")
            if pin and hasattr(os, "sched_setaffinity"):
                try:
                    ex.submit(os.sched_setaffinity, 0, {c}).result()
                except OSError:
                    pin = False
            workers[c] = ex
        if pin:
            try:
                _GETCPU = ctypes.CDLL(None).sched_getcpu
            except (OSError, AttributeError):
                _GETCPU = None
        _WORKERS = workers
    return _WORKERS


def _submit(tasks: Sequence[Callable[[], object]]) -> list[Future]:
    """Submit tasks round-robin to the workers, the caller's CPU last in each round (the
    caller runs a task of its own there)."""
    workers = _workers()
    cpus = list(workers)
    if _GETCPU is not None and len(cpus) > 1:
        here = _GETCPU()
        cpus = [c for c in cpus if c != here] + [c for c in cpus if c == here]
    return [workers[cpus[k % len(cpus)]].submit(t) for k, t in enumerate(tasks)]


def in_threads(tasks: Sequence[Callable[[], object]]) -> list:
    """Call every task, in threads when there are several; results in order.

    The calling thread runs the first task itself, the others go to workers on other
    CPUs. Exceptions propagate to the caller (the first one raised, in task order).
    """
    if len(tasks) <= 1 or len(_cpus()) == 1:
        return [t() for t in tasks]
    futures = _submit(tasks[1:])
    first = tasks[0]()
    return [first] + [f.result() for f in futures]
