"""The DEQN solution: validation, policies, simulation, plots, save and load."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ...errors import ModelSpecError
from .._base import GlobalSolution
from .._paths import simulate_policy
from ..krusell_smith import draw_aggregate_path

_FORMAT = "hetdag-deqn-1"
_STORED = (
    "success",
    "message",
    "nit",
    "elapsed",
    "train_time",
    "seed",
    "seed_val",
    "hyperparameters",
    "history",
    "params",
    "K_path",
    "z_path",
    "C_path",
    "r_path",
    "w_path",
    "euler_path",
    "den_haan_max",
    "den_haan_mean",
    "euler_error_mean",
    "euler_error_median",
    "euler_error_p99",
    "euler_error_max",
    "D",
    "z_hist",
    "a_grid",
    "risk",
    "calibration",
    "policies",
)


def _as_histogram(D) -> np.ndarray:
    D = np.maximum(np.asarray(D, dtype=np.float64), 0.0)
    return D / D.sum()


def draw_path(Pi_z, T: int, seed: int, z0: int | None = None) -> np.ndarray:
    return draw_aggregate_path(Pi_z, T, seed, z0)


class DeqnSolution(GlobalSolution):
    """Deep-equilibrium-net solution (a dict with attribute access).

    Keys
    ----
    success, message, nit
        ``success`` is True when the validation mean log10 Euler error is at most
        the backend's ``tol``; ``nit`` counts training epochs.
    elapsed, train_time : float
        Wall-clock seconds of the whole solve and of the training loop.
    seed, seed_val : int
        Seeds of training and of the validation path.
    hyperparameters : dict
        Every option the backend ran with.
    history : dict of arrays
        ``epoch, loss, fb_mean`` (mean |residual| on the last mini-batches) and
        ``eval_epoch, euler_mean`` (log10 Euler error on a short path).
    params : list of dict
        Network weights (NumPy), layers of ``W`` and ``b``.
    K_path, z_path, C_path, r_path, w_path, euler_path : ndarray, shape (T_val,)
        The validation path (seed ``seed_val``, after a burn-in), never seen in training;
        ``euler_path`` is the mass-weighted mean log10 Euler error per period.
    euler_error_mean, euler_error_median, euler_error_p99, euler_error_max : float
        log10 unit-free Euler errors on the validation path, mass-weighted
        (:func:`hetdag.backends._accuracy.euler_error_stats`).
    den_haan_max, den_haan_mean : float
        Zero by construction: there is no forecasting rule; capital always comes from
        the simulated histogram.
    policies : dict
        ``c`` and ``a`` (n_z, n_e, n_a) at the validation path's mean capital, with
        each aggregate state's history held constant.
    D, z_hist : ndarray
        Histogram (n_e, n_a) and history (H,) at the end of the validation path.
    """

    # ------------------------------------------------------------ building
    @classmethod
    def from_training(cls, econ, cfg, params, history, train_time, buffer):
        sol = cls(
            success=False,
            message="not validated",
            nit=cfg["n_epochs"],
            elapsed=float("nan"),
            train_time=float(train_time),
            seed=cfg["seed"],
            seed_val=cfg["seed_val"],
            hyperparameters=dict(cfg),
            history=history,
            params=params,
            D=_as_histogram(buffer["D"][0]),
            z_hist=np.asarray(buffer["z_hist"][0], dtype=np.int64),
            a_grid=econ.a_grid,
            risk=econ.risk,
            calibration=econ.calibration,
            household=econ.household,
            firm=econ.firm,
            den_haan_max=0.0,
            den_haan_mean=0.0,
        )
        sol._econ = econ
        return sol

    @property
    def economy(self):
        if getattr(self, "_econ", None) is None:
            from ._economy import Economy

            cfg = self["hyperparameters"]
            self._econ = Economy(
                self["household"],
                self["firm"],
                self["risk"],
                dict(self["calibration"]),
                np.asarray(self["a_grid"]),
                cfg["n_basis"],
                cfg["spline_shift"],
            )
        return self._econ

    def network_policy(self):
        """The batched NumPy policy of the trained network (built on first use)."""
        if getattr(self, "_policy", None) is None:
            import jax
            import jax.numpy as jnp

            from ._network import coarse_matrix
            from ._policy import NetworkPolicy, params_to_jax

            cfg = self["hyperparameters"]
            dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
            arrays = self.economy.to_jax(dtype)
            arrays["coarse"] = jnp.asarray(coarse_matrix(self["a_grid"], cfg["n_coarse"]), dtype)
            arrays["K_ref"] = jnp.asarray(self.economy.K_ref, dtype)
            self._policy = NetworkPolicy(
                params_to_jax(self["params"], dtype), cfg["state"], cfg["H"], arrays
            )
        return self._policy

    def validate(self) -> None:
        """Simulate the burn-in and the validation path; fill the accuracy fields."""
        cfg = self["hyperparameters"]
        T_b, T_v = max(2, cfg["T_burn_val"]), cfg["T_val"]
        z_all = draw_path(self["risk"].Pi_z, T_b + T_v, cfg["seed_val"], int(self["z_hist"][0]))
        burn = self.simulate(z_all[:T_b], errors=False)
        self["D"], self["z_hist"] = burn["D"], burn["z_hist_end"]
        out = self.simulate(z_all[T_b - 1 : T_b - 1 + T_v])
        stats = out["euler"]
        self.update(
            K_path=out["K"],
            z_path=z_all[T_b - 1 : T_b - 1 + T_v],
            C_path=out["C"],
            r_path=out["r"],
            w_path=out["w"],
            euler_path=out["euler_path"],
            euler_error_mean=stats["mean"],
            euler_error_median=stats["median"],
            euler_error_p99=stats["p99"],
            euler_error_max=stats["max"],
            D=out["D"],
            z_hist=out["z_hist_end"],
        )
        n_z = self["risk"].n_z
        pol = [self.policy(z, K=float(out["K"].mean())) for z in range(n_z)]
        self["policies"] = {k: np.stack([p[k] for p in pol]) for k in ("c", "a")}
        ok = stats["mean"] <= cfg["tol"]
        self["success"] = bool(ok)
        self["message"] = (
            f"trained {cfg['n_epochs']} epochs; validation Euler error mean log10 "
            f"{stats['mean']:.3f}, p99 {stats['p99']:.3f} on {T_v} periods "
            + ("(meets" if ok else "(misses")
            + f" tol {cfg['tol']:g})"
        )

    # ------------------------------------------------------------ use
    def policy(
        self,
        z: int,
        history: ArrayLike | None = None,
        D: ArrayLike | None = None,
        K: float | None = None,
    ) -> dict:
        """Consumption and savings on the asset grid at one aggregate state.

        ``z`` is today's aggregate state; ``history`` the earlier states, most recent
        first (default: ``z`` repeated); ``D`` (n_e, n_a) the histogram (default: the
        one stored at the end of validation); ``K`` capital (default ``sum D a``).
        Returns ``c``, ``a`` (n_e, n_a) and the prices ``r``, ``w``.
        """
        risk, g = self["risk"], np.asarray(self["a_grid"])
        if not 0 <= int(z) < risk.n_z:
            raise ModelSpecError(f"policy: z must lie in [0, {risk.n_z - 1}], got {z!r}")
        H = self["hyperparameters"]["H"]
        hist = np.full(H, int(z), dtype=np.int64)
        if history is not None:
            h = np.asarray(history, dtype=np.int64)[: H - 1]
            hist[1 : 1 + h.size] = h
        D = np.asarray(self["D"] if D is None else D, dtype=np.float64)
        K = float(D.sum(axis=0) @ g) if K is None else float(K)
        r, w = self.economy.prices(np.array([K]), np.array([int(z)]))
        coh = (1 + r[0]) * g[None, :] + w[0] * risk.income[int(z)][:, None] - g[0]
        c = self.network_policy()(hist[None], D[None], np.array([K]), coh[None])[0]
        return {"c": c, "a": coh + g[0] - c, "r": float(r[0]), "w": float(w[0])}

    def simulate(
        self,
        z_path: ArrayLike,
        D0: ArrayLike | None = None,
        pre_history: ArrayLike | None = None,
        errors: bool = True,
        keep_histograms: bool = False,
    ) -> dict:
        """Histogram simulation along ``z_path`` under the trained network.

        ``D0`` defaults to the stored histogram, ``pre_history`` (states before
        ``z_path[0]``, most recent last) to the stored history. Returns ``K, C, r, w``
        (T,) paths, the final ``D`` and, with ``errors``, ``euler`` statistics (log10
        mean, median, p99, max) and ``euler_path``.
        """
        econ = self.economy
        H = self["hyperparameters"]["H"]
        D0 = self["D"] if D0 is None else D0
        if pre_history is None:
            pre_history = np.asarray(self["z_hist"])[::-1][:-1]
        return simulate_policy(
            self.network_policy(),
            econ.prices,
            self["risk"],
            econ.a_grid,
            np.asarray(z_path),
            np.asarray(D0),
            econ.beta,
            econ.eis,
            H,
            np.asarray(pre_history),
            errors,
            keep_histograms,
        )

    # ------------------------------------------------------------ plot
    def plot(self, figsize: tuple[float, float] = (12.0, 3.6)):
        """Training curve, policies (MPC) by aggregate state, K along validation.

        Returns a :class:`matplotlib.figure.Figure` (no pyplot state is touched).
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout="constrained")
        ax1, ax2, ax3 = fig.subplots(1, 3)
        h = self["history"]
        ax1.semilogy(h["epoch"], h["loss"], lw=0.8, label="loss")
        ax1.set_xlabel("epoch")
        ax1.set_ylabel("loss")
        if len(h["eval_epoch"]):
            axb = ax1.twinx()
            axb.plot(h["eval_epoch"], h["euler_mean"], "o-", color="C1", ms=3)
            axb.set_ylabel("log10 Euler error (mean)", color="C1")
        risk, g = self["risk"], np.asarray(self["a_grid"])
        zl = risk.z_labels or tuple(f"z={v:g}" for v in risk.z)
        el = risk.e_labels or tuple(f"e{e}" for e in range(risk.n_e))
        top = int(np.searchsorted(g, 3 * np.mean(self["K_path"]))) + 1
        for z in range(risk.n_z):
            for e in range(risk.n_e):
                ax2.plot(
                    g[:top],
                    self["policies"]["c"][z, e, :top],
                    lw=0.9,
                    ls="-" if z == risk.n_z - 1 else "--",
                    label=f"{zl[z]}, {el[e]}",
                )
        ax2.set_xlabel("assets a")
        ax2.set_ylabel("consumption c")
        ax2.legend(fontsize=7)
        ax3.plot(self["K_path"], lw=0.6)
        ax3.set_xlabel("t (validation)")
        ax3.set_ylabel("K")
        ax3.set_title(
            f"Euler log10: mean {self['euler_error_mean']:.2f}, p99 {self['euler_error_p99']:.2f}",
            fontsize=9,
        )
        return fig

    # ------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Save to ``path`` (a pickle of NumPy arrays and plain data).

        The household and firm blocks are stored by reference (module and name), so
        :meth:`load` finds them again when they live at module level; otherwise pass
        them to :meth:`load`.
        """
        data = {k: self[k] for k in _STORED if k in self}
        refs = {k: _block_ref(self[k]) for k in ("household", "firm")}
        with open(Path(path), "wb") as f:
            pickle.dump({"format": _FORMAT, "data": data, "blocks": refs}, f)

    @classmethod
    def load(cls, path, household=None, firm=None) -> DeqnSolution:
        """Load a solution saved by :meth:`save` (trusted files only: it is a pickle).

        ``household`` and ``firm`` override the blocks stored by reference.
        """
        with open(Path(path), "rb") as f:
            blob = pickle.load(f)
        if not isinstance(blob, dict) or blob.get("format") != _FORMAT:
            raise ModelSpecError(f"DeqnSolution.load: {path} is not a saved DEQN solution")
        given = {"household": household, "firm": firm}
        blocks = {}
        for k, ref in blob["blocks"].items():
            blocks[k] = given[k] if given[k] is not None else _resolve(ref, k, path)
        return cls(**blob["data"], **blocks)


def _block_ref(block) -> tuple[str, str] | None:
    """``(module, attribute)`` under which ``block`` is importable, else None."""
    import sys

    mod = getattr(getattr(block, "f", None), "__module__", None)
    for name, value in vars(sys.modules.get(mod, object)).items():
        if value is block:
            return (mod, name)
    return None


def _resolve(ref, which: str, path):
    import importlib

    if ref is None:
        raise ModelSpecError(
            f"DeqnSolution.load: the {which} block of {path} is not importable by name; "
            f"pass it: load(path, {which}=...)"
        )
    return getattr(importlib.import_module(ref[0]), ref[1])
