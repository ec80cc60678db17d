"""Bad input gets an error that names the offending variable and the block or model."""

import numpy as np
import pytest

import hetdag as hd
from hetdag.errors import ConvergenceError, ModelSpecError, NonFiniteError
from hetdag.examples import rbc


@pytest.fixture(scope="module")
def example():
    return rbc.example()


@pytest.fixture
def calib(example):
    model, ss, *_ = example
    return {k: ss[k] for k in model.inputs}


def test_missing_calibration_input(example, calib):
    model = example.model
    del calib["vphi"]
    with pytest.raises(ModelSpecError, match=r"(?s)'vphi'.*household") as info:
        model.steady_state(calib)
    assert "RBC" in str(info.value)
    with pytest.raises(ModelSpecError, match="vphi"):
        model.solve_steady_state(calib, {"beta": (0.9, 0.999)}, ["euler"])
    # a single block names itself
    with pytest.raises(ModelSpecError, match=r"(?s)household.*'vphi'"):
        rbc.household.steady_state({k: 1.0 for k in rbc.household.inputs if k != "vphi"})


def test_non_numeric_value(example, calib):
    calib["vphi"] = "0.9"
    with pytest.raises(ModelSpecError, match=r"(?s)household.*'vphi'.*numeric"):
        example.model.steady_state(calib)
    calib["vphi"] = True
    with pytest.raises(ModelSpecError, match=r"(?s)household.*'vphi'"):
        example.model.steady_state(calib)


def test_unknowns_and_targets_of_different_counts(example, calib):
    model, ss, *_ = example
    del calib["beta"]
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'beta'.*'euler'.*'goods_mkt'"):
        model.solve_steady_state(calib, {"beta": (0.9, 0.999)}, ["euler", "goods_mkt"])
    dZ = np.zeros(20)
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'K'.*'L'.*'euler'"):
        model.solve_impulse_linear(ss, ["K", "L"], ["euler"], {"Z": dZ})
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'K'.*'euler'"):
        model.solve_impulse_nonlinear(ss, ["K"], ["euler", "goods_mkt"], {"Z": dZ})
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'K'.*'euler'"):
        model.solve_jacobian(ss, ["K", "L"], ["euler"], ["Z"], T=20)
    with pytest.raises(ModelSpecError, match=r"(?s)bad_solved.*'x'.*'e'"):

        @hd.solved(unknowns={"x": 1.0, "y": 1.0}, targets=["e"])
        def bad_solved(x, y):
            e = x - y
            return e


def test_target_not_an_output(example, calib):
    model, ss, *_ = example
    dZ = np.zeros(20)
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'nope'"):
        model.solve_impulse_linear(ss, ["K", "L"], ["euler", "nope"], {"Z": dZ})
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'nope'"):
        model.solve_steady_state(calib, {"K": 3.0}, {"nope": 0.0})
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'nope'"):
        model.jacobian(ss, ["Z"], outputs=["nope"], T=10)


def test_shock_not_an_input(example):
    model, ss, unknowns, targets, _ = example
    dZ = np.zeros(20)
    for method in ("solve_impulse_linear", "solve_impulse_nonlinear"):
        with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'foo'.*not an input"):
            getattr(model, method)(ss, unknowns, targets, {"foo": dZ})
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'Y'.*not an input"):
        model.solve_impulse_linear(ss, unknowns, targets, {"Y": dZ})
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'foo'"):
        model.solve_jacobian(ss, unknowns, targets, ["foo"], T=20)
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*'foo'"):
        model.jacobian(ss, ["foo"], T=20)


def test_nonpositive_horizon(example):
    model, ss, unknowns, targets, _ = example
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*T=0"):
        model.jacobian(ss, ["Z"], T=0)
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*T=0"):
        model.solve_jacobian(ss, unknowns, targets, ["Z"], T=0)
    with pytest.raises(ModelSpecError, match=r"(?s)firm.*T=-3"):
        rbc.firm.jacobian(ss, ["Z"], T=-3)
    with pytest.raises(ModelSpecError, match=r"(?s)RBC.*T=0"):
        model.solve_impulse_linear(ss, unknowns, targets, {"Z": np.zeros(0)})


@hd.simple
def logblock(x):
    lx = np.log(x)
    return lx


@hd.simple
def passthrough(x0):
    x = x0 - 1.0
    return x


def test_nan_produced_by_a_block():
    with pytest.raises(NonFiniteError, match=r"(?s)logblock.*'lx'") as info:
        logblock.steady_state({"x": -1.0})
    assert info.value.block == "logblock" and info.value.variable == "lx"

    model = hd.create_model([passthrough, logblock], name="log_model")
    with pytest.raises(NonFiniteError, match=r"(?s)logblock.*'lx'"):
        model.steady_state({"x0": 0.5})
    ss = model.steady_state({"x0": 3.0})
    with pytest.raises(NonFiniteError, match=r"(?s)logblock.*'lx'.*index \(4,\)"):
        model.impulse_nonlinear_partial(ss, {"x0": np.array([0, 0, 0, 0, -5.0])})


@hd.simple
def noroot(x, c):
    e = x**2 + c
    return e


@pytest.mark.parametrize("solver", [None, "broyden", "hybr"])
def test_steady_state_that_does_not_converge(solver):
    model = hd.create_model([noroot], name="noroot_model")
    with pytest.raises(ConvergenceError, match=r"(?s)noroot_model.*e=1\.0") as info:
        model.solve_steady_state({"c": 1.0}, {"x": 0.5}, ["e"], solver=solver, maxit=5)
    assert set(info.value.residuals) == {"e"}
    assert info.value.residuals["e"] >= 1.0 - 1e-6


def test_bracket_without_root():
    model = hd.create_model([noroot], name="noroot_model")
    with pytest.raises(ConvergenceError, match=r"(?s)noroot_model.*'x'.*'e'") as info:
        model.solve_steady_state({"c": 1.0}, {"x": (0.5, 2.0)}, ["e"])
    assert info.value.residuals["e"] == pytest.approx(1.25)


def test_nonlinear_transition_that_does_not_converge(example):
    model, ss, unknowns, targets, _ = example
    dZ = 0.3 * 0.9 ** np.arange(100)
    with pytest.raises(ConvergenceError, match=r"(?s)RBC.*euler=.*goods_mkt=") as info:
        model.solve_impulse_nonlinear(ss, unknowns, targets, {"Z": dZ}, maxit=1)
    assert set(info.value.residuals) == {"euler", "goods_mkt"}
    assert max(info.value.residuals.values()) > 1e-10
