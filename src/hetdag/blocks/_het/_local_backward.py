"""A fast path for step 1 of the fake-news algorithm: local continuation dependence.

In an endogenous-grid (EGM) step, every output at a state depends on the continuation
values only at the corners of the lottery cell of that state's policy: the two grid
points bracketing a' (four for a two-dimensional policy). The derivative of the step
with respect to the continuation values is then a sparse linear map with one
coefficient per (output, backward variable, corner). Colouring grid points by parity
makes the corners of every cell differ in colour, so perturbing all points of one
colour at once recovers every coefficient: 2 (or 4) probes per backward variable
instead of one step per horizon and input.

The map is accepted only after it reproduces a finite-difference step in a random
dense direction; otherwise the caller iterates the full step (exact, slower).
:func:`_iterate_local` runs step 1's horizons on the accepted map.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ...utils._threads import in_threads
from ._derivative_kernels import aggregation_weights, apply_local_derivative, local_backward_path_1d


class LocalDerivative:
    """Sparse derivative of the step's outputs ``keys`` w.r.t. continuation values."""

    def __init__(self, coef: np.ndarray, col: np.ndarray, keys: list[str], n_exo_flat: int):
        self.coef = coef  # (K, B, C, E, M)
        self.col = col  # (C, E, M)
        self.keys = keys
        self.E = n_exo_flat

    def apply(self, dcont: np.ndarray) -> np.ndarray:
        """dcont (N, B, E, M) -> d outputs (N, K, E, M)."""
        N = dcont.shape[0]
        K, _, _, E, M = self.coef.shape
        out = np.empty((N, K, E, M))
        apply_local_derivative(self.coef, self.col, np.ascontiguousarray(dcont), out)
        return out


def _corners(ctx) -> np.ndarray:
    """col[c, e, m]: flat endogenous index of the corner of colour c of each state's cell."""
    lot = ctx.lottery
    n_endo = lot.ndim_endo
    E = int(np.prod(ctx.shape[: len(ctx.shape) - n_endo]))
    a_i = lot.a_i.reshape(E, -1)
    if n_endo == 1:
        cols = [np.where(a_i % 2 == c, a_i, a_i + 1) for c in (0, 1)]
    else:
        n_a = ctx.shape[-1]
        b_i = lot.b_i.reshape(E, -1)
        cols = []
        for cb in (0, 1):
            bc = np.where(b_i % 2 == cb, b_i, b_i + 1)
            for ca in (0, 1):
                ac = np.where(a_i % 2 == ca, a_i, a_i + 1)
                cols.append(bc * n_a + ac)
    return np.ascontiguousarray(np.stack(cols), dtype=np.int64)


def _colour_masks(ctx) -> list[np.ndarray]:
    shape = ctx.shape
    n_endo = ctx.lottery.ndim_endo
    if n_endo == 1:
        par = np.arange(shape[-1]) % 2
        return [np.broadcast_to(par == c, shape) for c in (0, 1)]
    pb = (np.arange(shape[-2]) % 2)[:, None]
    pa = (np.arange(shape[-1]) % 2)[None, :]
    return [np.broadcast_to((pb == cb) & (pa == ca), shape) for cb in (0, 1) for ca in (0, 1)]


def build_local_derivative(ctx, keys: list[str], h: float, step_fn):
    """Probe the step by colour; return a verified LocalDerivative or None.

    ``step_fn(batch)`` evaluates the step on a dict of stacked continuation values and
    returns stacked outputs. Probes are central differences with relative step ``h``.
    """
    blk = ctx.block
    bnames = [b + "_p" for b in blk.backward]
    masks = _colour_masks(ctx)
    # central differences: the probes are few, and their error compounds over horizons
    steps = {k: h * np.maximum(np.abs(ctx.cont[k]), 1e-12) for k in bnames}
    rng = np.random.default_rng(12345)
    direction = {k: steps[k] * rng.uniform(-1.0, 1.0, ctx.shape) for k in bnames}
    batch = {k: [] for k in bnames}
    for sign in (1.0, -1.0):
        for b in bnames:
            for mask in masks:
                for k in bnames:
                    batch[k].append(ctx.cont[k] + (sign * steps[k] * mask if k == b else 0.0))
        # last slice of each side: a random dense direction that verifies the map
        for k in bnames:
            batch[k].append(ctx.cont[k] + sign * direction[k])
    out = step_fn({k: np.stack(v) for k, v in batch.items()})
    C = len(masks)
    B = len(bnames)
    half = B * C + 1
    diff = {k: (out[k][:half] - out[k][half:]) / 2 for k in keys}
    n_endo = ctx.lottery.ndim_endo
    E = int(np.prod(ctx.shape[: len(ctx.shape) - n_endo]))
    M = int(np.prod(ctx.shape[-n_endo:]))
    col = _corners(ctx)
    coef = np.zeros((len(keys), B, C, E, M))
    for bi, b in enumerate(bnames):
        st = steps[b].reshape(E, M)
        for c in range(C):
            # the perturbation each state saw: the step at the corner of colour c
            denom = np.take_along_axis(st, col[c], axis=1)
            slot = bi * C + c
            for ki, k in enumerate(keys):
                coef[ki, bi, c] = diff[k][slot].reshape(E, M) / denom
    local = LocalDerivative(coef, col, keys, E)
    dcont = np.stack([direction[b].reshape(E, M) for b in bnames])[None]
    pred = local.apply(dcont)[0]
    # each row's own scale: the sum of its corner contributions before they cancel
    size = LocalDerivative(np.abs(coef), col, keys, E).apply(np.abs(dcont))[0]
    eps = np.finfo(float).eps
    for ki, k in enumerate(keys):
        fd = diff[k][B * C].reshape(E, M)
        err = np.abs(pred[ki] - fd)
        # a difference of the step cannot resolve below the rounding of its own output: a
        # state whose output reads no continuation value (SSJ's hh_labor solves its
        # constrained households by Newton from a seed) differs by ~eps * |output|
        level = np.abs(out[k][B * C]).reshape(E, M)
        floor = 1e-10 * float(np.max(size[ki])) + 64 * eps * level
        if not np.all(err <= 1e-3 * size[ki] + floor):
            return None
    return local


def _iterate_local(ctx, local, d0, keys, outputs, curlyY, curlyD, T):
    """Iterate the verified sparse derivative of the step instead of the step itself."""
    blk = ctx.block
    n_in = curlyY.shape[0]
    E, M = local.E, local.coef.shape[-1]
    b_idx = [keys.index(b) for b in blk.backward]
    p_idx = [keys.index(p) for p in blk.policy]
    o_idx = [keys.index(o.lower()) for o in outputs]
    Dflat = ctx.D.reshape(-1)
    bw = np.stack([d0[b] for b in blk.backward], axis=1)  # (n_in, B, *shape)
    B = bw.shape[1]
    lot = ctx.lottery
    if len(ctx.Pis) == 1 and lot.ndim_endo == 1 and len(p_idx) == 1:
        # the common case: each input's loop over horizons is one GIL-free numba call,
        # and inputs run in parallel threads
        coef, col = local.coef, local.col
        Pi = np.ascontiguousarray(ctx.Pis[0], dtype=float)
        D2 = np.ascontiguousarray(ctx.D.reshape(E, M))
        a_i = np.ascontiguousarray(lot.a_i.reshape(E, M))
        bi, oi = np.array(b_idx, dtype=np.int64), np.array(o_idx, dtype=np.int64)
        g = aggregation_weights(coef, col, D2, oi)
        bw = np.ascontiguousarray(bw.reshape(n_in, B, E, M))
        cD = curlyD.reshape(n_in, T, E, M)
        run = [
            partial(local_backward_path_1d, coef, col, bw[n], Pi, D2, a_i, lot.a_grid, bi,
                    p_idx[0], g, curlyY[n], cD[n])
            for n in range(n_in)
        ]  # fmt: skip
        in_threads(run)
        return
    for j in range(1, T):
        dcont = blk._expect(bw.reshape((n_in * B,) + ctx.shape), ctx.Pis, offset=1)
        dout = local.apply(dcont.reshape(n_in, B, E, M))
        curlyY[:, :, j] = dout[:, o_idx].reshape(n_in, len(outputs), -1) @ Dflat
        dpol = {p: dout[:, k].reshape((n_in,) + ctx.shape) for p, k in zip(blk.policy, p_idx)}
        curlyD[:, j] = ctx.policy_effect(dpol)
        bw = dout[:, b_idx].reshape((n_in, B) + ctx.shape)
