"""A shared weight's gradient as a sum: one term for every node that uses it.

An RNN uses ``weight_hh`` at every time step and a convolution uses each kernel weight at every
position. Backward adds ``∂L/∂node × ∂node/∂w`` into ``w.grad`` once for each node ``node``
that has ``w`` as an operand; ``grad_contributions`` lists those terms (computed with
``autograd.grad``, so no ``.grad`` changes) and ``explain_grad_sum`` writes them out, each
node named by the scope nn recorded when it built it (``dot[t=3]``: the dot node of time step 3;
see autograd/scope.py) and, unless told otherwise, tagged with that scope's name (``t=3``).

>>> from autograd import Value
>>> import nn
>>> w = Value(3.0, label="w")
>>> h1 = (w * 2.0).tanh()
>>> loss = w * h1
>>> terms = nn.grad_contributions(loss, w)
>>> len(terms), round(sum(t.contribution for t in terms), 6)
(2, 1.000135)
"""

from collections import Counter
from dataclasses import dataclass

from autograd import grad, topological_order


@dataclass(eq=False)
class Contribution:
    """One term of ``parameter.grad``: ``upstream × local`` for one node that uses the parameter."""

    node: object         # the node that has the parameter as an operand
    upstream: float      # ∂loss/∂node
    local: float         # ∂node/∂parameter (for dot and *, the operand the parameter multiplies)
    partner: object      # that operand (a Value), or None when the local derivative is not one
    contribution: float  # upstream × local


def _partner(node, index):
    """The operand that multiplies operand ``index`` in a ``*`` or ``dot`` node, else None."""
    parents = node.parents
    if node.op == "*" and len(parents) == 2:
        return parents[1 - index]
    if node.op == "dot":
        n = len(parents) // 2
        if index < n:
            return parents[n + index]
        if index < 2 * n:
            return parents[index - n]
    return None


def grad_contributions(loss, parameter):
    """Every term ``∂loss/∂node × ∂node/∂parameter`` of parameter's gradient, in the order the nodes were computed.

    Their sum is ``d loss / d parameter``, what ``loss.backward()`` adds to ``parameter.grad``.
    """
    order = topological_order(loss)
    uses = [(node, k) for node in order for k, p in enumerate(node.parents) if p is parameter]
    if not uses:
        return []
    nodes = list(dict.fromkeys(node for node, _ in uses))
    upstream = dict(zip(nodes, grad(loss, nodes)))
    terms = []
    for node, k in uses:
        local = node.local_grads[k]
        terms.append(Contribution(node, upstream[node], local, _partner(node, k), upstream[node] * local))
    return terms


def _fmt(x):
    return f"{x:.4g}" if x != 0 else "0"


def explain_grad_sum(loss, parameter, where=None, max_terms=12):
    """``parameter.grad`` written as the sum of its contributions, one line per node that uses it.

    ``where`` maps a node to a short description of it (``{node: "t=2"}``, see ``time_steps``
    and ``positions``); the lines then follow its order. Without it, each line is tagged with
    the name of the scope its node was built in (``t=2``, a Conv2d's ``(1, 2)``) when every node
    has one of its own, else ``use 1``, ``use 2``, ... An unlabelled node is named by its op and
    that scope's path, ``dot[rnn.t=2]`` (``v<i>``, its place in topological order, when it has
    none). At most ``max_terms`` lines are written; the sum always covers all terms.
    """
    terms = grad_contributions(loss, parameter)
    if where:
        rank = {node: i for i, node in enumerate(where)}
        lines_order = sorted(terms, key=lambda t: rank.get(t.node, len(rank)))
    else:
        lines_order = terms
    order = topological_order(loss)
    number = {node: i for i, node in enumerate(order)}
    name_p = parameter.label or "parameter"
    name_l = loss.label or "L"

    scoped = Counter((t.node.op, t.node.scope) for t in terms if t.node.scope is not None)

    def name(v):
        if v.label:
            return v.label
        if v.scope is not None and scoped.get((v.op, v.scope)) == 1:
            return f"{v.op}[{v.scope.path}]"  # the dot node of time step 2: dot[t=2]
        return f"v{number[v]}" if v in number else _fmt(v.data)

    if not terms:
        return f"{name_p}.grad = 0: {name_l} does not use {name_p}"
    if not where:
        own = [t.node.scope.name if t.node.scope is not None else None for t in terms]
        where = dict(zip((t.node for t in terms), own)) if None not in own and len(set(own)) == len(own) else {}
    lines = [f"{name_p}.grad = Σ over the {len(terms)} node(s) that use {name_p} of "
             f"∂{name_l}/∂node × ∂node/∂{name_p}:"]
    tags = [where.get(t.node, f"use {i + 1}") for i, t in enumerate(lines_order)]
    width = max(len(tag) for tag in tags)
    for tag, t in list(zip(tags, lines_order))[:max_terms]:
        local = name(t.partner) if t.partner is not None else f"∂{name(t.node)}/∂{name_p}"
        lines.append(f"  {tag:<{width}}  ∂{name_l}/∂{name(t.node)} × {local} = "
                     f"{_fmt(t.upstream)} × {_fmt(t.local)} = {_fmt(t.contribution)}")
    if len(terms) > max_terms:
        rest = sum(t.contribution for t in lines_order[max_terms:])
        lines.append(f"  ... and {len(terms) - max_terms} more term(s), together {_fmt(rest)}")
    total = 0.0
    for t in reversed(terms):  # the order backward adds them in
        total += t.contribution
    lines.append(f"  sum = {_fmt(total)}  (to the last digit {total!r}: what backward adds to {name_p}.grad)")
    return "\n".join(lines)


def time_steps(outputs):
    """{node: "t=<k>"} for the nodes an unrolled RNN computed at step k (outputs: one hidden vector per step).

    A node belongs to the first step whose hidden state needs it; a leaf used at several
    steps (a shared weight) belongs to none. Pass it as ``where`` to ``explain_grad_sum``, or as
    ``groups`` to ``autograd.render`` to draw one box per time step.
    """
    group = {}
    for t, hidden in enumerate(outputs, start=1):
        for value in hidden:
            for node in topological_order(value):
                group.setdefault(node, f"t={t}")
    used_at = {}
    for node, tag in group.items():
        for parent in node.parents:
            used_at.setdefault(parent, set()).add(tag)
    return {node: tag for node, tag in group.items() if node.parents or len(used_at.get(node, ())) <= 1}


def positions(maps):
    """{node: "(row, col)"} for the Values of feature maps [channel][row][col] (e.g. a Conv2d's output)."""
    return {v: f"({r}, {c})" for channel in maps for r, row in enumerate(channel) for c, v in enumerate(row)}
