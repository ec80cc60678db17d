"""Global solution backends: the shared description of aggregate risk and the interface.

A global backend solves a heterogeneous-agent economy with *aggregate* risk (not MIT
shocks): an aggregate productivity state ``z`` follows a Markov chain, and each
household's idiosyncratic state ``e`` moves jointly with it,

.. math::

    \\Pr[(z', e') \\mid (z, e)] = \\Pi[(z, e), (z', e')], \\qquad
    \\sum_{e'} \\Pi[(z, e), (z', e')] = \\Pi_z[z, z'].

Joint states are ordered z-major, ``s = z * n_e + e``. Every backend takes the same
blocks as the sequence-space solver (the household het block, whose backward step is
reused as it is, and the firm simple block) plus an :class:`AggregateRisk`, and returns
a :class:`GlobalSolution`. The Krusell–Smith backend lives in
:mod:`hetdag.backends.krusell_smith`; a deep-equilibrium-net backend can implement the
same :class:`GlobalBackend` interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ModelSpecError
from ..results._results import _Result
from ..utils.grids import markov_check

__all__ = ["AggregateRisk", "GlobalBackend", "GlobalSolution", "firm_prices"]

_CONSISTENCY_TOL = 1e-8


def _array(x: ArrayLike, name: str, ndim: int) -> NDArray[np.float64]:
    a = np.array(x, dtype=np.float64)
    if a.ndim != ndim:
        raise ModelSpecError(f"AggregateRisk: {name!r} must be {ndim}-D, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ModelSpecError(f"AggregateRisk: {name!r} has non-finite entries")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class AggregateRisk:
    """Aggregate states, their Markov chain and the joint idiosyncratic transitions.

    Parameters
    ----------
    z : array, shape (n_z,)
        Aggregate productivity in each aggregate state (``Z`` of the firm block).
    Pi_z : array, shape (n_z, n_z)
        Row-stochastic aggregate chain ``Pi_z[z, z']``.
    Pi : array, shape (n_z * n_e, n_z * n_e)
        Joint chain over ``s = z * n_e + e``; its ``e'``-marginals must equal ``Pi_z``.
    e_dist : array, shape (n_z, n_e)
        Cross-sectional distribution of ``e`` in each aggregate state (e.g. the
        unemployment rate ``u_z`` and ``1 - u_z``). The idiosyncratic transitions must
        carry ``e_dist[z]`` into ``e_dist[z']`` for every possible ``z -> z'``.
    labor : array, shape (n_z, n_e)
        Efficiency units of labour supplied; aggregate labour ``L[z] = e_dist[z] @ labor[z]``.
    income : array, shape (n_z, n_e)
        Household income in units of the wage, after taxes and benefits: ``y = w * income``.
    z_labels, e_labels : tuple of str, optional
        Names used in plots and messages.

    Raises
    ------
    ModelSpecError
        If a chain is not row-stochastic, ``Pi`` is inconsistent with ``Pi_z``, or the
        idiosyncratic transitions do not preserve ``e_dist`` (the stated unemployment
        rates), or a shape is wrong.

    Example
    -------
    >>> risk = AggregateRisk(z=[1.0], Pi_z=[[1.0]], Pi=[[0.5, 0.5], [0.1, 0.9]],
    ...                      e_dist=[[1 / 6, 5 / 6]], labor=[[0.0, 1.0]], income=[[0.2, 1.0]])
    >>> risk.n_z, risk.n_e, float(risk.L[0].round(6))
    (1, 2, 0.833333)
    """

    z: NDArray[np.float64]
    Pi_z: NDArray[np.float64]
    Pi: NDArray[np.float64]
    e_dist: NDArray[np.float64]
    labor: NDArray[np.float64]
    income: NDArray[np.float64]
    z_labels: tuple[str, ...] | None = None
    e_labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "z", _array(self.z, "z", 1))
        n_z = self.z.size
        try:
            Pi_z = markov_check(self.Pi_z, "Pi_z")
            Pi = markov_check(self.Pi, "Pi")
        except ModelSpecError as err:
            raise ModelSpecError(f"AggregateRisk: {err}") from err
        if Pi_z.shape != (n_z, n_z):
            raise ModelSpecError(
                f"AggregateRisk: 'Pi_z' has shape {Pi_z.shape} but there are {n_z} states in 'z'"
            )
        for name in ("e_dist", "labor", "income"):
            set_(self, name, _array(getattr(self, name), name, 2))
        n_e = self.e_dist.shape[1]
        for name in ("e_dist", "labor", "income"):
            if getattr(self, name).shape != (n_z, n_e):
                raise ModelSpecError(
                    f"AggregateRisk: {name!r} has shape {getattr(self, name).shape}, "
                    f"expected (n_z, n_e) = {(n_z, n_e)}"
                )
        if Pi.shape != (n_z * n_e, n_z * n_e):
            raise ModelSpecError(
                f"AggregateRisk: joint 'Pi' has shape {Pi.shape}, expected "
                f"{(n_z * n_e, n_z * n_e)} for {n_z} aggregate and {n_e} idiosyncratic states"
            )
        for P, name in ((Pi_z, "Pi_z"), (Pi, "Pi")):
            P = P.copy()
            P.setflags(write=False)
            set_(self, name, P)
        self._check_marginals()
        self._check_e_dist()
        for labels, n, name in ((self.z_labels, n_z, "z_labels"), (self.e_labels, n_e, "e_labels")):
            if labels is not None and len(labels) != n:
                raise ModelSpecError(f"AggregateRisk: {name!r} needs {n} labels, got {labels!r}")

    def _check_marginals(self) -> None:
        marg = self.Pi.reshape(self.n_z, self.n_e, self.n_z, self.n_e).sum(axis=3)
        gap = np.abs(marg - self.Pi_z[:, None, :])
        if gap.max() > _CONSISTENCY_TOL:
            z, e, zp = np.unravel_index(int(np.argmax(gap)), gap.shape)
            raise ModelSpecError(
                f"AggregateRisk: joint 'Pi' is inconsistent with the aggregate chain 'Pi_z': "
                f"sum over e' of Pi[(z={z}, e={e}), (z'={zp}, e')] = {marg[z, e, zp]!r} but "
                f"Pi_z[{z}, {zp}] = {self.Pi_z[z, zp]!r}"
            )

    def _check_e_dist(self) -> None:
        d = self.e_dist
        if np.any(d < 0) or np.any(np.abs(d.sum(axis=1) - 1) > _CONSISTENCY_TOL):
            raise ModelSpecError(
                f"AggregateRisk: each row of 'e_dist' must be a distribution, got {d.tolist()}"
            )
        P = self.Pi_cond
        for z in range(self.n_z):
            for zp in range(self.n_z):
                if self.Pi_z[z, zp] == 0:
                    continue
                moved = d[z] @ P[z, zp]
                if np.max(np.abs(moved - d[zp])) > _CONSISTENCY_TOL:
                    raise ModelSpecError(
                        "AggregateRisk: idiosyncratic transitions are inconsistent with the "
                        f"stated unemployment rates ('e_dist'): moving from z={z} to z'={zp}, "
                        f"e_dist[{z}] = {d[z].tolist()} becomes {moved.tolist()} but "
                        f"e_dist[{zp}] = {d[zp].tolist()}"
                    )

    @property
    def n_z(self) -> int:
        return int(self.z.size)

    @property
    def n_e(self) -> int:
        return int(self.e_dist.shape[1])

    @property
    def L(self) -> NDArray[np.float64]:
        """Aggregate labour in each aggregate state, shape (n_z,)."""
        return np.einsum("ze,ze->z", self.e_dist, self.labor)

    @property
    def Pi_cond(self) -> NDArray[np.float64]:
        """``Pi_cond[z, z', e, e'] = Pi[(z,e),(z',e')] / Pi_z[z, z']`` (identity where 0)."""
        n_z, n_e = self.n_z, self.n_e
        P = self.Pi.reshape(n_z, n_e, n_z, n_e).transpose(0, 2, 1, 3).copy()
        for z in range(n_z):
            for zp in range(n_z):
                if self.Pi_z[z, zp] > 0:
                    P[z, zp] /= P[z, zp].sum(axis=1, keepdims=True)
                else:
                    P[z, zp] = np.eye(n_e)
        return P


class GlobalSolution(_Result):
    """Result of a global backend (a dict with attribute access).

    Every backend fills at least: ``success``, ``message``, ``nit``, ``elapsed``
    (seconds), ``policies`` (``{name: array}`` over the backend's state space),
    ``K_path``/``z_path`` (the simulation the laws of motion were fitted or trained
    on), ``den_haan_max``/``den_haan_mean`` (percent, on an independent path) and
    ``euler_error_mean``/``euler_error_max`` (log10 of unit-free Euler errors).
    """

    def plot(self, **kwargs):  # pragma: no cover - overridden by backends
        raise NotImplementedError(f"{type(self).__name__} has no plot()")


class GlobalBackend(ABC):
    """Interface of a global solution method for economies with aggregate risk."""

    name: str = "?"

    @abstractmethod
    def solve(
        self,
        household,
        firm,
        risk: AggregateRisk,
        calibration: Mapping[str, float],
    ) -> GlobalSolution:
        """Solve the economy of ``household`` (het block), ``firm`` (simple block) and
        ``risk``, with parameters ``calibration``; raise ``ConvergenceError`` on failure."""


def firm_prices(firm, calibration: Mapping, K: ArrayLike, Z: ArrayLike, L: ArrayLike):
    """Evaluate the firm block (inputs ``K, L, Z`` + parameters) on arrays: ``(r, w)``,
    for any backend (the firm is a simple block: it evaluates elementwise)."""
    missing = [i for i in ("K", "L", "Z") if i not in firm.inputs]
    missing += [o for o in ("r", "w") if o not in firm.outputs]
    if missing:
        raise ModelSpecError(
            f"Global backend: firm block {firm.name!r} must take K, L, Z and return r, w; "
            f"missing {missing}"
        )
    params = {}
    for i in firm.inputs:
        if i in ("K", "L", "Z"):
            continue
        if i not in calibration:
            raise ModelSpecError(
                f"Global backend: firm block {firm.name!r} needs {i!r} in the calibration"
            )
        params[i] = calibration[i]
    K, Z, L = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (K, Z, L)))
    out = firm.steady_state({**params, "K": K, "L": L, "Z": Z})
    return np.broadcast_to(out["r"], K.shape).copy(), np.broadcast_to(out["w"], K.shape).copy()
