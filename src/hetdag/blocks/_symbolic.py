"""Exact simple-block derivatives with sympy.

The block function is executed once with sympy symbols: each input ``x`` is a
symbol for ``x_t`` that, when called as ``x(k)``, returns the symbol for
``x_{t+k}``. NumPy functions in the function's globals (``np.log``, ``np.exp``,
``np.maximum``, ...) are swapped for their sympy counterparts for that one call,
so users write NumPy and get exact derivatives. Every derivative
``d output_t / d x_{t+k}`` is kept; none is dropped for being small.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable

import numpy as np
import sympy as sp

from ..errors import ModelSpecError

_SYMPY_FUNCS: dict[str, Callable] = {
    "log": sp.log,
    "exp": sp.exp,
    "sqrt": sp.sqrt,
    "maximum": sp.Max,
    "minimum": sp.Min,
    "fmax": sp.Max,
    "fmin": sp.Min,
    "abs": sp.Abs,
    "absolute": sp.Abs,
    "fabs": sp.Abs,
    "power": sp.Pow,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "tanh": sp.tanh,
    "arctan": sp.atan,
    "log1p": lambda x: sp.log(1 + x),
    "expm1": lambda x: sp.exp(x) - 1,
    "log10": lambda x: sp.log(x, 10),
    "log2": lambda x: sp.log(x, 2),
    "square": lambda x: x**2,
    "reciprocal": lambda x: 1 / x,
    "pi": sp.pi,
    "e": sp.E,
}


class _Shim(types.SimpleNamespace):
    """Stands in for ``numpy``/``math`` while a block is traced symbolically."""

    def __init__(self, block: str, module: str):
        super().__init__(**_SYMPY_FUNCS)
        object.__setattr__(self, "_block", block)
        object.__setattr__(self, "_module", module)

    def __getattr__(self, item):
        raise ModelSpecError(
            f"Block {self._block!r}: {self._module}.{item} has no symbolic derivative in hetdag; "
            f"supported are {sorted(_SYMPY_FUNCS)}"
        )


class ShiftedSymbol(sp.Symbol):
    """Symbol for ``x_t`` that returns the symbol of ``x_{t+k}`` when called."""

    def __call__(self, k: int = 0):  # type: ignore[override]
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
            raise ModelSpecError(
                f"lead/lag of {self.name!r} must be an integer like {self.name}(-1), got {k!r}"
            )
        return self if k == 0 else sp.Symbol(shifted_name(self.name, int(k)))

    @property
    def ss(self):
        """``x.ss``: the steady-state value, a constant the derivatives do not vary."""
        return sp.Symbol(f"{self.name}__ss")


def shifted_name(name: str, k: int) -> str:
    return f"{name}__lag{-k}" if k < 0 else f"{name}__lead{k}"


def _symbolic_globals(f: Callable, block: str) -> dict:
    g = dict(f.__globals__)
    ufunc_names = {v: k for k, v in vars(np).items() if isinstance(v, np.ufunc)}
    for name in f.__code__.co_names:
        v = g.get(name)
        if v is np:
            g[name] = _Shim(block, "np")
        elif v is math:
            g[name] = _Shim(block, "math")
        elif isinstance(v, np.ufunc) or v in (np.sqrt, np.log, np.exp):
            fname = ufunc_names.get(v, getattr(v, "__name__", name))
            if fname not in _SYMPY_FUNCS:
                raise ModelSpecError(
                    f"Block {block!r}: {fname!r} has no symbolic derivative in hetdag"
                )
            g[name] = _SYMPY_FUNCS[fname]
    return g


def trace(f: Callable, inputs: tuple[str, ...], outputs: tuple[str, ...], block: str) -> dict:
    """Run ``f`` on symbols; return ``{output: sympy expression}``."""
    g = _symbolic_globals(f, block)
    traced = types.FunctionType(f.__code__, g, f.__name__, f.__defaults__, f.__closure__)
    syms = [ShiftedSymbol(i) for i in inputs]
    try:
        result = traced(*syms)
    except ModelSpecError:
        raise
    except TypeError as err:
        if "not callable" in str(err):
            raise ModelSpecError(
                f"Block {block!r}: leads and lags like x(-1) apply only to the block's inputs, "
                f"not to variables computed inside it ({err})"
            ) from err
        raise ModelSpecError(
            f"Block {block!r}: could not be differentiated symbolically ({err}). Simple blocks "
            "must be smooth formulas: no `if` on variables; use np.maximum/np.minimum instead."
        ) from err
    result = result if isinstance(result, tuple) else (result,)
    if len(result) != len(outputs):
        raise ModelSpecError(
            f"Block {block!r}: returned {len(result)} values but its return names {outputs}"
        )
    return {o: sp.sympify(e) for o, e in zip(outputs, result)}


def parse_symbol(sym: sp.Symbol, inputs: tuple[str, ...]) -> tuple[str, int | None]:
    """Map a symbol back to ``(input, shift)``; ``x.ss`` maps to ``(x, None)``."""
    name = sym.name
    if name in inputs:
        return name, 0
    base, _, tag = name.rpartition("__")
    if base in inputs:
        if tag == "ss":
            return base, None
        if tag.startswith("lag"):
            return base, -int(tag[3:])
        if tag.startswith("lead"):
            return base, int(tag[4:])
    raise ModelSpecError(f"unexpected symbol {name!r} in a simple block")


class SymbolicJacobian:
    """All derivatives of a simple block, compiled into one NumPy function.

    ``evaluate(ss_values)`` returns ``{output: {input: {shift: coefficient}}}``
    with every derivative evaluated at the steady state (x_{t+k} = x_ss for all k).
    """

    def __init__(self, f: Callable, inputs: tuple[str, ...], outputs: tuple[str, ...], name: str):
        exprs = trace(f, inputs, outputs, name)
        base = [sp.Symbol(i) for i in inputs]
        self.index: list[tuple[str, str, int]] = []
        derivs = []
        for o, e in exprs.items():
            for s in sorted(e.free_symbols, key=lambda s: s.name):
                i, k = parse_symbol(s, inputs)
                if k is None:  # x.ss is held at the steady state
                    continue
                d = sp.diff(e, s)
                if d == 0:
                    continue
                steady = d.subs({x: sp.Symbol(parse_symbol(x, inputs)[0]) for x in d.free_symbols})
                self.index.append((o, i, k))
                derivs.append(steady)
        self.exprs = exprs
        self.derivs = derivs
        self._fn = sp.lambdify(base, derivs, modules="numpy") if derivs else None
        self.inputs = inputs

    def evaluate(self, values: dict) -> dict[str, dict[str, dict[int, float]]]:
        out: dict[str, dict[str, dict[int, float]]] = {}
        if self._fn is None:
            return out
        with np.errstate(all="ignore"):
            vals = self._fn(*[values[i] for i in self.inputs])
        for (o, i, k), v in zip(self.index, vals):
            v = float(v)
            out.setdefault(o, {}).setdefault(i, {})
            out[o][i][k] = out[o][i].get(k, 0.0) + v
        return out
