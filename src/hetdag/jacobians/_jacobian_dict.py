"""Nested Jacobian containers: ``J[output][input]`` is a T x T matrix.

Entries are :class:`~hetdag.jacobians._shift.ShiftMatrix` (exact, sparse) or dense
ndarrays; ``np.asarray(J[o][i])`` always gives the dense (T, T) matrix with
``J[o][i][t, s] = d o_t / d i_s`` at the steady state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelSpecError
from ._shift import ShiftMatrix, add, matmul


class JacobianDict(Mapping):
    """Mapping ``output -> {input -> T x T entry}``; missing pairs are structural zeros.

    Parameters
    ----------
    nesting : mapping
        ``{output: {input: matrix}}``.
    T : int, optional
        Horizon of every entry; by default read from the entries (the first dense one,
        else the first shift operator).
    name : str, optional
        Block or model the Jacobian belongs to, used in error messages.

    Besides ``J[o][i]``, sequence-jacobian's operations work: ``J[o, i]``, ``J @ shocks``
    (a dict of paths -> :class:`~hetdag.ImpulseDict`), ``J1 @ J2`` (composition,
    ``(J1 @ J2)[o][z] = sum_i J1[o][i] @ J2[i][z]``), ``update``, ``pack``/``unpack``.
    """

    def __init__(
        self, nesting: Mapping[str, Mapping[str, object]], T: int | None = None, name: str = ""
    ):
        self.name = name
        self._d: dict[str, dict[str, object]] = {o: dict(row) for o, row in nesting.items()}
        self.T = int(T) if T is not None else _infer_T(self._d, name)

    def __getitem__(self, key):
        if isinstance(key, tuple) and len(key) == 2:
            o, i = key
            m = self[o].get(i)
            if m is None:
                raise KeyError(f"Jacobian of {self.name!r} has no entry for ({o!r}, {i!r})")
            return m
        try:
            return self._d[key]
        except KeyError:
            raise KeyError(
                f"{key!r} is not an output of the Jacobian of {self.name!r}; "
                f"outputs are {sorted(self._d)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        return (
            f"<JacobianDict {self.name!r} T={self.T} outputs={list(self.outputs)} "
            f"inputs={list(self.inputs)}>"
        )

    @property
    def outputs(self) -> list[str]:
        return list(self._d)

    @property
    def inputs(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self._d.values():
            seen.update(dict.fromkeys(row))
        return list(seen)

    def get_entry(self, o: str, i: str):
        """The entry for (o, i), or None if it is a structural zero."""
        return self._d.get(o, {}).get(i)

    def dense(self, o: str, i: str) -> NDArray[np.float64]:
        m = self.get_entry(o, i)
        if isinstance(m, ShiftMatrix):
            return m.matrix(self.T)
        return np.zeros((self.T, self.T)) if m is None else np.asarray(m)

    def apply(self, shocks: Mapping[str, NDArray[np.float64]]) -> dict[str, NDArray[np.float64]]:
        """First-order response ``dy_o = sum_i J[o][i] @ dx_i`` for every output."""
        out = {}
        for o, row in self._d.items():
            acc = np.zeros(self.T)
            for i, dx in shocks.items():
                m = row.get(i)
                if m is not None:
                    acc = acc + matmul(m, np.asarray(dx, dtype=float))
            out[o] = acc
        return out

    def __matmul__(self, other):
        if isinstance(other, JacobianDict):
            return self.compose(other)
        if isinstance(other, Mapping):
            from ..results import ImpulseDict

            T = len(next(iter(other.values()))) if other else self.T
            return ImpulseDict(self.apply(other), T)
        return NotImplemented

    def compose(self, other: JacobianDict) -> JacobianDict:
        """``(self @ other)[o][z] = sum_i self[o][i] @ other[i][z]`` over i in other's
        outputs: the outputs of ``self`` as functions of the inputs of ``other``."""
        nest: dict[str, dict[str, object]] = {}
        for o, row in self._d.items():
            out: dict[str, object] = {}
            for i, m in row.items():
                for z, dz in other._d.get(i, {}).items():
                    out[z] = add(out.get(z), matmul(m, dz))
            nest[o] = out
        return JacobianDict(nest, max(self.T, other.T), self.name or other.name)

    def update(self, other: Mapping[str, Mapping[str, object]]) -> None:
        """Add ``other``'s entries, replacing those of the same (output, input)."""
        for o, row in other.items():
            self._d.setdefault(o, {}).update(row)

    def pack(self, T: int | None = None) -> NDArray[np.float64]:
        """The stacked matrix of :meth:`stack` over all outputs and inputs, at horizon
        ``T`` (default ``self.T``; shift operators can be packed at any T)."""
        return self.stack(self.outputs, self.inputs, T)

    @classmethod
    def unpack(cls, M: NDArray, outputs: list[str], inputs: list[str], T: int) -> JacobianDict:
        """Inverse of :meth:`pack`: (T x T) blocks of ``M`` keyed by output and input."""
        M = np.asarray(M)
        if M.shape != (len(outputs) * T, len(inputs) * T):
            raise ModelSpecError(
                f"JacobianDict.unpack: matrix of shape {M.shape} does not hold "
                f"{len(outputs)} outputs x {len(inputs)} inputs at T={T}"
            )
        nest = {
            o: {i: M[a * T : (a + 1) * T, b * T : (b + 1) * T] for b, i in enumerate(inputs)}
            for a, o in enumerate(outputs)
        }
        return cls(nest, T)

    def subset(self, outputs: Iterable[str] | None = None, inputs: Iterable[str] | None = None):
        outputs = self.outputs if outputs is None else list(outputs)
        inputs = None if inputs is None else set(inputs)
        nest = {
            o: {i: m for i, m in self._d.get(o, {}).items() if inputs is None or i in inputs}
            for o in outputs
        }
        return JacobianDict(nest, self.T, self.name)

    def stack(
        self, outputs: list[str], inputs: list[str], T: int | None = None
    ) -> NDArray[np.float64]:
        """Block matrix with row blocks ``outputs`` and column blocks ``inputs``."""
        T = self.T if T is None else int(T)
        M = np.zeros((len(outputs) * T, len(inputs) * T))
        for a, o in enumerate(outputs):
            for b, i in enumerate(inputs):
                m = self.get_entry(o, i)
                if m is None:
                    continue
                d = m.matrix(T) if isinstance(m, ShiftMatrix) else np.asarray(m)
                if d.shape != (T, T):
                    raise ModelSpecError(
                        f"Jacobian of {self.name!r}: entry ({o!r}, {i!r}) has shape {d.shape}, "
                        f"not ({T}, {T})"
                    )
                M[a * T : (a + 1) * T, b * T : (b + 1) * T] = d
        return M


def _infer_T(d: Mapping[str, Mapping[str, object]], name: str) -> int:
    shifts = []
    for o, row in d.items():
        for i, m in row.items():
            if isinstance(m, ShiftMatrix):
                shifts.append(m.T)
                continue
            shape = np.shape(m)
            if len(shape) != 2 or shape[0] != shape[1]:
                raise ModelSpecError(
                    f"JacobianDict {name!r}: entry ({o!r}, {i!r}) must be a square (T, T) "
                    f"matrix, got shape {shape}"
                )
            return shape[0]
    return max(shifts) if shifts else 0


def identity(T: int) -> ShiftMatrix:
    return ShiftMatrix({0: 1.0}, T)


def check_T(T, name: str | None = None) -> int:
    if not isinstance(T, (int, np.integer)) or isinstance(T, bool) or T < 1:
        where = f"Block {name!r}: " if name else ""
        raise ModelSpecError(f"{where}T must be a positive integer, got T={T!r}")
    return int(T)
