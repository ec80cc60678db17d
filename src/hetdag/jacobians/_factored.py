"""H_U factored once: ``-H_U^{-1}`` applied to Jacobians and shock paths.

For a model with unknowns U and targets H, ``H_U`` stacks ``dH_k / dU_j`` (T x T each)
with targets as row blocks and unknowns as column blocks. Linearised equilibrium is
``H_U dU + H_Z dZ = 0``, so ``dU = -H_U^{-1} H_Z dZ``: :meth:`compose` gives
``-H_U^{-1} J`` for a Jacobian J of the targets, and :meth:`apply` gives ``-H_U^{-1} x``
for target paths x. sequence-jacobian users pass one as ``H_U_factored=``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray
from scipy import linalg
from scipy.linalg import lapack

from ..errors import ModelSpecError
from ._jacobian_dict import JacobianDict

RCOND_MIN = 1e3 * np.finfo(float).eps  # reciprocal condition number: below, singular


def lu_factor_checked(H: NDArray[np.float64], what: str) -> tuple:
    """SciPy LU factors of ``H``; raises ``numpy.linalg.LinAlgError`` naming ``what`` when
    H is singular to working precision (reciprocal 1-norm condition number below
    ``RCOND_MIN``, estimated from the factors: pivot ratios are no test of singularity)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)  # reported below, named
        lu = linalg.lu_factor(H, check_finite=False)
    rcond, info = lapack.dgecon(lu[0], np.linalg.norm(H, 1), norm="1")
    if info != 0 or not rcond > RCOND_MIN:
        raise np.linalg.LinAlgError(
            f"{what} is singular (reciprocal condition number {rcond:.1e}); check that each "
            "target depends on the unknowns"
        )
    return lu


class FactoredJacobianDict:
    """LU factorisation of a square H_U held as a :class:`JacobianDict`.

    Parameters
    ----------
    jacobian_dict : JacobianDict
        ``H_U[target][unknown]``; as many targets (its outputs) as unknowns (its inputs).
    T : int, optional
        Horizon; by default the dictionary's.

    Raises
    ------
    ModelSpecError
        If the counts of targets and unknowns differ.
    numpy.linalg.LinAlgError
        If H_U is singular to working precision.
    """

    def __init__(self, jacobian_dict: JacobianDict, T: int | None = None):
        self.T = int(T) if T is not None else jacobian_dict.T
        self.targets = list(jacobian_dict.outputs)
        self.unknowns = list(jacobian_dict.inputs)
        if len(self.targets) != len(self.unknowns):
            raise ModelSpecError(
                f"FactoredJacobianDict: H_U needs as many targets {self.targets} as unknowns "
                f"{self.unknowns}"
            )
        H_U = jacobian_dict.stack(self.targets, self.unknowns, self.T)
        if not np.all(np.isfinite(H_U)):
            raise ModelSpecError("FactoredJacobianDict: H_U contains NaN or inf")
        what = f"H_U (targets {self.targets} by unknowns {self.unknowns})"
        self._lu = lu_factor_checked(H_U, what)
        self.H_U = H_U

    def matrix(self, targets: list[str], unknowns: list[str]) -> NDArray[np.float64]:
        """H_U with its row blocks in ``targets``' order and column blocks in ``unknowns``'."""
        T = self.T
        r = np.concatenate([np.arange(T) + T * self.targets.index(t) for t in targets])
        c = np.concatenate([np.arange(T) + T * self.unknowns.index(u) for u in unknowns])
        return self.H_U[np.ix_(r, c)]

    def __repr__(self) -> str:
        return f"<FactoredJacobianDict unknowns={self.unknowns} targets={self.targets} T={self.T}>"

    def _solve(self, rhs: NDArray[np.float64]) -> NDArray[np.float64]:
        return -linalg.lu_solve(self._lu, rhs)

    def compose(self, J: JacobianDict) -> JacobianDict:
        """``-H_U^{-1} J``: the unknowns' response to J's inputs (targets J lacks are 0)."""
        rhs = J.stack(self.targets, J.inputs, self.T)
        return JacobianDict.unpack(self._solve(rhs), self.unknowns, J.inputs, self.T)

    def apply(self, x: Mapping[str, NDArray[np.float64]]) -> dict[str, NDArray[np.float64]]:
        """``-H_U^{-1} x`` for paths ``x[target]`` (length T; missing targets are 0)."""
        from ..results import ImpulseDict

        rhs = np.concatenate([np.asarray(x.get(t, np.zeros(self.T)), float) for t in self.targets])
        out = self._solve(rhs)
        T = self.T
        return ImpulseDict({u: out[k * T : (k + 1) * T] for k, u in enumerate(self.unknowns)}, T)

    def __matmul__(self, x):
        if isinstance(x, JacobianDict):
            return self.compose(x)
        if isinstance(x, Mapping):
            return self.apply(x)
        return NotImplemented

    def to_jacobian_dict(self) -> JacobianDict:
        """``-H_U^{-1}`` as a JacobianDict (unknowns x targets)."""
        n = len(self.targets) * self.T
        return JacobianDict.unpack(self._solve(np.eye(n)), self.unknowns, self.targets, self.T)
