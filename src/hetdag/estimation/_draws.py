"""Posterior draws: summaries, effective sample sizes, trace and corner plots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from ..results._results import _pandas as _pandas


def effective_sample_size(chains: NDArray[np.float64]) -> float:
    """ESS of one parameter's draws ``chains`` (n_draws, n_chains).

    Autocorrelations averaged over chains, normalised by the pooled variance (Gelman et
    al., BDA3 ch. 11), summed in pairs until a pair turns negative (Geyer 1992).
    """
    x = np.asarray(chains, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    n, m = x.shape
    if n < 4:
        return float(n * m)
    xc = x - x.mean(axis=0)
    size = 2 * n
    f = np.fft.rfft(xc, n=size, axis=0)
    acov = np.fft.irfft(f * f.conj(), n=size, axis=0)[:n] / n  # (n, m)
    W = acov[0].mean() * n / (n - 1)
    B_over_n = x.mean(axis=0).var(ddof=1) if m > 1 else 0.0
    var_plus = W * (n - 1) / n + B_over_n
    if not var_plus > 0:
        return float(n * m)
    rho = 1 - (W - acov.mean(axis=1)) / var_plus
    rho[0] = 1.0
    tau = -1.0
    for t in range(0, n - 1, 2):
        pair = rho[t] + rho[t + 1]
        if pair < 0:
            break
        tau += 2 * pair
    return float(n * m / max(tau, 1e-12))


class Draws:
    """Posterior draws ``chains[draw, chain, parameter]`` after burn-in and thinning.

    Attributes: ``names``, ``chains``, ``log_posterior`` (draw, chain), ``acceptance``
    (per chain), ``method``. ``samples`` flattens chains: (n_draws * n_chains, n_params).
    """

    def __init__(
        self,
        chains: NDArray[np.float64],
        names: Sequence[str],
        log_posterior: NDArray[np.float64],
        acceptance: NDArray[np.float64],
        method: str,
    ):
        self.chains = np.asarray(chains, dtype=float)
        self.names = list(names)
        self.log_posterior = np.asarray(log_posterior, dtype=float)
        self.acceptance = np.atleast_1d(np.asarray(acceptance, dtype=float))
        self.method = method

    def __repr__(self) -> str:
        n, m, d = self.chains.shape
        return (
            f"<Draws {self.method}: {n} draws x {m} chains of {self.names}; acceptance "
            f"{self.acceptance.mean():.2f}>"
        )

    def __getitem__(self, name: str) -> NDArray[np.float64]:
        return self.chains[:, :, self.names.index(name)].ravel()

    @property
    def samples(self) -> NDArray[np.float64]:
        return self.chains.reshape(-1, len(self.names))

    @property
    def mean(self) -> dict[str, float]:
        return dict(zip(self.names, self.samples.mean(axis=0).tolist()))

    @property
    def sd(self) -> dict[str, float]:
        return dict(zip(self.names, self.samples.std(axis=0, ddof=1).tolist()))

    def quantile(self, q: float | Sequence[float]) -> NDArray[np.float64]:
        return np.quantile(self.samples, q, axis=0)

    def ess(self) -> dict[str, float]:
        """Effective sample size per parameter."""
        return {p: effective_sample_size(self.chains[:, :, j]) for j, p in enumerate(self.names)}

    def to_frame(self):
        """pandas DataFrame, one row per draw: ``chain``, ``draw``, each parameter and
        ``log_posterior``."""
        pd = _pandas()
        n, m, d = self.chains.shape
        df = pd.DataFrame(self.chains.transpose(1, 0, 2).reshape(-1, d), columns=self.names)
        df.insert(0, "draw", np.tile(np.arange(n), m))
        df.insert(0, "chain", np.repeat(np.arange(m), n))
        df["log_posterior"] = self.log_posterior.T.ravel()
        return df

    def summary(self, quantiles: Sequence[float] = (0.05, 0.5, 0.95), truth=None):
        """pandas DataFrame per parameter: mean, sd, quantiles, ESS, acceptance (and truth)."""
        pd = _pandas()
        qs = self.quantile(list(quantiles))
        cols = {"mean": self.mean, "sd": self.sd}
        for q, row in zip(quantiles, qs):
            cols[f"q{100 * q:g}"] = dict(zip(self.names, row.tolist()))
        cols["ess"] = self.ess()
        cols["acceptance"] = dict.fromkeys(self.names, float(self.acceptance.mean()))
        if truth is not None:
            cols["truth"] = {p: float(truth[p]) for p in self.names if p in truth}
        return pd.DataFrame(cols)

    def plot_trace(self, truth: Mapping[str, float] | None = None, names=None, figsize=None):
        """One panel per parameter: every chain against the draw index."""
        import matplotlib.pyplot as plt

        names = self.names if names is None else list(names)
        fig, axes = plt.subplots(
            len(names), 1, figsize=figsize or (7, 1.6 * len(names)), sharex=True, squeeze=False
        )
        m = self.chains.shape[1]
        for ax, p in zip(axes[:, 0], names):
            j = self.names.index(p)
            ax.plot(self.chains[:, :, j], lw=0.5, alpha=max(0.15, 1 / m), color="C0")
            if truth is not None and p in truth:
                ax.axhline(truth[p], color="C3", lw=1.2, label="truth")
            ax.set_ylabel(p)
        axes[-1, 0].set_xlabel("draw")
        fig.tight_layout()
        return fig

    def plot_corner(
        self,
        truth: Mapping[str, float] | None = None,
        names=None,
        bins: int = 30,
        figsize=None,
    ):
        """Corner plot: histograms on the diagonal, pairwise 2-D histograms below it."""
        import matplotlib.pyplot as plt

        names = self.names if names is None else list(names)
        d = len(names)
        X = self.samples[:, [self.names.index(p) for p in names]]
        fig, axes = plt.subplots(d, d, figsize=figsize or (1.9 * d + 1, 1.9 * d + 1), squeeze=False)
        for i in range(d):
            for j in range(d):
                ax = axes[i, j]
                if j > i:
                    ax.set_visible(False)
                    continue
                if i == j:
                    ax.hist(X[:, i], bins=bins, color="C0", alpha=0.7, density=True)
                    if truth is not None and names[i] in truth:
                        ax.axvline(truth[names[i]], color="C3", lw=1.2)
                    ax.set_yticks([])
                else:
                    ax.hist2d(X[:, j], X[:, i], bins=bins, cmap="Blues")
                    if truth is not None and names[i] in truth and names[j] in truth:
                        ax.plot(truth[names[j]], truth[names[i]], "o", color="C3", ms=4)
                if i == d - 1:
                    ax.set_xlabel(names[j])
                else:
                    ax.set_xticklabels([])
                if j == 0 and i > 0:
                    ax.set_ylabel(names[i])
                elif j > 0:
                    ax.set_yticklabels([])
        fig.tight_layout()
        return fig
