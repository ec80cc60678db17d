"""The shape-preserving policy head (I-spline MPC schedule) and the Fischer–Burmeister function.

For each idiosyncratic state the network emits ``n_basis + 2`` numbers: a logit for the
top MPC ``alpha = sigmoid(.)`` and ``n_basis + 1`` logits whose softmax ``w`` weighs the
I-splines (the first weight belongs to the zero function and keeps the MPC positive):

.. math::

    \\mathrm{MPC}_j = \\alpha \\big(1 - \\textstyle\\sum_{k \\ge 1} w_k I_k(x_j)\\big)
    \\in (0, \\alpha), \\qquad
    c_j = \\textstyle\\sum_{i \\le j} \\mathrm{MPC}_i\\, (\\tilde m_i - \\tilde m_{i-1}),

with ``x_j`` the schedule's points (borrowing limit, then interval midpoints of the
asset grid) mapped through ``log(a - a_min + shift)`` to [0, 1], ``m~ = (1 + r) a + y -
a_min`` cash on hand net of the limit and ``m~_{-1} = 0``. Each ``I_k`` increases from
0 to 1, so the MPC falls along the grid: consumption is positive, increasing and
concave in cash on hand and ``a' = m - c > a_min``, for every value of the logits.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import BSpline

from ...errors import ModelSpecError


def ispline_basis(
    points: NDArray, a_min: float, a_max: float, n_basis: int, shift: float = 0.5
) -> NDArray[np.float64]:
    """Cubic I-splines ``I_1..I_n`` at ``points`` (NumPy), shape (n_points, n_basis).

    The variable is ``x = log(a - a_min + shift)`` rescaled to [0, 1] on ``[a_min, a_max]``
    with uniform interior knots; ``I_k`` is the tail sum ``sum_{j >= k} B_j`` of the
    ``n_basis + 1`` clamped cubic B-splines, so each rises monotonically from 0 to 1.
    """
    if n_basis < 1 or not shift > 0 or not a_max > a_min:
        raise ModelSpecError(
            f"ispline_basis: need n_basis >= 1, shift > 0, a_max > a_min; got {n_basis}, "
            f"{shift}, [{a_min}, {a_max}]"
        )
    lo, hi = np.log(shift), np.log(a_max - a_min + shift)
    x = (np.log(np.clip(np.asarray(points, float), a_min, a_max) - a_min + shift) - lo) / (hi - lo)
    n_b, k = n_basis + 1, 3
    inner = np.linspace(0.0, 1.0, n_b - k + 1)
    t = np.concatenate([np.zeros(k), inner, np.ones(k)])
    B = BSpline.design_matrix(np.clip(x, 0.0, 1.0), t, k).toarray()  # (n, n_b)
    tail = np.cumsum(B[:, ::-1], axis=1)[:, ::-1]  # tail[:, j] = sum_{i >= j} B_i
    return np.clip(tail[:, 1:], 0.0, 1.0)


def mpc_consumption(head: jax.Array, coh: jax.Array, basis: jax.Array) -> jax.Array:
    """Consumption on the asset grid from the head's logits.

    Parameters
    ----------
    head : (..., n_e, n_basis + 2)
        Logits: ``[alpha, w_0, ..., w_n_basis]`` per idiosyncratic state.
    coh : (..., n_e, n_a)
        Cash on hand net of the borrowing limit, ``(1 + r) a + y - a_min`` (> 0).
    basis : (n_a, n_basis)
        I-splines at the schedule points (:func:`ispline_basis`).

    Returns
    -------
    (..., n_e, n_a)
        Consumption; ``0 < c < coh``, increasing and concave in ``coh``.
    """
    alpha = jax.nn.sigmoid(head[..., 0])
    w = jax.nn.softmax(head[..., 1:], axis=-1)[..., 1:]
    # 1 - sum_k w_k B_k >= 0 since the w_k sum to at most 1 and B_k <= 1; in float32 it
    # can round to -1e-7 when one weight saturates (a logit of 30), which would make
    # consumption fall: clip at 0
    mpc = alpha[..., None] * jnp.maximum(1.0 - jnp.einsum("...k,jk->...j", w, basis), 0.0)
    dm = jnp.diff(coh, axis=-1, prepend=jnp.zeros_like(coh[..., :1]))
    return jnp.cumsum(mpc * dm, axis=-1)


def fischer_burmeister(g: jax.Array, s: jax.Array, eps: float = 0.0) -> jax.Array:
    """``sqrt(g² + s² + eps) - g - s``: zero iff ``g >= 0, s >= 0, g s = 0`` (eps = 0)."""
    return jnp.sqrt(g * g + s * s + eps) - g - s
