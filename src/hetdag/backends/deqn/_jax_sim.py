"""Young's histogram, prices and policies along simulated paths in JAX (no gradients).

The forward roll is data for training: every output passes through
``jax.lax.stop_gradient``. :func:`young_step_jax` is the JAX twin of
:func:`hetdag.blocks.young_step` (same bracket, same clipping at the grid's ends).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._ispline import mpc_consumption
from ._network import apply_mlp, encode


def lottery(x: jax.Array, grid: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Bracket ``i`` in [0, n-2] and weight ``p`` on ``grid[i]`` of choices ``x`` (clipped)."""
    n = grid.shape[0]
    i = jnp.clip(jnp.searchsorted(grid, x, side="right") - 1, 0, n - 2)
    p = (grid[i + 1] - x) / (grid[i + 1] - grid[i])
    p = jnp.where(x <= grid[0], 1.0, jnp.where(x >= grid[-1], 0.0, p))
    return i, p


def young_lottery(D: jax.Array, x: jax.Array, grid: jax.Array) -> jax.Array:
    """Push ``D`` (n_e, n_a) through the lottery of choices ``x`` (n_e, n_a)."""
    i, p = lottery(x, grid)
    rows = jnp.broadcast_to(jnp.arange(D.shape[0])[:, None], D.shape)
    out = jnp.zeros_like(D).at[rows, i].add(p * D)
    return out.at[rows, i + 1].add((1.0 - p) * D)


def young_step_jax(D: jax.Array, x: jax.Array, grid: jax.Array, Pi: jax.Array) -> jax.Array:
    """``Pi.T @ Λ(x) D``: D, x (n_e, n_a); grid (n_a,); Pi (n_e, n_e). As ``hd.young_step``."""
    return Pi.T @ young_lottery(D, x, grid)


def prices(K: jax.Array, z: jax.Array, arrays: dict) -> tuple[jax.Array, jax.Array]:
    """``(r, w)`` at capital K and state z from the firm block's table (linear in log K)."""
    lk = jnp.log(K)
    r = jax.vmap(jnp.interp, in_axes=(0, None, 0))(
        jnp.ravel(lk), arrays["logK_table"], arrays["r_table"][jnp.ravel(z)]
    )
    w = jax.vmap(jnp.interp, in_axes=(0, None, 0))(
        jnp.ravel(lk), arrays["logK_table"], arrays["w_table"][jnp.ravel(z)]
    )
    return r.reshape(jnp.shape(K)), w.reshape(jnp.shape(K))


def household_policy(params, state: str, z_hist, D, K, arrays):
    """One state's policy: consumption, savings and (r, w); shapes (n_e, n_a), scalars."""
    z = z_hist[0]
    r, w = prices(K[None], z[None], arrays)
    r, w = r[0], w[0]
    a = arrays["a_grid"]
    coh = (1.0 + r) * a[None, :] + w * arrays["income"][z][:, None] - a[0]
    head = apply_mlp(params, encode(state, z_hist, D, arrays)).reshape(D.shape[0], -1)
    c = mpc_consumption(head, coh, arrays["basis"])
    return c, coh + a[0] - c, r, w


def roll(params, state: str, z_hist, D, key, n_steps: int, arrays):
    """Simulate one path ``n_steps`` periods from ``(z_hist, D)`` under ``params``.

    Aggregate states are drawn from ``Pi_z`` with ``key``. Returns the final
    ``(z_hist, D)`` and the path of K, shape (n_steps,). No gradient flows.
    """
    params = jax.lax.stop_gradient(params)
    u = jax.random.uniform(key, (n_steps,), dtype=D.dtype)

    def step(carry, u_t):
        zh, Dt = carry
        K = Dt.sum(axis=0) @ arrays["a_grid"]
        _, ap, _, _ = household_policy(params, state, zh, Dt, K, arrays)
        z = zh[0]
        zn = jnp.minimum(
            jnp.searchsorted(jnp.cumsum(arrays["Pi_z"][z]), u_t, side="right"),
            arrays["Pi_z"].shape[0] - 1,
        )
        Dn = young_step_jax(Dt, ap, arrays["a_grid"], arrays["Pi_cond"][z, zn])
        Dn = Dn / Dn.sum()  # no drift of the mass in float32 over long rolls
        zh = jnp.concatenate([zn[None], zh[:-1]])
        return (zh, Dn), K

    (zh, Dn), K = jax.lax.scan(step, (z_hist, D), u)
    return jax.lax.stop_gradient(zh), jax.lax.stop_gradient(Dn), K
