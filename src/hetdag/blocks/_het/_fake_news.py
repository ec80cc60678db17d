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

Helpers live beside it: the shared context and batched steps in :mod:`._context`, the
grouping of collinear inputs in :mod:`._collinear`, the local derivative and its path
in :mod:`._local_backward`, and the numba kernels in :mod:`._derivative_kernels`.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ...errors import NonFiniteError
from ...jacobians._jacobian_dict import JacobianDict
from ...utils._scratch import Scratch, empty, thread_scratch
from ...utils._threads import in_threads
from ._collinear import _stack_layout, _value_direction, collinear_inputs, expand_curlyD
from ._context import (
    _Context,
    _moves_markov,
    _perturbed_values,
    _stack_step,
    forward_step_exog,
)
from ._derivative_kernels import (
    _diagonal_cumsum,
    _live_flags,
    expectation_path_1d,
)
from ._law_of_motion import expectation_step_batch, forward_step
from ._local_backward import _iterate_local, build_local_derivative

# relative finite-difference steps: truncation error ~h (forward) or ~h^2 (central)
H_DEFAULT = {"forward": 1e-6, "central": 1e-4}
H_PROBE = 1e-5  # central probes of the local derivative (see _local_backward)


def step1_backward(
    ctx: _Context,
    inputs: list[str],
    outputs: list[str],
    T: int,
    h: float,
    scheme: str,
    scratch: Scratch | None = None,
    parts: list[str] | None = None,
):
    """curlyY (n_in, n_out, T), curlyD stacked by group, and the input groups.

    ``parts[a]`` says which effects of input a to take: ``"all"`` (default), or for an
    input that moves a Markov matrix, ``"args"`` (the step's arguments only, Markov
    matrices held at the steady state) or ``"markov"`` (the Markov matrices only, dated
    as if ``Pi_s`` moved e_s to e_{s+1}; :func:`fake_news_jacobian` re-dates it).

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
    parts = parts or ["all"] * n_in
    for a, i in enumerate(inputs):
        # central at j = 0 whatever the scheme: one extra step per input, not per horizon
        x = ctx.values[i]
        step = H_PROBE * max(1.0, abs(x))
        outs, Ds, vs = [], [], []
        for sign in (1.0, -1.0):
            v = _perturbed_values(ctx, i, x + sign * step)
            moves = _moves_markov(blk, i) and parts[a] != "args"
            Pis = blk._markovs(v, "Jacobian") if moves else ctx.Pis
            if parts[a] == "markov":  # only the Markov matrices move
                v = {**ctx.values, **{e: v[e] for e in blk.exogenous if e in v}}
            elif parts[a] == "args":
                v.update({e: ctx.values[e] for e in blk.exogenous if e in ctx.values})
            vs.append(v)
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
    block,
    ss,
    inputs: list[str],
    T: int,
    h: float | None = None,
    scheme: str = "forward",
    outputs: list[str] | None = None,
) -> JacobianDict:
    """Jacobian ``J[O][i]`` (T x T) of the aggregate outputs O (default: all) w.r.t.
    scalar inputs."""
    if scheme not in H_DEFAULT:
        raise ValueError(f"scheme must be one of {sorted(H_DEFAULT)}, got {scheme!r}")
    ctx = _Context(block, ss)
    outputs = [o for o in block.outputs if outputs is None or o in outputs]
    h = H_DEFAULT[scheme] if h is None else h
    # An input that moves a Markov matrix is split in two: its effect through the step's
    # arguments, and its effect through Pi, which step 1 dates as if Pi_s moved e_s to
    # e_{s+1} and _redate_markov moves one period earlier (Pi_s moves e_{s-1} to e_s).
    markov = [i for i in inputs if _moves_markov(block, i)]
    pseudo = [i for i in inputs if i not in markov] + markov + markov
    parts = ["all"] * (len(inputs) - len(markov)) + ["args"] * len(markov)
    parts += ["markov"] * len(markov)
    # the intermediates (~19 MB for Krusell-Smith at T = 300) live in reused buffers
    scratch = thread_scratch()
    scratch.begin()
    curlyY, curlyD, groups = step1_backward(ctx, pseudo, outputs, T, h, scheme, scratch, parts)
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
    if markov:
        J = _redate_markov(ctx, J, curlyE, len(inputs) - len(markov), len(markov), pseudo, outputs)
    order = [pseudo.index(i) for i in inputs]
    nest = {o: {i: J[b, a] for a, i in zip(order, inputs)} for b, o in enumerate(outputs)}
    return JacobianDict(nest, T, block.name)


def _redate_markov(
    ctx: _Context, J: np.ndarray, curlyE: np.ndarray, n0: int, n_m: int, pseudo, outputs
):
    """Jacobians of Markov-moving inputs with ``Pi_s`` moving e_{s-1} to e_s.

    ``J`` (n_out, n0 + 2 n_m, T, T) holds, for each Markov-moving input, its "args" part
    (columns n0..n0+n_m) and its "markov" part dated one period late (the last n_m). A
    change of Pi_s enters the expectation of period s-1 and D_s, which is the late-dated
    part's column s-1; for s = 0 it moves D_0 = Pi_0^T Λ_ss D_ss by m = dPi^T Λ_ss D_ss,
    and O_t by curlyE[t] · m. Returns the n0 + n_m columns in ``pseudo``'s first order.
    """
    T = J.shape[-1]
    out = J[:, : n0 + n_m].copy()
    late = J[:, n0 + n_m :]
    out[:, n0:, :, 1:] += late[:, :, :, :-1]
    E = np.empty((curlyE.shape[0], T) + ctx.shape)  # curlyE with its row T - 1
    E[:, : T - 1] = curlyE
    last = E[:, T - 2] if T > 1 else np.stack([ctx.ints[o.lower()] for o in outputs])
    E[:, T - 1] = expectation_step_batch(last, ctx.lottery, ctx.Pis) if T > 1 else last
    after_lottery = ctx.lottery.forward(ctx.D)
    for k, i in enumerate(pseudo[n0 : n0 + n_m]):
        x = ctx.values[i]
        step = H_PROBE * max(1.0, abs(x))
        Ds = [
            forward_step_exog(after_lottery, ctx.block._markovs(_perturbed_values(ctx, i, y), ""))
            for y in (x + step, x - step)
        ]
        m = (Ds[0] - Ds[1]) / (2 * step)
        out[:, n0 + k, :, 0] += E.reshape(E.shape[0], T, -1) @ m.reshape(-1)
    return out


__all__ = [
    "expand_curlyD",
    "fake_news_jacobian",
    "forward_step",
    "step1_backward",
    "step2_expectations",
    "step3_fake_news",
    "step4_jacobian",
]
