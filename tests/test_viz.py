"""The graph pictures: DOT source checked structurally, real rendering with dot, the text tree."""

import re
import shutil
import subprocess

import pytest

import nn
from autograd import GraphvizNotFoundError, Value, draw, render, to_dot, topological_order, tree
from autograd.viz import kind, record_escape
from graphs import neuron

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed: apt-get install graphviz")



ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_dot(source):
    """{node id: attrs} and [(tail, head, attrs)] from to_dot's output (one statement per line)."""
    nodes, edges = {}, []
    for line in source.splitlines():
        edge = re.fullmatch(r"\s*(\w+) -> (\w+)(?: \[(.*)\])?;", line)
        node = re.fullmatch(r"\s*(\w+) \[(.*)\];", line)
        if edge:
            edges.append((edge[1], edge[2], dict(ATTR.findall(edge[3] or ""))))
        elif node and node[1] not in ("node", "edge", "graph"):
            nodes[node[1]] = dict(ATTR.findall(node[2]))
    return nodes, edges


def node_id(root, value):
    return f"n{topological_order(root).index(value)}"


# ---- to_dot ---------------------------------------------------------------------------------


def test_every_value_is_a_record_with_name_data_and_grad():
    o = neuron()
    o.backward()
    nodes, _ = parse_dot(to_dot(o))
    records = {attrs["tooltip"]: attrs["label"] for attrs in nodes.values() if attrs["shape"] == "record"}
    assert records["o"] == "{ o | data 0.707107 | grad 1.0 }"
    assert records["x1"] == "{ x1 | data 2.0 | grad -1.5 }"
    assert records["n"] == "{ n | data 0.881374 | grad 0.5 }"
    assert len(records) == len(topological_order(o))


def test_one_op_node_per_operation_wired_to_its_result():
    o = neuron()
    nodes, edges = parse_dot(to_dot(o))
    ops = sorted(attrs["label"] for nid, attrs in nodes.items() if nid.startswith("op"))
    assert ops == ["*", "*", "+", "+", "tanh"]
    n_id, o_id = node_id(o, o.parents[0]), node_id(o, o)
    assert ("op" + o_id[1:], o_id, {}) in edges
    assert any(tail == n_id and head == "op" + o_id[1:] for tail, head, _ in edges)


@pytest.mark.parametrize("build, parent_edges", [
    (lambda a: a + a, 2),
    (lambda a: a * a * a, 3),
    (lambda a: (a + 1) * a, 2),
])
def test_a_reused_operand_gets_one_edge_per_use(build, parent_edges):
    a = Value(3.0, label="a")
    root = build(a)
    _, edges = parse_dot(to_dot(root))
    assert sum(1 for tail, _, _ in edges if tail == node_id(root, a)) == parent_edges


def test_a_plus_a_draws_two_arrows_each_with_its_local_derivative():
    a = Value(3.0, label="a")
    s = a + a
    s.label = "s"
    _, edges = parse_dot(to_dot(s))
    into_plus = [attrs["label"] for tail, head, attrs in edges if tail == "n0"]
    assert into_plus == ["∂s/∂a = 1.0", "∂s/∂a = 1.0"]


def test_every_edge_into_an_op_carries_the_local_derivative():
    o = neuron()
    _, edges = parse_dot(to_dot(o))
    labels = sorted(attrs["label"] for _, head, attrs in edges if attrs)
    assert labels == sorted([
        "∂o/∂n = 0.5", "∂n/∂s = 1.0", "∂n/∂b = 1.0",
        "∂s/∂x1w1 = 1.0", "∂s/∂x2w2 = 1.0",
        "∂x1w1/∂x1 = -3.0", "∂x1w1/∂w1 = 2.0", "∂x2w2/∂x2 = 1.0", "∂x2w2/∂w2 = 0.0",
    ])


def test_contributions_show_upstream_times_local_after_backward():
    o = neuron()
    o.backward()
    _, edges = parse_dot(to_dot(o, show_contributions=True))
    labels = [attrs["label"] for _, _, attrs in edges if attrs]
    assert "∂x1w1/∂x1 = -3.0\\n0.5 × -3.0 = -1.5" in labels
    assert "∂o/∂n = 0.5\\n1.0 × 0.5 = 0.5" in labels


@pytest.mark.parametrize("label, expected_kind", [
    ("layers.0.neurons.1.w.0", "parameter"),
    ("layers.2.neurons.0.b", "parameter"),
    ("w", "parameter"),
    ("w1", "parameter"),
    ("b_2", "parameter"),
    ("x1", "leaf"),
    ("width", "leaf"),
    ("", "constant"),
])
def test_leaf_kinds(label, expected_kind):
    leaf = Value(1.0, label=label)
    root = leaf * 2
    assert kind(leaf, root) == expected_kind


def test_output_parameters_inputs_and_constants_look_different():
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    y = w * x + Value(1.0)  # a Value with no label is drawn as a constant
    nodes, _ = parse_dot(to_dot(y))
    style = {kind(v, y): (nodes[node_id(y, v)].get("style"), nodes[node_id(y, v)].get("fillcolor"))
             for v in topological_order(y)}
    assert len(set(style.values())) == 5  # output, inner, parameter, leaf, constant


def test_an_mlp_is_clustered_by_layer_and_neuron():
    model = nn.MLP(2, [3, 1], seed=0)
    loss = nn.mse_loss(model([Value(0.5, label="x0"), Value(-1.0, label="x1")]), 1.0)
    source = to_dot(loss)
    assert "subgraph cluster_layer0 {" in source
    assert "subgraph cluster_layer1 {" in source
    for neuron_index in range(3):
        assert f"subgraph cluster_layer0_neuron{neuron_index} {{" in source
    layer1 = source[source.index("subgraph cluster_layer1_neuron0"):].split("\n    }")[0]
    assert 'tooltip="layers.1.neurons.0.w.2"' in layer1
    assert 'tooltip="layers.0.' not in layer1


@pytest.mark.parametrize("label", ['a|b', "{x}", "<y>", 'say "hi"', "back\\slash", "two\nlines"])
def test_record_labels_escape_graphviz_syntax(label):
    escaped = record_escape(label)
    assert not re.search(r'(?<!\\)[|{}<>"]', escaped.replace("\\\\", ""))


@needs_dot
@pytest.mark.parametrize("label", ['a|b{c}<d>"e', "<y>", "back\\slash", "x.y z"])
@pytest.mark.parametrize("source", [to_dot, lambda root: draw(root).source])
def test_dot_shows_awkward_labels_literally(label, source):
    pytest.importorskip("graphviz", reason="draw needs the graphviz package: pip install graphviz")
    a = Value(1.0, label=label)
    svg = subprocess.run(["dot", "-Tsvg"], input=source(a + 1).encode(), capture_output=True, check=True).stdout
    shown = svg.decode().replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    assert f">{label}</text>" in shown


@pytest.mark.parametrize("func", [to_dot, draw])
def test_big_graphs_are_refused_with_a_way_out(func):
    x = Value(1.0, label="x")
    y = x
    for _ in range(600):
        y = y * 1.0
    with pytest.raises(ValueError, match=r"601 value nodes, more than max_nodes=500.*max_nodes=None.*tree\(root\)"):
        func(y)
    assert "digraph" in to_dot(y, max_nodes=None)


@pytest.mark.parametrize("func", [to_dot, tree])
def test_the_root_must_be_a_value(func):
    with pytest.raises(TypeError, match=r"root must be a Value, got list"):
        func([1.0])


def test_to_dot_rejects_a_bad_rankdir():
    with pytest.raises(ValueError, match="rankdir must be one of"):
        to_dot(Value(1.0), rankdir="sideways")


# ---- draw and render ------------------------------------------------------------------------


def test_draw_returns_a_digraph_with_the_same_nodes_and_edges():
    graphviz = pytest.importorskip("graphviz", reason="draw needs the graphviz package: pip install graphviz")
    o = neuron()
    digraph = draw(o, rankdir="TB")
    assert isinstance(digraph, graphviz.Digraph)
    assert "rankdir=TB" in digraph.source
    nodes, edges = parse_dot(to_dot(o))
    for nid in nodes:
        assert re.search(rf"^\s*{nid} \[", digraph.source, re.M)
    assert digraph.source.count("->") == len(edges)


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_render_writes_the_picture(tmp_path, suffix, magic):
    o = neuron()
    o.backward()
    path = render(o, tmp_path / f"neuron{suffix}", show_contributions=True)
    assert path == tmp_path / f"neuron{suffix}"
    assert path.read_bytes().startswith(magic)


@needs_dot
def test_draw_renders_with_the_real_dot(tmp_path):
    pytest.importorskip("graphviz", reason="draw needs the graphviz package: pip install graphviz")
    svg = draw(neuron()).pipe(format="svg").decode()
    assert "tanh" in svg and "x1w1" in svg


def test_render_without_dot_writes_the_dot_file_and_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizNotFoundError) as error:
        render(neuron(), tmp_path / "graph.svg")
    message = str(error.value)
    for command in ("apt-get install graphviz", "brew install graphviz", "conda install", "winget install"):
        assert command in message
    assert str(tmp_path / "graph.dot") in message
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert not (tmp_path / "graph.svg").exists()
    assert isinstance(error.value, RuntimeError)


def test_render_needs_a_known_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"end the file name with one of \.svg, \.png, \.pdf"):
        render(neuron(), tmp_path / "graph.gif")


# ---- tree -----------------------------------------------------------------------------------


def test_tree_prints_op_data_grad_and_label():
    o = neuron()
    o.backward()
    assert tree(o) == "\n".join([
        "[1] o = tanh(n)  data 0.707107  grad 1.0  (op tanh)",
        "└── [2] n = s + b  data 0.881374  grad 0.5  (op +)",
        "    ├── [3] s = x1w1 + x2w2  data -6.0  grad 0.5  (op +)",
        "    │   ├── [4] x1w1 = x1 * w1  data -6.0  grad 0.5  (op *)",
        "    │   │   ├── x1  data 2.0  grad -1.5  (leaf)",
        "    │   │   └── w1  data -3.0  grad 1.0  (leaf)",
        "    │   └── [5] x2w2 = x2 * w2  data 0.0  grad 0.5  (op *)",
        "    │       ├── x2  data 0.0  grad 0.5  (leaf)",
        "    │       └── w2  data 1.0  grad 0.0  (leaf)",
        "    └── b  data 6.88137  grad 0.5  (leaf)",
    ])


def test_tree_prints_a_shared_subexpression_once_then_refers_to_it():
    x = Value(2.0, label="x")
    e = x.exp()
    e.label = "e"
    y = e * e + e
    lines = tree(y).splitlines()
    assert sum(1 for line in lines if "e = exp(x)" in line) == 1
    assert lines.count("│   └── e -> see [3]") == 1
    assert lines[-1] == "└── e -> see [3]"


def test_tree_continues_deep_subtrees_as_blocks_below():
    y = Value(0.5, label="x")
    for _ in range(5):
        y = y.sin()
    lines = tree(y, max_depth=2).splitlines()
    assert lines == [
        "[1] v5 = sin(v4)  data 0.417357  grad 0.0  (op sin)",
        "└── [2] v4 = sin(v3)  data 0.430535  grad 0.0  (op sin)",
        "    └── [3] v3 = sin(v2)  data 0.445085  grad 0.0  (op sin)",
        "        └── v2 -> continued below at [4]",
        "",
        "[4] v2 = sin(v1)  data 0.46127  grad 0.0  (op sin)",
        "└── [5] v1 = sin(x)  data 0.479426  grad 0.0  (op sin)",
        "    └── x  data 0.5  grad 0.0  (leaf)",
    ]


def test_tree_of_a_deep_chain_grows_linearly():
    y = Value(0.5, label="x")
    for _ in range(20_000):
        y = y.sin()
    text = tree(y)
    assert text.count("(op sin)") == 20_000
    assert len(text) < 200 * 40_000
    assert text.endswith("x  data 0.5  grad 0.0  (leaf)")
