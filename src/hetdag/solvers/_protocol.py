"""What a solver asks of a block, and the switches it sets while asking.

The solvers know no block kind. They see a block through :class:`BlockLike` (which
:class:`hetdag.blocks.Block` implements) and talk to whatever iterates inside it
through two context switches:

- :func:`cached_jacobians_only`: blocks with a costly Jacobian (a fake-news pass)
  serve it from their cache or raise :class:`JacobianNotCached`;
- :func:`loose_tolerance`: blocks that iterate to a fixed point (a household's
  backward iteration and histogram) may stop at ``granted_tolerance()`` if that is
  looser than their own, while a calibration loop is still far from its root.

Blocks that keep a histogram on grids report the mass at each grid's top through
``Block.grid_edge_mass``; :func:`warn_grid_edges` turns that into warnings.

This module imports nothing from hetdag but ``errors``, ``jacobians`` and ``results``,
so that both the blocks and the solvers can import it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

import numpy as np

from ..errors import GridBoundaryWarning, ModelSpecError
from ..jacobians._jacobian_dict import JacobianDict, check_T
from ..results import SteadyState
from ..utils._warnings import warn_user


class BlockLike(Protocol):
    """The part of :class:`hetdag.blocks.Block` that the solvers use."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def _check_calibration(self, calibration: Mapping) -> dict: ...

    def _steady_state(self, values: dict) -> tuple[dict, dict]: ...

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]: ...

    def jacobian(
        self, ss: Mapping, inputs: Sequence[str], outputs: Sequence[str] | None = None, T: int = 300
    ) -> JacobianDict: ...

    def grid_edge_mass(self, internals: Mapping) -> dict[str, dict[str, float]]: ...


# Inside ``cached_jacobians_only()``, a block whose Jacobian is costly to compute (a
# heterogeneous-agent block: a fake-news pass) raises JacobianNotCached on a cache miss
# instead of computing it. Cheap blocks compute as usual.
_CACHED_ONLY: ContextVar[bool] = ContextVar("hetdag_cached_only", default=False)


class JacobianNotCached(Exception):
    """A costly Jacobian was needed inside :func:`cached_jacobians_only`."""


@contextmanager
def cached_jacobians_only() -> Iterator[None]:
    """Compose Jacobians from cached costly ones (and cheap ones), or raise JacobianNotCached."""
    token = _CACHED_ONLY.set(True)
    try:
        yield
    finally:
        _CACHED_ONLY.reset(token)


def only_cached_jacobians() -> bool:
    """Whether a costly Jacobian must come from the cache (see :func:`cached_jacobians_only`)."""
    return _CACHED_ONLY.get()


# A tolerance that a root finder may grant while it is still far from the root (see
# solvers/_steady_state.py): household solves then stop at max(backward_tol, this)
# and the distribution's tolerance is loosened by the same factor. 0: the block's own.
_LOOSE_TOL: ContextVar[float] = ContextVar("hetdag_loose_tol", default=0.0)


@contextmanager
def loose_tolerance(tol: float) -> Iterator[None]:
    """Within the block, let steady-state household solves stop at ``tol`` (if looser)."""
    token = _LOOSE_TOL.set(float(tol))
    try:
        yield
    finally:
        _LOOSE_TOL.reset(token)


def granted_tolerance() -> float:
    """The tolerance granted by :func:`loose_tolerance` (0.0 outside it: be exact)."""
    return _LOOSE_TOL.get()


def warn_grid_edges(block: BlockLike, internals: Mapping) -> None:
    """Warn, naming the block and grid, where more than 1e-8 of the mass sits at a grid's
    top; the warning points at the user's call."""
    for name, edges in block.grid_edge_mass(internals).items():
        for g, top in edges.items():
            if top > 1e-8:
                warn_user(
                    f"Block {name!r}: {top:.2e} of the mass sits at the upper end of grid "
                    f"{g!r}; raise its maximum",
                    GridBoundaryWarning,
                )


def as_steady_state(ss: Mapping) -> SteadyState:
    return ss if isinstance(ss, SteadyState) else SteadyState(ss)


def shock_horizon(shocks: Mapping, block: BlockLike) -> int:
    if not shocks:
        raise ModelSpecError(f"Block {block.name!r}: no shocks given")
    lengths = {}
    for k, v in shocks.items():
        if k not in block.inputs:
            raise ModelSpecError(
                f"Block {block.name!r}: shock {k!r} is not an input; inputs are "
                f"{sorted(block.inputs)}"
            )
        a = np.asarray(v, dtype=float)
        if a.ndim != 1:
            raise ModelSpecError(
                f"Block {block.name!r}: shock {k!r} must be a 1-D sequence, got shape {a.shape}"
            )
        if not np.all(np.isfinite(a)):
            raise ModelSpecError(f"Block {block.name!r}: shock {k!r} contains NaN or inf")
        lengths[k] = len(a)
    if len(set(lengths.values())) > 1:
        raise ModelSpecError(f"Block {block.name!r}: shocks have different lengths {lengths}")
    return check_T(next(iter(lengths.values())), block.name)
