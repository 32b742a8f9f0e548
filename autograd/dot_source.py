"""A scene written as Graphviz DOT source: ``dot_source(scene, look)``. Every DOT text of the project is made here.

Each value is a record ``title | data | grad``; each operation is its own small node; every arrow
from an operand into an operation carries its local derivative (with ``show_rules`` also its
rule, ``∂o/∂n = 1 - o² = 0.5``; with ``show_contributions`` also ``upstream × local =
contribution``). How a value looks depends on its kind: the output gold and bold, a parameter
light blue, another labelled leaf (an input) grey, a constant dashed. A unit of a collapsed
model is one record of cells; a box is a ``cluster`` subgraph, a box inside a box dashed.

``Look`` says how to write it: the options above for ``to_dot``, and for the walkthrough page and
its slides one font size for every text, classes the page's stylesheet reads, labels wrapped to
a width, and which numbers a frame knows (the others show "–"). Labels are only ever text: every
one reaches DOT through ``record_escape`` or ``string_escape`` here.
"""

import re
from dataclasses import dataclass

from autograd.collapse import NOT_KNOWN, cell_text, norm_text
from autograd.text import fmt, rule_and, short

STYLE = {
    "output": {"style": "filled,bold", "fillcolor": "#ffe08a", "penwidth": "2"},
    "parameter": {"style": "filled", "fillcolor": "#cfe8ff"},
    "leaf": {"style": "filled", "fillcolor": "#eeeeee"},
    "constant": {"style": "dashed", "fontcolor": "#555555"},
    "inner": {},
}
PAGE_FONT = 14  # the size of every text of the page's graph and its slides, in SVG units (1 unit = 1 CSS px at scale 1)
_ONE_LINE_LABEL = 24  # a longer edge label ``∂v404/∂layers.2.neurons.0.out = 1.0`` takes two lines on the page
CURRENT, PARENT = "#d62728", "#2ca02c"  # a slide's current node and the nodes it passes gradient to


@dataclass
class Look:
    """How to write a scene as DOT (the defaults are to_dot's)."""

    show_rules: bool = False
    show_contributions: bool = False
    font: int = None  # the page and its slides: every text this size
    page: bool = False  # records stacked (no outer braces), edge labels on two lines
    classes: bool = False  # the page's stylesheet classes: kind_output, neuron, bus
    width: int = None  # edge labels and long names wrapped to lines of about this many characters
    number: object = None  # number(what, id): a value's "data" or "grad" as a frame knows it, None while not known
    edge_known: object = None  # edge_known(value id): whether the arrows into its operation show their labels yet
    current: frozenset = frozenset()  # ids drawn in red (a slide's current node, its operation)
    parents: frozenset = frozenset()  # ids drawn in green (the nodes it passes gradient to)
    current_op: str = None  # the operation (or record) whose arrows are red
    label: str = ""  # the picture's title (slides)
    record: object = None  # record(value node) -> its rows, stacked (a tuple: fields side by side); worksheets
    edge_labels: bool = True  # False: arrows without labels, taking no room (worksheets: the student finds them)
    small_nodes: bool = False  # operations and boxes no bigger than their text needs (worksheets)


def dot_source(scene, look=Look(), graph_attrs=None):
    """The scene as DOT text (graph_attrs: more attributes of the whole picture, such as a PNG's size)."""
    lines = ["digraph chainrule {"]
    graph = {"rankdir": scene.rankdir, "fontname": "Helvetica"}
    if look.page:
        graph.update(nodesep="0.2", ranksep="0.2", pad="0.05")
    if look.label:
        graph.update(label=string_escape(look.label), labelloc="t", fontsize=str(look.font + 4))
    graph.update(graph_attrs or {})
    lines += [f'  {key}="{value}";' for key, value in graph.items()]
    size = ', width="0.3", height="0.3"' if look.small_nodes else ""
    if look.font:
        lines.append(f'  node [fontname="Helvetica", fontsize="{look.font}"{size}];')
        lines.append(f'  edge [fontname="Helvetica", fontsize="{look.font}"];')
    else:
        lines.append(f'  node [fontname="Helvetica", fontsize="11"{size}];')
        lines.append('  edge [fontname="Helvetica"];')
    lines += statements(scene, look)
    lines.append("}")
    return "\n".join(lines) + "\n"


def statements(scene, look=Look()):
    """The DOT lines of the scene's nodes (boxes as clusters, nested) and edges."""
    inside, children = {}, {}
    for node in scene.nodes.values():
        inside.setdefault(node.box, []).append(node)
    for box in scene.boxes.values():
        children.setdefault(box.parent, []).append(box)
    lines = [_node_line(node, scene, look, "  ") for node in inside.get(None, [])]
    stack = [(box, 0) for box in reversed(children.get(None, []))]
    ends = []
    while stack:  # depth first, without recursion
        box, depth = stack.pop()
        if box is None:
            lines.append(ends.pop())
            continue
        indent = "  " * (depth + 1)
        style = 'style="rounded"; color="#888888";' if depth == 0 else 'style="rounded,dashed"; color="#aaaaaa";'
        lines.append(f'{indent}subgraph cluster_{box.id} {{ label="{string_escape(box_title(box, scene, look))}"; {style}')
        lines += [_node_line(node, scene, look, indent + "  ") for node in inside.get(box.id, [])]
        ends.append(f"{indent}}}")
        stack.append((None, depth))
        stack += [(child, depth + 1) for child in reversed(children.get(box.id, []))]
    for edge in scene.edges:
        attrs = edge_attrs(edge, scene, look)
        extra = f" [{_attr_list(attrs)}]" if attrs else ""
        lines.append(f"  {edge.tail} -> {edge.head}{extra};")
    return lines


def box_title(box, scene, look=Look()):
    """A box's title, a layer's gradient norm written in (or "–" while a frame does not know every grad)."""
    if not box.norm:
        return box.title
    values = scene.values
    known = look.number or (lambda what, vid: values[vid].grad)
    return box.title.replace("{norm}", norm_text(box.norm, lambda vid: known("grad", vid)))


def node_attrs(node, scene, look=Look()):
    """The DOT attributes of one node of the scene."""
    if node.kind == "op":
        attrs = {"shape": "circle" if len(node.op) <= 2 else "ellipse", "label": node.op,
                 "fontsize": str(look.font or 12), "margin": "0.02"}
    elif node.kind == "copy":
        style = STYLE[scene.values[node.operands[0]].kind]
        attrs = {"shape": "box", "style": "rounded,dashed" + (",filled" if "fillcolor" in style else ""),
                 **({"fillcolor": style["fillcolor"]} if "fillcolor" in style else {}),
                 "label": f"{node.title} (reused)", "fontsize": str(look.font or 10),
                 "tooltip": f"{node.title}: the same value as the full box {node.title}, drawn again here to keep "
                            f"the arrow short"}
    elif node.kind == "unit":
        number = _numbers(scene, look, short)
        rows = [" | ".join(record_escape(cell_text(cell, number)) for cell in row) for row in node.rows]
        label = " | ".join([rows[0]] + ["{ %s }" % row for row in rows[1:]])
        attrs = {"shape": "record", "label": label, "tooltip": node.title, "style": "filled", "fillcolor": "#cfe8ff"}
        if look.font:
            attrs["fontsize"] = str(look.font)
        if look.classes:
            attrs["class"] = "neuron"
    elif node.kind in ("bus", "inputs", "lump"):
        attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": "#eeeeee" if node.kind == "inputs" else "#f3f3f3",
                 "label": node.title}
        if look.font:
            attrs["fontsize"] = str(look.font)
        if look.classes:
            attrs["class"] = "bus"
    else:  # a value
        if look.record is not None:
            rows = " | ".join("{ %s }" % " | ".join(map(record_escape, row)) if isinstance(row, tuple)
                              else record_escape(row) for row in look.record(node))
            label = rows if scene.rankdir in ("LR", "RL") else "{ %s }" % rows  # (Graphviz lays them across the arrows)
        else:
            number = _numbers(scene, look, fmt)
            data, grad = number("data", node.id), number("grad", node.id)
            label = _record(node.title, data, grad, look.width)
            label = label if look.page else "{ %s }" % label
        attrs = {"shape": "record", "label": label, "tooltip": node.title}
        attrs.update(STYLE[node.kind])
        if look.font:
            attrs["fontsize"] = str(look.font)
        if look.classes:
            attrs["class"] = f"kind_{node.kind}"
    if node.id in look.current:
        attrs.update(color=CURRENT, penwidth="4")
    elif node.id in look.parents:
        attrs.update(color=PARENT, penwidth="3")
    return attrs


def _numbers(scene, look, written):
    """number(what, id): a value's data or grad as text, "–" while the frame does not know it."""
    values = scene.values
    if look.number is None:
        return lambda what, vid: written(values[vid].data if what == "data" else values[vid].grad)

    def number(what, vid):
        known = look.number(what, vid)
        return NOT_KNOWN if known is None else written(known)

    return number


def _record(title, data, grad, width=None):
    """``title | data 0.5 | grad 1.0``, escaped; with a width, a long title (a CLI's ``x1*w1 + x2*w2 + b``)
    wraps at its spaces to that width or that of the numbers."""
    width = width and max(width, len(data) + 5, len(grad) + 5)
    if width and len(title) > width:
        shown = "\\n".join(record_escape(line) for line in _fill([], _words(title), width))
    else:
        shown = record_escape(title)
    return f"{shown} | data {record_escape(data)} | grad {record_escape(grad)}"


def edge_label(edge, look=Look()):
    """An arrow's label: ``∂o/∂n = 1 - o² = 0.5`` (the rule with show_rules), ``×3`` for one arrow of three
    uses, the contribution below with show_contributions; "" for an arrow without a derivative."""
    if edge.local is None:
        return ""
    number = fmt(edge.local)
    if edge.uses >= 2 and (edge.together or (look.show_rules and edge.rules_differ)):
        parts = [f"{edge.text}: {edge.uses} uses, together {number}"]
        upstream = f"{fmt(edge.upstream)} × {number}"
    else:
        parts = [edge.text] + rule_and(edge.rule if look.show_rules else "", fmt(edge.each)).split(" = ")
        upstream = f"{fmt(edge.upstream)} × {fmt(edge.each)}"
        if edge.uses > 1:
            parts[-1] += f" ×{edge.uses}"
            upstream += f" × {edge.uses}"
    label = " = ".join(parts)
    if look.show_contributions:
        return f"{label}\n{upstream} = {fmt(edge.upstream * edge.local)}"
    return page_label(parts, look.width) if look.page else label


def edge_attrs(edge, scene, look=Look()):
    """The DOT attributes of one arrow."""
    label = edge_label(edge, look) if look.edge_labels else ""
    attrs = {"label": label, "fontsize": str(look.font or 10)} if label else {}
    if label and look.edge_known is not None and not look.edge_known(edge.value):
        attrs["label"] = " "  # not computed yet: nothing to show
    if look.current_op is not None and look.current_op in (edge.head, edge.tail):
        attrs.update(color=CURRENT, penwidth="2.5")
    return attrs


def page_label(parts, width=None):
    """An edge label's parts (``∂o/∂n``, ``1 - o²``, ``0.5``) for the page: the last on a line of its own
    (a short ``∂o/∂a = 1.0`` stays on one); with a width, in lines of at most about that many characters,
    so that a small graph with long names fits the window: a long derivative ``∂(x1*w1 + x2*w2)/∂(x2*w2)``
    is written as a fraction (its denominator below its numerator), each ``= ...`` on the line before if
    it fits, and a long name wraps at its spaces before an operator (``+ x2*w2)``)."""
    label = " = ".join(parts)
    if len(parts) < 2 or (len(parts) == 2 and len(label) <= (width or _ONE_LINE_LABEL)):
        return label
    if width is None:
        return f"{' = '.join(parts[:-1])}\n= {parts[-1]}"
    derivative, said = parts[0], parts[1:]
    top, slash, bottom = derivative.partition("/∂")
    lines = []
    for piece in [top, slash + bottom] if slash and len(derivative) > width // 2 else [derivative]:
        _fill(lines, _words(piece), width, join=False)
    for part in said:
        _fill(lines, _words(f"= {part}"), width)
    return "\n".join(lines)


def _words(text):
    """text's words, an operator kept with the operand after it (``+ b)``, ``= 0.5``), for wrapping."""
    words = []
    for word in text.split(" "):
        if words and words[-1] in ("+", "-", "·", "*", "/", "="):
            words[-1] += " " + word
        else:
            words.append(word)
    return words


def _fill(lines, words, width, join=True):
    """lines with words added, a word on the last line while it fits in width (the first word only if join)."""
    for i, word in enumerate(words):
        if lines and (i or join) and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def record_escape(text):
    """Text made literal inside a Graphviz record label (escapes \\ | { } < > & and quotes)."""
    text = re.sub(r'([\\|{}<>"])', r"\\\1", text).replace("&", "&amp;")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def string_escape(text):
    """Text made literal inside a DOT double-quoted string (newlines become line breaks, & an entity)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _node_line(node, scene, look, indent):
    attrs = node_attrs(node, scene, look)
    return f"{indent}{node.id} [{_attr_list(attrs, attrs.get('shape') == 'record')}];"


def _attr_list(attrs, record_label=False):
    parts = []
    for key, value in attrs.items():
        if key == "label" and record_label:
            # Already escaped for the record syntax; only the line breaks we added stay escapes.
            parts.append(f'{key}="{value}"')
        else:
            parts.append(f'{key}="{string_escape(value)}"')
    return ", ".join(parts)
