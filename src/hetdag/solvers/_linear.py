"""Linear general equilibrium in the sequence space.

Stack the targets H(U, Z) = 0 over t = 0..T-1. Linearising at the steady state,

.. math::  dU = -H_U^{-1} H_Z\\, dZ,

with H_U of shape (n_targets*T, n_unknowns*T) and H_Z of shape
(n_targets*T, n_inputs*T). H_U is LU-factored once per (model, steady state,
unknowns, targets, T) and reused by linear and nonlinear solves. Every other output
follows as ``dO = J_OU dU + J_OZ dZ``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import linalg

from ..errors import ModelSpecError
from ..jacobians._factored import RCOND_MIN, lu_factor_checked
from ..jacobians._jacobian_dict import JacobianDict, check_T
from ..jacobians._shift import add, matmul
from ..results import ImpulseDict
from ..results._results import in_fingerprint_scope
from ..utils._blas import one_blas_thread
from ._determinacy import check_determinacy
from ._protocol import as_steady_state, shock_horizon
from ._scope import scope_key


def _names(x) -> list[str]:
    return [x] if isinstance(x, str) else list(x)


def check_unknowns_targets(block, unknowns, targets) -> tuple[list[str], list[str]]:
    unknowns, targets = _names(unknowns), _names(targets)
    if len(unknowns) != len(targets):
        raise ModelSpecError(
            f"Model {block.name!r}: {len(unknowns)} unknowns {unknowns} but {len(targets)} "
            f"targets {targets}; they must match"
        )
    for u in unknowns:
        if u not in block.inputs:
            raise ModelSpecError(
                f"Model {block.name!r}: unknown {u!r} is not an input of any block"
            )
    for t in targets:
        if t not in block.outputs:
            raise ModelSpecError(
                f"Model {block.name!r}: target {t!r} is not an output of any block; outputs are "
                f"{sorted(block.outputs)}"
            )
    return unknowns, targets


class FactoredHU:
    """H_U with its solves: many right-hand sides by NumPy, vectors by cached LU factors.

    ``solve_many`` (G's ``H_U^{-1} H_Z``) runs NumPy's ``gesv``; the SciPy LU factors
    that vector solves reuse (nonlinear transitions, linear IRFs) are made on first use.
    Why not factor once for both: NumPy and SciPy wheels each bundle an OpenBLAS, and
    right after a NumPy product (the fake-news step) SciPy's LU of HANK's 900x900 H_U
    measured 40-120 ms against 24 ms for NumPy's solve of all 900 columns.
    """

    def __init__(self, H_U: np.ndarray, unknowns: list[str], targets: list[str], T: int, name):
        self.H_U = H_U
        self.checked = False  # determinacy verified for this H_U
        self.T = T
        self.unknowns = unknowns
        self.targets = targets
        self.name = name
        self._lu = None
        if not np.all(np.isfinite(H_U)):
            raise ModelSpecError(f"Model {name!r}: H_U contains NaN or inf")

    def _what(self) -> str:
        return f"Model {self.name!r}: H_U (targets {self.targets} by unknowns {self.unknowns})"

    def _singular(self, rcond: float) -> np.linalg.LinAlgError:
        return np.linalg.LinAlgError(
            f"{self._what()} is singular (reciprocal condition number {rcond:.1e}); check "
            "that each target depends on the unknowns"
        )

    @property
    def lu(self) -> tuple:
        if self._lu is None:
            with one_blas_thread(self.H_U.shape[0]):
                self._lu = lu_factor_checked(self.H_U, self._what())
        return self._lu

    def solve(self, b: np.ndarray) -> np.ndarray:
        lu = self.lu
        with one_blas_thread(self.H_U.shape[0]):
            return linalg.lu_solve(lu, b, check_finite=False)

    def solve_many(self, B: np.ndarray) -> np.ndarray:
        """``H_U^{-1} B`` for B (n, m), with a condition check that costs one more column.

        ``||H_U^{-1}||_1`` is estimated from below by the columns solved: B's and a fixed
        +-1 probe, which a near-singular H_U maps to a vector ~1/sqrt(n) of the null
        direction's growth. The estimated reciprocal condition number is then an upper
        bound on the true one, and is held to the threshold of the LU path.
        """
        if self._lu is not None:
            return self.solve(B)
        n = self.H_U.shape[0]
        probe = np.where(np.random.default_rng(0).random(n) < 0.5, -1.0, 1.0)
        try:
            with one_blas_thread(n):  # small: see hetdag.utils._blas
                X = np.linalg.solve(self.H_U, np.column_stack([B, probe]))
        except np.linalg.LinAlgError:  # an exactly zero pivot
            raise self._singular(0.0) from None
        b = np.append(np.abs(B).sum(axis=0), n)
        live = b > 0  # a zero column says nothing about H_U^{-1}
        growth = np.abs(X[:, live]).sum(axis=0) / b[live]
        with np.errstate(all="ignore"):  # inf or NaN growth: singular
            rcond = 1.0 / (np.linalg.norm(self.H_U, 1) * np.max(growth))
        if not rcond > RCOND_MIN:
            raise self._singular(rcond)
        return X[:, :-1]


def factored_hu(block, ss, unknowns, targets, T, check=True, given=None) -> FactoredHU:
    """H_U at the steady state, LU-factored once and cached on the block.

    The determinacy check runs the first time it is asked for, even if H_U was cached
    earlier by a call that skipped it. ``given``: a factored H_U the caller already has
    (sequence-jacobian's ``H_U_factored=``, a FactoredJacobianDict), used instead.
    """
    if given is not None:
        return _given_hu(given, block.name, unknowns, targets, T, check)
    cache = block.__dict__.setdefault("_hu_cache", {})
    key = (ss.fingerprint(), tuple(unknowns), tuple(targets), T, scope_key())
    hit = cache.get(key)
    if hit is None:
        J = block.jacobian(ss, unknowns, targets, T=T)
        hit = FactoredHU(J.stack(targets, unknowns), unknowns, targets, T, block.name)
        if len(cache) > 8:
            cache.clear()
        cache[key] = hit
    if check and not hit.checked:
        check_determinacy(hit.H_U, len(targets), T, block.name)
        hit.checked = True
    return hit


def _given_hu(given, name, unknowns, targets, T, check) -> FactoredHU:
    same = set(given.unknowns) == set(unknowns) and set(given.targets) == set(targets)
    if not same or given.T != T:
        raise ModelSpecError(
            f"Model {name!r}: H_U_factored is for unknowns {given.unknowns}, targets "
            f"{given.targets} at T={given.T}; this solve has unknowns {unknowns}, targets "
            f"{targets} at T={T}"
        )
    hu = FactoredHU(given.matrix(targets, unknowns), unknowns, targets, T, name)
    if (given.unknowns, given.targets) == (list(unknowns), list(targets)):
        hu._lu = given._lu  # the caller's factors, in this solve's order
    if check:
        check_determinacy(hu.H_U, len(targets), T, name)
    return hu


@in_fingerprint_scope
def solve_jacobian(
    block,
    ss: Mapping,
    unknowns: Sequence[str],
    targets: Sequence[str],
    inputs: Sequence[str],
    outputs: Sequence[str] | None = None,
    T: int = 300,
    check_determinacy: bool = True,
    H_U_factored=None,
) -> JacobianDict:
    """General-equilibrium Jacobians ``G[o][z]`` (T x T) for every output and unknown.

    ``G[u][z] = -(H_U^{-1} H_Z)[u, z]`` and ``G[o][z] = J[o][z] + sum_u J[o][u] G[u][z]``.
    """
    T = check_T(T, block.name)
    ss = as_steady_state(ss)
    unknowns, targets = check_unknowns_targets(block, unknowns, targets)
    inputs = _names(inputs)
    for z in inputs:
        if z not in block.inputs:
            raise ModelSpecError(
                f"Model {block.name!r}: shock {z!r} is not an input; inputs are "
                f"{sorted(block.inputs)}"
            )
        if z in unknowns:
            raise ModelSpecError(f"Model {block.name!r}: {z!r} is both an unknown and an input")
    # the Jacobian w.r.t. unknowns and shocks first, in one forward accumulation: H_U
    # (factored_hu) is then served from its cache instead of accumulating the unknowns
    # again (two-asset HANK G: 1.04 -> 0.92 s)
    J = block.jacobian(ss, unknowns + inputs, T=T)
    nu, nz = len(unknowns), len(inputs)
    if nu:
        lu = factored_hu(block, ss, unknowns, targets, T, check_determinacy, H_U_factored)
        G_U = -lu.solve_many(J.stack(targets, inputs))  # (nu*T, nz*T)
    else:  # no unknowns (sequence-jacobian allows it): G is the model's Jacobian
        G_U = np.zeros((0, nz * T))
    G_blocks = G_U.reshape(nu, T, nz, T)
    G: dict[str, dict[str, object]] = {
        u: {z: G_blocks[a, :, b, :] for b, z in enumerate(inputs)} for a, u in enumerate(unknowns)
    }
    outputs = [o for o in (block.outputs if outputs is None else _names(outputs)) if o not in G]
    # targets hold along G by construction (H_Z + H_U G_U = 0): exact zeros, not the
    # roundoff of a product that costs as much as any other output's
    for o in [o for o in outputs if o in targets]:
        G[o] = {z: np.zeros((T, T)) for z in inputs}
    outputs = [o for o in outputs if o not in targets]
    # outputs with a dense dependence on the unknowns: one stacked product with G_U
    dense = [o for o in outputs if any(isinstance(J.get_entry(o, u), np.ndarray) for u in unknowns)]
    via_u = J.stack(dense, unknowns) @ G_U if dense else np.zeros((0, nz * T))
    for o in outputs:
        row = {}
        for b, z in enumerate(inputs):
            acc = J.get_entry(o, z)
            if o in dense:
                a = dense.index(o)
                acc = add(acc, via_u[a * T : (a + 1) * T, b * T : (b + 1) * T])
            else:
                for u in unknowns:
                    m = J.get_entry(o, u)
                    if m is not None:
                        acc = add(acc, matmul(m, G[u][z]))
            if acc is not None:
                row[z] = np.asarray(acc) if not isinstance(acc, np.ndarray) else acc
        G[o] = row
    return JacobianDict(G, T, block.name)


@in_fingerprint_scope
def solve_impulse_linear(
    block,
    ss: Mapping,
    unknowns: Sequence[str],
    targets: Sequence[str],
    shocks: Mapping[str, np.ndarray],
    outputs: Sequence[str] | None = None,
    check_determinacy: bool = True,
    H_U_factored=None,
) -> ImpulseDict:
    """First-order impulse responses (deviations from ``ss``) to arbitrary shock paths."""
    ss = as_steady_state(ss)
    unknowns, targets = check_unknowns_targets(block, unknowns, targets)
    T = shock_horizon(shocks, block)
    dZ = {k: np.asarray(v, dtype=float) for k, v in shocks.items()}
    J = block.jacobian(ss, unknowns + list(dZ), T=T)
    dU = np.zeros(0)  # no unknowns: the response is the model's Jacobian times the shocks
    if unknowns:
        lu = factored_hu(block, ss, unknowns, targets, T, check_determinacy, H_U_factored)
        dH = J.subset(targets).apply(dZ)
        dU = -lu.solve(np.concatenate([dH[t] for t in targets]))
    dUd = {u: dU[a * T : (a + 1) * T] for a, u in enumerate(unknowns)}
    resp = J.apply({**dZ, **dUd})
    outputs = list(block.outputs) if outputs is None else _names(outputs)
    out = {**dZ, **dUd, **{o: resp[o] for o in outputs if o in resp}}
    return ImpulseDict(out, T, label="linear")
