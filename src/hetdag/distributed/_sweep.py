"""Parameter sweeps: serially in-process, or on a Dask cluster through its Client.

A sweep evaluates one task at every point of a grid of calibrations. Each point runs
inside :func:`~._point.run_point`, which catches the task's exception and returns it with the
point's parameters, so one failed calibration never takes the others down with it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..errors import ModelSpecError
from ..results._results import _pandas
from ..utils._progress import show_progress
from ._point import PointResult, run_point


def expand_grid(parameter_grid) -> list[dict]:
    """Grid points in order: a mapping of lists is its Cartesian product (the last key
    varies fastest); a sequence of mappings is taken as it is."""
    if isinstance(parameter_grid, Mapping):
        keys = list(parameter_grid)
        for k in keys:
            v = parameter_grid[k]
            if isinstance(v, (str, bytes)) or not isinstance(v, Iterable):
                raise ModelSpecError(
                    f"sweep: the grid of {k!r} must be a list of values, got {v!r}"
                )
        values = [list(parameter_grid[k]) for k in keys]
        return [dict(zip(keys, combo)) for combo in itertools.product(*values)]
    points = [dict(p) for p in parameter_grid]
    for j, p in enumerate(points):
        if not isinstance(p, dict):  # pragma: no cover - dict() above raises first
            raise ModelSpecError(f"sweep: grid point {j} is {p!r}, not a mapping")
    return points


class SweepResult(Sequence):
    """Results of a sweep in the grid's order; failed points keep their error.

    ``values`` (None where a point failed), ``failed`` (the failed points), ``ok`` (mask),
    ``to_frame()``; ``seconds`` is the sweep's wall time.
    """

    def __init__(self, points: list[PointResult], seconds: float, where: str):
        self.points = points
        self.seconds = seconds
        self.where = where

    def __getitem__(self, i):
        return self.points[i]

    def __len__(self) -> int:
        return len(self.points)

    def __repr__(self) -> str:
        nf = len(self.failed)
        return (
            f"<SweepResult {len(self)} points ({nf} failed) in {self.seconds:.2f} s on "
            f"{self.where}>"
        )

    @property
    def values(self) -> list:
        return [p.value for p in self.points]

    @property
    def ok(self) -> np.ndarray:
        return np.array([p.ok for p in self.points])

    @property
    def failed(self) -> list[PointResult]:
        return [p for p in self.points if not p.ok]

    def to_frame(self):
        """pandas DataFrame, one row per point in grid order: the parameters, each scalar
        in the task's result (a dict's scalar entries, or ``value``), ``error``,
        ``seconds``. Non-scalar results stay in ``values``."""
        pd = _pandas()
        rows = []
        for p in self.points:
            row = dict(p.params)
            v = p.value
            if isinstance(v, Mapping):
                row.update({k: x for k, x in v.items() if _is_scalar(x)})
            elif _is_scalar(v):
                row["value"] = v
            row["error"] = p.error
            row["seconds"] = p.seconds
            rows.append(row)
        return pd.DataFrame(rows)


def _is_scalar(x) -> bool:
    return isinstance(x, (int, float, complex, str, bool, np.generic)) or (
        isinstance(x, np.ndarray) and x.ndim == 0
    )


def sweep(
    task: Callable,
    parameter_grid,
    client=None,
    *,
    progress: bool | None = None,
    raise_errors: bool = False,
) -> SweepResult:
    """Evaluate ``task(**point)`` at every point of ``parameter_grid``.

    Parameters
    ----------
    task : callable or ModelTask
        Called with one grid point's parameters as keywords. A :class:`ModelTask`
        calibrates a model and returns its steady state, G or IRFs.
    parameter_grid : mapping of lists, or sequence of mappings
        ``{"r": [0.005, 0.01], "eis": [0.5, 1.0]}`` (Cartesian product, last key fastest)
        or ``[{"r": 0.005}, {"r": 0.01, "eis": 2}]``.
    client : dask.distributed.Client, optional
        Run on its workers (a ``LocalCluster`` or a dask-jobqueue cluster); without one,
        run serially in this process.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    raise_errors : bool
        Raise the first failure (after every point has finished) instead of reporting it.

    Returns
    -------
    SweepResult
        In the grid's order; a failed point carries its parameters, error and traceback.

    Examples
    --------
    >>> res = sweep(lambda a, b: {"sum": a + b}, {"a": [1, 2], "b": [10]}, progress=False)
    >>> res.to_frame()[["a", "b", "sum"]].values.tolist()
    [[1, 10, 11], [2, 10, 12]]
    """
    from tqdm import tqdm

    progress = show_progress(progress)
    points = expand_grid(parameter_grid)
    t = time.perf_counter()
    if client is None:
        results = []
        for j, p in enumerate(tqdm(points, desc="sweep", disable=not progress, leave=False)):
            results.append(run_point(task, j, p))
        where = "serial"
    else:
        from ._dask import submit_points

        results = submit_points(client, task, points, progress)
        where = f"dask ({len(client.scheduler_info().get('workers', {}))} workers)"
    out = SweepResult(results, time.perf_counter() - t, where)
    if raise_errors and out.failed:
        first = out.failed[0]
        raise RuntimeError(
            f"sweep: point {first.index} {first.params} failed: {first.error}\n{first.traceback}"
        )
    return out
