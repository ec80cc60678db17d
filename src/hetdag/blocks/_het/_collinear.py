"""Inputs whose shocks move the backward step alike share one backward pass.

Inputs that move the step's arguments in the same direction (HANK's w, N, div and tax
all move income y = e (w N + div - tax)) have proportional curlyD[s] for s >= 1.
:func:`collinear_inputs` groups them, :func:`_stack_layout` says which rows of the
stacked curlyD of :func:`~._fake_news.step1_backward` belong to whom, and
:func:`expand_curlyD` unstacks them.
"""

from __future__ import annotations

import numpy as np


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
