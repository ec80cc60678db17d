"""What the fake-news steps share: the steady-state context and batched backward steps.

:class:`_Context` holds the steady-state objects of one Jacobian (values, histogram,
lottery, continuation values). :func:`_stack_step` evaluates the backward step on a
leading batch of continuation values, vectorised where that was verified on the real
inputs (Newton's probes in :mod:`._newton_backward` use it too).
:func:`forward_step_exog` applies the Markov chains forward along exogenous axes.
"""

from __future__ import annotations

import numpy as np

from ._law_of_motion import _markov_axis


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


def forward_step_exog(X: np.ndarray, Pis, offset: int = 0) -> np.ndarray:
    """Apply ``Pi_k^T`` along exogenous axis k (after ``offset`` leading batch axes)."""
    for k, P in enumerate(Pis):
        X = _markov_axis(X, P, k + offset, forward=True)
    return X


def _moves_markov(blk, i: str) -> bool:
    return i in blk.exogenous or bool(set(blk.exogenous) & blk.hetinputs.depends_on([i]))
