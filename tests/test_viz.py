"""The graph pictures: DOT source checked structurally, real rendering with dot, the text tree."""

import html
import re
import shutil
import subprocess
from xml.etree import ElementTree

import pytest

import autograd
import nn
from autograd import GraphvizNotFoundError, Value, draw, render, to_dot, topological_order, tree, walkthrough
from autograd.dot_source import record_escape
from autograd.scene import kind
from graphs import UserNet, neuron

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


def box(source, title):
    """The DOT lines of the box titled title, from its first line to its closing brace."""
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if f'{{ label="{title}";' in line)
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == " " * indent + "}")
    return "\n".join(lines[start:end + 1])


def test_an_mlp_is_boxed_by_the_scopes_nn_recorded_layer_then_neuron():
    model = nn.MLP(2, [3, 1], seed=0)
    loss = nn.mse_loss(model([Value(0.5, label="x0"), Value(-1.0, label="x1")]), 1.0)
    source = to_dot(loss)
    layer0 = box(source, "layers.0")
    for neuron_index in range(3):
        assert f'label="layers.0.neurons.{neuron_index}"' in layer0  # a box inside the layer's box
    neuron = box(source, "layers.1.neurons.0")
    assert 'tooltip="layers.1.neurons.0.w.2"' in neuron and 'label="dot"' in neuron
    assert 'tooltip="layers.0.' not in neuron
    assert 'tooltip="x0"' not in layer0  # the inputs are nobody's


def test_a_users_module_is_boxed_by_its_own_attribute_names():
    model = UserNet(width=2)
    model.parameters()
    source = to_dot(model([1.0, 2.0]))
    assert 'label="enc.0.1"' in box(source, "enc.0")  # the Linear's second row inside the Linear
    assert 'tooltip="head.weight.0.1"' in box(source, "head.0")
    assert "enc.1.0" not in box(source, "enc.0")  # the module's own parameters are drawn outside its parts


@pytest.mark.parametrize("label", ['a|b', "{x}", "<y>", 'say "hi"', "back\\slash", "two\nlines"])
def test_record_labels_escape_graphviz_syntax(label):
    escaped = record_escape(label)
    assert not re.search(r'(?<!\\)[|{}<>"]', escaped.replace("\\\\", ""))


@needs_dot
@pytest.mark.parametrize("label", ['a|b{c}<d>"e', "<y>", "back\\slash", "x.y z"])
@pytest.mark.parametrize("source", [to_dot, lambda root: draw(root).source])
def test_dot_shows_awkward_labels_literally(label, source):
    pytest.importorskip("graphviz", reason="draw needs the graphviz package: .venv/bin/pip install graphviz")
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
    graphviz = pytest.importorskip("graphviz", reason="draw needs the graphviz package: .venv/bin/pip install graphviz")
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
    pytest.importorskip("graphviz", reason="draw needs the graphviz package: .venv/bin/pip install graphviz")
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
        "    │   ├── [4] x1w1 = x1·w1  data -6.0  grad 0.5  (op *)",
        "    │   │   ├── x1  data 2.0  grad -1.5  (leaf)",
        "    │   │   └── w1  data -3.0  grad 1.0  (leaf)",
        "    │   └── [5] x2w2 = x2·w2  data 0.0  grad 0.5  (op *)",
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


# ---- a label is only ever text --------------------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "<b>, URL=<javascript:alert(document.domain)>, target=<_top>",
    "<b>] evil [label=<INJECTED> shape=<box>",
    "<script>alert(1)</script>",
]
CONTROL = "a\x00\x01\x0b\x0c\x1b\x7f\ufffe\uffff\ud800z"
CONTROL_SHOWN = r"a\x00\x01\x0b\x0c\x1b\x7f\ufffe\uffff\ud800z"


def svg_of(source):
    """The SVG dot draws from DOT source, parsed as XML (so it must be well-formed)."""
    svg = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True, check=True).stdout
    return svg.decode("utf-8"), ElementTree.fromstring(svg)


def texts(tree_):
    return [element.text for element in tree_.iter(f"{SVG_NS}text")]


@needs_dot
@pytest.mark.parametrize("label", HOSTILE)
@pytest.mark.parametrize("source", [to_dot, lambda root: draw(root).source], ids=["to_dot", "draw"])
def test_hostile_labels_stay_text_no_link_no_extra_node(label, source):
    pytest.importorskip("graphviz", reason="draw needs the graphviz package: .venv/bin/pip install graphviz")
    svg, parsed = svg_of(source(Value(2.0, label=label) * 3))
    assert not [key for element in parsed.iter() for key in element.attrib if key.endswith("href")]  # no link
    assert len([g for g in parsed.iter(f"{SVG_NS}g") if g.get("class") == "node"]) == 3  # x, op, result
    assert label in texts(parsed)


@needs_dot
@pytest.mark.parametrize("source", [to_dot, lambda root: draw(root).source], ids=["to_dot", "draw"])
def test_an_entity_in_a_label_is_shown_as_typed(source):
    pytest.importorskip("graphviz", reason="draw needs the graphviz package: .venv/bin/pip install graphviz")
    _, parsed = svg_of(source(Value(1.0, label="&lt;b&gt; & co") + 1))
    assert "&lt;b&gt; & co" in texts(parsed)


def test_control_characters_are_shown_as_escapes_in_dot_and_the_tree():
    y = Value(2.0, label=CONTROL) * 3
    source = to_dot(y)
    assert CONTROL_SHOWN.replace("\\", "\\\\") in source
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff\ud800-\udfff]", source)
    source.encode("utf-8")  # no lone surrogate left
    assert CONTROL_SHOWN in tree(y)


@needs_dot
@pytest.mark.parametrize("source", [to_dot, lambda root: draw(root).source], ids=["to_dot", "draw"])
def test_control_characters_give_well_formed_svg(source):
    pytest.importorskip("graphviz", reason="draw needs the graphviz package: .venv/bin/pip install graphviz")
    _, parsed = svg_of(source(Value(2.0, label=CONTROL) * 3))
    assert CONTROL_SHOWN in texts(parsed)


@needs_dot
def test_render_writes_well_formed_svg_for_control_characters(tmp_path):
    path = render(Value(2.0, label=CONTROL) * 3, tmp_path / "c.svg")
    assert CONTROL_SHOWN in texts(ElementTree.parse(path).getroot())


@pytest.mark.parametrize("use_dot", [pytest.param(True, marks=needs_dot), False], ids=["dot", "own layout"])
def test_the_walkthrough_page_shows_control_characters_as_escapes(tmp_path, monkeypatch, use_dot):
    if not use_dot:
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    page = walkthrough(Value(2.0, label=CONTROL) * 3, tmp_path / "c.html").read_text(encoding="utf-8")
    assert CONTROL_SHOWN in html.unescape(page)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]", page)


@needs_dot
def test_a_label_longer_than_dot_accepts_is_shortened_in_pictures(tmp_path):
    y = Value(1.0, label="a" * 20_000) * 2
    svg_text = render(y, tmp_path / "long.svg").read_text()
    assert "a" * 39 + "…" + "a" * 39 in svg_text
    assert "a" * 20_000 in tree(y)  # the text picture keeps it whole


# ---- readable pictures of reused values ----------------------------------------------------


def test_an_operand_used_many_times_by_one_op_is_one_arrow_with_a_count():
    x = Value(1.0, label="x")
    s = autograd.sum([x] * 100)
    s.label = "s"
    s.backward()
    _, edges = parse_dot(to_dot(s, show_contributions=True))
    assert [attrs["label"] for tail, _, attrs in edges if tail == "n0"] == ["∂s/∂x = 1.0 ×100\\n1.0 × 1.0 × 100 = 100.0"]


def test_different_local_derivatives_of_one_operand_are_summed_on_its_arrow():
    x = Value(2.0, label="x")
    y = autograd.dot([x, x, Value(3.0, label="w")], [x, Value(1.0, label="u"), x])
    y.label = "y"
    _, edges = parse_dot(to_dot(y))
    assert [attrs["label"] for tail, _, attrs in edges if tail == "n0"] == ["∂y/∂x: 4 uses, together 8.0"]


def test_a_far_operand_is_drawn_again_next_to_its_use():
    x = Value(1.0, label="x")
    y = x
    for _ in range(99):  # x + x + ... + x, 100 terms, as the command line builds it
        y = y + x
    nodes, edges = parse_dot(to_dot(y))
    copies = {nid: attrs for nid, attrs in nodes.items() if re.fullmatch(r"n0r\d+", nid)}
    assert len(copies) == 96  # the first uses stay near x and point at it
    assert {attrs["label"] for attrs in copies.values()} == {"x (reused)"}
    assert {attrs["fillcolor"] for attrs in copies.values()} == {nodes["n0"]["fillcolor"]}
    for nid in copies:
        assert [(tail, head) for tail, head, _ in edges if tail == nid] == [(nid, "op" + nid[3:])]
    assert sum(1 for tail, _, _ in edges if tail == "n0") == 4  # x + x twice, then the next two


def test_a_short_reuse_keeps_its_arrows():
    x = Value(3.0, label="x")
    nodes, _ = parse_dot(to_dot(x * x * x + x))
    assert not any("r" in nid for nid in nodes)


# ---- max_nodes means the same everywhere ---------------------------------------------------


def chain(n):
    y = Value(1.0, label="x")
    for _ in range(n - 1):
        y = y * 1.0
    return y


@pytest.mark.parametrize("no_limit", [None, 0])
def test_max_nodes_none_or_0_means_no_limit(no_limit):
    assert to_dot(chain(600), max_nodes=no_limit).startswith("digraph")


@pytest.mark.parametrize("func", [to_dot, draw, lambda root, max_nodes: render(root, "x.svg", max_nodes=max_nodes),
                                  lambda root, max_nodes: walkthrough(root, "x.html", max_nodes=max_nodes)])
def test_a_negative_max_nodes_is_an_error(func):
    with pytest.raises(ValueError, match=r"max_nodes must be 0 or more \(0 or None: no limit\), got -1"):
        func(chain(3), max_nodes=-1)


def test_too_many_arrows_are_refused_like_too_many_nodes():
    xs = [Value(1.0, label=f"x{i}") for i in range(40)]
    root = autograd.sum([autograd.dot(xs, xs[i:] + xs[:i]) for i in range(40)])  # 81 nodes, 3,240 arrows
    with pytest.raises(ValueError, match=r"3240 arrows from values into operations, more than 4 × max_nodes = 2000"):
        to_dot(root)
    assert to_dot(root, max_nodes=None).count(" -> ") == 3240 + 41


# ---- without dot ---------------------------------------------------------------------------


def test_graphviz_not_found_is_a_few_short_lines(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizNotFoundError) as error:
        render(neuron(), tmp_path / "g.svg")
    lines = str(error.value).splitlines()
    assert lines[0] == f"render: Graphviz's `dot` program is not installed (or not on PATH), so {tmp_path / 'g.svg'} was not drawn."
    assert lines[1] == f"The graph's DOT source is saved in {tmp_path / 'g.dot'}."
    assert lines[2] == f"With Graphviz installed: dot -Tsvg {tmp_path / 'g.dot'} -o {tmp_path / 'g.svg'}"
    assert "  Debian/Ubuntu:  sudo apt-get install graphviz" in lines
    assert "Then call render again" not in str(error.value)
    assert all(len(line) < 100 + len(str(tmp_path)) * 2 for line in lines)
