"""``dissolve=``: solved blocks whose inner problem joins the outer one.

A solved block B with inner unknowns U_B and targets H_B(U_B, Z) = 0 is normally solved
on its own whenever the model is evaluated. Naming it in ``dissolve`` (as in
sequence-jacobian) replaces it by its inner block: U_B become inputs of the model, the
target outputs H_B are left for the caller, and the outer solve stacks them,

.. math::  \\tilde H(U, U_B, Z) = (H(U, U_B, Z),\\; H_B(U_B, Z)) = 0,

which has the same solution as the nested problem. sequence-jacobian 1.0.0 takes
``dissolve`` in ``steady_state`` and ``solve_steady_state`` only (its other methods drop
the keyword); hetdag also takes it in ``solve_jacobian``, ``solve_impulse_linear`` and
``solve_impulse_nonlinear``, where each dissolved block's unknowns and targets must then be
among the call's (else the answer would silently hold U_B fixed). Blocks are recognised by
their ``kind`` so that this module imports no block class.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ModelSpecError


def _block_kinds(block) -> dict[str, str]:
    """Every block inside ``block`` (itself included): name -> kind, for error messages."""
    found: dict[str, str] = {}
    for b in getattr(block, "blocks", ()):
        found.update(_block_kinds(b))
    if hasattr(block, "inner"):
        found.update(_block_kinds(block.inner))
    remapped = block.kind == "solved" and not hasattr(block, "inner")
    found[block.name] = "renamed or remapped solved" if remapped else block.kind
    return found


def _replace(block, names: set[str], done: set[str]):
    """``block`` with each solved block named in ``names`` (at any depth) replaced by its
    inner block; ``done`` collects the names replaced."""
    if block.kind == "solved" and hasattr(block, "inner") and block.name in names:
        done.add(block.name)
        return _replace(block.inner, names, done)
    if block.kind == "solved" and hasattr(block, "inner"):
        inner = _replace(block.inner, names, done)
        if inner is block.inner:
            return block
        return type(block)(inner, block.unknowns, block.targets, block.name, block.solver)
    if block.kind == "model" and hasattr(block, "blocks"):
        new = [_replace(b, names, done) for b in block.blocks]
        if all(n is b for n, b in zip(new, block.blocks)):
            return block
        view = type(block)(new, block.name)
        if hasattr(block, "solve_defaults"):
            view.solve_defaults = block.solve_defaults
        return view
    return block


def dissolved_blocks(block, dissolve: Sequence[str]) -> list:
    """The solved blocks named in ``dissolve``, found at any depth inside ``block``."""
    out: list = []

    def walk(b) -> None:
        if b.kind == "solved" and hasattr(b, "inner"):
            if b.name in dissolve:
                out.append(b)
            walk(b.inner)
        for c in getattr(b, "blocks", ()):
            walk(c)

    walk(block)
    return out


def dissolve_view(block, dissolve: Sequence[str] | None):
    """``block`` with the solved blocks named in ``dissolve`` dissolved (``block`` itself
    when there are none); views are kept on ``block``, so caches of the blocks inside
    survive between calls.

    Raises
    ------
    ModelSpecError
        A name is not a block of the model, or names a block that is not a solved block.
    """
    if not dissolve:
        return block
    if isinstance(dissolve, str):
        dissolve = [dissolve]
    key = frozenset(dissolve)
    views = block.__dict__.setdefault("_dissolve_views", {})
    if key in views:
        return views[key]
    done: set[str] = set()
    view = _replace(block, set(key), done)
    missing = [n for n in dissolve if n not in done]
    if missing:
        kinds = _block_kinds(block)
        solved = sorted(n for n, k in kinds.items() if k == "solved")
        what = "; ".join(
            f"{n!r} is a {kinds[n]} block" if n in kinds else f"{n!r} is not a block of it"
            for n in missing
        )
        raise ModelSpecError(
            f"Model {block.name!r}: dissolve={list(dissolve)} names what is not a solved "
            f"block ({what}); its solved blocks are {solved}"
        )
    views[key] = view
    return view


def check_dissolved_unknowns(
    block, dissolve: Sequence[str] | None, unknowns: Sequence[str], targets: Sequence[str]
) -> None:
    """In a dynamic solve, each dissolved block's unknowns and targets must be the call's."""
    if not dissolve:
        return
    unknowns, targets = list(unknowns), list(targets)
    for b in dissolved_blocks(block, [dissolve] if isinstance(dissolve, str) else dissolve):
        pairs = (("unknown", b.unknowns, unknowns), ("target", b.targets, targets))
        for kind, mine, given in pairs:
            lost = [v for v in mine if v not in given]
            if lost:
                raise ModelSpecError(
                    f"Model {block.name!r}: solved block {b.name!r} is dissolved, so its "
                    f"{kind}(s) {lost} must be among the {kind}s of the call {list(given)} "
                    f"(its unknowns are {list(b.unknowns)}, its targets {list(b.targets)})"
                )
