"""Krusell–Smith (1998) global solution: the outer loop and the backend.

The households (:mod:`._household`) solve on an (a, K) grid given the forecasting rule
``log K' = a_z + b_z log K``; prices come from the firm block at ``(K, z)``.

Outer loop: solve the households for the rule ``theta``, simulate a Young histogram
along a long aggregate path, re-estimate the rule by OLS per aggregate state after the
burn-in, and move ``theta += w (theta_OLS - theta)``. The weight ``w`` is halved when
the residual ``theta_OLS - theta`` flips direction without shrinking (a 2-cycle).
Converged when ``max |theta_OLS - theta| < tol``; otherwise ``ConvergenceError``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...errors import ConvergenceError, GridBoundaryWarning, ModelSpecError
from ...utils.grids import asset_grid
from .._base import AggregateRisk, GlobalBackend
from ._household import _check_coef, _check_grid, _GridHousehold, firm_prices, solve_household
from ._rule import (
    _format_history,
    _point_mass,
    _rep_agent_capital,
    _reweight,
    estimate_rule,
)
from ._simulate import (
    den_haan_statistic,
    draw_aggregate_path,
    rule_path,
    simulate_histogram,
)
from ._solution import KrusellSmithSolution

__all__ = [
    "KrusellSmithBackend",
    "solve_krusell_smith",
    "solve_household",
    "firm_prices",
    "estimate_rule",
]


# ---------------------------------------------------------------- backend
class KrusellSmithBackend(GlobalBackend):
    """Krusell–Smith (1998) solution with a log-linear rule and Young histograms.

    Parameters
    ----------
    a_grid : array, optional
        Individual asset grid; default ``asset_grid(0, a_max, n_a)``.
    n_a, a_max : int, float
        Size and top of the default asset grid.
    K_grid : array, optional
        Aggregate capital grid; default ``n_K`` points spaced evenly in log K over
        ``K_range`` times the representative-agent capital.
    n_K : int
    K_range : (float, float)
    T, burn_in : int
        Length of the estimation simulation and the periods dropped before OLS. The
        rule's one-step error has a slow component (the wealth distribution's shape
        moves over hundreds of quarters): on the DJJ calibration its means over
        10,000-period blocks have sd 6e-6, and an intercept error ``da`` moves the rule's
        mean ``log K`` by ``da / (1 - b)``, about 28 ``da``. The default of 100,000
        periods lowers the average Den Haan mean over independent 10,000-period paths
        from 0.070% (T = 10,000) to 0.058%; longer samples gain little.
    T_den_haan : int
        Length of the independent Den Haan simulation.
    seed, seed_den_haan : int
        Seeds of the estimation and Den Haan aggregate paths; ``seed_den_haan``
        defaults to ``seed + 1`` and must differ from ``seed``. The estimation path is
        the same in every outer iteration (common random numbers).
    tol : float
        Convergence tolerance on ``max |theta_OLS - theta|``.
    maxit : int
        Maximum outer iterations.
    update_weight : float
        Initial ``w`` in ``theta += w (theta_OLS - theta)``; halved on a 2-cycle (down
        to ``min_update_weight``).
    initial_rule : array (n_z, 2), optional
        Starting ``(a_z, b_z)``; default ``b = 0.95`` with the fixed point at the
        centre of ``K_grid``.
    backward_tol, backward_maxit : float, int
        Household fixed point (max change of the asset policy).
    progress : bool
        Show a tqdm bar over the outer loop with the current rule and residual.
    """

    name = "krusell_smith"

    def __init__(
        self,
        *,
        a_grid: ArrayLike | None = None,
        n_a: int = 200,
        a_max: float = 1000.0,
        K_grid: ArrayLike | None = None,
        n_K: int = 6,
        K_range: tuple[float, float] = (0.9, 1.12),
        T: int = 100_000,
        burn_in: int = 1000,
        T_den_haan: int = 10_000,
        seed: int = 0,
        seed_den_haan: int | None = None,
        tol: float = 1e-6,
        maxit: int = 100,
        update_weight: float = 0.5,
        min_update_weight: float = 0.02,
        initial_rule: ArrayLike | None = None,
        backward_tol: float = 1e-10,
        backward_maxit: int = 20_000,
        progress: bool = True,
    ):
        self.a_grid = None if a_grid is None else _check_grid(a_grid, "a_grid")
        self.K_grid = None if K_grid is None else _check_grid(K_grid, "K_grid")
        self.n_a, self.a_max, self.n_K, self.K_range = int(n_a), float(a_max), int(n_K), K_range
        self.T, self.burn_in, self.T_den_haan = int(T), int(burn_in), int(T_den_haan)
        self.seed = int(seed)
        self.seed_den_haan = self.seed + 1 if seed_den_haan is None else int(seed_den_haan)
        self.tol, self.maxit = float(tol), int(maxit)
        self.update_weight, self.min_update_weight = float(update_weight), float(min_update_weight)
        self.initial_rule = initial_rule
        self.backward_tol, self.backward_maxit = float(backward_tol), int(backward_maxit)
        self.progress = bool(progress)
        if self.seed_den_haan == self.seed:
            raise ModelSpecError(
                f"Krusell-Smith backend: seed_den_haan={self.seed_den_haan} equals seed; the Den "
                "Haan statistic needs an independent path"
            )
        if not 0 <= self.burn_in < self.T - 10:
            raise ModelSpecError(
                f"Krusell-Smith backend: need 0 <= burn_in < T - 10, got burn_in={burn_in}, T={T}"
            )
        if self.T_den_haan < 2 or self.maxit < 1:
            raise ModelSpecError("Krusell-Smith backend: need T_den_haan >= 2 and maxit >= 1")
        if not 0 < self.update_weight <= 1:
            raise ModelSpecError(
                f"Krusell-Smith backend: update_weight must lie in (0, 1], got {update_weight!r}"
            )

    # ------------------------------------------------------------ setup
    def _grids(self, risk, calibration) -> tuple[NDArray, NDArray]:
        a_grid = self.a_grid if self.a_grid is not None else asset_grid(0.0, self.a_max, self.n_a)
        if self.K_grid is not None:
            return a_grid, self.K_grid
        K_ra = _rep_agent_capital(risk, calibration)
        lo, hi = self.K_range
        return a_grid, K_ra * np.exp(np.linspace(np.log(lo), np.log(hi), self.n_K))

    def _initial_rule(self, risk, K_grid) -> NDArray:
        if self.initial_rule is not None:
            return _check_coef(self.initial_rule, risk.n_z)
        b = 0.95
        logK_c = 0.5 * (np.log(K_grid[0]) + np.log(K_grid[-1]))
        return np.tile([(1 - b) * logK_c, b], (risk.n_z, 1))

    # ------------------------------------------------------------ solve
    def solve(self, household, firm, risk: AggregateRisk, calibration: Mapping[str, float]):
        """Solve; returns :class:`KrusellSmithSolution` or raises ``ConvergenceError``."""
        from tqdm import tqdm

        t0 = time.perf_counter()
        if not isinstance(risk, AggregateRisk):
            raise ModelSpecError(
                f"Krusell-Smith backend: 'risk' must be an AggregateRisk, got {type(risk).__name__}"
            )
        for k in ("beta", "eis"):
            if k not in calibration:
                raise ModelSpecError(f"Krusell-Smith backend: calibration needs {k!r}")
        a_grid, K_grid = self._grids(risk, calibration)
        hh = _GridHousehold(household, firm, risk, calibration, a_grid, K_grid)
        Pi_cond = risk.Pi_cond
        z_path = draw_aggregate_path(risk.Pi_z, self.T, self.seed)
        theta = self._initial_rule(risk, K_grid)
        K_c = float(np.exp(theta[0, 0] / (1 - theta[0, 1])))
        D0 = _point_mass(a_grid, K_c, risk.e_dist[z_path[0]])
        weight = self.update_weight
        history: list[dict] = []
        V, converged, residual, pols, sim = None, False, np.inf, None, None
        with tqdm(total=self.maxit, desc="Krusell-Smith", disable=not self.progress) as bar:
            for _ in range(self.maxit):
                pols = hh.solve(theta, V, self.backward_tol, self.backward_maxit)
                V = pols[hh.bw]
                sim = simulate_histogram(pols[hh.pol], K_grid, a_grid, z_path, Pi_cond, D0)
                ols, r2 = estimate_rule(sim[0], z_path, self.burn_in, theta)
                gap = ols - theta
                residual = float(np.max(np.abs(gap)))
                history.append(
                    dict(
                        coefficients=theta.copy(),
                        ols=ols,
                        r_squared=r2,
                        residual=residual,
                        update_weight=weight,
                    )
                )
                D0 = _reweight(sim[2], risk.e_dist[z_path[0]])  # warm start, same shocks
                bar.update(1)
                bar.set_postfix_str(
                    " ".join(f"({a:.5f},{b:.5f})" for a, b in theta) + f" Δ={residual:.1e}"
                )
                if residual < self.tol:
                    converged = True
                    break
                if len(history) >= 2:
                    weight = self._adapt_weight(history, weight)
                theta = theta + weight * gap
        K_path, mass, D, clipped = sim
        r2 = history[-1]["r_squared"]
        self._warn_bounds(K_path, K_grid, clipped, a_grid, "estimation")
        if not converged:
            err = ConvergenceError(
                f"Krusell-Smith backend: forecasting rule did not converge in {self.maxit} "
                f"outer iterations; max |theta_OLS - theta| = {residual:.3e} (tol "
                f"{self.tol:g}). Rule history (a_z, b_z) per state:\n{_format_history(history)}",
                block=household.name,
                variable="forecasting rule",
                iterations=self.maxit,
                residual=residual,
            )
            err.history = history
            raise err
        # independent Den Haan path, starting from the final (ergodic) histogram
        z_dh = draw_aggregate_path(risk.Pi_z, self.T_den_haan, self.seed_den_haan)
        K_dh, _, _, clipped_dh = simulate_histogram(
            pols[hh.pol], K_grid, a_grid, z_dh, Pi_cond, _reweight(D, risk.e_dist[z_dh[0]])
        )
        self._warn_bounds(K_dh, K_grid, clipped_dh, a_grid, "Den Haan")
        K_rule = rule_path(theta, z_dh, K_dh[0])
        dh_max, dh_mean = den_haan_statistic(K_dh, K_rule)
        ee = hh.euler_errors(theta, pols)
        shape = (risk.n_z, risk.n_e, K_grid.size, a_grid.size)
        policies = {k: v.reshape(shape) for k, v in pols.items() if np.ndim(v) == 3}
        return KrusellSmithSolution(
            success=True,
            message=f"forecasting rule converged in {len(history)} outer iterations",
            nit=len(history),
            max_residual=residual,
            coefficients=theta,
            r_squared=r2,
            den_haan_max=dh_max,
            den_haan_mean=dh_mean,
            euler_error_mean=float(np.nanmean(ee)),
            euler_error_max=float(np.nanmax(ee)),
            iterations=len(history),
            history=history,
            K_path=K_path,
            z_path=z_path,
            mass=mass,
            burn_in=self.burn_in,
            seed=self.seed,
            seed_den_haan=self.seed_den_haan,
            K_path_den_haan=K_dh,
            K_rule_den_haan=K_rule,
            z_path_den_haan=z_dh,
            policies=policies,
            euler_errors=ee.reshape(shape),
            K_grid=K_grid,
            a_grid=a_grid,
            D=D,
            D_z=int(z_path[-1]),
            risk=risk,
            calibration=dict(calibration),
            firm=firm,
            elapsed=time.perf_counter() - t0,
        )

    def _adapt_weight(self, history: list[dict], weight: float) -> float:
        """Halve the weight when the residual flips sign without shrinking (a 2-cycle)."""
        g1 = (history[-1]["ols"] - history[-1]["coefficients"]).ravel()
        g0 = (history[-2]["ols"] - history[-2]["coefficients"]).ravel()
        n0, n1 = np.linalg.norm(g0), np.linalg.norm(g1)
        if n0 > 0 and n1 > 0 and g0 @ g1 < -0.5 * n0 * n1 and n1 > 0.5 * n0:
            return max(self.min_update_weight, 0.5 * weight)
        return weight

    def _warn_bounds(self, K, K_grid, clipped, a_grid, which: str) -> None:
        if K.min() < K_grid[0]:
            warnings.warn(
                f"Krusell-Smith backend: the {which} simulation left the K grid at its lower "
                f"bound: min K = {K.min():.6g} < K_grid[0] = {K_grid[0]:.6g}; widen 'K_grid'",
                GridBoundaryWarning,
                stacklevel=4,
            )
        if K.max() > K_grid[-1]:
            warnings.warn(
                f"Krusell-Smith backend: the {which} simulation left the K grid at its upper "
                f"bound: max K = {K.max():.6g} > K_grid[-1] = {K_grid[-1]:.6g}; widen 'K_grid'",
                GridBoundaryWarning,
                stacklevel=4,
            )
        lost = float(np.max(clipped / K))  # capital lost to choices above a_grid[-1]
        if lost > 1e-6:
            warnings.warn(
                f"Krusell-Smith backend: choices above the upper bound of 'a_grid' "
                f"({a_grid[-1]:g}) were clipped in the {which} simulation, losing up to "
                f"{lost:.2e} of K in a period; raise a_max",
                GridBoundaryWarning,
                stacklevel=4,
            )


def solve_krusell_smith(
    household,
    firm,
    risk: AggregateRisk,
    calibration: Mapping[str, float],
    **options,
) -> KrusellSmithSolution:
    """Solve Krusell–Smith; ``options`` go to :class:`KrusellSmithBackend`.

    Example
    -------
    >>> from hetdag.backends.krusell_smith import djj_aggregate_risk, djj_calibration
    >>> from hetdag.examples._household import household
    >>> from hetdag.examples.krusell_smith import firm
    >>> sol = solve_krusell_smith(household, firm, djj_aggregate_risk(), djj_calibration(),
    ...                           n_a=60, T=2000, burn_in=200, T_den_haan=1000,
    ...                           progress=False)  # doctest: +SKIP
    """
    return KrusellSmithBackend(**options).solve(household, firm, risk, calibration)
