"""An estimation problem: model, steady state, observables, shocks, priors and data.

``log_posterior(theta)`` re-solves only what the changed parameters touch:

- shock parameters (``rho_Z``, ``sigma_Z``, ``theta_Z``) and measurement-error
  parameters (``me_Y``): no Jacobian is recomputed; impulses come from G (or from the
  factored H_U), then autocovariances and the likelihood;
- parameters of simple or solved blocks (``phi``): the steady state is updated through
  those blocks only, their Jacobians are recomputed, and H_U is factored again; the
  household Jacobian is the stored one (no fake-news pass);
- parameters read by a heterogeneous-agent block (``eis``), or block parameters that move
  the household's inputs or a target in the steady state: a new steady state (solved
  with ``steady_state=`` unknowns and targets, warm-started) and one fake-news pass.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from hetdag.errors import HetdagError, ModelSpecError

from ._covariance import all_covariances, log_likelihood
from ._priors import Priors
from ._resolve import ResolveMixin
from ._shocks import ShockProcess
from ._support import _LRU, _has_het
from ._support import TruncationError as TruncationError

_KINDS = ("shock", "measurement", "block", "het")


class EstimationProblem(ResolveMixin):
    """Bayesian estimation of a sequence-space model from time series of observables.

    Parameters
    ----------
    model : hetdag model (``hd.create_model``)
    ss : SteadyState
        The steady state at the parameters' starting values.
    unknowns, targets : list of str
        As in ``model.solve_jacobian``.
    observables : list of str
        Model outputs (or unknowns) observed in ``data``, in the data's column order.
    shocks : mapping ``{input: AR1(...) | ARMA11(...)}``
        Exogenous processes of the model inputs that are shocked; values given there are
        used for shock parameters that are not estimated.
    priors : Priors
        One prior per estimated parameter: ``{param}_{shock}`` for shock parameters,
        ``me_{observable}`` for measurement-error sds, or any input that a block reads.
    data : array (Tobs, n_obs) or pandas DataFrame, optional
        Observations in deviations from the steady state; NaN marks a missing value.
    T : int
        Horizon of the impulse responses (the MA(T-1) truncation).
    sigma_measurement : mapping ``{observable: sd}`` or array (n_obs,), optional
        Measurement-error sds used where ``me_{observable}`` is not estimated.
    steady_state : dict, optional
        ``{"unknowns": ..., "targets": ..., **solver options}`` for re-solving the steady
        state when a household parameter changes, as in ``model.solve_steady_state``.

    Attributes
    ----------
    kinds : dict
        Each estimated parameter's kind: "shock", "measurement", "block" or "het".
    counts : dict
        Work done so far: "likelihood" evaluations, "G" solves of G, "linear_systems"
        (H_U factored for new block parameters), "steady_states" solved and
        "household_jacobians" (fake-news passes).

    Raises
    ------
    ModelSpecError
        An observable the model does not output, a shock that is not a model input, a
        parameter that no block reads, data with the wrong number of columns.
    """

    def __init__(
        self,
        model,
        ss,
        unknowns: Sequence[str],
        targets: Sequence[str],
        observables: Sequence[str],
        shocks: Mapping[str, ShockProcess],
        priors: Priors,
        data=None,
        *,
        T: int = 300,
        sigma_measurement: Mapping[str, float] | Sequence[float] | None = None,
        steady_state: Mapping | None = None,
    ):
        self.model = model
        self.ss = ss
        self.unknowns = [unknowns] if isinstance(unknowns, str) else list(unknowns)
        self.targets = [targets] if isinstance(targets, str) else list(targets)
        self.observables = [observables] if isinstance(observables, str) else list(observables)
        self.T = int(T)
        self.shocks = dict(shocks)
        if not isinstance(priors, Priors):
            priors = Priors(priors)
        self.priors = priors
        self.steady_state_spec = dict(steady_state) if steady_state else None
        name = getattr(model, "name", "model")
        outputs = set(model.outputs) | set(self.unknowns)
        for o in self.observables:
            if o not in outputs:
                raise ModelSpecError(
                    f"EstimationProblem: observable {o!r} is not an output of model {name!r}; "
                    f"outputs are {sorted(model.outputs)}"
                )
        if not self.shocks:
            raise ModelSpecError("EstimationProblem: give at least one shock, e.g. {'Z': AR1()}")
        for z, proc in self.shocks.items():
            if z not in model.inputs:
                raise ModelSpecError(
                    f"EstimationProblem: shock {z!r} is not an input of model {name!r}; "
                    f"inputs are {sorted(model.inputs)}"
                )
            if z in self.unknowns:
                raise ModelSpecError(f"EstimationProblem: shock {z!r} is also an unknown")
            if not isinstance(proc, ShockProcess):
                raise ModelSpecError(
                    f"EstimationProblem: the process of shock {z!r} is {proc!r}; use AR1(...) "
                    "or ARMA11(...)"
                )
        # every parameter's starting value and kind
        self.base: dict[str, float] = {}
        kinds: dict[str, str] = {}
        for z, proc in self.shocks.items():
            for p in proc.params:
                self.base[f"{p}_{z}"] = proc.values[p]
                kinds[f"{p}_{z}"] = "shock"
        me = self._measurement(sigma_measurement)
        for o, v in zip(self.observables, me):
            self.base[f"me_{o}"] = float(v)
            kinds[f"me_{o}"] = "measurement"
        self.kinds: dict[str, str] = {}
        for p in self.priors:
            if p in kinds:
                self.kinds[p] = kinds[p]
                continue
            if p in self.unknowns or p in self.shocks:
                raise ModelSpecError(
                    f"EstimationProblem: parameter {p!r} is an unknown or a shock of the model, "
                    "not a parameter"
                )
            readers = [b for b in model.blocks if p in b.inputs] if hasattr(model, "blocks") else []
            if not readers:
                raise ModelSpecError(
                    f"EstimationProblem: parameter {p!r} is read by no block of model {name!r}, "
                    f"and is not a shock parameter ({sorted(k for k in kinds if k[:3] != 'me_')}) "
                    f"or a measurement-error sd ({[f'me_{o}' for o in self.observables]})"
                )
            self.kinds[p] = "het" if any(_has_het(b) for b in readers) else "block"
            self.base[p] = float(np.asarray(ss[p]))
        self.names = list(self.priors)
        self._model_params = [p for p in self.names if self.kinds[p] in ("block", "het")]
        self._het_params = [p for p in self.names if self.kinds[p] == "het"]
        self.data = None if data is None else self._check_data(data)
        self.counts = dict.fromkeys(
            ["likelihood", "G", "linear_systems", "steady_states", "household_jacobians"], 0
        )
        self.failures: dict[str, int] = {}
        self.last_error: BaseException | None = None
        self._G = _LRU(2)  # model key -> G restricted to observables x shocks
        self._systems = _LRU(2)  # model key -> (frozen model, ss)
        self._het_states = _LRU(2)  # het key -> (ss, frozen model)
        self._moving: set[str] | None = None

    # ----------------------------------------------------------------- inputs
    def _measurement(self, sigma_measurement) -> NDArray[np.float64]:
        n = len(self.observables)
        if sigma_measurement is None:
            return np.zeros(n)
        if isinstance(sigma_measurement, Mapping):
            for o in sigma_measurement:
                if o not in self.observables:
                    raise ModelSpecError(
                        f"EstimationProblem: sigma_measurement for {o!r}, which is not an "
                        f"observable ({self.observables})"
                    )
            return np.array([float(sigma_measurement.get(o, 0.0)) for o in self.observables])
        me = np.asarray(sigma_measurement, dtype=float)
        if me.shape != (n,):
            raise ModelSpecError(
                f"EstimationProblem: sigma_measurement has shape {me.shape}, expected ({n},) "
                f"for observables {self.observables}"
            )
        return me

    def _check_data(self, data) -> NDArray[np.float64]:
        if hasattr(data, "columns"):  # a DataFrame: columns by name
            missing = [o for o in self.observables if o not in data.columns]
            if missing:
                raise ModelSpecError(
                    f"EstimationProblem: data has no column(s) {missing}; columns are "
                    f"{list(data.columns)}, observables {self.observables}"
                )
            data = data[self.observables].to_numpy(dtype=float)
        Y = np.asarray(data, dtype=float)
        if Y.ndim == 1 and len(self.observables) == 1:
            Y = Y[:, None]
        if Y.ndim != 2 or Y.shape[1] != len(self.observables):
            cols = Y.shape[1] if Y.ndim == 2 else "no"
            raise ModelSpecError(
                f"EstimationProblem: data has shape {Y.shape} ({cols} columns) but there are "
                f"{len(self.observables)} observables {self.observables}; data must be "
                "(Tobs, n_obs) with one column per observable"
            )
        if np.any(np.isinf(Y)):
            raise ModelSpecError("EstimationProblem: data contains inf")
        return Y

    def set_data(self, data) -> None:
        """Replace the observed data (array (Tobs, n_obs) or DataFrame)."""
        self.data = self._check_data(data)

    @property
    def initial(self) -> NDArray[np.float64]:
        """Starting values of the estimated parameters (from ss and the shock processes)."""
        return np.array([self.base[p] for p in self.names])

    def values(self, theta) -> dict[str, float]:
        """Every parameter's value: the base values updated by theta."""
        vals = dict(self.base)
        if isinstance(theta, Mapping):
            for k in theta:
                if k not in self.base:
                    raise ModelSpecError(f"EstimationProblem: {k!r} is not a parameter")
            vals.update({k: float(v) for k, v in theta.items()})
            return vals
        theta = np.asarray(theta, dtype=float).ravel()
        if theta.shape != (len(self.names),):
            raise ModelSpecError(
                f"EstimationProblem: theta has {theta.size} values for {len(self.names)} "
                f"parameters {self.names}"
            )
        vals.update(zip(self.names, theta.tolist()))
        return vals

    # ------------------------------------------------------------- solving
    def covariances(self, theta=None) -> NDArray[np.float64]:
        """Autocovariances (T, n_obs, n_obs) of the observables at theta."""
        M, sigmas = self.impulse_responses(theta)
        return all_covariances(M, sigmas)

    # -------------------------------------------------------------- densities
    def log_prior(self, theta) -> float:
        vals = self.values(theta)
        return self.priors.logpdf([vals[p] for p in self.names])

    def log_likelihood(self, theta=None) -> float:
        """Exact Gaussian log-likelihood of the data (without the 2 pi constant)."""
        if self.data is None:
            raise ModelSpecError("EstimationProblem: no data; pass data= or call set_data")
        vals = self.values(self.initial if theta is None else theta)
        Tobs = self.data.shape[0]
        Sigma = self.covariances(self._theta(vals))[: max(Tobs, 1)]
        me = np.array([vals[f"me_{o}"] for o in self.observables])
        self.counts["likelihood"] += 1
        return log_likelihood(self.data, Sigma, me, observables=self.observables)

    def log_posterior(self, theta, raise_errors: bool = False) -> float:
        """Log prior plus log-likelihood; ``-inf`` outside the priors' support.

        A failure to solve the model at theta (no steady state, an indeterminate
        equilibrium, a covariance that is not positive definite) gives ``-inf`` and is
        counted in ``failures`` (the last one kept in ``last_error``), unless
        ``raise_errors``.
        """
        lp = self.log_prior(theta)
        if lp == -math.inf:
            return -math.inf
        try:
            ll = self.log_likelihood(theta)
        except (HetdagError, np.linalg.LinAlgError, FloatingPointError) as err:
            if raise_errors:
                raise
            name = type(err).__name__
            self.failures[name] = self.failures.get(name, 0) + 1
            self.last_error = err
            return -math.inf
        return lp + ll if math.isfinite(ll) else -math.inf

    __call__ = log_posterior

    # ------------------------------------------------------------------ data
    def simulate(self, n_periods: int, theta=None, seed: int = 0) -> NDArray[np.float64]:
        """Simulated observables (n_periods, n_obs) at theta, with measurement error.

        ``y_t = sum_k M[k] diag(sigma) eps_{t-k}`` with innovations drawn for T - 1
        periods before the sample as well (the MA(T-1) representation).
        """
        rng = np.random.default_rng(seed)
        vals = self.values(self.initial if theta is None else theta)
        M, sigmas = self.impulse_responses(self._theta(vals))
        T = M.shape[0]
        eps = rng.standard_normal((n_periods + T - 1, len(sigmas))) * sigmas
        Y = np.zeros((n_periods, len(self.observables)))
        for b in range(len(sigmas)):
            for a in range(len(self.observables)):
                Y[:, a] += np.convolve(eps[:, b], M[:, a, b], mode="valid")
        me = np.array([vals[f"me_{o}"] for o in self.observables])
        return Y + rng.standard_normal(Y.shape) * me

    def time_evaluations(self, repeat: int = 3) -> dict[str, float]:
        """Seconds per log-posterior evaluation when only one kind of parameter changes.

        For each kind that is estimated, the best of ``repeat`` evaluations at fresh
        values (the first parameter of that kind moved by a small relative step).
        """
        out = {}
        x0 = self.initial
        self.log_posterior(x0)
        for kind in _KINDS:
            idx = [j for j, p in enumerate(self.names) if self.kinds[p] == kind]
            if not idx:
                continue
            best = math.inf
            for r in range(repeat):
                x = x0.copy()
                x[idx[0]] *= 1 + 1e-3 * (r + 1)
                t = time.perf_counter()
                self.log_posterior(x)
                best = min(best, time.perf_counter() - t)
            out[kind] = best
        return out

    def __repr__(self) -> str:
        params = ", ".join(f"{p} ({self.kinds[p]})" for p in self.names)
        nobs = "no data" if self.data is None else f"{self.data.shape[0]} periods"
        return (
            f"<EstimationProblem {getattr(self.model, 'name', '')!r}: observables "
            f"{self.observables}, shocks {list(self.shocks)}, {nobs}; parameters {params}>"
        )
