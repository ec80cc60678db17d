"""Determinacy check: the winding number of H_U's asymptotic Toeplitz symbol.

Far from the edges of the horizon, H_U is block Toeplitz: the response of target i
at t+k to unknown j at t is A_k[i, j], independent of t. The symbol is
``A(λ) = sum_k A_k λ^k`` on the unit circle. Let w be the winding number of
``det A(e^{iω})`` around 0 as ω goes from 0 to 2π:

- w = 0: the linearised equilibrium exists and is unique (locally determinate);
- w > 0: a continuum of bounded equilibria (indeterminacy);
- w < 0: no bounded equilibrium.

For the scalar ``x_t - a x_{t+1}``, |a| > 1 gives w = +1 (indeterminate) and
``x_t - ρ x_{t-1}``, |ρ| > 1 gives w = -1 (explosive).
"""

from __future__ import annotations

import numpy as np

from ..errors import DeterminacyWarning, IndeterminacyError
from ..utils._warnings import warn_user


def toeplitz_symbol(
    H_U: np.ndarray, n: int, T: int, n_freq: int = 2048, window: int | None = None
) -> np.ndarray:
    """det A(e^{iω}) on ``n_freq`` frequencies ω_f = 2πf/n_freq from the middle column
    of each block, keeping entries with |k| < ``window`` (all by default).

    Row s + k of column s is the coefficient of target_t on unknown_{t-k}, so
    A(ω) = sum_k col[s + k] e^{-iωk}: an FFT of the column times e^{iωs}.
    """
    s = T // 2
    ks = np.arange(-s, T - s)
    keep = np.ones(T) if window is None else (np.abs(ks) < window).astype(float)
    n_freq = max(n_freq, T)
    shift = np.exp(2j * np.pi * np.arange(n_freq) * s / n_freq)
    A = np.empty((n_freq, n, n), dtype=complex)
    for i in range(n):
        for j in range(n):
            col = H_U[i * T : (i + 1) * T, j * T + s] * keep
            A[:, i, j] = np.fft.fft(col, n_freq) * shift
    return np.linalg.det(A)


def winding_number(values: np.ndarray) -> int:
    ang = np.unwrap(np.angle(np.append(values, values[0])))
    return int(np.round((ang[-1] - ang[0]) / (2 * np.pi)))


def edge_share(H_U: np.ndarray, n: int, T: int, width: int = 5) -> float:
    """Largest |entry| within ``width`` rows of either end of H_U's middle columns,
    relative to their largest |entry|: how much of the response the horizon cuts off."""
    s = T // 2
    cols = np.stack([H_U[:, j * T + s] for j in range(n)])  # (n, n*T)
    peak = float(np.max(np.abs(cols)))
    if peak == 0.0:
        return 0.0
    ends = [cols[:, i * T + k] for i in range(n) for k in (*range(width), *range(T - width, T))]
    return float(np.max(np.abs(ends))) / peak


def check_determinacy(H_U: np.ndarray, n: int, T: int, name: str) -> int:
    """Raise IndeterminacyError unless the winding number is zero; return it.

    The symbol is read off H_U's middle columns, which is exact only when their entries
    have died out inside the horizon. Heterogeneous-agent blocks respond for decades,
    so the truncated symbol can wind spuriously: a nonzero winding number raises only
    if the columns' ends are below 1e-3 of their peak and the half-width window gives
    the same number; otherwise the result is reported as a DeterminacyWarning that asks
    for a longer T.
    """
    if T < 8 or n == 0:  # no unknowns: nothing to solve, G is the model's Jacobian
        return 0
    det = toeplitz_symbol(H_U, n, T)
    w, w_half = winding_number(det), winding_number(toeplitz_symbol(H_U, n, T, window=T // 4))
    scale = np.max(np.abs(det))
    if scale == 0 or np.min(np.abs(det)) < 1e-10 * scale:
        warn_user(
            f"Model {name!r}: det of H_U's Toeplitz symbol passes near zero; the "
            "determinacy check is inconclusive (a unit root?)",
            DeterminacyWarning,
        )
        return 0
    cut = edge_share(H_U, n, T)
    if w != w_half or (w != 0 and cut > 1e-3):
        warn_user(
            f"Model {name!r}: determinacy check inconclusive at T={T}: winding number {w} "
            f"({w_half} from the half window) while H_U's columns are still {cut:.1e} of "
            "their peak at the horizon's ends; use a longer T to check determinacy",
            DeterminacyWarning,
        )
        return 0
    if w > 0:
        raise IndeterminacyError(
            f"Model {name!r} is indeterminate: the winding number of H_U's Toeplitz symbol is "
            f"{w} (0 is needed). The linearised equilibrium is not unique, e.g. a Taylor "
            "coefficient below 1. Pass check_determinacy=False to solve the truncated system "
            "anyway.",
            winding_number=w,
        )
    if w < 0:
        raise IndeterminacyError(
            f"Model {name!r} has no bounded equilibrium: the winding number of H_U's Toeplitz "
            f"symbol is {w} (0 is needed). Pass check_determinacy=False to solve the truncated "
            "system anyway.",
            winding_number=w,
        )
    return w
