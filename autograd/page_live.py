"""What the live page computes with, as data for its one document: ``live_document(scene, frames, ...)``.

The page recomputes the forward and backward pass in JavaScript whenever a leaf changes, and the
arithmetic it runs is the ops' own: each op's ``code`` (the Python expressions ``autograd.compile``
writes into its programs) and ``checks`` (where forward raises, and where a derivative does not
exist), translated by autograd/javascript.py; so is each of its catalogued ``mistakes``, which the
quiz evaluates to name a learner's mistake. One entry per kind of op (``ops``), and per value the
entry its node uses (``fn``) and how the engine names it in a message (``said``: `` (label 'x')``).
Besides: which leaves a step of gradient descent updates (``parameters``) and which it leaves as
they are (``data``), the update table as a template (written.py), the order a model page adds up
contributions (``sums``), the quiz's tolerances and the step mistakes' sentences (from diagnose.py).
"""

import ast
import functools
import json

from autograd.diagnose import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, STEP_MISTAKES, written
from autograd.javascript import NotTranslatable, to_javascript
from autograd.timeline import reading_order_leaves, sum_order
from autograd.written import template

NUDGE = 1e-5  # the h of the page's nudge check, (f(x + h) - f(x - h)) / 2h
LEARNING_RATE = 0.1  # the page's learning rate when none is given


def live_document(scene, frames, table, lr, parameters, data):
    """The "live" part of the page's document (see the module docstring), and the quiz's diagnosis data put
    into the frames' questions. parameters, data: the leaves' ids a step updates and those it does not; table:
    the update table's templates for them (timeline.table_templates)."""
    values = scene.values
    ops, index, asked, why = [], {}, {}, None  # (asked: each op object and arity once, for speed)
    fn = {}
    for vid, node in values.items():
        if not node.operands:
            continue
        shape = (id(node.rules), len(node.operands))
        if shape not in asked:
            try:
                entry = _op_entry(node.rules, len(node.operands))
            except NotTranslatable as error:
                why = why or f"the page cannot compute {node.op} ({error})"
                asked[shape] = None
                continue
            key = json.dumps(entry, sort_keys=True)
            if key not in index:
                index[key] = len(ops)
                ops.append(entry)
            asked[shape] = index[key]
        if asked[shape] is not None:
            fn[vid] = asked[shape]
    leaves = reading_order_leaves(scene)
    _add_diagnoses(scene, frames, fn)
    return {
        "live": why is None, "why": why or "", "ops": ops,
        "fn": fn, "said": {vid: f" (label {node.given!r})" if node.given else "" for vid, node in values.items()},
        "leaves": leaves, "parameters": list(parameters), "data": list(data), "h": NUDGE,
        "lr": LEARNING_RATE if lr is None else lr,
        "sums": sum_order(scene), "tolerance": [RELATIVE_TOLERANCE, ABSOLUTE_TOLERANCE],
        "stepMistakes": STEP_MISTAKES, "table": [table[0], *table[1]],
    }


def _op_entry(op, n):
    """An op with n operands as JavaScript: forward, local derivatives, checks and mistakes over a[k] and out."""
    placeholders = [f"a{k}" for k in range(n)]
    code = op.code(placeholders, "out")
    if code is None:
        raise NotTranslatable(f"{op.name} of {n} operands writes no code")
    js = dict({name: f"a[{k}]" for k, name in enumerate(placeholders)}, out="out")
    forward, locals_ = code
    return {
        "forward": to_javascript(forward, js), "locals": [to_javascript(local, js) for local in locals_],
        "checks": [[to_javascript(check.when, js), check.error, check.message, check.operand]
                   for check in op.checks(placeholders, "out")],
        "mistakes": [[[m.id, m.sentence, to_javascript(m.code, js)] for m in op.mistakes(i, placeholders, "out")]
                     for i in range(n)],
    }


def _add_diagnoses(scene, frames, fn):
    """Each grad-quiz question's edges, and for each edge its op's mistakes written with this node's names."""
    values = scene.values

    @functools.cache  # (an edge asked for again in its fan-in's total is written once)
    def mistakes(vid, i):
        return _written_mistakes(values, values[vid], i) if vid in fn else []

    for frame in frames:
        for ask in frame.get("ask", []):
            if ask.get("edges"):
                ask["mistakes"] = [mistakes(vid, i) for vid, i in ask["edges"]]


class _Numbers(dict):
    """{placeholder: its value's number as a writer's token}, each made only when a mistake writes it."""

    def __init__(self, w, ids):
        super().__init__()
        self.w, self.ids = w, ids

    def __missing__(self, name):
        return self.w(("data", self.ids[name]))


def _written_mistakes(values, value, i):
    """[[mistake index, where, written template]] for operand i of value: ``∂o/∂n``, ``o = 0.707107``."""
    operands = [operand.id for operand in value.operands]
    placeholders = [f"a{k}" for k in range(len(operands))]
    symbols = dict(zip(placeholders, (values[pid].name for pid in operands)), out=value.name)
    found = []
    for m, mistake in enumerate(value.rules.mistakes(i, placeholders, "out")):
        bare = isinstance(ast.parse(mistake.code, mode="eval").body, ast.Name)  # its numbers are its value

        def build(w, code=mistake.code, bare=bare, m=m):
            numbers = _Numbers(w, dict(zip(placeholders, operands), out=value.id))
            parts = [written(code, symbols), *([] if bare else [written(code, numbers)]), w(("wrong", value.id, i, m))]
            return " = ".join(dict.fromkeys(parts))

        found.append([m, f"∂{value.name}/∂{symbols[placeholders[i]]}", template(build)])
    return found
