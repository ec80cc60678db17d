"""Steady-state calibration: find unknown inputs so that targets hit their values.

Targets may be given as ``{name: number}`` (output equals the number), as
``{name: "other"}`` (output equals another variable), or as a list of names
(each output equals zero). One bracketed unknown uses Brent's method; several use
Broyden's method by default (``"broyden"``: a finite-difference Jacobian at the guess,
rank-one updates, refreshed by finite differences when a line search fails), Newton's
method with a finite-difference Jacobian every iteration (``solver="newton"``), or any
``scipy.optimize.root`` method (``"hybr"``, ``"lm"``). Both backtrack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import ConvergenceError, ModelSpecError, format_residuals
from ..results import SteadyState
from ._newton import newton_solve
from ._protocol import loose_tolerance, warn_grid_edges

# inexact evaluations while bracketing: household tolerance <= LOOSE_FRACTION * the best
# |residual| so far, and never looser than LOOSE_MAX
LOOSE_FRACTION = 1e-3
LOOSE_MAX = 1e-4
# Brent stops at an exact residual below STOP_FRACTION * tol
STOP_FRACTION = 1e-2

# sequence-jacobian's names for the same methods, so that its users' calls run unchanged
_SSJ_SOLVERS = {"broyden_custom": "broyden", "newton_custom": "newton"}


def parse_targets(targets, block) -> dict[str, float | str]:
    if isinstance(targets, str):
        targets = [targets]
    if isinstance(targets, Mapping):
        parsed = dict(targets)
    else:
        parsed = {t: 0.0 for t in targets}
    for t, v in parsed.items():
        if t not in block.outputs:
            raise ModelSpecError(
                f"Model {block.name!r}: target {t!r} is not an output of any block; outputs are "
                f"{sorted(block.outputs)}"
            )
        if isinstance(v, str) and v not in block.outputs and v not in block.inputs:
            raise ModelSpecError(
                f"Model {block.name!r}: target {t!r} refers to unknown variable {v!r}"
            )
    return parsed


def _residuals(values: Mapping, targets: Mapping) -> np.ndarray:
    return np.array(
        [
            float(values[t]) - (float(values[v]) if isinstance(v, str) else float(v))
            for t, v in targets.items()
        ]
    )


def solve_steady_state(
    block,
    calibration: Mapping,
    unknowns: Mapping[str, float | tuple[float, float]],
    targets: Mapping[str, float | str] | Sequence[str],
    solver: str | None = None,
    tol: float = 1e-9,
    maxit: int = 100,
    progress: bool | None = None,
    _within: str | None = None,
) -> SteadyState:
    """Solve for ``unknowns`` such that every target holds; return the full steady state.

    ``progress`` shows a tqdm bar counting evaluations (default: when stderr is a terminal).

    Raises
    ------
    ModelSpecError
        Unknowns and targets differ in number, a target is not an output, an
        unknown is not an input, or a calibration input is missing.
    ConvergenceError
        The solver did not meet ``tol``; the message gives every target's residual.
    """
    where = _within or block.name
    unknowns = {unknowns: None} if isinstance(unknowns, str) else dict(unknowns)
    targets = parse_targets(targets, block)
    if len(unknowns) != len(targets):
        raise ModelSpecError(
            f"Model {where!r}: {len(unknowns)} unknowns {list(unknowns)} but {len(targets)} "
            f"targets {list(targets)}; they must match"
        )
    for u in unknowns:
        if u not in block.inputs:
            raise ModelSpecError(f"Model {where!r}: unknown {u!r} is not an input of any block")
    calib = dict(calibration)
    for u, g in unknowns.items():
        if g is None and u not in calib:
            raise ModelSpecError(f"Model {where!r}: unknown {u!r} needs a guess or bracket")
    block._check_calibration({**{u: 0.0 for u in unknowns}, **calib})
    names = list(unknowns)
    bar = _progress_bar(progress, where)

    def evaluate(x: np.ndarray) -> tuple[dict, dict]:
        values = {**calib, **dict(zip(names, map(float, x)))}
        out, ints = block._steady_state({i: values[i] for i in block.inputs})
        if bar is not None:
            bar.update(1)
        return {**values, **out}, ints

    best: dict = {}

    def f(x):
        res = _residuals(evaluate(np.atleast_1d(x))[0], targets)
        # remember the best point seen, to report residuals if the solver gives up
        if np.all(np.isfinite(res)) and np.max(np.abs(res)) < best.get("err", np.inf):
            best.update(err=float(np.max(np.abs(res))), res=np.abs(res), x=np.atleast_1d(x))
        return res

    guess = np.array([_initial(unknowns[u], calib.get(u)) for u in names])
    bracket = unknowns[names[0]]
    solver = _SSJ_SOLVERS.get(solver, solver)
    if solver is None:
        # Broyden: one finite-difference Jacobian instead of one per iteration (HANK's
        # calibration: 9 household solves instead of 17)
        solver = "brentq" if len(names) == 1 and isinstance(bracket, tuple) else "broyden"
    try:
        if solver == "brentq":
            if len(names) != 1 or not isinstance(bracket, tuple):
                raise ModelSpecError(
                    f"Model {where!r}: solver='brentq' needs one unknown with a (lo, hi) bracket"
                )
            lo, hi = bracket
            x = _brent(f, best, lo, hi, where, names[0], list(targets)[0], tol)
        elif solver in ("newton", "broyden"):
            x = newton_solve(f, guess, tol=tol, maxit=maxit, broyden=solver == "broyden")
        else:
            from scipy import optimize

            x = optimize.root(f, guess, method=solver, tol=tol * 1e-2).x
    except ConvergenceError as err:
        if best.get("err", np.inf) < tol:
            # the solver stalled on the noise floor of the model below tol: accept
            x = best["x"]
        elif err.residuals or "res" not in best:
            if err.block is None:
                err.block = where
            raise
        else:
            residuals = dict(zip(targets, map(float, best["res"])))
            raise ConvergenceError(
                f"Model {where!r}: steady state did not converge with solver {solver!r} ({err}); "
                f"residuals {format_residuals(residuals)}",
                block=where,
                iterations=err.iterations,
                residual=err.residual,
                residuals=residuals,
            ) from err
    finally:
        if bar is not None:
            bar.close()
    values, ints = evaluate(x)
    res = _residuals(values, targets)
    if not np.all(np.abs(res) < tol):
        residuals = dict(zip(targets, np.abs(res)))
        raise ConvergenceError(
            f"Model {where!r}: steady state did not converge with solver {solver!r}; "
            f"residuals {format_residuals(residuals)} at "
            f"{ {n: float(v) for n, v in zip(names, x)} }",
            block=where,
            residual=float(np.max(np.abs(res))),
            residuals=residuals,
        )
    if _within is None:
        warn_grid_edges(block, ints)
    return SteadyState(values, ints)


def _brent(f, best: dict, lo: float, hi: float, where, unknown, target, tol) -> np.ndarray:
    """Brent's method on ``f`` over ``[lo, hi]``, with inexact evaluations far from the root.

    Brent needs only the sign and rough size of residuals away from the root, so
    household solves stop at ``LOOSE_FRACTION`` times the best |residual| so far (at
    most ``LOOSE_MAX``); near the root that falls below the blocks' own tolerances and
    the evaluations are exact. Should the loose solves mislead it (the exact residual
    at its answer misses ``tol``, or the bracket's signs look equal), it reruns exactly.
    """
    from scipy import optimize  # lazily: Newton models never need it

    class _Root(Exception):
        pass

    for loose_max in (LOOSE_MAX, 0.0):

        def g(v: float, loose_max: float = loose_max) -> float:
            err = best.get("err", np.inf)
            loose = 0.0 if err < tol else min(loose_max, LOOSE_FRACTION * err)
            with loose_tolerance(loose):
                r = f(v)[0]
            # an exact residual far below tol: more digits of the unknown are noise, and
            # Brent would bisect on that noise down to xtol
            if loose == 0.0 and abs(r) < STOP_FRACTION * tol:
                raise _Root(v)
            return r

        flo, fhi = g(lo), g(hi)
        if np.sign(flo) == np.sign(fhi):
            if loose_max > 0:
                continue
            raise ConvergenceError(
                f"Model {where!r}: bracket {(lo, hi)} for {unknown!r} does not bracket a "
                f"root of {target!r} (residuals {flo:.3e} and {fhi:.3e})",
                block=where,
                variable=unknown,
                residuals={target: float(min(abs(flo), abs(fhi)))},
            )
        try:
            x = optimize.brentq(g, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps)
        except _Root as root:
            x = root.args[0]
        if loose_max == 0 or abs(f(x)[0]) < tol:  # the exact residual decides
            return np.array([x])
    return np.array([x])


def _initial(spec, calibrated) -> float:
    if calibrated is not None and np.ndim(calibrated) == 0:
        return float(calibrated)
    if isinstance(spec, tuple):
        return 0.5 * (spec[0] + spec[1])
    return float(spec)


def show_progress(progress: bool | None) -> bool:
    """``None`` (the default) shows bars when stderr is a terminal; True/False force it."""
    if progress is None:
        import sys

        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def _progress_bar(progress: bool | None, name: str):
    if not show_progress(progress):
        return None
    from tqdm import tqdm

    return tqdm(desc=f"steady state {name}", unit="eval", leave=False)
