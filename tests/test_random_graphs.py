"""Random expression graphs from hypothesis, checked against PyTorch and against finite differences.

A program is a list of steps over 1-4 leaves; each step applies one op to earlier nodes (any
earlier node, so reuse, diamonds and ``a op a`` all occur). The ops keep their inputs inside
their domain: log and sqrt see ``x*x + 1``, log1p sees ``x*x``, exp sees ``tanh(x)``, division
is by ``1 + x*x``.

HYPOTHESIS_EXAMPLES sets the number of examples per property (300 unless told otherwise).
"""

import math
import os
from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value

EXAMPLES = settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 300)), deadline=None)
LIMIT = 1e4  # programs whose nodes grow beyond this are skipped (cubing cubes overflows quickly)


class EngineOps:
    """The few ops spelled differently on Values and on tensors: engine side."""

    @staticmethod
    def sum3(a, b):
        return autograd.sum([a, b, a])

    @staticmethod
    def dot(a, b):
        return autograd.dot([a, b], [b, a], bias=a)

    @staticmethod
    def leaky_relu(a):
        return a.leaky_relu(0.1)


class TorchOps:
    """The same three ops written with PyTorch, in the engine's order of additions."""

    @staticmethod
    def sum3(a, b):
        return a + b + a

    @staticmethod
    def dot(a, b):
        return a * b + b * a + a

    @staticmethod
    def leaky_relu(a):
        return a * 0.1 if a.item() <= 0 else a + 0.0  # F.leaky_relu, without importing torch here


# Each op: (arity, function(ns, a, b), smooth). `ns` is EngineOps or TorchOps.
OPS = {
    "neg": (1, lambda ns, a, b: -a, True),
    "tanh": (1, lambda ns, a, b: a.tanh(), True),
    "sigmoid": (1, lambda ns, a, b: a.sigmoid(), True),
    "sin": (1, lambda ns, a, b: a.sin(), True),
    "cos": (1, lambda ns, a, b: a.cos(), True),
    "exp of tanh": (1, lambda ns, a, b: a.tanh().exp(), True),
    "log of x*x+1": (1, lambda ns, a, b: (a * a + 1).log(), True),
    "log1p of x*x": (1, lambda ns, a, b: (a * a).log1p(), True),
    "sqrt of x*x+1": (1, lambda ns, a, b: (a * a + 1).sqrt(), True),
    "square": (1, lambda ns, a, b: a**2, True),
    "cube": (1, lambda ns, a, b: a**3, True),
    "1 / (1+x*x)": (1, lambda ns, a, b: 1 / (1 + a * a), True),
    "affine": (1, lambda ns, a, b: 0.5 * a - 0.25, True),
    "1 - x": (1, lambda ns, a, b: 1 - a, True),
    "2 ** tanh": (1, lambda ns, a, b: 2 ** a.tanh(), True),
    "relu": (1, lambda ns, a, b: a.relu(), False),
    "leaky_relu": (1, lambda ns, a, b: ns.leaky_relu(a), False),
    "abs": (1, lambda ns, a, b: abs(a), False),
    "+": (2, lambda ns, a, b: a + b, True),
    "-": (2, lambda ns, a, b: a - b, True),
    "*": (2, lambda ns, a, b: a * b, True),
    "/ (1+y*y)": (2, lambda ns, a, b: a / (1 + b * b), True),
    # The exponent stays in [0.5, 2.5]: at an exponent of exactly 0 PyTorch's pow backward masks
    # the base's gradient with a `where`, which drops that gradient's derivative by the exponent.
    "(1+x*x) ** (tanh y + 1.5)": (2, lambda ns, a, b: (1 + a * a) ** (b.tanh() + 1.5), True),
    "sum": (2, lambda ns, a, b: ns.sum3(a, b), True),
    "dot": (2, lambda ns, a, b: ns.dot(a, b), True),
}
SMOOTH_OPS = sorted(name for name, (_, _, smooth) in OPS.items() if smooth)


@dataclass
class Program:
    leaves: list  # floats
    steps: list  # (op name, index of a, index of b) over leaves + earlier steps

    def run(self, inputs, ns):
        """Every node of the program, given the leaves as Values or tensors; the output is last."""
        nodes = list(inputs)
        for name, i, j in self.steps:
            nodes.append(OPS[name][1](ns, nodes[i], nodes[j]))
        return nodes


@st.composite
def programs(draw, ops=tuple(sorted(OPS))):
    """1-4 leaves in [-2, 2] (often exactly 0, 1, -1 or 0.5), then 1-8 steps reading earlier nodes."""
    number = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5]), st.floats(-2.0, 2.0, allow_nan=False))
    leaves = draw(st.lists(number, min_size=1, max_size=4))
    steps = []
    for k in range(draw(st.integers(1, 8))):
        available = len(leaves) + k
        name = draw(st.sampled_from(ops))
        i = draw(st.integers(0, available - 1))
        j = draw(st.integers(0, available - 1)) if OPS[name][0] == 2 else i
        steps.append((name, i, j))
    return Program(leaves, steps)


def build(program):
    """The program on fresh Values; skips programs whose numbers grow too large."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(program.leaves)]
    nodes = program.run(leaves, EngineOps)
    assume(all(abs(n.data) < LIMIT for n in nodes))
    return leaves, nodes[-1]


def hessian(out, leaves):
    first = autograd.grad(out, leaves, create_graph=True)
    return [autograd.grad(g, leaves) for g in first]


def torch_derivatives(torch, program):
    xs = [torch.tensor(x, requires_grad=True) for x in program.leaves]
    out = program.run(xs, TorchOps)[-1]
    if not out.requires_grad:  # an output that uses no leaf
        n = len(xs)
        return out.item(), [0.0] * n, [[0.0] * n for _ in range(n)]
    first = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    rows = []
    for g in first:
        if g is None or not g.requires_grad:
            rows.append([0.0] * len(xs))
            continue
        second = torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True)
        rows.append([s.item() if s is not None else 0.0 for s in second])
    return out.item(), [g.item() if g is not None else 0.0 for g in first], rows


def close(ours, theirs, rel, abs_tol):
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=abs_tol)


# --- against PyTorch ---------------------------------------------------------------------------


@settings(EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])  # the fixture is a module
@given(program=programs())
def test_data_first_and_second_derivatives_match_pytorch(program, torch):
    leaves, out = build(program)
    out.backward()
    grads = [v.grad for v in leaves]
    second = hessian(out, leaves)

    data, torch_grads, torch_second = torch_derivatives(torch, program)
    assert close(out.data, data, 1e-12, 1e-12), (out.data, data)
    for ours, theirs in zip(grads, torch_grads):
        assert close(ours, theirs, 1e-10, 1e-10), (grads, torch_grads)
    for row, torch_row in zip(second, torch_second):
        for ours, theirs in zip(row, torch_row):
            assert close(ours, theirs, 1e-9, 1e-9), (second, torch_second)


# --- without PyTorch -----------------------------------------------------------------------------


@EXAMPLES
@given(program=programs(ops=tuple(SMOOTH_OPS)))
def test_backward_matches_central_differences(program):
    leaves, out = build(program)
    assert autograd.gradcheck(lambda *xs: program.run(xs, EngineOps)[-1], leaves)


@EXAMPLES
@given(program=programs(ops=tuple(SMOOTH_OPS)))
def test_second_derivatives_match_differences_of_first_derivatives(program):
    leaves, out = build(program)
    second = hessian(out, leaves)

    def first_derivatives(xs):
        values = [Value(x) for x in xs]
        return autograd.grad(program.run(values, EngineOps)[-1], values)

    for j, x in enumerate(program.leaves):
        h = 1e-5
        up = first_derivatives([x + h if k == j else v for k, v in enumerate(program.leaves)])
        down = first_derivatives([x - h if k == j else v for k, v in enumerate(program.leaves)])
        for i in range(len(leaves)):
            numeric = (up[i] - down[i]) / (2 * h)
            assert close(second[i][j], numeric, 1e-4, 1e-4), (i, j, second[i][j], numeric)


@EXAMPLES
@given(program=programs())
def test_hessian_is_symmetric(program):
    leaves, out = build(program)
    second = hessian(out, leaves)
    for i in range(len(leaves)):
        for j in range(i):
            assert close(second[i][j], second[j][i], 1e-10, 1e-10), second


@EXAMPLES
@given(program=programs())
def test_grad_equals_backward_and_touches_no_grad(program):
    leaves, out = build(program)
    first = autograd.grad(out, leaves)
    assert all(v.grad == 0.0 for v in autograd.topological_order(out))
    out.backward()
    assert first == [v.grad for v in leaves]


@EXAMPLES
@given(program=programs())
def test_topological_order_is_valid(program):
    leaves, out = build(program)
    order = autograd.topological_order(out)
    position = {node: k for k, node in enumerate(order)}
    assert len(position) == len(order) and order[-1] is out
    for node in order:
        assert all(position[p] < position[node] for p in node.parents)
    assert autograd.topological_order(out) == order


@EXAMPLES
@given(program=programs())
def test_no_grad_gives_the_same_numbers(program):
    leaves, out = build(program)
    with autograd.no_grad():
        quiet = program.run([Value(x) for x in program.leaves], EngineOps)[-1]
    assert quiet.data == out.data and quiet.op == ""
