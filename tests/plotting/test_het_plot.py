"""Policy, distribution and distributional-response plots of a heterogeneous-agent block."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from hetdag.errors import ModelSpecError  # noqa: E402
from hetdag.examples import krusell_smith  # noqa: E402
from hetdag.plotting import (  # noqa: E402
    plot_distribution,
    plot_distribution_response,
    plot_policy,
)

T = 30


@pytest.fixture(scope="module")
def ks():
    ex = krusell_smith.example(3, 50)
    shock = krusell_smith.shock(T, 0.8, 0.01)
    irf = ex.model.solve_impulse_nonlinear(
        ex.ss, ex.unknowns, ex.targets, shock, internals=["household"]
    )
    lin = ex.model.solve_impulse_linear(ex.ss, ex.unknowns, ex.targets, shock)
    return ex, irf, lin


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_policy_lines_by_exogenous_state(ks):
    ex, _, _ = ks
    ints = ex.ss.internals["household"]
    fig = plot_policy(ex.ss, "household", "c")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    for e, ln in enumerate(lines):
        np.testing.assert_allclose(ln.get_xdata(), ints["a_grid"])
        np.testing.assert_allclose(ln.get_ydata(), ints["c"][e])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == [f"e = {e:.3g}" for e in ints["e_grid"]]
    # the block object works too, and a subset of states
    fig2 = plot_policy(ex.ss, ex.model["household"], "a", exog_states=[2])
    np.testing.assert_allclose(fig2.axes[0].get_lines()[0].get_ydata(), ints["a"][2])


def test_distribution_marginal_over_income(ks):
    ex, _, _ = ks
    ints = ex.ss.internals["household"]
    fig = plot_distribution(ex.ss, "household", cumulative=True)
    ln = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(ln.get_ydata(), np.cumsum(ints["D"].sum(axis=0)))
    assert ln.get_ydata()[-1] == pytest.approx(1.0)
    fig2 = plot_distribution(ex.ss, "household")
    centres, dens = fig2.axes[0].get_lines()[0].get_data()
    width = centres[1] - centres[0]
    mass_above = ints["D"].sum(axis=0)[1:]
    upper = centres[-1] + width / 2
    expected = mass_above[ints["a_grid"][1:] <= upper].sum()
    assert np.sum(dens) * width == pytest.approx(expected)  # density integrates to the mass
    assert "mass at a" in fig2.axes[0].get_legend().get_texts()[1].get_text()


def test_distribution_response(ks):
    ex, irf, _ = ks
    fig = plot_distribution_response(irf, ex.ss, "household", periods=(0, 5, 20))
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("t =")]
    assert [ln.get_label() for ln in lines] == ["t = 0", "t = 5", "t = 20"]
    Ds = irf.internals["household"]["D"]
    D_ss = ex.ss.internals["household"]["D"]
    expected = np.cumsum(Ds[6].sum(axis=0)) - np.cumsum(D_ss.sum(axis=0))
    np.testing.assert_allclose(lines[1].get_ydata(), expected)
    # the end-of-period distribution's mean is the aggregate A of that period
    a_grid = ex.ss.internals["household"]["a_grid"]
    assert Ds[6].sum(axis=0) @ a_grid == pytest.approx(ex.ss["A"] + irf["A"][5], rel=1e-8)
    fig2 = plot_distribution_response(irf, ex.ss, "household", periods=[1], cumulative=False)
    assert "density" in fig2.axes[0].get_ylabel()


def test_errors_name_block_and_variable(ks):
    ex, irf, lin = ks
    with pytest.raises(ModelSpecError, match="'hh'.*household"):
        plot_policy(ex.ss, "hh")
    with pytest.raises(ModelSpecError, match="no policy 'x'.*'a', 'c'"):
        plot_policy(ex.ss, "household", "x")
    with pytest.raises(ModelSpecError, match=r"state\(s\) \[5\]"):
        plot_policy(ex.ss, "household", exog_states=[5])
    with pytest.raises(ModelSpecError, match="'b_grid' is not an endogenous grid"):
        plot_distribution(ex.ss, "household", grid="b_grid")
    with pytest.raises(ModelSpecError, match="internals=\\['household'\\]"):
        plot_distribution_response(lin, ex.ss, "household")
    with pytest.raises(ModelSpecError, match=r"period\(s\) \[29\]"):
        plot_distribution_response(irf, ex.ss, "household", periods=(0, T - 1))
    assert plt.get_fignums() == []
