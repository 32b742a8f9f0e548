"""Pictures of a graph: DOT source, a graphviz.Digraph, files on disk, and a text tree.

Everything here reads the graph facts the engine uses for backward (``op``, ``parents``,
``local_grads``, ``data``, ``grad``, ``label``), so a picture cannot disagree with the maths.

Each value is a record ``name | data | grad``; each operation is its own small node; every
edge from an operand into an operation carries its local derivative (with ``show_rules=True``
also its rule as the op writes it, ``∂o/∂n = 1 - o² = 0.5``), and ``a + a`` gets two edges.
Formulas and rules come from the ops themselves (``Op.formula``, ``Op.rule``). A picture shows
the ``.grad`` each node holds now and changes nothing. How a value node looks depends on its kind:

- the output (the root): gold, bold border;
- a parameter: a leaf whose label is a parameter name, i.e. a dotted path such as
  ``layers.0.neurons.1.w.0`` (the names nn gives its parameters), or ``w``/``b`` optionally
  followed by digits (``w1``, ``b_2``) as in hand-built neurons: light blue;
- another labelled leaf (an input): light grey;
- an unlabelled leaf (a constant such as the ``3`` in ``3 * x``): dashed;
- any other node: white.

Values whose names start with ``layers.L.neurons.N.`` are grouped into a box per neuron inside
a box per layer, together with the nodes that neuron computes.

Two rules keep a picture readable and quick for ``dot`` to lay out (Graphviz spends time on
every column an arrow crosses, so one value used all along a long chain, as ``x`` in
``x+x+...+x``, made it take minutes):

- an operand whose arrow would cross more than ``LONG_EDGE`` columns is drawn again next to
  the operation that uses it, as a dashed box "x (reused)" (same colour as the original);
- an operand used ``MERGE_AT`` times or more by one operation (``sum([x] * 100)``) gets one
  arrow marked with the count (``×100``); ``a + a`` still draws two arrows.

Labels are only ever text: control characters are shown as escapes (``\\x1b``), and every
label reaches DOT through one escaping function, whichever of ``to_dot``, ``draw``, ``render``
or ``walkthrough`` draws it. ``dot`` runs with a time limit (``DOT_TIMEOUT`` seconds).

The graphviz Python package is imported only by ``draw``; ``to_dot`` needs nothing, and
``render`` needs only Graphviz's ``dot`` program.
"""

import os
import re
import shutil
import signal
import stat
import subprocess
from collections import Counter
from pathlib import Path

from autograd.engine import Value, topological_order
from autograd.files import write_atomic

MAX_NODES = 500
LONG_EDGE = 6  # columns (values and operations) an arrow may cross before its operand is drawn again
ARROWS_PER_NODE = 4  # a picture may have this many arrows per allowed node (dot's time grows with arrows)
MERGE_AT = 3  # uses of one operand by one operation drawn as a single arrow with a count
DOT_TIMEOUT = 8.0  # seconds dot may take before it is stopped
_PICTURE_CHARS = 80  # longer names are shortened in pictures (dot refuses strings over 16 KiB)

_PARAMETER_NAME = re.compile(r"^[A-Za-z_]\w*(?:\.\w+)+$|^[wb](?:_?\d+)?$")
_SIMPLE_NAME = re.compile(r"^[\w.]+$")
_FUNCTION_NAME = re.compile(r"^\w+(?=\()")
_NEURON_NAME = re.compile(r"^layers\.(\d+)\.neurons\.(\d+)\.")
_ACTIVATIONS = {"relu", "tanh", "sigmoid", "leaky_relu"}
_RENDER_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}

_STYLE = {
    "output": {"style": "filled,bold", "fillcolor": "#ffe08a", "penwidth": "2"},
    "parameter": {"style": "filled", "fillcolor": "#cfe8ff"},
    "leaf": {"style": "filled", "fillcolor": "#eeeeee"},
    "constant": {"style": "dashed", "fontcolor": "#555555"},
    "inner": {},
}


class GraphvizError(RuntimeError):
    """Graphviz's ``dot`` failed or was stopped at its time limit, so no picture was made."""


class GraphvizNotFoundError(GraphvizError):
    """Graphviz's ``dot`` program is not installed (or not on PATH), so no picture was made."""


# ---- graph facts shared by viz, explain and walkthrough -------------------------------------


DIGITS = 6  # significant digits fmt shows; the CLI's --digits changes it for one run


def fmt(x):
    """A float in at most DIGITS (6) significant digits, always recognisable as a float: 1.0, 0.707107
    (and -0.0 as 0.0)."""
    text = f"{x + 0.0:.{DIGITS}g}"  # + 0.0 turns -0.0 into 0.0
    if re.fullmatch(r"-?\d+", text):
        text += ".0"
    return text


def names(order):
    """Names for formulas: a node's label, or ``v<i>`` (its index in topological order) when it has none.

    A label that is more than one word or holds an operator is wrapped in parentheses, so
    ``(x1*w1 + x2*w2).grad`` reads right. Control characters show as escapes (see ``visible``).
    """
    return {node: _wrap(visible(node.label)) if node.label else f"v{i}" for i, node in enumerate(order)}


_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def visible(text):
    r"""text with every control character, lone surrogate and U+FFFE/U+FFFF shown as an escape: "a\x1bb"."""
    return _INVISIBLE.sub(lambda m: _NAMED_ESCAPES.get(m[0]) or (
        f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}"), text)


def _shorten(text, limit=_PICTURE_CHARS):
    """text, or its start and end around "…" when longer than limit characters."""
    if len(text) <= limit:
        return text
    keep = (limit - 1) // 2
    return f"{text[:keep]}…{text[-keep:]}"


def _wrap(label):
    """label, in brackets unless it already reads as one term: a name, "(...)" or a call "exp(...)"."""
    call = _FUNCTION_NAME.match(label)
    if _SIMPLE_NAME.match(label) or _in_one_pair_of_brackets(label[call.end() if call else 0:]):
        return label
    return f"({label})"


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
    """How node is computed from its parents, written with the strings args (one per parent): its op's formula."""
    return node._op.formula(list(args))


def rule(node, i, name):
    """d node / d its operand i as node's op writes it, with the names of ``name`` ({node: text})."""
    return node._op.rule(i, [name[p] for p in node.parents], name[node])


def check_size(order, max_nodes, what, why="Graphviz could take minutes to lay it out", verb="draw"):
    """Raise ValueError when the graph has more than max_nodes values or more than
    ``ARROWS_PER_NODE * max_nodes`` arrows into operations (None or 0: no limit); the message
    says why that is too many and how to ``verb`` it anyway."""
    if max_nodes is None:
        return
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise TypeError(f"{what}: max_nodes must be a whole number or None, got {max_nodes!r}")
    if max_nodes < 0:
        raise ValueError(f"{what}: max_nodes must be 0 or more (0 or None: no limit), got {max_nodes}")
    if max_nodes and len(order) > max_nodes:
        raise ValueError(
            f"{what}: this graph has {len(order)} value nodes, more than max_nodes={max_nodes}, "
            f"and {why}. To {verb} it anyway pass max_nodes=None (or 0); for a quick look print tree(root) instead."
        )
    arrows = arrow_count(order)
    if max_nodes and arrows > ARROWS_PER_NODE * max_nodes:
        raise ValueError(
            f"{what}: this graph has {arrows} arrows from values into operations, more than "
            f"{ARROWS_PER_NODE} × max_nodes = {ARROWS_PER_NODE * max_nodes}, and {why}. To {verb} it anyway "
            f"pass max_nodes=None (or 0); for a quick look print tree(root) instead."
        )


def arrow_count(order):
    """How many arrows from values into operations a picture of the graph draws (see MERGE_AT)."""
    return sum(uses if uses < MERGE_AT else 1
               for node in order if node.parents for uses in Counter(node.parents).values())


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


def _graph(root, rankdir, show_contributions, max_nodes, what, show_rules=False, expand=None):
    """The picture as plain data: (graph attrs, [(cluster key, id, attrs)], [(tail, head, attrs)])."""
    expect_value(root, what)
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"{what}: rankdir must be one of 'LR', 'RL', 'TB', 'BT', got {rankdir!r}")
    order = topological_order(root)
    from autograd import collapse  # an nn model is drawn one node per neuron (see collapse.py)

    if expand != "all" and (expand is not None or len(order) > collapse.COLLAPSE_AT):
        picture = collapse.collapsed_graph(root, order, expand, show_contributions, max_nodes, what, show_rules)
        if picture is not None:
            return {"rankdir": rankdir, "fontname": "Helvetica"}, *picture
    check_size(order, max_nodes, what)
    name = {node: _shorten(text) for node, text in names(order).items()}
    title = {node: _shorten(visible(node.label)) if node.label else name[node] for node in order}
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    column = _columns(order)
    home = _clusters(order)
    nodes, edges, copies = [], [], set()
    for node in order:
        cluster = home.get(node)
        nid = ids[node]
        attrs = {
            "shape": "record",
            "label": "{ %s | data %s | grad %s }" % (
                record_escape(title[node]), record_escape(fmt(node.data)), record_escape(fmt(node.grad))),
            "tooltip": title[node],
        }
        attrs.update(_STYLE[kind(node, root)])
        nodes.append((cluster, nid, attrs))
        if not node.parents:
            continue
        op_id = f"op{nid[1:]}"
        nodes.append((cluster, op_id, {"shape": "circle" if len(node.op) <= 2 else "ellipse",
                                        "label": node.op, "fontsize": "12", "margin": "0.02"}))
        edges.append((op_id, nid, {}))
        uses = Counter(node.parents)
        merged = set()
        for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            if parent in merged:
                continue
            tail = ids[parent]
            if column[node] - 1 - column[parent] > LONG_EDGE:
                tail = f"{tail}r{nid[1:]}"  # the operand again, next to this operation
                if tail not in copies:
                    copies.add(tail)
                    nodes.append((cluster, tail, _reused(parent, root, title[parent])))
            shown_rule = rule(node, i, name) if show_rules else ""
            label = f"∂{name[node]}/∂{name[parent]} = {_rule_and(shown_rule, fmt(local))}"
            upstream = f"{fmt(node.grad)} × {fmt(local)}"
            if uses[parent] >= MERGE_AT:  # one arrow for all of this operation's uses of parent
                merged.add(parent)
                locals_ = [g for p, g in zip(node.parents, node.local_grads) if p is parent]
                rules = {rule(node, k, name) for k, p in enumerate(node.parents) if p is parent} if show_rules else set()
                if len(set(locals_)) == 1 and len(rules) <= 1:
                    label += f" ×{uses[parent]}"
                    upstream += f" × {uses[parent]}"
                else:
                    label = f"∂{name[node]}/∂{name[parent]}: {uses[parent]} uses, together {fmt(sum(locals_))}"
                    upstream = f"{fmt(node.grad)} × {fmt(sum(locals_))}"
                local = sum(locals_)
            if show_contributions:
                label += f"\n{upstream} = {fmt(node.grad * local)}"
            edges.append((tail, op_id, {"label": label, "fontsize": "10"}))
    graph_attrs = {"rankdir": rankdir, "fontname": "Helvetica"}
    return graph_attrs, nodes, edges


def _rule_and(rule_text, number):
    """``1 - o² = 0.5``, or just the number when there is no rule to show or it is the number itself."""
    return f"{rule_text} = {number}" if rule_text and rule_text != number.removesuffix(".0") else number


def _columns(order):
    """node -> the column dot will roughly draw it in; a value's op node sits in the column before it.

    An operation goes one column after its latest operand; a leaf just before its first use.
    """
    column = {}
    for node in order:
        if node.parents:
            column[node] = 2 + max(column.get(p, 0) for p in node.parents)
    for node in order:
        for parent in node.parents:
            if not parent.parents:
                column[parent] = min(column.get(parent, column[node] - 2), column[node] - 2)
    return column


def _reused(node, root, title):
    """Attributes of a second drawing of node, placed beside an operation that uses it far away."""
    style = _STYLE[kind(node, root)]
    return {"shape": "box", "style": "rounded,dashed" + (",filled" if "fillcolor" in style else ""),
            **({"fillcolor": style["fillcolor"]} if "fillcolor" in style else {}),
            "label": f"{title} (reused)", "fontsize": "10",
            "tooltip": f"{title}: the same value as the full box {title}, drawn again here to keep the arrow short"}


def record_escape(text):
    """Text made literal inside a Graphviz record label (escapes \\ | { } < > & and quotes)."""
    text = re.sub(r'([\\|{}<>"])', r"\\\1", text).replace("&", "&amp;")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _string_escape(text):
    """Text made literal inside a DOT double-quoted string (newlines become line breaks, & an entity)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
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
        if isinstance(cluster, str):
            continue  # a box with a title of its own (see _statements)
        if cluster is None:
            loose.append((nid, attrs))
        else:
            layers.setdefault(cluster[0], {}).setdefault(cluster[1], []).append((nid, attrs))
    return loose, layers


def to_dot(root, rankdir="LR", show_contributions=False, max_nodes=MAX_NODES, groups=None, show_rules=False,
           expand=None):
    """The graph of root as Graphviz DOT source (needs neither the graphviz package nor ``dot``).

    Shows each node's current ``.grad`` (what the latest backward left) and changes nothing.
    ``show_rules=True`` writes each edge's rule: ``∂o/∂n = 1 - o² = 0.5``.
    ``groups`` ({node: title}, e.g. ``nn.time_steps(outputs)``) draws a box around each title's nodes.
    An nn model's graph is drawn one node per neuron; ``expand`` names parts to draw in full (see collapse.py).
    """
    return _to_dot(root, rankdir, show_contributions, max_nodes, "to_dot", groups, show_rules, expand)


def _group_lines(root, groups):
    """One cluster per title of groups, naming its nodes (and their op nodes) by the ids _graph gives them."""
    members = {title: [] for title in groups.values()}  # the boxes in the order of groups
    for i, node in enumerate(topological_order(root)):
        if node in groups:
            members[groups[node]].extend([f"n{i}"] + ([f"op{i}"] if node.parents else []))
    return [f'  subgraph cluster_group{k} {{ label="{_string_escape(str(title))}"; style="rounded"; '
            f'color="#888888"; {"; ".join(ids)}; }}' for k, (title, ids) in enumerate(members.items()) if ids]


def _to_dot(root, rankdir, show_contributions, max_nodes, what, groups=None, show_rules=False, expand=None):
    graph_attrs, nodes, edges = _graph(root, rankdir, show_contributions, max_nodes, what, show_rules, expand)
    lines = ["digraph chainrule {"]
    lines += [f'  {key}="{value}";' for key, value in graph_attrs.items()]
    lines.append('  node [fontname="Helvetica", fontsize="11"];')
    lines.append('  edge [fontname="Helvetica"];')
    lines += _statements(nodes, edges)
    if groups:
        lines += _group_lines(root, groups)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _statements(nodes, edges):
    """The DOT lines for the nodes (grouped into clusters) and edges; every label escaped here."""
    lines = []

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
    boxes = {}
    for cluster, nid, attrs in nodes:
        if isinstance(cluster, str):
            boxes.setdefault(cluster, []).append((nid, attrs))
    for k, (title, members) in enumerate(boxes.items()):
        lines.append(f'  subgraph cluster_box{k} {{ label="{_string_escape(title)}"; style="rounded"; color="#888888";')
        lines += [node_line(nid, attrs, "    ") for nid, attrs in members]
        lines.append("  }")
    for tail, head, attrs in edges:
        extra = f" [{_attr_list(attrs, False)}]" if attrs else ""
        lines.append(f"  {tail} -> {head}{extra};")
    return lines


def draw(root, rankdir="LR", show_contributions=False, max_nodes=MAX_NODES, show_rules=False, expand=None):
    """The graph of root as a ``graphviz.Digraph`` (Jupyter shows it inline); needs ``pip install graphviz``.

    Shows each node's current ``.grad`` and changes nothing; options as for ``to_dot``.
    """
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "draw needs the graphviz Python package: pip install graphviz "
            "(to_dot(root) gives the DOT source without it)"
        ) from None
    graph_attrs, nodes, edges = _graph(root, rankdir, show_contributions, max_nodes, "draw", show_rules, expand)
    # The body is to_dot's own lines, so labels are escaped once, the same way, and the graphviz
    # package never reads a label (it would take "<...>" for an HTML-like label).
    return graphviz.Digraph("chainrule", graph_attr=graph_attrs,
                            node_attr={"fontname": "Helvetica", "fontsize": "11"},
                            edge_attr={"fontname": "Helvetica"},
                            body=[f"\t{line[2:]}\n" for line in _statements(nodes, edges)])


def run_dot(source, fmt_name, what):
    """Run Graphviz's dot on DOT source and return the output bytes; None when dot is missing.

    dot is stopped after ``DOT_TIMEOUT`` seconds; a timeout or a failure raises GraphvizError
    saying what happened (the exit status or signal, and dot's own message).
    """
    exe = shutil.which("dot")
    if exe is None:
        return None
    timeout = DOT_TIMEOUT
    try:
        result = subprocess.run([exe, f"-T{fmt_name}"], input=source.encode("utf-8"), capture_output=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:  # subprocess.run has killed dot
        raise GraphvizError(
            f"{what}: Graphviz's dot was stopped after {timeout:g} s without finishing the layout "
            f"({source.count(' -> ')} arrows). Draw a smaller graph (fewer nodes; keep the "
            "max_nodes / --max-nodes limit on), or see it as text: tree(root), to_dot(root) or the "
            "command line's --dot. To wait longer, raise autograd.viz.DOT_TIMEOUT."
        ) from None
    except OSError as error:
        raise GraphvizError(f"{what}: could not run Graphviz's dot ({exe}): {error.strerror or error}") from None
    if result.returncode != 0:
        raise GraphvizError(f"{what}: Graphviz's dot {_failure(result.returncode)}{_last_words(result.stderr)}")
    return result.stdout


def _failure(returncode):
    """How dot ended: "exited with status 1", "was killed by SIGKILL (...)"."""
    if returncode > 0:
        return f"failed (exit status {returncode})"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    why = {"SIGKILL": " (usually the system ran out of memory: draw a smaller graph)",
           "SIGSEGV": " (it crashed: draw a smaller graph)"}.get(name, "")
    return f"was killed by {name}{why}"


def _last_words(stderr):
    """dot's error line (or its last line of output), ready to append to a message."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        return "; it printed nothing"
    line = next((line for line in lines if line.lower().startswith("error")), lines[-1])
    return f"; it said: {_shorten(visible(line), 300)}"


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

    Options as for ``to_dot``; shows each node's current ``.grad`` and changes no ``.grad``.
    Missing folders are created, and the file is written whole or not at all (see autograd.files).
    When ``dot`` is missing, writes the DOT source next to it (``graph.svg`` -> ``graph.dot``,
    unless a ``graph.dot`` that render did not write is there) and raises GraphvizNotFoundError
    saying how to install Graphviz.
    """
    fmt_name = _RENDER_FORMATS.get(Path(path).suffix.lower()) if str(path).strip() else None
    if fmt_name is None:
        raise ValueError(
            f"render: cannot tell the picture format from {str(path)!r}; "
            f"end the file name with one of {', '.join(_RENDER_FORMATS)}"
        )
    source = _to_dot(root, draw_options.pop("rankdir", "LR"), draw_options.pop("show_contributions", False),
                     draw_options.pop("max_nodes", MAX_NODES), "render", draw_options.pop("groups", None),
                     draw_options.pop("show_rules", False), draw_options.pop("expand", None))
    if draw_options:
        raise TypeError(f"render: unknown option(s) {', '.join(sorted(draw_options))}; "
                        f"it takes rankdir, show_contributions, show_rules, max_nodes, groups and expand")
    path = Path(path)
    picture = run_dot(source, fmt_name, "render")
    if picture is None:
        raise GraphvizNotFoundError(_not_found(path, fmt_name, _save_source(path.with_suffix(".dot"), source)))
    return write_atomic(path, picture, what="render")


def _save_source(dot_path, source):
    """Write the DOT source to dot_path unless another program's file is there; returns a line saying what happened."""
    header = "digraph chainrule {"
    try:
        ours = stat.S_ISREG(os.stat(dot_path).st_mode)  # never open a FIFO or a device
        if ours:
            with open(dot_path, encoding="utf-8", errors="replace") as f:
                ours = f.read(len(header)) == header
    except FileNotFoundError:
        ours = True
    except OSError:
        ours = False
    if not ours:
        return (f"{dot_path} already exists and render did not write it, so it was left as it was; "
                "to_dot(root) gives the DOT source.")
    try:
        write_atomic(dot_path, source, what="render")
    except OSError as error:
        return f"The DOT source could not be saved either: {error}"
    return f"The graph's DOT source is saved in {dot_path}."


def _not_found(path, fmt_name, saved):
    """The message of GraphvizNotFoundError: what is missing, what was kept, how to install dot."""
    lines = [f"render: Graphviz's `dot` program is not installed (or not on PATH), so {path} was not drawn.",
             saved]
    if saved.startswith("The graph's DOT source is saved in"):
        lines.append(f"With Graphviz installed: dot -T{fmt_name} {path.with_suffix('.dot')} -o {path}")
    return "\n".join(lines + [install_hint()])


def tree(root, max_depth=32):
    """An indented text picture of the graph: op, data, current grad and label of every node.

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
