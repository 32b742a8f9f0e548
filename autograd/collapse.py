"""Pictures of whole models: the graph of an ``nn`` model drawn one node per neuron, boxed by layer.

nn names every parameter by its place in the model (``layers.1.neurons.3.w.0``, ``layers.1.neurons.3.b``;
a ``Linear`` row ``0.weight.3.1`` and ``0.bias.3``). A neuron is its parameters and the nodes it
computes from them: the weighted sum (one ``dot`` node, or ``*`` and ``+`` nodes) and its activation.
A graph with such names and more than ``COLLAPSE_AT`` values is drawn with

- one record per neuron: its weights in a row with their grads, its bias, its output;
- a box per layer, titled with the norm of its parameters' grads, and one node for the layer's
  outputs that carries them to the next layer (so 16 × 16 connections are 32 arrows, not 256);
- the inputs the first layer reads folded into one node, whatever the batch size;
- everything else (the loss) drawn as usual, with a value's local derivative on every arrow, unless it
  is large (a loss over many samples): then it is one node too.

``expand="layers.1.neurons.3"`` (or a list of names, or a layer's name) draws that part in full,
every weight and every local derivative; ``expand="all"`` draws the whole graph.
"""

import math
import re
from collections import Counter

from autograd.viz import _STYLE, _rule_and, _shorten, fmt, kind, names, record_escape, rule, visible

COLLAPSE_AT = 60  # model graphs with more values than this are drawn one node per neuron
MAX_LOOSE = 12  # more values than this outside every neuron (a loss over a batch) are drawn as one node
_NEURON = re.compile(r"^(?P<neuron>(?:(?P<layer>.+)\.)?neurons\.\d+)\.(?:w\.(?P<w>\d+)|b)$")
_LINEAR = re.compile(r"^(?:(?P<layer>.+)\.)?(?:weight\.(?P<row>\d+)\.(?P<w>\d+)|bias\.(?P<brow>\d+))$")
_ACTIVATIONS = {"relu", "tanh", "sigmoid", "leaky_relu"}
_ROW = 8  # weights per row of a neuron's record
_NOT_KNOWN = "–"  # a number a picture does not know yet


def parameter_place(label):
    """(neuron name, layer name, weight index or None for a bias) of an nn parameter label, else None."""
    match = _NEURON.match(label)
    if match:
        w = match["w"]
        return match["neuron"], match["layer"] or "layer", None if w is None else int(w)
    match = _LINEAR.match(label)
    if match:
        layer = match["layer"] or "linear"
        row = match["row"] if match["row"] is not None else match["brow"]
        w = match["w"]
        return f"{layer}.{row}", layer, None if w is None else int(w)
    return None


def neurons(order):
    """node -> neuron name for every parameter and every node a neuron computes from its own parameters."""
    home, direct = {}, set()
    for node in order:
        if not node.parents:
            place = parameter_place(node.label) if node.label else None
            if place:
                home[node] = place[0]
            continue
        owners = {home[p] for p in node.parents if not p.parents and p in home}
        if len(owners) == 1:
            home[node] = owners.pop()
            direct.add(node)
        elif owners:
            continue
        elif node.op in _ACTIVATIONS:
            parent = node.parents[0]
            if parent in home and parent.op not in _ACTIVATIONS:
                home[node] = home[parent]
        elif node.op in ("+", "sum"):
            # w0*x0 + w1*x1 + ... written with + nodes: a running sum of the neuron's own products
            inner = {home.get(p) for p in node.parents}
            if len(inner) == 1 and None not in inner and any(p in direct and p.op == "*" for p in node.parents):
                home[node] = inner.pop()
    return home


def _expanded(expand, home, what):
    """The neuron names to draw in full for expand (None, "all", a name or a list of names)."""
    if expand is None:
        return set()
    wanted = [expand] if isinstance(expand, str) else list(expand)
    for name in wanted:
        if not isinstance(name, str):
            raise TypeError(f"{what}: expand must be a name such as 'layers.1.neurons.3' or a list of names, "
                            f"got {name!r}")
    if "all" in wanted:
        return set(home.values())
    known = set(home.values())
    chosen = set()
    for name in wanted:
        matched = {n for n in known if n == name or n.startswith(name + ".")}
        if not matched:
            examples = ", ".join(sorted(known, key=_natural)[:3])
            raise ValueError(f"{what}: expand={name!r} names no neuron or layer of this graph; "
                             f"names look like {examples}")
        chosen |= matched
    return chosen


def _natural(text):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _short(x):
    """A number in 3 significant digits, for the crowded records of whole models."""
    return f"{x + 0.0:.3g}"  # + 0.0 turns -0.0 into 0.0


class Plan:
    """Which node of a model graph is drawn as what: its neuron's record, a layer's inputs, the lump, or itself."""

    def __init__(self, root, order, expand, what):
        self.root, self.order, self.expand = root, order, expand
        self.home = home = neurons(order)
        self.expanded = _expanded(expand, home, what)
        self.ids = {node: f"n{i}" for i, node in enumerate(order)}
        self.members = {}
        for node in order:
            if node in home:
                self.members.setdefault(home[node], []).append(node)
        self.collapsed = [n for n in sorted(self.members, key=_natural) if n not in self.expanded]
        self.layer_of = {}
        for node, neuron in home.items():
            if not node.parents:
                self.layer_of[neuron] = parameter_place(node.label)[1]
        self.cid = {neuron: f"c{k}" for k, neuron in enumerate(self.collapsed)}
        self.consumers = consumers = {node: [] for node in order}
        for node in order:
            for parent in node.parents:
                consumers[parent].append(node)
        self.layer_neurons = {}
        for neuron in self.collapsed:
            self.layer_neurons.setdefault(self.layer_of[neuron], []).append(neuron)
        # Leaves read only by collapsed neurons (the samples' inputs) fold into one node per layer.
        cid = self.cid
        self.folded = {node for node in order if not node.parents and node not in home and consumers[node]
                       and all(home.get(c) in cid for c in consumers[node])}
        loose = [node for node in order if node not in home and node not in self.folded]
        self.lump = [node for node in loose if node.parents and node is not root] if len(loose) > MAX_LOOSE else []
        lumped = set(self.lump)
        if self.lump:
            lumped |= {node for node in loose if not node.parents and consumers[node]
                       and all(c in lumped for c in consumers[node])}
        self.lumped = lumped

    def ends(self, neuron):
        """The values a neuron hands on (its activation, or its weighted sum when it has none): one per sample."""
        own = set(self.members[neuron])
        return [m for m in self.members[neuron] if m.parents and not any(c in own for c in self.consumers[m])]

    def names(self):
        """viz's names, with a collapsed neuron's output named ``<neuron>.out`` (one sample) so formulas read."""
        name = names(self.order)
        for neuron in self.collapsed:
            ends = self.ends(neuron)
            if len(ends) == 1:
                name[ends[0]] = f"{neuron}.out"
        return name

    def neuron(self, node):
        """The collapsed neuron that node is drawn inside, or None."""
        neuron = self.home.get(node)
        return neuron if neuron in self.cid else None

    def shown_by(self, node):
        """The id that stands for node in the picture: its neuron's node when collapsed."""
        neuron = self.neuron(node)
        return self.cid[neuron] if neuron is not None else self.ids[node]

    def drawn_as(self, node):
        """The id of what node is drawn as: a node, its neuron, the inputs of the layer that reads it, the lump."""
        if node in self.lumped:
            return "lump"
        if node in self.folded:
            reader = self.home[self.consumers[node][0]]
            return _bus_id(f"in:{self.layer_of[reader]}")
        return self.shown_by(node)

    def source(self, parent, reader=None):
        """Where an arrow that brings parent's value starts: a node, a neuron, a layer's outputs, the inputs, the lump."""
        if parent in self.lumped:
            return "lump"
        if parent in self.folded:
            consumer_layer = self.layer_of.get(reader) if reader else None
            return f"in:{consumer_layer}" if consumer_layer else self.shown_by(parent)
        neuron = self.neuron(parent)
        if neuron is not None and reader is not None and reader in self.cid:
            return f"bus:{self.layer_of[neuron]}"
        return self.shown_by(parent)

    def layer_title(self, layer, grads=None, known=None):
        """A layer's box title: its neurons and the norm of its parameters' grads ("–" while not known)."""
        group = self.layer_neurons[layer]
        params = [p for n in group for p in self.members[n] if not p.parents]
        if known is None or all(known(p, "grad") for p in params):
            norm = _short(math.sqrt(sum(_grad(p, grads) ** 2 for p in params)))
        else:
            norm = _NOT_KNOWN
        return f"{layer} · {len(group)} neuron{'s' if len(group) > 1 else ''} · ‖grad‖ = {norm}"

    def record(self, neuron, grads=None, known=None):
        """The attributes of a neuron's record (numbers not yet known, per known(node, what), shown as "–")."""
        return _neuron_record(neuron, self.members[neuron], self.consumers, grads, known)


def plan(root, order, expand, what):
    """The Plan of a model graph, or None when no value is an nn parameter (an error if expand names parts)."""
    if not neurons(order):
        if expand is not None:
            raise ValueError(f"{what}: expand={expand!r} names parts of an nn model, but no value of this graph "
                             f"is a model's parameter (their labels look like layers.0.neurons.1.w.0)")
        return None
    return Plan(root, order, expand, what)


def collapsed_graph(root, order, expand, show_contributions, max_nodes=None, what="draw", show_rules=False,
                    grads=None, drawn=None):
    """(nodes, edges) for viz: the model's neurons collapsed, or None when the graph has no nn parameters.

    grads ({node: gradient}) gives the numbers shown as grads, by default each node's ``.grad``;
    drawn is the graph's Plan when the caller has one. Raises ValueError when even the collapsed
    picture has more than max_nodes nodes.
    """
    drawn = drawn or plan(root, order, expand, what)
    if drawn is None:
        return None
    name = {node: _shorten(text) for node, text in drawn.names().items()}
    title = {node: _shorten(visible(node.label)) if node.label else name[node] for node in order}
    ids, cid, home, folded, lumped = drawn.ids, drawn.cid, drawn.home, drawn.folded, drawn.lumped
    nodes, edges = [], []
    # The neurons, one record each, in a box per layer.
    for layer, group in drawn.layer_neurons.items():
        box = drawn.layer_title(layer, grads)
        for neuron in group:
            nodes.append((box, cid[neuron], drawn.record(neuron, grads)))
    # Parts drawn in full: expanded neurons (boxed by name) and everything outside the neurons.
    for node in order:
        neuron = home.get(node)
        if neuron in cid or node in folded or node in lumped:
            continue
        nodes.append((neuron, ids[node], _value_record(node, title[node], root, _grad(node, grads))))
        if not node.parents:
            continue
        op_id = f"op{ids[node][1:]}"
        nodes.append((neuron, op_id, {"shape": "circle" if len(node.op) <= 2 else "ellipse",
                                      "label": node.op, "fontsize": "12", "margin": "0.02"}))
        edges.append((op_id, ids[node], {}))
        uses = Counter()
        for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            tail = _bus_id(drawn.source(parent))
            uses[(tail, parent)] += 1
            if uses[(tail, parent)] > 1 and tail != ids[parent]:
                continue
            label = f"∂{name[node]}/∂{name[parent]} = {_rule_and(rule(node, i, name) if show_rules else '', fmt(local))}"
            if show_contributions:
                upstream = _grad(node, grads)
                label += f"\n{fmt(upstream)} × {fmt(local)} = {fmt(upstream * local)}"
            edges.append((tail, op_id, {"label": label, "fontsize": "10"}))
    # What the collapsed neurons read and where their outputs go.
    buses = set()
    for neuron in drawn.collapsed:
        sources = []
        for member in drawn.members[neuron]:
            for parent in member.parents:
                if home.get(parent) == neuron:
                    continue
                source = drawn.source(parent, reader=neuron)
                if source not in sources:
                    sources.append(source)
        for source in sources:
            if source.startswith("bus:") or source.startswith("in:"):
                buses.add(source)
            edges.append((_bus_id(source), cid[neuron], {}))
    for bus in sorted(buses):
        kind_, layer = bus.split(":", 1)
        if kind_ == "bus":
            count = len(drawn.layer_neurons.get(layer, []))
            nodes.append((None, _bus_id(bus), {"shape": "box", "style": "rounded,filled", "fillcolor": "#f3f3f3",
                                               "label": f"outputs of {layer} ({count})"}))
            for neuron in drawn.layer_neurons.get(layer, []):
                edges.append((cid[neuron], _bus_id(bus), {}))
        else:
            inputs = [node for node in folded
                      if any(drawn.layer_of.get(home.get(c)) == layer for c in drawn.consumers[node])]
            nodes.append((None, _bus_id(bus), {"shape": "box", "style": "rounded,filled", "fillcolor": "#eeeeee",
                                               "label": f"inputs of {layer}: {len(inputs)} value{'s' * (len(inputs) != 1)}"}))
    if drawn.lump:
        nodes.append((None, "lump", {"shape": "box", "style": "rounded,filled", "fillcolor": "#f3f3f3",
                                     "label": f"the loss over every sample: {len(drawn.lump)} operations"}))
        sources = []
        for node in drawn.lump:
            for parent in node.parents:
                if parent in lumped:
                    continue
                source = _bus_id(drawn.source(parent))
                if source not in sources:
                    sources.append(source)
        edges += [(source, "lump", {}) for source in sources]
    values = sum(1 for _, _, attrs in nodes if attrs.get("shape") == "record")
    if max_nodes and values > max_nodes:
        raise ValueError(f"{what}: drawn one node per neuron, with {drawn.expand!r} in full, this graph still has "
                         f"{values} value nodes, more than max_nodes={max_nodes}; expand less, or pass "
                         f"max_nodes=None (or 0) to draw it anyway")
    return nodes, _dedupe(edges)


def _grad(node, grads):
    return node.grad if grads is None else grads[node]


def _bus_id(source):
    return re.sub(r"\W", "_", source) if source.startswith(("bus:", "in:")) else source


def _dedupe(edges):
    seen, kept = set(), []
    for tail, head, attrs in edges:
        key = (tail, head, attrs.get("label"))
        if key not in seen:
            seen.add(key)
            kept.append((tail, head, attrs))
    return kept


def _value_record(node, title, root, grad):
    attrs = {"shape": "record", "tooltip": title,
             "label": "{ %s | data %s | grad %s }" % (record_escape(title), record_escape(fmt(node.data)),
                                                      record_escape(fmt(grad)))}
    attrs.update(_STYLE[kind(node, root)])
    return attrs


def _neuron_record(neuron, members, consumers, grads=None, known=None):
    """One record for a neuron: its name and activation, weights and their grads in rows, bias, output."""
    def number(node, what):
        if known is not None and not known(node, what):
            return _NOT_KNOWN
        return _short(node.data if what == "data" else _grad(node, grads))

    weights, bias = {}, None
    for p in members:
        if not p.parents:
            place = parameter_place(p.label)
            if place[2] is None:
                bias = p
            else:
                weights[place[2]] = p
    w = [weights[i] for i in sorted(weights)]
    inner = [m for m in members if m.parents]
    activation = next((m.op for m in inner if m.op in _ACTIVATIONS), "linear")
    own = set(members)
    ends = [m for m in inner if not any(c in own for c in consumers[m])]  # one output per sample
    rows = [record_escape(f"{neuron} ({activation})")]
    for start in range(0, len(w), _ROW):  # long rows are wrapped: w 0-7, grad, w 8-15, grad, ...
        chunk = w[start:start + _ROW]
        first = f"w {start}-{start + len(chunk) - 1}" if len(w) > _ROW else "w"
        rows.append("{ %s | %s }" % (first, " | ".join(record_escape(number(p, "data")) for p in chunk)))
        rows.append("{ grad | %s }" % " | ".join(record_escape(number(p, "grad")) for p in chunk))
    parts = []
    if bias is not None:
        parts.append(record_escape(f"b {number(bias, 'data')}, grad {number(bias, 'grad')}"))
    sums = [m for m in inner if m not in ends]
    if len(ends) == 1 and len(sums) == 1:  # z = w · x + b, before the activation
        parts.append(record_escape(f"z {number(sums[0], 'data')}, grad {number(sums[0], 'grad')}"))
    if len(ends) == 1:
        parts.append(record_escape(f"out {number(ends[0], 'data')}, grad {number(ends[0], 'grad')}"))
    elif ends:
        parts.append(record_escape(f"out: {len(ends)} samples"))
    if parts:
        rows.append("{ %s }" % " | ".join(parts))
    return {"shape": "record", "label": " | ".join(rows), "tooltip": neuron, "style": "filled",
            "fillcolor": "#cfe8ff"}


def record_texts(label):
    """The texts Graphviz draws for a record label, in order: one per non-empty field."""
    return [text for row in record_rows(label) for text in row]


def record_rows(label):
    """A record label's texts as rows of fields (top-level fields stack, ``{ a | b }`` is one row)."""
    rows, row, field, depth, escaped = [], [], [], 0, False

    def end_field():
        text = "".join(field).strip().replace("&amp;", "&")
        if text:
            row.append(text)
        field.clear()

    for char in label:
        if escaped:
            field.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "{}":
            end_field()
            depth += 1 if char == "{" else -1
        elif char == "|":
            end_field()
            if depth == 0:
                rows.append(list(row))
                row.clear()
        else:
            field.append(char)
    end_field()
    rows.append(list(row))
    return [r for r in rows if r]
