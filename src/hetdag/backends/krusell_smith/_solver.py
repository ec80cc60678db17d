"""Krusell–Smith (1998) global solution: households on an (a, K) grid and the outer loop.

Households know the aggregate state ``z``, their employment ``e``, aggregate capital
``K`` and their assets ``a``. They forecast next period's capital with

.. math::

    \\log K' = a_z + b_z \\log K,

and prices come from the firm block at ``(K, z)``: ``r(K, z)``, ``w(K, z)``, income
``y = w(K, z)\\, income[z, e]``. The household block's own backward step (EGM) is reused
on the whole (z, e, K, a) grid at once, with the continuation value

.. math::

    Va\\_p[(z,e), K_i, a'] = \\sum_{z', e'} \\Pi[(z,e),(z',e')]\\;
        Va[(z',e'), K'(K_i, z), a'],

where ``Va`` is interpolated linearly in ``log K`` (extrapolated outside the grid).

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
from ...utils.interpolate import interpolate_coord, interpolate_y
from .._base import AggregateRisk, GlobalBackend
from ._simulate import (
    den_haan_statistic,
    draw_aggregate_path,
    rule_path,
    simulate_histogram,
)
from ._solution import KrusellSmithSolution

__all__ = ["KrusellSmithBackend", "solve_krusell_smith", "solve_household", "firm_prices"]

_PROVIDED = ("a_grid", "y", "r")  # household inputs the backend fills in


# --------------------------------------------------------------- prices
def firm_prices(firm, calibration: Mapping, K: ArrayLike, Z: ArrayLike, L: ArrayLike):
    """Evaluate the firm block (inputs ``K, L, Z`` + parameters) for arrays: ``(r, w)``."""
    missing = [i for i in ("K", "L", "Z") if i not in firm.inputs]
    missing += [o for o in ("r", "w") if o not in firm.outputs]
    if missing:
        raise ModelSpecError(
            f"Krusell-Smith backend: firm block {firm.name!r} must take K, L, Z and return "
            f"r, w; missing {missing}"
        )
    params = {}
    for i in firm.inputs:
        if i in ("K", "L", "Z"):
            continue
        if i not in calibration:
            raise ModelSpecError(
                f"Krusell-Smith backend: firm block {firm.name!r} needs {i!r} in the calibration"
            )
        params[i] = calibration[i]
    K, Z, L = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (K, Z, L)))
    out = firm.steady_state({**params, "K": K, "L": L, "Z": Z})
    return np.broadcast_to(out["r"], K.shape).copy(), np.broadcast_to(out["w"], K.shape).copy()


# ------------------------------------------------------------ households
class _GridHousehold:
    """The household block on the (s = (z, e), K, a) grid, shapes (n_s, n_K, n_a)."""

    def __init__(self, household, firm, risk: AggregateRisk, calibration, a_grid, K_grid):
        if len(household.backward) != 1 or len(household.policy) != 1:
            raise ModelSpecError(
                f"Krusell-Smith backend: household {household.name!r} needs one backward "
                f"variable and one asset policy, got {household.backward} and {household.policy}"
            )
        self.block = household
        self.bw, self.pol = household.backward[0], household.policy[0]
        if "c" not in household.f_outputs:
            raise ModelSpecError(
                f"Krusell-Smith backend: household {household.name!r} must return consumption 'c'"
            )
        cont = {self.bw + "_p"}
        need = [i for i in household.f_inputs if i not in cont and i not in _PROVIDED]
        need += [i for i in household.init_inputs if i not in _PROVIDED]
        for i in ("r", "y", self.pol + "_grid"):
            if i not in household.f_inputs:
                raise ModelSpecError(
                    f"Krusell-Smith backend: household step {household.name!r} must take {i!r}"
                )
        missing = sorted({i for i in need if i not in calibration})
        if missing:
            raise ModelSpecError(
                f"Krusell-Smith backend: household {household.name!r} needs {missing} in the "
                "calibration"
            )
        self.risk, self.firm, self.calibration = risk, firm, calibration
        self.a_grid, self.K_grid = a_grid, K_grid
        self.logK_grid = np.log(K_grid)
        n_z, n_e = risk.n_z, risk.n_e
        self.r, self.w = firm_prices(
            firm, calibration, K_grid[None, :], risk.z[:, None], risk.L[:, None]
        )
        y = self.w[:, None, :] * risk.income[:, :, None]  # (n_z, n_e, n_K)
        r_s = np.repeat(self.r, n_e, axis=0)[:, :, None]  # (n_s, n_K, 1)
        self.values = {i: calibration[i] for i in need}
        self.values.update({"a_grid": a_grid, "y": y.reshape(n_z * n_e, -1), "r": r_s})
        self.Pi_rows = risk.Pi.reshape(n_z, n_e, n_z * n_e)  # Pi[z, e, s']

    def forecast_coords(self, coef: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """``K'(K_i, z)`` (n_z, n_K) and its log-K interpolation coordinates."""
        logKp = coef[:, :1] + coef[:, 1:] * self.logK_grid[None, :]
        j, w = interpolate_coord(self.logK_grid, logKp)
        return np.exp(logKp), j, w

    def expect(self, X: NDArray, j: NDArray, w: NDArray) -> NDArray:
        """``sum_s' Pi[(z,e), s'] X[s', K'(K_i, z), a']``, X (n_s, n_K, n_a) -> same shape.

        Between K grid points a marginal value X = u'(c) is interpolated in consumption
        space, X^(-eis), which is close to linear in K where X itself is strongly convex
        (mean log10 Euler error -4.8 -> -6.2 on the DJJ calibration); any other backward
        variable, or a non-positive one, is interpolated linearly.
        """
        eis = self.values.get("eis")
        wK = w[None, :, :, None]
        if eis is not None and np.ndim(eis) == 0 and np.all(X > 0):
            C = X ** (-eis)
            XK = (wK * C[:, j] + (1 - wK) * C[:, j + 1]) ** (-1.0 / eis)
        else:
            XK = wK * X[:, j] + (1 - wK) * X[:, j + 1]
        n_z, n_e, n_s = self.Pi_rows.shape
        out = np.empty((n_z, n_e) + X.shape[1:])
        for z in range(n_z):  # (n_e, n_s) @ (n_s, n_K * n_a)
            out[z] = (self.Pi_rows[z] @ XK[:, z].reshape(n_s, -1)).reshape(n_e, *X.shape[1:])
        return out.reshape(X.shape)

    def initial(self) -> NDArray:
        init = self.block.backward_init
        if init is None:
            raise ModelSpecError(
                f"Krusell-Smith backend: household {self.block.name!r} needs backward_init="
            )
        v = self.values
        V = init(*[v[i] for i in self.block.init_inputs])
        V = V[0] if isinstance(V, tuple) else V
        return np.broadcast_to(V, self.values["y"].shape + self.a_grid.shape).copy()

    def solve(self, coef: NDArray, V0: NDArray | None, tol: float, maxit: int) -> dict:
        """Iterate the backward step to its fixed point given the rule ``coef``."""
        _, j, w = self.forecast_coords(coef)
        V = self.initial() if V0 is None else V0
        old = None
        diff = np.inf
        for it in range(1, maxit + 1):
            Vp = self.expect(V, j, w)
            out = self.block.backward_step(self.values, **{self.bw + "_p": Vp})
            V, pol = out[self.bw], out[self.pol]
            if old is not None:
                diff = float(np.max(np.abs(pol - old)))
                if diff < tol:
                    out["iterations"] = it
                    return out
            old = pol
        raise ConvergenceError(
            f"Krusell-Smith backend: household {self.block.name!r} backward iteration did not "
            f"converge in {maxit} iterations; max policy change {diff:.3e} (tol {tol:g}) with "
            f"rule {coef.tolist()}",
            block=self.block.name,
            iterations=maxit,
            residual=diff,
        )

    def euler_errors(self, coef: NDArray, pols: dict) -> NDArray:
        """log10 |c_euler / c - 1| on the grid (NaN where constrained or off the grid)."""
        eis, beta = self.calibration["eis"], self.calibration["beta"]
        Kp, j, w = self.forecast_coords(coef)
        risk = self.risk
        rp, _ = firm_prices(
            self.firm,
            self.calibration,
            Kp[:, :, None],
            risk.z[None, None, :],
            risk.L[None, None, :],
        )  # (n_z, n_K, n_z')
        c, a = pols["c"], pols[self.pol]
        cK = w[None, :, :, None] * c[:, j] + (1 - w[None, :, :, None]) * c[:, j + 1]
        n_z, n_e, n_s = self.Pi_rows.shape
        z_of_s = np.repeat(np.arange(n_z), n_e)
        # c'(s', a'(s, K, a), K'(K, z(s))): (n_s, n_K, n_s', n_a)
        y = np.moveaxis(cK[:, z_of_s], 0, 2)
        cp = interpolate_y(self.a_grid, a[:, :, None, :], y)
        R = 1 + np.repeat(rp[z_of_s], n_e, axis=2)  # (n_s, n_K, n_s')
        mu = np.einsum("sp,skp,skpa->ska", risk.Pi, R, cp ** (-1 / eis))
        c_euler = (beta * mu) ** (-eis)
        err = np.log10(np.abs(c_euler / c - 1) + 1e-16)
        inside = (a > self.a_grid[0] + 1e-9) & (a < self.a_grid[-1])
        return np.where(inside, err, np.nan)


def solve_household(
    household,
    firm,
    risk: AggregateRisk,
    calibration: Mapping,
    coefficients: ArrayLike,
    a_grid: ArrayLike,
    K_grid: ArrayLike,
    tol: float = 1e-10,
    maxit: int = 20_000,
) -> dict[str, NDArray]:
    """Household policies on the (z, e, K, a) grid for a given forecasting rule.

    ``coefficients`` (n_z, 2) holds ``(a_z, b_z)``. Returns the step's outputs (``Va``,
    ``a``, ``c``, ...) each of shape (n_z, n_e, n_K, n_a), and ``iterations``.
    """
    a_grid, K_grid = _check_grid(a_grid, "a_grid"), _check_grid(K_grid, "K_grid")
    hh = _GridHousehold(household, firm, risk, calibration, a_grid, K_grid)
    out = hh.solve(_check_coef(coefficients, risk.n_z), None, tol, maxit)
    shape = (risk.n_z, risk.n_e, K_grid.size, a_grid.size)
    return {k: (v.reshape(shape) if np.ndim(v) == 3 else v) for k, v in out.items()}


# -------------------------------------------------------------- helpers
def _check_grid(g: ArrayLike, name: str) -> NDArray:
    g = np.ascontiguousarray(g, dtype=np.float64)
    if g.ndim != 1 or g.size < 2 or not np.all(np.diff(g) > 0) or not np.all(np.isfinite(g)):
        raise ModelSpecError(
            f"Krusell-Smith backend: {name!r} must be finite, 1-D, strictly increasing with "
            f">= 2 points, got shape {g.shape}"
        )
    if name == "K_grid" and g[0] <= 0:
        raise ModelSpecError(f"Krusell-Smith backend: 'K_grid' must be positive, got {g[0]!r}")
    return g


def _check_coef(coef: ArrayLike, n_z: int) -> NDArray:
    c = np.array(coef, dtype=np.float64)
    if c.shape != (n_z, 2) or not np.all(np.isfinite(c)):
        raise ModelSpecError(
            f"Krusell-Smith backend: rule coefficients must be finite of shape ({n_z}, 2) "
            f"(rows (a_z, b_z)), got {c.tolist()}"
        )
    return c


def estimate_rule(
    K: NDArray, z_path: NDArray, burn_in: int, fallback: NDArray
) -> tuple[NDArray, NDArray]:
    """OLS of ``log K_{t+1}`` on ``(1, log K_t)`` per state ``z_t``, for t >= ``burn_in``.

    A state that is never visited keeps ``fallback``; a state whose ``log K`` does not
    vary (std < 1e-10) keeps the fallback slope and re-estimates the intercept only.
    Returns ``coef`` (n_z, 2) and ``r2`` (n_z,), NaN where undefined.
    """
    x, y, zs = np.log(K[burn_in:-1]), np.log(K[burn_in + 1 :]), z_path[burn_in:-1]
    coef = fallback.copy()
    r2 = np.full(fallback.shape[0], np.nan)
    for z in range(fallback.shape[0]):
        m = zs == z
        if m.sum() < 3:
            continue
        xz, yz = x[m], y[m]
        xc = xz - xz.mean()
        sxx = float(xc @ xc)
        if np.sqrt(sxx / xc.size) < 1e-10:
            b = fallback[z, 1]
        else:
            b = float(xc @ (yz - yz.mean())) / sxx
        a = float(np.mean(yz - b * xz))
        coef[z] = a, b
        ssr = float(np.sum((yz - a - b * xz) ** 2))
        sst = float(np.sum((yz - yz.mean()) ** 2))
        if sst > 0:
            r2[z] = 1 - ssr / sst
    return coef, r2


def _point_mass(a_grid: NDArray, K: float, e_share: NDArray) -> NDArray:
    """Histogram with all mass at assets K (split by lottery) and employment ``e_share``."""
    i = int(np.clip(np.searchsorted(a_grid, K) - 1, 0, a_grid.size - 2))
    p = float(np.clip((a_grid[i + 1] - K) / (a_grid[i + 1] - a_grid[i]), 0, 1))
    D = np.zeros((e_share.size, a_grid.size))
    D[:, i], D[:, i + 1] = e_share * p, e_share * (1 - p)
    return D


def _reweight(D: NDArray, e_share: NDArray) -> NDArray:
    """Keep each ``e``'s conditional asset distribution, set its mass to ``e_share[e]``."""
    mass = D.sum(axis=1, keepdims=True)
    return np.where(mass > 0, D / np.where(mass > 0, mass, 1), 1 / D.shape[1]) * e_share[:, None]


def _format_history(history: list[dict], n: int = 6) -> str:
    lines = []
    for k, h in enumerate(history[-n:], start=max(1, len(history) - n + 1)):
        c = "; ".join(f"({a:.6f}, {b:.6f})" for a, b in h["coefficients"])
        lines.append(
            f"  it {k}: rule {c}, residual {h['residual']:.3e}, weight {h['update_weight']:g}"
        )
    return "\n".join(lines)


def _rep_agent_capital(risk: AggregateRisk, calibration: Mapping) -> float:
    """Capital of the representative-agent economy at mean z and L (a starting guess)."""
    beta, alpha, delta = (float(calibration[k]) for k in ("beta", "alpha", "delta"))
    from ...utils.grids import stationary

    pz = stationary(risk.Pi_z)
    z, L = float(pz @ risk.z), float(pz @ risk.L)
    return L * (alpha * z / (1 / beta - 1 + delta)) ** (1 / (1 - alpha))


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
