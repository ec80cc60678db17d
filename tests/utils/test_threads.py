"""The worker threads that run GIL-free kernels side by side."""

import os
import threading

import pytest

from hetdag.utils import _threads


def test_results_in_task_order_with_more_tasks_than_cpus():
    tasks = [lambda k=k: (k, threading.current_thread().name) for k in range(7)]
    got = _threads.in_threads(tasks)
    assert [k for k, _ in got] == list(range(7))
    assert got[0][1] == threading.current_thread().name  # the caller runs the first


def test_first_exception_in_task_order_propagates():
    def bad(msg):
        raise ValueError(msg)

    with pytest.raises(ValueError, match="second"):
        _threads.in_threads([lambda: 1, lambda: bad("second"), lambda: bad("third")])


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux only")
def test_workers_are_pinned_one_per_cpu():
    allowed = os.sched_getaffinity(0)
    workers = _threads._workers()
    assert sorted(workers) == sorted(allowed)
    assert os.sched_getaffinity(0) == allowed  # the caller's thread is never pinned
    if os.environ.get("HETDAG_PIN_THREADS", "1") != "0":
        for c, ex in workers.items():
            assert ex.submit(os.sched_getaffinity, 0).result() == {c}


def _two_tasks():
    return _threads.in_threads([lambda: 1, lambda: 2])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_forked_child_starts_its_own_workers():
    """The parent's worker threads do not exist in a forked child; submitting to their
    executors there would wait forever."""
    import multiprocessing

    assert _two_tasks() == [1, 2]  # the parent has workers now
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_two_tasks).get(timeout=60) == [1, 2]
