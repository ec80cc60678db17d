"""The solution object of the Krusell–Smith backend and its plot."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...errors import ModelSpecError
from .._base import GlobalSolution
from .._paths import simulate_policy


class KrusellSmithSolution(GlobalSolution):
    """Krusell–Smith solution (dict with attribute access).

    Keys
    ----
    success, message, nit, max_residual
        Outer-loop status; ``max_residual`` is ``max |theta_OLS - theta|`` at the end.
    coefficients : ndarray, shape (n_z, 2)
        Forecasting rule ``log K' = a_z + b_z log K``, rows ``(a_z, b_z)``; the rule the
        households solved with.
    r_squared : ndarray, shape (n_z,)
        R² of the OLS fit in each aggregate state on the estimation sample after burn-in
        (NaN for a state with no variation in ``log K``).
    den_haan_max, den_haan_mean : float
        ``100 max/mean |log K_t - log K_t^rule|`` (percent) on the independent path.
    euler_error_mean, euler_error_max : float
        log10 of the unit-free Euler error ``|c_euler / c - 1|`` at the grid points of
        (z, e, K, a) whose choice is unconstrained and inside the asset grid; ``c_euler``
        inverts ``beta E[(1 + r') c'^{-1/eis}]`` with ``c'`` interpolated at ``(a', K')``
        and ``r'`` from the firm at the forecast ``K'``. Mean is of log10 errors.
    iterations : int
        Outer iterations (same as ``nit``).
    history : list of dict
        Per outer iteration: ``coefficients`` (used), ``ols`` (re-estimated), ``r_squared``,
        ``residual`` (max abs gap) and ``update_weight``.
    K_path, z_path : ndarray, shape (T,)
        Estimation simulation (seed ``seed``); regressions use ``t >= burn_in``.
    K_path_den_haan, K_rule_den_haan, z_path_den_haan : ndarray, shape (T_den_haan,)
        Independent simulation (seed ``seed_den_haan``) and the rule-only path.
    policies : dict
        ``a``, ``c``, ``Va`` on the grid, each (n_z, n_e, n_K, n_a).
    K_grid, a_grid : ndarray
        Aggregate and individual grids.
    D, D_z : ndarray (n_e, n_a), int
        Histogram at the start of the last estimation period and its aggregate state.
    elapsed : float
        Wall-clock seconds of the solve.
    risk, calibration, firm
        The inputs.
    """

    def _consumption(self, z_hist, D, K, coh):
        """Batched policy for :func:`~hetdag.backends._paths.simulate_policy`: the savings
        choice interpolated linearly in log K (as the histogram kernel does), then
        ``c = coh + a_min - a'`` at the prices the simulation realises."""
        a_pol = self["policies"]["a"]  # (n_z, n_e, n_K, n_a)
        logK = np.log(self["K_grid"])
        x = np.log(np.asarray(K, dtype=float))
        k = np.clip(np.searchsorted(logK, x, side="right") - 1, 0, logK.size - 2)
        w = (logK[k + 1] - x) / (logK[k + 1] - logK[k])
        z = np.asarray(z_hist)[:, 0]
        ap = w[:, None, None] * a_pol[z, :, k] + (1 - w[:, None, None]) * a_pol[z, :, k + 1]
        return coh + self["a_grid"][0] - ap

    def _prices(self, K, z):
        from ._household import firm_prices

        risk = self["risk"]
        z = np.asarray(z, dtype=np.int64)
        return firm_prices(self["firm"], self["calibration"], K, risk.z[z], risk.L[z])

    def simulate(
        self,
        z_path: ArrayLike,
        D0: ArrayLike | None = None,
        pre_history: ArrayLike | None = None,
        errors: bool = True,
        keep_histograms: bool = False,
    ):
        """Histogram simulation along ``z_path`` under the solved policies.

        Capital comes from the histogram (not the rule); prices from the firm block at
        that capital. ``D0`` (n_e, n_a) defaults to the stored histogram ``D``;
        ``pre_history`` is accepted so that every backend's ``simulate`` takes the same
        arguments, and ignored (the rule reads K and z only). Returns
        ``K, C, r, w`` (T,) paths, the final ``D`` and, with ``errors``, the Euler-error
        statistics ``euler`` (log10 mean, median, p99, max; mass-weighted) measured by
        the function every backend shares, with the prices realised along the path.
        """
        if "firm" not in self:
            raise ModelSpecError("simulate: this solution does not carry its firm block")
        D0 = self["D"] if D0 is None else D0
        cal = self["calibration"]
        return simulate_policy(
            self._consumption,
            self._prices,
            self["risk"],
            self["a_grid"],
            np.asarray(z_path),
            np.asarray(D0),
            cal["beta"],
            cal["eis"],
            errors=errors,
            keep_histograms=keep_histograms,
        )

    def forecast(self, K: ArrayLike, z: int) -> NDArray[np.float64]:
        """Next-period capital predicted by the rule in aggregate state ``z``."""
        a, b = self["coefficients"][z]
        return np.exp(a + b * np.log(np.asarray(K, dtype=float)))

    def plot(self, figsize: tuple[float, float] = (10.0, 4.0)):
        """Rule against the simulation: ``log K'`` vs ``log K`` and the Den Haan path.

        Returns a :class:`matplotlib.figure.Figure` (no pyplot state is touched).
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        K, zs, burn = self["K_path"], self["z_path"], self["burn_in"]
        x, y, zt = np.log(K[burn:-1]), np.log(K[burn + 1 :]), zs[burn:-1]
        labels = self["risk"].z_labels or tuple(f"z={v:g}" for v in self["risk"].z)
        lo, hi = x.min(), x.max()
        grid = np.linspace(lo, hi, 50)
        for z, (a, b) in enumerate(self["coefficients"]):
            m = zt == z
            if not m.any():
                continue
            pts = ax1.plot(x[m], y[m], ".", ms=2, alpha=0.3, label=f"simulated, {labels[z]}")
            ax1.plot(
                grid,
                a + b * grid,
                "-",
                color=pts[0].get_color(),
                lw=1.2,
                label=f"rule, {labels[z]}: R²={self['r_squared'][z]:.6f}",
            )
        ax1.set_xlabel("log K")
        ax1.set_ylabel("log K'")
        ax1.legend(fontsize=7)
        t = np.arange(self["K_path_den_haan"].size)
        ax2.plot(t, self["K_path_den_haan"], lw=0.8, label="simulated (histogram)")
        ax2.plot(t, self["K_rule_den_haan"], lw=0.8, ls="--", label="rule only")
        ax2.set_xlabel("t")
        ax2.set_ylabel("K")
        ax2.set_title(
            f"Den Haan: max {self['den_haan_max']:.3f}%, mean {self['den_haan_mean']:.4f}%",
            fontsize=9,
        )
        ax2.legend(fontsize=7)
        return fig
