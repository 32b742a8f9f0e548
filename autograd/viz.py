"""Pictures of a graph: DOT source, a graphviz.Digraph, files on disk, and a text tree.

Everything here reads the graph facts the engine uses for backward (``op``, ``parents``,
``local_grads``, ``data``, ``grad``, ``label``), so a picture cannot disagree with the maths.

Each value is a record ``name | data | grad``; each operation is its own small node; every
edge from an operand into an operation carries its local derivative, and ``a + a`` gets two
edges. How a value node looks depends on its kind:

- the output (the root): gold, bold border;
- a parameter: a leaf whose label is a parameter name, i.e. a dotted path such as
  ``layers.0.neurons.1.w.0`` (the names nn gives its parameters), or ``w``/``b`` optionally
  followed by digits (``w1``, ``b_2``) as in hand-built neurons: light blue;
- another labelled leaf (an input): light grey;
- an unlabelled leaf (a constant such as the ``3`` in ``3 * x``): dashed;
- any other node: white.

Values whose names start with ``layers.L.neurons.N.`` are grouped into a box per neuron inside
a box per layer, together with the nodes that neuron computes.

The graphviz Python package is imported only by ``draw``; ``to_dot`` needs nothing, and
``render`` needs only Graphviz's ``dot`` program.
"""

import re
import shutil
import subprocess
from pathlib import Path

from autograd.engine import Value, topological_order

MAX_NODES = 500

_PARAMETER_NAME = re.compile(r"^[A-Za-z_]\w*(?:\.\w+)+$|^[wb](?:_?\d+)?$")
_SIMPLE_NAME = re.compile(r"^[\w.]+$")
_NEURON_NAME = re.compile(r"^layers\.(\d+)\.neurons\.(\d+)\.")
_ACTIVATIONS = {"relu", "tanh", "sigmoid", "leaky_relu"}
_RENDER_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
_INFIX = {"+", "-", "*", "/", "**"}
# An op with one operand a plain number carries the number in its name: "*2" is x * 2,
# "1-" is 1 - x, "2**" is 2 ** x (see ops.WithConstant, PowConst, ConstantBasePow).
_NUMBER_AFTER = re.compile(r"^(\*\*|[-+*/])(.+)$")
_NUMBER_BEFORE = re.compile(r"^(.+?)(\*\*|[-+*/])$")

_STYLE = {
    "output": {"style": "filled,bold", "fillcolor": "#ffe08a", "penwidth": "2"},
    "parameter": {"style": "filled", "fillcolor": "#cfe8ff"},
    "leaf": {"style": "filled", "fillcolor": "#eeeeee"},
    "constant": {"style": "dashed", "fontcolor": "#555555"},
    "inner": {},
}


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on PATH), so no picture was made."""


# ---- graph facts shared by viz, explain and walkthrough -------------------------------------


DIGITS = 6  # significant digits fmt shows; the CLI's --digits changes it for one run


def fmt(x):
    """A float in at most DIGITS (6) significant digits, always recognisable as a float: 1.0, 0.707107."""
    text = f"{x:.{DIGITS}g}"
    if re.fullmatch(r"-?\d+", text):
        text += ".0"
    return text


def names(order):
    """Names for formulas: a node's label, or ``v<i>`` (its index in topological order) when it has none.

    A label that is more than one word or holds an operator is wrapped in parentheses, so
    ``(x1*w1 + x2*w2).grad`` reads right.
    """
    return {node: _wrap(node.label) if node.label else f"v{i}" for i, node in enumerate(order)}


def _wrap(label):
    return label if _SIMPLE_NAME.match(label) or _in_one_pair_of_brackets(label) else f"({label})"


def _in_one_pair_of_brackets(text):
    """True for "(x1*w1)", False for "(a) + (b)": the first bracket closes at the very end."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return i == len(text) - 1
    return False


def kind(node, root):
    """One of "output", "parameter", "leaf", "constant", "inner" (see the module docstring)."""
    if node is root:
        return "output"
    if node.parents:
        return "inner"
    if not node.label:
        return "constant"
    return "parameter" if _PARAMETER_NAME.match(node.label) else "leaf"


def formula(node, args):
    """How node is computed from its parents, written with the strings args (one per parent)."""
    op = node.op
    if op in _INFIX:
        return f"{args[0]} {op} {args[1]}"
    if op == "neg":
        return f"-{args[0]}"
    if len(args) == 1:
        after, before = _NUMBER_AFTER.match(op), _NUMBER_BEFORE.match(op)
        if before and _is_number(before.group(1)):
            return f"{before.group(1)} {before.group(2)} {args[0]}"
        if after and _is_number(after.group(2)):
            return f"{args[0]} {after.group(1)} {after.group(2)}"
    if op == "sum":
        return " + ".join(args)
    if op == "dot":
        n = len(args) // 2
        terms = [f"{w}*{x}" for w, x in zip(args[:n], args[n : 2 * n])]
        return " + ".join(terms + list(args[2 * n :]))
    return f"{op}({', '.join(args)})"


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_size(order, max_nodes, what):
    """Raise ValueError when the graph has more than max_nodes values (None: no limit)."""
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"{what}: this graph has {len(order)} value nodes, more than max_nodes={max_nodes}, "
            f"and Graphviz could take minutes to lay it out. To draw it anyway pass "
            f"max_nodes=None; for a quick look print tree(root) instead."
        )


def expect_value(root, func_name):
    """root itself, or a TypeError naming func_name when root is not a Value."""
    if not isinstance(root, Value):
        raise TypeError(f"{func_name}: root must be a Value, got {type(root).__name__}: {root!r}")
    return root


# ---- the graph as nodes, edges and clusters ------------------------------------------------


def _clusters(order):
    """node -> (layer, neuron) for the nodes of an nn model that belong to one neuron."""
    home = {}
    for node in order:
        if not node.parents:
            match = _NEURON_NAME.match(node.label)
            if match:
                home[node] = (int(match[1]), int(match[2]))
            continue
        owners = {home[p] for p in node.parents if not p.parents and p in home}
        if len(owners) == 1:
            home[node] = owners.pop()
        elif not owners and (node.op in _ACTIVATIONS or node.op in ("+", "sum")):
            # An activation or a running sum of one neuron's own nodes stays in that neuron.
            inner = {home.get(p) for p in node.parents if p.parents or p.label}
            if len(inner) == 1 and None not in inner:
                home[node] = inner.pop()
    return home


def _graph(root, rankdir, show_contributions, max_nodes, what):
    """The picture as plain data: (graph attrs, [(cluster key, id, attrs)], [(tail, head, attrs)])."""
    expect_value(root, what)
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"{what}: rankdir must be one of 'LR', 'RL', 'TB', 'BT', got {rankdir!r}")
    order = topological_order(root)
    check_size(order, max_nodes, what)
    name = names(order)
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    home = _clusters(order)
    nodes, edges = [], []
    for node in order:
        cluster = home.get(node)
        nid = ids[node]
        title = node.label or name[node]
        attrs = {
            "shape": "record",
            "label": "{ %s | data %s | grad %s }" % (
                record_escape(title), record_escape(fmt(node.data)), record_escape(fmt(node.grad))),
            "tooltip": title,
        }
        attrs.update(_STYLE[kind(node, root)])
        nodes.append((cluster, nid, attrs))
        if not node.parents:
            continue
        op_id = f"op{nid[1:]}"
        nodes.append((cluster, op_id, {"shape": "circle" if len(node.op) <= 2 else "ellipse",
                                        "label": node.op, "fontsize": "12", "margin": "0.02"}))
        edges.append((op_id, nid, {}))
        for parent, local in zip(node.parents, node.local_grads):
            label = f"∂{name[node]}/∂{name[parent]} = {fmt(local)}"
            if show_contributions:
                label += f"\n{fmt(node.grad)} × {fmt(local)} = {fmt(node.grad * local)}"
            edges.append((ids[parent], op_id, {"label": label, "fontsize": "10"}))
    graph_attrs = {"rankdir": rankdir, "fontname": "Helvetica"}
    return graph_attrs, nodes, edges


def record_escape(text):
    """Text made literal inside a Graphviz record label (escapes \\ | { } < > and quotes)."""
    text = re.sub(r'([\\|{}<>"])', r"\\\1", text)
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _string_escape(text):
    """Text made literal inside a DOT double-quoted string (newlines become line breaks)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _attr_list(attrs, record_label):
    parts = []
    for key, value in attrs.items():
        if key == "label" and record_label:
            # Already escaped for the record syntax; only the line breaks we added stay escapes.
            parts.append(f'{key}="{value}"')
        else:
            parts.append(f'{key}="{_string_escape(value)}"')
    return ", ".join(parts)


def _cluster_tree(nodes):
    """Group node entries by layer, then by neuron; entries outside any neuron come first."""
    loose, layers = [], {}
    for cluster, nid, attrs in nodes:
        if cluster is None:
            loose.append((nid, attrs))
        else:
            layers.setdefault(cluster[0], {}).setdefault(cluster[1], []).append((nid, attrs))
    return loose, layers


def to_dot(root, rankdir="LR", show_contributions=False, max_nodes=MAX_NODES):
    """The graph of root as Graphviz DOT source (needs neither the graphviz package nor ``dot``)."""
    return _to_dot(root, rankdir, show_contributions, max_nodes, "to_dot")


def _to_dot(root, rankdir, show_contributions, max_nodes, what):
    graph_attrs, nodes, edges = _graph(root, rankdir, show_contributions, max_nodes, what)
    lines = ["digraph chainrule {"]
    lines += [f'  {key}="{value}";' for key, value in graph_attrs.items()]
    lines.append('  node [fontname="Helvetica", fontsize="11"];')
    lines.append('  edge [fontname="Helvetica"];')

    def node_line(nid, attrs, indent):
        return f"{indent}{nid} [{_attr_list(attrs, attrs.get('shape') == 'record')}];"

    loose, layers = _cluster_tree(nodes)
    lines += [node_line(nid, attrs, "  ") for nid, attrs in loose]
    for layer, neurons in sorted(layers.items()):
        lines.append(f"  subgraph cluster_layer{layer} {{")
        lines.append(f'    label="layer {layer}"; style="rounded"; color="#888888";')
        for neuron, members in sorted(neurons.items()):
            lines.append(f"    subgraph cluster_layer{layer}_neuron{neuron} {{")
            lines.append(f'      label="neuron {neuron}"; style="rounded,dashed"; color="#aaaaaa";')
            lines += [node_line(nid, attrs, "      ") for nid, attrs in members]
            lines.append("    }")
        lines.append("  }")
    for tail, head, attrs in edges:
        extra = f" [{_attr_list(attrs, False)}]" if attrs else ""
        lines.append(f"  {tail} -> {head}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(root, rankdir="LR", show_contributions=False, max_nodes=MAX_NODES):
    """The graph of root as a ``graphviz.Digraph`` (Jupyter shows it inline); needs ``pip install graphviz``."""
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "draw needs the graphviz Python package: pip install graphviz "
            "(to_dot(root) gives the DOT source without it)"
        ) from None
    graph_attrs, nodes, edges = _graph(root, rankdir, show_contributions, max_nodes, "draw")
    dot = graphviz.Digraph("chainrule", graph_attr=graph_attrs,
                           node_attr={"fontname": "Helvetica", "fontsize": "11"},
                           edge_attr={"fontname": "Helvetica"})

    def add(graph, nid, attrs):
        attrs = dict(attrs)
        if attrs.get("shape") != "record":
            attrs["label"] = _string_escape(attrs["label"])
        attrs["tooltip"] = _string_escape(attrs["tooltip"]) if "tooltip" in attrs else None
        graph.node(nid, **{k: v for k, v in attrs.items() if v is not None})

    loose, layers = _cluster_tree(nodes)
    for nid, attrs in loose:
        add(dot, nid, attrs)
    for layer, neurons in sorted(layers.items()):
        with dot.subgraph(name=f"cluster_layer{layer}") as layer_graph:
            layer_graph.attr(label=f"layer {layer}", style="rounded", color="#888888")
            for neuron, members in sorted(neurons.items()):
                with layer_graph.subgraph(name=f"cluster_layer{layer}_neuron{neuron}") as neuron_graph:
                    neuron_graph.attr(label=f"neuron {neuron}", style="rounded,dashed", color="#aaaaaa")
                    for nid, attrs in members:
                        add(neuron_graph, nid, attrs)
    for tail, head, attrs in edges:
        dot.edge(tail, head, **{k: _string_escape(v) if k == "label" else v for k, v in attrs.items()})
    return dot


def run_dot(source, fmt_name, what):
    """Run Graphviz's dot on DOT source and return the output bytes; None when dot is missing."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    result = subprocess.run([exe, f"-T{fmt_name}"], input=source.encode("utf-8"), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"{what}: Graphviz's dot failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout


def install_hint():
    """How to install Graphviz's dot program on common systems."""
    return (
        "Install Graphviz (the program; `pip install graphviz` installs only the Python wrapper):\n"
        "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
        "  macOS:          brew install graphviz\n"
        "  conda:          conda install -c conda-forge graphviz\n"
        "  Windows:        winget install graphviz   (then open a new terminal so `dot` is on PATH)"
    )


def render(root, path, **draw_options):
    """Write the picture of root to path (.svg, .png or .pdf) with Graphviz's ``dot``; returns the path.

    When ``dot`` is missing, writes the DOT source next to it (``graph.svg`` -> ``graph.dot``)
    and raises GraphvizNotFoundError saying how to install Graphviz.
    """
    path = Path(path)
    fmt_name = _RENDER_FORMATS.get(path.suffix.lower())
    if fmt_name is None:
        raise ValueError(
            f"render: cannot tell the picture format from {str(path)!r}; "
            f"end the file name with one of {', '.join(_RENDER_FORMATS)}"
        )
    source = _to_dot(root, draw_options.pop("rankdir", "LR"), draw_options.pop("show_contributions", False),
                     draw_options.pop("max_nodes", MAX_NODES), "render")
    if draw_options:
        raise TypeError(f"render: unknown option(s) {', '.join(sorted(draw_options))}; "
                        f"it takes rankdir, show_contributions and max_nodes")
    picture = run_dot(source, fmt_name, "render")
    if picture is None:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(source, encoding="utf-8")
        raise GraphvizNotFoundError(
            f"render: Graphviz's `dot` program is not on PATH, so {path} was not drawn. "
            f"The graph's DOT source is saved in {dot_path}.\n{install_hint()}\n"
            f"Then call render again, or run: dot -T{fmt_name} {dot_path} -o {path}"
        )
    path.write_bytes(picture)
    return path


def tree(root, max_depth=32):
    """An indented text picture of the graph: op, data, grad and label of every node.

    A node used more than once is printed in full the first time and as ``-> see [k]``
    after that. Deeper than max_depth levels, a subtree continues as its own block below
    (so the text grows linearly however deep the graph is). Iterative.
    """
    expect_value(root, "tree")
    order = topological_order(root)
    name = names(order)
    number = {}
    lines = []
    blocks = [root]
    while blocks:
        if lines:
            lines.append("")
        stack = [(blocks.pop(0), "", "", 0)]  # node, prefix of its line, prefix of its children, depth
        while stack:
            node, line_prefix, child_prefix, depth = stack.pop()
            values = f"data {fmt(node.data)}  grad {fmt(node.grad)}"
            if not node.parents:
                what = "leaf" if node.label else "constant"
                lines.append(f"{line_prefix}{name[node]}  {values}  ({what})")
                continue
            if depth and node in number:
                lines.append(f"{line_prefix}{name[node]} -> see [{number[node]}]")
                continue
            number.setdefault(node, len(number) + 1)
            if depth > max_depth:
                lines.append(f"{line_prefix}{name[node]} -> continued below at [{number[node]}]")
                blocks.append(node)
                continue
            shown = formula(node, [name[p] for p in node.parents])
            lines.append(f"{line_prefix}[{number[node]}] {name[node]} = {shown}  {values}  (op {node.op})")
            count = len(node.parents)
            for i in reversed(range(count)):
                last = i == count - 1
                stack.append((node.parents[i], child_prefix + ("└── " if last else "├── "),
                              child_prefix + ("    " if last else "│   "), depth + 1))
    return "\n".join(lines)
