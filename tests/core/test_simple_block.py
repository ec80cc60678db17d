"""Simple blocks: outputs from the syntax tree, exact derivatives, shift operators."""

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import hetdag as hd
from hetdag.errors import ModelSpecError
from hetdag.jacobians._shift import ShiftMatrix, matmul


# ------------------------------------------------------------------- parsing
def test_outputs_read_from_multiline_return():
    @hd.simple
    def several(a, b):
        c = a + b
        d = a * b
        e = a - b
        return (
            c,
            d,
            e,
        )

    assert several.inputs == ("a", "b")
    assert several.outputs == ("c", "d", "e")
    ss = several.steady_state({"a": 2.0, "b": 3.0})
    assert (ss["c"], ss["d"], ss["e"]) == (5.0, 6.0, -1.0)


def test_single_output_without_tuple():
    @hd.simple
    def single(a):
        out = 2 * a
        return out

    assert single.outputs == ("out",)
    assert single.steady_state({"a": 1.5})["out"] == 3.0


def test_return_of_expression_names_the_block():
    with pytest.raises(ModelSpecError, match="returns_expression"):

        @hd.simple
        def returns_expression(a, b):
            return a + b

    with pytest.raises(ModelSpecError, match="returns_mixed"):

        @hd.simple
        def returns_mixed(a, b):
            c = a
            return c, a * b


# --------------------------------------------------------- derivatives vs FD
@hd.simple
def smooth(x, y, z):
    a = np.log(x) * y(1) + np.exp(z(-1)) * x**1.5 - y(-2) / x(2)
    b = np.sqrt(x(-1) * y) + np.maximum(y, z) + z(1) ** 2
    c = x(3) ** 0.5 * np.exp(-y) + 1e-16 * z
    return a, b, c


def fd_columns(block, ss, inp, T, h):
    """Brute force: column s of d(out)/d(inp) by central differences of the path."""
    cols = {o: np.zeros((T, T)) for o in block.outputs}
    for s in range(T):
        e = np.zeros(T)
        e[s] = h
        up = block.impulse_nonlinear_partial(ss, {inp: e})
        dn = block.impulse_nonlinear_partial(ss, {inp: -e})
        for o in block.outputs:
            cols[o][:, s] = (up[o] - dn[o]) / (2 * h)
    return cols


@settings(deadline=None, max_examples=25)
@given(
    x=st.floats(0.3, 3.0),
    y=st.floats(0.3, 3.0),
    z=st.floats(-1.0, 1.0),
)
def test_symbolic_jacobian_matches_finite_differences(x, y, z):
    assume(abs(y - z) > 1e-2)
    T = 20
    ss = smooth.steady_state({"x": x, "y": y, "z": z})
    J = smooth.jacobian(ss, ["x", "y", "z"], T=T)
    for i in ("x", "y", "z"):
        fd = fd_columns(smooth, ss, i, T, h=1e-5)
        for o in smooth.outputs:
            entry = J[o].get(i)
            dense = np.zeros((T, T)) if entry is None else np.asarray(entry)
            assert dense.shape == (T, T)
            np.testing.assert_allclose(dense, fd[o], rtol=0, atol=1e-7, err_msg=f"d{o}/d{i}")


def test_maximum_picks_the_active_branch():
    T = 6
    ss = smooth.steady_state({"x": 1.0, "y": 2.0, "z": 0.5})
    J = smooth.jacobian(ss, ["y", "z"], ["b"], T=T)
    # y > z: b depends on y_t through max(y, z) = y and sqrt(x(-1) y)
    assert np.asarray(J["b"]["y"])[2, 2] == pytest.approx(1 + 0.5 / np.sqrt(2.0))
    # z enters only through z(1)**2 (max is inactive in z)
    Jz = np.asarray(J["b"]["z"])
    assert Jz[2, 2] == 0.0
    assert Jz[2, 3] == pytest.approx(1.0)


def test_tiny_derivative_is_kept():
    T = 8
    ss = smooth.steady_state({"x": 1.0, "y": 1.0, "z": 0.2})
    J = smooth.jacobian(ss, ["z"], ["c"], T=T)
    assert "z" in J["c"]
    np.testing.assert_array_equal(np.asarray(J["c"]["z"]), 1e-16 * np.eye(T))

    @hd.simple
    def tiny(w):
        v = 1e-16 * w
        return v

    Jt = tiny.jacobian(tiny.steady_state({"w": 3.0}), ["w"], T=5)
    assert np.asarray(Jt["v"]["w"])[4, 4] == 1e-16


def test_dense_jacobian_shape_and_timing():
    @hd.simple
    def timing(x):
        y = x(-1) + 2 * x(2)
        return y

    T = 7
    J = timing.jacobian(timing.steady_state({"x": 1.0}), ["x"], T=T)
    M = np.asarray(J["y"]["x"])
    assert M.shape == (T, T)
    ref = np.zeros((T, T))
    for t in range(T):
        if t - 1 >= 0:
            ref[t, t - 1] = 1.0
        if t + 2 < T:
            ref[t, t + 2] = 2.0
    np.testing.assert_array_equal(M, ref)


def test_path_pads_with_steady_state():
    @hd.simple
    def pad(x):
        y = x(-1) - x(1)
        return y

    ss = pad.steady_state({"x": 5.0})
    irf = pad.impulse_nonlinear_partial(ss, {"x": np.array([1.0, 2.0, 3.0])})
    # levels x = 6, 7, 8 with x_{-1} = x_3 = 5
    np.testing.assert_allclose(irf["y"] + ss["y"], [5 - 7, 6 - 8, 7 - 5])


# ------------------------------------------------------------- shift matrices
def random_shift(rng, shifts, T):
    return ShiftMatrix({k: rng.normal() for k in shifts}, T)


def _infinite_product(ops, T, pad=40):
    """T x T truncation of the product of the operators on sequences that start at 0
    and run on past T (dense matrices of the single shifts at a wider horizon)."""
    W = T + pad
    dense = []
    for op in ops:
        M = np.zeros((W, W))
        for k, c in op.coeffs.items():
            M += c * np.eye(W, k=k)
        dense.append(M)
    prod = dense[0]
    for m in dense[1:]:
        prod = prod @ m
    return prod[:T, :T]


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((-2, 1), (3, -1, 0)),
        ((1, 2), (-3,)),
        ((-1,), (1,)),
        ((2, 3), (1, 4)),
        ((-2, -1, 0), (-3, 0)),
        ((0, 5), (-4, 2)),
        ((9, -9), (-12, 11)),
    ],
)
def test_shift_products_compose_operators_on_sequences_from_zero(sa, sb):
    # convention: intermediate variables at or beyond T are computed from the inputs and
    # those before 0 sit at the steady state, so products are truncations of products on
    # sequences from 0 to infinity: S(+1) S(-1) = I, but S(-1) S(+1) = I without (0, 0)
    rng = np.random.default_rng(0)
    T = 10
    A, B = random_shift(rng, sa, T), random_shift(rng, sb, T)
    Ad, Bd = np.asarray(A), np.asarray(B)
    np.testing.assert_allclose(np.asarray(A @ B), _infinite_product([A, B], T), atol=1e-14)
    np.testing.assert_allclose(np.asarray(B @ A), _infinite_product([B, A], T), atol=1e-14)
    np.testing.assert_allclose(np.asarray(matmul(A, B)), _infinite_product([A, B], T), atol=1e-14)
    ref = _infinite_product([A, B, A], T)
    np.testing.assert_allclose(np.asarray(A @ B @ A), ref, atol=1e-13)
    np.testing.assert_allclose(np.asarray((A @ B) @ A), ref, atol=1e-13)
    P = A @ B  # a product with terms that start below row 0 against dense matrices
    C = rng.normal(size=(T, T))
    np.testing.assert_allclose(P @ C, np.asarray(P) @ C, atol=1e-13)
    np.testing.assert_allclose(C @ P, C @ np.asarray(P), atol=1e-13)
    np.testing.assert_allclose(np.asarray(P + C), np.asarray(P) + C, atol=1e-13)
    # with a dense matrix (an HA block's T x T Jacobian) products are ordinary ones
    np.testing.assert_allclose(C @ A, C @ Ad, atol=1e-13)
    np.testing.assert_allclose(A @ C, Ad @ C, atol=1e-13)
    np.testing.assert_allclose(np.asarray(matmul(C, A)), C @ Ad, atol=1e-13)
    np.testing.assert_allclose(np.asarray(A + B), Ad + Bd, atol=1e-14)
    np.testing.assert_allclose(np.asarray(A - B), Ad - Bd, atol=1e-14)
    np.testing.assert_allclose(np.asarray(2.5 * A), 2.5 * Ad, atol=1e-14)
    x = rng.normal(size=T)
    np.testing.assert_allclose(A @ x, Ad @ x, atol=1e-13)


@settings(max_examples=80, deadline=None)
@given(
    T=st.integers(1, 9),
    chain=st.lists(
        st.dictionaries(st.integers(-5, 5), st.floats(-2, 2, width=64), min_size=1, max_size=3),
        min_size=2,
        max_size=4,
    ),
    Tp=st.integers(1, 12),
)
def test_chains_of_shifts_equal_products_from_zero(T, chain, Tp):
    """Any chain of simple-block Jacobians, at any horizon, and its transpose."""
    ops = [ShiftMatrix(c, T) for c in chain]
    P = ops[0]
    for op in ops[1:]:
        P = P @ op
    ref = _infinite_product(ops, Tp, pad=25)
    np.testing.assert_allclose(P.matrix(Tp), ref, atol=1e-10)
    np.testing.assert_allclose(P.transpose().matrix(Tp), ref.T, atol=1e-10)
    x = np.linspace(-1, 1, Tp)
    np.testing.assert_allclose(P.matrix(Tp) @ x, P.apply(x), atol=1e-10)


@settings(max_examples=150, deadline=None)
@example(blocks=[({}, "dense"), ({-1: 1.0}, "shifts"), ({1: 1.0}, "shifts")], seed=0)
@example(blocks=[({-1: 1.0}, "both"), ({2: 0.5}, "shifts")], seed=1)
@given(
    blocks=st.lists(
        st.tuples(
            st.dictionaries(st.integers(-3, 3), st.floats(-2, 2, width=64), max_size=3),
            st.sampled_from(["shifts", "dense", "both"]),
        ),
        min_size=1,
        max_size=5,
    ),
    seed=st.integers(0, 10),
)
def test_forward_accumulation_keeps_rows_beyond_T(blocks, seed):
    """A chain of blocks, each with shifts, a T x T Jacobian (like a heterogeneous-agent
    block's: it reads inputs up to T-1 and is at the steady state from T on) or both
    in parallel: the model's Jacobian equals the product of the operators at a wider
    horizon, truncated. (Entries cut to T x T between blocks lose a lag of a T x T
    block's output at T, or the shift part of a sum, which a lead then reads.)"""
    from hetdag.jacobians._jacobian_dict import identity
    from hetdag.jacobians._rows import add_rows, chain, public

    rng = np.random.default_rng(seed)
    T, W = 6, 40
    cur, ref = identity(T), np.eye(W)
    for coeffs, kind in blocks:
        S, Sw = ShiftMatrix(coeffs, T), np.zeros((W, W))
        for k, c in coeffs.items():
            Sw += c * np.eye(W, k=k)
        D = rng.normal(size=(T, T))
        Dw = np.pad(D, (0, W - T))
        if kind == "shifts":
            cur, ref = chain(S, cur, T), Sw @ ref
        elif kind == "dense":
            cur, ref = chain(D, cur, T), Dw @ ref
        else:
            cur, ref = add_rows(chain(S, cur, T), chain(D, cur, T)), (Sw + Dw) @ ref
    np.testing.assert_allclose(np.asarray(public(cur, T)), ref[:T, :T], atol=1e-9)


def test_shift_matrix_dense_definition():
    T = 5
    M = np.asarray(ShiftMatrix({1: 2.0, -2: 3.0, 7: 1.0}, T))
    ref = np.zeros((T, T))
    for t in range(T):
        if t + 1 < T:
            ref[t, t + 1] = 2.0
        if t - 2 >= 0:
            ref[t, t - 2] = 3.0
    np.testing.assert_array_equal(M, ref)


@settings(max_examples=60, deadline=None)
@given(
    T=st.integers(1, 12),
    coeffs=st.dictionaries(st.integers(-14, 14), st.floats(-3, 3), max_size=5),
    transposed=st.booleans(),
)
def test_shift_plus_dense_matches_the_definition(T, coeffs, transposed):
    """to_dense and ShiftMatrix + ndarray (diagonals added as strided slices, in place
    on one copy) against entry-by-entry definitions, shifts beyond the horizon included;
    the dense operand may be a non-contiguous view and is left untouched."""
    S = ShiftMatrix(coeffs, T)
    ref = np.zeros((T, T))
    for k, c in S.coeffs.items():
        for t in range(T):
            if 0 <= t + k < T:
                ref[t, t + k] += c
    np.testing.assert_array_equal(S.to_dense(), ref)
    X = np.arange(T * T, dtype=float).reshape(T, T)
    X = X.T if transposed else X
    keep = X.copy()
    np.testing.assert_allclose(S + X, ref + X, atol=1e-13)
    np.testing.assert_allclose(X + S, ref + X, atol=1e-13)
    np.testing.assert_allclose(X - S, X - ref, atol=1e-13)
    np.testing.assert_array_equal(X, keep)


@pytest.mark.parametrize("k", [-6, -5, -2, 0, 3, 4, 5, 9])
def test_single_shift_apply_equals_its_dense_definition(k):
    """One scaled shift takes its own path in apply(); beyond the horizon it is zero."""
    T = 5
    S = ShiftMatrix({k: -1.5}, T)
    ref = np.zeros((T, T))
    for t in range(T):
        if 0 <= t + k < T:
            ref[t, t + k] = -1.5
    x = np.arange(1.0, 1.0 + 3 * T).reshape(T, 3)
    np.testing.assert_array_equal(S.apply(x), ref @ x)
    np.testing.assert_array_equal(S.apply(x[:, 0]), ref @ x[:, 0])
