"""Numba kernel of the two-asset household's first-order condition on the grid."""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def foc_coords(lhs, rhs, iout, piout):
    """For each row r and today's asset j, the a' where ``lhs[r, a'] = rhs[a', j]``.

    lhs (m, n_i) falls and rhs (n_i, n_j) rises in a' (index i), and the crossing rises
    in j: one forward walk per row. The crossing is linear interpolation of the gap
    ``rhs - lhs`` between the bracketing grid points ``i - 1`` and ``i``; ``iout``,
    ``piout`` (m, n_j) are its coordinates (``a' = pi a[i-1] + (1-pi) a[i]``). Where
    ``lhs < rhs`` already at the first point the choice is the grid's bottom (0, 1); past
    the last point the last segment extrapolates.
    """
    m, n_i = lhs.shape
    n_j = rhs.shape[1]
    for r in range(m):
        i = 0
        for j in range(n_j):
            while lhs[r, i] >= rhs[i, j] and i < n_i - 1:
                i += 1
            if i == 0:
                iout[r, j] = 0
                piout[r, j] = 1.0
            else:
                upper = rhs[i, j] - lhs[r, i]
                lower = rhs[i - 1, j] - lhs[r, i - 1]
                iout[r, j] = i - 1
                piout[r, j] = upper / (upper - lower)
