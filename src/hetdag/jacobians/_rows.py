"""Forward accumulation of a model's Jacobian, keeping the rows a lead reads at T-1.

A variable that depends on a block with a T x T Jacobian (heterogeneous-agent,
solved) is, inside the model, a matrix of its *nonzero rows* with respect to the
model's inputs 0..T-1: the block's own outputs are at the steady state from T on, but
a lag of them is not (``A_lag_T = A_{T-1}``), nor is a sum with shifts (``piw_T`` reads
``w_{T-1}``). Such entries are :class:`Rows`, shifts plus an (n, T) matrix with
n >= T; a simple block's shifts act on all n rows, a T x T block reads the first T
(its inputs are cut at T). The model hands out T x T truncations at the end, as
:class:`RowsArray`, which remember the rows for a model nested in another model. This
is the linear counterpart of evaluating a model's simple blocks on T + L periods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import NDArray

from ._shift import ShiftMatrix


class Rows:
    """``shift + dense``: ``dense`` (n, T) holds every row that can be nonzero."""

    __slots__ = ("shift", "dense")

    def __init__(self, shift: ShiftMatrix | None, dense: NDArray[np.float64]):
        self.shift = shift
        self.dense = dense

    def matrix(self, T: int) -> NDArray[np.float64]:
        """The (T, T) truncation."""
        out = np.array(self.dense[:T], order="C")
        if self.shift is not None:
            self.shift._add_to(out)
        return out


class RowsArray(np.ndarray):
    """A model's (T, T) entry that remembers its :class:`Rows` (``_rows``); arrays
    computed from it are plain arrays, and it prints as one."""

    _rows: Rows | None = None

    def __array_wrap__(self, obj, context=None, return_scalar=False):
        return obj.view(np.ndarray) if isinstance(obj, np.ndarray) else obj

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))


def _pad_add(a: NDArray, b: NDArray) -> NDArray:
    if a.shape[0] < b.shape[0]:
        a, b = b, a
    out = a.copy()
    out[: b.shape[0]] += b
    return out


def add_rows(a, b):
    """Sum of two entries (ShiftMatrix, Rows or None for a structural zero)."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, ShiftMatrix) and isinstance(b, ShiftMatrix):
        return a + b
    if isinstance(a, ShiftMatrix):
        a, b = b, a
    if isinstance(b, ShiftMatrix):  # a is Rows
        return Rows(b if a.shift is None else a.shift + b, a.dense)
    shift = b.shift if a.shift is None else (a.shift if b.shift is None else a.shift + b.shift)
    return Rows(shift, _pad_add(a.dense, b.dense))


def chain(m, dz, T: int):
    """``m @ dz``: a block's entry m (ShiftMatrix or (T, T) array) times an upstream
    entry dz (ShiftMatrix or Rows)."""
    rows = getattr(m, "_rows", None)
    if rows is not None:  # a nested model's entry: its dense rows, and its shifts
        out = Rows(None, rows.dense @ dz.matrix(T))
        return out if rows.shift is None else add_rows(out, chain(rows.shift, dz, T))
    if isinstance(m, ShiftMatrix):
        if isinstance(dz, ShiftMatrix):
            return m @ dz
        return Rows(None if dz.shift is None else m @ dz.shift, m.rows_apply(dz.dense))
    m = np.asarray(m, dtype=float)
    if isinstance(dz, ShiftMatrix):
        return Rows(None, dz.__rmatmul__(m))
    out = m @ dz.dense[:T]
    if dz.shift is not None:
        out += dz.shift.__rmatmul__(m)
    return Rows(None, out)


def public(entry, T: int):
    """What a model's JacobianDict holds: shifts as they are, the rest (T, T)."""
    if not isinstance(entry, Rows):
        return entry
    out = entry.matrix(T)
    if entry.shift is None and entry.dense.shape[0] == T:
        return out  # nothing beyond T to remember
    out = out.view(RowsArray)
    out._rows = entry
    return out


def compose(J_block, J_total: dict[str, dict[str, object]], inputs_of_interest: Iterable[str]):
    """Forward accumulation through one block.

    For every block output o and every model-level input z,
    ``dO/dz = sum_i J_block[o][i] @ dI/dz`` where ``dI/dz`` comes from ``J_total``
    (which holds, for each variable computed so far, its derivative w.r.t. each z).
    Products of a block's T x T entries with upstream dense entries for one block
    input i are done as a single product of the stacked rows and columns.
    """
    T = J_block.T
    wanted = set(inputs_of_interest)
    block: Mapping[str, Mapping[str, object]] = J_block._d
    result: dict[str, dict[str, object]] = {o: {} for o in block}
    for i in J_block.inputs:
        upstream = {z: dz for z, dz in (J_total.get(i) or {}).items() if z in wanted}
        if not upstream:
            continue
        rows = [(o, row[i]) for o, row in block.items() if i in row]
        dense_rows = [
            (o, m)
            for o, m in rows
            if not isinstance(m, ShiftMatrix) and getattr(m, "_rows", None) is None
        ]
        dense_cols = [(z, dz) for z, dz in upstream.items() if isinstance(dz, Rows)]
        done = set()
        if len(dense_rows) * len(dense_cols) > 1:
            big = np.vstack([np.asarray(m) for _, m in dense_rows]) @ np.hstack(
                [dz.matrix(T) for _, dz in dense_cols]
            )
            for a, (o, _) in enumerate(dense_rows):
                for b, (z, _) in enumerate(dense_cols):
                    part = Rows(None, big[a * T : (a + 1) * T, b * T : (b + 1) * T])
                    result[o][z] = add_rows(result[o].get(z), part)
            done = {(o, z) for o, _ in dense_rows for z, _ in dense_cols}
        for o, m in rows:
            for z, dz in upstream.items():
                if (o, z) not in done:
                    result[o][z] = add_rows(result[o].get(z), chain(m, dz, T))
    return result
