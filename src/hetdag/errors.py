"""Exceptions and warnings raised by hetdag on purpose.

Every class inherits from :class:`HetdagError` and from the builtin it refines,
so ``except ValueError`` keeps working for callers that do not know hetdag.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class HetdagError(Exception):
    """Base class of everything hetdag raises on purpose."""


class ModelSpecError(HetdagError, ValueError):
    """A block or model is declared or called inconsistently."""


class CyclicDependencyError(ModelSpecError):
    """The blocks of a model depend on each other in a cycle.

    ``cycle`` holds the path as alternating block names and variables.
    """

    def __init__(self, msg: str, cycle: list[str]):
        self.cycle = cycle
        super().__init__(msg)


class NonFiniteError(HetdagError, FloatingPointError):
    """A block produced NaN or inf."""

    def __init__(self, msg: str, block: str | None = None, variable: str | None = None):
        self.block = block
        self.variable = variable
        super().__init__(msg)


class ConvergenceError(HetdagError, RuntimeError):
    """An iterative solve stopped without meeting its tolerance.

    Attributes ``block``, ``variable``, ``iterations`` and ``residual`` carry the context;
    ``residuals`` maps target names to their final max-abs residual where known.
    """

    def __init__(
        self,
        msg: str,
        block: str | None = None,
        variable: str | None = None,
        iterations: int | None = None,
        residual: float | None = None,
        residuals: Mapping[str, float] | None = None,
    ):
        self.block = block
        self.variable = variable
        self.iterations = iterations
        self.residual = residual
        self.residuals = dict(residuals) if residuals else {}
        super().__init__(msg)


class IndeterminacyError(HetdagError, np.linalg.LinAlgError):
    """The linearised equilibrium is not unique (or does not exist).

    ``winding_number`` is the winding number of det of H_U's Toeplitz symbol.
    """

    def __init__(self, msg: str, winding_number: int | None = None):
        self.winding_number = winding_number
        super().__init__(msg)


class OptionalDependencyError(HetdagError, ImportError):
    """An optional package is missing; the message names the pip extra."""


class HetdagWarning(UserWarning):
    """Base class of hetdag's warnings."""


class GridBoundaryWarning(HetdagWarning):
    """Mass piles up at the edge of an individual or aggregate grid."""


class DeterminacyWarning(HetdagWarning):
    """The determinacy check could not be carried out reliably."""


def format_residuals(residuals: Mapping[str, float]) -> str:
    """Render ``{target: max abs residual}`` for an error message."""
    return ", ".join(f"{k}={v:.3e}" for k, v in residuals.items())
