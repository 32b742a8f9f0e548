"""The frames of a walkthrough, computed from a scene: ``frames_of(scene, quiz)``.

A frame is plain data the page plays and ``frames()`` draws: its ``phase`` (forward, backward,
done), ``title``, ``lines`` of text (the chain rule, rule -> numbers -> value), the ``node`` it is
about (a scene id; its operation ``op``, or a ``group`` of records), the ``parents`` it passes
gradient to, the numbers it makes known (``set``: ``{id: {"data": 0.5}}``, numbers as numbers;
a record or a bus is marked ``True``), for a backward step the ``chain`` of numbers its lines are
written from, and for the quiz the questions it ``ask``s and the numbers it ``hide``s until
answered.

A small graph is played one value per forward frame and one node per backward step, the steps
being explain's own (the engine's chain rule, from the scene's walk). A model's scene drawn one
record per unit (collapse.py) is played one layer per forward frame and one unit per backward
frame (one layer per frame when it has more than ``NEURON_STEPS`` units, or a batch); a value
drawn in full is stepped as on a small graph. A record's numbers are known from the frame that
computes them; everything is known in the last.
"""

from dataclasses import replace

from autograd.collapse import bus_id, norm_text
from autograd.ops import factor
from autograd.scene import ACTIVATIONS, fill
from autograd.text import fmt, natural, rule_and, short

NEURON_STEPS = 40  # a model with more units drawn collapsed than this steps backward one layer per frame
_LISTED = 6  # numbers listed in a line before "…"
_NEURON_LINES = 5  # a unit's backward frame shows this many lines before its last one
_STEP_LINES = 4  # a step of a value drawn in full lists this many of its operands' updates
_LINE_CHARS = 120  # a longer formula is cut with "…"
QUIZ_MODES = (None, "grad", "data")


def number(x):
    """A number for the page's JSON: a float, or "inf", "-inf", "nan" (JSON has no such numbers)."""
    return x if x == x and x not in (float("inf"), float("-inf")) else str(x)


def _finite(x):
    return x if x == x and x not in (float("inf"), float("-inf")) else None


def frames_of(scene, quiz=None):
    """Every frame of the scene's walkthrough (see the module docstring); the scene was built with walk=True."""
    return _frames(scene, quiz) if scene.plan is None else _collapsed_frames(scene, quiz)


def done_frame(title, lines):
    """A frame of text at the end (the CLI's update table)."""
    return {"phase": "done", "title": str(title), "node": None, "op": None, "parents": [],
            "lines": [str(line) for line in lines], "ask": [], "hide": [], "set": {}}


def reading_order_leaves(scene):
    """The leaves the root depends on, each once, in the order they are written in its expression."""
    values = scene.values
    leaves, seen, stack = [], set(), [scene.root]
    while stack:
        vid = stack.pop()
        if vid in seen:
            continue
        seen.add(vid)
        if not values[vid].operands:
            leaves.append(vid)
        stack.extend(reversed([operand.id for operand in values[vid].operands]))
    return leaves


def _op_id(vid, scene):
    """The id of the operation node that computes the value vid, or None for a leaf."""
    return f"op{vid[1:]}" if scene.values[vid].operands else None


def _chain(step, ids):
    """The numbers of a backward step's lines, as data: per parent, its local derivative, the contribution, the total."""
    return [{"parent": ids[entry.parent], "local": number(entry.local), "upstream": number(step.upstream),
             "contribution": number(entry.contribution), "total": number(entry.grad_after)} for entry in step.parents]


def _frames(scene, quiz):
    """Every frame of a small graph: forward, one per value; backward start; one per step; a summary."""
    values, ids, root = scene.values, scene.ids, scene.root
    order = scene.order
    frames = []
    for i, vid in enumerate(order, 1):
        node = values[vid]
        title = f"Forward {i} of {len(order)}: {node.name}"
        ask = []
        if not node.operands:
            what = {"parameter": "a parameter", "leaf": "an input", "constant": "a constant",
                    "output": "the output"}[node.kind]
            line = f"{node.name} = {fmt(node.data)}  (a leaf: {what})"
        else:
            start = f"{node.name} = {node.formula} = {node.numbers} = "
            line = start + fmt(node.data)
            if quiz == "data":
                ask = [{"question": start + "?", "value": _finite(node.data), "answer": fmt(node.data),
                        "hint": f"work out {node.numbers}"}]
        frames.append({"phase": "forward", "title": title, "node": vid, "op": _op_id(vid, scene), "parents": [],
                       "lines": [line], "ask": ask, "hide": [[vid, "data"]] if ask else [],
                       "set": {vid: {"data": number(node.data)}}})

    top = values[root]
    frames.append({
        "phase": "backward", "title": "Backward starts", "node": root, "op": _op_id(root, scene), "parents": [],
        "lines": [f"{top.name}.grad = 1.0  (∂{top.name}/∂{top.name} = 1)",
                  "every other gradient starts at 0.0 and adds up what reaches it"],
        "ask": [], "hide": [],
        "set": {vid: {"grad": 1.0 if vid == root else 0.0} for vid in order},
    })
    for step, sums in scene.steps:
        lines, ask, changed = [], [], {}
        for entry, line, row, total in zip(step.parents, step.lines(), step.columns(), sums):
            lines.append(line)
            if total is not None and len(total) > 1:  # the step that completes a fan-in shows the sum
                lines.append(f"{entry.name}.grad = {' + '.join(fmt(c) for c in total)} = {fmt(entry.grad_after)}")
            if quiz == "grad":
                ask.append(_question(step, entry, row))
            changed[ids[entry.parent]] = {"grad": number(entry.grad_after)}
        vid = ids[step.node]
        frames.append({
            "phase": "backward", "title": f"Backward step {step.number} of {len(scene.steps)}: {step.name}",
            "node": vid, "op": _op_id(vid, scene), "parents": [ids[e.parent] for e in step.parents],
            "lines": lines, "ask": ask, "hide": [[pid, "grad"] for pid in changed] if ask else [],
            "set": changed, "chain": _chain(step, ids),
        })
    frames.append({
        "phase": "done", "title": "Done: the gradients of the leaves", "node": None, "op": None, "parents": [],
        "lines": [f"{values[leaf].name}.grad = {fmt(values[leaf].grad)}" for leaf in reading_order_leaves(scene)],
        "ask": [], "hide": [], "set": {},
    })
    return frames


def _question(step, entry, row):
    """The quiz's question about one update of a step: its value, the answer and a hint (the rule with numbers)."""
    rule = f"{entry.rule} = {entry.numbers}" if entry.numbers != entry.rule else entry.rule
    return {"question": f"{row[0]} = ?", "value": _finite(entry.contribution), "answer": fmt(entry.contribution),
            "hint": f"∂{step.name}/∂{entry.name} = {rule_and(rule, fmt(entry.local))}; "
                    f"times {step.name}.grad = {fmt(step.upstream)}"}


def _grouped(nodes, unit, parents):
    """[(unit, [nodes...])]: every node of a unit (a layer, a neuron) in one group, the groups in an order
    the computation allows (a group after every group it reads from, else as they first appear), each
    group's nodes in the order given; or consecutive nodes of one unit together when the units read
    from each other both ways (a recurrent model)."""
    key = {node: unit(node) for node in nodes}
    members, reads = {}, {}
    for node in nodes:
        members.setdefault(key[node], []).append(node)
        reads.setdefault(key[node], set()).update(key[p] for p in parents(node) if p in key and key[p] != key[node])
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


def _where(plan, vids, values):
    """Where the gradient of the values goes (or comes from), in words: ``the outputs of layers.0``, ``v404``."""
    parts = []
    for vid in vids:
        unit = plan.neuron(vid)
        if vid in plan.folded:
            parts.append("the inputs (nothing to learn there)")
        elif vid in plan.lumped:
            parts.append("the loss over every sample")
        elif unit is not None:
            layer = plan.layer_of[unit]
            parts.append(f"the outputs of {layer}" if len(plan.layer_neurons[layer]) > 1 else unit)
        else:
            parts.append(values[vid].name)
    parts = _unique(parts)
    return ", ".join(parts[:3]) + (f" and {len(parts) - 3} more" if len(parts) > 3 else "")


def _givers(plan, vids, values):
    """Who gave a gradient, in words: ``each neuron of layers.2`` or ``v404``."""
    parts = []
    for vid in vids:
        unit = plan.neuron(vid)
        if unit is None:
            parts.append("the loss over every sample" if vid in plan.lumped else values[vid].name)
        else:
            layer = plan.layer_of[unit]
            parts.append(f"the neurons of {layer}" if len(plan.layer_neurons[layer]) > 1 else unit)
    return ", ".join(_unique(parts))


class _Known:
    """Which numbers of the values inside records the frames so far have made known (their "set")."""

    def __init__(self, scene):
        self.scene, self.seen = scene, {"data": set(), "grad": set()}

    def learn(self, frame, vids, what):
        """Make what ("data" or "grad") of these values known from frame on (values drawn in full set their own)."""
        plan, values, seen = self.scene.plan, self.scene.values, self.seen[what]
        for vid in vids:
            if vid not in seen and plan.drawn_as(vid) != vid:
                seen.add(vid)
                frame["set"].setdefault(vid, {})[what] = number(getattr(values[vid], what))


def _collapsed_frames(scene, quiz):
    """The frames of a model's scene drawn one record per unit: the inputs and parameters, each layer's
    forward pass, then backward one unit (or one layer) per frame, with every value drawn in full
    stepped as on a small graph; quiz questions are asked about the values drawn in full."""
    known = _Known(scene)
    frames = _collapsed_forward(scene, quiz, known)
    frames += _collapsed_backward(scene, quiz, known)
    frame = _summary(scene)
    known.learn(frame, scene.order, "data")
    known.learn(frame, scene.order, "grad")
    return frames + [frame]


def _operands(scene):
    return lambda vid: [operand.id for operand in scene.values[vid].operands]


def _collapsed_forward(scene, quiz, known):
    """The inputs and parameters in one frame, then one frame per layer (or per value drawn in full)."""
    plan, values, order = scene.plan, scene.values, scene.order
    frames = []
    leaves = [vid for vid in order if not values[vid].operands]
    inputs = [vid for vid in leaves if vid in plan.folded]
    params = [vid for vid in leaves if plan.neuron(vid) is not None]
    others = [vid for vid in leaves if vid not in plan.folded and vid not in plan.lumped and plan.neuron(vid) is None]
    lines = [f"inputs: {_listed([fmt(values[x].data) for x in inputs])}"] if inputs else []
    if params:
        lines.append(f"parameters: {len(params)} weights and biases of {len(plan.collapsed)} neurons, "
                     f"in their records (blue)")
    lines += [f"{values[leaf].name} = {fmt(values[leaf].data)}" for leaf in others[:_LISTED]]
    if len(others) > _LISTED:
        lines.append(f"… and {len(others) - _LISTED} more leaves")
    shown = _unique([plan.drawn_as(leaf) for leaf in inputs + others])
    frame = {"phase": "forward", "title": "the inputs and the parameters", "node": None, "op": None,
             "group": shown, "parents": [], "lines": lines, "ask": [], "hide": [],
             "set": {nid: ({"data": number(values[nid].data)} if nid in values else {"data": True}) for nid in shown}}
    known.learn(frame, leaves, "data")
    frames.append(frame)

    def forward_unit(vid):
        unit = plan.neuron(vid)
        if unit is not None:
            return "layer", plan.layer_of[unit]
        return ("lump", None) if vid in plan.lumped else ("node", vid)

    for (what, key), run in _grouped([vid for vid in order if values[vid].operands], forward_unit, _operands(scene)):
        if what == "layer":
            group = sorted(set(plan.neuron(vid) for vid in run), key=natural)
            whole = len(group) == len(plan.layer_neurons[key])
            in_run = set(run)
            ends = [vid for unit in group for vid in plan.ends(unit) if vid in in_run]
            activation = next((values[vid].op for vid in run if values[vid].op in ACTIVATIONS), None)
            each = f"{activation}(w · x + b)" if activation else "w · x + b"
            numbers = [unit.rsplit(".", 1)[-1] for unit in group]
            title = (f"{key}, {len(group)} neuron{'s' * (len(group) > 1)}" if whole else
                     f"{key}: neuron {numbers[0]}" if len(group) == 1 else f"{key}: neurons {numbers[0]} to {numbers[-1]}")
            frame = {"phase": "forward", "title": title, "node": None, "op": None,
                     "group": [plan.cid[u] for u in group], "parents": [],
                     "lines": [f"each neuron: out = {each}", f"out = {_listed([short(values[e].data) for e in ends])}"],
                     "ask": [], "hide": [],
                     "set": {nid: {"data": True} for nid in [plan.cid[u] for u in group] + [bus_id(f"bus:{key}")]}}
        elif what == "lump":
            frame = {"phase": "forward", "title": "the loss over every sample", "node": "lump", "op": None,
                     "parents": [], "lines": [f"{len(run)} operations compute the loss from every sample's output"],
                     "ask": [], "hide": [], "set": {"lump": {"data": True}}}
        else:
            node = values[key]
            start = f"{node.name} = {_clipped(node.formula)} = {_clipped(node.numbers)} = "
            ask = [{"question": start + "?", "value": _finite(node.data), "answer": fmt(node.data),
                    "hint": f"work out {_clipped(node.numbers)}"}] if quiz == "data" else []
            frame = {"phase": "forward", "title": node.name, "node": key, "op": _op_id(key, scene),
                     "parents": [], "lines": [start + fmt(node.data)], "ask": ask,
                     "hide": [[key, "data"]] if ask else [], "set": {key: {"data": number(node.data)}}}
        known.learn(frame, run, "data")
        frames.append(frame)
    for k, frame in enumerate(frames, 1):
        frame["title"] = f"Forward {k} of {len(frames)}: {frame['title']}"
    return frames


def _collapsed_backward(scene, quiz, known):
    """The start, then one frame per unit (or layer) and per value drawn in full, each with the running
    totals in the page's order (which may group the walk's steps)."""
    plan, values, ids, root, order = scene.plan, scene.values, scene.ids, scene.root, scene.order
    per_layer = len(plan.collapsed) > NEURON_STEPS or any(len(plan.ends(u)) > 1 for u in plan.collapsed)
    top = plan.drawn_as(root)
    name = values[root].name
    frame = {
        "phase": "backward", "title": "Backward starts", "node": top,
        "op": _op_id(top, scene) if top == root else None, "parents": [],
        "lines": [f"{name}.grad = 1.0  (∂{name}/∂{name} = 1)",
                  "every other gradient starts at 0.0 and adds up what reaches it"],
        "ask": [], "hide": [],
        "set": {vid: {"grad": 1.0 if vid == root else 0.0} for vid in order if plan.drawn_as(vid) == vid},
    }
    known.learn(frame, [root], "grad")
    frames = [frame]

    def backward_unit(step):
        vid = ids[step.node]
        unit = plan.neuron(vid)
        if unit is not None:
            return ("layer", plan.layer_of[unit]) if per_layer else ("neuron", unit)
        return ("lump", None) if vid in plan.lumped else ("node", vid)

    step_of = {ids[step.node]: (step, sums) for step, sums in scene.steps}
    backward = _grouped([ids[step.node] for step, _ in reversed(scene.steps)],
                        lambda vid: backward_unit(step_of[vid][0]), _operands(scene))
    runs = [(u, [step_of[vid][0] for vid in reversed(vids)]) for u, vids in reversed(backward)]
    uses = {vid: 0 for vid in order}
    for vid in order:
        for operand in values[vid].operands:
            uses[operand.id] += 1
    given = {vid: [] for vid in order}  # (the value whose step gave it, contribution) in walk order
    for step, _ in scene.steps:
        for entry in step.parents:
            given[ids[entry.parent]].append((ids[step.node], entry.contribution))
    running, received = {}, {vid: [] for vid in order}
    for k, ((what, key), steps) in enumerate(runs, 1):
        run, completed = [], []  # (step, sums) with running totals in the page's order, which may group the walk's steps
        for step in steps:
            entries, sums = [], []
            for entry in step.parents:
                parent = ids[entry.parent]
                running[parent] = running.get(parent, 0.0) + entry.contribution
                received[parent].append(entry.contribution)
                done = len(received[parent]) == uses[parent]
                sums.append(list(received[parent]) if done else None)
                if done:
                    completed.append(parent)
                entries.append(replace(entry, grad_after=running[parent]))
            run.append((replace(step, parents=tuple(entries)), sums))
        run_nodes = {ids[step.node] for step, _ in run}
        outside = _unique(ids[entry.parent] for step, _ in run for entry in step.parents
                          if plan.neuron(ids[entry.parent]) != plan.neuron(ids[step.node])
                          or plan.neuron(ids[step.node]) is None)
        outside = [p for p in outside if p not in run_nodes]
        changed = {}
        for step, _ in run:
            for entry in step.parents:
                if plan.drawn_as(ids[entry.parent]) == ids[entry.parent]:
                    changed[ids[entry.parent]] = {"grad": number(entry.grad_after)}
        title = f"Backward step {k} of {len(runs)}: "
        reader = plan.neuron(ids[run[0][0].node])
        parents = _unique(bus_id(plan.source(p, reader)) if reader else plan.drawn_as(p) for p in outside)
        if what == "neuron":
            frame = {"phase": "backward", "title": title + key, "node": plan.cid[key], "op": plan.cid[key],
                     "parents": parents, "lines": _neuron_lines(scene, key, run, outside, given),
                     "ask": [], "hide": [], "set": changed}
        elif what == "layer":
            group = sorted(set(plan.neuron(ids[step.node]) for step, _ in run), key=natural)
            activation = next((step.node.op for step, _ in run if step.node.op in ACTIVATIONS), None)
            arrived = [giver for unit in group for end in plan.ends(unit) for giver, _ in given[end]]
            lines = [f"{len(group)} neuron{'s' * (len(group) > 1)} of {key}: out.grad arrives from "
                     f"{_givers(plan, arrived, values) or 'the output'}",
                     (f"each: z.grad = {activation}'(z) · out.grad; " if activation else "each: ") +
                     "w.grad = x · z.grad; b.grad = z.grad (the grad rows of the records)",
                     f"x.grad += w · z.grad: back to {_where(plan, outside, values)}"]
            frame = {"phase": "backward", "title": title + key, "node": None, "op": None,
                     "group": [plan.cid[u] for u in group], "parents": parents, "lines": lines,
                     "ask": [], "hide": [], "set": changed}
        elif what == "lump":
            frame = {"phase": "backward", "title": title + "the loss over every sample", "node": "lump",
                     "op": "lump", "parents": parents,
                     "lines": [f"{len(run)} operations pass the gradient back to {_where(plan, outside, values)}"],
                     "ask": [], "hide": [], "set": changed}
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
                if quiz == "grad" and plan.drawn_as(ids[entry.parent]) == ids[entry.parent]:
                    ask.append(_question(step, entry, row))
            vid = ids[step.node]
            frame = {"phase": "backward", "title": title + step.name, "node": vid, "op": _op_id(vid, scene),
                     "parents": parents, "lines": lines, "ask": ask,
                     "hide": [[pid, "grad"] for pid in changed] if ask else [], "set": changed,
                     "chain": _chain(step, ids)}
        known.learn(frame, [ids[step.node] for step, _ in run] + completed, "grad")
        frames.append(frame)
    return frames


def _summary(scene):
    """The last frame: each layer's gradient norm (``layers.0 · 16 neurons · ‖grad‖ = 6.52``) and the
    gradients of the leaves drawn in full."""
    plan, values = scene.plan, scene.values
    lines = []
    for layer in plan.layer_neurons:
        if layer:
            title, params = plan.layer_title(layer)
            lines.append(title.replace("{norm}", norm_text(params, lambda vid: values[vid].grad)))
    full = [leaf for leaf in reading_order_leaves(scene) if plan.drawn_as(leaf) == leaf]
    lines += [f"{values[leaf].name}.grad = {fmt(values[leaf].grad)}" for leaf in full[:12]]
    if len(full) > 12:
        lines.append(f"… and {len(full) - 12} more leaves")
    return {"phase": "done", "title": "Done: the gradients of the parameters", "node": None, "op": None,
            "parents": [], "lines": lines, "ask": [], "hide": [], "set": {}}


def _neuron_lines(scene, unit, run, outside, given):
    """A unit's backward step in short lines, numbers in 3 digits as its record shows them: the gradient
    arriving at its output, each of its own steps as rule · upstream, one weight standing for all."""
    plan, values, ids = scene.plan, scene.values, scene.ids
    out = plan.ends(unit)[0]
    local = {out: "out"}
    inner = [m for m in plan.members[unit] if values[m].operands and m != out]
    for j, m in enumerate(inner):
        local[m] = "z" if len(inner) == 1 else f"z{j}"
    weight = set()
    for group, index, m in plan.parameters(unit):
        if group:
            local[m] = f"{group[0]}{index}"
            weight.add(m)
        else:
            local[m] = index[0] if index else "b"
    for j, p in enumerate(outside):  # another unit's output by its name, else x0, x1, ...
        local.setdefault(p, values[p].name if plan.neuron(p) is not None else f"x{j}")
    arrived = given[out]
    if out == scene.root:
        lines = ["out.grad = 1.0  (the output)"]
    elif len(arrived) == 1:
        lines = [f"out.grad = {short(arrived[0][1])}  (from {_givers(plan, [arrived[0][0]], values)})"]
    else:
        terms = _listed([short(c) for _, c in arrived], ' + ', 'terms')
        lines = [f"out.grad = {terms} = {short(values[out].grad)}  (from {_givers(plan, [g for g, _ in arrived], values)})"]

    def line(node, i, entry, here, upstream):
        operand = node.operands[i]
        rule = fill(operand.template, local)
        numbers = operand.short
        worked = f" = {factor(numbers)} · {upstream}" if numbers != rule else ""
        parent = local[operand.id]
        return (f"{parent}.grad = {factor(rule)} · {here}.grad{worked} = {short(entry.contribution)}"
                if rule != "1" else f"{parent}.grad = {here}.grad = {short(entry.contribution)}")

    passed = []
    for step, _ in run:
        node = values[ids[step.node]]
        here = local[node.id]
        upstream = factor(short(step.upstream))
        weights, inputs = [], []
        for i, entry in enumerate(step.parents):
            parent = ids[entry.parent]
            if parent in outside:
                inputs.append(entry)
            elif parent in weight:
                weights.append((i, entry))
            else:
                lines.append(line(node, i, entry, here, upstream))
        if weights:
            lines.append(line(node, *weights[0], here, upstream))
            if len(weights) > 1:
                lines.append(f"every w.grad = x · {here}.grad: the record's grad rows")
        if inputs:
            passed.append(f"x.grad += w · {here}.grad: back to {_where(plan, [ids[e.parent] for e in inputs], values)}")
    lines = _unique(lines)
    if len(lines) > _NEURON_LINES:  # a neuron written with * and + nodes: the first steps stand for the rest
        lines = lines[:_NEURON_LINES - 1] + [f"… and {len(lines) - _NEURON_LINES + 1} more steps inside the neuron"]
    return lines + _unique(passed)[:1]
