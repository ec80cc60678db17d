"""Per-call settings that sequence-jacobian passes as keywords, scoped to one call.

sequence-jacobian users write ``model.solve_jacobian(..., Js={'hh': J_hh},
options={'hh': {'h': 1e-6}}, twosided=True)`` and ``solve_impulse_nonlinear(...,
ss_initial=ss0)``. The public methods of :class:`~hetdag.blocks.Block` open a
:func:`call_scope` for the call; the blocks read what concerns them:

- :func:`block_options` (name): options for that block, e.g. a het block's ``h``,
  ``twosided``, ``backward_tol``, ``forward_tol``, ``backward_maxit``; keywords given
  without a block name apply to every block;
- :func:`given_jacobian` (name): a Jacobian the caller already has for that block;
- :func:`initial_steady_state`: the steady state a transition starts from.

Scopes nest (an inner call adds to the outer one) and end with the call, so nothing
leaks into later calls. Caches of results that depend on the scope include
:func:`scope_key` in their keys. May import ``errors`` only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

from ..errors import ModelSpecError

# options a block reads (het blocks); any other keyword belongs to the solver
BLOCK_OPTIONS = frozenset(
    {"h", "twosided", "backward_tol", "backward_maxit", "forward_tol", "forward_maxit"}
)

_NONE: Mapping = MappingProxyType({})  # read-only: a ContextVar default is shared
_OPTIONS: ContextVar[Mapping] = ContextVar("hetdag_block_options", default=_NONE)
_GIVEN: ContextVar[Mapping] = ContextVar("hetdag_given_jacobians", default=_NONE)
_INITIAL: ContextVar = ContextVar("hetdag_initial_steady_state", default=None)


def split_block_options(kwargs: dict) -> dict:
    """Remove and return the keywords in ``kwargs`` that are block options."""
    return {k: kwargs.pop(k) for k in list(kwargs) if k in BLOCK_OPTIONS}


def block_kwargs(kwargs: dict, name: str) -> dict:
    """Keyword options of a block method; anything else is a mistake worth naming."""
    opts = split_block_options(kwargs)
    if kwargs:
        raise TypeError(f"Block {name!r}: unexpected keyword argument(s) {sorted(kwargs)}")
    return opts


@contextmanager
def call_scope(
    options: Mapping[str, Mapping] | None = None,
    Js: Mapping | None = None,
    ss_initial=None,
    **everywhere,
) -> Iterator[None]:
    """Open a scope with per-block ``options``, options for ``everywhere``, the
    Jacobians ``Js`` ({block name: JacobianDict}) and an initial steady state."""
    opts = dict(_OPTIONS.get())
    for name, o in (options or {}).items():
        if not isinstance(o, Mapping):
            raise ModelSpecError(
                f"options must map block names to dicts of options, got {name!r}: {o!r}"
            )
        opts[name] = {**opts.get(name, {}), **o}
    if everywhere:
        opts["*"] = {**opts.get("*", {}), **everywhere}
    tokens = [(_OPTIONS, _OPTIONS.set(opts))]
    if Js:
        tokens.append((_GIVEN, _GIVEN.set({**_GIVEN.get(), **dict(Js)})))
    if ss_initial is not None:
        tokens.append((_INITIAL, _INITIAL.set(ss_initial)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def scope_key() -> tuple:
    """What in the scope can change a Jacobian: options and given Jacobians (by identity)."""
    opts = tuple((k, tuple(sorted(v.items()))) for k, v in sorted(_OPTIONS.get().items()))
    given = tuple(sorted((k, id(v)) for k, v in _GIVEN.get().items()))
    return opts, given


def block_options(name: str) -> dict:
    """Options in force for block ``name``: those for every block, then its own."""
    opts = _OPTIONS.get()
    return {**opts.get("*", {}), **opts.get(name, {})}


def given_jacobian(name: str):
    """The Jacobian the caller passed for block ``name`` (``Js=``), or None."""
    return _GIVEN.get().get(name)


def initial_steady_state():
    """The steady state a transition starts from (``ss_initial=``), or None."""
    return _INITIAL.get()
