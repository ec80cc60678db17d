"""Dict-like result objects: steady states and impulse responses.

``SteadyState`` maps variable names to steady-state values and keeps each
heterogeneous-agent block's internals (policies, distribution) under
``ss.internals[block_name]``. ``ImpulseDict`` maps names to sequences of length T
(time first). Impulses are deviations by default; ``irf + ss`` gives levels and
``path - ss`` gives deviations again.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

# id(ss) -> (ss, fingerprint) while a solve runs (see fingerprint_scope)
_FINGERPRINTS: ContextVar[dict | None] = ContextVar("hetdag_fingerprints", default=None)


def in_fingerprint_scope(fn: Callable) -> Callable:
    """Decorator: run ``fn`` inside :func:`fingerprint_scope`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with fingerprint_scope():
            return fn(*args, **kwargs)

    return wrapper


@contextmanager
def fingerprint_scope() -> Iterator[None]:
    """Within, each steady state's fingerprint is computed once.

    A solve keys every cache lookup on the steady state's fingerprint, a hash of all its
    arrays (87 us on Krusell-Smith 7x500): G alone asks 15 times. The steady state does
    not change during one solve, so the first answer serves the rest. Nested scopes
    share the outermost one.
    """
    if _FINGERPRINTS.get() is not None:
        yield
        return
    token = _FINGERPRINTS.set({})
    try:
        yield
    finally:
        _FINGERPRINTS.reset(token)


class _Result(dict):
    """dict with attribute access and a compact repr."""

    def __missing__(self, key):
        # a block's policies and histogram live in .internals, not among the aggregates
        internals = self.__dict__.get("internals", {})  # not getattr: unpickling recurses
        if key in internals:
            raise KeyError(
                f"{key!r} is a block: its policies and distribution are in "
                f".internals[{key!r}] (keys {sorted(internals[key])})"
            )
        raise KeyError(key)

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self):
        return list(self.keys()) + list(super().__dir__())

    def __repr__(self) -> str:
        with np.printoptions(threshold=6, precision=5, edgeitems=2):
            items = ", ".join(f"{k}={_short(v)}" for k, v in self.items())
        return f"{type(self).__name__}({items})"


def _short(v) -> str:
    if isinstance(v, np.ndarray) and v.ndim > 0:
        return f"array{v.shape}"
    return repr(v)


class SteadyState(_Result):
    """Steady-state values of every input and output of a model.

    ``internals`` maps a heterogeneous-agent block's name to its policies and
    distribution ``D`` (exogenous state first).
    """

    def __init__(self, values: Mapping | None = None, internals: Mapping | None = None):
        super().__init__(values or {})
        self.internals: dict[str, dict] = {k: dict(v) for k, v in (internals or {}).items()}

    def copy(self) -> SteadyState:
        return SteadyState(dict(self), {k: dict(v) for k, v in self.internals.items()})

    def to_frame(self):
        """Scalars as a one-column pandas DataFrame indexed by variable name."""
        pd = _pandas()
        scalars = {k: float(v) for k, v in self.items() if np.ndim(v) == 0}
        return pd.DataFrame({"value": scalars})

    def fingerprint(self) -> int:
        """Hash of the values, used to key caches; changes when any value changes."""
        memo = _FINGERPRINTS.get()
        if memo is not None:
            hit = memo.get(id(self))
            if hit is None:
                # the object is kept with its hash, so that its id cannot be reused
                hit = memo[id(self)] = (self, self._fingerprint())
            return hit[1]
        return self._fingerprint()

    def _fingerprint(self) -> int:
        parts = []
        for k in sorted(self):
            v = self[k]
            a = np.asarray(v)
            if a.dtype.kind in "fiub":
                parts.append((k, a.shape, a.tobytes()))
            else:
                parts.append((k, repr(v)))
        for name in sorted(self.internals):
            for k in sorted(self.internals[name]):
                a = np.asarray(self.internals[name][k])
                if a.dtype.kind in "fiub":
                    parts.append((name, k, a.shape, a.tobytes()))
        return hash(tuple(parts))


class ImpulseDict(_Result):
    """Sequences (length T, time first) keyed by variable name.

    ``kind`` is ``"deviation"`` (from the steady state) or ``"level"``.
    Arithmetic: ``irf + ss`` -> levels, ``path - ss`` -> deviations,
    ``irf * 100``, ``irf1 + irf2``, ``irf / ss`` (relative deviations), ``-``, ``abs``;
    ``irf[["C", "K"]]`` selects, ``irf1 | irf2`` merges (sequence-jacobian's ImpulseDict).
    ``internals[block]`` holds per-period policies and distributions when requested.
    """

    def __init__(
        self,
        values: Mapping | None = None,
        T: int | None = None,
        kind: str = "deviation",
        internals: Mapping | None = None,
        label: str | None = None,
    ):
        super().__init__({k: np.asarray(v, dtype=float) for k, v in (values or {}).items()})
        if T is None:
            T = len(next(iter(self.values()))) if self else 0
        self.T = T
        self.kind = kind
        self.internals = dict(internals or {})
        self.label = label

    def _new(self, values, kind=None):
        return ImpulseDict(values, self.T, kind or self.kind, self.internals, self.label)

    def _binary(self, other, op: Callable, kind: str | None = None):
        """``op`` key by key: with a SteadyState or ImpulseDict on the keys both have,
        with a number on every key; NotImplemented otherwise."""
        if isinstance(other, (SteadyState, ImpulseDict)):
            return self._new({k: op(v, other[k]) for k, v in self.items() if k in other}, kind)
        if np.isscalar(other):
            return self._new({k: op(v, other) for k, v in self.items()})
        return NotImplemented

    def __add__(self, other):
        kind = "level" if isinstance(other, SteadyState) else None
        return self._binary(other, operator.add, kind)

    __radd__ = __add__

    def __sub__(self, other):
        kind = "deviation" if isinstance(other, SteadyState) else None
        return self._binary(other, operator.sub, kind)

    def __rsub__(self, other):
        return self._binary(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._binary(other, operator.mul)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._binary(other, operator.truediv)

    def __rtruediv__(self, other):
        return self._binary(other, lambda a, b: b / a)

    def __neg__(self):
        return self._new({k: -v for k, v in self.items()})

    def __pos__(self):
        return self

    def __abs__(self):
        return self._new({k: np.abs(v) for k, v in self.items()})

    def __or__(self, other):
        """Merge: this one's sequences, then ``other``'s (which win on shared names),
        in that order, as sequence-jacobian's ``ImpulseDict | ImpulseDict``."""
        if not isinstance(other, ImpulseDict):
            return NotImplemented
        merged = self._new({**self, **other})
        merged.internals = {**self.internals, **other.internals}
        return merged

    @property
    def toplevel(self) -> dict:
        """The sequences as a plain dict (sequence-jacobian's name)."""
        return dict(self)

    def __getitem__(self, key):
        if isinstance(key, (list, tuple)):
            return self._new({k: dict.__getitem__(self, k) for k in key})
        return dict.__getitem__(self, key)

    def deviations(self, ss: SteadyState) -> ImpulseDict:
        return self if self.kind == "deviation" else self - ss

    def levels(self, ss: SteadyState) -> ImpulseDict:
        return self if self.kind == "level" else self + ss

    def select(self, names: Iterable[str]) -> ImpulseDict:
        return self[list(names)]

    def to_frame(self):
        """pandas DataFrame with one column per variable, indexed by period ``t``."""
        pd = _pandas()
        df = pd.DataFrame({k: v for k, v in self.items() if np.ndim(v) == 1})
        df.index.name = "t"
        return df

    def plot(self, variables=None, **kwargs):
        """Grid of IRF panels; see :func:`hetdag.plotting.plot_irfs`."""
        from ..plotting import plot_irfs

        return plot_irfs(self, variables, **kwargs)


def _pandas():
    try:
        import pandas as pd
    except ImportError as err:  # pragma: no cover - exercised only without pandas
        from ..errors import OptionalDependencyError

        raise OptionalDependencyError(
            "to_frame() needs pandas: pip install 'hetdag[frames]'"
        ) from err
    return pd
