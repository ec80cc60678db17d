"""A HARK consumer type as a block of a hetdag model (econ-ark, extra ``hark``).

:func:`hark_block` asks HARK for the sequence-space Jacobians of an infinite-horizon
consumer type (``AgentType.make_basic_SSJ``, the fake-news algorithm; ``calc_jacobian`` on
releases without it) and for the steady state of its grid simulator, and wraps them in a
:class:`~hetdag.JacobianBlock` with the model's names.

Timing. hetdag dates every input by the period in which it applies: column s of
``J['A']['r']`` is the response to the return paid at the start of period s (on assets
carried from s-1), as in ``a_t + c_t = (1 + r_t) a_{t-1} + y_t``; news arrives at t = 0.
HARK's solver for period t takes some parameters that apply at the start of t+1 (the
``offset`` list of the model file: ``Rfree``, ``PermGroFac``, ``IncShkDstn`` and what
builds it). For those, ``make_basic_SSJ(..., offset=True)`` gives hetdag's dating, and
``offset=False`` does not give any consistent dating (measured on econ-ark 0.17.2: its
columns of aNrm and cNrm w.r.t. Rfree are 9-330% off a brute-force impulse response).
For parameters that apply in the solver's own period (``DiscFac``, ``CRRA``, ...),
``offset=False`` is right.
:func:`hark_block` chooses per shock from the agent's model file (``offset=`` overrides);
``block.offset`` records the choice.

Levels. HARK's outcomes are normalised by permanent income (``aNrm = a / p``). The block
multiplies outputs (steady state and Jacobians) by ``permanent_income`` (default 1: with
no permanent shocks and ``pLvl = 1``, normalised values are levels). Inputs keep their
derivatives; ``Rfree`` becomes ``r = Rfree - 1``.

Wages. ``IndShockConsumerType`` in econ-ark 0.17.2 has no wage input, and
``NewKeynesianConsumerType`` (which has one) has no model file, so HARK cannot build its
Jacobians. The same wage is available on an ``IndShockConsumerType`` whose income
distribution is built by HARK's own ``construct_HANK_lognormal_income_process_unemployment``
(:func:`wage_consumer_type`): every transitory income draw (unemployment benefit included)
is multiplied by ``(1 - tax_rate) * labor * wage``, so ``wage`` moves labour income
``y_t = wage_t * theta_t`` as a Krusell-Smith household's ``y_t = w_t e_t`` does. It is
offset like ``IncShkDstn`` (it applies when the income is received); its fake-news
columns s = 0, 1, 2, 25 agree with a brute-force impulse response to 7e-5 of the peak
(measured). HARK's own ``calc_impulse_response_manually`` dates it one period later:
its ``s`` with ``offset=False`` is column s + 1 here (measured; with ``offset=True`` it is
that column moved one period earlier, 10-14% off). ``input_scale={'wage': w_ss}`` maps a
model wage with steady state ``w_ss`` onto HARK's, normalised at 1: ``w = w_ss * wage``.

Harmenberg's ``norm='PermShk'`` is passed through to HARK with a
:class:`HarkNormWarning`: on econ-ark 0.17.2 its fake-news Jacobians under ``norm``
disagree with its own ``calc_impulse_response_manually`` by 12-37% of the column peak
(measured; without permanent shocks and ``norm`` they agree with a brute force to 1e-4).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np

from ..blocks._jacobian_block import JacobianBlock
from ..errors import HetdagWarning, ModelSpecError, OptionalDependencyError
from ..jacobians._jacobian_dict import JacobianDict

#: HARK names and the model names they get by default (others keep their name)
DEFAULT_NAMES = {"Rfree": "r", "wage": "w", "aNrm": "A", "cNrm": "C", "mNrm": "M", "bNrm": "B"}
#: model value = HARK value + shift (derivatives unchanged)
LEVEL_SHIFTS = {"Rfree": -1.0}
#: parameters that only build an offset object (IncShkDstn) and so share its timing
BUILDS_OFFSET = {"PermShkStd", "TranShkStd", "UnempPrb", "IncUnemp", "wage", "tax_rate", "labor"}
MSG_MISSING = (
    "hetdag.interop.hark needs econ-ark (HARK), an optional dependency; install it with "
    'pip install "hetdag[hark]"'
)


class HarkNormWarning(HetdagWarning):
    """HARK's Jacobians under Harmenberg's ``norm`` failed hetdag's check against HARK's own
    impulse responses (see :mod:`hetdag.interop.hark`)."""


def import_hark():
    """The ``HARK`` package, or :class:`OptionalDependencyError` naming the extra."""
    try:
        import HARK
    except ImportError as err:
        raise OptionalDependencyError(MSG_MISSING) from err
    return HARK


def hark_block(
    agent,
    shocks: Sequence[str] | Mapping[str, str],
    outcomes: Sequence[str] | Mapping[str, str] = ("aNrm", "cNrm"),
    grids: Mapping | None = None,
    T: int = 300,
    *,
    offset: Mapping[str, bool] | None = None,
    norm: str | None = None,
    permanent_income: float = 1.0,
    input_scale: Mapping[str, float] | None = None,
    eps: float = 1e-4,
    solved: bool = False,
    name: str = "household",
) -> JacobianBlock:
    """A :class:`~hetdag.JacobianBlock` from a HARK consumer type.

    Parameters
    ----------
    agent : HARK AgentType
        Infinite-horizon type (``cycles=0``, ``T_cycle=1``), e.g. ``IndShockConsumerType``.
    shocks : list of HARK names, or mapping {HARK name: model name}
        Parameters to differentiate with respect to (``['Rfree']`` gives input ``r``).
    outcomes : list of HARK names, or mapping {HARK name: model name}
        Aggregated outcomes (``aNrm`` -> ``A``, ``cNrm`` -> ``C`` by default).
    grids : mapping
        HARK's grid specification for ``make_transition_matrices``: the arrival state
        (``kNrm``) and every outcome that is not a continuation variable (``cNrm``), e.g.
        ``{'kNrm': {'min': 0, 'max': 60, 'N': 100}, 'cNrm': {'min': 0, 'max': 5, 'N': 100}}``.
    T : int
        Horizon of the Jacobians (``T_max``).
    offset : mapping {HARK shock name: bool}, optional
        Override the timing chosen from the model file (see the module docstring).
    norm : str, optional
        HARK's Harmenberg normalisation (``'PermShk'``); warns, see the module docstring.
    permanent_income : float
        Multiplies the normalised outputs to give levels.
    input_scale : mapping {HARK shock name: float}, optional
        Model input = scale * HARK parameter (``{'wage': w_ss}``); Jacobian columns are
        divided by the scale.
    eps, solved, name
        Step of HARK's finite differences; whether ``agent`` is already solved; block name.

    Raises
    ------
    OptionalDependencyError
        If econ-ark is not installed (names the extra ``hark``).
    ModelSpecError
        If a shock is not a scalar parameter of the agent (lists the valid ones), or an
        outcome is not produced on the grids given (lists those that are).
    """
    import_hark()
    shocks = _as_names(shocks)
    outcomes = _as_names(outcomes)
    offset = dict(offset or {})
    valid = scalar_parameters(agent)
    for s in list(shocks) + list(offset):
        if s not in valid:
            raise ModelSpecError(
                f"HARK agent {type(agent).__name__}: {s!r} is not a scalar parameter it can "
                f"be differentiated by; valid shocks are {sorted(valid)}"
            )
    if grids is None:
        raise ModelSpecError(
            f"hark_block {name!r}: give grids for HARK's transition matrices, e.g. "
            "{'kNrm': {'min': 0, 'max': 60, 'N': 100}, 'cNrm': {'min': 0, 'max': 5, 'N': 100}}"
        )
    if norm is not None:
        warnings.warn(
            f"hark_block {name!r}: HARK's Jacobians under norm={norm!r} disagreed with HARK's "
            "own impulse responses by 12-37% in hetdag's check (econ-ark 0.17.2)",
            HarkNormWarning,
            stacklevel=2,
        )
    scale = dict(input_scale or {})
    for s in scale:
        if s not in shocks:
            raise ModelSpecError(
                f"hark_block {name!r}: input_scale names {s!r}, which is not among the "
                f"shocks {sorted(shocks)}"
            )
    offsets = {s: offset.get(s, s in offset_parameters(agent)) for s in shocks}
    nest: dict[str, dict[str, np.ndarray]] = {outcomes[o]: {} for o in outcomes}
    with quiet_hark():
        if not solved:
            agent.solve()
        ss_out = hark_steady_state(agent, outcomes, grids, norm)
        for s, model_s in shocks.items():
            mats = _jacobians(agent, s, list(outcomes), grids, T, offsets[s], norm, eps)
            for o, m in zip(outcomes, mats):
                m = permanent_income * np.asarray(m, dtype=float) / scale.get(s, 1.0)
                nest[outcomes[o]][model_s] = m
    ss = {outcomes[o]: permanent_income * v for o, v in ss_out.items()}
    for s, model_s in shocks.items():
        ss[model_s] = scale.get(s, 1.0) * _scalar(agent, s) + LEVEL_SHIFTS.get(s, 0.0)
    block = JacobianBlock(JacobianDict(nest, T, name), ss=ss, name=name)
    block.offset = {shocks[s]: off for s, off in offsets.items()}
    block.hark_names = {**{v: k for k, v in shocks.items()}, **{v: k for k, v in outcomes.items()}}
    return block


def wage_consumer_type(**params):
    """An ``IndShockConsumerType`` with a ``wage`` input (and ``tax_rate``, ``labor``):
    its income distribution is built by HARK's
    ``construct_HANK_lognormal_income_process_unemployment``, which multiplies every
    transitory draw by ``(1 - tax_rate) * labor * wage``. ``params`` are the type's
    parameters (``wage``, ``tax_rate``, ``labor`` default to [1.0], [0.0], [1.0])."""
    import_hark()
    from HARK.Calibration.Income.IncomeProcesses import (
        construct_HANK_lognormal_income_process_unemployment as hank_income,
    )
    from HARK.ConsumptionSaving.ConsIndShockModel import IndShockConsumerType

    constructors = dict(IndShockConsumerType.default_["params"]["constructors"])
    constructors.update(params.pop("constructors", {}) or {})
    constructors["IncShkDstn"] = hank_income
    defaults = {"wage": [1.0], "tax_rate": [0.0], "labor": [1.0]}
    return IndShockConsumerType(**{**defaults, **params}, constructors=constructors)


def _as_names(x) -> dict[str, str]:
    if isinstance(x, str):
        x = [x]
    if isinstance(x, Mapping):
        return dict(x)
    return {k: DEFAULT_NAMES.get(k, k) for k in x}


def _scalar(agent, s: str) -> float:
    v = getattr(agent, s)
    return float(v[0] if isinstance(v, list) else v)


def scalar_parameters(agent) -> set[str]:
    """Parameters of ``agent`` that HARK can perturb: floats, or lists of one float."""
    names = set(getattr(agent, "parameters", {}) or {})
    names |= set(getattr(agent, "time_vary", [])) | set(getattr(agent, "time_inv", []))
    out = set()
    for n in names:
        v = getattr(agent, n, None)
        if isinstance(v, list) and len(v) == 1:
            v = v[0]
        if isinstance(v, (float, np.floating)) and not isinstance(v, bool):
            out.add(n)
    return out


def offset_parameters(agent) -> set[str]:
    """Parameters that HARK's period-t solver reads as applying at the start of t+1: the
    model file's ``offset`` list, and the parameters that build an offset object."""
    listed = set()
    model_file = getattr(agent, "model_file", None)
    if model_file:
        import importlib.resources

        import yaml

        with importlib.resources.files("HARK.models").joinpath(model_file).open() as fh:
            listed = set(yaml.safe_load(fh).get("symbols", {}).get("offset", []) or [])
    if "IncShkDstn" in listed:
        listed |= BUILDS_OFFSET
    return listed


@contextmanager
def quiet_hark() -> Iterator[None]:
    """Silence the DeprecationWarnings that HARK's own code triggers (``open_text`` in
    its simulator on Python 3.11+): they are HARK's to fix, not the caller's."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"HARK(\.|$)")
        yield


def hark_steady_state(agent, outcomes: Mapping[str, str], grids, norm) -> dict[str, float]:
    """Means of ``outcomes`` in the steady state of HARK's grid simulator (on releases
    without it, ``compute_steady_state()``'s ``(A, C)`` of ``calc_jacobian``'s types)."""
    if not hasattr(agent, "initialize_sym"):
        return _old_release(
            agent, outcomes, dict(zip(["aNrm", "cNrm"], agent.compute_steady_state()))
        )
    backup = getattr(agent, "_simulator", None)
    try:
        agent.initialize_sym()
        X = agent._simulator
        X.make_transition_matrices(grids, norm)
        X.find_steady_state()
        period = X.periods[0]
        have = sorted(v for v in period.matrices if v in period.grids)
        out = {}
        for o in outcomes:
            if o not in have:
                raise ModelSpecError(
                    f"HARK agent {type(agent).__name__}: outcome {o!r} is not produced on the "
                    f"grids given; outcomes available are {have} (add a grid for it)"
                )
            out[o] = float(X.steady_state_dstn @ period.matrices[o] @ period.grids[o])
        return out
    finally:
        if backup is not None:
            agent._simulator = backup
        elif hasattr(agent, "_simulator"):
            del agent._simulator


def _jacobians(agent, shock, outcomes, grids, T, offset, norm, eps) -> list[np.ndarray]:
    if hasattr(agent, "make_basic_SSJ"):
        mats = agent.make_basic_SSJ(
            shock,
            list(outcomes),
            grids,
            eps=eps,
            T_max=T,
            norm=norm,
            solved=True,
            offset=offset,
        )
        return list(mats)
    # releases before make_basic_SSJ: calc_jacobian(shock, T) -> (dC, dA), dated by HARK
    CJAC, AJAC = agent.calc_jacobian(shock, T)
    found = _old_release(agent, outcomes, {"cNrm": CJAC, "aNrm": AJAC})
    return [found[o] for o in outcomes]


def _old_release(agent, outcomes, values: Mapping) -> dict:
    bad = [o for o in outcomes if o not in values]
    if bad:
        raise ModelSpecError(
            f"HARK agent {type(agent).__name__}: this HARK release (no make_basic_SSJ) gives "
            f"only outcomes ['aNrm', 'cNrm'], not {bad}"
        )
    return {o: values[o] for o in outcomes}
