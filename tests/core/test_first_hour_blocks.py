"""Simple blocks as a new user meets them (issue 19, items 8-10): a lag of the block's
own output fails at decoration with the fix; an evaluation error names the block, the
output and the inputs; blocks typed where no source is kept (REPL, exec) work."""

import subprocess
import sys

import numpy as np
import pytest

import hetdag as hd
from hetdag.errors import ModelSpecError


def test_lag_of_own_output_fails_at_decoration_with_the_fix():
    with pytest.raises(ModelSpecError, match=r"`i\(-1\)` is a lead or lag of 'i'.*i_res"):

        @hd.simple
        def taylor(rho, eps):
            i = rho * i(-1) + eps  # noqa: F821 (the mistake under test)
            return i

    # the suggested fix works: i an unknown, i_res the target; it matches the AR(1)
    @hd.simple
    def taylor_fixed(i, rho, eps):
        i_res = i - (rho * i(-1) + eps)
        return i_res

    model = hd.create_model([taylor_fixed], name="ar1")
    ss = model.steady_state({"i": 0.0, "rho": 0.8, "eps": 0.0})
    irf = model.solve_impulse_linear(ss, ["i"], ["i_res"], {"eps": np.r_[1.0, np.zeros(9)]})
    np.testing.assert_allclose(irf["i"], 0.8 ** np.arange(10), atol=1e-12)


@hd.simple
def firm(K, L, Z, alpha, delta):
    r = alpha * Z * (K(-1) / L) ** (alpha - 1) - delta
    w = (1 - alpha) * Z * (K(-1) / L) ** alpha
    return r, w


@hd.simple
def ratio(A, B):
    q = A / B
    return q


def test_evaluation_errors_name_block_output_and_inputs():
    calib = {"K": -1.0, "L": 1.0, "Z": 1.0, "alpha": 0.36, "delta": 0.025}
    with pytest.raises(ModelSpecError, match=r"Block 'firm': output 'r' is complex.*K=-1"):
        firm.steady_state(calib)
    with pytest.raises(ModelSpecError, match=r"Block 'ratio': evaluation failed computing 'q'"):
        ratio.steady_state({"A": 1, "B": 0})


def test_simple_block_defined_without_source():
    """exec and `python -` keep no source: outputs come from the bytecode."""
    code = (
        "import hetdag as hd\n"
        "@hd.simple\n"
        "def firm(K, L, Z, alpha):\n"
        "    w = (1 - alpha) * Z * (K(-1) / L) ** alpha\n"
        "    Y = Z * K(-1) ** alpha * L ** (1 - alpha)\n"
        "    return w, Y\n"
        "ss = firm.steady_state(dict(K=2.0, L=1.0, Z=1.0, alpha=0.5))\n"
        "J = firm.jacobian(ss, ['K'], T=3)\n"
        "print(firm.outputs, round(ss['Y'], 12), round(J['Y', 'K'].coeffs[-1], 12))\n"
    )
    out = subprocess.run([sys.executable, "-"], input=code, text=True, capture_output=True)
    assert out.returncode == 0, out.stderr
    # Y = sqrt(K) at K = 2: dY/dK = 0.5 / sqrt(2)
    assert out.stdout.split() == ["('w',", "'Y')", str(round(2**0.5, 12)),
                                  str(round(0.5 / 2**0.5, 12))]  # fmt: skip


def test_a_block_name_as_key_says_where_internals_are():
    """Issue 19 item 13: path['household'] points to path.internals['household']."""
    from hetdag.examples import krusell_smith

    ex = krusell_smith.example(3, 40)
    path = ex.model.solve_impulse_nonlinear(
        ex.ss, ex.unknowns, ex.targets, {"Z": 0.01 * 0.9 ** np.arange(60)},
        internals=["household"],
    )  # fmt: skip
    with pytest.raises(KeyError, match=r"internals\['household'\].*'D'"):
        path["household"]
    with pytest.raises(KeyError, match=r"internals\['household'\]"):
        ex.ss["household"]
    with pytest.raises(KeyError, match="'nothing'"):
        path["nothing"]
    assert path.internals["household"]["D"].shape[0] == 60


def test_warnings_point_at_the_users_line():
    """Issue 19 item 11: a determinacy warning raised deep in the solvers names the
    line of the user's call (this file), not hetdag's internals."""
    import warnings

    from hetdag.errors import DeterminacyWarning
    from hetdag.examples import hank

    ex = hank.example(3, 40)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ex.model.solve_impulse_linear(ex.ss, ex.unknowns, ex.targets, hank.shock(T=40))
    found = [w for w in caught if issubclass(w.category, DeterminacyWarning)]
    assert found, "T = 40 is too short for HANK's determinacy check to be conclusive"
    assert found[0].filename == __file__


def test_results_pickle_round_trip():
    """Results travel to Dask workers by pickle (the KeyError hint must not recurse)."""
    import pickle

    ss = hd.SteadyState({"K": 1.0}, {"household": {"D": np.ones(2)}})
    back = pickle.loads(pickle.dumps(ss))
    assert back["K"] == 1.0 and back.internals["household"]["D"].sum() == 2.0
    irf = pickle.loads(pickle.dumps(hd.ImpulseDict({"K": np.ones(3)}, internals={"h": {}})))
    assert irf.T == 3 and "h" in irf.internals
