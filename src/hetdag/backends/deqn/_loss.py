"""Training losses (JAX): Fischer–Burmeister Euler residual and time-iteration regression.

A batch holds states ``z_hist`` (B, H) and ``D`` (B, n_e, n_a). Next period's aggregate
state is data: capital ``K' = sum D a'`` (the lottery preserves the mean) and, for the
histogram encoding, the histogram ``D'(z')`` for each possible ``z'`` pass through
``stop_gradient``. Expectations over ``(z', e')`` are exact sums with the joint chain.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._ispline import fischer_burmeister, mpc_consumption
from ._jax_sim import household_policy, prices, young_lottery
from ._network import apply_mlp, encode


def _next_states(state, z_hist, D, ap, arrays):
    """Next-period states for every z': z_hist' (n_z, H), D' (n_z, n_e, n_a), K' scalar."""
    n_z = arrays["Pi_z"].shape[0]
    a = arrays["a_grid"]
    post = young_lottery(D, ap, a)
    K_next = post.sum(axis=0) @ a
    zs = jnp.arange(n_z)
    z = z_hist[0]
    if state == "history":
        D_next = jnp.broadcast_to(D, (n_z,) + D.shape)  # unused by the encoding
    else:
        D_next = jnp.einsum("zef,ea->zfa", arrays["Pi_cond"][z], post)
    zh_next = jnp.concatenate(
        [zs[:, None], jnp.broadcast_to(z_hist[:-1], (n_z, z_hist.shape[0] - 1))], axis=1
    )
    return jax.lax.stop_gradient((zh_next, D_next, K_next))


def next_consumption(params, state, z_hist, D, ap, arrays):
    """c'(z', e', a) on the grid (n_z, n_e, n_a) and R' (n_z,) at the next states."""
    zh_n, D_n, K_n = _next_states(state, z_hist, D, jax.lax.stop_gradient(ap), arrays)
    n_z = zh_n.shape[0]
    zs = jnp.arange(n_z)
    r_n, w_n = prices(jnp.broadcast_to(K_n, (n_z,)), zs, arrays)
    a = arrays["a_grid"]
    coh = (1.0 + r_n)[:, None, None] * a + (w_n[:, None] * arrays["income"])[:, :, None] - a[0]
    x = jax.vmap(lambda zh, Dn: encode(state, zh, Dn, arrays))(zh_n, D_n)
    head = apply_mlp(params, x).reshape(n_z, D.shape[0], -1)
    return mpc_consumption(head, coh, arrays["basis"]), 1.0 + r_n


def _interp_rows(xq, grid, y):
    """Linear interpolation (extrapolation outside) of rows y (..., n_a) at xq (n_e, n_a)."""
    n = grid.shape[0]
    i = jnp.clip(jnp.searchsorted(grid, xq, side="right") - 1, 0, n - 2)
    w = (grid[i + 1] - xq) / (grid[i + 1] - grid[i])  # (n_e, n_a)
    lo = jnp.take(y, i.ravel(), axis=-1).reshape(y.shape[:-1] + i.shape)
    hi = jnp.take(y, (i + 1).ravel(), axis=-1).reshape(y.shape[:-1] + i.shape)
    return w * lo + (1.0 - w) * hi  # (..., n_e, n_a)


def euler_residual(params, state, z_hist, D, arrays, eps):
    """Relative Euler residual g, slack s and consumption c, each (n_e, n_a), one state."""
    a = arrays["a_grid"]
    K = D.sum(axis=0) @ a
    c, ap, _, _ = household_policy(params, state, z_hist, D, K, arrays)
    c_n, R_n = next_consumption(params, state, z_hist, D, ap, arrays)
    g, s = policy_residual(
        c, ap, c_n, R_n, arrays["Pi4"][z_hist[0]], a, arrays["beta"], arrays["eis"]
    )
    return g, s, c


def policy_residual(c, ap, c_next, R_next, P, a_grid, beta, eis):
    """Relative Euler residual ``g = c_E / c - 1`` and slack ``s = (a' - a_min) / c``.

    c, ap : (n_e, n_a) today's consumption and savings on the grid; c_next (n_z, n_e, n_a)
    next period's consumption on the grid for each z'; R_next (n_z,); P (n_e, n_z, n_e)
    the joint chain's rows for today's z. Expectations are exact sums over (z', e').
    """
    cp = _interp_rows(ap, a_grid, c_next)  # (n_z, n_e', n_e, n_a)
    mu = jnp.einsum("ezf,z,zfea->ea", P, R_next, cp ** (-1.0 / eis))
    c_euler = (beta * mu) ** (-eis)
    return c_euler / c - 1.0, (ap - a_grid[0]) / c


def _weights(D, a_grid, weights):
    """Loss weights over grid points (n_e, n_a): a mix of the histogram's mass, its
    wealth share ``D a / K`` (what aggregate capital is made of) and uniform."""
    mass_w, asset_w = weights
    n = D.shape[-1] * D.shape[-2]
    wealth = D * (a_grid - a_grid[0])
    return (
        mass_w * D / D.sum()
        + asset_w * wealth / jnp.maximum(wealth.sum(), 1e-30)
        + (1.0 - mass_w - asset_w) / n
    )


def residual_loss(params, batch, state, arrays, mass_weight, eps):
    """Mean over the batch of ``sum_{e,a} omega * FB(g, s)^2`` and the mean |g|."""

    def one(zh, D):
        g, s, _ = euler_residual(params, state, zh, D, arrays, eps)
        w = _weights(D, arrays["a_grid"], mass_weight)
        fb = fischer_burmeister(g, s, eps)
        return jnp.sum(w * fb * fb), jnp.sum(D * jnp.abs(fb)) / D.sum()

    loss, err = jax.vmap(one)(batch["z_hist"], batch["D"])
    return jnp.mean(loss), {"loss": jnp.mean(loss), "fb_mean": jnp.mean(err)}


def regression_loss(params, batch, state, arrays, mass_weight, eps):
    """Time iteration: mean of ``sum omega (c / c_target - 1)^2`` against EGM targets."""

    def one(zh, D, target):
        K = D.sum(axis=0) @ arrays["a_grid"]
        c, _, _, _ = household_policy(params, state, zh, D, K, arrays)
        dev = c / target - 1.0
        return jnp.sum(_weights(D, arrays["a_grid"], mass_weight) * dev * dev), jnp.sum(
            D * jnp.abs(dev)
        ) / D.sum()

    loss, err = jax.vmap(one)(batch["z_hist"], batch["D"], batch["target"])
    return jnp.mean(loss), {"loss": jnp.mean(loss), "fb_mean": jnp.mean(err)}


def continuation(params, state, z_hist, D, arrays):
    """What time iteration feeds the household block, for one state: c' on the grid
    (n_z, n_e, n_a), R' (n_z,), today's r, income y (n_e,) and consumption (n_e, n_a)."""
    a = arrays["a_grid"]
    K = D.sum(axis=0) @ a
    c, ap, r, w = household_policy(params, state, z_hist, D, K, arrays)
    c_n, R_n = next_consumption(params, state, z_hist, D, ap, arrays)
    return c_n, R_n, r, w * arrays["income"][z_hist[0]], c


def prices_at(K, z, arrays):  # re-export for the solution's checks
    return prices(K, z, arrays)
