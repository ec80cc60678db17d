"""Posterior sampling: emcee's affine-invariant ensemble, or random-walk Metropolis–Hastings.

Random-walk MH proposes ``x' = x + c L z`` with ``L L' = `` the inverse Hessian at the
mode and ``c = 2.38 / sqrt(d)`` (Roberts, Gelman & Gilks 1997), adapted during burn-in
towards an acceptance rate of 0.234 (Dynare's ``mh_jscale`` tuned by hand does the same).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from hetdag.errors import ModelSpecError, OptionalDependencyError

from ._draws import Draws
from ._mode import ModeResult, show_progress
from ._problem import EstimationProblem


def _emcee():
    try:
        import emcee
    except ImportError as err:
        raise OptionalDependencyError(
            'sample(method="emcee") needs emcee: pip install "hetdag[estimation]"'
        ) from err
    return emcee


def _as_pool(pool):
    if pool is None or hasattr(pool, "map") and not hasattr(pool, "gather"):
        return pool
    # a dask.distributed Client: map through it, the problem sent to each worker once
    from hetdag.distributed import ClientPool

    return ClientPool(pool)


def _start(problem: EstimationProblem, start) -> tuple[NDArray[np.float64], NDArray | None]:
    if start is None:
        return problem.initial, None
    if isinstance(start, ModeResult):
        return np.asarray(start.theta, dtype=float), np.asarray(start.inv_hessian)
    vals = problem.values(start)
    return np.array([vals[p] for p in problem.names]), None


def _ball(problem, x0, cov, n, rng, spread) -> NDArray[np.float64]:
    """n starting points near x0 with a finite log posterior."""
    d = x0.size
    if cov is None:
        cov = np.diag((1e-2 * np.maximum(np.abs(x0), 1e-2)) ** 2)
    L = np.linalg.cholesky(cov + 1e-300 * np.eye(d))
    out = np.empty((n, d))
    lps = np.empty(n)
    k = 0
    tries = 0
    while k < n:
        x = x0 + spread * L @ rng.standard_normal(d)
        tries += 1
        lp = problem.log_posterior(x)
        if math.isfinite(lp):
            out[k], lps[k] = x, lp
            k += 1
        elif tries > 50 * n:
            raise ModelSpecError(
                f"sample: found only {k} of {n} starting points with a finite posterior near "
                f"{dict(zip(problem.names, x0))}; last error {problem.last_error!r}"
            )
    return out


def sample(
    problem: EstimationProblem,
    n_draws: int = 1000,
    method: str = "emcee",
    *,
    start=None,
    cov=None,
    burn: int | None = None,
    thin: int = 1,
    n_walkers: int | None = None,
    n_chains: int = 1,
    scale: float | None = None,
    adapt: bool = True,
    seed: int = 0,
    pool=None,
    progress: bool | None = None,
) -> Draws:
    """Draw from the posterior of ``problem``.

    Parameters
    ----------
    n_draws : int
        Draws kept per walker (emcee) or chain (rwmh), before thinning.
    method : {"emcee", "rwmh"}
        emcee's ensemble sampler (extra ``estimation``) or random-walk Metropolis–Hastings.
    start : ModeResult, array or mapping, optional
        Where to start; a :class:`ModeResult` also gives the proposal covariance
        (its ``inv_hessian``) and the spread of emcee's initial walkers.
    cov : array (d, d), optional
        Proposal covariance for rwmh (default: the mode's inverse Hessian).
    burn : int, optional
        Steps discarded first (default ``n_draws // 2``); rwmh adapts its scale there.
    n_walkers : int, optional
        emcee walkers (default ``max(4 d, 16)``, even).
    n_chains : int
        rwmh chains, run one after another (or on ``pool``).
    pool : object with ``map``, or a ``dask.distributed.Client``
        Where log posteriors are evaluated (emcee) or chains run (rwmh).
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    """
    rng = np.random.default_rng(seed)
    progress = show_progress(progress)
    x0, cov0 = _start(problem, start)
    cov = cov0 if cov is None else np.asarray(cov, dtype=float)
    d = x0.size
    burn = n_draws // 2 if burn is None else int(burn)
    pool = _as_pool(pool)
    from tqdm import tqdm

    if method == "emcee":
        emcee = _emcee()
        n_walkers = n_walkers or max(4 * d, 16)
        n_walkers += n_walkers % 2
        p0 = _ball(problem, x0, cov, n_walkers, rng, 0.1 if cov is not None else 1.0)
        sampler = emcee.EnsembleSampler(n_walkers, d, problem.log_posterior, pool=pool)
        # emcee draws from a legacy RandomState: seed it for reproducible chains
        sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
        total = burn + n_draws
        with tqdm(total=total, desc="emcee", disable=not progress, leave=False) as bar:
            for _ in sampler.sample(p0, iterations=total):
                bar.update(1)
        chain = sampler.get_chain(discard=burn, thin=thin)
        lp = sampler.get_log_prob(discard=burn, thin=thin)
        return Draws(chain, problem.names, lp, sampler.acceptance_fraction, "emcee")
    if method != "rwmh":
        raise ModelSpecError(f"sample: method={method!r}; use 'emcee' or 'rwmh'")
    if cov is None:
        raise ModelSpecError(
            "sample(method='rwmh') needs a proposal covariance: pass start=find_mode(problem) "
            "or cov="
        )
    scale = 2.38 / math.sqrt(d) if scale is None else float(scale)
    seeds = rng.integers(2**31, size=n_chains)
    args = [
        (problem, x0, cov, scale, n_draws, burn, thin, adapt, int(s), progress and n_chains == 1)
        for s in seeds
    ]
    if pool is not None:
        results = list(pool.map(_rwmh_chain, args))
    else:
        results = []
        with tqdm(total=n_chains, desc="rwmh chains", disable=not progress or n_chains == 1) as bar:
            for a in args:
                results.append(_rwmh_chain(a))
                bar.update(1)
    chains = np.stack([r[0] for r in results], axis=1)
    lps = np.stack([r[1] for r in results], axis=1)
    acc = np.array([r[2] for r in results])
    return Draws(chains, problem.names, lps, acc, "rwmh")


def _rwmh_chain(args) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    problem, x0, cov, scale, n_draws, burn, thin, adapt, seed, progress = args
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    d = x0.size
    L = np.linalg.cholesky(0.5 * (cov + cov.T))
    x = np.array(x0, dtype=float)
    lp = problem.log_posterior(x)
    if not math.isfinite(lp):
        raise ModelSpecError(
            f"sample: the log posterior at the start {dict(zip(problem.names, x))} is -inf "
            f"({problem.last_error!r})"
        )
    keep = np.empty((n_draws // thin, d))
    keep_lp = np.empty(n_draws // thin)
    accepted = 0
    window = 0
    log_scale = math.log(scale)
    with tqdm(total=burn + n_draws, desc="rwmh", disable=not progress, leave=False) as bar:
        for it in range(burn + n_draws):
            prop = x + math.exp(log_scale) * (L @ rng.standard_normal(d))
            lp_new = problem.log_posterior(prop)
            ok = math.log(rng.random()) < lp_new - lp
            if ok:
                x, lp = prop, lp_new
            if it < burn:
                window += ok
                if adapt and (it + 1) % 50 == 0:  # towards 0.234 acceptance
                    log_scale += 2.0 * (window / 50 - 0.234) / math.sqrt((it + 1) / 50)
                    window = 0
            else:
                accepted += ok
                k = it - burn
                if k % thin == 0 and k // thin < len(keep):
                    keep[k // thin] = x
                    keep_lp[k // thin] = lp
            bar.update(1)
    return keep, keep_lp, accepted / max(n_draws, 1)
