"""Reused scratch buffers: no stale values reach a Jacobian, and the cap holds."""

import threading

import numpy as np
import pytest

from hetdag.blocks._het import _fake_news as fn
from hetdag.utils._scratch import Scratch, thread_scratch


def test_scratch_reuses_within_cap_and_not_beyond():
    s = Scratch()
    a = s.array("x", (10, 20))
    b = s.array("x", (5, 4))  # smaller: a view of the same buffer
    assert np.shares_memory(a, b)
    big = s.array("y", (s.cap // 8 + 1,))  # over the cap: fresh, not kept
    assert not np.shares_memory(big, s.array("y", (4,)))
    assert s.nbytes() <= s.cap


def test_a_new_use_evicts_only_buffers_it_has_not_asked_for():
    s = Scratch()
    s.cap = 1000  # bytes
    s.begin()
    s.array("x", (50,))  # 400 B
    s.array("y", (50,))  # 400 B
    assert s.nbytes() == 800
    s.begin()  # a larger problem: x grows to 800 B and only fits without y
    s.array("x", (100,))
    assert set(s._buf) == {"x"} and s.nbytes() == 800
    s.array("z", (50,))  # does not fit next to x, which this use holds: not kept
    assert set(s._buf) == {"x"}


def test_each_thread_has_its_own_scratch():
    got = []
    t = threading.Thread(target=lambda: got.append(thread_scratch()))
    t.start()
    t.join()
    assert got[0] is not thread_scratch()


@pytest.mark.parametrize("T", [40, 7])
def test_stale_scratch_never_reaches_the_jacobian(ks_ex, T):
    """Poison every kept buffer with NaN: an element the steps forget to write would
    show up in J. Compared with the same Jacobian computed without any kept buffer."""
    hh = next(b for b in ks_ex.model.blocks if b.kind == "het")
    scratch = thread_scratch()
    old_cap = Scratch.cap
    try:
        Scratch.cap = 0
        scratch.clear()
        ref = fn.fake_news_jacobian(hh, ks_ex.ss, ["r", "w"], T)
        Scratch.cap = old_cap
        fn.fake_news_jacobian(hh, ks_ex.ss, ["r", "w"], T + 3)  # fill larger buffers
        assert scratch.nbytes() > 0
        for buf in scratch._buf.values():
            buf[:] = np.nan
        got = fn.fake_news_jacobian(hh, ks_ex.ss, ["r", "w"], T)
    finally:
        Scratch.cap = old_cap
    for o in ref.outputs:
        for i in ("r", "w"):
            np.testing.assert_array_equal(got[o][i], ref[o][i])
