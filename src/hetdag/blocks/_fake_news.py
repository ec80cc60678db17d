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
from numba import njit

from ..errors import NonFiniteError
from ..jacobians._jacobian_dict import JacobianDict
from ..utils._scratch import Scratch, empty, thread_scratch
from ..utils._threads import in_threads
from ._het_kernels import aggregation_weights, expectation_path_1d, local_backward_path_1d
from ._law_of_motion import _markov_axis, expectation_step_batch, forward_step
from ._local_backward import build_local_derivative

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
        self.batchable: dict = {}  # (batch size, shape) -> verified (see _stack_step)

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


def _stack_step(ctx, v: dict, cont_batch: dict, n: int) -> dict:
    """Evaluate the step on a leading batch of n continuation values, vectorised where
    that was verified for this context and batch size.

    Whether a step maps a stacked batch slice by slice depends on the step *and on its
    inputs*: a step that indexes with ``np.nonzero`` where a constraint binds (SSJ's
    ``hh_labor``) mixes the batch axis into the state axes, which is harmless where the
    constraint is slack and wrong (or an IndexError) where it binds. So the decision is
    never cached on the block: it is made on the first batch of each size that a context
    (one Jacobian at one steady state, one Newton solve) evaluates, on its real inputs,
    by comparing every slice with an unbatched call; ``ctx.batchable[(n, shape)]`` keeps
    it. (Newton's probes keep theirs on the block, per batch size and state shape: a
    wrong probe there can slow Newton down but not change its answer.)
    """
    blk = ctx.block
    key = (n, ctx.shape)
    ok = ctx.batchable.get(key)
    if ok:
        try:
            return blk._step(v, cont_batch, ctx.shape, "Jacobian backward pass", check=False)
        except Exception:  # inputs the first batch did not reach: evaluate slice by slice
            ctx.batchable[key] = False
    outs = [
        blk._step(v, {k: c[m] for k, c in cont_batch.items()}, ctx.shape, "", check=False)
        for m in range(n)
    ]
    stacked = {k: np.stack([np.asarray(o[k], dtype=float) for o in outs]) for k in outs[0]}
    if ok is None:
        ctx.batchable[key] = _batch_matches(blk, v, cont_batch, ctx.shape, stacked)
    return stacked


def _batch_matches(blk, v: dict, cont_batch: dict, shape: tuple, ref: dict) -> bool:
    """True if the step on the whole batch reproduces ``ref``, its slice-by-slice result."""
    try:
        got = blk._step(v, cont_batch, shape, "batch check", check=False)
    except Exception:
        return False
    for k, x in ref.items():
        g = np.asarray(got.get(k), dtype=float)
        if g.shape != x.shape or not np.allclose(g, x, rtol=1e-12, atol=1e-14, equal_nan=True):
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


def _stack_layout(groups: list[tuple[int, float]]) -> tuple[list[int], list[int]]:
    """The rows of the stacked curlyD: the representatives (each T rows, in input order),
    then the other inputs (their column s = 0, one row each)."""
    reps = sorted({r for r, _ in groups})
    others = [a for a, (r, _) in enumerate(groups) if r != a]
    return reps, others


def expand_curlyD(stack: np.ndarray, groups: list[tuple[int, float]], T: int) -> np.ndarray:
    """curlyD (n_in, T, N) of every input from :func:`step1_backward`'s stacked rows."""
    reps, others = _stack_layout(groups)
    n_rep = len(reps)
    out = np.empty((len(groups), T, stack.shape[1]))
    for a, (r, c) in enumerate(groups):
        rows = stack[reps.index(r) * T : (reps.index(r) + 1) * T]
        if r == a:
            out[a] = rows
        else:
            out[a, 0] = stack[n_rep * T + others.index(a)]
            out[a, 1:] = c * rows[1:]
    return out


def _value_direction(blk, vs: list[dict], step: float) -> np.ndarray:
    """Central difference of the step's non-continuation arguments and Markov matrices."""
    keys = [k for k in blk.f_inputs if not k.endswith("_p") or k[:-2] not in blk.backward]
    keys += [e for e in blk.exogenous if e not in keys]
    parts = [
        (np.asarray(vs[0][k], dtype=float) - np.asarray(vs[1][k], dtype=float)).ravel()
        for k in keys
        if k in vs[0]
    ]
    return np.concatenate(parts) / (2 * step) if parts else np.zeros(0)


def collinear_inputs(vectors: list[np.ndarray], rtol: float = 1e-8) -> list[tuple[int, float]]:
    """For each vector a, ``(r, c)`` with ``vectors[a] = c * vectors[r]`` for an earlier
    representative r (``(a, 1.0)`` when a is its own). Collinear means
    ``max|v_a - c v_r| <= rtol * max|v_a|`` with c the least-squares scale; a zero vector
    joins the first representative with c = 0. ``rtol`` sits far below the finite-difference
    error of the Jacobian (~1e-6), so sharing a pass costs no accuracy.
    """
    out: list[tuple[int, float]] = []
    reps: list[int] = []
    for a, v in enumerate(vectors):
        size = float(np.max(np.abs(v))) if v.size else 0.0
        found = None
        if size == 0.0 and reps:
            found = (reps[0], 0.0)
        for r in reps if found is None else ():
            w = vectors[r]
            ww = float(w @ w)
            if ww == 0.0:
                continue
            c = float(w @ v) / ww
            if np.max(np.abs(v - c * w)) <= rtol * size:
                found = (r, c)
                break
        if found is None:
            reps.append(a)
            found = (a, 1.0)
        out.append(found)
    return out


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


@njit(cache=True)
def _live_flags(X, stop_at, live):
    # live[c] = any(X[:, c] != 0), row by row; returns the count, or -1 once it reaches
    # stop_at (the early rows of curlyD already reach most states, so this is cheap)
    n = 0
    for r in range(X.shape[0]):
        for c in range(X.shape[1]):
            if not live[c] and X[r, c] != 0.0:
                live[c] = True
                n += 1
        if n >= stop_at:
            return -1
    return n


def _live_columns(X: np.ndarray, stop_at: int) -> np.ndarray | None:
    """Indices of the columns of X (rows, N) with a non-zero entry, or None if there are
    at least ``stop_at`` of them."""
    live = np.zeros(X.shape[1], dtype=np.bool_)
    if _live_flags(X, stop_at, live) < 0:
        return None
    return np.flatnonzero(live)


@njit(cache=True)
def _diagonal_cumsum(F, J):
    # J[t, s] = F[t, s] + J[t-1, s-1], over a stack of (T, T) matrices
    n, T = F.shape[0], F.shape[1]
    for m in range(n):
        for s in range(T):
            J[m, 0, s] = F[m, 0, s]
        for t in range(1, T):
            J[m, t, 0] = F[m, t, 0]
            for s in range(1, T):
                J[m, t, s] = F[m, t, s] + J[m, t - 1, s - 1]


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
        J = _redate_markov(ctx, J, curlyE, len(inputs) - len(markov), len(markov), pseudo)
    order = [pseudo.index(i) for i in inputs]
    nest = {o: {i: J[b, a] for a, i in zip(order, inputs)} for b, o in enumerate(outputs)}
    return JacobianDict(nest, T, block.name)


def _redate_markov(ctx: _Context, J: np.ndarray, curlyE: np.ndarray, n0: int, n_m: int, pseudo):
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
    last = E[:, T - 2] if T > 1 else np.stack([ctx.ints[o.lower()] for o in ctx.block.outputs])
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
