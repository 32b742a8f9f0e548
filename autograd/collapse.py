"""A model's scene drawn one record per unit: scene in, scene out (``collapse(scene)``).

The scene (scene.py) knows, from the scopes nn recorded, which values form a unit: a neuron,
a Linear's row or a user's module whose nodes alone read some parameters. A scene built from
a model's graph over ``COLLAPSE_AT`` values (or with ``expand``) is drawn with

- one record per unit: its name and activation, its parameters in rows with their grads
  (``w 0-7`` then ``grad``), its other parameters (``b``), its weighted sum and its output;
- a box per scope the units sit in (a layer), titled with how many units it holds and the norm
  of all their parameters' grads (expanded ones too), and one node for the layer's outputs
  that carries them to the next layer (so 16 × 16 connections are 32 arrows, not 256);
- the inputs the first layer reads folded into one node, whatever the batch size;
- the values a module makes outside every unit (a MaxPool2d, a Dropout, a user's module's own
  arithmetic), grouped by the scope that made them (``Value.scope``): up to ``MAX_GROUP``
  operations drawn as usual, in the module's box, more as one node titled with its scope, kind
  and operations (``2 · MaxPool2d: 8 max``);
- the loss (the values no module made) drawn as usual, with a value's local derivative on every
  arrow, unless it is large (a loss over many samples): then it is one node too.

Units named by ``expand`` are drawn in full inside their layer's box. Everything here reads the
scene's plain data (ids, operands, scopes, numbers); no label is parsed. A record's cells and a
box's title keep their numbers as references (``["grad", "n7"]``), so the page and the slides
can show "–" for a number their frame has not computed yet.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from autograd.scene import ACTIVATIONS, Edge, Node, fill, unit_noun
from autograd.text import short, shorten

MAX_LOOSE = 12  # a loss (values no module made) with more values than this (a loss over a batch) is drawn as one node
MAX_GROUP = 4  # a module's values outside every unit: more operations than this are drawn as one node
LOSS = ("", "")  # the scope and kind of the values no module made
ROW = 8  # weights per row of a unit's record
NOT_KNOWN = "–"  # a number a picture does not know yet


@dataclass
class Lump:
    """Values drawn as one node: the loss over a batch, or what a module without parameters computes."""

    id: str  # "lump" for the loss, "lump1", "lump2", ... for modules
    title: str  # on the node: "2 · MaxPool2d: 8 max"
    words: str  # in a frame's sentence: "the loss over every sample", "2 · MaxPool2d"
    doing: str  # what its operations do: "compute the loss from every sample's output"
    members: list  # the ids of the operations it stands for, in order
    box: str | None = None  # the scene's box it is drawn in (a module's lump: the box its module sits in)


class Plan:
    """Which value of a model's scene is drawn as what: its unit's record, a layer's inputs, a lump, or itself."""

    def __init__(self, scene):
        self.scene = scene
        nodes, order, root = scene.nodes, scene.order, scene.root
        self.home = {m: unit.name for unit in scene.units.values() for m in unit.members}
        self.collapsed = [name for name, unit in scene.units.items() if not unit.expanded]
        self.members = {name: unit.members for name, unit in scene.units.items()}
        self.layer_of = {name: unit.layer for name, unit in scene.units.items()}
        self.cid = {name: f"c{k}" for k, name in enumerate(self.collapsed)}
        self.consumers = consumers = scene.consumers()
        self.layer_units, self.layer_neurons = {}, {}
        for name, unit in scene.units.items():
            self.layer_units.setdefault(unit.layer, []).append(name)
            if not unit.expanded:
                self.layer_neurons.setdefault(unit.layer, []).append(name)
        cid, home = self.cid, self.home
        # Leaves read only by collapsed units (the samples' inputs) fold into one node per layer.
        self.folded = {v for v in order if not nodes[v].operands and v not in home and consumers[v]
                       and all(home.get(c) in cid for c in consumers[v])}
        loose = [v for v in order if v not in home and v not in self.folded]
        self.lumps = {}  # lump id -> Lump
        self.lumped = {}  # value id -> the id of the lump it is drawn in (its operations, and leaves only they read)
        modules = 0
        for key, group in self._by_maker(loose).items():
            operations = [v for v in group if nodes[v].operands and v != root]
            if key == LOSS:
                if len(group) <= MAX_LOOSE or not operations:
                    continue
                lump = self._lump(key, operations, "lump")
            else:
                if len(operations) <= MAX_GROUP:
                    continue
                modules += 1
                lump = self._lump(key, operations, f"lump{modules}")
            self.lumps[lump.id] = lump
            self.lumped.update((v, lump.id) for v in operations)
            self.lumped.update((v, lump.id) for v in group if not nodes[v].operands and consumers[v]
                               and all(self.lumped.get(c) == lump.id for c in consumers[v]))

    def _by_maker(self, loose):
        """{(scope, kind): [value ids]} of the values outside every unit, by the scope that made them; a leaf
        goes with the values that read it when they share a scope, else with the loss (LOSS)."""
        nodes, consumers = self.scene.nodes, self.consumers
        loose_set = set(loose)
        groups = {}
        for v in loose:
            node = nodes[v]
            key = (node.scope, node.maker)
            if not node.operands:
                makers = {(nodes[c].scope, nodes[c].maker) for c in consumers[v]}
                key = makers.pop() if len(makers) == 1 and all(c in loose_set for c in consumers[v]) else LOSS
            groups.setdefault(key, []).append(v)
        return groups

    def _lump(self, key, operations, lid):
        """The Lump of a group's operations: the loss's, or a module's titled with its scope, kind and ops."""
        if key == LOSS:
            return Lump(lid, f"the loss over every sample: {len(operations)} operations", "the loss over every sample",
                        "compute the loss from every sample's output", operations)
        scope, maker = key
        name = f"{scope} · {maker}" if scope else maker
        ops = list(dict.fromkeys(self.scene.nodes[v].op for v in operations))
        if len(ops) == 1 and ops[0].isidentifier():
            count = f"{len(operations)} {ops[0]}"  # "8 max"
        else:  # "16 operations (*2)", "12 operations (*, +)"
            count = f"{len(operations)} operations ({', '.join(ops[:3])}{', …' if len(ops) > 3 else ''})"
        box = self.scene.nodes[operations[0]].box
        return Lump(lid, f"{name}: {count}", name, f"compute the outputs of {name}", operations,
                    self.scene.boxes[box].parent if box is not None else None)

    def ends(self, unit):
        """The values a unit hands on (its activation, or its weighted sum when it has none): one per sample."""
        return self.scene.units[unit].ends

    def neuron(self, vid):
        """The collapsed unit that value is drawn inside, or None."""
        unit = self.home.get(vid)
        return unit if unit in self.cid else None

    def shown_by(self, vid):
        """The id that stands for the value in the picture: its unit's record when collapsed."""
        unit = self.neuron(vid)
        return self.cid[unit] if unit is not None else vid

    def drawn_as(self, vid):
        """The id of what a value is drawn as: itself, its unit, the inputs of the layer that reads it, a lump."""
        if vid in self.lumped:
            return self.lumped[vid]
        if vid in self.folded:
            return bus_id(f"in:{self.layer_of[self.home[self.consumers[vid][0]]]}")
        return self.shown_by(vid)

    def source(self, parent, reader=None):
        """Where an arrow that brings parent's value starts: a node, a unit, a layer's outputs, the inputs, a lump."""
        if parent in self.lumped:
            return self.lumped[parent]
        if parent in self.folded:
            return f"in:{self.layer_of[reader]}" if reader is not None else self.shown_by(parent)
        unit = self.neuron(parent)
        if unit is not None and reader is not None and reader in self.cid and self.layer_of[unit]:
            return f"bus:{self.layer_of[unit]}"
        return self.shown_by(parent)

    def parameters(self, unit):
        """The unit's parameters as [(group, index, id)]: a list attribute's items have a group ("w", and a
        Linear's row keeps "weight"), a single one has none ("b")."""
        params = []
        for m in self.members[unit]:
            node = self.scene.nodes[m]
            if node.operands or not node.parameter:
                continue
            parts = node.parameter.split(".")
            own = unit[len(node.scope) + 1:] if node.scope else unit  # the unit's name inside the parameter's module
            if node.scope != unit and len(parts) > 1 and parts[1] == own:
                del parts[1]  # a Linear's weight.3.1 in its row 3: weight, 1; its bias.3: bias
            group = ".".join(parts[:-1])
            params.append((group, parts[-1], m))
        return params

    def layer_title(self, layer):
        """(a layer's box title with "{norm}" for its gradient norm, the parameters the norm covers)."""
        group = self.layer_units[layer]
        kind = self.scene.units[group[0]].kind
        noun = unit_noun(kind)
        full = sum(1 for name in group if self.scene.units[name].expanded)
        note = f" ({full} drawn in full)" if full and full < len(group) else ""
        params = [m for name in group for _, _, m in self.parameters(name)]
        return f"{layer} · {len(group)} {noun}{'s' if len(group) > 1 else ''}{note} · ‖grad‖ = {{norm}}", params

    def record(self, unit):
        """The rows of a unit's record: cells [template, [[what, id], ...]], every number a reference."""
        nodes = self.scene.nodes
        grouped, singles = {}, []
        for group, index, m in self.parameters(unit):
            if group:
                grouped.setdefault(group, []).append((index, m))
            else:
                singles.append((index, m))
        inner = [m for m in self.members[unit] if nodes[m].operands]
        activation = next((nodes[m].op for m in inner if nodes[m].op in ACTIVATIONS), "linear")
        rows = [[[f"{unit} ({activation})", []]]]
        for group, items in grouped.items():
            for start in range(0, len(items), ROW):  # long rows are wrapped: w 0-7, grad, w 8-15, grad, ...
                chunk = items[start:start + ROW]
                first = f"{group} {chunk[0][0]}-{chunk[-1][0]}" if len(items) > ROW else group
                rows.append([[first, []]] + [["{}", [["data", m]]] for _, m in chunk])
                rows.append([["grad", []]] + [["{}", [["grad", m]]] for _, m in chunk])
        parts = [[f"{index} {{}}, grad {{}}", [["data", m], ["grad", m]]] for index, m in singles]
        ends = self.ends(unit)
        sums = [m for m in inner if m not in ends]
        if len(ends) == 1 and len(sums) == 1:  # z = w · x + b, before the activation
            parts.append(["z {}, grad {}", [["data", sums[0]], ["grad", sums[0]]]])
        if len(ends) == 1:
            parts.append(["out {}, grad {}", [["data", ends[0]], ["grad", ends[0]]]])
        elif ends:
            what = "samples" if unit_noun(self.scene.units[unit].kind) == "neuron" else "values"
            parts.append([f"out: {len(ends)} {what}", []])
        if parts:
            rows.append(parts)
        return rows


def bus_id(source):
    """The id of a bus ("bus:layers.0" -> "bus_layers_0") or of a layer's inputs; other ids as they are."""
    return re.sub(r"\W", "_", source) if source.startswith(("bus:", "in:")) else source


def cell_text(cell, number):
    """A record cell's text, its numbers written by number(what, id) (which may say "–")."""
    template, refs = cell
    return template.format(*(number(what, vid) for what, vid in refs)) if refs else template


def norm_text(ids, grad):
    """A layer's gradient norm in 3 digits, from grad(id) (None while not known: then "–")."""
    grads = [grad(vid) for vid in ids]
    if any(g is None for g in grads):
        return NOT_KNOWN
    return short(math.sqrt(sum(g * g for g in grads)))


def collapse(scene, max_nodes=None, what="draw"):
    """The scene of a model drawn one record per collapsed unit (see the module docstring); a scene that
    is not marked to collapse comes back as it is. Raises ValueError when even the collapsed picture
    has more than max_nodes value nodes."""
    if not scene.collapsed:
        return scene
    plan = Plan(scene)
    nodes, order = scene.nodes, scene.order
    shown = {vid: shorten(nodes[vid].name) for vid in order}
    cid, home, folded, lumped = plan.cid, plan.home, plan.folded, plan.lumped
    drawn, edges, boxes = {}, [], {}
    box_of_scope = {box.title: bid for bid, box in scene.boxes.items() if box.kind == "scope"}
    new_box = {}

    def place(old):
        """The id in the new scene of an old scope box (and of the boxes it sits in)."""
        if old is None:
            return None
        if old not in new_box:
            parent = place(scene.boxes[old].parent)
            bid = new_box[old] = f"box{len(boxes)}"
            boxes[bid] = replace(scene.boxes[old], id=bid, parent=parent)
        return new_box[old]

    # The units, one record each, in a box per layer.
    for layer, group in plan.layer_units.items():
        layer_box = place(box_of_scope.get(layer)) if layer else None
        if layer_box is not None:
            title, params = plan.layer_title(layer)
            boxes[layer_box] = replace(boxes[layer_box], title=title, kind="layer", norm=params)
        for unit in group:
            if unit in cid:
                drawn[cid[unit]] = Node(cid[unit], "unit", name=unit, title=unit, rows=plan.record(unit), box=layer_box,
                                        unit=unit, operands=list(plan.members[unit]))
    # Values drawn in full: expanded units (in their own box) and everything outside the units.
    for vid in order:
        unit = home.get(vid)
        if unit in cid or vid in folded or vid in lumped:
            continue
        value = nodes[vid]
        drawn[vid] = replace(value, box=place(value.box) if unit is None else place(box_of_scope.get(unit)))
        if unit is not None and drawn[vid].box is not None:
            boxes[drawn[vid].box].kind = "unit"
        if not value.operands:
            continue
        op_id = f"op{vid[1:]}"
        drawn[op_id] = Node(op_id, "op", title=value.op, op=value.op, operands=[vid], box=drawn[vid].box)
        edges.append(Edge(op_id, vid))
        uses = Counter()
        for i, operand in enumerate(value.operands):
            tail = bus_id(plan.source(operand.id))
            uses[(tail, operand.id)] += 1
            if uses[(tail, operand.id)] > 1 and tail != operand.id:
                continue
            edges.append(Edge(tail, op_id, value=vid, parent=operand.id, index=i,
                              text=f"∂{shown[vid]}/∂{shown[operand.id]}", rule=fill(operand.template, shown),
                              local=operand.local, each=operand.local, upstream=value.grad))
    # What the collapsed units read and where their outputs go.
    buses = set()
    for unit in plan.collapsed:
        sources = []
        for member in plan.members[unit]:
            for operand in nodes[member].operands:
                if home.get(operand.id) == unit:
                    continue
                source = plan.source(operand.id, reader=unit)
                if source not in sources:
                    sources.append(source)
        for source in sources:
            if source.startswith(("bus:", "in:")):
                buses.add(source)
            edges.append(Edge(bus_id(source), cid[unit]))
    for bus in sorted(buses):
        kind, layer = bus.split(":", 1)
        if kind == "bus":
            count = len(plan.layer_neurons.get(layer, []))
            drawn[bus_id(bus)] = Node(bus_id(bus), "bus", title=f"outputs of {layer} ({count})")
            for unit in plan.layer_neurons.get(layer, []):
                edges.append(Edge(cid[unit], bus_id(bus)))
        else:
            inputs = [v for v in folded if any(plan.layer_of.get(home.get(c)) == layer for c in plan.consumers[v])]
            drawn[bus_id(bus)] = Node(bus_id(bus), "inputs",
                                      title=f"inputs of {layer}: {len(inputs)} value{'s' * (len(inputs) != 1)}",
                                      operands=sorted(inputs, key=order.index))
    for lump in plan.lumps.values():
        drawn[lump.id] = Node(lump.id, "lump", title=lump.title, operands=list(lump.members), box=place(lump.box))
        sources = []
        for vid in lump.members:
            for operand in nodes[vid].operands:
                if lumped.get(operand.id) == lump.id:
                    continue
                source = bus_id(plan.source(operand.id))
                if source not in sources:
                    sources.append(source)
        edges += [Edge(source, lump.id) for source in sources]
    values = sum(1 for node in drawn.values() if node.kind not in ("op", "copy", "bus", "inputs", "lump"))
    if max_nodes and values > max_nodes:
        raise ValueError(f"{what}: drawn one node per neuron, with {scene.expand!r} in full, this graph still has "
                         f"{values} value nodes, more than max_nodes={max_nodes}; expand less, or pass "
                         f"max_nodes=None (or 0) to draw it anyway")
    return replace(scene, nodes=drawn, edges=_dedupe(edges), boxes=boxes, plan=plan)


def _dedupe(edges):
    seen, kept = set(), []
    for edge in edges:
        key = (edge.tail, edge.head, edge.text, edge.rule, edge.local)
        if key not in seen:
            seen.add(key)
            kept.append(edge)
    return kept
