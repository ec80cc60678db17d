"""DEQN backend, parts: I-spline head, Fischer–Burmeister, JAX histogram, Euler errors.

Each test checks against an independent reference: the defining properties (head, FB),
``hd.young_step`` (histogram), hand-computed expectations (Euler errors).
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import hetdag as hd
from hetdag.backends._accuracy import euler_error_stats, euler_errors

jax = pytest.importorskip("jax")
jnp = jax.numpy
deqn = pytest.importorskip("hetdag.backends.deqn")


@pytest.fixture(scope="module", autouse=True)
def x64():
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


GRID = hd.utils.grids.asset_grid(0.0, 200.0, 40)
BASIS = deqn.ispline_basis(np.concatenate([GRID[:1], 0.5 * (GRID[1:] + GRID[:-1])]), 0.0, 200.0, 12)


def test_ispline_basis_rises_from_zero_to_one():
    x = np.linspace(0, 200, 500)
    B = deqn.ispline_basis(x, 0.0, 200.0, 12)
    assert B.shape == (500, 12)
    assert np.all(np.diff(B, axis=0) >= -1e-12)
    np.testing.assert_allclose(B[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(B[-1], 1.0, atol=1e-12)


@settings(max_examples=60, deadline=None)
# one saturated weight: 1 - sum w B rounds below 0 in float32 at the top of the grid
@example(logits=[0, -6, 0, 0, 0, 30, 0, 0, 0, 0, 0, 0, -4, -7] + [0.0] * 14, r=0.0, y=[1.0, 1.0])
@given(
    logits=st.lists(st.floats(-30, 30), min_size=2 * 14, max_size=2 * 14),
    r=st.floats(-0.02, 0.1),
    y=st.lists(st.floats(0.01, 10.0), min_size=2, max_size=2),
)
def test_ispline_head_is_feasible_increasing_concave(logits, r, y):
    head = jnp.asarray(np.array(logits).reshape(2, 14))
    coh = (1 + r) * GRID[None, :] + np.array(y)[:, None]  # net of a_min = 0
    c = np.asarray(deqn.mpc_consumption(head, jnp.asarray(coh), jnp.asarray(BASIS)))
    assert np.all(c > 0)
    assert np.all(c <= coh * (1 + 1e-12))  # a' = coh - c >= borrowing limit
    assert np.all(np.diff(c, axis=1) >= 0)  # increasing
    slopes = np.diff(np.concatenate([np.zeros((2, 1)), c], axis=1), axis=1) / np.diff(
        np.concatenate([np.zeros((2, 1)), coh], axis=1), axis=1
    )
    assert np.all(np.diff(slopes, axis=1) <= 1e-9)  # concave in cash on hand


@settings(max_examples=200, deadline=None)
@given(g=st.integers(-40, 40), s=st.integers(-40, 40))
def test_fischer_burmeister_zero_iff_complementarity(g, s):
    g, s = g / 8, s / 8  # exact binary fractions: no rounding hides a nonzero value
    fb = float(deqn.fischer_burmeister(jnp.asarray(g), jnp.asarray(s)))
    holds = g >= 0 and s >= 0 and g * s == 0
    assert (fb == 0.0) == holds


def test_jax_histogram_step_equals_young_step():
    rng = np.random.default_rng(3)
    for n_e in (1, 3):
        D = rng.random((n_e, GRID.size))
        D /= D.sum()
        x = rng.uniform(-5, 230, (n_e, GRID.size))  # below, inside and above the grid
        x[:, ::7] = GRID[::7]  # exactly on grid points
        Pi = rng.random((n_e, n_e))
        Pi /= Pi.sum(axis=1, keepdims=True)
        ref = hd.young_step(D, x, GRID, Pi)
        got = np.asarray(
            deqn.young_step_jax(jnp.asarray(D), jnp.asarray(x), jnp.asarray(GRID), jnp.asarray(Pi))
        )
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


# ------------------------------------------------------------ Euler errors
def test_euler_errors_on_a_policy_with_known_errors():
    """Two z', two e': the error equals a chosen distortion of consumption."""
    beta, eis = 0.95, 0.5
    g = np.array([0.0, 1.0, 2.0, 4.0])
    Pi = np.array(
        [[0.6, 0.1, 0.2, 0.1], [0.1, 0.5, 0.1, 0.3], [0.3, 0.1, 0.4, 0.2], [0.1, 0.2, 0.3, 0.4]]
    )
    R = np.array([[1.02, 1.04]])
    # next-period consumption linear in a (so linear interpolation is exact)
    slope = np.array([[0.1, 0.2], [0.15, 0.3]])  # (z', e')
    level = np.array([[1.0, 1.5], [1.2, 2.0]])
    c_next = level[:, :, None] + slope[:, :, None] * g  # (n_z, n_e, n_a)
    a_next = np.array([[0.0, 0.5, 1.5, 3.0], [0.2, 0.9, 2.5, 3.9]])
    z = 1
    c_euler = np.empty((2, 4))
    for e in range(2):
        for j in range(4):
            mu = sum(
                Pi[z * 2 + e, zp * 2 + ep]
                * R[0, zp]
                * (level[zp, ep] + slope[zp, ep] * a_next[e, j]) ** (-1 / eis)
                for zp in range(2)
                for ep in range(2)
            )
            c_euler[e, j] = (beta * mu) ** (-eis)
    delta = np.array([[0.3, 1e-3, -2e-4, 5e-6], [1e-2, -1e-5, 2e-3, -7e-3]])
    c = c_euler / (1 + delta)  # c_E / c - 1 = delta
    c[0, 0] = c_euler[0, 0] * 0.9  # constrained, Euler inequality holds: error 0
    err = euler_errors(c[None], a_next[None], c_next[None], R, [z], Pi, g, beta, eis)[0]
    want = np.abs(delta)
    want[0, 0] = 0.0
    np.testing.assert_allclose(err, want, rtol=1e-9, atol=1e-15)
    a_hair = a_next.copy()
    a_hair[0, 0] = 1e-9  # a hair above the limit, wants more: charged the hair, 1e-9 / c
    err = euler_errors(c[None], a_hair[None], c_next[None], R, [z], Pi, g, beta, eis)[0]
    assert err[0, 0] == pytest.approx(1e-9 / c[0, 0], rel=1e-6)
    c[0, 0] = c_euler[0, 0] * 1.25  # constrained but consuming too much: 1 - c_E/c = 0.2
    err = euler_errors(c[None], a_next[None], c_next[None], R, [z], Pi, g, beta, eis)[0]
    assert err[0, 0] == pytest.approx(0.2, rel=1e-12)


def test_euler_error_stats_are_mass_weighted():
    err = np.array([1e-2, 1e-4, 1e-6, 1e-3])
    mass = np.array([0.02, 0.5, 0.48, 0.0])
    s = euler_error_stats(err, mass)
    assert s["mean"] == pytest.approx(0.02 * -2 + 0.5 * -4 + 0.48 * -6)
    assert s["median"] == -4.0
    assert s["p99"] == -2.0  # the top 2% of mass sits at 1e-2
    assert s["max"] == -2.0  # the massless 1e-3 point does not count
    with pytest.raises(hd.errors.ModelSpecError):
        euler_error_stats(err, mass[:3])
