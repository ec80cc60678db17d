"""Reusable scratch arrays for large intermediates that die within one call.

Freshly mapped memory is zeroed by the kernel on first touch, one page fault per 4 KiB
(about 1.5 us each here): the ~19 MB of intermediates of a Krusell-Smith Jacobian at
T = 300 cost ~4,800 faults, ~7 ms of ~35 ms. Buffers kept between calls are touched
already. They are kept per thread, so that threads never share one, and only up to a
total of ``Scratch.cap`` bytes (80 MiB: all of Krusell-Smith's and one-asset HANK's at
T = 300), so that large problems, where faults are a small share of the work, do not
pin their intermediates after the call. (At 192 MiB the peak memory of steady state +
Jacobian + G at T = 1000 grew by 0.16 GiB for Krusell-Smith.)
"""

from __future__ import annotations

import threading

import numpy as np

_LOCAL = threading.local()


class Scratch:
    """Flat float64 buffers by role; :meth:`array` returns a view of the requested shape.

    A caller must not let such a view outlive its use: the next request for the same
    role (in this thread) overwrites it. Each use (e.g. one Jacobian) starts with
    :meth:`begin`; a buffer that does not fit under the cap evicts the ones the current
    use has not asked for (left by an earlier, differently sized problem), never the
    current use's own.
    """

    cap = 80 * 2**20  # bytes kept per thread

    def __init__(self) -> None:
        self._buf: dict[str, np.ndarray] = {}
        self._used: set[str] = set()

    def begin(self) -> None:
        """Start a use: buffers it does not ask for become evictable."""
        self._used = set()

    def array(self, role: str, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised float64 array of ``shape``, reusing the role's buffer."""
        size = int(np.prod(shape))
        self._used.add(role)
        buf = self._buf.get(role)
        if buf is None or buf.size < size:
            self._buf.pop(role, None)
            buf = np.empty(size)
            if self.nbytes() + buf.nbytes > self.cap:
                for stale in [k for k in self._buf if k not in self._used]:
                    del self._buf[stale]
            if self.nbytes() + buf.nbytes <= self.cap:
                self._buf[role] = buf
        return buf[:size].reshape(shape)

    def nbytes(self) -> int:
        return sum(b.nbytes for b in self._buf.values())

    def clear(self) -> None:
        self._buf.clear()


def thread_scratch() -> Scratch:
    """This thread's :class:`Scratch`."""
    s = getattr(_LOCAL, "scratch", None)
    if s is None:
        s = _LOCAL.scratch = Scratch()
    return s


def empty(scratch: Scratch | None, role: str, shape: tuple[int, ...]) -> np.ndarray:
    """``scratch.array(role, shape)``, or a fresh ``np.empty(shape)`` without scratch."""
    return np.empty(shape) if scratch is None else scratch.array(role, shape)
