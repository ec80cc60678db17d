"""The README's code example runs as written."""

import pathlib
import re

import matplotlib

matplotlib.use("Agg")

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(tmp_path):
    import runpy

    import matplotlib.pyplot as plt

    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    # a real file, as a user would run it: blocks read their source with inspect
    script = tmp_path / "readme_example.py"
    script.write_text(blocks[0])
    namespace = runpy.run_path(str(script))
    irf, path = namespace["irf"], namespace["path"]
    # a 1% shock: linear and nonlinear differ at second order (~0.2% here)
    assert abs(irf["K"][5] - path["K"][5]) < 1e-2 * abs(irf["K"][5])
    assert path.internals["household"]["D"].shape[0] == 300
    plt.close("all")
