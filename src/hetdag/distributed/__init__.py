"""Scale-out on Dask: parameter sweeps, and a ``map`` pool for samplers.

``sweep(task, grid)`` runs serially in this process; ``sweep(task, grid, client)`` runs on
the workers of a ``dask.distributed.Client`` (``LocalCluster`` on a laptop,
``dask_jobqueue.SLURMCluster`` on a cluster). Needs the extra ``distributed``
(``pip install "hetdag[distributed]"``) only when a client is used. May import
``errors``, ``results`` and ``utils`` (and Dask, lazily); the models it runs come in as
tasks, so it imports no block or estimation code.
"""

from ._dask import ClientPool as ClientPool
from ._dask import jobqueue_prologue as jobqueue_prologue
from ._dask import local_cluster as local_cluster
from ._dask import pin_workers as pin_workers
from ._dask import warm_up as warm_up
from ._dask import worker_environment as worker_environment
from ._dask import worker_report as worker_report
from ._point import PointResult as PointResult
from ._point import run_point as run_point
from ._sweep import SweepResult as SweepResult
from ._sweep import expand_grid as expand_grid
from ._sweep import sweep as sweep
from ._task import ModelTask as ModelTask

__all__ = [
    "ClientPool",
    "ModelTask",
    "PointResult",
    "SweepResult",
    "expand_grid",
    "jobqueue_prologue",
    "local_cluster",
    "pin_workers",
    "run_point",
    "sweep",
    "warm_up",
    "worker_environment",
    "worker_report",
]
