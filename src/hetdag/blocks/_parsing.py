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


class _ApplyToCall(ast.NodeTransformer):
    """``X.apply(f)`` -> ``f(X)``."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "apply"
            and len(node.args) == 1
            and not node.keywords
        ):
            call = ast.Call(func=node.args[0], args=[func.value], keywords=[])
            return ast.copy_location(call, node)
        return node


def rewrite_apply(f: Callable) -> Callable:
    """``f`` with sequence-jacobian's ``X.apply(fn)`` written as ``fn(X)``.

    Simple blocks evaluate their function on floats, arrays and sympy symbols, none of
    which has ``.apply``; rewriting the syntax tree once makes all three work, and the
    symbolic derivative of ``np.log`` stays exact. Returns ``f`` itself when it has no
    ``.apply(...)`` call. The new function shares ``f``'s globals and line numbers.
    """
    node = function_tree(f)
    uses = any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "apply"
        for n in ast.walk(node)
    )
    if not uses:
        return f
    if f.__code__.co_freevars:
        raise ModelSpecError(
            f"Block {f.__name__!r}: `.apply(...)` is supported in module-level functions only; "
            f"write `np.log(x)` instead of `x.apply(np.log)` (hetdag differentiates it exactly)"
        )
    node = _ApplyToCall().visit(node)
    node.decorator_list = []
    module = ast.Module(body=[node], type_ignores=[])
    ast.fix_missing_locations(module)
    ast.increment_lineno(module, f.__code__.co_firstlineno - node.lineno)
    code = compile(module, f.__code__.co_filename, "exec")
    ns: dict = {}
    exec(code, f.__globals__, ns)
    g = ns[f.__name__]
    g.__defaults__, g.__doc__ = f.__defaults__, f.__doc__
    return g


def read_inputs(f: Callable) -> tuple[str, ...]:
    """Positional parameter names of ``f``; ``*args``/``**kwargs`` are rejected."""
    params = inspect.signature(f).parameters.values()
    bad = [p.name for p in params if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if bad:
        raise ModelSpecError(
            f"Block {f.__name__!r}: variable arguments {bad} are not allowed; name every input"
        )
    return tuple(p.name for p in params)
