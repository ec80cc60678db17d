"""One point of a sweep, run where it is sent: its result or its error, as data."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass
class PointResult:
    """One grid point: its parameters, and either a value or the error it raised."""

    index: int
    params: dict
    value: object = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0
    worker: str = field(default="local")
    cpu_seconds: float = 0.0  # CPU time of the calling thread (helper threads not counted)

    @property
    def ok(self) -> bool:
        return self.error is None


def run_point(task: Callable, index: int, params: Mapping) -> PointResult:
    """Call ``task(**params)``; an exception comes back as data, not raised."""
    import os
    import socket

    t, c = time.perf_counter(), time.thread_time()
    where = f"{socket.gethostname()}:{os.getpid()}"
    try:
        value = task(**params)
    except Exception as err:  # noqa: BLE001 - reported per point, by design
        return PointResult(
            index,
            dict(params),
            error=f"{type(err).__name__}: {err}",
            traceback=traceback.format_exc(),
            seconds=time.perf_counter() - t,
            worker=where,
            cpu_seconds=time.thread_time() - c,
        )
    return PointResult(
        index,
        dict(params),
        value,
        seconds=time.perf_counter() - t,
        worker=where,
        cpu_seconds=time.thread_time() - c,
    )
