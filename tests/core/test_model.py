"""Models as DAGs of blocks: graph errors, nesting, solved blocks, steady-state solvers."""

import time

import numpy as np
import pytest

import hetdag as hd
from hetdag.errors import CyclicDependencyError, ModelSpecError
from hetdag.examples import rbc


# ------------------------------------------------------------------ DAG errors
@hd.simple
def blk_first(xx_in, yy_var):
    xx_var = xx_in + yy_var
    return xx_var


@hd.simple
def blk_second(xx_var):
    yy_var = 2 * xx_var
    return yy_var


@hd.simple
def blk_other(xx_in):
    xx_var = 3 * xx_in
    return xx_var


def test_cycle_names_blocks_and_variables():
    with pytest.raises(CyclicDependencyError) as info:
        hd.create_model([blk_first, blk_second], name="cyclic")
    msg = str(info.value)
    for s in ("blk_first", "blk_second", "xx_var", "yy_var"):
        assert s in msg


def test_variable_produced_twice():
    with pytest.raises(ModelSpecError, match="xx_var") as info:
        hd.create_model([blk_first, blk_other], name="twice")
    assert "blk_first" in str(info.value) and "blk_other" in str(info.value)


def test_model_name_equal_to_block_name():
    with pytest.raises(ModelSpecError, match="blk_second"):
        hd.create_model([blk_second], name="blk_second")


def test_topological_order_independent_of_listing():
    model = hd.create_model([rbc.mkt_clearing, rbc.firm, rbc.household], name="shuffled")
    ss = model.steady_state(dict(rbc.steady_state()))
    assert abs(ss["goods_mkt"]) < 1e-12
    assert set(model.inputs) == {"K", "L", "Z", "alpha", "delta", "eis", "frisch", "vphi", "beta"}


# ---------------------------------------------------------------- nested model
def test_nested_model_equals_flat_model():
    flat, ss, unknowns, targets, _ = rbc.example()
    inner = hd.create_model([rbc.household, rbc.firm], name="production")
    nested = hd.create_model([inner, rbc.mkt_clearing], name="nested")
    assert set(nested.inputs) == set(flat.inputs)
    assert set(nested.outputs) == set(flat.outputs)
    calib = {k: ss[k] for k in flat.inputs}
    ss_n = nested.steady_state(calib)
    for k in ss:
        assert ss_n[k] == pytest.approx(ss[k], abs=1e-14)
    T = 60
    Jf = flat.jacobian(ss, ["K", "Z"], T=T)
    Jn = nested.jacobian(ss_n, ["K", "Z"], T=T)
    for o in ("Y", "C", "euler", "goods_mkt"):
        for i in ("K", "Z"):
            np.testing.assert_allclose(Jn.dense(o, i), Jf.dense(o, i), atol=1e-13)
    dZ = 0.02 * 0.9 ** np.arange(T)
    for method in ("solve_impulse_linear", "solve_impulse_nonlinear"):
        a = getattr(flat, method)(ss, unknowns, targets, {"Z": dZ})
        b = getattr(nested, method)(ss_n, unknowns, targets, {"Z": dZ})
        for k in ("Y", "C", "K", "L", "r"):
            np.testing.assert_allclose(b[k], a[k], atol=1e-12)


# --------------------------------------------------------------- solved blocks
# p solves log p - 0.3 log p(+1) - 0.2 log p(-1) = log a + b * q, q = p * b (so in steady
# state with b = 0: p = a ** 2).
@hd.solved(unknowns={"p": (0.01, 100.0)}, targets=["eq"])
def pricing(p, a, b):
    q = p * b
    eq = np.log(p) - 0.3 * np.log(p(1)) - 0.2 * np.log(p(-1)) - np.log(a) - b * q
    return eq, q


@hd.simple
def aux(p, b):
    q = p * b
    return q


@hd.simple
def eqs(p, q, a, b):
    eq = np.log(p) - 0.3 * np.log(p(1)) - 0.2 * np.log(p(-1)) - np.log(a) - b * q
    return eq


@hd.simple
def downstream(p, q):
    y = q + p(1) ** 2
    return y


def combined_pricing():
    return hd.combine([eqs, aux], name="pricing_c").solved(unknowns={"p": 1.5}, targets=["eq"])


def fd_nonlinear_jacobian(block, ss, inp, cols, T, h=1e-5):
    out = {}
    for s in cols:
        e = np.zeros(T)
        e[s] = h
        up = block.impulse_nonlinear_partial(ss, {inp: e})
        dn = block.impulse_nonlinear_partial(ss, {inp: -e})
        for o in up:
            out.setdefault(o, {})[s] = (up[o] - dn[o]) / (2 * h)
    return out


@pytest.mark.parametrize("make", [lambda: pricing, combined_pricing], ids=["decorator", "combine"])
def test_solved_block_steady_state_and_jacobian(make):
    block = make()
    assert set(block.inputs) == {"a", "b"}
    assert {"p", "q", "eq"} <= set(block.outputs)
    ss = block.steady_state({"a": 1.3, "b": 0.0})
    assert ss["p"] == pytest.approx(1.3**2, rel=1e-10)
    # with b != 0: 0.5 log p = log a + b^2 p, solved here by a scalar Newton iteration
    a, b = 1.3, 0.1
    p = 1.0
    for _ in range(50):
        p -= (0.5 * np.log(p) - np.log(a) - b * b * p) / (0.5 / p - b * b)
    ss = block.steady_state({"a": a, "b": b})
    assert ss["p"] == pytest.approx(p, rel=1e-10)
    assert ss["q"] == pytest.approx(p * b, rel=1e-10)

    model = hd.create_model([block, downstream], name="with_solved")
    ss = model.steady_state({"a": a, "b": b})
    T = 40
    J = model.jacobian(ss, ["a", "b"], T=T)
    cols = [0, 1, 2, 31]
    for inp in ("a", "b"):
        fd = fd_nonlinear_jacobian(model, ss, inp, cols, T)
        for o in ("p", "q", "y"):
            dense = J.dense(o, inp)
            for s in cols:
                np.testing.assert_allclose(
                    dense[:, s], fd[o][s], atol=1e-7, err_msg=f"d{o}/d{inp}, column {s}"
                )


def test_solved_block_inside_model_general_equilibrium():
    """A solved block embedded in a model: the GE Jacobian matches FD of the nonlinear IRF."""

    @hd.simple
    def market(p, q, d):
        gap = q + p**2 - d
        return gap

    model = hd.create_model([pricing, downstream, market], name="ge_solved")
    ss0 = model.steady_state({"a": 1.2, "b": 0.1, "d": 0.0})
    ss = model.steady_state({"a": 1.2, "b": 0.1, "d": ss0["gap"]})
    assert abs(ss["gap"]) < 1e-12
    T = 30
    G = model.solve_jacobian(ss, ["a"], ["gap"], ["d"], T=T)
    h = 1e-5
    for s in (0, 1, 2, 25):
        e = np.zeros(T)
        e[s] = h
        up = model.solve_impulse_nonlinear(ss, ["a"], ["gap"], {"d": e}, tol=1e-13)
        dn = model.solve_impulse_nonlinear(ss, ["a"], ["gap"], {"d": -e}, tol=1e-13)
        for o in ("a", "p", "y"):
            np.testing.assert_allclose(
                np.asarray(G[o]["d"])[:, s], (up[o] - dn[o]) / (2 * h), atol=1e-6, err_msg=o
            )


# ----------------------------------------------------------- steady-state solve
def rbc_analytic():
    c = rbc.calibration()
    a, d, r = c["alpha"], c["delta"], c["r"]
    K = (a / (r + d)) ** (1 / (1 - a))
    Y = K**a
    C = Y - d * K
    vphi = (1 - a) * Y / C
    return K, vphi, 1 / (1 + r)


def test_brentq_one_bracketed_unknown():
    model, ss, *_ = rbc.example()
    calib = {k: ss[k] for k in model.inputs if k != "beta"}
    out = model.solve_steady_state(
        calib, unknowns={"beta": (0.9, 0.999)}, targets={"euler": 0.0}, solver="brentq"
    )
    assert out["beta"] == pytest.approx(rbc_analytic()[2], rel=1e-12)
    out = model.solve_steady_state(calib, unknowns={"beta": (0.9, 0.999)}, targets=["euler"])
    assert out["beta"] == pytest.approx(rbc_analytic()[2], rel=1e-12)


@pytest.mark.parametrize("solver", ["newton", "broyden", "hybr"])
def test_two_unknowns(solver):
    model, ss, *_ = rbc.example()
    calib = {k: ss[k] for k in model.inputs if k not in ("K", "vphi")}
    out = model.solve_steady_state(
        calib,
        unknowns={"K": 3.0, "vphi": 0.8},
        targets={"r": 0.01, "goods_mkt": 0.0},
        solver=solver,
    )
    K, vphi, _ = rbc_analytic()
    assert out["K"] == pytest.approx(K, rel=1e-8)
    assert out["vphi"] == pytest.approx(vphi, rel=1e-8)
    assert abs(out["goods_mkt"]) < 1e-9


@hd.simple
def toy(x, y, c):
    A = x * y
    K = c * x
    B = x + y
    return A, K, B


@pytest.mark.parametrize("solver", [None, "newton", "broyden", "hybr"])
def test_targets_as_other_variables(solver):
    model = hd.create_model([toy], name="toy_model")
    out = model.solve_steady_state(
        {"c": 1.25}, unknowns={"x": 1.0, "y": 1.0}, targets={"A": "K", "B": 3.0}, solver=solver
    )
    # x y = c x and x + y = 3  =>  y = c, x = 3 - c
    assert out["y"] == pytest.approx(1.25, rel=1e-9)
    assert out["x"] == pytest.approx(1.75, rel=1e-9)
    assert out["A"] == pytest.approx(out["K"], rel=1e-9)


# ----------------------------------------------------------------- Jacobian cache
def test_jacobian_cache_hits_and_misses():
    model, ss, *_ = rbc.example()
    model = hd.create_model([rbc.household, rbc.firm, rbc.mkt_clearing], name="cache_model")
    t0 = time.perf_counter()
    J1 = model.jacobian(ss, ["Z", "K"], T=80)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    J2 = model.jacobian(ss, ["Z", "K"], T=80)
    second = time.perf_counter() - t0
    assert J2 is J1
    assert second < max(first, 1e-3)
    assert model.jacobian(ss.copy(), ["Z", "K"], T=80) is J1

    ss2 = ss.copy()
    ss2["alpha"] = 0.12
    J3 = model.jacobian(ss2, ["Z", "K"], T=80)
    assert J3 is not J1
    assert not np.allclose(J3.dense("Y", "Z"), J1.dense("Y", "Z"))
    assert model.jacobian(ss, ["Z", "K"], T=81) is not J1
    assert model.jacobian(ss, ["Z"], T=80) is not J1
    assert model.jacobian(ss, ["K", "Z"], outputs=["Y"], T=80) is not J1
    assert model.jacobian(ss, ["Z", "K"], outputs=["Y"], T=80).outputs == ["Y"]
    assert model.jacobian(ss, ["Z", "K"], T=80) is J1
