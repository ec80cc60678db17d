"""Example models on small grids, reused by tests, notebooks and the command line."""

EXAMPLES = ("rbc", "nk", "krusell_smith", "hank", "two_asset")
