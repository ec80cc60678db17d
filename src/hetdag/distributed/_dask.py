"""Dask plumbing: submitting sweep points, a ``map`` pool over a Client, worker setup.

Workers need two things from their environment, set before they import numba or NumPy:

- ``NUMBA_CACHE_DIR``: a writable directory, so that hetdag's ``cache=True`` kernels are
  compiled once and loaded from disk by every later worker process (on a cluster, a
  node-local disk such as ``$TMPDIR``);
- one BLAS (and numba) thread per worker, so that n workers use n cores instead of
  fighting over them. Dask's nanny sets ``OMP/MKL/OPENBLAS_NUM_THREADS=1`` by default but
  not ``NUMBA_NUM_THREADS``.

:func:`local_cluster` and :func:`jobqueue_prologue` set both.
"""

from __future__ import annotations

import os
import tempfile

from ..errors import OptionalDependencyError
from ._point import run_point


def _distributed():
    try:
        import distributed
    except ImportError as err:
        raise OptionalDependencyError(
            'Running on Dask needs dask.distributed: pip install "hetdag[distributed]"'
        ) from err
    return distributed


def default_cache_dir() -> str:
    """``$NUMBA_CACHE_DIR`` if set, else ``<tmp>/hetdag-numba-cache``."""
    return os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), "hetdag-numba-cache"
    )


def worker_environment(cache_dir: str | None = None) -> dict[str, str]:
    """Environment variables for a hetdag worker process: a writable numba cache and one
    thread each for BLAS, OpenMP and numba."""
    cache_dir = cache_dir or default_cache_dir()
    os.makedirs(cache_dir, exist_ok=True)
    return {
        "NUMBA_CACHE_DIR": cache_dir,
        "NUMBA_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "HETDAG_PIN_THREADS": "0",
        "HETDAG_PIN_WORKERS": "1",  # sweep() pins each worker to its own CPU
    }


def jobqueue_prologue(cache_dir: str = "$TMPDIR/hetdag-numba-cache") -> list[str]:
    """Lines for dask-jobqueue's ``job_script_prologue=``: the same setup on a cluster.

    >>> jobqueue_prologue()[0]
    'export NUMBA_CACHE_DIR=$TMPDIR/hetdag-numba-cache'
    """
    lines = [f"export NUMBA_CACHE_DIR={cache_dir}", f"mkdir -p {cache_dir}"]
    for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        lines.append(f"export {k}=1")
    return lines


# Dask's per-worker housekeeping, measured on a 16-point Krusell-Smith sweep on 2 workers:
# 0.7 s of CPU beside 6.1 s of tasks with the defaults, 0.3 s with these (mostly the
# statistical profiler, which samples the task thread's stack every 10 ms). On a machine
# with as many workers as cores that CPU is taken from the tasks.
LEAN_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def local_cluster(
    n_workers: int = 2, cache_dir: str | None = None, config: dict | None = None, **kwargs
):
    """A ``dask.distributed.LocalCluster`` of single-threaded worker processes set up for
    hetdag (see :func:`worker_environment`). ``config`` is the ``dask.config`` its workers
    start with: by default ``LEAN_CONFIG`` (Dask's profiler off, its monitors polled less
    often); pass ``{}`` to keep the current one. Close it (or use ``with``) when done."""
    import dask

    distributed = _distributed()
    kw = {
        "n_workers": n_workers,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": ":0",  # any free port: a busy 8787 must not fail a run
        "env": worker_environment(cache_dir),
    }
    kw.update(kwargs)
    # workers take the config current when the cluster starts (their nanny passes it on)
    with dask.config.set(LEAN_CONFIG if config is None else config):
        return distributed.LocalCluster(**kw)


def _worker_info() -> dict:
    import os

    cache = os.environ.get("NUMBA_CACHE_DIR")
    return {
        "pid": os.getpid(),
        "NUMBA_CACHE_DIR": cache,
        "cache_writable": bool(cache) and os.access(cache, os.W_OK),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS"),
    }


def worker_report(client) -> dict:
    """Per worker: its numba cache directory (and whether it is writable) and threads."""
    return client.run(_worker_info)


def _pin_process(cpu: int) -> int:
    import os

    for tid in os.listdir("/proc/self/task"):  # every thread of the worker process
        try:
            os.sched_setaffinity(int(tid), {cpu})
        except OSError:  # a thread that just ended
            pass
    return cpu


def pin_workers(client) -> dict:
    """Pin each worker of a one-machine cluster (a ``LocalCluster``) to its own CPU.

    hetdag runs some numba kernels in threads, one per CPU the process may use; pinned,
    n workers on n CPUs no longer run 2n threads. Does nothing (returns {}) when the
    workers span several hosts or outnumber the CPUs: there the batch system assigns
    cores. Linux only.
    """
    import os

    if not hasattr(os, "sched_setaffinity") or not os.path.isdir("/proc/self/task"):
        return {}
    workers = client.scheduler_info()["workers"]
    if len({w.get("host") for w in workers.values()}) != 1:
        return {}
    cpus = sorted(os.sched_getaffinity(0))
    addresses = sorted(workers)
    if len(addresses) > len(cpus):
        return {}
    out = {}
    for cpu, address in zip(cpus, addresses):
        out.update(client.run(_pin_process, cpu, workers=[address]))
    return out


_PINNED: set = set()


def _getenv(name: str) -> str | None:
    # a module function: os.environ.get would be pickled with this process's environ
    import os

    return os.environ.get(name)


def _pin_once(client) -> None:
    # workers started by local_cluster() carry HETDAG_PIN_WORKERS=1
    key = (id(client), client.scheduler.address if client.scheduler else None)
    if key in _PINNED:
        return
    _PINNED.add(key)
    flags = client.run(_getenv, "HETDAG_PIN_WORKERS")
    if flags and all(v == "1" for v in flags.values()):
        pin_workers(client)


def warm_up(client, task, params=None) -> dict:
    """Run ``task(**params)`` once on every worker (not through the scheduler's queue, so
    each worker gets one): imports, numba cache loads and first calls happen here, not in
    the first points of a sweep. Returns seconds per worker."""
    _pin_once(client)
    out = client.run(run_point, task, -1, dict(params or {}))
    return {w: r.seconds for w, r in out.items()}


def submit_points(client, task, points: list[dict], progress: bool) -> list:
    """Run every point on the client's workers; results in grid order."""
    distributed = _distributed()
    _pin_once(client)
    from tqdm import tqdm

    # the task (a model, say) goes to each worker once, not with every point
    task_future = client.scatter(task, broadcast=True, hash=False)
    futures = client.map(
        run_point, [task_future] * len(points), list(range(len(points))), points, pure=False
    )
    results = [None] * len(points)
    with tqdm(total=len(points), desc="sweep", disable=not progress, leave=False) as bar:
        for fut in distributed.as_completed(futures):
            r = fut.result()
            results[r.index] = r
            bar.update(1)
    return results


def _call(fn, x):
    return fn(x)


class ClientPool:
    """``map`` over a Dask Client, for emcee's ``pool=`` and similar.

    The mapped function (e.g. an EstimationProblem's log posterior, with its model and
    cached Jacobians) is scattered to every worker once and reused there.
    """

    def __init__(self, client):
        self.client = client
        self._scattered: dict[int, tuple[object, object]] = {}

    def map(self, fn, iterable):
        hit = self._scattered.get(id(fn))
        if hit is None or hit[0] is not fn:
            hit = (fn, self.client.scatter(fn, broadcast=True, hash=False))
            self._scattered[id(fn)] = hit
        items = list(iterable)
        futures = self.client.map(_call, [hit[1]] * len(items), items, pure=False)
        return self.client.gather(futures)
