"""JacobianDict as sequence-jacobian users use it (issue 16), against dense NumPy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hetdag as hd
from hetdag.errors import ModelSpecError
from hetdag.jacobians import JacobianDict, ShiftMatrix

rng = np.random.default_rng(0)
T = 6


def dense_pair():
    A = {"Y": {"K": rng.standard_normal((T, T)), "Z": ShiftMatrix({0: 2.0, -1: 0.5}, 3)}}
    B = {"K": {"Z": rng.standard_normal((T, T)), "r": ShiftMatrix({1: -1.0}, T)}}
    return JacobianDict(A), JacobianDict(B)


def test_construction_without_T_and_tuple_indexing():
    J1, J2 = dense_pair()
    assert J1.T == T and J2.T == T
    assert J1["Y", "K"] is J1["Y"]["K"]
    with pytest.raises(KeyError, match="no entry for \\('Y', 'r'\\)"):
        J1["Y", "r"]
    with pytest.raises(ModelSpecError, match="entry \\('Y', 'K'\\) must be a square"):
        JacobianDict({"Y": {"K": np.ones((3, 4))}})


def test_composition_is_the_chain_rule():
    J1, J2 = dense_pair()
    G = J1 @ J2
    YK, YZ = np.asarray(J1["Y"]["K"]), J1["Y"]["Z"].matrix(T)
    KZ, Kr = np.asarray(J2["K"]["Z"]), J2["K"]["r"].matrix(T)
    # Y's dependence on Z through K only (J1's own Z column is not an input of J2's)
    np.testing.assert_allclose(np.asarray(G["Y"]["Z"]), YK @ KZ)
    np.testing.assert_allclose(np.asarray(G["Y"]["r"]), YK @ Kr)
    assert YZ.shape == (T, T)


def test_jacobian_times_shocks_is_an_impulse_dict():
    J1, _ = dense_pair()
    dK, dZ = rng.standard_normal(T), rng.standard_normal(T)
    irf = J1 @ {"K": dK, "Z": dZ}
    assert isinstance(irf, hd.ImpulseDict)
    ref = np.asarray(J1["Y"]["K"]) @ dK + J1["Y"]["Z"].matrix(T) @ dZ
    np.testing.assert_allclose(irf["Y"], ref)


def test_pack_unpack_and_update():
    J1, J2 = dense_pair()
    J1.update(J2)
    assert set(J1.outputs) == {"Y", "K"}
    M = J1.pack()
    ref = np.block([[np.asarray(J1.dense(o, i)) for i in J1.inputs] for o in J1.outputs])
    np.testing.assert_allclose(M, ref)
    back = JacobianDict.unpack(M, J1.outputs, J1.inputs, T)
    for o in J1.outputs:
        for i in J1.inputs:
            np.testing.assert_allclose(np.asarray(back[o][i]), J1.dense(o, i))
    with pytest.raises(ModelSpecError, match="does not hold"):
        JacobianDict.unpack(M, J1.outputs, J1.inputs, T + 1)


@settings(max_examples=50, deadline=None)
@given(
    coeffs=st.dictionaries(st.integers(-4, 4), st.floats(-3, 3, width=64), max_size=4),
    T0=st.integers(1, 9),
    T=st.integers(1, 12),
)
def test_shift_operators_mean_the_same_at_every_horizon(coeffs, T0, T):
    """A simple block's Jacobian made at T0 composes with dense matrices at any T."""
    S = ShiftMatrix(coeffs, T0)
    dense = np.zeros((T, T))
    for k, c in coeffs.items():
        dense += c * np.eye(T, k=k)
    np.testing.assert_allclose(S.matrix(T), dense, atol=1e-12)
    X = np.random.default_rng(1).standard_normal((T, T))
    np.testing.assert_allclose(S @ X, dense @ X, atol=1e-10)
    np.testing.assert_allclose(X @ S, X @ dense, atol=1e-10)
    np.testing.assert_allclose(S + X, dense + X, atol=1e-12)


def test_factored_jacobian_dict_solves_the_linear_system():
    """-H_U^{-1} J and -H_U^{-1} x against numpy.linalg.solve of the stacked system."""
    H = JacobianDict(
        {
            "h1": {"u1": np.eye(T) * 2 + rng.standard_normal((T, T)) * 0.1, "u2": np.eye(T)},
            "h2": {"u1": ShiftMatrix({-1: 0.3}, T), "u2": np.eye(T) * 3.0},
        }
    )
    F = hd.FactoredJacobianDict(H)
    M = H.pack()
    J = JacobianDict({"h1": {"z": rng.standard_normal((T, T))}})  # h2 does not read z
    dU = F @ J
    ref = -np.linalg.solve(M, np.vstack([np.asarray(J["h1"]["z"]), np.zeros((T, T))]))
    np.testing.assert_allclose(np.vstack([dU["u1"]["z"], dU["u2"]["z"]]), ref, atol=1e-12)
    x = {"h1": rng.standard_normal(T), "h2": rng.standard_normal(T)}
    u = F @ x
    ref = -np.linalg.solve(M, np.concatenate([x["h1"], x["h2"]]))
    np.testing.assert_allclose(np.concatenate([u["u1"], u["u2"]]), ref, atol=1e-12)
    inv = F.to_jacobian_dict()
    np.testing.assert_allclose(inv.stack(["u1", "u2"], ["h1", "h2"]), -np.linalg.inv(M))


def test_factored_jacobian_dict_bad_input():
    with pytest.raises(ModelSpecError, match="as many targets"):
        hd.FactoredJacobianDict(JacobianDict({"h": {"u1": np.eye(3), "u2": np.eye(3)}}))
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        hd.FactoredJacobianDict(JacobianDict({"h": {"u": np.zeros((3, 3))}}))


def test_drawdag_is_model_draw(tmp_path):
    from hetdag.examples import rbc

    ex = rbc.example()
    fig = hd.drawdag(ex.model, ex.exogenous, ex.unknowns, ex.targets, leftright=True,
                     savepath=tmp_path / "dag.png")  # fmt: skip
    assert (tmp_path / "dag.png").stat().st_size > 1000
    assert fig.dag_edges == ex.model.draw(ex.unknowns, ex.targets, ex.exogenous).dag_edges
