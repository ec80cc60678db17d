"""Prior distributions, parametrised as Dynare users know them: by mean and sd.

Each prior checks its parameters when built and returns ``-inf`` (never an error) for
values outside its support. A prior set is one line per parameter::

    priors = Priors(
        rho_Z=Beta(mean=0.5, sd=0.2),
        sigma_Z=InvGamma(mean=0.01, sd=0.01),
        phi=Normal(mean=1.5, sd=0.25),
    )

======================  ===============  ==============================================
prior                   support          scipy.stats equivalent
======================  ===============  ==============================================
``Normal(mean, sd)``    real line        ``norm(mean, sd)``
``Gamma(mean, sd)``     (0, inf)         ``gamma(a=mean**2/sd**2, scale=sd**2/mean)``
``InvGamma(mean, sd)``  (0, inf)         ``invgamma(a=2 + mean**2/sd**2, scale=mean*(a-1))``
``Beta(mean, sd)``      (0, 1)           ``beta(a=mean*nu, b=(1-mean)*nu)``,
                                         ``nu = mean(1-mean)/sd**2 - 1``
``Uniform(lower, up)``  [lower, upper]   ``uniform(lower, upper - lower)``
======================  ===============  ==============================================

``InvGamma`` is the inverse gamma distribution of the parameter itself (not Dynare's
"inverse gamma type 1" of a standard deviation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import ModelSpecError


class PriorError(ModelSpecError):
    """A prior was given an invalid parameter."""


def _check(cond: bool, prior: str, msg: str) -> None:
    if not cond:
        raise PriorError(f"{prior} prior: {msg}")


def _finite(prior: str, **values) -> None:
    for k, v in values.items():
        _check(
            isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v),
            prior,
            f"{k}={v!r} must be a finite number",
        )


class Prior:
    """Base class: ``logpdf(x)``, ``support``, ``mean``, ``sd``, ``rvs(rng, size)``."""

    support: tuple[float, float] = (-math.inf, math.inf)

    def logpdf(self, x: float) -> float:  # pragma: no cover
        raise NotImplementedError

    def rvs(self, rng: np.random.Generator, size: int | None = None):  # pragma: no cover
        raise NotImplementedError

    def in_support(self, x: float) -> bool:
        lo, hi = self.support
        return lo < x < hi

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self._args().items())
        return f"{type(self).__name__}({args})"

    def _args(self) -> dict:  # pragma: no cover
        raise NotImplementedError


class Normal(Prior):
    """Normal prior with the given mean and standard deviation."""

    def __init__(self, mean: float, sd: float):
        _finite("Normal", mean=mean, sd=sd)
        _check(sd > 0, "Normal", f"sd={sd!r} must be positive")
        self.mean, self.sd = float(mean), float(sd)

    def _args(self) -> dict:
        return {"mean": self.mean, "sd": self.sd}

    def logpdf(self, x: float) -> float:
        if not math.isfinite(x):
            return -math.inf
        z = (x - self.mean) / self.sd
        return -0.5 * z * z - math.log(self.sd) - 0.5 * math.log(2 * math.pi)

    def rvs(self, rng, size=None):
        return rng.normal(self.mean, self.sd, size)


class Gamma(Prior):
    """Gamma prior on (0, inf): shape ``mean^2/sd^2``, scale ``sd^2/mean``."""

    support = (0.0, math.inf)

    def __init__(self, mean: float, sd: float):
        _finite("Gamma", mean=mean, sd=sd)
        _check(mean > 0, "Gamma", f"mean={mean!r} must be positive")
        _check(sd > 0, "Gamma", f"sd={sd!r} must be positive")
        self.mean, self.sd = float(mean), float(sd)
        self.shape = self.mean**2 / self.sd**2
        self.scale = self.sd**2 / self.mean
        self._c = -math.lgamma(self.shape) - self.shape * math.log(self.scale)

    def _args(self) -> dict:
        return {"mean": self.mean, "sd": self.sd}

    def logpdf(self, x: float) -> float:
        if not x > 0 or not math.isfinite(x):
            return -math.inf
        return self._c + (self.shape - 1) * math.log(x) - x / self.scale

    def rvs(self, rng, size=None):
        return rng.gamma(self.shape, self.scale, size)


class InvGamma(Prior):
    """Inverse gamma prior on (0, inf): shape ``2 + mean^2/sd^2``, scale ``mean (shape-1)``."""

    support = (0.0, math.inf)

    def __init__(self, mean: float, sd: float):
        _finite("InvGamma", mean=mean, sd=sd)
        _check(mean > 0, "InvGamma", f"mean={mean!r} must be positive")
        _check(sd > 0, "InvGamma", f"sd={sd!r} must be positive")
        self.mean, self.sd = float(mean), float(sd)
        self.shape = 2 + self.mean**2 / self.sd**2
        self.scale = self.mean * (self.shape - 1)
        self._c = self.shape * math.log(self.scale) - math.lgamma(self.shape)

    def _args(self) -> dict:
        return {"mean": self.mean, "sd": self.sd}

    def logpdf(self, x: float) -> float:
        if not x > 0 or not math.isfinite(x):
            return -math.inf
        return self._c - (self.shape + 1) * math.log(x) - self.scale / x

    def rvs(self, rng, size=None):
        return self.scale / rng.gamma(self.shape, 1.0, size)


class Beta(Prior):
    """Beta prior on (0, 1) with the given mean and sd (``sd^2 < mean (1 - mean)``)."""

    support = (0.0, 1.0)

    def __init__(self, mean: float, sd: float):
        _finite("Beta", mean=mean, sd=sd)
        _check(0 < mean < 1, "Beta", f"mean={mean!r} must lie in (0, 1)")
        _check(sd > 0, "Beta", f"sd={sd!r} must be positive")
        _check(
            sd**2 < mean * (1 - mean),
            "Beta",
            f"sd={sd!r} is too large for mean={mean!r}; sd must be below "
            f"sqrt(mean (1 - mean)) = {math.sqrt(mean * (1 - mean)):.4g}",
        )
        self.mean, self.sd = float(mean), float(sd)
        nu = self.mean * (1 - self.mean) / self.sd**2 - 1
        self.a, self.b = self.mean * nu, (1 - self.mean) * nu
        self._c = math.lgamma(self.a + self.b) - math.lgamma(self.a) - math.lgamma(self.b)

    def _args(self) -> dict:
        return {"mean": self.mean, "sd": self.sd}

    def logpdf(self, x: float) -> float:
        if not 0 < x < 1:
            return -math.inf
        return self._c + (self.a - 1) * math.log(x) + (self.b - 1) * math.log1p(-x)

    def rvs(self, rng, size=None):
        return rng.beta(self.a, self.b, size)


class Uniform(Prior):
    """Uniform prior on [lower, upper]."""

    def __init__(self, lower: float, upper: float):
        _finite("Uniform", lower=lower, upper=upper)
        _check(lower < upper, "Uniform", f"lower={lower!r} must be below upper={upper!r}")
        self.lower, self.upper = float(lower), float(upper)
        self.support = (self.lower, self.upper)
        self.mean = 0.5 * (self.lower + self.upper)
        self.sd = (self.upper - self.lower) / math.sqrt(12)

    def _args(self) -> dict:
        return {"lower": self.lower, "upper": self.upper}

    def in_support(self, x: float) -> bool:
        return self.lower <= x <= self.upper

    def logpdf(self, x: float) -> float:
        if not self.lower <= x <= self.upper:
            return -math.inf
        return -math.log(self.upper - self.lower)

    def rvs(self, rng, size=None):
        return rng.uniform(self.lower, self.upper, size)


class Priors(Mapping):
    """An ordered set of priors, one keyword per estimated parameter.

    ``Priors(rho_Z=Beta(0.5, 0.2), sigma_Z=InvGamma(0.01, 0.01))``. The order of the
    keywords is the order of theta in every estimation function.

    Examples
    --------
    >>> p = Priors(rho=Beta(mean=0.5, sd=0.2), phi=Normal(1.5, 0.25))
    >>> p.names
    ['rho', 'phi']
    >>> round(p.logpdf([0.5, 1.5]), 4)
    1.0233
    """

    def __init__(self, priors: Mapping[str, Prior] | None = None, **kwargs: Prior):
        d = dict(priors or {})
        d.update(kwargs)
        if not d:
            raise PriorError("Priors: give at least one parameter, e.g. Priors(rho=Beta(0.5, 0.2))")
        for k, p in d.items():
            if not isinstance(p, Prior):
                raise PriorError(
                    f"Priors: the prior of {k!r} is {p!r}, not a prior such as Normal(0, 1)"
                )
        self._d = d

    def __getitem__(self, k: str) -> Prior:
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        lines = [f"    {k}={p!r}," for k, p in self._d.items()]
        return "Priors(\n" + "\n".join(lines) + "\n)"

    @property
    def names(self) -> list[str]:
        return list(self._d)

    def logpdf(self, theta: Sequence[float]) -> float:
        """Sum of the log densities; ``-inf`` if any value lies outside its support."""
        total = 0.0
        for p, x in zip(self._d.values(), theta):
            lp = p.logpdf(float(x))
            if lp == -math.inf:
                return -math.inf
            total += lp
        return total

    def in_support(self, theta: Sequence[float]) -> bool:
        return all(p.in_support(float(x)) for p, x in zip(self._d.values(), theta))

    def bounds(self) -> list[tuple[float | None, float | None]]:
        """Supports as optimiser bounds (None for infinite)."""
        return [
            (None if not math.isfinite(lo) else lo, None if not math.isfinite(hi) else hi)
            for lo, hi in (p.support for p in self._d.values())
        ]

    def rvs(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draws (size, n_params) from the priors."""
        return np.column_stack([p.rvs(rng, size) for p in self._d.values()])
