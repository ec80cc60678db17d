"""Reading a block function: its outputs from the syntax tree, its inputs from the signature."""

from __future__ import annotations

import ast
import dis
import inspect
import textwrap
from collections.abc import Callable

from ..errors import ModelSpecError

MSG_RETURN = (
    "Block {name!r}: cannot name the outputs of `{src}`. Return plain variable names, "
    "e.g. compute `Y = ...` and then `return r, w, Y`."
)


class SourceUnavailable(ModelSpecError):
    """The function was defined where its source is not kept (a REPL, ``exec``)."""


def function_tree(f: Callable) -> ast.FunctionDef:
    """The ``FunctionDef`` node of ``f``, parsed from its source."""
    name = getattr(f, "__name__", repr(f))
    try:
        src = textwrap.dedent(inspect.getsource(f))
    except (OSError, TypeError) as err:
        raise SourceUnavailable(
            f"Block {name!r}: its source code is not available, so its outputs cannot be read"
        ) from err
    tree = ast.parse(src)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node  # type: ignore[return-value]
    raise ModelSpecError(f"Block {name!r}: could not find `def {name}` in its source")


# instructions that push one local (3.10-3.12; 3.13 adds a two-name form)
_LOADS = {"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_BORROW", "LOAD_NAME", "LOAD_DEREF"}
_LOADS2 = {"LOAD_FAST_LOAD_FAST", "LOAD_FAST_BORROW_LOAD_FAST_BORROW"}


def outputs_from_bytecode(f: Callable) -> tuple[str, ...]:
    """The names ``f`` returns, read from its bytecode (``return r, w, Y`` compiles to
    loads of r, w, Y, a BUILD_TUPLE of 3 and RETURN_VALUE): for functions typed in the
    REPL or built with ``exec``, whose source is gone.
    """
    ins = [i for i in dis.get_instructions(f) if i.opname not in ("CACHE", "NOP")]
    ret = max((k for k, i in enumerate(ins) if i.opname == "RETURN_VALUE"), default=None)
    names: list[str] = []
    if ret is not None and ret > 0:
        k, want = ret - 1, 1
        if ins[k].opname == "BUILD_TUPLE":
            k, want = k - 1, int(ins[k].arg)
        while k >= 0 and len(names) < want:
            op = ins[k]
            if op.opname in _LOADS:
                names.insert(0, op.argval)
            elif op.opname in _LOADS2:
                names[:0] = list(op.argval)
            else:
                break
            k -= 1
        if len(names) != want:
            names = []
    if not names:
        raise ModelSpecError(
            f"Block {f.__name__!r}: its source is not available and its outputs cannot be read "
            "from its bytecode; end it with `return <names>` or define it in a file"
        )
    return tuple(names)


def read_outputs(f: Callable) -> tuple[str, ...]:
    """Names returned by the last statement of ``f`` (a ``return`` of names), from its
    syntax tree, or from its bytecode where the source is not available."""
    name = f.__name__
    try:
        node = function_tree(f)
    except SourceUnavailable:
        return outputs_from_bytecode(f)
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
    try:
        node = function_tree(f)
    except SourceUnavailable:
        if "apply" in f.__code__.co_names:
            raise ModelSpecError(
                f"Block {f.__name__!r}: `.apply(...)` needs the function's source, which is not "
                "available here; write `np.log(x)` instead of `x.apply(np.log)`"
            ) from None
        return f
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


def lagged_locals(f: Callable, inputs: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(name, call)`` for each lead or lag ``y(k)`` of a name ``f`` assigns itself
    (not an input); empty where the source is not available."""
    try:
        node = function_tree(f)
    except SourceUnavailable:
        return []
    assigned = {
        t.id
        for n in ast.walk(node)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    return [
        (n.func.id, ast.unparse(n))
        for n in ast.walk(node)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id in assigned
        and n.func.id not in inputs
    ]


def statement_targets(f: Callable, lineno: int) -> list[str]:
    """Names assigned by the statement of ``f`` at absolute line ``lineno`` (the output
    being computed when an error was raised there)."""
    try:
        node = function_tree(f)
    except SourceUnavailable:
        return []
    # the tree's line 1 is co_firstlineno (the first decorator's line, if decorated)
    line = lineno - f.__code__.co_firstlineno + 1
    for n in ast.walk(node):
        if isinstance(n, ast.Assign) and n.lineno <= line <= (n.end_lineno or n.lineno):
            return [t.id for t in n.targets if isinstance(t, ast.Name)]
    return []


def read_inputs(f: Callable) -> tuple[str, ...]:
    """Positional parameter names of ``f``; ``*args``/``**kwargs`` are rejected."""
    params = inspect.signature(f).parameters.values()
    bad = [p.name for p in params if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if bad:
        raise ModelSpecError(
            f"Block {f.__name__!r}: variable arguments {bad} are not allowed; name every input"
        )
    return tuple(p.name for p in params)
