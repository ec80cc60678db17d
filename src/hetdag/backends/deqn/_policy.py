"""The trained network as a NumPy policy: the one place where JAX arrays become NumPy."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._ispline import mpc_consumption
from ._network import apply_mlp, encode


class NetworkPolicy:
    """Batched ``consumption(z_hist, D, K, coh) -> c`` (NumPy float64 in and out).

    ``params`` is the network pytree; ``arrays`` the economy's JAX arrays. Evaluation
    runs in the dtype of ``arrays`` (float32 unless x64 is enabled).
    """

    def __init__(self, params, state: str, H: int, arrays: dict):
        self.params, self.state, self.H, self.arrays = params, state, int(H), arrays
        self.dtype = arrays["a_grid"].dtype

        def consume(params, z_hist, D, coh):
            x = jax.vmap(lambda zh, d: encode(state, zh, d, arrays))(z_hist, D)
            head = apply_mlp(params, x).reshape(D.shape[0], D.shape[1], -1)
            return mpc_consumption(head, coh, arrays["basis"])

        self._consume = jax.jit(consume)

    def __call__(self, z_hist, D, K, coh) -> np.ndarray:
        zh = jnp.asarray(np.asarray(z_hist)[:, : self.H], dtype=jnp.int32)
        c = self._consume(self.params, zh, jnp.asarray(D, self.dtype), jnp.asarray(coh, self.dtype))
        return np.asarray(c, dtype=np.float64)


def params_to_numpy(params) -> list[dict]:
    return jax.tree_util.tree_map(lambda x: np.asarray(x), params)


def params_to_jax(params, dtype) -> list[dict]:
    return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype), params)
