"""Priors against scipy.stats; out of support is -inf; bad parameters raise."""

import math

import numpy as np
import pytest
from scipy import stats

from hetdag.estimation import Beta, Gamma, InvGamma, Normal, PriorError, Priors, Uniform


def scipy_equivalent(prior):
    m, s = getattr(prior, "mean", None), getattr(prior, "sd", None)
    if isinstance(prior, Normal):
        return stats.norm(m, s)
    if isinstance(prior, Gamma):
        return stats.gamma(a=m**2 / s**2, scale=s**2 / m)
    if isinstance(prior, InvGamma):
        a = 2 + m**2 / s**2
        return stats.invgamma(a=a, scale=m * (a - 1))
    if isinstance(prior, Beta):
        nu = m * (1 - m) / s**2 - 1
        return stats.beta(m * nu, (1 - m) * nu)
    return stats.uniform(prior.lower, prior.upper - prior.lower)


PRIORS = [
    Normal(1.5, 0.25),
    Gamma(0.5, 0.2),
    InvGamma(0.01, 0.02),
    Beta(0.6, 0.2),
    Uniform(-1.0, 3.0),
]


@pytest.mark.parametrize("prior", PRIORS, ids=repr)
def test_density_matches_scipy(prior):
    ref = scipy_equivalent(prior)
    xs = ref.ppf([0.01, 0.2, 0.5, 0.8, 0.99])
    for x in xs:
        assert prior.logpdf(x) == pytest.approx(ref.logpdf(x), rel=1e-12, abs=1e-12)
    assert ref.mean() == pytest.approx(prior.mean, rel=1e-12)
    assert ref.std() == pytest.approx(prior.sd, rel=1e-12)
    draws = prior.rvs(np.random.default_rng(0), 20_000)
    assert stats.kstest(draws, ref.cdf).pvalue > 1e-3


@pytest.mark.parametrize(
    "prior, outside",
    [
        (Gamma(0.5, 0.2), [-1.0, 0.0, math.inf]),
        (InvGamma(0.01, 0.02), [-0.1, 0.0]),
        (Beta(0.6, 0.2), [-0.1, 0.0, 1.0, 1.5]),
        (Uniform(-1.0, 3.0), [-1.01, 3.01]),
        (Normal(0, 1), [math.nan]),
    ],
    ids=repr,
)
def test_outside_support_is_minus_inf(prior, outside):
    for x in outside:
        assert prior.logpdf(x) == -math.inf


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Normal(0, -1), "Normal prior: sd=-1 must be positive"),
        (lambda: Gamma(-0.5, 0.1), "Gamma prior: mean=-0.5 must be positive"),
        (lambda: InvGamma(0.1, 0), "InvGamma prior: sd=0 must be positive"),
        (lambda: Beta(1.2, 0.1), r"Beta prior: mean=1.2 must lie in \(0, 1\)"),
        (lambda: Beta(0.5, 0.6), "Beta prior: sd=0.6 is too large for mean=0.5"),
        (lambda: Uniform(2, 1), "Uniform prior: lower=2 must be below upper=1"),
        (lambda: Normal(math.nan, 1), "Normal prior: mean=nan must be a finite number"),
        (lambda: Priors(rho=0.5), "the prior of 'rho' is 0.5"),
    ],
)
def test_invalid_parameters_raise_naming_them(make, match):
    with pytest.raises(PriorError, match=match):
        make()
    assert issubclass(PriorError, ValueError)


def test_prior_set_sums_and_prints_one_line_per_parameter():
    p = Priors(rho=Beta(0.5, 0.2), phi=Normal(1.5, 0.25), sigma=InvGamma(0.01, 0.01))
    x = [0.3, 1.2, 0.02]
    want = sum(scipy_equivalent(q).logpdf(v) for q, v in zip(p.values(), x))
    assert p.logpdf(x) == pytest.approx(want, rel=1e-12)
    assert p.logpdf([1.3, 1.2, 0.02]) == -math.inf
    assert repr(p).splitlines()[1:4] == [
        "    rho=Beta(mean=0.5, sd=0.2),",
        "    phi=Normal(mean=1.5, sd=0.25),",
        "    sigma=InvGamma(mean=0.01, sd=0.01),",
    ]
    assert p.bounds() == [(0.0, 1.0), (None, None), (0.0, None)]
