"""A block that holds Jacobians computed elsewhere (HARK, an older run, replication files).

:class:`JacobianBlock` wraps a :class:`~hetdag.JacobianDict` ``J[o][i]`` (T x T, with
``J[o][i][t, s] = d o_t / d i_s`` at the steady state) and the steady-state values it was
computed at. It takes part in everything that needs only a linearisation:
``solve_jacobian``, ``solve_impulse_linear``, ``model.draw()``, and steady-state
evaluation (it returns its stored values). A nonlinear transition cannot evaluate it, and
raises :class:`~hetdag.errors.ModelSpecError` saying so.

Conventions:

- **Entries.** Every (output, input) pair the model asks for must be present, or be declared
  a structural zero with ``zeros=[(output, input), ...]`` (``zeros='missing'`` declares every
  absent pair zero, which is sequence-jacobian's reading). A pair that is neither raises
  ``ModelSpecError`` naming the block, the output and the input: a Jacobian that was never
  computed must not pass silently for "no effect".
- **Horizon.** Dense entries computed at horizon T_J serve any T <= T_J (their top-left
  T x T corner: column s and row t do not depend on the horizon). T > T_J raises.
  Shift-operator entries serve any T.
- **Steady state.** ``_steady_state`` returns the stored outputs. A given input that has a
  stored value must equal it (relative tolerance ``ss_rtol``, default 1e-6); otherwise the
  Jacobian would be used away from the point where it holds, and ``ModelSpecError`` names
  the input, both values and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..errors import ModelSpecError
from ..jacobians._jacobian_dict import JacobianDict
from ..jacobians._shift import ShiftMatrix
from ._block import Block

MSG_NO_PATH = (
    "it holds only a Jacobian (a linearisation at its steady state), so a nonlinear "
    "transition cannot evaluate it. Use solve_jacobian or solve_impulse_linear, or replace "
    "it by a block that computes its outputs (a het block, or the HARK agent solved along "
    "the path)"
)


class JacobianBlock(Block):
    """A block defined by stored Jacobians and steady-state values.

    Parameters
    ----------
    jacobian : JacobianDict or mapping
        ``{output: {input: (T, T) array or ShiftMatrix}}``.
    ss : mapping, optional
        Steady-state values of the outputs (needed to evaluate a steady state) and of the
        inputs (checked against the model's when given).
    name : str, optional
        Block name; default the JacobianDict's name, else ``'jacobian'``.
    zeros : iterable of (output, input) pairs, or 'missing', optional
        Pairs that are structural zeros (see the module docstring).
    ss_rtol : float
        Relative tolerance of the input check in ``_steady_state``.

    Raises
    ------
    ModelSpecError
        If a variable is both an input and an output, or a ``zeros`` pair names a variable
        the block does not have.

    Examples
    --------
    >>> import numpy as np, hetdag as hd
    >>> J = hd.JacobianDict({'C': {'r': 0.5 * np.eye(3)}}, name='hh')
    >>> blk = hd.JacobianBlock(J, ss={'C': 1.0, 'r': 0.01})
    >>> blk
    <JacobianBlock 'hh' inputs=['r'] outputs=['C']>
    >>> blk.steady_state({'r': 0.01})['C']
    1.0
    """

    kind = "jacobian"

    def __init__(
        self,
        jacobian: JacobianDict | Mapping,
        ss: Mapping[str, float] | None = None,
        name: str | None = None,
        zeros: Iterable[tuple[str, str]] | str | None = None,
        ss_rtol: float = 1e-6,
    ):
        super().__init__()
        if not isinstance(jacobian, JacobianDict):
            jacobian = JacobianDict(jacobian, name=name or "")
        self.name = name or jacobian.name or "jacobian"
        self.J = jacobian
        self.outputs = tuple(jacobian.outputs)
        self.inputs = tuple(jacobian.inputs)
        both = sorted(set(self.inputs) & set(self.outputs))
        if both:
            raise ModelSpecError(
                f"Block {self.name!r}: {both} are both inputs and outputs of its Jacobian"
            )
        self.ss_values = {k: float(v) for k, v in (ss or {}).items()}
        self.ss_rtol = float(ss_rtol)
        self.all_missing_zero = zeros == "missing"
        self.zeros: set[tuple[str, str]] = set()
        if zeros is not None and not self.all_missing_zero:
            if isinstance(zeros, str):
                raise ModelSpecError(
                    f"Block {self.name!r}: zeros={zeros!r}; give (output, input) pairs or 'missing'"
                )
            for o, i in zeros:
                if o not in self.outputs or i not in self.inputs:
                    raise ModelSpecError(
                        f"Block {self.name!r}: zeros names ({o!r}, {i!r}), but outputs are "
                        f"{sorted(self.outputs)} and inputs {sorted(self.inputs)}"
                    )
                self.zeros.add((o, i))

    def _steady_state(self, values: dict) -> tuple[dict, dict]:
        for i in self.inputs:
            if i in values and i in self.ss_values:
                given, stored = float(np.asarray(values[i])), self.ss_values[i]
                if not np.isclose(given, stored, rtol=self.ss_rtol, atol=1e-12):
                    raise ModelSpecError(
                        f"Block {self.name!r}: input {i!r} is {given!r} here but its Jacobian "
                        f"was computed at {i!r} = {stored!r}; calibrate the model to the "
                        "block's steady state or recompute the Jacobian there"
                    )
        missing = [o for o in self.outputs if o not in self.ss_values]
        if missing:
            raise ModelSpecError(
                f"Block {self.name!r}: no steady-state value for output(s) {missing}; "
                "pass them as JacobianBlock(J, ss={...}) to evaluate a steady state"
            )
        return {o: self.ss_values[o] for o in self.outputs}, {}

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:
        raise ModelSpecError(f"Block {self.name!r}: {MSG_NO_PATH}")

    def _jacobian(self, ss, inputs: list[str], T: int) -> JacobianDict:
        nest: dict[str, dict[str, object]] = {}
        for o in self.outputs:
            row: dict[str, object] = {}
            for i in inputs:
                m = self.J.get_entry(o, i)
                if m is None:
                    if self.all_missing_zero or (o, i) in self.zeros:
                        continue
                    raise ModelSpecError(
                        f"Block {self.name!r}: the model needs the Jacobian of output {o!r} "
                        f"with respect to input {i!r}, which the block does not hold; add "
                        f"it, or declare it zero with zeros=[({o!r}, {i!r})]"
                    )
                row[i] = self._at_horizon(m, o, i, T)
            nest[o] = row
        return JacobianDict(nest, T, self.name)

    def _at_horizon(self, m, o: str, i: str, T: int):
        if isinstance(m, ShiftMatrix):
            return m
        m = np.asarray(m, dtype=float)
        if m.shape[0] < T:
            raise ModelSpecError(
                f"Block {self.name!r}: the Jacobian of {o!r} with respect to {i!r} was "
                f"computed at T={m.shape[0]}, but T={T} is asked for; recompute it at T >= {T}"
            )
        return m[:T, :T]


def as_block(b, position: int) -> Block:
    """A block as given, or a :class:`JacobianBlock` around a bare :class:`JacobianDict`."""
    if isinstance(b, JacobianDict):
        return JacobianBlock(b, name=b.name or f"jacobian_{position}")
    return b
