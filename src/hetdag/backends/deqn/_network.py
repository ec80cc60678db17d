"""The network (a pytree of arrays) and the encodings of the aggregate state (JAX).

A state is a pair ``(z_hist, D)``: ``z_hist`` (H,) the aggregate states
``z_t, z_{t-1}, ..., z_{t-H+1}`` (H = 1 for the histogram encoding) and ``D``
(n_e, n_a) the histogram at the start of the period. The encodings read:

* ``history``: the codes of the last H aggregate states (±1 for two states);
* ``histogram``: the histogram moved onto a coarse asset grid by Young's lottery
  (mass and mean preserved), scaled by the number of coarse points, each
  idiosyncratic state's mean assets relative to the reference capital, and the code
  of ``z_t``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...utils.grids import asset_grid


def coarse_matrix(a_grid: np.ndarray, n_coarse: int) -> np.ndarray:
    """(n_a, n_coarse) lottery of the fine grid's points onto a coarse asset grid (NumPy)."""
    cg = asset_grid(float(a_grid[0]), float(a_grid[-1]), int(n_coarse))
    i = np.clip(np.searchsorted(cg, a_grid, side="right") - 1, 0, cg.size - 2)
    p = np.clip((cg[i + 1] - a_grid) / (cg[i + 1] - cg[i]), 0.0, 1.0)
    M = np.zeros((a_grid.size, cg.size))
    M[np.arange(a_grid.size), i] = p
    M[np.arange(a_grid.size), i + 1] += 1.0 - p
    return M


def n_inputs(state: str, H: int, n_e: int, n_coarse: int) -> int:
    return H if state == "history" else n_e * n_coarse + n_e + 1


def encode(state: str, z_hist: jax.Array, D: jax.Array, arrays: dict) -> jax.Array:
    """Network input of one state: z_hist (H,), D (n_e, n_a) -> (n_inputs,)."""
    if state == "history":
        return arrays["z_code"][z_hist]
    coarse = D @ arrays["coarse"]  # (n_e, n_coarse)
    mass = D.sum(axis=-1)
    mean_a = (D @ arrays["a_grid"]) / jnp.maximum(mass, 1e-12) / arrays["K_ref"] - 1.0
    return jnp.concatenate(
        [coarse.ravel() * coarse.shape[-1], mean_a, arrays["z_code"][z_hist[:1]]]
    )


def init_mlp(key: jax.Array, sizes: list[int], dtype, out_bias: jax.Array) -> list[dict]:
    """Glorot-uniform hidden layers; the output layer starts at zero weights and bias
    ``out_bias`` so that the initial policy does not depend on the aggregate state."""
    params = []
    keys = jax.random.split(key, len(sizes) - 1)
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        lim = float(np.sqrt(6.0 / (n_in + n_out)))
        if k < len(sizes) - 2:
            W = jax.random.uniform(keys[k], (n_in, n_out), dtype, -lim, lim)
            b = jnp.zeros((n_out,), dtype)
        else:
            W = jnp.zeros((n_in, n_out), dtype)
            b = jnp.asarray(out_bias, dtype).reshape(n_out)
        params.append({"W": W, "b": b})
    return params


def apply_mlp(params: list[dict], x: jax.Array) -> jax.Array:
    """tanh hidden layers, linear output: x (..., n_in) -> (..., n_out)."""
    for layer in params[:-1]:
        x = jnp.tanh(x @ layer["W"] + layer["b"])
    return x @ params[-1]["W"] + params[-1]["b"]
