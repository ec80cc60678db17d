"""The HARK link (issue #16): a HARK consumer type as a block, checked against econ-ark.

Oracles, independent of HARK's fake-news routine and of hetdag's solvers:

- a brute-force impulse response written here: HARK's own one-period solver iterated
  backward over a finite horizon with the perturbed parameter sequence, and a histogram
  on the same grid pushed forward by this file's own lottery transition;
- sequence-jacobian's G for a Krusell–Smith model holding the same HARK arrays in an
  ``sj.JacobianDict``.

The household is HARK's ``IndShockConsumerType`` with its income distribution built by
HARK's HANK income constructor, which gives it a ``wage`` that multiplies labour income
(``hetdag.interop.hark.wage_consumer_type``). It has no permanent shocks: with them,
HARK 0.17.2's fake-news Jacobians under ``norm='PermShk'`` disagree with its own manual
impulse responses (see ``hetdag.interop.hark``); without, they agree with the brute
force here to ~1e-4 (the wage's to 7e-5).
"""

import sys

import numpy as np
import pytest

import hetdag as hd
from hetdag.errors import ModelSpecError, OptionalDependencyError
from hetdag.examples import krusell_smith

T = 40
EPS = 1e-4
K_GRID = np.linspace(0.0, 60.0, 100)
C_GRID = np.linspace(0.0, 10.0, 120)
GRIDS = {"kNrm": {"custom": K_GRID}, "cNrm": {"custom": C_GRID}}


def make_agent():
    pytest.importorskip("HARK", reason="econ-ark is not installed (extra 'hark')")
    from hetdag.interop.hark import wage_consumer_type

    agent = wage_consumer_type(
        cycles=0, LivPrb=[1.0], DiscFac=0.96, Rfree=[1.03], PermGroFac=[1.0],
        PermShkStd=[0.0], PermShkCount=1, TranShkCount=3, aXtraCount=30,
    )  # fmt: skip
    agent.solve()
    return agent


@pytest.fixture(scope="module")
def agent():
    return make_agent()


@pytest.fixture(scope="module")
def block(agent):
    from hetdag.interop.hark import hark_block

    shocks = ["Rfree", "DiscFac", "wage"]
    return hark_block(agent, shocks, grids=GRIDS, T=T, solved=True, eps=EPS)


# ---------------------------------------------------------------- brute force
def lottery(x, grid):
    x = np.clip(x, grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, x) - 1, 0, len(grid) - 2)
    return i, (grid[i + 1] - x) / (grid[i + 1] - grid[i])


class BruteForce:
    """Histogram over k (assets carried into the period), shocks (psi, theta) from HARK.

    Period t: m = R_t k / (G psi) + wage_t theta, c = cFunc_t(m), a = m - c, and a is
    spread onto the k grid by a lottery. R_t is the return paid at the start of t and
    wage_t scales the income received then; HARK's period-t solver takes the return and
    the income distribution of t+1 (the latter rebuilt by HARK's own constructor at
    wage_{t+1}) and that period's DiscFac.
    """

    def __init__(self, agent):
        from HARK.ConsumptionSaving.ConsIndShockModel import solve_one_period_ConsIndShock

        self.agent, self.solve_one = agent, solve_one_period_ConsIndShock
        shk = agent.IncShkDstn[0]
        self.psi, self.theta, self.prob = shk.atoms[0], shk.atoms[1], shk.pmv
        self.R, self.beta = agent.Rfree[0], agent.DiscFac
        self._income: dict = {}
        D = np.full(len(K_GRID), 1 / len(K_GRID))
        for _ in range(20_000):
            D_next, A, C = self.period(D, agent.solution[0].cFunc, self.R)
            if np.abs(D_next - D).max() < 1e-14:
                break
            D = D_next
        self.D, self.A, self.C = D_next, A, C

    def period(self, D, cFunc, R, wage=1.0):
        G = self.agent.PermGroFac[0]
        m = R * K_GRID[:, None] / (G * self.psi[None, :]) + wage * self.theta[None, :]
        c = cFunc(m.ravel()).reshape(m.shape)
        a = m - c
        w = D[:, None] * self.prob[None, :]
        i, pi = lottery(a, K_GRID)
        D_next = np.zeros_like(D)
        np.add.at(D_next, i, w * pi)
        np.add.at(D_next, i + 1, w * (1 - pi))
        return D_next, float(np.sum(w * a)), float(np.sum(w * c))

    def income(self, wage: float):
        """The income distribution HARK builds at this wage (its own constructor)."""
        import copy

        if wage not in self._income:
            other = copy.deepcopy(self.agent)
            other.wage = [wage]
            other.construct("IncShkDstn")
            self._income[wage] = other.IncShkDstn[0]
        return self._income[wage]

    def column(self, shock: str, s: int):
        ag = self.agent
        R = np.full(T + 1, self.R)
        beta = np.full(T, self.beta)
        wage = np.ones(T + 1)
        {"Rfree": R, "DiscFac": beta, "wage": wage}[shock][s] += EPS
        sols, nxt = [None] * T, ag.solution[0]
        for t in range(T - 1, -1, -1):
            nxt = self.solve_one(
                nxt, IncShkDstn=self.income(wage[t + 1]), LivPrb=ag.LivPrb[0], DiscFac=beta[t],
                CRRA=ag.CRRA, Rfree=R[t + 1], PermGroFac=ag.PermGroFac[0],
                BoroCnstArt=ag.BoroCnstArt, aXtraGrid=ag.aXtraGrid, vFuncBool=False,
                CubicBool=False,
            )  # fmt: skip
            sols[t] = nxt
        D, dA, dC = self.D, [], []
        for t in range(T):
            D, A, C = self.period(D, sols[t].cFunc, R[t], wage[t])
            dA.append((A - self.A) / EPS)
            dC.append((C - self.C) / EPS)
        return {"A": np.array(dA), "C": np.array(dC)}


@pytest.fixture(scope="module")
def brute(agent):
    return BruteForce(agent)


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


# ---------------------------------------------------------------------- tests
@pytest.mark.parametrize("shock, name", [("Rfree", "r"), ("DiscFac", "DiscFac"), ("wage", "w")])
@pytest.mark.parametrize("s", [0, 1, 2, 25])
def test_columns_match_brute_force(block, brute, shock, name, s):
    cols = brute.column(shock, s)
    for o in ["A", "C"]:
        gap = rel(block.J[o][name][:, s], cols[o])
        assert gap < 5e-4, (o, name, s, gap)  # measured <= 1.1e-4: HARK's eps = 1e-4


@pytest.mark.parametrize("s", [0, 1, 2, 25])
def test_wage_columns_against_harks_manual_response(agent, block, s):
    """HARK's own ``calc_impulse_response_manually`` for a wage change at s (its
    ``offset=False`` dating, rebuilding IncShkDstn) is the block's column s + 1: HARK's
    manual routine dates the change by the solver period that first expects it."""
    with _quiet():
        manual = agent.calc_impulse_response_manually(
            "wage", ["aNrm", "cNrm"], GRIDS, s=s, T_max=T, solved=True,
            construct=["IncShkDstn"], offset=False, eps=EPS,
        )  # fmt: skip
    for o, m in zip(["A", "C"], manual):
        gap = rel(block.J[o]["w"][:, s + 1], m)
        assert gap < 5e-4, (o, s, gap)


def _quiet():
    from hetdag.interop.hark import quiet_hark

    return quiet_hark()


def test_timing_and_names(block, agent):
    assert block.offset == {"r": True, "DiscFac": False, "w": True}
    assert set(block.inputs) == {"r", "DiscFac", "w"} and set(block.outputs) == {"A", "C"}
    assert block.ss_values["r"] == pytest.approx(agent.Rfree[0] - 1, abs=1e-15)


def test_steady_state_is_hark_steady_state(block, brute):
    assert block.ss_values["A"] == pytest.approx(brute.A, rel=1e-8)
    assert block.ss_values["C"] == pytest.approx(brute.C, rel=1e-8)


def test_levels_scale_outputs(agent, block):
    from hetdag.interop.hark import hark_block

    b2 = hark_block(
        agent, {"Rfree": "r"}, {"aNrm": "A"}, GRIDS, T=10, solved=True, permanent_income=2.0
    )
    assert b2.ss_values["A"] == pytest.approx(2 * block.ss_values["A"], rel=1e-10)
    np.testing.assert_allclose(b2.J["A"]["r"], 2 * block.J["A"]["r"][:10, :10], atol=1e-10)
    b3 = hark_block(agent, ["wage"], ["aNrm"], GRIDS, T=10, solved=True, input_scale={"wage": 0.8})
    assert b3.ss_values["w"] == pytest.approx(0.8, abs=1e-15)
    np.testing.assert_allclose(b3.J["A"]["w"], block.J["A"]["w"][:10, :10] / 0.8, atol=1e-10)
    with pytest.raises(ModelSpecError, match=r"input_scale names 'Rfree'.*\['wage'\]"):
        hark_block(agent, ["wage"], grids=GRIDS, T=5, solved=True, input_scale={"Rfree": 2.0})


def ks_parts(block):
    """K = A; alpha and Z such that r = Rfree - 1 and w L = 1 (HARK's mean labour income)."""
    delta, L, K, r = 0.1, 1.0, block.ss_values["A"], block.ss_values["r"]
    alpha = (r + delta) * K / (1 + (r + delta) * K)
    Z = 1 / ((1 - alpha) * K**alpha)
    return {"alpha": alpha, "delta": delta, "L": L, "K": K, "Z": Z}


def test_ks_g_matches_sequence_jacobian(block):
    sj = pytest.importorskip("sequence_jacobian")
    from sequence_jacobian.examples import krusell_smith as sj_ks

    hh = hd.JacobianBlock(block.J.subset(["A", "C"], ["r", "w"]), ss=block.ss_values, name="hh")
    model = hd.create_model([hh, krusell_smith.firm, krusell_smith.mkt_clearing])
    ss = model.steady_state(ks_parts(block))
    assert ss["w"] == pytest.approx(block.ss_values["w"], abs=1e-12)  # w L = 1
    assert abs(ss["asset_mkt"]) < 1e-12 and abs(ss["goods_mkt"]) < 1e-12
    G = model.solve_jacobian(ss, ["K"], ["asset_mkt"], ["Z"], T=T)

    J_sj = sj.JacobianDict(
        {o: {i: np.asarray(block.J[o][i]) for i in ("r", "w")} for o in ["A", "C"]}, name="hh"
    )
    model_sj = sj.create_model([J_sj, sj_ks.firm, sj_ks.mkt_clearing])
    ss_sj = sj.SteadyStateDict({k: float(v) for k, v in ss.items()})
    G_sj = model_sj.solve_jacobian(ss_sj, ["K"], ["asset_mkt"], ["Z"], T=T)
    for o in ["K", "r", "w", "Y", "C"]:
        assert rel(G[o]["Z"], G_sj[o]["Z"]) < 1e-10, o


# ------------------------------------------------------------------ bad input
def test_unknown_shock_lists_valid_ones(agent):
    from hetdag.interop.hark import hark_block

    with pytest.raises(ModelSpecError, match=r"'Rfre' is not a scalar parameter.*'Rfree'"):
        hark_block(agent, ["Rfre"], grids=GRIDS, T=5, solved=True)


def test_outcome_not_produced(agent):
    from hetdag.interop.hark import hark_block

    with pytest.raises(ModelSpecError, match=r"outcome 'xNrm' is not produced.*'aNrm'"):
        hark_block(agent, ["Rfree"], ["xNrm"], grids=GRIDS, T=5, solved=True)


def test_hark_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "HARK", None)  # import HARK -> ImportError
    from hetdag.interop.hark import hark_block

    with pytest.raises(OptionalDependencyError, match=r'pip install "hetdag\[hark\]"'):
        hark_block(object(), ["Rfree"], grids=GRIDS)
    with pytest.raises(ImportError):
        hark_block(object(), ["Rfree"], grids=GRIDS)


def test_import_hetdag_does_not_import_hark():
    import subprocess

    code = "import sys, hetdag, hetdag.interop.hark; print('HARK' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


class OldReleaseAgent:
    """What releases before make_basic_SSJ offered: calc_jacobian and compute_steady_state."""

    Rfree = [1.02]
    time_vary = ["Rfree"]
    time_inv: list = []

    def solve(self):
        pass

    def compute_steady_state(self):
        return 3.0, 1.1  # (A, C)

    def calc_jacobian(self, shk_param, T):
        return 0.5 * np.eye(T), 2.0 * np.eye(T)  # (dC, dA)


def test_old_release_calc_jacobian_plumbing(monkeypatch):
    """Without econ-ark's new routine, calc_jacobian's arrays and steady state are used
    as HARK dates them (plumbing only: no old release is installed here)."""
    pytest.importorskip("HARK", reason="econ-ark is not installed (extra 'hark')")
    from hetdag.interop.hark import hark_block

    b = hark_block(OldReleaseAgent(), ["Rfree"], grids={}, T=4)
    assert b.ss_values == {"A": 3.0, "C": 1.1, "r": pytest.approx(0.02)}
    np.testing.assert_array_equal(b.J["A"]["r"], 2.0 * np.eye(4))
    with pytest.raises(
        ModelSpecError, match=r"gives only outcomes \['aNrm', 'cNrm'\], not \['mNrm'\]"
    ):
        hark_block(OldReleaseAgent(), ["Rfree"], ["mNrm"], grids={}, T=4)
