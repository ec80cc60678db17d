"""Simple blocks: outputs are explicit formulas of inputs with leads and lags.

Inside a ``@simple`` function, ``x`` stands for ``x_t`` and ``x(k)`` for ``x_{t+k}``
(``K(-1)`` is last period's capital, ``r(+1)`` next period's rate), and ``x.ss`` for its
steady-state value (a constant: its derivative is zero). Along a path of length n,
values before t = 0 and from t = n on sit at the steady state; a model evaluates its
simple blocks on n = T + (their leads) periods so that a lead read at T-1 is computed
(see :mod:`hetdag.jacobians._shift` for the convention).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ModelSpecError
from ..jacobians._jacobian_dict import JacobianDict
from ..jacobians._shift import ShiftMatrix
from ._block import Block, check_finite, extend_path
from ._parsing import (
    lagged_locals,
    read_inputs,
    read_outputs,
    rewrite_apply,
    statement_targets,
)

MSG_OWN_LAG = (
    "Block {name!r}: `{call}` is a lead or lag of {var!r}, which the block computes itself; "
    "a simple block's equations take leads and lags of its inputs only. To write a law of "
    "motion like `{var} = rho * {var}(-1) + eps`, make {var!r} an input and an unknown of "
    "the model, with the equation as a target: `{var}_res = {var} - (rho * {var}(-1) + "
    "eps)`, `return {var}_res`, then list {var!r} among the unknowns and '{var}_res' among "
    "the targets of the solve."
)
MSG_LAG = (
    "Block {name!r}: leads and lags like x(-1) apply only to the block's inputs, not to "
    "variables computed inside it ({err}). Move the computation into its own block."
)


class _SteadyScalar(float):
    """A steady-state scalar: every lead and lag equals the value itself (``x.ss`` too)."""

    def __call__(self, k: int = 0) -> float:
        return float(self)

    @property
    def ss(self) -> float:
        return float(self)


class _SteadyInt(int):
    """An integer input (a grid size): it stays an integer inside the block."""

    def __call__(self, k: int = 0) -> int:
        return int(self)

    @property
    def ss(self) -> int:
        return int(self)


class _SteadyArray(np.ndarray):
    def __call__(self, k: int = 0) -> np.ndarray:
        return np.asarray(self)

    @property
    def ss(self) -> np.ndarray:
        return np.asarray(self)


class _Path(np.ndarray):
    """A sequence x_0..x_{T-1}; ``x(k)`` shifts it, padding with the steady state."""

    def __new__(cls, x, ss, record: list | None = None):
        obj = np.asarray(x, dtype=float).view(cls)
        obj._ss = ss
        obj._record = record
        return obj

    def __array_finalize__(self, obj):
        # results of arithmetic are not inputs: their steady state is unknown here
        self._ss = None
        self._record = None

    @property
    def ss(self):
        """The steady-state value of an input (sequence-jacobian's ``x.ss``)."""
        if self._ss is None:
            raise AttributeError("'.ss' is the steady state of an input, not of a result")
        return self._ss

    def __call__(self, k: int = 0) -> np.ndarray:
        if self._ss is None:
            raise TypeError("'_Path' object is not callable")
        x = np.asarray(self)
        if self._record is not None:
            self._record.append(k)
        if k == 0:
            return x
        out = np.full_like(x, self._ss)
        T = len(x)
        if abs(k) >= T:
            return out
        if k > 0:
            out[: T - k] = x[k:]
        else:
            out[-k:] = x[: T + k]
        return out


def _describe(names: tuple[str, ...], args: list) -> str:
    """``K=-1.0, L=1.0, ...``; paths as their range."""
    parts = []
    for n, a in zip(names, args):
        x = np.asarray(a)
        if x.ndim == 0:
            parts.append(f"{n}={float(x):.6g}")
        else:
            parts.append(f"{n} in [{x.min():.6g}, {x.max():.6g}]")
    return ", ".join(parts)


def _steady(v):
    if isinstance(v, np.ndarray):
        return v.view(_SteadyArray)
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return _SteadyInt(v)
    return _SteadyScalar(v)


class SimpleBlock(Block):
    """A block of explicit formulas; its Jacobian is a sum of shift operators."""

    kind = "simple"
    horizon_free = True

    def __init__(self, f: Callable, name: str | None = None):
        super().__init__()
        self.name = name or f.__name__
        self.inputs = read_inputs(f)
        self.outputs = read_outputs(f)
        self.f = rewrite_apply(f)  # sequence-jacobian's x.apply(np.log) is np.log(x)
        lagged = lagged_locals(f, self.inputs)
        if lagged:
            var, call = lagged[0]
            raise ModelSpecError(MSG_OWN_LAG.format(name=self.name, var=var, call=call))
        clash = set(self.inputs) & set(self.outputs)
        if clash:
            raise ModelSpecError(
                f"Block {self.name!r}: {sorted(clash)} are both inputs and outputs"
            )
        self._symbolic = None
        self._lead: int | None = None

    def lead_span(self, ss) -> int:
        """The largest lead ``k`` of any ``x(k)`` the function reads (0 without leads),
        found by running it once on one-period paths at the steady state."""
        if self._lead is None:
            calls: list = []
            args = [
                _Path(np.full(1, float(ss[i])), ss[i], calls)
                if np.ndim(ss[i]) == 0 and not isinstance(ss[i], (int, np.integer))
                else _steady(ss[i])
                for i in self.inputs
            ]
            with np.errstate(all="ignore"):
                self._call(args)
            self._lead = max([0, *(int(k) for k in calls)])
        return self._lead

    def _call(self, args: list) -> dict:
        try:
            res = self.f(*args)
        except TypeError as err:
            if "not callable" in str(err):
                raise ModelSpecError(MSG_LAG.format(name=self.name, err=err)) from err
            raise ModelSpecError(self._failure(err, args)) from err
        except (ArithmeticError, ValueError) as err:
            raise ModelSpecError(self._failure(err, args)) from err
        res = res if isinstance(res, tuple) else (res,)
        out = dict(zip(self.outputs, res))
        for k, v in out.items():
            if np.iscomplexobj(v):
                raise ModelSpecError(
                    f"Block {self.name!r}: output {k!r} is complex ({np.ravel(v)[0]!r}) at "
                    f"{_describe(self.inputs, args)}; a fractional power of a negative "
                    "number? Check those inputs' values"
                )
        return out

    def _failure(self, err: Exception, args: list) -> str:
        """Name the block, the output whose line raised, and the inputs' values."""
        tb, line = err.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code is self.f.__code__:
                line = tb.tb_lineno
            tb = tb.tb_next
        outs = statement_targets(self.f, line) if line is not None else []
        what = f" computing {outs[0]!r}" if outs else ""
        return (
            f"Block {self.name!r}: evaluation failed{what} ({type(err).__name__}: {err}) at "
            f"{_describe(self.inputs, args)}"
        )

    def _steady_state(self, values: dict) -> tuple[dict, dict]:
        with np.errstate(all="ignore"):
            out = self._call([_steady(values[i]) for i in self.inputs])
        out = {k: v if isinstance(v, np.ndarray) and v.ndim else float(v) for k, v in out.items()}
        check_finite(out, self.name, "steady state")
        return out, {}

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:
        # on the paths' own length, which a model extends beyond T for leads
        n = max((len(v) for v in paths.values()), default=T)
        args = [
            _Path(extend_path(paths[i], ss[i], n), ss[i]) if i in paths else _steady(ss[i])
            for i in self.inputs
        ]
        with np.errstate(all="ignore"):
            out = self._call(args)
        out = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy() for k, v in out.items()}
        check_finite(out, self.name, "transition path")
        return out, {}

    @property
    def symbolic(self):
        """Exact derivatives (traced with sympy on first use)."""
        if self._symbolic is None:
            from ._symbolic import SymbolicJacobian

            self._symbolic = SymbolicJacobian(self.f, self.inputs, self.outputs, self.name)
        return self._symbolic

    def derivatives(self, ss) -> dict[str, dict[str, dict[int, float]]]:
        """``{output: {input: {shift: d output_t / d input_{t+shift}}}}`` at ``ss``."""
        d = self.symbolic.evaluate({i: ss[i] for i in self.inputs})
        for o, row in d.items():
            for i, coeffs in row.items():
                bad = [k for k, c in coeffs.items() if not np.isfinite(c)]
                if bad:
                    raise ModelSpecError(
                        f"Block {self.name!r}: d{o}/d{i} is not finite at the steady state "
                        f"(shift {bad[0]}); check the steady-state value of {i!r}"
                    )
        return d

    def _depends_on(self, ss, outputs: list[str]) -> set[str]:
        """Inputs with a nonzero derivative of some of ``outputs`` (exact, symbolic)."""
        d = self.derivatives(ss)
        return {i for o in outputs for i in d.get(o, {})}

    def _jacobian(self, ss, inputs: list[str], T: int) -> JacobianDict:
        d = self.derivatives(ss)
        nest = {
            o: {i: ShiftMatrix(d[o][i], T) for i in inputs if i in d.get(o, {})}
            for o in self.outputs
        }
        return JacobianDict(nest, T, self.name)


def simple(f: Callable) -> SimpleBlock:
    """Declare a simple block.

    Inputs are the function's arguments, outputs the names it returns. Write
    ``x(-1)`` for a lag and ``x(+1)`` for a lead, any integer; NumPy functions
    (``np.log``, ``np.exp``, ``np.sqrt``, ``**``, ``np.maximum``) work as written and
    their derivatives are exact.

    Examples
    --------
    >>> import hetdag as hd
    >>> @hd.simple
    ... def firm(K, L, Z, alpha, delta):
    ...     r = alpha * Z * (K(-1) / L) ** (alpha - 1) - delta
    ...     w = (1 - alpha) * Z * (K(-1) / L) ** alpha
    ...     return r, w
    >>> firm.outputs
    ('r', 'w')
    """
    return SimpleBlock(f)
