"""Shared pytest configuration: ``--runslow`` enables tests marked ``slow``; shared fixtures."""

import pytest


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running tests, run with --runslow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow test; pass --runslow to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture
def count_steps():
    """``count_steps(block)`` wraps a het block's backward step; returns {"n": calls}."""

    def wrap(block) -> dict:
        calls = {"n": 0}
        f = block.f

        def counted(*args):
            calls["n"] += 1
            return f(*args)

        block.f = counted
        return calls

    return wrap
