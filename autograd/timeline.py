"""The frames of a walkthrough, computed from a scene: ``frames_of(scene, quiz)``.

A frame is plain data the page plays and ``frames()`` draws: its ``phase`` (forward, backward,
done), ``title``, ``lines`` of text (the chain rule, rule -> numbers -> value), the ``node`` it is
about (a scene id; its operation ``op``, or a ``group`` of records; a last frame's ``view``: what the
picture shows, the output and the leaves), the ``parents`` it passes
gradient to, the numbers it makes known (``set``: ``{id: {"data": 0.5}}``, numbers as numbers;
a record or a bus is marked ``True``), for a backward step the ``chain`` of numbers its lines are
written from, and for the quiz the questions it ``ask``s and the numbers it ``hide``s until
answered. For the live page, which writes every number again when a leaf changes, a frame's
lines are also ``texts``, templates whose numbers are references (see written.py: the lines are
those templates filled with the scene's numbers, so the two never disagree), and each number it
makes known has its reference in ``refs``; a question has its ``ref``, its ``texts`` and the
``edges`` whose contributions its number adds (for the quiz to name a mistake).

A small graph is played one value per forward frame and one node per backward step, the steps
being explain's own (the engine's chain rule, from the scene's walk). A model's scene drawn one
record per unit (collapse.py) is played one layer per forward frame and one unit per backward
frame (one layer per frame when it has more than ``NEURON_STEPS`` units, or a batch); a value
drawn in full is stepped as on a small graph. A record's numbers are known from the frame that
computes them; everything is known in the last.
"""

import math
import re
from dataclasses import replace

from autograd.collapse import bus_id
from autograd.ops import factor
from autograd.scene import ACTIVATIONS, counted, fill, operand_ids, reading_order_leaves, unit_noun
from autograd.text import fmt, natural, rule_and
from autograd.written import fill as fill_in, lines, template

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


class Numbers:
    """The number each reference of a template names (see written.py), from the scene: what the page
    computes again when a leaf changes. ``sums`` is the order the running totals ("after") add the
    edges' contributions in: the walk's, or a model page's own."""

    def __init__(self, scene, sums=None, lr=None):
        self.values = values = scene.values
        self.lr = lr  # the learning rate of an update table's ("lr",) and ("update", id)
        if sums is None:
            sums = [(step.node, i) for step, _ in scene.steps for i in range(len(step.parents))]
        self.after, running = {}, {}
        for vid, i in sums:
            parent = values[vid].operands[i].id
            running[parent] = running.get(parent, 0.0) + self.contribution(vid, i)
            self.after[(vid, i)] = running[parent]

    def contribution(self, vid, i):
        return self.values[vid].operands[i].local * self.values[vid].grad

    def __call__(self, ref):
        kind, values = ref[0], self.values
        if kind == "data":
            return values[ref[1]].data
        if kind == "grad":
            return values[ref[1]].grad
        if kind == "local":
            return values[ref[1]].operands[ref[2]].local
        if kind == "contribution":
            return self.contribution(ref[1], ref[2])
        if kind == "after":
            return self.after[(ref[1], ref[2])]
        if kind == "lr":
            return self.lr
        if kind == "update":
            return values[ref[1]].data - self.lr * values[ref[1]].grad
        if kind == "norm":
            return math.sqrt(sum(values[vid].grad * values[vid].grad for vid in ref[1]))
        raise ValueError(f"timeline: no number is called {ref!r}")


class _Frame(dict):
    """A frame being written: its lines as text and as templates, and the numbers it makes known (lines given
    here hold no numbers: their templates are the texts themselves)."""

    def __init__(self, numbers, **fields):
        super().__init__(fields)
        self.numbers = numbers
        self.setdefault("lines", [])
        self.setdefault("set", {})
        self["texts"], self["refs"] = [template(lambda w, line=line: line) for line in self["lines"]], {}

    def line(self, build):
        """Add the line build(w) writes (w writes each number: see written.py)."""
        written = template(build)
        self["lines"].append(fill_in(written, self.numbers))
        self["texts"].append(written)

    def learn(self, vid, what, ref):
        """From this frame on, the page knows what ("data" or "grad") of vid: the number ref names (or ref, a number)."""
        self["set"].setdefault(vid, {})[what] = number(ref if isinstance(ref, float) else self.numbers(ref))
        self["refs"].setdefault(vid, {})[what] = ref

    def lines_of(self, build):
        """Add the lines build(w) writes, a list (their numbers are one template's, split at each line)."""
        for one in lines(template(lambda w: "\n".join(build(w)))):
            self["lines"].append(fill_in(one, self.numbers))
            self["texts"].append(one)

    def finished(self):
        return dict(self)


def text_of(build, numbers):
    """(the text build(w) writes with the scene's numbers, its template)."""
    written = template(build)
    return fill_in(written, numbers), written


def frames_of(scene, quiz=None):
    """Every frame of the scene's walkthrough (see the module docstring); the scene was built with walk=True."""
    return _frames(scene, quiz) if scene.plan is None else _collapsed_frames(scene, quiz)


def done_frame(title, lines):
    """A frame of text at the end (the CLI's update table)."""
    return {"phase": "done", "title": str(title), "node": None, "op": None, "parents": [],
            "lines": [str(line) for line in lines], "ask": [], "hide": [], "set": {}}


def _op_id(vid, scene):
    """The id of the operation node that computes the value vid, or None for a leaf."""
    return f"op{vid[1:]}" if scene.values[vid].operands else None


def _chain(step):
    """The numbers of a backward step's lines, as data: per parent, its local derivative, the contribution, the total."""
    return [{"parent": entry.parent, "local": number(entry.local), "upstream": number(step.upstream),
             "contribution": number(entry.contribution), "total": number(entry.grad_after)} for entry in step.parents]


def _formula_numbers(value, w, style="f"):
    """How value's op writes it with its operands' numbers (w's tokens) in: ``2.0·(-3.0)``."""
    return value.rules.formula([w(("data", operand.id), style) for operand in value.operands])


class _Tokens:
    """The operands' numbers as a writer's tokens, each asked for only when a rule writes it (a sum of
    thirty operands writes none of them in its rule "1")."""

    def __init__(self, w, vids):
        self.w, self.vids = w, vids

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.w(("data", vid)) for vid in self.vids[i]]
        return self.w(("data", self.vids[i]))

    def __len__(self):
        return len(self.vids)

    def __iter__(self):
        return (self.w(("data", vid)) for vid in self.vids)


def _rule_numbers(value, k, w):
    """value's rule for operand k with its numbers in as w's tokens: ``1 - 0.707107²``."""
    return value.rules.rule(k, _Tokens(w, [operand.id for operand in value.operands]), w(("data", value.id)))


def _token_entry(step, k, value, w):
    """Operand k's entry of value's backward step with references in place of its numbers (its rule's too)."""
    vid = value.id
    return replace(step.parents[k], contribution=("contribution", vid, k), grad_after=("after", vid, k),
                   numbers=_rule_numbers(value, k, w))


def _step_line(step, k, value, w):
    """Line k of value's backward step as Step.lines writes it, each number w's."""
    one = replace(step, upstream=("grad", value.id), parents=(_token_entry(step, k, value, w),))
    return one.lines(w, lambda entry: w.unless_equal(entry.contribution, entry.grad_after,
                                                     f", now {w(entry.grad_after)}"))[0]


def _sum_line(name, refs, total, w, listed=True):
    """``x.grad = 0.5 + 3.0 − 0.687 = 2.813``: what reached a node, added up."""
    return f"{name}.grad = {_terms(refs, w, listed)} = {w(total)}"


def _terms(refs, w, listed=True):
    """refs as a sum: the first with its sign, each other one after its + or − (the first _LISTED when listed)."""
    terms = [w(refs[0])] + [w.term(ref) for ref in refs[1:]]
    return _listed(terms, " ", "terms") if listed else " ".join(terms)


def _frames(scene, quiz):
    """Every frame of a small graph: forward, one per value; backward start; one per step; a summary."""
    values, root = scene.values, scene.root
    order = scene.order
    numbers = Numbers(scene)
    frames = []
    for i, vid in enumerate(order, 1):
        node = values[vid]
        frame = _Frame(numbers, phase="forward", title=f"Forward {i} of {len(order)}: {node.name}", node=vid,
                       op=_op_id(vid, scene), parents=[], ask=[], hide=[])
        if not node.operands:
            what = {"parameter": "a parameter", "leaf": "an input", "constant": "a constant",
                    "output": "the output"}[node.kind]
            frame.line(lambda w: f"{node.name} = {w(('data', vid))}  (a leaf: {what})")
        else:
            def start(w, node=node):
                return f"{node.name} = {node.formula} = {_formula_numbers(node, w)} = "

            frame.line(lambda w: start(w) + w(("data", vid)))
            if quiz == "data":
                frame["ask"].append(_data_question(start, lambda w, node=node: _formula_numbers(node, w), vid, numbers))
                frame["hide"].append([vid, "data"])
        frame.learn(vid, "data", ("data", vid))
        frames.append(frame.finished())

    frames.append(_backward_start(scene, numbers).finished())
    for step, sums in scene.steps:
        vid = step.node
        frame = _Frame(numbers, phase="backward", title=f"Backward step {step.number} of {len(scene.steps)}: {step.name}",
                       node=vid, op=_op_id(vid, scene), parents=[e.parent for e in step.parents], ask=[], hide=[],
                       chain=_chain(step))
        for k, (entry, row, total) in enumerate(zip(step.parents, step.columns(), sums)):
            frame.line(lambda w, k=k: _step_line(step, k, values[vid], w))
            if total is not None and len(total) > 1:  # the step that completes a fan-in shows the sum
                frame.line(lambda w, total=total, k=k: _sum_line(entry.name, total, ("after", vid, k), w, listed=False))
            if quiz == "grad":
                frame["ask"].append(_question(step, entry, row, values[vid], k, numbers))
                if total is not None and len(total) > 1:
                    frame["ask"].append(_total_question(step, entry, k, vid, total, numbers))
            frame.learn(entry.parent, "grad", ("after", vid, k))
        if frame["ask"]:
            frame["hide"] = [[pid, "grad"] for pid in frame["set"]]
        frames.append(frame.finished())
    leaves = reading_order_leaves(scene)
    frame = _Frame(numbers, phase="done", title="Done: the gradients of the leaves", node=None, op=None, parents=[],
                   ask=[], hide=[], view=[root, *leaves])  # the output and the leaves
    for leaf in leaves:
        frame.line(lambda w, leaf=leaf: f"{values[leaf].name}.grad = {w(('grad', leaf))}")
    frames.append(frame.finished())
    return frames


def _backward_start(scene, numbers):
    """The frame that starts the backward pass: the output's gradient is 1, every other value's drawn in full 0."""
    root = scene.root
    top = plan_id(scene, root)
    name = scene.values[root].name
    frame = _Frame(numbers, phase="backward", title="Backward starts", node=top,
                   op=_op_id(top, scene) if top == root else None, parents=[],
                   lines=[f"{name}.grad = 1.0  (∂{name}/∂{name} = 1)",
                          "every other gradient starts at 0.0 and adds up what reaches it"], ask=[], hide=[])
    for vid in scene.order:
        if plan_id(scene, vid) == vid:
            frame.learn(vid, "grad", 1.0 if vid == root else 0.0)
    return frame


def _data_question(start, worked, vid, numbers):
    """The data quiz's question about one value: its question, the answer and a hint (worked(w): the numbers to work out)."""
    question, question_text = text_of(lambda w: start(w) + "?", numbers)
    hint, hint_text = text_of(lambda w: f"work out {worked(w)}", numbers)
    value = numbers(("data", vid))
    return {"question": question, "value": _finite(value), "answer": fmt(value), "hint": hint, "ref": ("data", vid),
            "texts": {"question": question_text, "hint": hint_text}}


def _question(step, entry, row, node, k, numbers):
    """The quiz's question about one update of node's step: its value, the answer and a hint (the rule with numbers)."""
    vid = node.id
    hint, hint_text = text_of(lambda w: _hint(step, entry, k, node, w), numbers)
    value = numbers(("contribution", vid, k))
    return {"question": f"{row[0]} = ?", "value": _finite(value), "answer": fmt(value), "hint": hint,
            "ref": ("contribution", vid, k), "edges": [[vid, k]], "texts": {"hint": hint_text}}


def _total_question(step, entry, k, vid, refs, numbers):
    """The quiz's question about the gradient a fan-in completes: every contribution that reached it, added."""
    name = entry.name
    total = ("after", vid, k)
    hint, hint_text = text_of(lambda w: f"{name}.grad adds what reached it: {_terms(refs[:-1], w, listed=False)} "
                                        f"+ ∂{step.name}/∂{name} · {step.name}.grad", numbers)
    value = numbers(total)
    return {"question": f"{name}.grad = ?", "value": _finite(value), "answer": fmt(value), "hint": hint,
            "ref": total, "edges": [list(ref[1:]) for ref in refs], "texts": {"hint": hint_text}}


def table_templates(scene, parameters, data):
    """The update table of one step of gradient descent as templates: (heading, [line, ...]), numbers as
    references ("lr", and per parameter its "data", "grad" and "update"); parameters and data are value ids."""
    values = scene.values
    out = values[scene.root].name
    named = [values[vid].name for vid in data]  # (a model's inputs by the names the page gives them: v5, v6, …)
    width = max((len(values[vid].name) for vid in parameters), default=0)
    heading = template(lambda w: _capitalized(update_heading(("lr",), out, w)))
    rows = [template(lambda w, vid=vid: update_line(values[vid].name, width, ("data", vid), ("lr",), ("grad", vid),
                                                    ("update", vid), w)) for vid in parameters]
    notes = update_notes(parameters, [_listed(named)] if named else [])
    return heading, rows + [template(lambda w, line=line: line) for line in notes]


def _capitalized(text):
    return text[:1].upper() + text[1:]


def table_frame(scene, lr, parameters, table):
    """The last frame of a page made with a learning rate: the update table the CLI prints with --lr (table:
    ``table_templates(scene, parameters, data)``, which the page's live document holds too)."""
    numbers = Numbers(scene, sum_order(scene), lr)
    heading, lines = table
    frame = _Frame(numbers, phase="done", title=fill_in(heading, numbers), node=None, op=None, parents=[], ask=[],
                   hide=[], titleText=heading, view=[plan_id(scene, vid) for vid in [scene.root, *parameters]])
    frame["lines"] = [fill_in(line, numbers) for line in lines]
    frame["texts"] = lines
    return frame.finished()


def plan_id(scene, vid):
    """The id of what a value is drawn as: itself, or on a model's page its record, its layer's inputs, the lump."""
    return vid if scene.plan is None else scene.plan.drawn_as(vid)


def update_table(lr, rows, data, out, number=fmt):
    """(heading, lines) of one step of gradient descent with rate lr, as the CLI prints it with --lr: rows are
    (name, old, gradient, new) for each leaf it updates (``w  0.6 - 0.1 × -0.110351 = 0.611035``), data the
    names of those it does not. ``number`` writes each number (the live page's templates pass references)."""
    width = max((len(name) for name, *_ in rows), default=0)
    lines = [update_line(name, width, old, lr, g, new, number) for name, old, g, new in rows]
    return update_heading(lr, out, number), lines + update_notes(rows, data)


def update_heading(lr, out, number=fmt):
    return f"one step of gradient descent with lr = {number(lr)}: new = old - lr × ∂{out}/∂leaf"


def update_line(name, width, old, lr, g, new, number=fmt):
    """``w  0.6 - 0.1 × -0.110351 = 0.611035``: one leaf's update, its name padded to width."""
    return f"{name:<{width}}  {number(old)} - {factor(number(lr))} × {number(g)} = {number(new)}"  # never "- -0.1"


def update_notes(rows, data):
    """What an update table says below its rows: the leaves that are data, or that nothing is updated."""
    notes = [f"({', '.join(data)}: data, not updated)"] if data else []
    if not rows:
        notes.append("(every leaf is data: nothing to update)" if data else "(no leaves: nothing to update)")
    return notes


def _hint(step, entry, k, node, w):
    """``∂o/∂n = 1 - o² = (1 - 0.707107²) = 0.5; times o.grad = 1.0``: the local derivative's rule, with the numbers
    in when that says more than the number itself, and the upstream gradient."""
    vid = node.id
    numbers = _rule_numbers(node, k, w)
    rule = entry.rule
    if numbers != rule and not _one_number(numbers):
        rule = f"{rule} = {numbers}"
    local = fmt(entry.local)
    said = rule_and(rule, local)
    said = w(("local", vid, k)) if said == local else f"{rule} = {w(('local', vid, k))}"
    return f"∂{step.name}/∂{entry.name} = {said}; times {step.name}.grad = {w(('grad', vid))}"


def _one_number(text):
    """True when a written text is one number and nothing else (so it would only repeat the value)."""
    return text.count("\x01") == 2 and text.strip("-").startswith("\x01") and text.endswith("\x01")


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
            parts.append(plan.lumps[plan.lumped[vid]].words)
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
            parts.append(plan.lumps[plan.lumped[vid]].words if vid in plan.lumped else values[vid].name)
        else:
            layer = plan.layer_of[unit]
            noun = unit_noun(plan.scene.units[unit].kind)
            parts.append(f"the {noun}s of {layer}" if len(plan.layer_neurons[layer]) > 1 else unit)
    return ", ".join(_unique(parts))


class _Known:
    """Which numbers of the values inside records the frames so far have made known (their "set")."""

    def __init__(self, scene):
        self.scene, self.seen = scene, {"data": set(), "grad": set()}

    def learn(self, frame, vids, what):
        """Make what ("data" or "grad") of these values known from frame on (values drawn in full set their own)."""
        plan, seen = self.scene.plan, self.seen[what]
        for vid in vids:
            if vid not in seen and plan.drawn_as(vid) != vid:
                seen.add(vid)
                frame.learn(vid, what, (what, vid))


def _collapsed_frames(scene, quiz):
    """The frames of a model's scene drawn one record per unit: the inputs and parameters, each layer's
    forward pass, then backward one unit (or one layer) per frame, with every value drawn in full
    stepped as on a small graph; quiz questions are asked about the values drawn in full."""
    known = _Known(scene)
    runs = _backward_runs(scene)
    numbers = Numbers(scene, sum_order(scene, runs))
    frames = _collapsed_forward(scene, quiz, known, numbers)
    frames += _collapsed_backward(scene, quiz, known, numbers, runs)
    frame = _summary(scene, numbers)
    known.learn(frame, scene.order, "data")
    known.learn(frame, scene.order, "grad")
    return frames + [frame.finished()]


def sum_order(scene, runs=None):
    """The order a model page adds up the contributions that reach a value (its running totals): the walk's
    steps grouped by the frames that show them; None for a small graph, whose frames follow the walk."""
    if scene.plan is None:
        return None
    runs = _backward_runs(scene) if runs is None else runs
    return [(step.node, i) for _, steps in runs for step in steps for i in range(len(step.parents))]


def _clipped_numbers(build, numbers):
    """build, cut after the numbers that fit in _LINE_CHARS (as the scene's numbers write them) with "…"."""
    keep = []

    def clipped(w):
        text = build(w)
        if not keep:
            keep.append(_numbers_within(text, w, numbers, _LINE_CHARS - 1))
        if keep[0] is None:
            return text
        ends = [m.end() for m in re.finditer("\x01\\d+\x01", text)]
        return text[:ends[keep[0] - 1]] + "…" if keep[0] else text[:0] + "…"

    return clipped


def _numbers_within(text, w, numbers, limit):
    """None when text fits in limit characters with its numbers written; else how many of its numbers do."""
    length, count, position = 0, 0, 0
    for m in re.finditer("\x01(\\d+)\x01", text):
        length += m.start() - position + len(fmt(numbers(w.slots[int(m[1])][1])))
        position = m.end()
        if length > limit:
            return count
        count += 1
    return None if length + len(text) - position <= limit else count


def _collapsed_forward(scene, quiz, known, numbers):
    """The inputs and parameters in one frame, then one frame per layer (or per value drawn in full)."""
    plan, values, order = scene.plan, scene.values, scene.order
    frames = []
    leaves = [vid for vid in order if not values[vid].operands]
    inputs = [vid for vid in leaves if vid in plan.folded]
    params = [vid for vid in leaves if plan.neuron(vid) is not None]
    others = [vid for vid in leaves if vid not in plan.folded and vid not in plan.lumped and plan.neuron(vid) is None]
    shown = _unique([plan.drawn_as(leaf) for leaf in inputs + others])
    frame = _Frame(numbers, phase="forward", title="the inputs and the parameters", node=None, op=None,
                   group=shown, parents=[], ask=[], hide=[])
    if inputs:
        frame.line(lambda w: f"inputs: {_listed([w(('data', x)) for x in inputs])}")
    if params:
        frame.line(lambda w: f"parameters: {len(params)} weights and biases of "
                             f"{counted(scene.units[u] for u in plan.collapsed)}, "
                             f"in their records (blue)")
    for leaf in others[:_LISTED]:
        frame.line(lambda w, leaf=leaf: f"{values[leaf].name} = {w(('data', leaf))}")
    if len(others) > _LISTED:
        frame.line(lambda w: f"… and {len(others) - _LISTED} more leaves")
    for nid in shown:
        if nid in values:
            frame.learn(nid, "data", ("data", nid))
        else:
            frame["set"][nid] = {"data": True}
    known.learn(frame, leaves, "data")
    frames.append(frame)

    def forward_unit(vid):
        unit = plan.neuron(vid)
        if unit is not None:
            return "layer", plan.layer_of[unit]
        return ("lump", plan.lumped[vid]) if vid in plan.lumped else ("node", vid)

    for (what, key), run in _grouped([vid for vid in order if values[vid].operands], forward_unit, operand_ids(scene)):
        if what == "layer":
            group = sorted(set(plan.neuron(vid) for vid in run), key=natural)
            whole = len(group) == len(plan.layer_neurons[key])
            in_run = set(run)
            ends = [vid for unit in group for vid in plan.ends(unit) if vid in in_run]
            activation = next((values[vid].op for vid in run if values[vid].op in ACTIVATIONS), None)
            each = f"{activation}(w · x + b)" if activation else "w · x + b"
            labels = [unit.rsplit(".", 1)[-1] for unit in group]
            noun = unit_noun(scene.units[group[0]].kind)
            title = (f"{key}, {counted(scene.units[u] for u in group)}" if whole else
                     f"{key}: {noun} {labels[0]}" if len(group) == 1 else f"{key}: {noun}s {labels[0]} to {labels[-1]}")
            frame = _Frame(numbers, phase="forward", title=title, node=None, op=None,
                           group=[plan.cid[u] for u in group], parents=[], ask=[], hide=[],
                           set={nid: {"data": True} for nid in [plan.cid[u] for u in group] + [bus_id(f"bus:{key}")]})
            frame.line(lambda w: f"each {noun}: out = {each}")
            frame.line(lambda w, ends=ends: f"out = {_listed([w(('data', e), 's') for e in ends])}")
        elif what == "lump":
            lump = plan.lumps[key]
            frame = _Frame(numbers, phase="forward", title=lump.words, node=key, op=None,
                           parents=[], ask=[], hide=[], set={key: {"data": True}})
            frame.line(lambda w, run=run, lump=lump: f"{len(run)} operations {lump.doing}")
        else:
            node = values[key]
            worked = _clipped_numbers(lambda w, node=node: _formula_numbers(node, w), numbers)

            def start(w, node=node, worked=worked):
                return f"{node.name} = {_clipped(node.formula)} = {worked(w)} = "

            frame = _Frame(numbers, phase="forward", title=node.name, node=key, op=_op_id(key, scene),
                           parents=[], ask=[], hide=[])
            frame.line(lambda w, start=start, key=key: start(w) + w(("data", key)))
            if quiz == "data":
                frame["ask"].append(_data_question(start, worked, key, numbers))
                frame["hide"].append([key, "data"])
            frame.learn(key, "data", ("data", key))
        known.learn(frame, run, "data")
        frames.append(frame)
    for k, frame in enumerate(frames, 1):
        frame["title"] = f"Forward {k} of {len(frames)}: {frame['title']}"
    return [frame.finished() for frame in frames]


def _backward_runs(scene):
    """[((kind, key), [steps])]: the walk's steps grouped as a model page shows them, one unit (or one layer,
    or the lump, or one value drawn in full) per frame, in an order the computation allows."""
    plan = scene.plan
    per_layer = len(plan.collapsed) > NEURON_STEPS or any(len(plan.ends(u)) > 1 for u in plan.collapsed)

    def backward_unit(step):
        vid = step.node
        unit = plan.neuron(vid)
        if unit is not None:
            return ("layer", plan.layer_of[unit]) if per_layer else ("neuron", unit)
        return ("lump", plan.lumped[vid]) if vid in plan.lumped else ("node", vid)

    step_of = {step.node: step for step, _ in scene.steps}
    backward = _grouped([step.node for step, _ in reversed(scene.steps)],
                        lambda vid: backward_unit(step_of[vid]), operand_ids(scene))
    return [(u, [step_of[vid] for vid in reversed(vids)]) for u, vids in reversed(backward)]


def _collapsed_backward(scene, quiz, known, numbers, runs):
    """The start, then one frame per unit (or layer) and per value drawn in full, each with the running
    totals in the page's order (which may group the walk's steps)."""
    plan, values, root, order = scene.plan, scene.values, scene.root, scene.order
    frame = _backward_start(scene, numbers)
    known.learn(frame, [root], "grad")
    frames = [frame.finished()]
    uses = {vid: 0 for vid in order}
    for vid in order:
        for operand in values[vid].operands:
            uses[operand.id] += 1
    given = {vid: [] for vid in order}  # (the value whose step gave it, its contribution's reference) in walk order
    for step, _ in scene.steps:
        for i, entry in enumerate(step.parents):
            given[entry.parent].append((step.node, ("contribution", step.node, i)))
    received = {vid: [] for vid in order}
    for k, ((what, key), steps) in enumerate(runs, 1):
        run, completed = [], []  # (step, sums) with running totals in the page's order, which may group the walk's steps
        for step in steps:
            entries, sums = [], []
            vid = step.node
            for i, entry in enumerate(step.parents):
                parent = entry.parent
                received[parent].append(("contribution", vid, i))
                done = len(received[parent]) == uses[parent]
                sums.append(list(received[parent]) if done else None)
                if done:
                    completed.append(parent)
                entries.append(replace(entry, grad_after=numbers.after[(vid, i)]))  # (numbers adds in the page's order)
            run.append((replace(step, parents=tuple(entries)), sums))
        run_nodes = {step.node for step, _ in run}
        outside = _unique(entry.parent for step, _ in run for entry in step.parents
                          if plan.neuron(entry.parent) != plan.neuron(step.node)
                          or plan.neuron(step.node) is None)
        outside = [p for p in outside if p not in run_nodes and not (what == "lump" and plan.lumped.get(p) == key)]
        title = f"Backward step {k} of {len(runs)}: "
        reader = plan.neuron(run[0][0].node)
        parents = _unique(bus_id(plan.source(p, reader)) if reader else plan.drawn_as(p) for p in outside)
        if what == "neuron":
            frame = _Frame(numbers, phase="backward", title=title + key, node=plan.cid[key], op=plan.cid[key],
                           parents=parents, ask=[], hide=[])
            frame.lines_of(lambda w: _neuron_lines(scene, key, run, outside, given, w))
        elif what == "layer":
            group = sorted(set(plan.neuron(step.node) for step, _ in run), key=natural)
            activation = next((values[step.node].op for step, _ in run if values[step.node].op in ACTIVATIONS), None)
            arrived = [giver for unit in group for end in plan.ends(unit) for giver, _ in given[end]]
            frame = _Frame(numbers, phase="backward", title=title + key, node=None, op=None,
                           group=[plan.cid[u] for u in group], parents=parents, ask=[], hide=[],
                           lines=[f"{counted(scene.units[u] for u in group)} of {key}: out.grad arrives from "
                                  f"{_givers(plan, arrived, values) or 'the output'}",
                                  (f"each: z.grad = {activation}'(z) · out.grad; " if activation else "each: ") +
                                  "w.grad = x · z.grad; b.grad = z.grad (the grad rows of the records)",
                                  f"x.grad += w · z.grad: back to {_where(plan, outside, values)}"])
        elif what == "lump":
            frame = _Frame(numbers, phase="backward", title=title + plan.lumps[key].words, node=key,
                           op=key, parents=parents, ask=[], hide=[],
                           lines=[f"{len(run)} operations pass the gradient back to {_where(plan, outside, values)}"])
        else:
            step, sums = run[0]
            vid = step.node
            frame = _Frame(numbers, phase="backward", title=title + step.name, node=vid, op=_op_id(vid, scene),
                           parents=parents, ask=[], hide=[], chain=_chain(step))
            if len(step.parents) > _STEP_LINES:  # a neuron's weighted sum drawn in full: each edge shows its rule
                frame.line(lambda w: f"{step.name} passes its gradient to {len(step.parents)} operands; "
                                     f"the first {_STEP_LINES} here, every one on its arrow")
            for i, (entry, row, total) in enumerate(list(zip(step.parents, step.columns(), sums))[:_STEP_LINES]):
                frame.line(lambda w, i=i: _step_line(step, i, values[vid], w))
                if total is not None and len(total) > 1:
                    frame.line(lambda w, i=i, total=total, entry=entry: _sum_line(entry.name, total, ("after", vid, i), w))
                if quiz == "grad" and plan.drawn_as(entry.parent) == entry.parent:
                    frame["ask"].append(_question(step, entry, row, values[vid], i, numbers))
        for step, _ in run:
            vid = step.node
            for i, entry in enumerate(step.parents):
                if plan.drawn_as(entry.parent) == entry.parent:
                    frame.learn(entry.parent, "grad", ("after", vid, i))
        if frame["ask"]:
            frame["hide"] = [[pid, "grad"] for pid in frame["set"]]
        known.learn(frame, [step.node for step, _ in run] + completed, "grad")
        frames.append(frame.finished())
    return frames


def _summary(scene, numbers):
    """The last frame: each layer's gradient norm (``layers.0 · 16 neurons · ‖grad‖ = 6.52``) and the
    gradients of the leaves drawn in full."""
    plan, values = scene.plan, scene.values
    full = [leaf for leaf in reading_order_leaves(scene) if plan.drawn_as(leaf) == leaf]
    frame = _Frame(numbers, phase="done", title="Done: the gradients of the parameters", node=None, op=None,
                   parents=[], ask=[], hide=[], view=_unique([plan.drawn_as(scene.root), *full]))
    for layer in plan.layer_neurons:
        if layer:
            title, params = plan.layer_title(layer)
            frame.line(lambda w, title=title, params=params: title.replace("{norm}", w(("norm", tuple(params)), "s")))
    for leaf in full[:12]:
        frame.line(lambda w, leaf=leaf: f"{values[leaf].name}.grad = {w(('grad', leaf))}")
    if len(full) > 12:
        frame.line(lambda w: f"… and {len(full) - 12} more leaves")
    return frame


def _neuron_lines(scene, unit, run, outside, given, w):
    """A unit's backward step in short lines, each number as fmt writes it (6 digits, so the arithmetic a
    line shows checks out): the gradient arriving at its output, each of its own steps as rule · upstream,
    one weight standing for all."""
    plan, values = scene.plan, scene.values
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
        lines = [f"out.grad = {w(arrived[0][1])}  (from {_givers(plan, [arrived[0][0]], values)})"]
    else:
        terms = _terms([ref for _, ref in arrived], w)
        lines = [f"out.grad = {terms} = {w(('grad', out))}  (from {_givers(plan, [g for g, _ in arrived], values)})"]

    def line(node, i, here):
        operand = node.operands[i]
        rule = fill(operand.template, local)
        vid = node.id
        numbers = _rule_numbers(node, i, w)
        worked = f" = {factor(numbers)} · {factor(w(('grad', vid)))}" if numbers != rule else ""
        parent = local[operand.id]
        contribution = w(("contribution", vid, i))
        return (f"{parent}.grad = {factor(rule)} · {here}.grad{worked} = {contribution}"
                if rule != "1" else f"{parent}.grad = {here}.grad = {contribution}")

    passed = []
    for step, _ in run:
        node = values[step.node]
        here = local[node.id]
        weights, inputs = [], []
        for i, entry in enumerate(step.parents):
            parent = entry.parent
            if parent in outside:
                inputs.append(entry)
            elif parent in weight:
                weights.append(i)
            else:
                lines.append(line(node, i, here))
        if weights:
            lines.append(line(node, weights[0], here))
            if len(weights) > 1:
                lines.append(f"every w.grad = x · {here}.grad: the record's grad rows")
        if inputs:
            passed.append(f"x.grad += w · {here}.grad: back to {_where(plan, [e.parent for e in inputs], values)}")
    lines = _unique(lines)
    if len(lines) > _NEURON_LINES:  # a neuron written with * and + nodes: the first steps stand for the rest
        lines = lines[:_NEURON_LINES - 1] + [f"… and {len(lines) - _NEURON_LINES + 1} more steps inside the neuron"]
    return lines + _unique(passed)[:1]
