"""Small Krusell–Smith and HANK steady states shared by the HA-block tests.

The fixtures are session-scoped and must be treated as read-only: tests that solve a
steady state again (which updates a block's warm start) build their own model.
"""

import pytest

from hetdag.examples import hank, krusell_smith

N_E, N_A = 3, 60


@pytest.fixture(scope="session")
def ks_ex():
    return krusell_smith.example(N_E, N_A)


@pytest.fixture(scope="session")
def hank_ex():
    return hank.example(N_E, N_A)
