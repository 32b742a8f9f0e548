"""One self-contained HTML page that plays a graph's forward pass, then its backward pass, step by step.

The page has no network needs (inline SVG, CSS and script), so it opens from ``file://``, and it
is made to be projected: the graph's text is never drawn smaller than 14 CSS px (18 in the
projector theme); a graph too big for the window at that size is followed step by step (zoom
and pan to the current node, its operation and its parents), with an overview toggle. A small
graph (up to 12 values) that long names make too wide for a 1280×720 window is drawn with its
edge labels as fractions in short lines, and its long names wrapped, so that it shows whole.

It changes no ``.grad``: the gradients it shows are those of this output as if every ``.grad``
started at zero, computed with the engine's own chain rule in storage of its own.

Elements the page's controls use (and tests look for): ``#next``, ``#prev``, ``#slider``,
``#counter``, ``#step-title``, ``#step-text`` (one ``.line`` per line), ``#theme``,
``#overview``, ``#fullscreen``, the quiz's ``#quiz`` (one ``input.answer`` per question),
``#check``, ``#hint``, ``#reveal``, ``#reply`` and ``#score``; SVG groups ``g.node`` with ids
``n<i>`` (values, ``i`` is the index in ``topological_order``) and ``op<i>`` (their
operations); edges ``g.edge`` whose label is hidden (class ``unknown``) until its output is
computed. The current value has class ``current``, the values it passes gradient to
``parent``, its operation ``current-op``. ``body`` carries ``data-frame``, ``data-frames``,
``data-quiz``, ``data-revealed``, ``data-theme``, ``data-view`` (``fit``, ``follow`` or
``overview``) and ``data-moving`` (``true`` while the view animates). ``#frame=N`` in the URL
opens frame N (counted from 0).

An nn model's graph (see collapse.py) is drawn one record per neuron, ``c<k>``, boxed per layer
(``cluster_box<k>``, titled with the layer's gradient norm); a layer's forward frame and a
neuron's backward frame make all their records ``current``. A record's numbers and a box's norm
show "–" until the frame that computes them (the ``fields`` script lists when each text changes).
"""

import html
import json
import math
import re
import warnings
from dataclasses import replace
from pathlib import Path

from autograd import collapse
from autograd.engine import start_grads, topological_order
from autograd.explain import reading_order_leaves
from autograd.explain import walk as explained_steps
from autograd.files import write_atomic
from autograd.ops import factor
from autograd.viz import (MAX_NODES, GraphvizError, GraphvizNotFoundError, _graph, _statements, check_size,
                          expect_value, fmt, formula, install_hint, kind, names, record_escape, run_dot, visible)

THEMES = ("light", "projector", "dark")
FONT = 14  # the size of every text in the page's graph, in SVG units (one unit is one CSS px at scale 1)
_QUIZ_MODES = (None, "grad", "data")
_NOT_YET = "–"
_ONE_LINE_LABEL = 24  # a longer edge label ``∂v404/∂layers.2.neurons.0.out = 1.0`` takes two lines
_NARROWER = (14, 12)  # a small graph too wide for the window tries edge labels in lines this long
_FIT_NODES = 12  # ... when it has at most this many values
_PANE = (1250, 435)  # the graph pane of a 1280×720 window, in CSS px: a picture this size shows whole at FONT px
_TITLE_CHARS = 160
_HEADER_CHARS = 64  # a title this long reads in the header of a 1280 px wide window
_NAME = re.compile(r"^[^\W\d][\w.]*$")  # a name a program or a user gave (``out_h1``, ``layers.0.out``), not a text
_FRAME_FORMATS = ("svg", "png", "pdf")


def walkthrough(root, path, quiz=None, max_nodes=MAX_NODES, theme="light", extra_frames=(), expand=None):
    """Write an HTML page stepping through root's forward and backward passes; returns the path.

    quiz="grad" asks for each gradient a step passes on, quiz="data" for each value the forward
    pass computes: the page grades the answer, gives a hint and a retry, and keeps a score.
    theme is "light", "projector" (high contrast, larger type) or "dark"; the page can switch.
    extra_frames, a sequence of (title, lines), adds frames of text at the end. An nn model's
    graph (more than ``collapse.COLLAPSE_AT`` values) is shown one node per neuron: the forward
    pass one layer per frame, the backward pass one neuron per frame; ``expand`` names neurons or
    layers to show in full, every edge its own step (``expand="all"``: the whole graph). Changes no
    ``.grad``. Missing folders are created and the page is written whole or not at all. When
    Graphviz's ``dot`` fails or is stopped at its time limit, the page uses its own layout and
    a RuntimeWarning says why.
    """
    expect_value(root, "walkthrough")
    if quiz not in _QUIZ_MODES:
        raise ValueError(f"walkthrough: quiz must be None, 'grad' or 'data', got {quiz!r}")
    if theme not in THEMES:
        raise ValueError(f"walkthrough: theme must be one of {', '.join(map(repr, THEMES))}, got {theme!r}")
    graph = _plan(root, expand, max_nodes, "walkthrough")
    frames = _frames(graph, quiz) if graph.drawn is None else _collapsed_frames(graph, quiz)
    frames += [{"phase": "done", "title": str(title), "node": None, "op": None, "parents": [],
                "lines": [str(line) for line in lines], "ask": [], "hide": [], "set": {}} for title, lines in extra_frames]
    svg, fields = _svg(graph, frames)
    page = _page(graph, frames, svg, quiz, theme, fields)
    return write_atomic(path, page, what="walkthrough")


def frames(root, folder, fmt="svg", max_nodes=MAX_NODES, expand=None):
    """One picture per walkthrough frame in folder (001.svg, 002.svg, ...); returns their paths.

    Forward frames show the values computed so far, backward frames the gradients passed back so
    far with the current node in red; for slides and handouts. An nn model's graph is drawn and
    stepped as ``walkthrough`` does (one record per neuron; ``expand`` names what to show in full).
    Needs Graphviz's ``dot``; same size limits as ``render``. Changes no ``.grad``.
    """
    expect_value(root, "frames")
    if fmt not in _FRAME_FORMATS:
        raise ValueError(f"frames: fmt must be one of {', '.join(map(repr, _FRAME_FORMATS))}, got {fmt!r}")
    graph = _plan(root, expand, max_nodes, "frames")
    shown = _frames(graph, None) if graph.drawn is None else _collapsed_frames(graph, None)
    # A model's picture is wide (three columns of records): its edge labels in short lines keep it narrower.
    graph_attrs, nodes, edges = _page_graph(graph, _NARROWER[0] if graph.drawn else None)
    sources, values = [], {}
    for number, frame in enumerate(shown):
        for nid, update in frame["set"].items():
            values.setdefault(nid, {}).update(update)
        sources.append(_frame_dot(graph_attrs, nodes, edges, frame, values, graph, number))
    folder = Path(folder)
    paths = []
    for number, source in enumerate(sources, 1):
        picture = run_dot(source, fmt, "frames")
        if picture is None:
            raise GraphvizNotFoundError(f"frames: Graphviz's `dot` program is not installed (or not on PATH), "
                                        f"so no frame was drawn.\n{install_hint()}")
        paths.append(write_atomic(folder / f"{number:03d}.{fmt}", picture, what="frames"))
    return paths


def _plan(root, expand, max_nodes, what):
    """The _Walk of root's graph: an nn model's (more than ``collapse.COLLAPSE_AT`` values, or expand given)
    drawn one record per neuron, any other graph checked against max_nodes."""
    order = topological_order(root)
    drawn = None
    if expand != "all" and (expand is not None or len(order) > collapse.COLLAPSE_AT):
        drawn = collapse.plan(root, order, expand, what)
    if drawn is None:
        check_size(order, max_nodes, what)
    return _Walk(root, order, drawn, max_nodes)


# ---- the walk: every number the page shows, computed without touching .grad ----------------------


class _Walk:
    """The graph's names and the backward pass as step records, from a chain rule of its own."""

    def __init__(self, root, order, drawn=None, max_nodes=None):
        self.root, self.order = root, order
        self.drawn, self.max_nodes = drawn, max_nodes  # drawn: the collapse.Plan of a model graph, or None
        self.data_at, self.grad_at = {}, {}  # the frame from which the page shows a node's data, its grad
        self.done_at = None  # the frame that shows every number
        self.name = drawn.names() if drawn else names(order)
        self.ids = {node: f"n{i}" for i, node in enumerate(order)}
        grads = start_grads(order, 1.0)
        uses = {node: 0 for node in order}
        for node in order:
            for parent in node.parents:
                uses[parent] += 1
        received = {node: [] for node in order}
        self.given = {node: [] for node in order}  # (the node whose step gave it, contribution) in walk order
        self.steps = []  # (Step, [the sum of a parent's contributions when this step completes it, or None])
        for step in explained_steps(order, grads):  # explain's own step records: the engine's chain rule, no .grad
            sums = []
            for entry in step.parents:
                received[entry.parent].append(entry.contribution)
                self.given[entry.parent].append((step.node, entry.contribution))
                done = len(received[entry.parent]) == uses[entry.parent]
                sums.append(list(received[entry.parent]) if done else None)
            self.steps.append((self._named(step) if drawn else step, sums))
        self.grads = grads  # d root / d node for every node

    def _named(self, step):
        """step with this walk's names (a collapsed neuron's output is ``<neuron>.out``) in its lines."""
        node, name = step.node, self.name
        symbols = [name[p] for p in node.parents]
        entries = tuple(replace(entry, name=name[entry.parent], rule=node._op.rule(i, symbols, name[node]))
                        for i, entry in enumerate(step.parents))
        return replace(step, name=name[node], parents=entries)

    def known_at(self, frame):
        """known(node, what): whether the (collapsed) page shows node's "data" or "grad" at that frame."""
        return lambda node, what: (self.data_at if what == "data" else self.grad_at).get(node, self.done_at) <= frame

    def formula(self, node, args):
        """How node is written from the texts args, as its op writes it."""
        return formula(node, list(args))

    def expression(self):
        """The page's title: the whole expression root computes, written from its leaves (``o = tanh(x1·w1 +
        ...)``) while that is short enough to read at once; a longer one whose root's operands carry names
        (a program's statements) is root's own formula in those names: ``E_total = E_o1 + E_o2``."""
        text = {}
        for node in self.order:  # each op brackets its operands' texts as they need
            folded = not node.parents or (self.drawn is not None and self.drawn.neuron(node) is not None)
            written = self.name[node] if folded else self.formula(node, [text[p] for p in node.parents])
            text[node] = written if len(written) <= 4 * _TITLE_CHARS else written[:4 * _TITLE_CHARS]
        whole, root = text[self.root], self.root
        inner = [p for p in root.parents if p.parents]  # a CLI's ``(x1*w1 + x2*w2)`` is a text, not a name
        if len(whole) > _HEADER_CHARS and inner and all(_NAME.match(visible(p.label)) for p in inner):
            whole = self.formula(root, [self.name[p] for p in root.parents])
        if len(whole) > _TITLE_CHARS:
            whole = whole[:_TITLE_CHARS - 1] + "…"
        return whole if not self.root.parents or not self.root.label else f"{self.name[self.root]} = {whole}"


def _finite(x):
    return x if math.isfinite(x) else None


def _rule_and(rule, number):
    return number if rule == number.removesuffix(".0") else f"{rule} = {number}"


def _op_id(nid, node):
    """The id of the operation node that computes the value with id nid, or None for a leaf."""
    return f"op{nid[1:]}" if node.parents else None


def _frames(walk, quiz):
    """Every frame of the page: forward, one per node; backward start; one per step; a summary."""
    order, name, ids, root = walk.order, walk.name, walk.ids, walk.root
    frames = []
    for i, node in enumerate(order, 1):
        title = f"Forward {i} of {len(order)}: {name[node]}"
        ask = []
        if not node.parents:
            what = {"parameter": "a parameter", "leaf": "an input", "constant": "a constant",
                    "output": "the output"}[kind(node, root)]
            line = f"{name[node]} = {fmt(node.data)}  (a leaf: {what})"
        else:
            symbols = walk.formula(node, [name[p] for p in node.parents])
            numbers = walk.formula(node, [fmt(p.data) for p in node.parents])
            start = f"{name[node]} = {symbols} = {numbers} = "
            line = start + fmt(node.data)
            if quiz == "data":
                ask = [{"question": start + "?", "value": _finite(node.data), "answer": fmt(node.data),
                        "hint": f"work out {numbers}"}]
        frames.append({"phase": "forward", "title": title, "node": ids[node], "op": _op_id(ids[node], node), "parents": [],
                       "lines": [line], "ask": ask, "hide": [[ids[node], "data"]] if ask else [],
                       "set": {ids[node]: {"data": fmt(node.data)}}})

    frames.append({
        "phase": "backward", "title": "Backward starts", "node": ids[root], "op": _op_id(ids[root], root), "parents": [],
        "lines": [f"{name[root]}.grad = 1.0  (∂{name[root]}/∂{name[root]} = 1)",
                  "every other gradient starts at 0.0 and adds up what reaches it"],
        "ask": [], "hide": [],
        "set": {ids[node]: {"grad": "1.0" if node is root else "0.0"} for node in order},
    })
    for step, sums in walk.steps:
        lines, ask, changed = [], [], {}
        for entry, line, row, total in zip(step.parents, step.lines(), step.columns(), sums):
            lines.append(line)
            if total is not None and len(total) > 1:  # the step that completes a fan-in shows the sum
                lines.append(f"{entry.name}.grad = {' + '.join(fmt(c) for c in total)} = {fmt(entry.grad_after)}")
            if quiz == "grad":
                d = f"∂{step.name}/∂{entry.name}"
                rule = f"{entry.rule} = {entry.numbers}" if entry.numbers != entry.rule else entry.rule
                ask.append({"question": f"{row[0]} = ?", "value": _finite(entry.contribution),
                            "answer": fmt(entry.contribution),
                            "hint": f"{d} = {_rule_and(rule, fmt(entry.local))}; times {step.name}.grad = {fmt(step.upstream)}"})
            changed[ids[entry.parent]] = {"grad": fmt(entry.grad_after)}
        frames.append({
            "phase": "backward", "title": f"Backward step {step.number} of {len(walk.steps)}: {step.name}",
            "node": ids[step.node], "op": _op_id(ids[step.node], step.node), "parents": [ids[e.parent] for e in step.parents],
            "lines": lines, "ask": ask,
            "hide": [[pid, "grad"] for pid in changed] if ask else [],
            "set": changed,
        })
    leaves = reading_order_leaves(root)
    frames.append({
        "phase": "done", "title": "Done: the gradients of the leaves", "node": None, "op": None, "parents": [],
        "lines": [f"{name[leaf]}.grad = {fmt(walk.grads[leaf])}" for leaf in leaves],
        "ask": [], "hide": [], "set": {},
    })
    return frames


NEURON_STEPS = 40  # a model with more neurons drawn collapsed than this steps backward one layer per frame
_LISTED = 6  # numbers listed in a line before "…"
_NEURON_LINES = 5  # a neuron's backward frame shows this many lines before its last one
_STEP_LINES = 4  # a step of a value drawn in full lists this many of its operands' updates
_LINE_CHARS = 120  # a longer formula is cut with "…"


def _grouped(nodes, unit):
    """[(unit, [nodes...])]: every node of a unit (a layer, a neuron) in one group, the groups in an order
    the computation allows (a group after every group it reads from, else as they first appear), each
    group's nodes in the order given; or consecutive nodes of one unit together when the units read
    from each other both ways (a recurrent model)."""
    key = {node: unit(node) for node in nodes}
    members, reads = {}, {}
    for node in nodes:
        members.setdefault(key[node], []).append(node)
        reads.setdefault(key[node], set()).update(key[p] for p in node.parents if p in key and key[p] != key[node])
    readers = {u: [] for u in members}
    for u, sources in reads.items():
        for source in sources:
            readers[source].append(u)
    waiting = {u: len(sources) for u, sources in reads.items()}
    first = {u: i for i, u in enumerate(members)}  # dicts keep the order units first appear in
    ready = [u for u in members if not waiting[u]]
    ordered = []
    while ready:  # Kahn's algorithm, the earliest-appearing ready unit first
        ready.sort(key=first.get)
        u = ready.pop(0)
        ordered.append(u)
        for reader in readers[u]:
            waiting[reader] -= 1
            if not waiting[reader]:
                ready.append(reader)
    if len(ordered) < len(members):
        return _runs(nodes, unit)
    return [(u, members[u]) for u in ordered]


def _runs(items, unit):
    """[(unit, [items...])]: consecutive items with the same unit(item) together, in order."""
    runs = []
    for item in items:
        key = unit(item)
        if runs and runs[-1][0] == key:
            runs[-1][1].append(item)
        else:
            runs.append((key, [item]))
    return runs


def _listed(texts, joint=", ", what="values"):
    """The first few texts, then how many in all: ``0.1, 0.2, … (16 values)``."""
    if len(texts) <= _LISTED:
        return joint.join(texts)
    return f"{joint.join(texts[:_LISTED])}{joint}… ({len(texts)} {what})"


def _clipped(text):
    return text if len(text) <= _LINE_CHARS else text[:_LINE_CHARS - 1] + "…"


def _unique(items):
    return list(dict.fromkeys(items))


def _where(drawn, nodes, name):
    """Where the gradient of nodes goes (or comes from), in words: ``the outputs of layers.0``, ``v404``."""
    parts = []
    for node in nodes:
        neuron = drawn.neuron(node)
        if node in drawn.folded:
            parts.append("the inputs (nothing to learn there)")
        elif node in drawn.lumped:
            parts.append("the loss over every sample")
        elif neuron is not None:
            layer = drawn.layer_of[neuron]
            parts.append(f"the outputs of {layer}" if len(drawn.layer_neurons[layer]) > 1 else neuron)
        else:
            parts.append(name[node])
    parts = _unique(parts)
    return ", ".join(parts[:3]) + (f" and {len(parts) - 3} more" if len(parts) > 3 else "")


def _givers(drawn, nodes, name):
    """Who gave a gradient, in words: ``each neuron of layers.2`` or ``v404``."""
    parts = []
    for node in nodes:
        neuron = drawn.neuron(node)
        if neuron is None:
            parts.append("the loss over every sample" if node in drawn.lumped else name[node])
        else:
            layer = drawn.layer_of[neuron]
            parts.append(f"the neurons of {layer}" if len(drawn.layer_neurons[layer]) > 1 else neuron)
    return ", ".join(_unique(parts))


def _collapsed_frames(walk, quiz):
    """The frames of a model's graph drawn one node per neuron: the inputs and parameters, each layer's
    forward pass, then backward one neuron (or one layer) per frame, with every value drawn in full
    stepped as on a small graph; quiz questions are asked about the values drawn in full."""
    drawn, order, name, ids, root = walk.drawn, walk.order, walk.name, walk.ids, walk.root
    data_at, grad_at = walk.data_at, walk.grad_at
    per_layer = len(drawn.collapsed) > NEURON_STEPS or any(len(drawn.ends(n)) > 1 for n in drawn.collapsed)
    frames = []

    def at(table, nodes, k):
        for node in nodes:
            table.setdefault(node, k)

    # Forward: the leaves at once, then one frame per layer (or per value drawn in full).
    leaves = [node for node in order if not node.parents]
    inputs = [node for node in leaves if node in drawn.folded]
    params = [node for node in leaves if drawn.neuron(node) is not None]
    others = [node for node in leaves if node not in drawn.folded and node not in drawn.lumped
              and drawn.neuron(node) is None]
    lines = [f"inputs: {_listed([fmt(x.data) for x in inputs])}"] if inputs else []
    if params:
        lines.append(f"parameters: {len(params)} weights and biases of {len(drawn.collapsed)} neurons, "
                     f"in their records (blue)")
    lines += [f"{name[leaf]} = {fmt(leaf.data)}" for leaf in others[:_LISTED]]
    if len(others) > _LISTED:
        lines.append(f"… and {len(others) - _LISTED} more leaves")
    shown = _unique([drawn.drawn_as(leaf) for leaf in inputs + others])
    frames.append({"phase": "forward", "title": "the inputs and the parameters", "node": None, "op": None,
                   "group": shown, "parents": [], "lines": lines, "ask": [], "hide": [],
                   "set": {nid: {"data": "known"} for nid in shown}})
    at(data_at, leaves, 0)

    def forward_unit(node):
        neuron = drawn.neuron(node)
        if neuron is not None:
            return "layer", drawn.layer_of[neuron]
        return ("lump", None) if node in drawn.lumped else ("node", node)

    for (what, key), run in _grouped([node for node in order if node.parents], forward_unit):
        k = len(frames)
        at(data_at, run, k)
        if what == "layer":
            group = sorted(set(drawn.neuron(node) for node in run), key=collapse._natural)
            whole = len(group) == len(drawn.layer_neurons[key])
            ends = [node for neuron in group for node in drawn.ends(neuron) if node in set(run)]
            activation = next((node.op for node in run if node.op in collapse._ACTIVATIONS), None)
            each = f"{activation}(w · x + b)" if activation else "w · x + b"
            number = [neuron.rsplit(".", 1)[-1] for neuron in group]
            title = (f"{key}, {len(group)} neuron{'s' * (len(group) > 1)}" if whole else
                     f"{key}: neuron {number[0]}" if len(group) == 1 else f"{key}: neurons {number[0]} to {number[-1]}")
            frames.append({"phase": "forward", "title": title, "node": None, "op": None,
                           "group": [drawn.cid[n] for n in group], "parents": [],
                           "lines": [f"each neuron: out = {each}",
                                     f"out = {_listed([collapse._short(e.data) for e in ends])}"],
                           "ask": [], "hide": [],
                           "set": {nid: {"data": "known"} for nid in
                                   [drawn.cid[n] for n in group] + [collapse._bus_id(f"bus:{key}")]}})
        elif what == "lump":
            frames.append({"phase": "forward", "title": "the loss over every sample", "node": "lump", "op": None,
                           "parents": [], "lines": [f"{len(run)} operations compute the loss from every sample's output"],
                           "ask": [], "hide": [], "set": {"lump": {"data": "known"}}})
        else:
            node = key
            symbols = _clipped(walk.formula(node, [name[p] for p in node.parents]))
            numbers = _clipped(walk.formula(node, [fmt(p.data) for p in node.parents]))
            start = f"{name[node]} = {symbols} = {numbers} = "
            ask = [{"question": start + "?", "value": _finite(node.data), "answer": fmt(node.data),
                    "hint": f"work out {numbers}"}] if quiz == "data" else []
            frames.append({"phase": "forward", "title": name[node], "node": ids[node], "op": _op_id(ids[node], node),
                           "parents": [], "lines": [start + fmt(node.data)], "ask": ask,
                           "hide": [[ids[node], "data"]] if ask else [], "set": {ids[node]: {"data": fmt(node.data)}}})
    forward = len(frames)
    for number, frame in enumerate(frames, 1):
        frame["title"] = f"Forward {number} of {forward}: {frame['title']}"

    # Backward: the start, then one frame per neuron (or layer) and per value drawn in full.
    top = drawn.drawn_as(root)
    frames.append({
        "phase": "backward", "title": "Backward starts", "node": top,
        "op": _op_id(top, root) if top == ids[root] else None, "parents": [],
        "lines": [f"{name[root]}.grad = 1.0  (∂{name[root]}/∂{name[root]} = 1)",
                  "every other gradient starts at 0.0 and adds up what reaches it"],
        "ask": [], "hide": [],
        "set": {ids[node]: {"grad": "1.0" if node is root else "0.0"} for node in order
                if drawn.drawn_as(node) == ids[node]},
    })
    grad_at[root] = len(frames) - 1

    def backward_unit(entry):
        node = entry[0].node
        neuron = drawn.neuron(node)
        if neuron is not None:
            return ("layer", drawn.layer_of[neuron]) if per_layer else ("neuron", neuron)
        return ("lump", None) if node in drawn.lumped else ("node", node)

    step_of = {step.node: (step, sums) for step, sums in walk.steps}
    backward = _grouped([step.node for step, _ in reversed(walk.steps)], lambda node: backward_unit(step_of[node]))
    runs = [(u, [step_of[node][0] for node in reversed(nodes)]) for u, nodes in reversed(backward)]
    uses = {node: 0 for node in order}
    for node in order:
        for parent in node.parents:
            uses[parent] += 1
    running, received = {}, {node: [] for node in order}
    for number, ((what, key), steps) in enumerate(runs, 1):
        k = len(frames)
        run = []  # (step, sums) with running totals in the page's order, which may group the walk's steps
        for step in steps:
            grad_at.setdefault(step.node, k)
            entries, sums = [], []
            for entry in step.parents:
                parent = entry.parent
                running[parent] = running.get(parent, 0.0) + entry.contribution
                received[parent].append(entry.contribution)
                done = len(received[parent]) == uses[parent]
                sums.append(list(received[parent]) if done else None)
                if done:
                    grad_at[parent] = k
                entries.append(replace(entry, grad_after=running[parent]))
            run.append((replace(step, parents=tuple(entries)), sums))
        outside = _unique(entry.parent for step, _ in run for entry in step.parents
                          if drawn.neuron(entry.parent) != drawn.neuron(step.node) or drawn.neuron(step.node) is None)
        outside = [p for p in outside if p not in {step.node for step, _ in run}]
        changed = {}
        for step, _ in run:
            for entry in step.parents:
                if drawn.drawn_as(entry.parent) == ids[entry.parent]:
                    changed[ids[entry.parent]] = {"grad": fmt(entry.grad_after)}
        title = f"Backward step {number} of {len(runs)}: "
        reader = drawn.neuron(run[0][0].node)
        parents = _unique(collapse._bus_id(drawn.source(p, reader)) if reader else drawn.drawn_as(p) for p in outside)
        if what == "neuron":
            lines = _neuron_lines(walk, key, run, outside)
            frames.append({"phase": "backward", "title": title + key, "node": drawn.cid[key], "op": drawn.cid[key],
                           "parents": parents, "lines": lines, "ask": [], "hide": [], "set": changed})
        elif what == "layer":
            group = sorted(set(drawn.neuron(step.node) for step, _ in run), key=collapse._natural)
            activation = next((step.node.op for step, _ in run if step.node.op in collapse._ACTIVATIONS), None)
            arrived = [giver for neuron in group for end in drawn.ends(neuron) for giver, _ in walk.given[end]]
            lines = [f"{len(group)} neuron{'s' * (len(group) > 1)} of {key}: out.grad arrives from {_givers(drawn, arrived, name) or 'the output'}",
                     (f"each: z.grad = {activation}'(z) · out.grad; " if activation else "each: ") +
                     "w.grad = x · z.grad; b.grad = z.grad (the grad rows of the records)",
                     f"x.grad += w · z.grad: back to {_where(drawn, outside, name)}"]
            frames.append({"phase": "backward", "title": title + key, "node": None, "op": None,
                           "group": [drawn.cid[n] for n in group], "parents": parents, "lines": lines,
                           "ask": [], "hide": [], "set": changed})
        elif what == "lump":
            frames.append({"phase": "backward", "title": title + "the loss over every sample", "node": "lump",
                           "op": "lump", "parents": parents,
                           "lines": [f"{len(run)} operations pass the gradient back to {_where(drawn, outside, name)}"],
                           "ask": [], "hide": [], "set": changed})
        else:
            step, sums = run[0]
            lines, ask = [], []
            if len(step.parents) > _STEP_LINES:  # a neuron's weighted sum drawn in full: each edge shows its rule
                lines.append(f"{step.name} passes its gradient to {len(step.parents)} operands; "
                             f"the first {_STEP_LINES} here, every one on its arrow")
            for entry, line, row, total in list(zip(step.parents, step.lines(), step.columns(), sums))[:_STEP_LINES]:
                lines.append(line)
                if total is not None and len(total) > 1:
                    lines.append(f"{entry.name}.grad = {_listed([fmt(c) for c in total], ' + ', 'terms')} "
                                 f"= {fmt(entry.grad_after)}")
                if quiz == "grad" and drawn.drawn_as(entry.parent) == ids[entry.parent]:
                    rule = f"{entry.rule} = {entry.numbers}" if entry.numbers != entry.rule else entry.rule
                    ask.append({"question": f"{row[0]} = ?", "value": _finite(entry.contribution),
                                "answer": fmt(entry.contribution),
                                "hint": f"∂{step.name}/∂{entry.name} = {_rule_and(rule, fmt(entry.local))}; "
                                        f"times {step.name}.grad = {fmt(step.upstream)}"})
            frames.append({"phase": "backward", "title": title + step.name, "node": ids[step.node],
                           "op": _op_id(ids[step.node], step.node), "parents": parents, "lines": lines, "ask": ask,
                           "hide": [[pid, "grad"] for pid in changed] if ask else [], "set": changed})

    lines = []
    for layer in drawn.layer_neurons:
        lines.append(drawn.layer_title(layer, walk.grads))
    full = [leaf for leaf in reading_order_leaves(root) if drawn.drawn_as(leaf) == ids[leaf]]
    lines += [f"{name[leaf]}.grad = {fmt(walk.grads[leaf])}" for leaf in full[:12]]
    if len(full) > 12:
        lines.append(f"… and {len(full) - 12} more leaves")
    frames.append({"phase": "done", "title": "Done: the gradients of the parameters", "node": None, "op": None,
                   "parents": [], "lines": lines, "ask": [], "hide": [], "set": {}})
    walk.done_at = len(frames) - 1
    return frames


def _neuron_lines(walk, neuron, run, outside):
    """A neuron's backward step in short lines, numbers in 3 digits as its record shows them: the gradient
    arriving at its output, each of its own steps as rule · upstream, one weight standing for all."""
    drawn, name, short = walk.drawn, walk.name, collapse._short
    members = drawn.members[neuron]
    out = drawn.ends(neuron)[0]
    local = {out: "out"}
    inner = [m for m in members if m.parents and m is not out]
    for j, m in enumerate(inner):
        local[m] = "z" if len(inner) == 1 else f"z{j}"
    for m in members:
        if not m.parents:
            place = collapse.parameter_place(m.label)
            local[m] = "b" if place[2] is None else f"w{place[2]}"
    for j, p in enumerate(outside):  # another neuron's output by its name, else x0, x1, ...
        local.setdefault(p, name[p] if drawn.neuron(p) is not None else f"x{j}")
    arrived = walk.given[out]
    if out is walk.root:
        lines = ["out.grad = 1.0  (the output)"]
    elif len(arrived) == 1:
        lines = [f"out.grad = {short(arrived[0][1])}  (from {_givers(drawn, [arrived[0][0]], name)})"]
    else:
        terms = _listed([short(c) for _, c in arrived], ' + ', 'terms')
        lines = [f"out.grad = {terms} = {short(walk.grads[out])}  (from {_givers(drawn, [g for g, _ in arrived], name)})"]

    def line(node, i, entry, here, symbols, upstream):
        rule = node._op.rule(i, symbols, here)
        numbers = node._op.rule(i, [short(p.data) for p in node.parents], short(node.data))
        worked = f" = {factor(numbers)} · {upstream}" if numbers != rule else ""
        return (f"{local[entry.parent]}.grad = {factor(rule)} · {here}.grad{worked} = {short(entry.contribution)}"
                if rule != "1" else f"{local[entry.parent]}.grad = {here}.grad = {short(entry.contribution)}")

    passed = []
    for step, _ in run:
        node = step.node
        here = local[node]
        symbols = [local[p] for p in node.parents]
        upstream = factor(short(step.upstream))
        weights, inputs = [], []
        for i, entry in enumerate(step.parents):
            parent = entry.parent
            if parent in outside:
                inputs.append(entry)
            elif local[parent].startswith("w") and not parent.parents:
                weights.append((i, entry))
            else:
                lines.append(line(node, i, entry, here, symbols, upstream))
        if weights:
            lines.append(line(node, *weights[0], here, symbols, upstream))
            if len(weights) > 1:
                lines.append(f"every w.grad = x · {here}.grad: the record's grad rows")
        if inputs:
            passed.append(f"x.grad += w · {here}.grad: back to {_where(drawn, [e.parent for e in inputs], name)}")
    lines = _unique(lines)
    if len(lines) > _NEURON_LINES:  # a neuron written with * and + nodes: the first steps stand for the rest
        lines = lines[:_NEURON_LINES - 1] + [f"… and {len(lines) - _NEURON_LINES + 1} more steps inside the neuron"]
    return lines + _unique(passed)[:1]


# ---- the picture --------------------------------------------------------------------------------


def _page_graph(walk, width=None):
    """viz's nodes and edges for the page: every text FONT units, final numbers in the records, kinds as classes;
    width: edge labels and long names wrapped to lines of about that many characters (a narrower picture)."""
    if walk.drawn is None:
        graph_attrs, nodes, edges = _graph(walk.root, "LR", False, None, "walkthrough", show_rules=True, expand="all")
    else:
        nodes, edges = collapse.collapsed_graph(walk.root, walk.order, None, False, walk.max_nodes, "walkthrough",
                                                show_rules=True, grads=walk.grads, drawn=walk.drawn)
        graph_attrs = {"rankdir": "LR", "fontname": "Helvetica"}
    collapsed = set(walk.drawn.cid.values()) if walk.drawn else set()
    graph_attrs.update({"nodesep": "0.2", "ranksep": "0.2", "pad": "0.05"})
    kinds = {nid: kind(node, walk.root) for node, nid in walk.ids.items()}
    by_id = {nid: node for node, nid in walk.ids.items()}
    page_nodes = []
    for cluster, nid, attrs in nodes:
        attrs = dict(attrs, fontsize=str(FONT))
        if nid in by_id:
            node = by_id[nid]
            attrs["label"] = _stacked(_record(attrs["label"], fmt(node.data), fmt(walk.grads[node]), width))
            attrs["class"] = f"kind_{kinds[nid]}"
        elif nid in collapsed:
            attrs["class"] = "neuron"
        elif attrs.get("shape") == "box":
            attrs["class"] = "bus"  # a layer's inputs or outputs, or the loss over every sample
        page_nodes.append((cluster, nid, attrs))
    page_edges = []
    for tail, head, attrs in edges:
        if "label" in attrs:
            attrs = dict(attrs, fontsize=str(FONT), label=_edge_label(attrs["label"], width))
        page_edges.append((tail, head, attrs))
    return graph_attrs, page_nodes, page_edges


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


def _edge_label(label, width=None):
    """viz's edge label ``∂o/∂n = 1 - o² = 0.5`` on two lines, the number below (a short ``∂o/∂a = 1.0``
    stays on one); with a width, in lines of at most about that many characters, so that a small graph
    with long names fits the window: a long derivative ``∂(x1*w1 + x2*w2)/∂(x2*w2)`` is written as a
    fraction (its denominator below its numerator), each ``= ...`` on the line before if it fits, and a
    long name wraps at its spaces before an operator (``+ x2*w2)``)."""
    parts = label.split(" = ")
    if len(parts) < 2 or (len(parts) == 2 and len(label) <= (width or _ONE_LINE_LABEL)) or "\n" in label:
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


def _record(label, data, grad, width=None):
    """A value record's label with other numbers in its data and grad fields; with a width, a long name
    (a CLI's ``x1*w1 + x2*w2 + b``) wraps at its spaces to that width or that of the numbers."""
    head = label.rsplit(" | data ", 1)[0]
    opening, _, title = head.partition("{ ")
    width = width and max(width, len(data) + 5, len(grad) + 5)
    if width and len(title) > width and "\\n" not in title:
        head = opening + "{ " + "\\n".join(_fill([], _words(title), width))
    return f"{head} | data {record_escape(data)} | grad {record_escape(grad)} }}"


def _stacked(label):
    """A record label whose fields stack top to bottom in a left-to-right picture (no outer braces)."""
    return label[1:-1].strip() if label.startswith("{") and label.endswith("}") else label


def _dot_source(graph_attrs, nodes, edges):
    lines = ["digraph chainrule {"]
    lines += [f'  {key}="{value}";' for key, value in graph_attrs.items()]
    lines.append(f'  node [fontname="Helvetica", fontsize="{FONT}"];')
    lines.append(f'  edge [fontname="Helvetica", fontsize="{FONT}"];')
    lines += _statements(nodes, edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _frame_dot(graph_attrs, nodes, edges, frame, values, walk, number):
    """The DOT source of frame number's picture: numbers known so far, the current node in red (a model's
    neuron records and layer titles show "–" for what the frame has not computed yet, as the page does)."""
    current = frame["node"]
    current_op = frame.get("op")
    group = frame.get("group") or []
    drawn, ids = walk.drawn, set(walk.ids.values())
    neuron_of = {cid: neuron for neuron, cid in drawn.cid.items()} if drawn else {}
    titles = {drawn.layer_title(layer, walk.grads): drawn.layer_title(layer, walk.grads, walk.known_at(number))
              for layer in drawn.layer_neurons} if drawn else {}
    shown_nodes = []
    for cluster, nid, attrs in nodes:
        attrs = dict(attrs)
        if nid in neuron_of:
            attrs["label"] = drawn.record(neuron_of[nid], walk.grads, walk.known_at(number))["label"]
        elif attrs.get("shape") == "record" and nid in ids:
            known = values.get(nid, {})
            attrs["label"] = _stacked(_record("{" + attrs["label"] + "}", known.get("data", _NOT_YET),
                                              known.get("grad", _NOT_YET)))
        cluster = titles.get(cluster, cluster)
        if nid == current or nid == current_op or nid in group:
            attrs.update(color="#d62728", penwidth="4")
        elif nid in frame["parents"]:
            attrs.update(color="#2ca02c", penwidth="3")
        attrs.pop("class", None)
        shown_nodes.append((cluster, nid, attrs))
    shown_edges = []
    for tail, head, attrs in edges:
        attrs = dict(attrs)
        head_value = "n" + head[2:] if head.startswith("op") else head
        if "label" in attrs and "data" not in values.get(head_value, {}):
            attrs["label"] = " "  # not computed yet: nothing to show
        if head == current_op or (tail == current_op and frame["phase"] != "done"):
            attrs.update(color="#d62728", penwidth="2.5")
        shown_edges.append((tail, head, attrs))
    title = html.escape(frame["title"])
    return _dot_source(dict(graph_attrs, label=title, labelloc="t", fontsize=str(FONT + 4)), shown_nodes, shown_edges)


def _svg(walk, frames):
    """(the graph as inline SVG, the texts the page changes frame by frame in collapsed records and box titles).

    Graphviz's layout when ``dot`` is installed, else our own.
    """
    picture = _page_graph(walk)
    fields = _fields(walk, picture[1]) if walk.drawn else {}
    try:
        svg = run_dot(_dot_source(*picture), "svg", "walkthrough")
        if svg is not None and walk.drawn is None and len(walk.order) <= _FIT_NODES and not _fits(svg):
            for width in _NARROWER:  # long names: lines this long may let the whole graph show at FONT px
                narrower = run_dot(_dot_source(*_page_graph(walk, width)), "svg", "walkthrough")
                if narrower is not None and _fits(narrower):
                    svg = narrower
                    break
    except GraphvizError as error:
        warnings.warn(f"{error}; the page uses its own layout instead", RuntimeWarning, stacklevel=3)
        svg = None
    if svg is None:
        return (_fallback_svg(walk) if walk.drawn is None else _fallback_picture(*picture[1:])), fields
    svg = svg.decode("utf-8")
    svg = svg[svg.index("<svg"):]
    # Give each node group (and each box) its DOT name as id, so the page (and tests) can find it.
    svg = re.sub(r'<g id="(?:node|clust)\d+" class="((?:node|cluster)[^"]*)">\s*<title>([^<]*)</title>',
                 lambda m: f'<g id="{m[2]}" class="{m[1]}"><title>{m[2]}</title>', svg)
    for nid in list(fields):  # a text the page cannot find is left as dot drew it
        group = re.search(rf'<g id="{nid}" class="[^"]*">(.*?)</g>', svg, re.S)
        if group is None or group[1].count("<text") != len(fields[nid]):
            del fields[nid]
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="graph"', svg, count=1), fields


def _fits(svg):
    """Whether dot's SVG picture shows whole in a 1280×720 window's graph pane at its own size."""
    box = re.search(rb'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg)
    return box is not None and float(box[1]) <= _PANE[0] and float(box[2]) <= _PANE[1]


def _fields(walk, nodes):
    """{id: [[text index, [[frame, text], ...]], ...]}: what each text of a collapsed record or a layer's box
    title shows from which frame on; a number shows "–" until the frame that computes it."""
    drawn, data_at, grad_at, done, known_at = walk.drawn, walk.data_at, walk.grad_at, walk.done_at, walk.known_at

    def changes(states):
        """[[frame, texts], ...] -> per text index, the frames where its text changes."""
        out = []
        for i in range(len(states[0][1])):
            steps = []
            for frame, texts in states:
                if not steps or steps[-1][1] != texts[i]:
                    steps.append([frame, texts[i]])
            out.append([i, steps])
        return out

    fields = {}
    for neuron in drawn.collapsed:
        members = drawn.members[neuron]
        frames = sorted({0, done} | {data_at.get(m, done) for m in members} | {grad_at.get(m, done) for m in members})
        states = [(f, collapse.record_texts(drawn.record(neuron, walk.grads, known_at(f))["label"])) for f in frames]
        if len({len(texts) for _, texts in states}) == 1:
            fields[drawn.cid[neuron]] = changes(states)
    boxes = _unique(cluster for cluster, _, _ in nodes if isinstance(cluster, str))
    for layer in drawn.layer_neurons:
        params = [p for n in drawn.layer_neurons[layer] for p in drawn.members[n] if not p.parents]
        last = max(grad_at.get(p, done) for p in params)
        title = drawn.layer_title(layer, walk.grads)
        if title in boxes:
            fields[f"cluster_box{boxes.index(title)}"] = changes(
                [(0, [drawn.layer_title(layer, walk.grads, known_at(0))]), (last, [title])])
    return fields


def _fallback_picture(nodes, edges):
    """Our own layout of a collapsed picture (no ``dot``): columns by the longest path to each node,
    records drawn row by row with each field its own text, as dot draws them."""
    char, row_h, gap_x, gap_y = 0.6 * FONT, FONT + 10, 60, 24
    rows = {}
    for _, nid, attrs in nodes:
        label = attrs.get("label", nid)
        rows[nid] = collapse.record_rows(label) if attrs.get("shape") == "record" else [[line] for line in label.split("\n")]
    width = {nid: 24 + max(char * (sum(len(t) for t in r) + 2 * (len(r) - 1)) for r in rs) for nid, rs in rows.items()}
    incoming = {nid: [] for nid in rows}
    for tail, head, _ in edges:
        if tail in rows and head in rows:
            incoming[head].append(tail)
    depth, pending = {}, list(rows)
    while pending:  # longest path from a source, iteratively (the picture has no cycles)
        progress = []
        for nid in pending:
            if all(t in depth for t in incoming[nid]):
                depth[nid] = 1 + max((depth[t] for t in incoming[nid]), default=-1)
                progress.append(nid)
        if not progress:  # should not happen; place the rest in one more column
            depth.update({nid: 1 + max(depth.values(), default=-1) for nid in pending})
            break
        pending = [nid for nid in pending if nid not in depth]
    columns = {}
    for nid in rows:
        columns.setdefault(depth[nid], []).append(nid)
    pos, x = {}, 20
    height = 0
    for column in sorted(columns):
        y = 20
        for nid in columns[column]:
            pos[nid] = (x, y)
            y += len(rows[nid]) * row_h + gap_y
        height = max(height, y)
        x += max(width[nid] for nid in columns[column]) + gap_x
    total_w, parts = x, []
    for tail, head, attrs in edges:
        if tail not in pos or head not in pos:
            continue
        (tx, ty), (hx, hy) = pos[tail], pos[head]
        sx, sy = tx + width[tail], ty + len(rows[tail]) * row_h / 2
        ex, ey = hx, hy + len(rows[head]) * row_h / 2
        label = "".join(f'<text x="{(sx + ex) / 2:.1f}" y="{(sy + ey) / 2 + k * row_h:.1f}" text-anchor="middle">'
                        f'{html.escape(line)}</text>' for k, line in enumerate(attrs.get("label", "").split("\n"))
                        if attrs.get("label"))
        parts.append(f'<g class="edge"><title>{html.escape(tail)}-&gt;{html.escape(head)}</title>'
                     f'<path fill="none" stroke="#333" marker-end="url(#arrow)" d="M{sx:.1f},{sy:.1f} '
                     f'C{(sx + ex) / 2:.1f},{sy:.1f} {(sx + ex) / 2:.1f},{ey:.1f} {ex:.1f},{ey:.1f}"/>{label}</g>')
    for _, nid, attrs in nodes:
        x, y = pos[nid]
        texts = []
        for k, row in enumerate(rows[nid]):
            step = (width[nid] - 24) / len(row)
            texts += [f'<text x="{x + 12 + step * (j + 0.5):.1f}" y="{y + (k + 1) * row_h - 8:.1f}" '
                      f'text-anchor="middle">{html.escape(text)}</text>' for j, text in enumerate(row)]
        classes = " ".join(filter(None, ["node", attrs.get("class")]))
        parts.append(f'<g id="{html.escape(nid)}" class="{classes}"><title>{html.escape(nid)}</title>'
                     f'<rect fill="white" stroke="#333" x="{x:.1f}" y="{y:.1f}" width="{width[nid]:.1f}" '
                     f'height="{len(rows[nid]) * row_h}"/>{"".join(texts)}</g>')
    return (f'<svg class="graph fallback" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w + 20:.0f} {height + 20:.0f}" '
            f'font-family="Helvetica, Arial, sans-serif" font-size="{FONT}">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>'
            f'{"".join(parts)}</svg>')


def _fallback_svg(walk):
    """A layered left-to-right layout: a value's column is 1 + the deepest column of its parents."""
    root, order, name = walk.root, walk.order, walk.name
    depth = {}
    for node in order:
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    leaf_column = {}  # a leaf sits just left of its first use, not far away
    for node in order:
        for parent in node.parents:
            if not parent.parents:
                leaf_column[parent] = min(leaf_column.get(parent, depth[node] - 1), depth[node] - 1)
    depth.update(leaf_column)
    char, row_h, gap_x, gap_y, op_w = 0.6 * FONT, FONT + 8, 40 + 6 * FONT, 30, 44
    texts = {node: [visible(node.label) or name[node], f"data {fmt(node.data)}", f"grad {fmt(walk.grads[node])}"]
             for node in order}
    width = {node: 16 + char * max(len(t) for t in texts[node]) for node in order}
    col_w = max(width.values()) + op_w + 2 * gap_x
    columns = {}
    for node in order:
        columns.setdefault(depth[node], []).append(node)
    pos, rows = {}, {}
    for column in sorted(columns):
        members = columns[column]
        # Inner nodes near the middle of their operands, leaves after them in order of appearance.
        members.sort(key=lambda v: (0, sum(pos[p][1] for p in v.parents) / len(v.parents)) if v.parents else (1, 0))
        for row, node in enumerate(members):
            pos[node] = (20 + column * col_w + op_w + gap_x, 20 + row * (3 * row_h + gap_y))
        rows[column] = len(members)
    ids = {node: i for i, node in enumerate(order)}
    parts = []
    for node in order:
        x, y = pos[node]
        mid_y = y + 1.5 * row_h
        if node.parents:
            ox, oy = x - gap_x / 2 - op_w / 2, mid_y
            for parent in node.parents:
                px, py = pos[parent]
                sx, sy = px + width[parent], py + 1.5 * row_h
                parts.append(f'<g class="edge"><title>n{ids[parent]}-&gt;op{ids[node]}</title>'
                             f'<path fill="none" stroke="#333" marker-end="url(#arrow)" d="M{sx:.1f},{sy:.1f} C{(sx + ox) / 2:.1f},{sy:.1f} '
                             f'{(sx + ox) / 2:.1f},{oy:.1f} {ox - op_w / 2:.1f},{oy:.1f}"/></g>')
            parts.append(f'<g class="edge"><title>op{ids[node]}-&gt;n{ids[node]}</title>'
                         f'<path fill="none" stroke="#333" marker-end="url(#arrow)" d="M{ox + op_w / 2:.1f},{oy:.1f} L{x:.1f},{oy:.1f}"/></g>')
            parts.append(f'<g id="op{ids[node]}" class="node"><title>op{ids[node]}</title>'
                         f'<ellipse fill="white" stroke="#333" cx="{ox:.1f}" cy="{oy:.1f}" rx="{op_w / 2}" ry="{FONT}"/>'
                         f'<text text-anchor="middle" x="{ox:.1f}" y="{oy + FONT / 3:.1f}">{html.escape(node.op)}</text></g>')
        rect = (f'<rect fill="white" stroke="#333" x="{x:.1f}" y="{y:.1f}" '
                f'width="{width[node]:.1f}" height="{3 * row_h}"/>')
        lines = "".join(
            f'<text x="{x + 8:.1f}" y="{y + (k + 1) * row_h - 6:.1f}">{html.escape(t)}</text>'
            for k, t in enumerate(texts[node]))
        parts.append(f'<g id="n{ids[node]}" class="node kind_{kind(node, root)}"><title>n{ids[node]}</title>{rect}{lines}</g>')
    total_w = 40 + (max(depth.values()) + 1) * col_w
    total_h = 40 + max(rows.values()) * (3 * row_h + gap_y)
    return (f'<svg class="graph fallback" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w:.0f} {total_h:.0f}" '
            f'font-family="Helvetica, Arial, sans-serif" font-size="{FONT}">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>'
            f'{"".join(parts)}</svg>')


# ---- the page -----------------------------------------------------------------------------------


def _json_for_script(data):
    """JSON that is safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(walk, frames, svg, quiz, theme, fields):
    heading = html.escape(walk.expression())
    quiz_note = {None: "", "grad": "quiz: type each gradient a step passes on",
                 "data": "quiz: type each value the forward pass computes"}[quiz]
    fill = {
        "TITLE": heading, "HEADING": heading, "QUIZ_NOTE": html.escape(quiz_note), "QUIZ": quiz or "",
        "THEME": theme, "FRAMES_COUNT": str(len(frames)), "LAST": str(len(frames) - 1), "FONT": str(FONT),
        "NOT_YET": _NOT_YET, "FRAMES_JSON": _json_for_script(frames), "FIELDS_JSON": _json_for_script(fields),
        "SVG": svg,
    }
    # One pass, so a placeholder-like text inside the SVG or the frames is never filled in again.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: fill[m[1]], _TEMPLATE)


_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chain rule walkthrough: @@TITLE@@</title>
<style>
  :root { --font: @@FONT@@; }
  body { --bg: #f4f4f4; --pane: #ffffff; --ink: #1a1a1a; --muted: #555555; --line: #333333; --edge-label: #1a1a1a;
         --accent: #d62728; --accent2: #1f7a1f; --head-bg: #24292e; --head-ink: #ffffff; --button: #f0f0f0;
         --output: #ffe08a; --parameter: #cfe8ff; --leaf: #e6e6e6; --inner: #ffffff; --op: #ffffff;
         --quiz: #b35c00; --step: 20px; --min-font: 14; }
  body[data-theme="projector"] { --bg: #ffffff; --pane: #ffffff; --ink: #000000; --muted: #222222; --line: #000000;
         --edge-label: #000000; --accent: #c00000; --accent2: #006400; --head-bg: #000000; --button: #ffffff;
         --output: #ffd24d; --parameter: #a8d4ff; --leaf: #dddddd; --step: 24px; --min-font: 18; }
  body[data-theme="dark"] { --bg: #111418; --pane: #1b1f24; --ink: #f2f2f2; --muted: #b8b8b8; --line: #c8c8c8;
         --edge-label: #e8e8e8; --accent: #ff6b6b; --accent2: #6fdc6f; --head-bg: #000000; --button: #2a3038;
         --output: #6b5200; --parameter: #1d4a73; --leaf: #3a3f46; --inner: #1b1f24; --op: #1b1f24;
         --quiz: #ffb347; }
  html, body { height: 100%; }
  body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: var(--ink); background: var(--bg);
         display: flex; flex-direction: column; }
  header { display: flex; align-items: center; gap: 12px; padding: 6px 14px; background: var(--head-bg); color: var(--head-ink); }
  header h1 { font-size: 22px; margin: 0; flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  header .note { font-size: 16px; opacity: 0.9; white-space: nowrap; }
  header button { background: transparent; color: var(--head-ink); border-color: #999; }
  main { flex: 1; min-height: 0; display: flex; flex-direction: column; gap: 8px; padding: 8px 12px; }
  #graph { flex: 1; min-height: 120px; min-width: 0; overflow: hidden; background: var(--pane);
           border: 1px solid #8884; border-radius: 6px; position: relative; }
  #graph svg { display: block; position: absolute; left: 0; top: 0; }
  #panel { flex: 0 0 auto; display: flex; gap: 16px; background: var(--pane); border: 1px solid #8884;
           border-radius: 6px; padding: 8px 14px; }
  #words { flex: 1; min-width: 0; }
  #side { flex: 0 0 300px; display: flex; flex-direction: column; gap: 8px; }
  @media (min-width: 1500px) and (min-aspect-ratio: 3/2) {
    main { flex-direction: row; }
    #panel { flex: 0 0 30%; flex-direction: column; }
    #side { flex: 0 0 auto; }
  }
  @media (max-width: 900px) {
    #panel { flex-direction: column; }
    #side { flex: 0 0 auto; }
  }
  #step-title { font-size: calc(var(--step) + 2px); margin: 0 0 4px; }
  #step-text { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: var(--step);
               line-height: 1.35; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 36vh; overflow-y: auto; }
  #step-text .line { padding: 1px 0; }
  #step-text .line.sum { font-weight: bold; }
  .controls { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  button { font-size: 18px; padding: 5px 12px; border-radius: 5px; border: 1px solid #888; background: var(--button);
           color: var(--ink); cursor: pointer; }
  button:disabled { opacity: 0.35; cursor: default; }
  #slider { width: 100%; }
  #counter { font-size: 18px; color: var(--muted); }
  .help { font-size: 14px; color: var(--muted); margin: 0; }
  #quiz { margin-top: 6px; }
  #quiz[hidden] { display: none; }
  #quiz .ask { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; font-size: var(--step);
               font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; margin: 2px 0; }
  #quiz input.answer { font-size: var(--step); width: 9em; padding: 2px 6px; background: var(--pane); color: var(--ink);
                        border: 2px solid var(--muted); border-radius: 4px; }
  #quiz input.answer.right { border-color: var(--accent2); }
  #quiz input.answer.wrong { border-color: var(--accent); }
  #reply { font-size: var(--step); min-height: 1.3em; }
  #reply.right { color: var(--accent2); } #reply.wrong, #reply.invalid { color: var(--accent); }
  #score { font-size: 18px; color: var(--muted); }
  /* the graph */
  #graph text { fill: var(--ink); font-family: Helvetica, Arial, sans-serif; }
  #graph g.graph > polygon { fill: var(--pane); stroke: none; }
  #graph g.node polygon, #graph g.node ellipse, #graph g.node rect, #graph g.node polyline { stroke: var(--line); }
  #graph g.node polygon, #graph g.node rect { fill: var(--inner); }
  #graph g.node ellipse { fill: var(--op); }
  #graph g.kind_output polygon, #graph g.kind_output rect { fill: var(--output); stroke-width: 2.5px; }
  #graph g.kind_parameter polygon, #graph g.kind_parameter rect { fill: var(--parameter); }
  #graph g.kind_leaf polygon, #graph g.kind_leaf rect { fill: var(--leaf); }
  #graph g.kind_constant polygon, #graph g.kind_constant rect { stroke-dasharray: 5 3; }
  #graph g.neuron polygon, #graph g.neuron rect { fill: var(--parameter); }
  #graph g.bus path, #graph g.bus polygon, #graph g.bus rect { fill: var(--leaf); stroke: var(--line); }
  #graph g.cluster polygon { fill: none; stroke: var(--muted); }
  #graph g.edge path { stroke: var(--line); }
  #graph g.edge polygon { stroke: var(--line); fill: var(--line); }
  #graph g.edge text { fill: var(--edge-label); }
  #graph g.edge.unknown text { visibility: hidden; }
  #graph g.edge.waiting text { fill: var(--muted); }
  /* emphasis by a stroke, not a bold font: a bold text is wider than the space dot left for it */
  #graph g.edge.done text { stroke: var(--edge-label); stroke-width: 0.6px; }
  #graph g.node.pending { opacity: 0.3; }
  #graph g.node.current polygon, #graph g.node.current rect, #graph g.node.current-op ellipse,
  #graph g.node.current-op polygon { stroke: var(--accent); stroke-width: 5px; }
  #graph g.node.parent polygon, #graph g.node.parent rect, #graph g.node.parent ellipse,
  #graph g.node.parent path { stroke: var(--accent2); stroke-width: 4px; }
  #graph g.node.current path { stroke: var(--accent); stroke-width: 5px; }
  #graph g.edge.active path { stroke: var(--accent); stroke-width: 3px; }
  #graph g.edge.active polygon { stroke: var(--accent); fill: var(--accent); }
  #graph g.edge.active text { fill: var(--accent); stroke: var(--accent); stroke-width: 0.6px; }
  #graph text.unknown { fill: var(--quiz); font-weight: bold; }
  .legend span { display: inline-block; padding: 0 6px; margin-right: 4px; border: 1px solid #999; font-size: 14px; color: #1a1a1a; }
  body:fullscreen header, body.full header { padding: 2px 14px; }
</style>
</head>
<body data-frame="0" data-frames="@@FRAMES_COUNT@@" data-quiz="@@QUIZ@@" data-revealed="true" data-theme="@@THEME@@"
      data-view="fit" data-moving="false">
<header>
  <h1 id="expression">@@HEADING@@</h1>
  <span class="note">@@QUIZ_NOTE@@</span>
  <button id="theme" type="button" title="switch the colours (T)">Theme</button>
  <button id="overview" type="button" title="the whole graph, or follow the step (O)">Overview</button>
  <button id="fullscreen" type="button" title="full screen (F)">Full screen</button>
</header>
<main>
  <div id="graph">@@SVG@@</div>
  <section id="panel">
    <div id="words">
      <h2 id="step-title"></h2>
      <div id="step-text"></div>
      <div id="quiz" hidden>
        <div id="asks"></div>
        <div class="controls">
          <button id="check" type="button">Check</button>
          <button id="hint" type="button">Hint</button>
          <button id="reveal" type="button">Reveal</button>
          <span id="score"></span>
        </div>
        <div id="reply" role="status"></div>
      </div>
    </div>
    <div id="side">
      <div class="controls">
        <button id="prev" type="button">&larr; Prev</button>
        <button id="next" type="button">Next &rarr;</button>
        <span id="counter"></span>
      </div>
      <input id="slider" type="range" min="0" max="@@LAST@@" value="0" aria-label="frame">
      <p class="help">&larr; &rarr; Space: step &middot; Home/End: first/last &middot; T theme &middot; O overview &middot; F full screen.
        Red: this step's node; green: the nodes it passes gradient to.</p>
      <p class="legend"><span style="background:#ffe08a">output</span><span style="background:#cfe8ff">parameter</span><span style="background:#e6e6e6">input</span><span style="border-style:dashed;background:#fff">constant</span></p>
    </div>
  </section>
</main>
<script id="frames" type="application/json">@@FRAMES_JSON@@</script>
<script id="fields" type="application/json">@@FIELDS_JSON@@</script>
<script>
"use strict";
(function () {
  var frames = JSON.parse(document.getElementById("frames").textContent);
  // Texts of collapsed records and box titles: {id: [[text index, [[from frame, text], ...]], ...]}.
  var fields = JSON.parse(document.getElementById("fields").textContent);
  var body = document.body, quiz = body.dataset.quiz, NOT_YET = "@@NOT_YET@@", FONT = @@FONT@@;
  var THEMES = ["light", "projector", "dark"];
  var current = 0, revealed = true, overview = false;
  var graph = document.getElementById("graph"), svg = graph.querySelector("svg");
  var nodes = {}, edges = [];
  graph.querySelectorAll("g.node").forEach(function (g) {
    var texts = g.querySelectorAll("text"), record = texts.length >= 3 && !fields[g.id];
    nodes[g.id] = { g: g, data: record ? texts[texts.length - 2] : null, grad: record ? texts[texts.length - 1] : null };
  });
  graph.querySelectorAll("g.edge").forEach(function (g) {
    var ends = g.querySelector("title").textContent.split("->");
    edges.push({ g: g, tail: ends[0], head: ends[1] });
  });
  // The frame that computes each value, and the backward step that passes each node's gradient on.
  var computedAt = {}, steppedAt = {};
  frames.forEach(function (f, k) {
    if (f.phase === "forward" && f.node) computedAt[f.node] = k;
    else if (f.phase === "backward" && f.parents.length) steppedAt[f.node] = k;
  });
  var $ = function (id) { return document.getElementById(id); };
  var prev = $("prev"), next = $("next"), slider = $("slider");
  // Quiz state per frame: for each question, "open", "right" or "shown", and whether the first try was right.
  var answers = frames.map(function (f) {
    return f.ask.map(function () { return { state: "open", tries: 0, first: false }; });
  });

  function needsReveal(k) { return quiz !== "" && frames[k].ask.length > 0 &&
    answers[k].some(function (a) { return a.state === "open"; }); }

  // ---- the view: zoom and pan so the text is never smaller than the theme's minimum ----
  var full = (function () {
    var vb = svg.viewBox && svg.viewBox.baseVal;
    if (vb && vb.width) return { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
    var b = svg.getBBox(); return { x: b.x, y: b.y, w: b.width, h: b.height };
  })();
  var view = null, animation = null;
  function minFont() { return parseFloat(getComputedStyle(body).getPropertyValue("--min-font")) || 14; }
  function boxOf(ids) {
    var inverse = svg.getScreenCTM().inverse(), box = null;
    ids.forEach(function (id) {
      var g = $(id); if (!g) return;
      var r = g.getBoundingClientRect(), p = svg.createSVGPoint(), q = svg.createSVGPoint();
      p.x = r.left; p.y = r.top; q.x = r.right; q.y = r.bottom;
      p = p.matrixTransform(inverse); q = q.matrixTransform(inverse);
      var b = { x0: Math.min(p.x, q.x), y0: Math.min(p.y, q.y), x1: Math.max(p.x, q.x), y1: Math.max(p.y, q.y) };
      box = box ? { x0: Math.min(box.x0, b.x0), y0: Math.min(box.y0, b.y0), x1: Math.max(box.x1, b.x1), y1: Math.max(box.y1, b.y1) } : b;
    });
    return box;
  }
  function targetView() {
    var pw = graph.clientWidth, ph = graph.clientHeight;
    var minS = minFont() / FONT, fit = Math.min(pw / full.w, ph / full.h);
    var frame = frames[current], s, cx = full.x + full.w / 2, cy = full.y + full.h / 2, mode;
    var core = (frame.group || [frame.node, frame.op]).filter(function (id) { return id; });
    var focus = core.length ? boxOf(core.concat(frame.parents)) : null;
    if (overview) { s = fit; mode = "overview"; }
    else if (fit >= minS || !focus) { s = Math.max(Math.min(fit, 2 * minS), minS); mode = fit >= minS ? "fit" : "follow"; }
    else {
      mode = "follow";
      var own = boxOf(core);
      var margin = 16 / minS;
      var fw = focus.x1 - focus.x0 + 2 * margin, fh = focus.y1 - focus.y0 + 2 * margin;
      s = Math.min(pw / fw, ph / fh, 1.6 * minS);
      if (s < minS) {  // the whole step does not fit: keep the size, show the node (and its operation if it fits)
        s = minS;
        focus = (own.x1 - own.x0 + 2 * margin) * s <= pw && (own.y1 - own.y0 + 2 * margin) * s <= ph ? own : boxOf([core[0]]);
      }
      cx = (focus.x0 + focus.x1) / 2; cy = (focus.y0 + focus.y1) / 2;
      var w = pw / s, h = ph / s;  // keep the view on the picture where it can be
      if (w < full.w) cx = Math.min(Math.max(cx, full.x + w / 2), full.x + full.w - w / 2); else cx = full.x + full.w / 2;
      if (h < full.h) cy = Math.min(Math.max(cy, full.y + h / 2), full.y + full.h - h / 2); else cy = full.y + full.h / 2;
    }
    body.dataset.view = mode;
    return { x: cx - pw / s / 2, y: cy - ph / s / 2, w: pw / s, h: ph / s, pw: pw, ph: ph };
  }
  function apply(v) {
    svg.setAttribute("width", v.pw); svg.setAttribute("height", v.ph);
    svg.setAttribute("viewBox", [v.x, v.y, v.w, v.h].join(" "));
    view = v;
  }
  function place(animate) {
    var target = targetView();
    if (animation) cancelAnimationFrame(animation);
    if (!animate || !view || view.pw !== target.pw || view.ph !== target.ph ||
        window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      apply(target); body.dataset.moving = "false"; return;
    }
    var from = view, start = null, ms = 350;
    body.dataset.moving = "true";
    function tick(now) {
      if (start === null) start = now;
      var t = Math.min(1, (now - start) / ms), e = t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2;
      apply({ x: from.x + (target.x - from.x) * e, y: from.y + (target.y - from.y) * e,
              w: from.w + (target.w - from.w) * e, h: from.h + (target.h - from.h) * e, pw: target.pw, ph: target.ph });
      if (t < 1) animation = requestAnimationFrame(tick);
      else { animation = null; body.dataset.moving = "false"; }
    }
    animation = requestAnimationFrame(tick);
  }

  // ---- one frame ----
  function show(animate) {
    var frame = frames[current], hidden = {}, values = {};
    var answerHidden = needsReveal(current) && !revealed;
    if (answerHidden) frame.hide.forEach(function (h) { hidden[h[0] + ":" + h[1]] = true; });
    for (var k = 0; k <= current; k++) {
      var set = frames[k].set;
      for (var id in set) { values[id] = Object.assign(values[id] || {}, set[id]); }
    }
    var forwardPhase = frame.phase === "forward", opId = frame.op || null, group = frame.group || [];
    for (var id in nodes) {
      var n = nodes[id], isOp = id.slice(0, 2) === "op";
      // "n3r7" is n3 drawn again beside op7 (a reused operand far from its first use)
      var copy = /^(n\d+)r(\d+)$/.exec(id);
      var valueId = isOp ? "n" + id.slice(2) : (copy ? copy[1] : id), v = values[valueId] || {};
      n.g.classList.toggle("pending", forwardPhase && v.data === undefined);
      n.g.classList.toggle("current", id === frame.node || group.indexOf(id) >= 0);
      n.g.classList.toggle("current-op", id === opId && id !== frame.node);
      n.g.classList.toggle("parent", !isOp && frame.parents.indexOf(valueId) >= 0 &&
                                     (!copy || "n" + copy[2] === frame.node));
      if (isOp || !n.data) continue;
      n.data.textContent = "data " + (hidden[valueId + ":data"] ? "?" : (v.data !== undefined ? v.data : NOT_YET));
      n.grad.textContent = "grad " + (hidden[valueId + ":grad"] ? "?" : (v.grad !== undefined ? v.grad : NOT_YET));
      n.data.classList.toggle("unknown", !!hidden[valueId + ":data"]);
      n.grad.classList.toggle("unknown", !!hidden[valueId + ":grad"]);
    }
    for (var fid in fields) {
      var g = document.getElementById(fid), texts = g ? g.querySelectorAll("text") : [];
      fields[fid].forEach(function (f) {
        var t = texts[f[0]], text = f[1][0][1];
        f[1].forEach(function (change) { if (change[0] <= current) text = change[1]; });
        if (t && t.textContent !== text) t.textContent = text;
      });
    }
    edges.forEach(function (e) {
      var into = e.head.slice(0, 2) === "op" ? "n" + e.head.slice(2) : null;
      var known = into === null || current >= computedAt[into];
      var done = into !== null && steppedAt[into] !== undefined && current >= steppedAt[into];
      e.g.classList.toggle("unknown", !known);
      e.g.classList.toggle("waiting", known && !done && !forwardPhase);
      e.g.classList.toggle("done", done);
      e.g.classList.toggle("active", opId !== null && (e.head === opId || e.tail === opId));
    });
    $("step-title").textContent = frame.title;
    var box = $("step-text");
    box.innerHTML = "";
    if (!answerHidden) frame.lines.forEach(function (line) {
      var div = document.createElement("div");
      div.className = "line" + (frame.phase === "backward" && line.indexOf("+=") < 0 && / \+ /.test(line) ? " sum" : "");
      div.textContent = line;
      box.appendChild(div);
    });
    showQuiz(answerHidden);
    body.dataset.frame = String(current);
    body.dataset.revealed = String(!answerHidden);
    $("counter").textContent = (current + 1) + " / " + frames.length;
    slider.value = String(current);
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1 && !answerHidden;
    if (location.hash !== "#frame=" + current) {
      try { history.replaceState(null, "", "#frame=" + current); } catch (err) { /* some file:// setups */ }
    }
    place(animate);
  }

  // ---- the quiz ----
  function parseAnswer(text) {
    var t = text.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    var num = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?";
    var m = new RegExp("^(" + num + ")(?:\\s*/\\s*(" + num + "))?$").exec(t);
    if (!m) return null;
    var value = parseFloat(m[1]);
    if (m[2] !== undefined) { var d = parseFloat(m[2]); if (d === 0) return null; value = value / d; }
    return isFinite(value) ? value : null;
  }
  function close(x, y) { return Math.abs(x - y) <= 1e-3 * Math.max(Math.abs(y), 1e-9); }
  function score() {
    var right = 0, asked = 0;
    answers.forEach(function (list) { list.forEach(function (a) { if (a.state !== "open" || a.tries) asked++; if (a.first) right++; }); });
    var total = answers.reduce(function (n, list) { return n + list.length; }, 0);
    return { right: right, asked: asked, total: total };
  }
  function scoreText() {
    var s = score();
    return "Score: " + s.right + " of " + s.total + " right first time";
  }
  function showQuiz(answerHidden) {
    var frame = frames[current], q = $("quiz");
    var active = quiz !== "" && frame.ask.length > 0;
    q.hidden = !active && !(quiz !== "" && frame.phase === "done");
    $("score").textContent = quiz !== "" ? scoreText() : "";
    var asks = $("asks"); asks.innerHTML = "";
    $("check").hidden = $("hint").hidden = $("reveal").hidden = !active;
    if (!active) { if (quiz !== "" && frame.phase === "done" && frame.node === null) setReply("", scoreText()); else setReply("", ""); return; }
    frame.ask.forEach(function (a, i) {
      var row = document.createElement("div"); row.className = "ask";
      var label = document.createElement("label"); label.textContent = a.question.slice(0, -1);
      var input = document.createElement("input"); input.className = "answer"; input.type = "text";
      input.setAttribute("inputmode", "decimal"); input.setAttribute("autocomplete", "off");
      input.dataset.index = String(i);
      var st = answers[current][i];
      if (st.state !== "open") { input.value = a.answer; input.disabled = true; input.classList.add(st.state === "right" ? "right" : "shown"); }
      label.appendChild(input); row.appendChild(label); asks.appendChild(row);
    });
    $("check").disabled = $("hint").disabled = $("reveal").disabled = !answerHidden;
    if (!answerHidden) setReply("", answers[current].every(function (a) { return a.state === "right"; }) ? "Right." : "");
    else setReply("", "");
  }
  function setReply(kind, text) { var r = $("reply"); r.className = kind; r.textContent = text; }
  function check() {
    var frame = frames[current];
    if (!frame.ask.length || !needsReveal(current)) return;
    var replies = [], kindSeen = "right";
    document.querySelectorAll("#asks input.answer").forEach(function (input) {
      var i = Number(input.dataset.index), a = frame.ask[i], st = answers[current][i];
      if (st.state !== "open") return;
      var given = input.value;
      var value = parseAnswer(given);
      if (value === null) {
        replies.push(given.trim() === "" ? "Type a number first." :
          "\u201c" + given.trim() + "\u201d is not a number: type one such as 0.5, -3 or 1/2.");
        kindSeen = kindSeen === "wrong" ? "wrong" : "invalid"; input.classList.add("wrong"); return;
      }
      st.tries++;
      if (a.value !== null && close(value, a.value)) {
        st.state = "right"; st.first = st.tries === 1;
        input.classList.remove("wrong"); input.classList.add("right"); input.disabled = true;
        replies.push("Right: " + a.answer + (st.first ? "." : " (second try or later)."));
      } else {
        kindSeen = "wrong"; input.classList.add("wrong");
        replies.push("Not quite: " + given.trim() + " is not it. Try again, or ask for a hint.");
      }
    });
    if (!needsReveal(current)) { revealed = true; show(false); setReply("right", replies.join(" ")); return; }
    setReply(kindSeen, replies.join(" "));
    $("score").textContent = scoreText();
  }
  function hint() {
    var frame = frames[current];
    setReply("hint", "Hint: " + frame.ask.map(function (a) { return a.hint; }).join("; "));
  }
  function revealAll() {
    answers[current].forEach(function (a) { if (a.state === "open") a.state = "shown"; });
    revealed = true; show(false);
    setReply("", "The answer: " + frames[current].ask.map(function (a) { return a.answer; }).join(", "));
  }

  // ---- moving ----
  function go(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    revealed = !needsReveal(current);
    show(true);
    var first = document.querySelector("#asks input.answer:not([disabled])");
    if (first && !revealed) first.focus({ preventScroll: true });
  }
  function forward() {
    if (needsReveal(current) && !revealed) revealAll();
    else if (current < frames.length - 1) go(current + 1);
  }
  function back() { if (current > 0) go(current - 1); }
  function toggleFullscreen() {
    try {
      if (document.fullscreenElement) document.exitFullscreen().catch(function () {});
      else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(function () {});
    } catch (err) { /* not allowed here */ }
  }
  function nextTheme() {
    var i = THEMES.indexOf(body.dataset.theme);
    body.dataset.theme = THEMES[(i + 1) % THEMES.length];
    place(false);
  }
  next.addEventListener("click", forward);
  prev.addEventListener("click", back);
  $("check").addEventListener("click", check);
  $("hint").addEventListener("click", hint);
  $("reveal").addEventListener("click", revealAll);
  $("theme").addEventListener("click", nextTheme);
  $("overview").addEventListener("click", function () { overview = !overview; place(true); });
  $("fullscreen").addEventListener("click", toggleFullscreen);
  slider.addEventListener("input", function () { go(parseInt(slider.value, 10)); });
  window.addEventListener("keydown", function (event) {
    var typing = event.target && event.target.tagName === "INPUT" && event.target.type === "text";
    if (typing) { if (event.key === "Enter") { event.preventDefault(); check(); } return; }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    if (key === "ArrowRight" || key === " " || key === "PageDown") { event.preventDefault(); forward(); }
    else if (key === "ArrowLeft" || key === "PageUp") { event.preventDefault(); back(); }
    else if (key === "Home") { event.preventDefault(); go(0); }
    else if (key === "End") { event.preventDefault(); go(frames.length - 1); }
    else if (key === "f" || key === "F") { event.preventDefault(); toggleFullscreen(); }
    else if (key === "t" || key === "T") { event.preventDefault(); nextTheme(); }
    else if (key === "o" || key === "O") { event.preventDefault(); overview = !overview; place(true); }
  }, true);
  function fromHash() {
    var m = /(?:^#|&)frame=(\d+)/.exec(location.hash);
    return m ? Math.min(parseInt(m[1], 10), frames.length - 1) : 0;
  }
  window.addEventListener("hashchange", function () { var k = fromHash(); if (k !== current) go(k); });
  window.addEventListener("resize", function () { place(false); });
  document.addEventListener("fullscreenchange", function () { place(false); });
  current = fromHash();
  revealed = !needsReveal(current);
  show(false);
})();
</script>
</body>
</html>
"""
