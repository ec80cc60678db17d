"""Reading a block function: its outputs from the syntax tree, its inputs from the signature."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable

from ..errors import ModelSpecError

MSG_RETURN = (
    "Block {name!r}: cannot name the outputs of `{src}`. Return plain variable names, "
    "e.g. compute `Y = ...` and then `return r, w, Y`."
)


def function_tree(f: Callable) -> ast.FunctionDef:
    """The ``FunctionDef`` node of ``f``, parsed from its source."""
    name = getattr(f, "__name__", repr(f))
    try:
        src = textwrap.dedent(inspect.getsource(f))
    except (OSError, TypeError) as err:
        raise ModelSpecError(
            f"Block {name!r}: its source code is not available, so its outputs cannot be read"
        ) from err
    tree = ast.parse(src)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node  # type: ignore[return-value]
    raise ModelSpecError(f"Block {name!r}: could not find `def {name}` in its source")


def read_outputs(f: Callable) -> tuple[str, ...]:
    """Names returned by the last statement of ``f`` (a ``return`` of names)."""
    name = f.__name__
    node = function_tree(f)
    last = node.body[-1] if node.body else None
    if not isinstance(last, ast.Return) or last.value is None:
        raise ModelSpecError(
            f"Block {name!r}: the function must end with `return <names>`, found no final return"
        )
    value = last.value
    elts = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
    if not all(isinstance(e, ast.Name) for e in elts):
        raise ModelSpecError(MSG_RETURN.format(name=name, src=ast.unparse(last)))
    outputs = tuple(e.id for e in elts)  # type: ignore[attr-defined]
    dup = {o for o in outputs if outputs.count(o) > 1}
    if dup:
        raise ModelSpecError(f"Block {name!r}: returns {sorted(dup)} more than once")
    return outputs


def read_inputs(f: Callable) -> tuple[str, ...]:
    """Positional parameter names of ``f``; ``*args``/``**kwargs`` are rejected."""
    params = inspect.signature(f).parameters.values()
    bad = [p.name for p in params if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if bad:
        raise ModelSpecError(
            f"Block {f.__name__!r}: variable arguments {bad} are not allowed; name every input"
        )
    return tuple(p.name for p in params)
