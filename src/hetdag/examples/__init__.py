"""Example models on small grids, reused by tests, notebooks and the command line.

Each module builds one model (rbc, nk, krusell_smith, hank, two_asset) from the
public API. May import anything in hetdag; nothing in hetdag imports them.
"""

EXAMPLES = ("rbc", "nk", "krusell_smith", "hank", "two_asset")
