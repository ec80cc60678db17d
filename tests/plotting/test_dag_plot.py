"""draw_dag: block names and marked variables as text, one arrow per dependency, no overlaps."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import hetdag as hd  # noqa: E402
from hetdag.errors import ModelSpecError  # noqa: E402
from hetdag.examples import krusell_smith, nk, rbc  # noqa: E402
from hetdag.plotting import draw_dag  # noqa: E402


@hd.simple
def add_two(x1, x2):
    y = x1 + x2
    return y


# name, first input, second input, output: three layers of three, then a funnel
TWELVE = [
    ("b1", "Z", "U0", "v1"),
    ("b2", "U0", "U1", "v2"),
    ("b3", "Z", "U1", "v3"),
    ("b4", "v1", "v2", "v4"),
    ("b5", "v2", "v3", "v5"),
    ("b6", "v1", "v3", "v6"),
    ("b7", "v4", "v5", "v7"),
    ("b8", "v5", "v6", "v8"),
    ("b9", "v4", "v6", "v9"),
    ("b10", "v7", "v8", "v10"),
    ("b11", "v8", "v9", "v11"),
    ("b12_long_block_name", "v10", "v11", "H"),
]


def twelve_block_model():
    blocks = [add_two.remap({"x1": a, "x2": b, "y": y}).rename(n) for n, a, b, y in TWELVE]
    return hd.create_model(blocks, name="twelve")


def all_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


@pytest.fixture(scope="module")
def ks():
    return krusell_smith.example(3, 50)


@pytest.mark.parametrize("which", ["rbc", "nk", "ks", "twelve"])
def test_texts_and_edges(which, ks):
    if which == "twelve":
        model, unknowns, targets, inputs = twelve_block_model(), ["U0", "U1"], ["H"], ["Z"]
    else:
        ex = {"rbc": rbc.example, "nk": nk.example}[which]() if which != "ks" else ks
        model, unknowns, targets, inputs = ex.model, ex.unknowns, ex.targets, ex.exogenous
    fig = model.draw(unknowns=unknowns, targets=targets, inputs=inputs)
    try:
        texts = all_texts(fig)
        for b in model.blocks:
            assert b.name in texts
        for v in list(unknowns) + list(targets) + list(inputs):
            assert v in texts
        # one arrow per block-to-block dependency, each labelled with its variables
        n_deps = model.graph.number_of_edges()
        arrows = [p for p in fig.axes[0].patches if p.get_gid() == "edge"]
        assert len(arrows) == n_deps == len(fig.dag_edges)
        labels = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "edge-label"]
        assert len(labels) == n_deps
        for a, b, data in model.graph.edges(data=True):
            src, dst = model.graph.nodes[a]["name"], model.graph.nodes[b]["name"]
            assert (src, dst, data["variables"]) in fig.dag_edges
            shown = [set(lab.replace("\n", ", ").split(", ")) for lab in labels]
            assert set(data["variables"]) in shown
    finally:
        plt.close(fig)


@hd.simple
def kind_simple(x_in):
    x_mid = 2 * x_in
    return x_mid


@hd.solved(unknowns={"p_sol": 0.0}, targets=["p_res"])
def kind_solved(p_sol, x_mid):
    p_res = p_sol - x_mid
    return p_res


@hd.simple
def kind_inner(p_sol):
    q_out = p_sol + 1
    return q_out


def test_block_kinds_have_distinct_styles_and_legend(ks):
    nested = hd.create_model([kind_inner], name="nested")
    model = hd.create_model([kind_simple, kind_solved, nested], name="kinds")
    fig = draw_dag(model, inputs=["x_in"], targets=["q_out"])
    fig_ks = ks.model.draw()
    try:
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert {"simple block", "solved block", "nested model", "shock (Z)"} <= set(legend)
        legend_ks = [t.get_text() for t in fig_ks.axes[0].get_legend().get_texts()]
        assert {"heterogeneous-agent block", "simple block"} <= set(legend_ks)
        nodes = [t for f in (fig, fig_ks) for t in f.axes[0].texts if t.get_gid() == "node"]
        style = {
            t.get_text(): (
                t.get_bbox_patch().get_facecolor(),
                type(t.get_bbox_patch().get_boxstyle()).__name__,
            )
            for t in nodes
        }
        kinds = ["kind_simple", "kind_solved", "nested", "household"]
        assert len({style[k] for k in kinds}) == 4  # colour and shape differ by kind
        assert style["firm"] == style["kind_simple"] == style["mkt_clearing"]
    finally:
        plt.close(fig)
        plt.close(fig_ks)


def _assert_no_overlaps(fig, model, n_marked):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    boxes = []
    for t in ax.texts:
        if t.get_gid() in ("node", "marker"):  # the drawn box around a block name
            boxes.append((t.get_text(), t.get_bbox_patch().get_window_extent(r)))
        else:
            boxes.append((t.get_text(), t.get_window_extent(r)))
    assert len(boxes) == len(model.blocks) + n_marked + model.graph.number_of_edges()
    for (na, a), (nb, b) in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), f"labels {na!r} and {nb!r} overlap"
    fig_box = fig.bbox
    for name, bb in boxes:
        assert fig_box.x0 <= bb.x0 and bb.x1 <= fig_box.x1, name
        assert fig_box.y0 <= bb.y0 and bb.y1 <= fig_box.y1, name
    leg = ax.get_legend().get_window_extent(r)
    assert all(not leg.overlaps(bb) for _, bb in boxes)


def test_no_overlapping_labels_for_the_two_asset_model():
    # the readability case: the real two-asset HANK (11 blocks, 3 of them solved)
    from hetdag.examples import two_asset

    model = two_asset.build_model()
    assert len(model.blocks) == 11
    unknowns, targets = ["r", "w", "Y"], ["asset_mkt", "fisher", "wnkpc"]
    fig = model.draw(unknowns=unknowns, targets=targets, inputs=["rstar", "Z", "G"])
    try:
        _assert_no_overlaps(fig, model, 9)
    finally:
        plt.close(fig)


def test_no_overlapping_labels_for_twelve_blocks():
    model = twelve_block_model()
    assert len(model.blocks) == 12
    fig = model.draw(unknowns=["U0", "U1"], targets=["H", "v9"], inputs=["Z"])
    try:
        _assert_no_overlaps(fig, model, 5)
    finally:
        plt.close(fig)


def test_layout_follows_topological_generations():
    model = twelve_block_model()
    fig = model.draw(unknowns=["U0", "U1"], targets=["H"], inputs=["Z"])
    try:
        x = {t.get_text(): t.get_position()[0] for t in fig.axes[0].texts if t.get_gid()}
        assert x["Z"] == x["U0"] == x["U1"] < x["b1"] == x["b2"] == x["b3"]
        assert x["b3"] < x["b4"] < x["b7"] < x["b10"] < x["b12_long_block_name"] < x["H"]
    finally:
        plt.close(fig)


def test_draw_into_given_axes(ks):
    fig, ax = plt.subplots()
    try:
        out = draw_dag(ks.model, ax=ax)
        assert out is fig
        assert "household" in all_texts(fig)
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"unknowns": ["not_there"]}, "not_there"),
        ({"targets": ["K"]}, "K"),  # an input, not an output
        ({"inputs": ["bogus_shock"]}, "bogus_shock"),
        ({"targets": "asset_mkt", "unknowns": "KK"}, "KK"),
    ],
)
def test_bad_names_raise(ks, kwargs, name):
    with pytest.raises(ModelSpecError, match=name):
        ks.model.draw(**kwargs)


def test_shock_and_unknown_at_once(ks):
    with pytest.raises(ModelSpecError, match="both"):
        ks.model.draw(unknowns=["K"], inputs=["K"])


def test_not_a_model():
    with pytest.raises(ModelSpecError, match="create_model"):
        draw_dag(rbc.firm)


def test_importing_hetdag_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, hetdag, hetdag.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
