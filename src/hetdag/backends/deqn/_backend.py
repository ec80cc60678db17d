"""The DEQN backend: options, setup, warm start, training and validation."""

from __future__ import annotations

import time
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import ArrayLike

from ...errors import ModelSpecError
from ...utils.grids import asset_grid
from .._base import AggregateRisk, GlobalBackend
from .._paths import simulate_policy
from ._economy import Economy
from ._ispline import mpc_consumption
from ._network import coarse_matrix, init_mlp, n_inputs
from ._policy import NetworkPolicy, params_to_numpy
from ._solution import DeqnSolution, _as_histogram, draw_path
from ._steady import warm_start
from ._train import run_training

_STATES = ("history", "histogram")
_TRAININGS = ("residual", "time_iteration")


class DeqnBackend(GlobalBackend):
    """Deep equilibrium nets on the household het block and the firm simple block.

    Training runs in float32 unless JAX's x64 mode is enabled (then float64);
    validation (simulation and Euler errors) runs in NumPy float64.

    Parameters
    ----------
    state : {"history", "histogram"}
        Encoding of the aggregate state: the last ``H`` aggregate states, or the
        histogram on ``n_coarse`` asset points per idiosyncratic state plus ``z``.
    training : {"residual", "time_iteration"}
        Fischer–Burmeister loss on the Euler residual, or regression on the household
        block's own EGM step fed with the continuation the network implies.
    H : int
        History length. Default 100: capital is the slow state, and on the DJJ economy
        the Krusell–Smith rule's slope is b_z = 0.964, so a shock H quarters old still
        moves today's capital by b_z^H of its effect: 2.6% at H = 100 (16% at the
        sequence-space tutorial's H = 50). Longer histories cost little (one input each).
    n_coarse : int
        Coarse asset points of the histogram encoding.
    a_grid, n_a, a_max : the household's asset grid (default ``asset_grid(0, 1000, 200)``,
        as the Krusell–Smith backend).
    hidden : tuple of int
        Hidden layer widths (tanh).
    n_basis, spline_shift : I-spline head: number of cubic I-splines and the shift in
        ``log(a - a_min + shift)``.
    n_epochs, n_steps, batch, n_buffer, n_paths, n_sim : training schedule: epochs
        (default 3,000 for the residual, 8,000 for time iteration, whose damped steps
        move less per epoch);
        Adam steps per epoch; mini-batch size; replay buffer size; buffer entries
        refreshed per epoch; periods simulated per refresh.
    lr, lr_final, clip : Adam learning rate, cosine-decayed to ``lr * lr_final``; global
        gradient-norm clip.
    mass_weight, asset_weight : float
        Loss weights over grid points: ``mass_weight`` on the histogram's mass,
        ``asset_weight`` on its wealth share ``D a / K`` (aggregate capital is made of
        it), the rest uniform.
    ti_step : float
        Time iteration: each target stays within ``1 +- ti_step`` times the network's
        current consumption (a trust region against a runaway iteration; on the DJJ
        economy 0.02 left K 0.19% off Krusell–Smith on average, 0.01 0.06%).
    fb_eps : float
        Smoothing inside the Fischer–Burmeister square root.
    warm_start : bool
        Start the head at the household block's own policy, and the simulations at its
        stationary histogram, at the capital that households hold when capital is
        frozen (:func:`~hetdag.backends.deqn._steady.warm_start`); else a generic MPC
        schedule and all mass at the representative-agent capital.
    T_val, T_burn_val, eval_every, T_eval : validation path length (periods) after a
        burn-in; evaluate Euler errors on a ``T_eval`` path every ``eval_every`` epochs
        (0: never) for the history and the progress bar.
    tol : float
        ``success`` needs the validation mean log10 Euler error <= ``tol``.
    seed, seed_val : int
        Seeds of training (network, simulations, batches) and of the validation path.
    progress : bool
        tqdm bar with the loss and the latest Euler error.
    """

    name = "deqn"

    def __init__(
        self,
        *,
        state: str = "history",
        training: str = "residual",
        H: int = 100,
        n_coarse: int = 16,
        a_grid: ArrayLike | None = None,
        n_a: int = 200,
        a_max: float = 1000.0,
        hidden: tuple[int, ...] = (64, 64),
        n_basis: int = 30,
        spline_shift: float = 0.5,
        n_epochs: int | None = None,
        n_steps: int = 10,
        batch: int = 16,
        n_buffer: int = 128,
        n_paths: int = 8,
        n_sim: int = 20,
        lr: float = 1e-3,
        lr_final: float = 0.01,
        clip: float = 1.0,
        mass_weight: float = 0.5,
        asset_weight: float = 0.0,
        ti_step: float = 0.01,
        fb_eps: float = 1e-12,
        warm_start: bool = True,
        T_val: int = 10_000,
        T_burn_val: int = 500,
        eval_every: int = 500,
        T_eval: int = 500,
        tol: float = -3.0,
        seed: int = 0,
        seed_val: int | None = None,
        progress: bool = True,
    ):
        if state not in _STATES:
            raise ModelSpecError(f"DEQN backend: state must be one of {_STATES}, got {state!r}")
        if training not in _TRAININGS:
            raise ModelSpecError(
                f"DEQN backend: training must be one of {_TRAININGS}, got {training!r}"
            )
        if n_epochs is None:
            n_epochs = 3000 if training == "residual" else 8000
        ints = dict(
            H=H,
            n_coarse=n_coarse,
            n_a=n_a,
            n_basis=n_basis,
            n_epochs=n_epochs,
            n_steps=n_steps,
            batch=batch,
            n_buffer=n_buffer,
            n_paths=n_paths,
            n_sim=n_sim,
            T_val=T_val,
        )
        bad = {k: v for k, v in ints.items() if int(v) != v or v < 1}
        if bad or T_val < 2 or n_coarse < 2:
            raise ModelSpecError(f"DEQN backend: need positive integers, got {bad}")
        if batch > n_buffer or n_paths > n_buffer:
            raise ModelSpecError(
                f"DEQN backend: batch ({batch}) and n_paths ({n_paths}) must not exceed "
                f"n_buffer ({n_buffer})"
            )
        if not (
            lr > 0
            and clip > 0
            and mass_weight >= 0
            and asset_weight >= 0
            and mass_weight + asset_weight <= 1
            and fb_eps >= 0
        ):
            raise ModelSpecError(
                "DEQN backend: need lr > 0, clip > 0, mass_weight, asset_weight >= 0 with "
                "mass_weight + asset_weight <= 1, fb_eps >= 0"
            )
        self.a_grid = None if a_grid is None else np.asarray(a_grid, dtype=np.float64)
        if self.a_grid is not None and (
            self.a_grid.ndim != 1 or self.a_grid.size < 3 or np.any(np.diff(self.a_grid) <= 0)
        ):
            raise ModelSpecError("DEQN backend: 'a_grid' must be 1-D, increasing, >= 3 points")
        self.seed = int(seed)
        self.seed_val = self.seed + 1 if seed_val is None else int(seed_val)
        if self.seed_val == self.seed:
            raise ModelSpecError("DEQN backend: seed_val must differ from seed")
        self.progress = bool(progress)
        self.cfg = dict(
            state=state,
            training=training,
            H=int(H) if state == "history" else 1,
            n_coarse=int(n_coarse),
            n_a=int(n_a),
            a_max=float(a_max),
            hidden=tuple(hidden),
            n_basis=int(n_basis),
            spline_shift=float(spline_shift),
            n_epochs=int(n_epochs),
            n_steps=int(n_steps),
            batch=int(batch),
            n_buffer=int(n_buffer),
            n_paths=int(n_paths),
            n_sim=int(n_sim),
            lr=float(lr),
            lr_final=float(lr_final),
            clip=float(clip),
            mass_weight=float(mass_weight),
            asset_weight=float(asset_weight),
            ti_step=float(ti_step),
            fb_eps=float(fb_eps),
            warm_start=bool(warm_start),
            T_val=int(T_val),
            T_burn_val=int(T_burn_val),
            eval_every=int(eval_every),
            T_eval=int(T_eval),
            tol=float(tol),
            seed=self.seed,
            seed_val=self.seed_val,
            log_every=max(1, int(n_epochs) // 500),
        )

    # ------------------------------------------------------------------ setup
    def _economy(self, household, firm, risk, calibration) -> Economy:
        if not isinstance(risk, AggregateRisk):
            raise ModelSpecError(
                f"DEQN backend: 'risk' must be an AggregateRisk, got {type(risk).__name__}"
            )
        for k in ("beta", "eis", "alpha", "delta"):
            if k not in calibration:
                raise ModelSpecError(f"DEQN backend: calibration needs {k!r}")
        cfg = self.cfg
        g = self.a_grid if self.a_grid is not None else asset_grid(0.0, cfg["a_max"], cfg["n_a"])
        return Economy(
            household, firm, risk, dict(calibration), g, cfg["n_basis"], cfg["spline_shift"]
        )

    def _arrays(self, econ: Economy) -> dict:
        dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
        arrays = econ.to_jax(dtype)
        arrays["coarse"] = jnp.asarray(coarse_matrix(econ.a_grid, self.cfg["n_coarse"]), dtype)
        arrays["K_ref"] = jnp.asarray(econ.K_ref, dtype)
        return arrays

    def _init_params(self, econ, arrays, key, c_target, K):
        """Network with zero output weights; the output bias fits ``c_target`` (n_z, n_e, n_a)
        across aggregate states at constant capital (or a generic schedule)."""
        cfg = self.cfg
        n_e, nb = econ.risk.n_e, cfg["n_basis"]
        bias = np.zeros((n_e, nb + 2))
        bias[:, 0] = 2.0
        sizes = [n_inputs(cfg["state"], cfg["H"], n_e, cfg["n_coarse"]), *cfg["hidden"]]
        sizes.append(n_e * (nb + 2))
        if c_target is not None:
            bias = fit_head(econ, arrays, c_target, bias, K)
        return init_mlp(key, sizes, arrays["a_grid"].dtype, jnp.asarray(bias).ravel())

    # ------------------------------------------------------------------ solve
    def solve(self, household, firm, risk: AggregateRisk, calibration: Mapping[str, float]):
        """Train and validate; returns :class:`DeqnSolution` (``success`` False if the
        validation Euler error misses ``tol``; raises ``NonFiniteError`` on a NaN loss)."""
        from tqdm import tqdm

        t0 = time.perf_counter()
        cfg = self.cfg
        econ = self._economy(household, firm, risk, calibration)
        arrays = self._arrays(econ)
        key = jax.random.PRNGKey(cfg["seed"])
        key, k_net, k_buf = jax.random.split(key, 3)
        if cfg["warm_start"]:
            K_ws, c_ss, D_ss, z0 = warm_start(econ)
        else:  # from scratch: generic head, all mass at the representative-agent capital
            K_ws, c_ss, z0 = econ.K_ref, None, 0
            D_ss = _point_mass(econ.a_grid, econ.K_ref, risk.e_dist[0])
        params = self._init_params(econ, arrays, k_net, c_ss, K_ws)
        buffer = self._initial_buffer(arrays, D_ss, z0, params, k_buf)

        def evaluate(params, buffer):
            pol = NetworkPolicy(params, cfg["state"], cfg["H"], arrays)
            z = draw_path(risk.Pi_z, cfg["T_eval"], cfg["seed"] + 7919, int(buffer["z_hist"][0, 0]))
            out = simulate_policy(
                pol,
                econ.prices,
                risk,
                econ.a_grid,
                z,
                _as_histogram(buffer["D"][0]),
                econ.beta,
                econ.eis,
                cfg["H"],
                np.asarray(buffer["z_hist"][0])[::-1][:-1],
            )
            return out["euler"]["mean"]

        with tqdm(
            total=cfg["n_epochs"],
            desc=f"DEQN {cfg['state']}/{cfg['training']}",
            disable=not self.progress,
        ) as bar:
            params, buffer, history, key, t_train = run_training(
                cfg, econ, arrays, params, buffer, key, evaluate, bar
            )
        sol = DeqnSolution.from_training(
            econ=econ,
            cfg=cfg,
            params=params_to_numpy(params),
            history=history,
            train_time=t_train,
            buffer=buffer,
        )
        sol.validate()
        sol["elapsed"] = time.perf_counter() - t0
        return sol

    def _initial_buffer(self, arrays, D_ss, z0, params, key):
        """Buffer entries at the warm-start histogram, then a burn-in of ``max(2H, 200)``
        periods each under the initial network, with independent shocks."""
        from ._jax_sim import roll

        cfg = self.cfg
        n, H = cfg["n_buffer"], cfg["H"]
        dtype = arrays["a_grid"].dtype
        zh = jnp.full((n, H), z0, dtype=jnp.int32)
        D = jnp.broadcast_to(jnp.asarray(D_ss, dtype), (n,) + D_ss.shape)
        n_burn = max(2 * H, 200)
        keys = jax.random.split(key, n)
        zh, D, _ = jax.jit(
            jax.vmap(lambda z, d, k: roll(params, cfg["state"], z, d, k, n_burn, arrays))
        )(zh, D, keys)
        return {"z_hist": zh, "D": D}


def _point_mass(g, K: float, e_share) -> np.ndarray:
    """Histogram (n_e, n_a): mass ``e_share`` at assets ``K`` (split by the lottery)."""
    i = int(np.clip(np.searchsorted(g, K) - 1, 0, g.size - 2))
    p = float(np.clip((g[i + 1] - K) / (g[i + 1] - g[i]), 0.0, 1.0))
    D = np.zeros((len(e_share), g.size))
    D[:, i], D[:, i + 1] = np.asarray(e_share) * p, np.asarray(e_share) * (1 - p)
    return D


def fit_head(econ, arrays, c_target, bias, K, steps: int = 1500):
    """Output bias (n_e, n_basis + 2) whose consumption best matches ``c_target``
    (n_z, n_e, n_a) at constant capital ``K`` in every aggregate state."""
    import optax

    n_z = econ.risk.n_z
    r, w = econ.prices(np.full(n_z, K), np.arange(n_z))
    g = econ.a_grid
    coh = (1 + r)[:, None, None] * g + (w[:, None] * econ.risk.income)[:, :, None] - g[0]
    dtype = arrays["a_grid"].dtype
    coh, tgt = jnp.asarray(coh, dtype), jnp.asarray(c_target, dtype)

    def loss(b):
        c = mpc_consumption(jnp.broadcast_to(b, (n_z,) + b.shape), coh, arrays["basis"])
        return jnp.mean((c / tgt - 1.0) ** 2)

    opt = optax.adam(0.05)

    @jax.jit
    def run(b):
        def body(carry, _):
            b, s = carry
            gr = jax.grad(loss)(b)
            u, s = opt.update(gr, s)
            return (optax.apply_updates(b, u), s), None

        (b, _), _ = jax.lax.scan(body, (b, opt.init(b)), None, length=steps)
        return b

    return np.asarray(run(jnp.asarray(bias, dtype)), dtype=np.float64)


def solve_deqn(household, firm, risk, calibration, **options) -> DeqnSolution:
    """Solve with deep equilibrium nets; ``options`` go to :class:`DeqnBackend`."""
    return DeqnBackend(**options).solve(household, firm, risk, calibration)
