"""Monte Carlo paths of the Krusell–Smith economy from forced initial aggregate states."""

import numpy as np
import pytest

from hetdag.backends import AggregateRisk
from hetdag.backends.krusell_smith import (
    djj_aggregate_risk,
    draw_aggregate_path,
    simulate_histogram,
)
from hetdag.backends.krusell_smith._compare import simulate_conditional_paths
from hetdag.errors import ModelSpecError
from hetdag.utils.grids import asset_grid

A_GRID = asset_grid(0.0, 200.0, 40)
K_GRID = np.array([5.0, 10.0, 20.0])


def _solution(risk, seed=0):
    """A solution-like mapping with a random savings policy (no solve needed)."""
    rng = np.random.default_rng(seed)
    shape = (risk.n_z, risk.n_e, K_GRID.size, 1)
    pol = np.clip((0.97 * A_GRID + 0.3) * (1 + 0.02 * rng.standard_normal(shape)), 0, None)
    return {"policies": {"a": pol}, "K_grid": K_GRID, "a_grid": A_GRID, "risk": risk}


def _histogram(risk, z, seed=0):
    w = np.random.default_rng(seed).random(A_GRID.size)
    return np.outer(risk.e_dist[z], w / w.sum())


def test_paths_follow_forced_states_then_the_chain():
    risk = djj_aggregate_risk()
    sol = _solution(risk)
    D0 = _histogram(risk, 1)
    K, z = simulate_conditional_paths(sol, D0, [1, 0], T=60, n_paths=5, seed=7)
    assert K.shape == z.shape == (5, 60)
    np.testing.assert_array_equal(z[:, :2], [[1, 0]] * 5)
    a_pol = sol["policies"]["a"].reshape(4, K_GRID.size, A_GRID.size)
    for i in range(5):
        tail = draw_aggregate_path(risk.Pi_z, 59, seed=7 + i, z0=0)
        np.testing.assert_array_equal(z[i, 1:], tail)
        K_ref = simulate_histogram(a_pol, K_GRID, A_GRID, z[i], risk.Pi_cond, D0)[0]
        np.testing.assert_allclose(K[i], K_ref, rtol=1e-14)


def test_common_random_numbers_make_paths_coincide_once_states_meet():
    risk = djj_aggregate_risk()
    sol = _solution(risk)
    D0 = _histogram(risk, 1)
    Kb, zb = simulate_conditional_paths(sol, D0, [1, 0], T=200, n_paths=4, seed=3)
    Kg, zg = simulate_conditional_paths(sol, D0, [1, 1], T=200, n_paths=4, seed=3)
    # K_0 and K_1 are set before the forced states differ (the switch only moves D_1's
    # employment shares, not its asset marginal)
    np.testing.assert_allclose(Kb[:, :2], Kg[:, :2], rtol=1e-14)
    assert np.all(Kb[:, 2] != Kg[:, 2])
    for i in range(4):
        meet = np.flatnonzero(zb[i] == zg[i])
        meet = meet[meet >= 1][0]
        np.testing.assert_array_equal(zb[i, meet:], zg[i, meet:])


def test_histograms_are_cycled_over_paths():
    risk = djj_aggregate_risk()
    sol = _solution(risk)
    D0 = np.stack([_histogram(risk, 1, seed=s) for s in range(2)])
    K, _ = simulate_conditional_paths(sol, D0, [1], T=10, n_paths=3, seed=0)
    K_first, _ = simulate_conditional_paths(sol, D0[0], [1], T=10, n_paths=3, seed=0)
    np.testing.assert_array_equal(K[[0, 2]], K_first[[0, 2]])
    assert K[1, 0] == pytest.approx(float(np.sum(D0[1] * A_GRID)))


def test_one_aggregate_state_gives_identical_deterministic_paths():
    base = djj_aggregate_risk()
    Pi_e = base.Pi_cond[1, 1]
    e_dist = base.e_dist[1]
    risk = AggregateRisk(
        z=[1.0],
        Pi_z=[[1.0]],
        Pi=Pi_e,
        e_dist=[e_dist],
        labor=[base.labor[1]],
        income=[base.income[1]],
    )
    sol = _solution(risk)
    D0 = _histogram(risk, 0)
    K, z = simulate_conditional_paths(sol, D0, [0], T=30, n_paths=3, seed=0)
    assert np.all(z == 0)
    a_pol = sol["policies"]["a"].reshape(2, K_GRID.size, A_GRID.size)
    K_ref = simulate_histogram(a_pol, K_GRID, A_GRID, np.zeros(30, int), risk.Pi_cond, D0)[0]
    np.testing.assert_allclose(K, np.tile(K_ref, (3, 1)), rtol=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"z_start": []}, "'z_start' needs states in"),
        ({"z_start": [2]}, "'z_start' needs states in"),
        ({"T": 1}, "need T >= len"),
        ({"n_paths": 0}, "need T >= len"),
        ({"D0": np.ones((3, 40))}, "'D0' has shape"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    risk = djj_aggregate_risk()
    args = {
        "D0": _histogram(risk, 1),
        "z_start": [1, 0],
        "T": 10,
        "n_paths": 2,
        **kwargs,
    }
    with pytest.raises(ModelSpecError, match=match):
        simulate_conditional_paths(_solution(risk), **args)
