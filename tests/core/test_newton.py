"""The dense Newton/Broyden solver of steady states, against roots known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

import hetdag.solvers._newton as N
from hetdag.errors import ConvergenceError


def _system(calls):
    # roots: x = (1, 2) (the one near the guess) -- exp and a product, so J varies
    def f(x):
        calls.append(x.copy())
        return np.array([np.exp(x[0] - 1) - 1 + 0.1 * (x[1] - 2), x[0] * x[1] - 2])

    return f


@pytest.mark.parametrize("broyden", [False, True])
def test_converges_to_the_closed_form_root(broyden):
    calls = []
    x = N.newton_solve(_system(calls), np.array([1.4, 1.5]), tol=1e-12, broyden=broyden)
    np.testing.assert_allclose(x, [1.0, 2.0], atol=1e-11)


def test_broyden_uses_fewer_evaluations_than_newton():
    newton, broyden = [], []
    N.newton_solve(_system(newton), np.array([1.4, 1.5]), tol=1e-12)
    N.newton_solve(_system(broyden), np.array([1.4, 1.5]), tol=1e-12, broyden=True)
    assert len(broyden) < len(newton), (len(broyden), len(newton))


def test_broyden_refreshes_a_stale_jacobian_when_its_line_search_fails(monkeypatch):
    real = N._line_search
    seen = {"failed": 0, "fd": 0}
    real_fd = N.fd_jacobian

    def flaky(f, x, fx, J, err):
        # the first search on an updated (stale) Jacobian fails
        if seen["fd"] == 1 and seen["failed"] == 0 and len(calls) > 3:
            seen["failed"] += 1
            return None, None
        return real(f, x, fx, J, err)

    def counted_fd(*args, **kw):
        seen["fd"] += 1
        return real_fd(*args, **kw)

    monkeypatch.setattr(N, "_line_search", flaky)
    monkeypatch.setattr(N, "fd_jacobian", counted_fd)
    calls = []
    x = N.newton_solve(_system(calls), np.array([1.4, 1.5]), tol=1e-12, broyden=True)
    np.testing.assert_allclose(x, [1.0, 2.0], atol=1e-11)
    assert seen == {"failed": 1, "fd": 2}


def test_line_search_failure_on_a_fresh_jacobian_raises():
    # no real root: |f| cannot fall below 1
    def f(x):
        return np.array([x[0] ** 2 + 1.0])

    with pytest.raises(ConvergenceError, match="line search failed"):
        N.newton_solve(f, np.array([0.0]), tol=1e-12)
