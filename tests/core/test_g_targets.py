"""G of the targets: reported as exact zeros; the equilibrium they stand for is checked
by composing the model's own Jacobians with G of the unknowns."""

from __future__ import annotations

import numpy as np

from hetdag.examples import krusell_smith


def test_targets_are_zero_and_hold_to_first_order():
    ex = krusell_smith.example(3, 60)
    T = 80
    G = ex.model.solve_jacobian(ex.ss, ex.unknowns, ex.targets, ex.exogenous, T=T)
    J = ex.model.jacobian(ex.ss, ex.unknowns + ex.exogenous, T=T)
    for t in ex.targets:
        for z in ex.exogenous:
            assert np.array_equal(np.asarray(G[t][z]), np.zeros((T, T)))
            # H_Z + H_U G_U: what the zeros stand for
            resid = J.stack([t], [z]) + J.stack([t], ex.unknowns) @ np.vstack(
                [np.asarray(G[u][z]) for u in ex.unknowns]
            )
            assert np.max(np.abs(resid)) < 1e-10 * np.max(np.abs(J.stack([t], [z])))
