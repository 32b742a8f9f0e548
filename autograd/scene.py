"""The scene: what a picture of a graph shows, as plain data, built once; DOT, the page, slides, LaTeX and tree read it.

``build(root, ...)`` walks the graph once and writes down everything a view needs, so no view
reaches back into the graph: the views read values, operands, steps and ops by the scene's ids.

- ``values``: one ``Node`` per value (``n<i>``, ``i`` its index in ``topological_order``) with
  its kind (output, parameter, leaf, constant, inner), name, title, label (also as given), data,
  grad, op, operands (the ids, in order), formula, the scope that made it, its op's ``rules`` (the
  ``ops.Op`` itself, stateless: how it writes its formula, rules and mistakes with any names or
  numbers, and its code), and per operand an ``Operand``: the local derivative, its rule as the
  op writes it (kept as a template with the operands' ids, so a view can write it with other
  names), the rule with the numbers in;
- ``nodes``: what is drawn, in order: the values and their operations (``op<i>``), a value drawn
  again beside a far operation; in a collapsed scene also units' records (``c<k>``), buses, lumps;
- ``edges``: the arrows a picture draws: an operand into its operation, with a local
  derivative, a rule and the upstream gradient; an operation into its value;
- ``boxes``: a box per name scope of a model (``layers.1``, ``t=3``) or per title of ``groups``,
  each with its title and the box it sits in;
- ``steps``: with ``walk=True``, the backward pass (from a chain rule of the scene's own, so no
  ``.grad`` changes) as ``Step`` records: explain's, by the scene's ids (a step's ``node``, each
  ``Entry``'s ``parent``), written as explain writes them; with the sum a parent's step completes
  (its terms as references, ``("contribution", id, i)``: see written.py);
- ``units``: the parts of an nn model drawn as one record when collapsed (see collapse.py):
  the smallest scope that holds every node reading some parameter (a Neuron, a Linear's row,
  a Conv2d's channel, an RNN, a user's module), with the activation that alone reads its output.

``reading_order_leaves`` and ``operand_paths`` read the leaves and the paths from the root down to
each of them off the values' operands. ``ids`` maps the graph's nodes to the scene's ids, for a
caller that was handed Values (walkthrough's ``data=``); no view reads it.

Which node belongs to which module is what nn recorded when it built the node (``Value.scope``);
nothing here reads structure out of label text. Ids are the scene's, so DOT, the page, the
frames and the boxes all name the same nodes.

Two rules keep a picture readable and quick for ``dot`` (Graphviz spends time on every column
an arrow crosses): an operand whose arrow would cross more than ``LONG_EDGE`` columns is drawn
again next to the operation that uses it (a ``copy``, "x (reused)"); an operand used
``MERGE_AT`` times or more by one operation gets one arrow marked with the count.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from autograd.engine import start_grads, topological_order
from autograd.explain import MAX_PATHS_PER_LEAF, ParentStep, Step as Explained, expect_value
from autograd.explain import operand_paths as explained_paths, reading_order_leaves as explained_leaves
from autograd.explain import walk as explained_steps
from autograd.text import fmt, names, natural, shorten, visible

MAX_NODES = 500
COLLAPSE_AT = 60  # model graphs with more values than this are drawn one record per unit (see collapse.py)
LONG_EDGE = 6  # columns (values and operations) an arrow may cross before its operand is drawn again
ARROWS_PER_NODE = 4  # a picture may have this many arrows per allowed node (dot's time grows with arrows)
MERGE_AT = 3  # uses of one operand by one operation drawn as a single arrow with a count
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")
TITLE_CHARS = 160  # a page title is cut here
HEADER_CHARS = 64  # a title this long reads in the header of a 1280 px wide window

_PARAMETER_NAME = re.compile(r"^[A-Za-z_]\w*(?:\.\w+)+$|^[wb](?:_?\d+)?$")  # how the leaf is coloured, nothing more
_NAME = re.compile(r"^[^\W\d][\w.]*$")  # a name a program or a user gave (``out_h1``), not a text


@dataclass
class Operand:
    """One operand of a value: its id, the local derivative, and how the op writes that derivative."""

    id: str
    local: float
    rule: str  # as the op writes it, with the scene's names: "1 - o²"
    template: str  # the same with "\x00<id>\x00" for each name, to write it with other names
    numbers: str  # with the numbers in (6 digits): "1 - 0.707107²"


@dataclass
class Node:
    """One thing a picture draws: a value, an operation, a value drawn again, a unit's record, a bus, a lump."""

    id: str
    kind: str  # a value: output, parameter, leaf, constant, inner; else op, copy, unit, bus, inputs, lump
    name: str = ""  # in formulas: the label, or v<i>
    title: str = ""  # shown on the node
    data: float = None
    grad: float = None
    op: str = ""
    operands: list = field(default_factory=list)  # a value's [Operand] in order; an op's [value id]; a copy's
    # [the value it repeats, the value beside whose operation it is drawn]; a record's, bus's, lump's: the values it stands for
    formula: str = ""  # how the value is computed, in its operands' names: "x1·w1"
    numbers: str = ""  # the same with their numbers: "2.0·(-3.0)"
    box: str = None  # the id of the innermost box it is drawn in
    scope: str = ""  # the path of the scope that made it ("" for none, and for a model's own top scope)
    maker: str = ""  # that scope's kind: a module's class ("MaxPool2d"), "neuron", "step"; "" for none
    parameter: str = ""  # a parameter's name inside its module: "w.0"
    unit: str = ""  # the unit (see collapse.py) it belongs to
    rows: list = None  # a unit's record: rows of cells [template, [[what, id], ...]]
    label: str = ""  # the label as written (control characters escaped)
    given: str = ""  # the label exactly as given, as the engine's messages quote it
    rules: object = field(default=None, repr=False)  # a value's op (an ops.Op, stateless): its formula, rule,
    # mistakes and code, to write it with other names or numbers; None for a leaf


@dataclass
class Edge:
    """An arrow: an operand into an operation (with its derivative), an operation into its value, or a feed."""

    tail: str
    head: str
    value: str = ""  # the value whose operation the arrow enters ("" for other arrows)
    parent: str = ""  # the operand's value id
    index: int = 0  # which operand (the first one when merged)
    text: str = ""  # "∂o/∂n"
    rule: str = ""
    local: float = None  # for a merged arrow, the sum over its uses
    each: float = None  # one use's local derivative
    uses: int = 1
    together: bool = False  # uses with different derivatives: one arrow, their sum
    rules_differ: bool = False  # uses with different rules
    upstream: float = None  # the value's grad


@dataclass
class Box:
    """A box around the nodes of a scope or a group: its title, and the box it sits in."""

    id: str
    title: str
    parent: str = None
    kind: str = "scope"  # scope, layer (holds records), unit (an expanded unit), group
    norm: list = None  # a layer's parameters, whose gradient norm its title shows


@dataclass
class Scene:
    """Everything a view shows; see the module docstring."""

    root: str
    nodes: dict  # id -> Node: what is drawn, in drawing order
    edges: list
    boxes: dict  # id -> Box
    values: dict  # id -> Node of every value, in topological order (also those a record stands for)
    title: str = ""
    steps: list = None  # [(Step, sums)] with walk=True: the backward pass by the scene's ids
    ids: dict = field(default=None, repr=False)  # graph node -> id, for a caller handed Values; no view reads it
    units: dict = None  # unit name -> Unit
    collapsed: bool = False
    expand: object = None
    rankdir: str = "LR"
    plan: object = field(default=None, repr=False)  # a collapsed scene's collapse.Plan

    @property
    def order(self):
        """The value ids in topological order."""
        return list(self.values)

    def consumers(self):
        """value id -> the ids of the values that use it, once per use, in order."""
        uses = {vid: [] for vid in self.values}
        for vid, node in self.values.items():
            for operand in node.operands:
                uses[operand.id].append(vid)
        return uses


@dataclass(eq=False)
class Entry(ParentStep):
    """explain's ParentStep by the scene's ids: ``parent.grad += local · upstream``, and the rule behind local."""

    parent: str  # the operand's id


@dataclass(eq=False)
class Step(Explained):
    """explain's Step by the scene's ids: one value's chain rule, its upstream gradient passed to each operand,
    written as explain writes it (``columns``, ``lines``)."""

    node: str  # the value's id
    parents: tuple  # an Entry per operand, in order


@dataclass
class Unit:
    """A part of a model a collapsed picture draws as one record: a neuron, a Linear's row, a module."""

    name: str  # its scope's path
    kind: str  # its scope's kind: Neuron, neuron (a Linear's row), a module's class
    layer: str  # the path of the scope it sits in ("" at the top)
    members: list  # value ids: its parameters and the values it computes
    expanded: bool = False
    ends: list = field(default_factory=list)  # the members no other member reads: its output, one per sample


def kind(node, root):
    """One of "output", "parameter", "leaf", "constant", "inner": how a value is coloured.

    A parameter is a leaf nn named as one (it has a scope), or one whose label reads as a
    parameter's (a dotted name, or ``w``/``b`` with digits: ``w1``, ``b_2``, as in hand-built neurons).
    """
    if node is root:
        return "output"
    if node.parents:
        return "inner"
    if not node.label:
        return "constant"
    return "parameter" if node.scope is not None or _PARAMETER_NAME.match(node.label) else "leaf"


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


def reading_order_leaves(scene):
    """The leaves the root depends on, each once, in the order they are written in its expression."""
    return explained_leaves(scene.root, operand_ids(scene))


def operand_paths(scene, max_paths=MAX_PATHS_PER_LEAF):
    """{leaf id: every path from the root down to it, each a list of (value id, i): the value's operand i},
    leaves in reading order; None for a leaf reached by more than max_paths paths (``a / a`` has two)."""
    return explained_paths(scene.root, max_paths, scene.order, operand_ids(scene))


def operand_ids(scene):
    """value id -> the ids of its operands, in order: what explain's walks read off a Value's parents."""
    values = scene.values
    return lambda vid: [operand.id for operand in values[vid].operands]


def fill(template, name):
    """A rule or formula template with each "\x00<id>\x00" written as name[id]."""
    return re.sub("\x00([^\x00]*)\x00", lambda m: name[m[1]], template)


# ---- which part of a model made each node --------------------------------------------------


def top_names(order):
    """{scope: its name} for the modules held by no parent whose parameters the graph reads, when there are
    several (``l2(l1(x))`` with two Linears, whose scope paths both start at ""): each is named by its
    class and order of first use, ``Linear``, ``Linear#2``; {} for one model (its scope is the picture)."""
    tops = [node.scope.chain()[-1] for node in order if node.parents and node.scope is not None]  # in order of use
    reading = {node.scope.chain()[-1] for node in order if not node.parents and node.scope is not None
               and node.scope.kind == "parameter"}
    tops = [top for top in dict.fromkeys(tops) if top in reading]
    if len(tops) < 2:
        return {}
    named, seen = {}, Counter()
    for top in tops:
        kind = top.kind or "module"
        seen[kind] += 1
        named[top] = kind if seen[kind] == 1 else f"{kind}#{seen[kind]}"
    return named


def path_of(scope, tops):
    """A scope's path, under the name its top module has in tops (``Linear#2.0``); "" for None."""
    if scope is None:
        return ""
    return ".".join(part for part in (tops.get(scope.chain()[-1], ""), scope.path) if part)


def find_units(order, tops):
    """{unit name: (kind, layer, [nodes])}: a unit is the smallest scope that holds every node reading some
    parameter (a neuron's, a Linear row's, a Conv2d channel's, an RNN's), unless it holds another unit;
    its members are those parameters, the nodes built in it, and an activation that alone reads one of
    its outputs (a ReLU module after a Linear). Names are scope paths (tops: top_names(order))."""
    owner = {node: common for node, common in reading_scopes(order).items()
             if common is not None and path_of(common, tops)}
    units = set(owner.values())
    outer = {s for unit in units for s in unit.chain()[1:]}
    units -= outer
    home = {}
    for node in order:
        if node in owner:
            if owner[node] in units:
                home[node] = owner[node]
        elif node.parents and node.scope is not None:
            unit = next((s for s in node.scope.chain() if s in units), None)
            if unit is not None:
                home[node] = unit
    users = {}
    for node in order:
        for parent in node.parents:
            users.setdefault(parent, []).append(node)
    for node in order:  # an activation module's node that alone reads a unit's output joins the unit
        if (node.op in ACTIVATIONS and node not in home and len(node.parents) == 1 and node.parents[0] in home
                and users[node.parents[0]] == [node] and node.parents[0].op not in ACTIVATIONS):
            home[node] = home[node.parents[0]]
    found = {}
    for node in order:
        if node in home:
            found.setdefault(home[node], []).append(node)
    return {path_of(unit, tops): (unit.kind, path_of(unit.parent, tops), members) for unit, members in found.items()}


def reading_scopes(order):
    """{parameter: the innermost scope that holds every node reading it} (None when one of them has no scope)."""
    readers = {}
    for node in order:
        for parent in node.parents:
            readers.setdefault(parent, []).append(node.scope)
    return {node: _common(readers.get(node, [None])) for node in order
            if not node.parents and node.scope is not None and node.scope.kind == "parameter"}


def _common(scopes):
    """The innermost scope that holds all of scopes (None if one of them is None or they share none)."""
    if not scopes or any(s is None for s in scopes):
        return None
    common = scopes[0].chain()
    for scope in set(scopes[1:]):
        chain = set(scope.chain())
        common = [s for s in common if s in chain]
    return common[0] if common else None


def check_expand(expand, what):
    """expand as a list of names (None: []); a TypeError that says what expand takes for anything else."""
    if expand is None:
        return []
    wanted = [expand] if isinstance(expand, str) else expand
    if not isinstance(wanted, (list, tuple, set, frozenset)):
        raise TypeError(f"{what}: expand must be a name such as 'layers.1.neurons.3', a list of names, or 'all', "
                        f"got {type(expand).__name__}: {expand!r}")
    for name in wanted:
        if not isinstance(name, str):
            raise TypeError(f"{what}: expand must be a name such as 'layers.1.neurons.3' or a list of names, "
                            f"got {type(name).__name__}: {name!r}")
    return list(wanted)


def expanded_units(expand, unit_names, what):
    """The unit names to draw in full for expand (None, "all", a name or a list of names)."""
    wanted = check_expand(expand, what)
    if "all" in wanted:
        return set(unit_names)
    chosen = set()
    for name in wanted:
        matched = {n for n in unit_names if n == name or n.startswith(name + ".")}
        if not matched:
            examples = ", ".join(sorted(unit_names, key=natural)[:3])
            raise ValueError(f"{what}: expand={name!r} names no neuron or layer of this graph; "
                             f"names look like {examples}")
        chosen |= matched
    return chosen


# ---- the scene -------------------------------------------------------------------------------


def build(root, what, expand=None, max_nodes=MAX_NODES, groups=None, walk=False, rankdir="LR", refuse=None):
    """The scene of root's graph; a model's graph (over ``COLLAPSE_AT`` values, or expand given) is
    marked to be drawn one record per unit (collapse.py draws it so), any other checked against max_nodes.

    Grads are each node's ``.grad``, or with ``walk=True`` root's own gradients from a walk of the
    scene's own (then ``steps`` holds the backward pass); no ``.grad`` changes either way.
    refuse: the words of check_size's refusal of a graph over max_nodes ({"why": ..., "verb": ...}).
    """
    expect_value(root, what)
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"{what}: rankdir must be one of 'LR', 'RL', 'TB', 'BT', got {rankdir!r}")
    if groups is not None and not isinstance(groups, dict):
        raise TypeError(f"{what}: groups must be a dict {{node: title}} (e.g. nn.time_steps(outputs)), "
                        f"got {type(groups).__name__}")
    check_expand(expand, what)
    order = topological_order(root)
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    tops = top_names(order)
    units, collapsed = {}, False
    if expand != "all" and (expand is not None or len(order) > COLLAPSE_AT):
        found = find_units(order, tops)
        if not found and expand is not None:
            raise ValueError(f"{what}: expand={expand!r} names parts of an nn model, but no value of this graph "
                             f"is a model's parameter (nn names them, e.g. layers.0.neurons.1.w.0)")
        chosen = expanded_units(expand, list(found), what)
        units = {name: Unit(name, kind_, layer, [ids[m] for m in members], name in chosen,
                            [ids[m] for m in _ends(members)])
                 for name, (kind_, layer, members) in sorted(found.items(), key=lambda item: natural(item[0]))}
        collapsed = bool(units)
    if not collapsed:
        check_size(order, max_nodes, what, **(refuse or {}))
    unit_of = {m: unit.name for unit in units.values() for m in unit.members}
    name = names(order)
    by_id = {nid: node for node, nid in ids.items()}
    for unit in units.values():  # a collapsed unit's output is named after it, so formulas read
        if not unit.expanded and len(unit.ends) == 1:
            name[by_id[unit.ends[0]]] = f"{unit.name}.out"
    grads = start_grads(order, 1.0) if walk else None
    steps = list(explained_steps(order, grads, name)) if walk else None  # in the scene's names
    named = {ids[node]: text for node, text in name.items()}  # id -> name, to fill in the rules' templates
    nodes = {}
    for node in order:
        nid = ids[node]
        nodes[nid] = _value_node(node, nid, root, name, ids, named, grads, unit_of.get(nid, ""), tops)
    scene = Scene(ids[root], dict(nodes), [], {}, nodes, title=_expression(root, order, ids, name, units),
                  steps=_steps(steps, order, ids) if walk else None, ids=ids, units=units,
                  collapsed=collapsed, expand=expand, rankdir=rankdir)
    _boxes(scene, order, ids, groups, tops)
    if not collapsed:
        _drawing(scene, order, ids, name)
    return scene


def _value_node(node, nid, root, name, ids, named, grads, unit, tops):
    """The Node of one value, with its operands' derivatives and rules (named: name by id; tops: see top_names)."""
    label = visible(node.label)
    scope = node.scope
    parameter = scope.name if scope is not None and scope.kind == "parameter" and not node.parents else ""
    made_by = scope.parent if parameter else scope
    held = {p: f"\x00{ids[p]}\x00" for p in node.parents}
    held[node] = f"\x00{nid}\x00"
    values = [fmt(p.data) for p in node.parents]
    operands = []
    for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
        template = node._op.rule(i, [held[p] for p in node.parents], held[node])
        operands.append(Operand(ids[parent], local, fill(template, named), template,
                                node._op.rule(i, values, fmt(node.data))))
    return Node(
        nid, kind(node, root), name=name[node], title=shorten(label) if label else shorten(name[node]),
        data=node.data, grad=grads[node] if grads is not None else node.grad, op=node.op, operands=operands,
        formula=node._op.formula([name[p] for p in node.parents]) if node.parents else "",
        numbers=node._op.formula(values) if node.parents else "",
        scope=path_of(made_by, tops), maker=made_by.kind if made_by is not None else "",
        parameter=parameter, unit=unit, label=label, given=node.label, rules=node._op)


def _ends(members):
    """The values of a unit that no other value of it reads: its output, one per sample."""
    own = set(members)
    read = {p for m in members for p in m.parents if p in own}
    return [m for m in members if m.parents and m not in read]


def _steps(steps, order, ids):
    """explain's steps (walked in the scene's names) as the scene's Steps, by its ids, with the sum each completes
    for a parent (the references of the contributions it adds)."""
    uses = Counter(ids[p] for node in order for p in node.parents)
    received = {ids[node]: [] for node in order}
    result = []
    for step in steps:
        entries = tuple(Entry(ids[entry.parent], entry.name, entry.local, entry.contribution, entry.grad_after,
                              entry.rule, entry.numbers) for entry in step.parents)
        step = Step(step.number, ids[step.node], step.name, step.upstream, entries)
        sums = []
        for i, entry in enumerate(step.parents):
            received[entry.parent].append(("contribution", step.node, i))
            done = len(received[entry.parent]) == uses[entry.parent]
            sums.append(list(received[entry.parent]) if done else None)
        result.append((step, sums))
    return result


def unit_noun(kind):
    """What a unit of this kind is called in titles: "neuron" for a Neuron and a Linear's row, else its kind
    ("channel", or a module's class)."""
    return "neuron" if kind.lower() == "neuron" else kind


def counted(units):
    """Units counted by what titles call them: "5 neurons", "2 channels and 3 neurons"."""
    counts = Counter(unit_noun(unit.kind) for unit in units)
    return " and ".join(f"{count} {noun}{'s' * (count > 1)}" for noun, count in counts.items())


def _expression(root, order, ids, name, units):
    """The page's title: the whole expression root computes, written from its leaves (``o = tanh(x1·w1 +
    ...)``) while that is short enough to read at once; a longer one is written in the names of the values
    that have one (a program's statements: ``E_total = E_o1 + E_o2``, ``L = (a99 - t)²``), and a model's
    that is still long says what it is: ``v617: a model of 33 neurons in 3 layers, over 4 samples``."""
    folded_units = {m for unit in units.values() if not unit.expanded for m in unit.members}
    whole = _written_from(order, name, lambda node: not node.parents or ids[node] in folded_units)
    if len(whole) > HEADER_CHARS:  # a CLI's ``(x1*w1 + x2*w2)`` is a text, not a name
        named = _written_from(order, name, lambda node: not node.parents or (
            node is not root and _NAME.match(visible(node.label))), shorter_than=len(whole))
        if named is not None:
            whole = named
    if len(whole) > HEADER_CHARS and units:
        layers = len({unit.layer for unit in units.values()})
        title = f"{name[root]}: a model of {counted(units.values())} in {layers} layer{'s' * (layers > 1)}"
        # a neuron's outputs are one per sample; a channel's are positions of one image, not samples
        samples = max((len(unit.ends) for unit in units.values() if unit_noun(unit.kind) == "neuron"), default=0)
        return title + (f", over {samples if samples > 1 else 'one'} sample{'s' * (samples > 1)}" if samples else "")
    if len(whole) > TITLE_CHARS:
        whole = whole[:TITLE_CHARS - 1] + "…"
    return whole if not root.parents or not root.label else f"{name[root]} = {whole}"


def _written_from(order, name, folded, shorter_than=None):
    """The root's formula written all the way from the nodes folded() says to write by their names; None when it
    is not shorter_than that many characters (known from its first part that long: an op writes its operands whole)."""
    inside, stack = {}, [order[-1]]  # node -> folded?, for the nodes the root's text shows (none under a folded one)
    while stack:
        node = stack.pop()
        if node not in inside:
            inside[node] = folded(node)
            if not inside[node]:
                stack.extend(node.parents)
    text = {}
    for node in order:  # each op brackets its operands' texts as they need
        if node in inside:
            written = name[node] if inside[node] else node._op.formula([text[p] for p in node.parents])
            if shorter_than is not None and len(written) >= shorter_than:
                return None
            text[node] = written if len(written) <= 4 * TITLE_CHARS else written[:4 * TITLE_CHARS]
    return text[order[-1]]


def _boxes(scene, order, ids, groups, tops):
    """A box per title of groups, else per scope of a model (the top scope is the picture itself)."""
    boxes, nodes = scene.boxes, scene.nodes
    if groups:
        by_title = {}
        for title in groups.values():
            by_title.setdefault(title, f"box{len(by_title)}")
        for node in order:
            if node in groups:
                nodes[ids[node]].box = by_title[groups[node]]
        used = {node.box for node in nodes.values()}
        for title, bid in by_title.items():
            if bid in used:
                boxes[bid] = Box(bid, str(title), kind="group")
        return
    reading = reading_scopes(order)
    homes = {}
    for node in order:
        scope = node.scope
        if node in reading:  # a parameter sits with the part that reads it (a Linear's row), inside its own module
            common = reading[node]
            scope = common if common is not None and scope.parent in common.chain() else scope.parent
        homes[node] = scope if path_of(scope, tops) else None
    scopes = {s for scope in homes.values() if scope is not None for s in scope.chain() if path_of(s, tops)}
    by_scope = {}
    for scope in sorted(scopes, key=lambda s: natural(path_of(s, tops))):  # t=1 before t=2, layers.2 before layers.10
        by_scope[scope] = f"box{len(by_scope)}"
    for scope, bid in by_scope.items():
        parent = scope.parent
        boxes[bid] = Box(bid, path_of(scope, tops), by_scope.get(parent) if parent is not None else None)
    for node in order:
        nodes[ids[node]].box = by_scope.get(homes[node])


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


def _drawing(scene, order, ids, name):
    """The drawing of every value: its operation, the arrows with their derivatives, far operands drawn again."""
    column = _columns(order)
    drawn, edges = {}, scene.edges
    shown = {ids[node]: shorten(text) for node, text in name.items()}
    for node in order:
        nid = ids[node]
        value = scene.nodes[nid]
        drawn[nid] = value
        if not node.parents:
            continue
        op_id = f"op{nid[1:]}"
        drawn[op_id] = Node(op_id, "op", title=node.op, op=node.op, operands=[nid], box=value.box)
        edges.append(Edge(op_id, nid))
        uses = Counter(node.parents)
        merged = set()
        for i, (parent, operand) in enumerate(zip(node.parents, value.operands)):
            if parent in merged:
                continue
            tail = ids[parent]
            if column[node] - 1 - column[parent] > LONG_EDGE:
                copy = f"{tail}r{nid[1:]}"  # the operand again, next to this operation
                if copy not in drawn:
                    original = scene.nodes[tail]
                    drawn[copy] = Node(copy, "copy", name=original.name, title=original.title, operands=[tail, nid],
                                       box=value.box)
                tail = copy
            edge = Edge(tail, op_id, value=nid, parent=ids[parent], index=i, text=f"∂{shown[nid]}/∂{shown[ids[parent]]}",
                        rule=fill(operand.template, shown), local=operand.local, each=operand.local, upstream=value.grad)
            if uses[parent] >= MERGE_AT:  # one arrow for all of this operation's uses of parent
                merged.add(parent)
                same = [k for k, p in enumerate(node.parents) if p is parent]
                locals_ = [value.operands[k].local for k in same]
                rules = {fill(value.operands[k].template, shown) for k in same}
                edge.uses = uses[parent]
                edge.together = len(set(locals_)) != 1
                edge.rules_differ = len(rules) > 1
                edge.local = sum(locals_)
            edges.append(edge)
    scene.nodes = drawn
