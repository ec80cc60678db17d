"""JacobianBlock: stored Jacobians as a block of a model (issue #16)."""

import numpy as np
import pytest

import hetdag as hd
from hetdag.errors import ModelSpecError
from hetdag.examples import krusell_smith

T = 60


@pytest.fixture(scope="module")
def ks_replaced(ks_ex):
    """Krusell–Smith with the household replaced by its own fake-news Jacobians."""
    hh = ks_ex.model["household"]
    J_hh = hh.jacobian(ks_ex.ss, ["r", "w"], ["A", "C"], T=T)
    ss_hh = {k: ks_ex.ss[k] for k in ["A", "C", "r", "w"]}
    block = hd.JacobianBlock(J_hh, ss=ss_hh, name="household_J")
    model = hd.create_model([block, krusell_smith.firm, krusell_smith.mkt_clearing], name="KS-J")
    return model, block


def test_g_equals_original_model(ks_ex, ks_replaced):
    model, _ = ks_replaced
    G_orig = ks_ex.model.solve_jacobian(ks_ex.ss, ["K"], ["asset_mkt"], ["Z"], T=T)
    G_new = model.solve_jacobian(ks_ex.ss, ["K"], ["asset_mkt"], ["Z"], T=T)
    for o in ["K", "r", "w", "Y", "C", "A"]:
        np.testing.assert_allclose(G_new[o]["Z"], G_orig[o]["Z"], rtol=0, atol=1e-12)
    dZ = 0.01 * 0.9 ** np.arange(T)
    irf = model.solve_impulse_linear(ks_ex.ss, ["K"], ["asset_mkt"], {"Z": dZ})
    np.testing.assert_allclose(irf["C"], G_orig["C"]["Z"] @ dZ, rtol=0, atol=1e-12)


def test_bare_jacobian_dict_joins_create_model(ks_ex):
    hh = ks_ex.model["household"]
    J_hh = hh.jacobian(ks_ex.ss, ["r", "w"], ["A", "C"], T=T)
    J_hh.name = "hh_jac"
    model = hd.create_model([J_hh, krusell_smith.firm, krusell_smith.mkt_clearing])
    assert isinstance(model["hh_jac"], hd.JacobianBlock)
    G = model.solve_jacobian(ks_ex.ss, ["K"], ["asset_mkt"], ["Z"], T=T)
    G0 = ks_ex.model.solve_jacobian(ks_ex.ss, ["K"], ["asset_mkt"], ["Z"], T=T)
    np.testing.assert_allclose(G["Y"]["Z"], G0["Y"]["Z"], rtol=0, atol=1e-12)


def test_steady_state_returns_stored_values(ks_ex, ks_replaced):
    model, _ = ks_replaced
    cal = {k: ks_ex.ss[k] for k in model.inputs}
    ss = model.steady_state(cal)
    assert ss["A"] == ks_ex.ss["A"]
    assert abs(ss["asset_mkt"]) < 1e-8


def test_steady_state_away_from_stored_point_raises(ks_ex, ks_replaced):
    model, _ = ks_replaced
    cal = {k: ks_ex.ss[k] for k in model.inputs}
    cal["K"] = 1.1 * cal["K"]
    with pytest.raises(ModelSpecError, match=r"'household_J': input 'r' is .* computed at 'r'"):
        model.steady_state(cal)


def test_nonlinear_raises_naming_block(ks_ex, ks_replaced):
    model, _ = ks_replaced
    with pytest.raises(ModelSpecError, match=r"Block 'household_J': it holds only a Jacobian"):
        model.solve_impulse_nonlinear(
            ks_ex.ss, ["K"], ["asset_mkt"], {"Z": 0.01 * 0.9 ** np.arange(T)}
        )


def test_missing_entry_names_block_output_input(ks_ex):
    hh = ks_ex.model["household"]
    J = hh.jacobian(ks_ex.ss, ["r", "w"], ["A", "C"], T=T)
    partial = hd.JacobianDict(
        {"A": {"r": J["A"]["r"], "w": J["A"]["w"]}, "C": {"r": J["C"]["r"]}}, name="hh_partial"
    )
    model = hd.create_model([partial, krusell_smith.firm, krusell_smith.mkt_clearing])
    with pytest.raises(
        ModelSpecError, match=r"Block 'hh_partial': .* output 'C' with respect to input 'w'"
    ):
        model.solve_jacobian(ks_ex.ss, ["K"], ["asset_mkt"], ["Z"], T=T)
    # declared a structural zero, it is one
    blk = hd.JacobianBlock(partial, zeros=[("C", "w")])
    Jb = blk.jacobian(ks_ex.ss, ["w"], T=T)
    assert Jb.get_entry("C", "w") is None
    np.testing.assert_array_equal(Jb["A"]["w"], J["A"]["w"])


def test_horizon_longer_than_stored_raises(ks_ex, ks_replaced):
    model, _ = ks_replaced
    with pytest.raises(ModelSpecError, match=r"computed at T=60, but T=80 is asked for"):
        model.solve_jacobian(ks_ex.ss, ["K"], ["asset_mkt"], ["Z"], T=80)
    G40 = model.solve_jacobian(ks_ex.ss, ["K"], ["asset_mkt"], ["Z"], T=40)
    assert G40["C"]["Z"].shape == (40, 40)


def test_bad_construction():
    with pytest.raises(ModelSpecError, match=r"'loop': \['x'\] are both inputs and outputs"):
        hd.JacobianBlock({"x": {"x": np.eye(3)}}, name="loop")
    with pytest.raises(ModelSpecError, match=r"zeros names \('B', 'r'\)"):
        hd.JacobianBlock({"A": {"r": np.eye(3)}}, name="j", zeros=[("B", "r")])
    blk = hd.JacobianBlock({"A": {"r": np.eye(3)}}, name="j")
    with pytest.raises(ModelSpecError, match=r"no steady-state value for output\(s\) \['A'\]"):
        blk.steady_state({"r": 0.01})


def test_draw_shows_jacobian_block(ks_replaced):
    import matplotlib.pyplot as plt

    model, _ = ks_replaced
    fig = model.draw(unknowns=["K"], targets=["asset_mkt"], inputs=["Z"])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("household_J" in t for t in texts)
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]
    assert "Jacobian block (linear only)" in legend
    plt.close(fig)
