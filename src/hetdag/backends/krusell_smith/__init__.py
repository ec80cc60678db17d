"""Krusell–Smith (1998) global solution: forecasting rule, (a, K) grid, Young histograms.

May import ``backends`` (the base and the shared accuracy and path code), ``blocks``
(public names), ``errors`` and ``utils``.
"""

from ._calibration import djj_aggregate_risk as djj_aggregate_risk
from ._calibration import djj_calibration as djj_calibration
from ._calibration import employment_transition as employment_transition
from ._household import firm_prices as firm_prices
from ._household import solve_household as solve_household
from ._rule import estimate_rule as estimate_rule
from ._simulate import den_haan_statistic as den_haan_statistic
from ._simulate import draw_aggregate_path as draw_aggregate_path
from ._simulate import rule_path as rule_path
from ._simulate import simulate_histogram as simulate_histogram
from ._simulate import simulate_histogram_reference as simulate_histogram_reference
from ._solution import KrusellSmithSolution as KrusellSmithSolution
from ._solver import KrusellSmithBackend as KrusellSmithBackend
from ._solver import solve_krusell_smith as solve_krusell_smith

__all__ = [
    "KrusellSmithBackend",
    "KrusellSmithSolution",
    "den_haan_statistic",
    "djj_aggregate_risk",
    "djj_calibration",
    "draw_aggregate_path",
    "employment_transition",
    "estimate_rule",
    "firm_prices",
    "rule_path",
    "simulate_histogram",
    "simulate_histogram_reference",
    "solve_household",
    "solve_krusell_smith",
]
