"""sequence-jacobian's keywords and Block methods in hetdag (issue 16): each against the
same call in SSJ on the ported example, or against the call without the keyword."""

import numpy as np
import pytest

import hetdag as hd
from hetdag.errors import ConvergenceError, ModelSpecError

from .conftest import rel_gap

T = 120


@pytest.fixture(scope="module")
def ks(port, ssj_dag):
    ours = port("krusell_smith").dag()
    theirs = ssj_dag("krusell_smith")
    return ours, theirs


def test_inputs_keyword_is_the_shock_paths(ks):
    (_, ss, model, unknowns, targets, _), _ = ks
    dZ = {"Z": 0.01 * 0.9 ** np.arange(T)}
    a = model.solve_impulse_linear(ss, unknowns, targets, inputs=dZ)
    b = model.solve_impulse_linear(ss, unknowns, targets, dZ)
    np.testing.assert_array_equal(a["K"], b["K"])
    with pytest.raises(ModelSpecError, match="once"):
        model.solve_impulse_linear(ss, unknowns, targets, dZ, inputs=dZ)


def test_Js_are_used_and_H_U_factored_solves(ks):
    (_, ss, model, unknowns, targets, inputs), _ = ks
    G = model.solve_jacobian(ss, unknowns, targets, inputs, T=T)
    Js = model.partial_jacobians(ss, unknowns + inputs, T=T)
    assert set(Js) == {b.name for b in model.blocks}
    G2 = model.solve_jacobian(ss, unknowns, targets, inputs, T=T, Js=Js)
    np.testing.assert_allclose(G2["K"]["Z"], G["K"]["Z"], atol=1e-12)
    # a given Jacobian really replaces the block's: halve the household's response
    hh = next(b for b in model.blocks if b.kind == "het")
    half = hd.JacobianDict({o: {i: 0.5 * np.asarray(m) for i, m in row.items()}
                            for o, row in Js[hh.name].items()})  # fmt: skip
    G3 = model.solve_jacobian(ss, unknowns, targets, inputs, T=T, Js={hh.name: half})
    assert rel_gap(G3["K"]["Z"], G["K"]["Z"]) > 0.1
    H_U = hd.FactoredJacobianDict(model.jacobian(ss, unknowns, targets, T=T))
    G4 = model.solve_jacobian(ss, unknowns, targets, inputs, T=T, H_U_factored=H_U)
    np.testing.assert_allclose(G4["K"]["Z"], G["K"]["Z"], atol=1e-10)
    with pytest.raises(ModelSpecError, match="H_U_factored is for"):
        model.solve_jacobian(ss, unknowns, targets, inputs, T=T + 1, H_U_factored=H_U)


def test_het_block_options_h_twosided_and_tolerances(ks):
    """h= and twosided= reach the household's fake-news pass; the SSJ call with the
    same keywords agrees to its finite-difference error."""
    (_, ss, model, *_), (_, ss_s, model_s, *_) = ks
    hh = next(b for b in model.blocks if b.kind == "het")
    hh_s = next(b for b in model_s.blocks if b.name == hh.name)
    J0 = hh.jacobian(ss, ["r"], T=T)
    # hetdag's default (forward scheme) iterates a verified sparse derivative whose
    # accuracy does not depend on h; a crude central step shows the options arrive
    J1 = hh.jacobian(ss, ["r"], T=T, h=0.2, twosided=True)
    assert rel_gap(J1["A"]["r"], J0["A"]["r"]) > 1e-4
    J2 = hh.jacobian(ss, ["r"], T=T, options={hh.name: {"h": 1e-4, "twosided": True}})
    assert rel_gap(J2["A"]["r"], J0["A"]["r"]) < 1e-5
    Js = hh_s.jacobian(ss_s, ["r"], outputs=["A"], T=T, h=1e-4, twosided=True)
    assert rel_gap(J2["A"]["r"], Js["A"]["r"]) < 1e-4
    calib = {k: ss[k] for k in hh.inputs}
    fresh = hh.add_hetinputs([])  # a copy without the warm start of the solved block
    with pytest.raises(ConvergenceError, match="did not converge in 3 iterations"):
        fresh.steady_state(calib, options={fresh.name: {"backward_maxit": 3}})
    with pytest.raises(ConvergenceError, match="did not converge in 4 iterations"):
        fresh.steady_state(calib, backward_maxit=4)
    with pytest.raises(TypeError, match="unexpected keyword"):
        hh.steady_state(calib, backward_tolerance=1e-5)


def test_ss_initial_starts_from_another_steady_state(ks):
    """A transition from the steady state of a more patient economy to the original one,
    with nothing shocked: hetdag's path equals SSJ's to 2e-3 of its peak."""
    (model_ss, ss, model, unknowns, targets, _), theirs = ks
    model_s, ss_s = theirs[2], theirs[1]
    calib = {k: ss[k] for k in model.inputs}
    calib["beta"] = ss["beta"] * 1.001
    ss0 = model.steady_state(calib)
    ss0_s = model_s.steady_state({**{k: ss_s[k] for k in model_s.inputs}, "beta": calib["beta"]})
    zero = {"Z": np.zeros(T)}
    path = model.solve_impulse_nonlinear(ss, unknowns, targets, inputs=zero, ss_initial=ss0)
    path_s = model_s.solve_impulse_nonlinear(ss_s, unknowns, targets, zero, ss_initial=ss0_s)
    assert abs(path["K"][0]) > 1e-3  # capital starts away from ss and returns
    assert rel_gap(path["K"], path_s["K"]) < 2e-3
    assert rel_gap(path["C"], path_s["C"]) < 2e-3


def test_partial_equilibrium_block_methods_match_sequence_jacobian(ks):
    (_, ss, model, *_), (_, ss_s, model_s, *_) = ks
    hh = next(b for b in model.blocks if b.kind == "het")
    hh_s = next(b for b in model_s.blocks if b.name == hh.name)
    dr = {"r": 1e-4 * 0.8 ** np.arange(T)}
    lin, lin_s = hh.impulse_linear(ss, dr), hh_s.impulse_linear(ss_s, dr)
    non, non_s = hh.impulse_nonlinear(ss, dr, outputs=["A"]), hh_s.impulse_nonlinear(ss_s, dr)
    assert list(non) == ["A"]
    assert rel_gap(lin["A"], lin_s["A"]) < 2e-3
    assert rel_gap(non["A"], non_s["A"]) < 2e-3
    assert rel_gap(lin["A"], non["A"]) < 1e-2  # small shock: first order


def test_rename_suffix_and_dissolve(ks):
    (_, ss, model, *_), _ = ks
    hh = next(b for b in model.blocks if b.kind == "het")
    assert hh.rename(suffix="_patient").name == hh.name + "_patient"
    with pytest.raises(ModelSpecError, match="a name or a suffix"):
        hh.rename()
    with pytest.raises(ModelSpecError, match="dissolve"):
        model.solve_steady_state({}, {"beta": 0.98}, {"asset_mkt": 0}, dissolve=["x"])


def test_block_impulses_return_the_shocked_inputs_as_sequence_jacobian(ks):
    """``hh.impulse_nonlinear(ss, {'r': dr})['r']`` is the shock (SSJ's labor-search
    tutorial plots ``td['s']``): all shocked inputs without ``outputs=``, those it names
    with it; the same keys as SSJ's."""
    (_, ss, model, *_), (_, ss_s, model_s, *_) = ks
    hh = next(b for b in model.blocks if b.kind == "het")
    hh_s = next(b for b in model_s.blocks if b.name == hh.name)
    dr = {"r": 1e-4 * 0.8 ** np.arange(T)}
    for method in ("impulse_nonlinear", "impulse_linear"):
        ours, theirs = getattr(hh, method)(ss, dr), getattr(hh_s, method)(ss_s, dr)
        assert set(ours) == set(theirs) and "r" in ours, method
        np.testing.assert_array_equal(ours["r"], dr["r"])
        ours = getattr(hh, method)(ss, dr, outputs=["C", "r"])
        assert set(ours) == set(getattr(hh_s, method)(ss_s, dr, outputs=["C", "r"])) == {"C", "r"}
        assert list(getattr(hh, method)(ss, dr, outputs=["C"])) == ["C"]
