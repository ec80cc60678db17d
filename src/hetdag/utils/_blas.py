"""One BLAS thread for small dense solves.

The dense systems of the sequence space are small (H_U is 300 x 300 for Krusell-Smith
at T = 300, 900 x 900 for HANK): OpenBLAS's threads cost more in wake-ups and spinning
than they save, and on a loaded machine they wait for a core. Measured on the 2-core
machine while another process kept one core busy: Krusell-Smith's 300 x 301 solve in
G took 3-200 ms on two threads (after the fake-news product), 3.7-5.1 ms on one; idle,
2.7 ms against 3.3 ms. A 3-column solve of HANK's H_U: 600 ms against 90 ms.
"""

from __future__ import annotations

import contextlib

_CONTROLLER: list = []  # threadpoolctl's controller, found once
SMALL = 2000  # systems up to this size run on one BLAS thread


def one_blas_thread(n: int = 0):
    """Context: one BLAS thread (threadpoolctl, where installed) for a system of size
    ``n`` up to :data:`SMALL`; otherwise, or without threadpoolctl, no change."""
    if n > SMALL:
        return contextlib.nullcontext()
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
        except ImportError:  # pragma: no cover - threadpoolctl is optional
            _CONTROLLER.append(None)
    c = _CONTROLLER[0]
    return contextlib.nullcontext() if c is None else c.limit(limits=1, user_api="blas")
