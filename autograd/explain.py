"""Backward, one node at a time, in words: step records for the REPL and a printed explanation.

``backward_steps`` applies exactly the chain rule that ``Value.backward`` applies, in the same
order, one node per ``next()``; so after the last step every ``.grad`` equals what
``backward()`` gives, to the last bit.
"""

import numbers
import sys
from dataclasses import dataclass

from autograd.engine import chain_rule, seed_gradient, start_grads, topological_order
from autograd.viz import expect_value, fmt, names

MAX_PATH_NODES = 30
MAX_PATHS_PER_LEAF = 12


@dataclass(eq=False)
class ParentStep:
    """What one step did for one operand: ``parent.grad += local * upstream``."""

    parent: object
    name: str
    local: float
    contribution: float
    grad_after: float


@dataclass(eq=False)
class Step:
    """One node's chain rule: its upstream gradient passed to each of its parents."""

    number: int
    node: object
    name: str
    upstream: float
    parents: tuple

    def lines(self):
        """One readable line per parent, e.g. ``x.grad += 0.5 * 1.0 = 0.5  (∂o/∂x of tanh)``."""
        out = []
        for entry in self.parents:
            line = (f"{entry.name}.grad += {fmt(entry.local)} * {fmt(self.upstream)} = "
                    f"{fmt(entry.contribution)}  (∂{self.name}/∂{entry.name} of {self.node.op})")
            if entry.grad_after != entry.contribution:
                line += f", now {fmt(entry.grad_after)}"
            out.append(line)
        return out

    def __repr__(self):
        return "\n".join(self.lines())


def backward_steps(root, grad=1.0):
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
    return _steps(order, start_grads(order, seed), before, base)


def _steps(order, grads, before, base):
    """Drive the engine's chain rule one node at a time; show each step's totals on .grad."""
    name = names(order)
    walk = chain_rule(order, grads)  # yields each inner node just before applying its step
    try:
        node = next(walk, None)
        number = 0
        while node is not None:
            number += 1
            upstream = grads[node]
            running = {parent: grads[parent] for parent in node.parents}
            following = next(walk, None)  # the engine applies this node's step here
            entries = []
            for parent, local in zip(node.parents, node.local_grads):
                contribution = local * upstream
                running[parent] += contribution  # the engine's additions, in its order (a + a adds twice)
                entries.append(ParentStep(parent, name[parent], local, contribution, running[parent]))
            for parent in node.parents:
                parent.grad = base[parent] + grads[parent]
            yield Step(number, node, name[node], upstream, tuple(entries))
            node = following
    except Exception:  # not GeneratorExit: steps already taken stay when the walk is dropped
        for node, old in before.items():
            node.grad = old
        raise


def chain_rule_paths(root, max_paths=MAX_PATHS_PER_LEAF):
    """For each leaf: every path from root down to it as a list of (child, parent, local) edges.

    Returns {leaf: list of paths}, or {leaf: None} for a leaf reached by more than max_paths
    paths. d root/d leaf is the sum over its paths of the product of the locals on the path.
    """
    order = topological_order(root)
    # How many paths lead from root to each node (edges counted with multiplicity).
    count = {node: 0 for node in order}
    count[root] = 1
    for node in reversed(order):
        for parent in node.parents:
            count[parent] += count[node]
    result = {}
    for leaf in reading_order_leaves(root):
        if count[leaf] > max_paths:
            result[leaf] = None
            continue
        reaches = set()  # the nodes computed (directly or not) from leaf, and leaf itself
        for node in order:
            if node is leaf or any(p in reaches for p in node.parents):
                reaches.add(node)
        paths = []
        stack = [(root, [])] if root in reaches else []
        while stack:
            node, path = stack.pop()
            if node is leaf:
                paths.append(path)
                continue
            edges = list(zip(node.parents, node.local_grads))
            for parent, local in reversed(edges):
                if parent in reaches:
                    stack.append((parent, path + [(node, parent, local)]))
        result[leaf] = paths
    return result


def reading_order_leaves(root):
    """The leaves root depends on, each once, in the order they are written in its expression."""
    leaves, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if not node.parents:
            leaves.append(node)
        stack.extend(reversed(node.parents))
    return leaves


def explanation(root):
    """The backward pass of root as text: a numbered table of chain-rule lines, each leaf's grad,
    and for small graphs d root/d leaf written out as a sum over paths, with numbers.

    Runs the backward pass (as ``root.backward()`` would), so it changes ``.grad`` values.
    """
    expect_value(root, "explanation")
    order = topological_order(root)
    name = names(order)
    lines = [f"Backward pass from {name[root]} = {fmt(root.data)}: start with {name[root]}.grad = 1.0, "
             f"then apply parent.grad += local * upstream, from the output back to the inputs."]
    if any(node.grad and not node.parents for node in order):
        lines.append("(Some leaves already hold a gradient from an earlier pass: "
                     "leaves accumulate, as with backward(); set .grad = 0.0 to start afresh.)")
    steps = list(backward_steps(root))
    if not steps:
        lines.append(f"{name[root]} is a leaf: nothing to pass back.")
    else:
        width = len(str(len(steps)))
        lines.append("")
        for step in steps:
            step_lines = step.lines()
            lines.append(f"{step.number:>{width}}. {step_lines[0]}")
            lines += [f"{'':>{width}}  {line}" for line in step_lines[1:]]
    lines.append("")
    lines.append("Gradients of the leaves (d%s/d leaf):" % name[root])
    leaves = reading_order_leaves(root)
    label_width = max(len(f"{name[leaf]}.grad") for leaf in leaves)
    for leaf in leaves:
        lines.append(f"  {name[leaf] + '.grad':<{label_width}} = {fmt(leaf.grad)}")
    if steps and len(order) <= MAX_PATH_NODES:
        lines.append("")
        lines.append("The chain rule, as a sum over every path from the output to each leaf:")
        for leaf, paths in chain_rule_paths(root).items():
            lines.append("  " + _path_sum(leaf, paths, name, root))
    elif steps:
        lines.append("")
        lines.append(f"(The graph has {len(order)} nodes; the sum over paths is written out for "
                     f"graphs of at most {MAX_PATH_NODES}.)")
    return "\n".join(lines)


def _path_sum(leaf, paths, name, root):
    """``do/dx = do/dn · dn/dx + ... = 0.5 · 2.0 + ... = 1.0`` for one leaf."""
    d = f"∂{name[root]}/∂{name[leaf]}"
    if paths is None:
        return f"{d}: too many paths to write out; the table above adds them up."
    if not paths:
        return f"{d} = 0.0 (no path)"
    symbols, numbers_, total = [], [], 0.0
    for path in paths:
        symbols.append(" · ".join(f"∂{name[c]}/∂{name[p]}" for c, p, _ in path))
        numbers_.append(" · ".join(fmt(local) for _, _, local in path))
        product = 1.0
        for _, _, local in path:
            product *= local
        total += product
    if len(paths) == 1 and len(paths[0]) == 1:
        return f"{d} = {numbers_[0]}"
    if len(paths) == 1:
        return f"{d} = {symbols[0]} = {numbers_[0]} = {fmt(total)}"
    return (f"{d} = {' + '.join(symbols)}\n      = {' + '.join(f'({n})' for n in numbers_)}"
            f" = {fmt(total)}")


def explain(root, file=None):
    """Print ``explanation(root)`` (to file, default stdout)."""
    print(explanation(root), file=file if file is not None else sys.stdout)
