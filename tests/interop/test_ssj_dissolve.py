"""``dissolve=`` (issue 16): solved blocks whose unknowns and targets join the outer solve.

The firm side of SSJ's two-asset example (its solved blocks ``pricing_solved``,
``arbitrage_solved`` and ``production_solved``, plus ``dividend``), ported by changing
the import, against the same model in sequence-jacobian and against the solve without
``dissolve``.
"""

import numpy as np
import pytest

import hetdag as hd
from hetdag.errors import ModelSpecError

from .conftest import original_module

DISSOLVE = ["pricing_solved", "arbitrage_solved", "production_solved"]
ALPHA = 0.0325 * 10 / 0.985  # SSJ's two-asset calibration: K = 10, mc = 0.985
CALIB = dict(
    Y=1.0, r=0.0125, w=0.985 * (1 - ALPHA), kappap=0.1, mup=1 / 0.985, alpha=ALPHA,
    delta=0.02, epsI=4,
)  # fmt: skip
# the outer problem: Z such that N = 1; dissolved, the inner unknowns and targets join it
INNER_UNKNOWNS = {"pi": 0.0, "p": 10.0, "Q": 1.0, "K": 10.0}
INNER_TARGETS = {"nkpc": 0.0, "equity": 0.0, "inv": 0.0, "val": 0.0}
# off-equilibrium values of the inner unknowns, for evaluations
OFF = {"Z": 0.46, "pi": 0.01, "p": 9.0, "Q": 1.1, "K": 9.0}


def _firms(mod, lib, nested=False):
    production = lib.combine([mod.labor, mod.investment], name="production").solved(
        unknowns={"Q": 1.0, "K": 10.0}, targets=["inv", "val"], name="production_solved",
        solver="broyden_custom",
    )  # fmt: skip
    if nested:  # two solved blocks one level down, inside a combined block
        inner = lib.combine([mod.pricing_solved, production], name="costs")
        return lib.create_model([inner, mod.arbitrage_solved, mod.dividend], name="firms")
    blocks = [mod.pricing_solved, mod.arbitrage_solved, production, mod.dividend]
    return lib.create_model(blocks, name="firms")


@pytest.fixture(scope="module")
def firms(port):
    sj = pytest.importorskip("sequence_jacobian")
    libs = (("hd", port("two_asset"), hd), ("sj", original_module("two_asset"), sj))
    return {
        (lib, nested): _firms(mod, pkg, nested)
        for lib, mod, pkg in libs
        for nested in (False, True)
    }


@pytest.mark.parametrize("nested", [False, True])
def test_steady_state_evaluates_dissolved_blocks_as_sequence_jacobian(firms, nested):
    """Dissolved blocks are evaluated at the unknowns' given values, not solved: every
    variable (the inner targets' nonzero residuals included) is SSJ's."""
    values = {**CALIB, **OFF}
    ours = firms["hd", nested].steady_state(values, dissolve=DISSOLVE)
    theirs = firms["sj", nested].steady_state(values, dissolve=DISSOLVE)
    assert set(theirs) <= set(ours)
    for k in theirs:
        np.testing.assert_allclose(float(ours[k]), float(theirs[k]), rtol=1e-12, atol=1e-15)
    assert abs(ours["nkpc"]) > 1e-3 and abs(ours["equity"]) > 1e-3
    solved = firms["hd", nested].steady_state({**CALIB, "Z": 0.4678})
    assert abs(solved["nkpc"]) < 1e-9 and abs(solved["p"] - OFF["p"]) > 1e-2


def test_solve_steady_state_with_dissolve(firms):
    """Inner unknowns and targets added to the outer ones give the nested solution, in
    hetdag as in SSJ (each to its solver's tolerance)."""
    nested_hd = firms["hd", False].solve_steady_state(
        CALIB, {"Z": (0.4677, 0.4679)}, {"N": 1.0}, solver="brentq"
    )
    unknowns = {"Z": 0.4679, **INNER_UNKNOWNS}
    targets = {"N": 1.0, **INNER_TARGETS}
    ours = firms["hd", False].solve_steady_state(CALIB, unknowns, targets, dissolve=DISSOLVE)
    theirs = firms["sj", False].solve_steady_state(
        CALIB, unknowns, targets, dissolve=DISSOLVE, solver="broyden_custom"
    )
    for k in ("Z", "N", "K", "Q", "pi", "p", "div", "mc", "I"):
        assert abs(ours[k] - nested_hd[k]) <= 1e-9 * max(1, abs(nested_hd[k])), k
        assert abs(ours[k] - theirs[k]) <= 1e-9 * max(1, abs(theirs[k])), k
    # without the inner targets the outer problem is not square
    with pytest.raises(ModelSpecError, match="5 unknowns"):
        firms["hd", False].solve_steady_state(CALIB, unknowns, {"N": 1.0}, dissolve=DISSOLVE)


def test_dynamic_solves_with_dissolve_match_the_nested_ones(firms):
    """hetdag extends ``dissolve`` to transitions (SSJ 1.0.0 ignores it there): the
    response to a transitory shock equals the nested solve's and SSJ's. Only the horizon's
    end differs: dissolved, d equity_{T-1} keeps K_{T-1}'s effect on div_T that the
    nested solve truncates (the slowly discounted p inherits 1e-7 of its peak)."""
    model, model_s = firms["hd", False], firms["sj", False]
    ss = model.solve_steady_state(CALIB, {"Z": (0.4677, 0.4679)}, {"N": 1.0}, solver="brentq")
    ss_s = model_s.solve_steady_state(CALIB, {"Z": (0.4677, 0.4679)}, {"N": 1.0}, solver="brentq")
    T = 300
    shock = {"r": 1e-3 * 0.8 ** np.arange(T)}
    unknowns, targets = ["Y", *INNER_UNKNOWNS], ["N", *INNER_TARGETS]
    lin = model.solve_impulse_linear(ss, unknowns, targets, shock, dissolve=DISSOLVE)
    ref = model_s.solve_impulse_linear(ss_s, ["Y"], ["N"], shock)
    non = model.solve_impulse_nonlinear(ss, unknowns, targets, shock, dissolve=DISSOLVE)
    non_nested = model.solve_impulse_nonlinear(ss, ["Y"], ["N"], shock)
    G = model.solve_jacobian(ss, unknowns, targets, ["r"], T=T, dissolve=DISSOLVE)
    for o in ("pi", "p", "K", "Q", "div", "mc"):
        peak = np.max(np.abs(ref[o]))
        assert np.max(np.abs(lin[o] - ref[o])[: T // 2]) < 1e-6 * peak, o
        assert np.max(np.abs(G[o]["r"] @ shock["r"] - lin[o])) < 1e-12 * peak, o
        assert np.max(np.abs(non[o] - non_nested[o])[: T // 2]) < 1e-6 * peak, o
    with pytest.raises(ModelSpecError, match=r"'production_solved'.*\['Q', 'K'\]"):
        model.solve_jacobian(ss, ["Y", "pi", "p"], ["N", "nkpc", "equity"], ["r"], T=T,
                             dissolve=DISSOLVE)  # fmt: skip


@pytest.mark.parametrize(
    "names, match",
    [
        (["nope"], "'nope' is not a block of it"),
        (["dividend"], "'dividend' is a simple block"),
        (["pricing_solved", "costs"], "'costs' is a model block"),
    ],
)
def test_dissolve_names_what_is_not_a_solved_block(firms, names, match):
    model = firms["hd", True]
    with pytest.raises(ModelSpecError, match=match) as err:
        model.steady_state({**CALIB, **OFF}, dissolve=names)
    assert "solved blocks are ['arbitrage_solved', 'pricing_solved', 'production_solved']" in str(
        err.value
    )
