"""Reduced-rank extrapolation of the steady-state backward iteration.

References: a linear iteration whose fixed point is known by construction, and the
plain backward iteration run to a tolerance 1000x tighter than the extrapolated one.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hetdag.blocks._het._steady_state as het_steady_state
import hetdag.utils.extrapolate as extrapolate
from hetdag.examples._household import household
from hetdag.utils.extrapolate import rre
from hetdag.utils.grids import asset_grid, rouwenhorst


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 6))
def test_rre_is_exact_when_the_error_spans_few_modes(seed, k):
    """x_{n+1} - x* = J (x_n - x*) with the error in k eigenvectors: k + 2 iterates suffice.

    In floating point "exact" means up to the conditioning of the k + 1 differences,
    which grows with k (worst of 10,000 draws per k: 1.6e-15 for k = 1, 3e-13, 1e-11,
    2e-10, 1e-8, 7e-7 for k = 6), and without bound when two rates nearly coincide, so
    the k modes' rates are kept >= 0.08 apart and the tolerance is 1e-14 * 30^k (10x
    those worst cases). A wrong extrapolation misses by ~rate^k, far above it.
    """
    rng = np.random.default_rng(seed)
    n = 40
    lam = rng.uniform(0.3, 0.99, n)
    lam[:k] = rng.permutation(np.linspace(0.35, 0.95, 6)[:k]) + rng.uniform(-0.02, 0.02, k)
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]  # orthonormal: well conditioned
    J = V @ np.diag(lam) @ V.T
    x_star = rng.standard_normal(n)
    X = [x_star + V[:, :k] @ rng.standard_normal(k)]
    for _ in range(k + 1):
        X.append(x_star + J @ (X[-1] - x_star))
    x0_err = np.max(np.abs(X[0] - x_star))
    assert np.max(np.abs(rre(np.array(X)) - x_star)) < 1e-14 * 30.0**k * max(x0_err, 1.0)


def calibration(n_a=300, eis=1.0):
    e, _, Pi = rouwenhorst(5, 0.966, 0.5 * np.sqrt(1 - 0.966**2))
    return dict(r=0.01, beta=0.98, eis=eis, a_grid=asset_grid(0.0, 200.0, n_a), y=0.89 * e, Pi=Pi)


def solve(calib, count_steps=None, **options):
    """Internals of a fresh household's steady state and (with ``count_steps``) its steps."""
    hh = household.add_hetinputs([])._copy(**options)
    calls = count_steps(hh) if count_steps else {"n": None}
    return hh.steady_state(calib).internals[hh.name], calls["n"]


@pytest.fixture(scope="module")
def tight():
    """Plain iteration to an estimated distance of 1e-13."""
    return solve(
        calibration(), backward_extrapolate=False, backward_newton=False, backward_tol=1e-13
    )[0]


def test_extrapolated_steady_state_is_accurate_and_takes_fewer_steps(tight, count_steps):
    fast, n_fast = solve(calibration(), count_steps, backward_newton=False)
    plain, n_plain = solve(
        calibration(), count_steps, backward_extrapolate=False, backward_newton=False
    )
    for k in ("a", "c", "Va"):
        assert np.max(np.abs(fast[k] - tight[k])) < 1e-9 * max(1.0, np.max(np.abs(tight[k])))
    assert np.max(np.abs(fast["D"] - tight["D"])) < 1e-10
    assert n_fast < 0.75 * n_plain, (n_fast, n_plain)


class OneBadJump:
    """Stands in for IterateExtrapolator: one jump at step 40, then none."""

    rejected = 0

    def __init__(self, make):
        self.make, self.done = make, False

    def wants(self, it):
        return it >= 40 and not self.done

    def push(self, it, x, diff):
        if it < 40 or self.done:
            return None
        self.done = True
        return self.make(np.ravel(x))

    def reject(self):
        OneBadJump.rejected += 1


def test_the_block_undoes_a_jump_that_makes_nan(monkeypatch):
    """Va < 0 after the jump: with eis = 0.5 the next step makes NaN; the iterate before
    the jump is restored. (Jumps far off in Va are refused by the extrapolator itself,
    below: the budget bounds how far they can move the policy, so the block cannot.)"""
    ref = solve(
        calibration(eis=0.5), backward_extrapolate=False, backward_newton=False, backward_tol=1e-13
    )[0]
    OneBadJump.rejected = 0
    monkeypatch.setattr(het_steady_state, "IterateExtrapolator", lambda: OneBadJump(lambda x: -x))
    out, _ = solve(calibration(eis=0.5), backward_newton=False)
    assert OneBadJump.rejected == 1
    assert np.max(np.abs(out["a"] - ref["a"])) < 1e-9
    assert np.max(np.abs(out["D"] - ref["D"])) < 1e-10


def test_the_extrapolator_refuses_a_far_jump_and_stops(monkeypatch):
    calls = {"n": 0}

    def garbage(X):
        calls["n"] += 1
        return 100 * X[-1]

    monkeypatch.setattr(extrapolate, "rre", garbage)
    ex = extrapolate.IterateExtrapolator(m=2, start=3, period=4)
    x = np.ones(5)
    jumps = [ex.push(it, x * (1 + 0.5**it), 0.5**it) for it in range(20)]
    assert all(j is None for j in jumps) and calls["n"] == 1 and not ex.active
