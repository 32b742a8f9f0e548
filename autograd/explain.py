"""Backward, one node at a time, in words: step records for the REPL and a printed explanation.

Each step line reads rule -> numbers -> value, the rule as the node's op writes it (see
``Op.rule``): ``n.grad += ∂o/∂n · o.grad = (1 - o²) · 1.0 = (1 - 0.707107²) · 1.0 = 0.5``.

``backward_steps`` applies exactly the chain rule that ``Value.backward`` applies, in the same
order, one node per ``next()``; so after the last step every ``.grad`` equals what
``backward()`` gives, to the last bit. ``explanation`` and ``explain`` change no ``.grad``:
they walk the graph with gradients of their own, as if every gradient started from zero.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from autograd.engine import Value, chain_rule, seed_gradient, start_grads, topological_order
from autograd.ops import factor
from autograd.text import fmt, names

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from _typeshed import SupportsWrite

    from autograd.engine import Real

MAX_PATH_NODES = 30
TABLE_WIDTH = 110  # a wider step table puts each step's rule, numbers and value on a line below it
MAX_PATHS_PER_LEAF = 12


@dataclass(eq=False)
class ParentStep:
    """What one step did for one operand: ``parent.grad += local · upstream``, and the rule behind local."""

    parent: Value
    name: str
    local: float
    contribution: float
    grad_after: float
    rule: str = ""  # the local derivative as the op writes it, from the names: "1 - o²"
    numbers: str = ""  # the same rule with the numbers written in: "1 - 0.707107²"


@dataclass(eq=False)
class Step:
    """One node's chain rule: its upstream gradient passed to each of its parents."""

    number: int
    node: Value
    name: str
    upstream: float
    parents: tuple[ParentStep, ...]

    def columns(self, number: Callable[[float], str] = fmt,
                now: Callable[[ParentStep], str] | None = None) -> list[tuple[str, str, str, str]]:
        """For each parent, the parts of its line: (update, rule, numbers, value); numbers is ""
        when the rule holds no name (``1``), so it would only repeat the rule. ``number`` writes each
        number and ``now(entry)`` the running total after it (the live page passes writers of its own)."""
        rows = []
        upstream = factor(number(self.upstream))
        for entry in self.parents:
            value = f"= {number(entry.contribution)}"
            if now is not None:
                value += now(entry)
            elif entry.grad_after != entry.contribution:
                value += f", now {number(entry.grad_after)}"
            rows.append((f"{entry.name}.grad += ∂{self.name}/∂{entry.name} · {self.name}.grad",
                         f"= {factor(entry.rule)} · {upstream}",
                         f"= {factor(entry.numbers)} · {upstream}" if entry.numbers != entry.rule else "",
                         value))
        return rows

    def lines(self, number: Callable[[float], str] = fmt, now: Callable[[ParentStep], str] | None = None) -> list[str]:
        """One line per parent: ``n.grad += ∂o/∂n · o.grad = (1 - o²) · 1.0 = (1 - 0.707107²) · 1.0 = 0.5``."""
        return [" ".join(part for part in row if part) for row in self.columns(number, now)]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        updates = ", ".join(f"{entry.name}.grad += {fmt(entry.contribution)}" for entry in self.parents)
        return f"<Step {self.number} at {self.name} ({self.node.op}): {updates}>"


def expect_value(root, func_name):
    """root itself, or a TypeError naming func_name when root is not a Value."""
    if not isinstance(root, Value):
        raise TypeError(f"{func_name}: root must be a Value, got {type(root).__name__}: {root!r}")
    return root


def backward_steps(root: Value, grad: Real = 1.0) -> Iterator[Step]:
    """Backward as an iterator: each ``next()`` applies one node's chain rule and returns its Step.

    It acts, as ``root.backward(grad)`` does, one step at a time: after each step the parents'
    ``.grad`` show their running totals (leaves add to what they held, inner nodes start from 0),
    and after the last step every ``.grad`` equals what ``backward()`` gives, to the last bit.
    A step that raises restores every ``.grad`` this pass had written. Leaves get no step.
    """
    expect_value(root, "backward_steps")
    seed = seed_gradient(grad, "backward_steps")
    order = topological_order(root)
    before = {node: node.grad for node in order}  # to restore if a step raises
    base = {node: (before[node] if node._op is None else 0.0) for node in order}
    root.grad = base[root] + seed  # started at once, as backward() starts
    grads = start_grads(order, seed)
    return _acting(walk(order, grads), grads, before, base)


def _acting(steps, grads, before, base):
    """The steps, each shown on .grad as it is taken (running totals); all undone if one raises."""
    try:
        for step in steps:
            for parent in step.node.parents:
                parent.grad = base[parent] + grads[parent]
            yield step
    except Exception:  # not GeneratorExit: steps already taken stay when the walk is dropped
        for node, old in before.items():
            node.grad = old
        raise


def walk(order, grads, name=None):
    """The chain rule over order as Step records, one per inner node, root first.

    The gradients live in ``grads``, the walk's own dict (seed it with ``engine.start_grads``);
    no ``.grad`` is read or written, so walking explains without changing anything. ``name``:
    {node: its name in the steps' text}, default ``text.names(order)`` (the scene passes its own).
    """
    name = names(order) if name is None else name
    steps = chain_rule(order, grads)  # yields each inner node just before applying its step
    node = next(steps, None)
    number = 0
    while node is not None:
        number += 1
        upstream = grads[node]
        running = {parent: grads[parent] for parent in node.parents}
        following = next(steps, None)  # the engine applies this node's step here
        symbols = [name[parent] for parent in node.parents]
        values = [fmt(parent.data) for parent in node.parents]
        entries = []
        for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            contribution = local * upstream
            running[parent] += contribution  # the engine's additions, in its order (a + a adds twice)
            entries.append(ParentStep(parent, name[parent], local, contribution, running[parent],
                                      node._op.rule(i, symbols, name[node]),
                                      node._op.rule(i, values, fmt(node.data))))
        yield Step(number, node, name[node], upstream, tuple(entries))
        node = following


def chain_rule_paths(root, max_paths=MAX_PATHS_PER_LEAF):
    """For each leaf: every path from root down to it as a list of (child, parent, local) edges.

    Returns {leaf: list of paths}, or {leaf: None} for a leaf reached by more than max_paths
    paths. d root/d leaf is the sum over its paths of the product of the locals on the path.
    """
    return {leaf: None if paths is None else [[(child, child.parents[i], child.local_grads[i]) for child, i in path]
                                             for path in paths]
            for leaf, paths in operand_paths(root, max_paths).items()}


def operand_paths(root, max_paths=MAX_PATHS_PER_LEAF, order=None, operands=None):
    """As chain_rule_paths, each edge as (child, i): the child's operand i (so ``a / a`` has two).

    ``order`` (topological, default root's) and ``operands(node)`` (its operands in order, default
    its parents) let the scene find the same paths by its ids (scene.operand_paths)."""
    order = topological_order(root) if order is None else order
    operands = _parents if operands is None else operands
    # How many paths lead from root to each node (edges counted with multiplicity).
    count = {node: 0 for node in order}
    count[root] = 1
    for node in reversed(order):
        for parent in operands(node):
            count[parent] += count[node]
    result = {}
    for leaf in reading_order_leaves(root, operands):
        if count[leaf] > max_paths:
            result[leaf] = None
            continue
        reaches = set()  # the nodes computed (directly or not) from leaf, and leaf itself
        for node in order:
            if node == leaf or any(p in reaches for p in operands(node)):
                reaches.add(node)
        paths = []
        stack = [(root, [])] if root in reaches else []
        while stack:
            node, path = stack.pop()
            if node == leaf:
                paths.append(path)
                continue
            below = operands(node)
            for i in reversed(range(len(below))):
                if below[i] in reaches:
                    stack.append((below[i], path + [(node, i)]))
        result[leaf] = paths
    return result


def _parents(node):
    return node.parents


def edge_rule(child, i, name):
    """d child / d its operand i as the child's op writes it, with the names of ``name``."""
    return child._op.rule(i, [name[p] for p in child.parents], name[child])


def reading_order_leaves(root, operands=None):
    """The leaves root depends on, each once, in the order they are written in its expression
    (``operands(node)``: its operands in order, default its parents; the scene passes its ids')."""
    operands = _parents if operands is None else operands
    leaves, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        below = operands(node)
        if not below:
            leaves.append(node)
        stack.extend(reversed(below))
    return leaves


def explanation(root: Value, gradients: bool = True) -> str:
    """The backward pass of root as text: a numbered table of chain-rule lines (rule, numbers, value),
    each leaf's gradient (``gradients=False`` leaves that list out, for a caller that prints its
    own), and for small graphs ∂root/∂leaf written out as a sum over paths.

    It changes no ``.grad``: the numbers are root's gradients alone, as if every gradient
    started from zero, whatever earlier passes left in the leaves.
    """
    expect_value(root, "explanation")
    order = topological_order(root)
    name = names(order)
    grads = start_grads(order, 1.0)
    steps = list(walk(order, grads))
    lines = [f"Backward pass from {name[root]} = {fmt(root.data)}: start with {name[root]}.grad = 1.0, "
             f"then apply parent.grad += ∂node/∂parent · node.grad, from the output back to the inputs."]
    if any(node.grad and not node.parents for node in order):
        lines.append(f"(Some leaves hold a gradient from an earlier pass; the numbers here are the "
                     f"gradients of {name[root]} alone, as if from zero, and explain changes no .grad.)")
    if not steps:
        lines.append(f"{name[root]} is a leaf: nothing to pass back.")
    else:
        lines.append("")
        lines += _table(steps)
    if gradients:
        lines.append("")
        lines.append(f"Gradients of the leaves (∂{name[root]}/∂leaf):")
        leaves = reading_order_leaves(root)
        label_width = max(len(f"{name[leaf]}.grad") for leaf in leaves)
        for leaf in leaves:
            lines.append(f"  {name[leaf] + '.grad':<{label_width}} = {fmt(grads[leaf])}")
    if steps and len(order) <= MAX_PATH_NODES:
        lines.append("")
        lines.append("The chain rule, as a sum over every path from the output to each leaf:")
        for leaf, paths in operand_paths(root).items():
            lines.append("  " + _path_sum(leaf, paths, name, root))
    elif steps:
        lines.append("")
        lines.append(f"(The graph has {len(order)} nodes; the sum over paths is written out for "
                     f"graphs of at most {MAX_PATH_NODES}.)")
    return "\n".join(lines)


def _table(steps):
    """The steps as numbered lines in columns: update, rule, rule with numbers, value (when that is wider
    than TABLE_WIDTH, each row as two lines: the update, then its rule, numbers and value)."""
    width = len(str(len(steps)))
    rows = []
    for step in steps:
        for k, row in enumerate(step.columns()):
            rows.append((f"{step.number}." if k == 0 else "", *row))
    head = ("", "step", "rule", "with the numbers", "value")
    widths = [max(len(row[c]) for row in rows + [head]) for c in range(4)]
    widths[0] = width + 1
    table = [" ".join(text.ljust(w) for text, w in zip(row, widths + [0])).rstrip() for row in [head] + rows]
    if max(len(line) for line in table) <= TABLE_WIDTH:
        return table
    # too wide for a terminal (long names): each update on a line, its rule, numbers and value below it
    indent = " " * (width + 4)
    lines = [f"{'':<{width + 1}} step", f"{indent}= rule = with the numbers = value"]
    for number, update, *rest in rows:
        lines += [f"{number:<{width + 1}} {update}", indent + " ".join(part for part in rest if part)]
    return lines


def _path_sum(leaf, paths, name, root):
    """``∂o/∂x = ∂o/∂n · ∂n/∂x + ... = (1 - o²) · w + ... = 0.5 · 2.0 + ... = 1.0`` for one leaf."""
    d = f"∂{name[root]}/∂{name[leaf]}"
    if paths is None:
        return f"{d}: too many paths to write out; the table above adds them up."
    if not paths:
        return f"{d} = 0.0 (no path)"
    symbols, rules, numbers_, total = [], [], [], 0.0
    for path in paths:
        symbols.append(" · ".join(f"∂{name[child]}/∂{name[child.parents[i]]}" for child, i in path))
        rules.append(" · ".join(factor(edge_rule(child, i, name)) for child, i in path))
        numbers_.append(" · ".join(fmt(child.local_grads[i]) if k == 0 else factor(fmt(child.local_grads[i]))
                                   for k, (child, i) in enumerate(path)))
        product = 1.0
        for child, i in path:
            product *= child.local_grads[i]
        total += product
    if len(paths) == 1:
        parts = [symbols[0], rules[0], numbers_[0], fmt(total)] if len(paths[0]) > 1 else [rules[0], fmt(total)]
        parts = [part for k, part in enumerate(parts) if part not in parts[k + 1 : k + 2]]
        line = " = ".join([d] + parts)
        return line if len(line) <= TABLE_WIDTH else f"{d} = {parts[0]}" + "".join(f"\n      = {p}" for p in parts[1:])
    return (f"{d} = {' + '.join(symbols)}\n      = {' + '.join(rules)}"
            f"\n      = {' + '.join(f'({n})' for n in numbers_)} = {fmt(total)}")


def explain(root: Value, file: SupportsWrite[str] | None = None) -> None:
    """Print ``explanation(root)`` (to file, default stdout)."""
    print(explanation(root), file=file if file is not None else sys.stdout)
