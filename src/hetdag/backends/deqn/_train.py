"""The training loop (JAX + optax): replay buffer, simulation, Adam steps, evaluation.

``step(params, opt_state, batch) -> (params, opt_state, metrics)`` is the one pure
training step; an epoch (refresh ``n_paths`` buffer entries by ``n_sim`` periods of
simulation under the current network, then ``n_steps`` Adam steps on mini-batches) is
jitted once. Randomness flows through explicit keys split per use.
"""

from __future__ import annotations

import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...errors import NonFiniteError
from ._jax_sim import roll
from ._loss import continuation, regression_loss, residual_loss


def make_optimizer(cfg: dict, total_steps: int):
    sched = optax.cosine_decay_schedule(cfg["lr"], max(1, total_steps), alpha=cfg["lr_final"])
    return optax.chain(optax.clip_by_global_norm(cfg["clip"]), optax.adam(sched))


def build_functions(cfg: dict, arrays: dict, optimizer):
    """Jitted ``refresh``, ``train`` (n_steps Adam steps) and ``cont`` functions."""
    state = cfg["state"]
    loss_fn = residual_loss if cfg["training"] == "residual" else regression_loss
    loss_fn = partial(
        loss_fn,
        state=state,
        arrays=arrays,
        mass_weight=(cfg["mass_weight"], cfg["asset_weight"]),
        eps=cfg["fb_eps"],
    )

    def step(params, opt_state, batch):
        (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, batch)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, metrics

    @jax.jit
    def refresh(params, buffer, idx, key):
        keys = jax.random.split(key, idx.shape[0])
        zh, D, _ = jax.vmap(lambda z, d, k: roll(params, state, z, d, k, cfg["n_sim"], arrays))(
            buffer["z_hist"][idx], buffer["D"][idx], keys
        )
        return {
            **buffer,
            "z_hist": buffer["z_hist"].at[idx].set(zh),
            "D": buffer["D"].at[idx].set(D),
        }

    @jax.jit
    def train(params, opt_state, buffer, key):
        n = buffer["D"].shape[0]

        def body(carry, k):
            p, o = carry
            pick = jax.random.choice(k, n, (cfg["batch"],), replace=False)
            batch = jax.tree_util.tree_map(lambda x: x[pick], buffer)
            p, o, m = step(p, o, batch)
            return (p, o), m

        (params, opt_state), ms = jax.lax.scan(
            body, (params, opt_state), jax.random.split(key, cfg["n_steps"])
        )
        return params, opt_state, jax.tree_util.tree_map(jnp.mean, ms)

    @jax.jit
    def cont(params, buffer):
        return jax.vmap(lambda z, d: continuation(params, state, z, d, arrays))(
            buffer["z_hist"], buffer["D"]
        )

    return refresh, train, cont


def egm_targets(econ, cont_out, z_now, step: float) -> np.ndarray:
    """Time-iteration targets (NumPy): the household block's own backward step fed with
    ``Va_p = E[(1 + r') c'^{-1/eis}]``, the continuation the network implies, kept
    within a factor ``1 +- step`` of the network's current consumption (a trust
    region: one bad continuation cannot throw the regression far off)."""
    c_n, R_n, r, y, c_now = (np.asarray(x, dtype=np.float64) for x in cont_out)
    Va_n = R_n[:, :, None, None] * c_n ** (-1.0 / econ.eis)  # (B, n_z, n_e, n_a)
    Va_p = np.einsum("bezf,bzfa->bea", econ.Pi4[z_now], Va_n)
    hh = econ.household
    values = {**econ.hh_values, "a_grid": econ.a_grid, "y": y, "r": r[:, None, None]}
    out = hh.backward_step(values, **{hh.backward[0] + "_p": Va_p})
    return np.clip(out["c"], c_now * (1 - step), c_now * (1 + step))


def run_training(cfg, econ, arrays, params, buffer, key, evaluate, bar):
    """Train in place of ``params``; returns params, history, key and the elapsed time."""
    n_epochs = cfg["n_epochs"]
    opt = make_optimizer(cfg, n_epochs * cfg["n_steps"])
    opt_state = opt.init(params)
    refresh, train, cont = build_functions(cfg, arrays, opt)
    n_buf = buffer["D"].shape[0]
    groups = max(1, n_buf // cfg["n_paths"])
    history = {"epoch": [], "loss": [], "fb_mean": [], "eval_epoch": [], "euler_mean": []}
    t0 = time.perf_counter()
    last_ee = float("nan")
    for epoch in range(1, n_epochs + 1):
        key, k_sim, k_train = jax.random.split(key, 3)
        g = (epoch - 1) % groups
        idx = jnp.arange(g * cfg["n_paths"], min(n_buf, (g + 1) * cfg["n_paths"]))
        buffer = refresh(params, buffer, idx, k_sim)
        if cfg["training"] == "time_iteration":
            z_now = np.asarray(buffer["z_hist"][:, 0])
            target = egm_targets(econ, cont(params, buffer), z_now, cfg["ti_step"])
            buffer = {**buffer, "target": jnp.asarray(target, arrays["a_grid"].dtype)}
        params, opt_state, m = train(params, opt_state, buffer, k_train)
        loss = float(m["loss"])
        if not np.isfinite(loss):
            raise NonFiniteError(
                f"DEQN backend: the training loss became {loss} at epoch {epoch} of "
                f"{n_epochs} (training={cfg['training']!r}, state={cfg['state']!r}); lower "
                f"lr (now {cfg['lr']:g}) or clip (now {cfg['clip']:g})",
                variable="loss",
            )
        if epoch % cfg["log_every"] == 0 or epoch == n_epochs:
            history["epoch"].append(epoch)
            history["loss"].append(loss)
            history["fb_mean"].append(float(m["fb_mean"]))
        if cfg["eval_every"] and (epoch % cfg["eval_every"] == 0 or epoch == n_epochs):
            last_ee = evaluate(params, buffer)
            history["eval_epoch"].append(epoch)
            history["euler_mean"].append(last_ee)
        bar.update(1)
        bar.set_postfix_str(f"loss={loss:.2e} euler={last_ee:.2f}")
    return (
        params,
        buffer,
        {k: np.asarray(v) for k, v in history.items()},
        key,
        time.perf_counter() - t0,
    )
