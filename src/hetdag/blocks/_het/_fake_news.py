"""The fake-news algorithm: sequence-space Jacobians of a heterogeneous-agent block.

For an input shock of size dx at date s (news at date 0), with N individual states:

1. **Backward pass** (:func:`step1_backward`). Iterating the backward step from a
   shock j = s - t periods ahead gives, for j = 0..T-1,
   curlyY[j] = sum_states D_ss * dy_j   (the aggregate output effect at date t), and
   curlyD[j] = d(D_{t+1}) from the policy (and Markov-matrix) change, a vector in R^N.
   By time invariance, one backward pass per input covers every s.
2. **Expectation vectors** (:func:`step2_expectations`): curlyE[0] = y_ss and
   curlyE[k] = Λ^T curlyE[k-1], the expected future output of a unit of mass today,
   with Λ the steady-state law of motion (lottery, then Pi^T).
3. **Fake-news matrix** (:func:`step3_fake_news`): F[0, s] = curlyY[s] and
   F[t, s] = curlyE[t-1] · curlyD[s] for t >= 1: one (T-1) x N by N x T product per
   (output, input) pair, batched into a single product. Inputs that move the step's
   arguments in the same direction (HANK's w, N, div and tax all move income
   y = e (w N + div - tax)) have proportional curlyD[s] for s >= 1: one pass in step 1
   and one product in step 3 serve them all.
4. **Jacobian** (:func:`step4_jacobian`): J[t, s] = F[t, s] + J[t-1, s-1].

Derivatives of the backward step are central finite differences with step ``h``.
Shocks are transitory: one period, at horizon s.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ...errors import NonFiniteError
from ...jacobians._jacobian_dict import JacobianDict
from ...utils._scratch import Scratch, empty, thread_scratch
from ...utils._threads import in_threads
from ._collinear import _stack_layout, _value_direction, collinear_inputs, expand_curlyD
from ._derivative_kernels import (
    _diagonal_cumsum,
    _live_flags,
    expectation_path_1d,
)
from ._law_of_motion import _markov_axis, expectation_step_batch, forward_step
from ._local_backward import _iterate_local, build_local_derivative

# relative finite-difference steps: truncation error ~h (forward) or ~h^2 (central)
H_DEFAULT = {"forward": 1e-6, "central": 1e-4}
H_PROBE = 1e-5  # central probes of the local derivative (see _local_backward)


class _Context:
    """Steady-state objects the four steps share."""

    def __init__(self, block, ss):
        self.block = block
        ints = ss.internals[block.name]
        self.ints = ints
        self.values = {i: ss[i] for i in block.inputs}
        self.values.update({k: ints[k] for k in block.hetinputs.outputs})
        self.D = ints["D"]
        self.shape = self.D.shape
        self.Pis = [np.asarray(ints[e] if e in ints else ss[e]) for e in block.exogenous]
        ss_out = {k: ints[k] for k in list(block.f_outputs) + list(block.hetoutputs.outputs)}
        self.lottery = block._lottery(ss_out, self.values)
        self.bw = {b: ints[b] for b in block.backward}
        self.cont = {b + "_p": block._expect(self.bw[b], self.Pis) for b in block.backward}
        self.n_exo = len(block.exogenous)

    def forward_exog(self, X: np.ndarray, Pis, offset: int = 1) -> np.ndarray:
        return forward_step_exog(X, Pis, offset)

    def policy_effect(self, d: dict) -> np.ndarray:
        """Batched d(D_{t+1}) = Pi^T dΛ D_ss for policy derivatives ``d[p]`` (n_in, *shape)."""
        blk = self.block
        dpol = [d[p] for p in blk.policy]
        dD = self.lottery.forward_deriv(*dpol, self.D)
        return self.forward_exog(dD, self.Pis)


def _perturbed_values(ctx: _Context, name: str, x: float) -> dict:
    """The step's values with input ``name`` at ``x``: only the hetinputs that read it
    (transitively) run again (KS: income for w; the grids and Markov chain for none)."""
    v = dict(ctx.values)
    v[name] = x
    hetinputs = ctx.block.hetinputs
    hetinputs.run(hetinputs.moving([name]), v)
    return v


def _stack_step(ctx: _Context, v: dict, cont_batch: dict, n: int) -> dict:
    """Evaluate the step on a leading batch of continuation values, vectorised if possible."""
    blk = ctx.block
    if blk._batchable is None:
        blk._batchable = _check_batchable(ctx)
    if blk._batchable:
        return blk._step(v, cont_batch, ctx.shape, "Jacobian backward pass", check=False)
    outs = [
        blk._step(v, {k: c[m] for k, c in cont_batch.items()}, ctx.shape, "", check=False)
        for m in range(n)
    ]
    return {k: np.stack([o[k] for o in outs]) for k in outs[0]}


def _check_batchable(ctx: _Context) -> bool:
    """True if the step maps a batch of continuation values slice by slice."""
    blk = ctx.block
    rng = np.random.default_rng(0)
    conts = [
        {k: c * (1 + 1e-3 * rng.standard_normal(c.shape)) for k, c in ctx.cont.items()}
        for _ in range(2)
    ]
    try:
        batch = {k: np.stack([c[k] for c in conts]) for k in ctx.cont}
        got = blk._step(ctx.values, batch, ctx.shape, "batch check")
    except Exception:
        return False
    for j, c in enumerate(conts):
        ref = blk._step(ctx.values, c, ctx.shape, "batch check")
        for k, x in ref.items():
            g = got[k]
            if g.shape != (2,) + x.shape or not np.allclose(g[j], x, rtol=1e-12, atol=1e-14):
                return False
    return True


def step1_backward(
    ctx: _Context,
    inputs: list[str],
    outputs: list[str],
    T: int,
    h: float,
    scheme: str,
    scratch: Scratch | None = None,
):
    """curlyY (n_in, n_out, T), curlyD stacked by group, and the input groups.

    Iterates the backward step from each input's j = 0 derivative; inputs that move the
    step's arguments and Markov matrices in collinear directions share one iteration
    (``groups`` from :func:`collinear_inputs`: input a has curlyD[a, s] = c curlyD[r, s]
    for s >= 1, with r its group's representative). curlyD is returned as the rows
    step 3 multiplies, (n_rep * T + n_in - n_rep, N): the T rows of each
    representative (in input order), then column s = 0 of every other input;
    :func:`expand_curlyD` gives the (n_in, T, *shape) array.

    Derivatives are finite differences whose step is relative to the size of what moves:
    central with ``H_PROBE * max(1, |x|)`` for an input x at j = 0; for j >= 1 either the
    verified local derivative (:mod:`._local_backward`) or, as a fallback, the step itself
    in a continuation-value direction dV scaled so that ``|step * dV| = h * |V_ss|``,
    which keeps the relative accuracy constant as the response decays with j.
    """
    blk = ctx.block
    n_in = len(inputs)
    signs = (1.0,) if scheme == "forward" else (1.0, -1.0)
    curlyY = np.empty((n_in, len(outputs), T))
    keys = list(dict.fromkeys(list(blk.backward) + list(blk.policy) + [o.lower() for o in outputs]))
    # the steady-state step evaluated exactly as the perturbed ones are (not the stored
    # policies, which differ from one more step by the backward tolerance)
    base = blk._step(ctx.values, ctx.cont, ctx.shape, "Jacobian base", check=False)

    def difference(sides: list[dict], step) -> dict:
        if len(sides) == 1:
            return {k: (sides[0][k] - base[k]) / step for k in keys}
        return {k: (sides[0][k] - sides[1][k]) / (2 * step) for k in keys}

    # j = 0: the input itself moves (and with it any hetinput, e.g. a Markov matrix)
    d0 = {k: np.empty((n_in,) + ctx.shape) for k in keys}
    markov_part = np.zeros((n_in,) + ctx.shape)
    moved = []  # per input: how the step's arguments and Markov matrices move
    after_lottery = ctx.lottery.forward(ctx.D)
    for a, i in enumerate(inputs):
        # central at j = 0 whatever the scheme: one extra step per input, not per horizon
        x = ctx.values[i]
        step = H_PROBE * max(1.0, abs(x))
        outs, Ds, vs = [], [], []
        for sign in (1.0, -1.0):
            v = _perturbed_values(ctx, i, x + sign * step)
            vs.append(v)
            Pis = blk._markovs(v, "Jacobian") if _moves_markov(blk, i) else ctx.Pis
            cont = {b + "_p": blk._expect(ctx.bw[b], Pis) for b in blk.backward}
            outs.append(blk._step(v, cont, ctx.shape, f"Jacobian w.r.t. {i!r}", check=False))
            Ds.append(forward_step_exog(after_lottery, Pis) if Pis is not ctx.Pis else None)
        for k, dk in difference(outs, step).items():
            d0[k][a] = dk
        moved.append(_value_direction(blk, vs, step))
        if Ds[0] is not None:
            ref = Ds[1] if len(Ds) == 2 else forward_step_exog(after_lottery, ctx.Pis)
            markov_part[a] = (Ds[0] - ref) / (step * len(Ds))
    D0 = np.empty((n_in, 1) + ctx.shape)
    _record(ctx, d0, outputs, curlyY, D0, 0)
    D0 = D0[:, 0] + markov_part
    # j >= 1: only the continuation value moves, linearly in d0's backward variables.
    # Inputs that move the step's arguments (and Markov matrices) in one direction, e.g.
    # w, N, div, tax all moving income y, move those proportionally: they share one pass.
    # (Compared on the arguments, which are smooth, not on d0, whose finite differences
    # at the borrowing-constraint kink depend on the step size.)
    groups = collinear_inputs(moved)
    reps, others = _stack_layout(groups)
    n_rep, N = len(reps), D0[0].size
    stack = empty(scratch, "curlyD", (n_rep * T + len(others), N))
    curlyD = stack[: n_rep * T].reshape((n_rep, T) + ctx.shape)
    curlyD[:, 0] = D0[reps]
    stack[n_rep * T :] = D0[others].reshape(len(others), N)
    Y = curlyY
    if others:
        d0 = {k: v[reps] for k, v in d0.items()}
        Y = np.empty((n_rep,) + curlyY.shape[1:])
    local = None
    if scheme == "forward" and T > 2:
        n_probe = 2 * (len(blk.backward) * 2**ctx.lottery.ndim_endo + 1)
        local = build_local_derivative(
            ctx, keys, H_PROBE, lambda batch: _stack_step(ctx, ctx.values, batch, n_probe)
        )
    if local is not None:
        _iterate_local(ctx, local, d0, keys, outputs, Y, curlyD, T)
    else:
        _iterate_full(ctx, d0, keys, outputs, Y, curlyD, T, h, signs, difference)
    if others:
        for a, (r, scale) in enumerate(groups):
            curlyY[a, :, 1:] = scale * Y[reps.index(r), :, 1:]
    return curlyY, stack, groups


def _iterate_full(ctx, d0, keys, outputs, curlyY, curlyD, T, h, signs, difference):
    """Iterate the step itself for every horizon, batching inputs (and both sides)."""
    blk = ctx.block
    n_in = curlyY.shape[0]
    size = max(float(np.max(np.abs(ctx.cont[b + "_p"]))) for b in blk.backward)
    lead = (n_in,) + (1,) * len(ctx.shape)
    d = d0
    for j in range(1, T):
        dcont = {b + "_p": blk._expect(d[b], ctx.Pis, offset=1) for b in blk.backward}
        norm = np.max([np.abs(dc).reshape(n_in, -1).max(axis=1) for dc in dcont.values()], axis=0)
        step = (h * size / np.where(norm > 0, norm, 1.0)).reshape(lead)
        batch = {
            k: np.concatenate([ctx.cont[k] + sign * step * dc for sign in signs])
            for k, dc in dcont.items()
        }
        out = _stack_step(ctx, ctx.values, batch, len(signs) * n_in)
        sides = [{k: out[k][m * n_in : (m + 1) * n_in] for k in keys} for m in range(len(signs))]
        d = difference(sides, step)
        _record(ctx, d, outputs, curlyY, curlyD, j)


def forward_step_exog(X: np.ndarray, Pis, offset: int = 0) -> np.ndarray:
    """Apply ``Pi_k^T`` along exogenous axis k (after ``offset`` leading batch axes)."""
    for k, P in enumerate(Pis):
        X = _markov_axis(X, P, k + offset, forward=True)
    return X


def _moves_markov(blk, i: str) -> bool:
    return i in blk.exogenous or bool(set(blk.exogenous) & blk.hetinputs.depends_on([i]))


def _record(ctx, d, outputs, curlyY, curlyD, j):
    n_in = curlyY.shape[0]
    Dflat = ctx.D.reshape(-1)
    for b, o in enumerate(outputs):
        curlyY[:, b, j] = d[o.lower()].reshape(n_in, -1) @ Dflat
    curlyD[:, j] = ctx.policy_effect(d)


def step2_expectations(
    ctx: _Context, outputs: list[str], T: int, scratch: Scratch | None = None
) -> np.ndarray:
    """curlyE (n_out, T-1, *shape): curlyE[:, 0] = y_ss, curlyE[:, k] = Λ^T curlyE[:, k-1]."""
    n_out = len(outputs)
    E = empty(scratch, "curlyE", (n_out, max(T - 1, 0)) + ctx.shape)
    if T == 1:
        return E
    E[:, 0] = np.stack([ctx.ints[o.lower()] for o in outputs])
    lot = ctx.lottery
    if len(ctx.Pis) == 1 and lot.ndim_endo == 1:
        # the common case without per-call validation: Pi first, then the lottery's transpose
        Pi = np.ascontiguousarray(ctx.Pis[0], dtype=float)
        n_e, n_a = ctx.shape[0], int(np.prod(ctx.shape[1:]))
        a_i = np.ascontiguousarray(lot.a_i.reshape(n_e, n_a))
        a_pi = np.ascontiguousarray(lot.a_pi.reshape(n_e, n_a))
        E3 = E.reshape(n_out, T - 1, n_e, n_a)
        # one GIL-free kernel call per output, outputs in threads
        in_threads(
            [
                partial(expectation_path_1d, E3[o], Pi, a_i, a_pi, np.empty((n_e, n_a)))
                for o in range(n_out)
            ]
        )
        return E
    for k in range(1, T - 1):
        E[:, k] = expectation_step_batch(E[:, k - 1], ctx.lottery, ctx.Pis)
    return E


def step3_fake_news(
    curlyY: np.ndarray,
    curlyD: np.ndarray,
    curlyE: np.ndarray,
    groups: list[tuple[int, float]] | None = None,
    scratch: Scratch | None = None,
) -> np.ndarray:
    """F (n_out, n_in, T, T): F[o, i, 0, s] = curlyY[i, o, s]; F[o, i, t, s] = E[o,t-1]·D[i,s].

    ``curlyD`` is either every input's (n_in, T, *shape), or with ``groups`` the stacked
    rows of :func:`step1_backward` (each representative's T rows, then column 0 of each
    grouped input): one product covers them all, and a grouped input's columns s >= 1
    are c times its representative's.
    """
    n_in, n_out, T = curlyY.shape
    if groups is None:
        groups = [(i, 1.0) for i in range(n_in)]
        curlyD = curlyD.reshape(n_in * T, -1)
    reps, others = _stack_layout(groups)
    n_rep = len(reps)
    Dm = curlyD  # (n_rep * T + len(others), N), rows contiguous: no copy
    N = Dm.shape[1]
    Em = curlyE.reshape(n_out * (T - 1), N)
    # states that no shock moves mass into or out of contribute nothing to the product;
    # dropping them pays only when many are dead (the subset is a copy of E and D)
    live = _live_columns(Dm, int(0.7 * N))
    prod = empty(scratch, "EDt", (Em.shape[0], Dm.shape[0]))
    if live is not None:
        np.matmul(Em[:, live], Dm[:, live].T, out=prod)
    else:
        np.matmul(Em, Dm.T, out=prod)
    prod = prod.reshape(n_out, T - 1, Dm.shape[0])
    F = empty(scratch, "F", (n_out, n_in, T, T))
    F[:, :, 0, :] = curlyY.transpose(1, 0, 2)
    for i, (r, c) in enumerate(groups):
        k = reps.index(r)
        cols = prod[:, :, k * T : (k + 1) * T]
        if r == i:
            F[:, i, 1:, :] = cols
        else:
            F[:, i, 1:, 1:] = c * cols[:, :, 1:]
            F[:, i, 1:, 0] = prod[:, :, n_rep * T + others.index(i)]
    return F


def _live_columns(X: np.ndarray, stop_at: int) -> np.ndarray | None:
    """Indices of the columns of X (rows, N) with a non-zero entry, or None if there are
    at least ``stop_at`` of them."""
    live = np.zeros(X.shape[1], dtype=np.bool_)
    if _live_flags(X, stop_at, live) < 0:
        return None
    return np.flatnonzero(live)


def step4_jacobian(F: np.ndarray) -> np.ndarray:
    """J[..., t, s] = sum_k F[..., t-k, s-k] (the accumulation of news along diagonals)."""
    T = F.shape[-1]
    flat = np.ascontiguousarray(F.reshape(-1, T, T))
    J = np.empty_like(flat)
    _diagonal_cumsum(flat, J)
    return J.reshape(F.shape)


def fake_news_jacobian(
    block, ss, inputs: list[str], T: int, h: float | None = None, scheme: str = "forward"
) -> JacobianDict:
    """Jacobian ``J[O][i]`` (T x T) of every aggregate output O w.r.t. scalar inputs."""
    if scheme not in H_DEFAULT:
        raise ValueError(f"scheme must be one of {sorted(H_DEFAULT)}, got {scheme!r}")
    ctx = _Context(block, ss)
    outputs = list(block.outputs)
    h = H_DEFAULT[scheme] if h is None else h
    # the intermediates (~19 MB for Krusell-Smith at T = 300) live in reused buffers
    scratch = thread_scratch()
    scratch.begin()
    curlyY, curlyD, groups = step1_backward(ctx, inputs, outputs, T, h, scheme, scratch)
    curlyE = step2_expectations(ctx, outputs, T, scratch)
    if T > 1:
        F = step3_fake_news(curlyY, curlyD, curlyE, groups, scratch)
    else:
        F = curlyY.transpose(1, 0, 2)[..., None]
    # NaN or inf anywhere in curlyY or curlyD reaches F (NaN * 0 is NaN), and F is
    # 20-50x smaller than curlyD: one check here instead of one there
    if not np.isfinite(F.sum()):
        raise NonFiniteError(
            f"Block {block.name!r}: the backward step produced NaN or inf while "
            f"differentiating with respect to {inputs}",
            block=block.name,
        )
    J = step4_jacobian(F)
    nest = {o: {i: J[b, a] for a, i in enumerate(inputs)} for b, o in enumerate(outputs)}
    return JacobianDict(nest, T, block.name)


__all__ = [
    "expand_curlyD",
    "fake_news_jacobian",
    "forward_step",
    "step1_backward",
    "step2_expectations",
    "step3_fake_news",
    "step4_jacobian",
]
