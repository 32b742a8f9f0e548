"""Every op at several points: forward value and gradients against three oracles.

1. a plain-float reference written with ``math`` (forward) and its central differences (gradients);
2. ``autograd.gradcheck`` (central differences through the engine itself);
3. PyTorch in float64 (skipped with a reason when torch is not installed).

One row of CASES is one op: how to build it from Values, its float reference, and the points.
"""

import math
import sys
from dataclasses import dataclass
from typing import Callable, Optional

import pytest

import autograd
from autograd import Value, ops

REL = 1e-12  # agreement with PyTorch and with the float reference


@dataclass(frozen=True)
class Case:
    """One op: ``build`` takes Values (or tensors), ``ref`` floats; ``points`` are input tuples."""

    name: str
    build: Callable
    ref: Callable
    points: list
    torch_build: Optional[Callable] = None  # (torch, *tensors) -> tensor, when build does not fit torch
    kinks: tuple = ()  # points where the op is not differentiable: no finite differences there


def sigmoid_ref(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def leaky(x, slope=0.01):
    return x if x > 0 else slope * x


CASES = [
    # binary arithmetic, both operands Values
    Case("a + b", lambda a, b: a + b, lambda a, b: a + b, [(1.0, 2.0), (-3.5, 0.25), (0.0, -0.0)]),
    Case("a - b", lambda a, b: a - b, lambda a, b: a - b, [(1.0, 2.0), (-3.5, 0.25), (1e3, 2.0)]),
    Case("a * b", lambda a, b: a * b, lambda a, b: a * b, [(1.0, 2.0), (-3.5, 0.25), (0.0, 7.0)]),
    Case("a / b", lambda a, b: a / b, lambda a, b: a / b, [(1.0, 2.0), (-3.0, 0.5), (2.0, -4.0), (0.0, 3.0)]),
    Case("-a", lambda a: -a, lambda a: -a, [(-1.5,), (0.0,), (3.0,)]),
    Case("abs(a)", lambda a: abs(a), abs, [(-1.5,), (0.0,), (0.7,)], kinks=((0.0,),)),
    # a plain number on either side
    Case("a + 5", lambda a: a + 5, lambda a: a + 5, [(-1.0,), (2.5,)]),
    Case("5 + a", lambda a: 5 + a, lambda a: 5 + a, [(-1.0,), (2.5,)]),
    Case("2 * a", lambda a: 2 * a, lambda a: 2 * a, [(-1.0,), (2.5,)]),
    Case("a * 2", lambda a: a * 2, lambda a: a * 2, [(-1.0,), (2.5,)]),
    Case("1 - a", lambda a: 1 - a, lambda a: 1 - a, [(-1.0,), (2.5,)]),
    Case("a - 1", lambda a: a - 1, lambda a: a - 1, [(-1.0,), (2.5,)]),
    Case("a / 3", lambda a: a / 3, lambda a: a / 3, [(-1.0,), (2.5,)]),
    Case("7 / a", lambda a: 7 / a, lambda a: 7 / a, [(-1.0,), (2.5,), (1e-3,)]),
    # powers: number exponent, number base, Value exponent
    Case("a ** 3", lambda a: a**3, lambda a: a**3, [(-2.0,), (-0.5,), (0.0,), (1.5,)]),
    Case("a ** 2", lambda a: a**2, lambda a: a**2, [(-2.0,), (0.0,), (1.5,)]),
    Case("a ** 0", lambda a: a**0, lambda a: a**0, [(-2.0,), (0.0,), (1.5,)]),
    Case("a ** 0.5", lambda a: a**0.5, lambda a: a**0.5, [(0.25,), (2.0,), (0.0,)], kinks=((0.0,),)),
    Case("a ** -1", lambda a: a**-1, lambda a: a**-1, [(-2.0,), (0.5,), (3.0,)]),
    Case("a ** -2.5", lambda a: a**-2.5, lambda a: a**-2.5, [(0.5,), (3.0,)]),
    Case("2 ** a", lambda a: 2**a, lambda a: 2**a, [(-1.0,), (0.0,), (2.5,)]),
    Case("0.5 ** a", lambda a: 0.5**a, lambda a: 0.5**a, [(-1.0,), (3.0,)]),
    Case("a ** b", lambda a, b: a**b, lambda a, b: a**b, [(2.0, 3.0), (0.5, -1.5), (3.0, 0.5), (0.0, 2.0)]),
    # unary methods
    Case("exp", lambda a: a.exp(), math.exp, [(-2.0,), (0.0,), (1.5,), (700.0,)]),
    Case("log", lambda a: a.log(), math.log, [(0.01,), (0.5,), (1.0,), (3.0,), (1e10,)]),
    Case("log1p", lambda a: a.log1p(), math.log1p, [(-0.5,), (1e-20,), (0.0,), (3.0,), (1e10,)]),
    Case("tanh", lambda a: a.tanh(), math.tanh, [(-3.0,), (-0.5,), (0.0,), (0.5,), (20.0,)]),
    Case("sigmoid", lambda a: a.sigmoid(), sigmoid_ref, [(-30.0,), (-1.0,), (0.0,), (2.0,), (40.0,)]),
    Case("relu", lambda a: a.relu(), lambda a: max(a, 0.0), [(-1.0,), (0.0,), (2.5,)], kinks=((0.0,),)),
    Case(
        "leaky_relu()",
        lambda a: a.leaky_relu(),
        leaky,
        [(-1.0,), (0.0,), (2.0,)],
        torch_build=lambda torch, a: torch.nn.functional.leaky_relu(a),
        kinks=((0.0,),),
    ),
    Case(
        "leaky_relu(0.2)",
        lambda a: a.leaky_relu(0.2),
        lambda a: leaky(a, 0.2),
        [(-1.0,), (0.0,), (2.0,)],
        torch_build=lambda torch, a: torch.nn.functional.leaky_relu(a, 0.2),
        kinks=((0.0,),),
    ),
    Case("sin", lambda a: a.sin(), math.sin, [(-2.0,), (0.0,), (1.0,), (math.pi,), (100.0,)]),
    Case("cos", lambda a: a.cos(), math.cos, [(-2.0,), (0.0,), (1.0,), (math.pi / 2,), (100.0,)]),
    Case("sqrt", lambda a: a.sqrt(), math.sqrt, [(1e-4,), (0.25,), (2.0,), (1e6,), (0.0,)], kinks=((0.0,),)),
    # n-ary nodes
    Case(
        "autograd.sum",
        lambda a, b, c: autograd.sum([a, b, c]),
        lambda a, b, c: a + b + c,
        [(1.0, 2.0, 3.0), (-0.5, 0.25, 8.0)],
        torch_build=lambda torch, a, b, c: torch.stack([a, b, c]).sum(),
    ),
    Case(
        "autograd.sum with a number",
        lambda a, b: autograd.sum([a, 2.0, b]),
        lambda a, b: a + 2.0 + b,
        [(1.0, 2.0), (-0.5, 0.25)],
        torch_build=lambda torch, a, b: a + 2.0 + b,
    ),
    Case(
        "autograd.dot",
        lambda w1, w2, x1, x2: autograd.dot([w1, w2], [x1, x2]),
        lambda w1, w2, x1, x2: w1 * x1 + w2 * x2,
        [(0.5, -1.0, 2.0, 3.0), (1.5, 0.25, -4.0, 0.0)],
        torch_build=lambda torch, w1, w2, x1, x2: torch.dot(torch.stack([w1, w2]), torch.stack([x1, x2])),
    ),
    Case(
        "autograd.dot with bias",
        lambda w1, w2, x1, x2, b: autograd.dot([w1, w2], [x1, x2], bias=b),
        lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b,
        [(0.5, -1.0, 2.0, 3.0, 0.1), (1.5, 0.25, -4.0, 0.0, -2.0)],
        torch_build=lambda torch, w1, w2, x1, x2, b: torch.dot(torch.stack([w1, w2]), torch.stack([x1, x2])) + b,
    ),
    # a composite, so the chain rule runs over more than one node
    Case(
        "tanh(a * b + a) * exp(-b)",
        lambda a, b: (a * b + a).tanh() * (-b).exp(),
        lambda a, b: math.tanh(a * b + a) * math.exp(-b),
        [(0.3, -0.7), (-1.2, 0.4)],
    ),
]

ROWS = [pytest.param(case, point, id=f"{case.name} at {point}") for case in CASES for point in case.points]
SMOOTH_ROWS = [pytest.param(c, p, id=f"{c.name} at {p}") for c in CASES for p in c.points if p not in c.kinks]


def engine_value_and_grads(case, point):
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
    out = case.build(*inputs)
    out.backward()
    return out.data, [v.grad for v in inputs]


def close(a, b, rel=REL, abs_tol=0.0):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol) or (math.isnan(a) and math.isnan(b))


def central_differences(f, point):
    """(f(x + h) - f(x - h)) / 2h for each coordinate, with h relative to the coordinate."""
    result = []
    for i, x in enumerate(point):
        h = 1e-6 * abs(x) if x else 1e-6
        up = list(point)
        down = list(point)
        up[i] += h
        down[i] -= h
        result.append((f(*up) - f(*down)) / (2 * h))
    return result


@pytest.mark.parametrize("case, point", ROWS)
def test_forward_matches_the_float_reference(case, point):
    data, _ = engine_value_and_grads(case, point)
    assert close(data, case.ref(*point)), (data, case.ref(*point))


@pytest.mark.parametrize("case, point", SMOOTH_ROWS)
def test_gradients_match_central_differences_of_the_reference(case, point):
    _, grads = engine_value_and_grads(case, point)
    numeric = central_differences(case.ref, point)
    for analytic, approx in zip(grads, numeric):
        assert close(analytic, approx, rel=1e-5, abs_tol=1e-7), (grads, numeric)


@pytest.mark.parametrize("case, point", SMOOTH_ROWS)
def test_gradcheck_agrees(case, point):
    assert autograd.gradcheck(case.build, [Value(x) for x in point])


@pytest.mark.parametrize("case, point", ROWS)
def test_forward_and_gradients_match_pytorch(case, point, torch):
    data, grads = engine_value_and_grads(case, point)
    xs = [torch.tensor(x, requires_grad=True) for x in point]
    out = case.torch_build(torch, *xs) if case.torch_build else case.build(*xs)
    out.backward()
    assert close(data, out.item()), (data, out.item())
    for i, (ours, x) in enumerate(zip(grads, xs)):
        theirs = x.grad.item()
        assert close(ours, theirs), f"d/dx{i}: ours {ours!r}, torch {theirs!r}"


# tanh and sigmoid must not overflow: no error and no NaN for |x| up to 1e308.
EXTREMES = [1e308, -1e308, 1e300, -1e300, 1000.0, -1000.0, 710.0, -710.0, 40.0, -40.0]


@pytest.mark.parametrize("method", ["tanh", "sigmoid"])
@pytest.mark.parametrize("x", EXTREMES)
def test_tanh_and_sigmoid_are_stable_at_extremes(method, x):
    v = Value(x)
    out = getattr(v, method)()
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)
    assert 0.0 <= out.data <= 1.0 if method == "sigmoid" else -1.0 <= out.data <= 1.0


@pytest.mark.parametrize("method", ["tanh", "sigmoid"])
@pytest.mark.parametrize("x", EXTREMES)
def test_tanh_and_sigmoid_at_extremes_match_pytorch(method, x, torch):
    v = Value(x)
    out = getattr(v, method)()
    out.backward()
    t = torch.tensor(x, requires_grad=True)
    t_out = getattr(t, method)()
    t_out.backward()
    # abs_tol: sigmoid(-710) is a subnormal 4e-309 here; PyTorch's 1 / (1 + exp(710)) rounds it to 0.
    assert close(out.data, t_out.item(), abs_tol=1e-300)
    assert close(v.grad, t.grad.item(), abs_tol=1e-300)


@pytest.mark.parametrize(
    "build, op_name",
    [
        (lambda a: a + a, "+"),
        (lambda a: a - a, "-"),
        (lambda a: a * a, "*"),
        (lambda a: a / a, "/"),
        (lambda a: a + 1, "+1"),
        (lambda a: 1 - a, "1-"),
        (lambda a: a * 2.5, "*2.5"),
        (lambda a: 1 / a, "1/"),
        (lambda a: -a, "neg"),
        (lambda a: a**2, "**2"),
        (lambda a: a**0.5, "**0.5"),
        (lambda a: a ** Value(2.0), "**"),
        (lambda a: 2**a, "2**"),
        (lambda a: abs(a), "abs"),
        (lambda a: a.exp(), "exp"),
        (lambda a: a.log(), "log"),
        (lambda a: a.log1p(), "log1p"),
        (lambda a: a.tanh(), "tanh"),
        (lambda a: a.sigmoid(), "sigmoid"),
        (lambda a: a.relu(), "relu"),
        (lambda a: a.leaky_relu(), "leaky_relu"),
        (lambda a: a.sin(), "sin"),
        (lambda a: a.cos(), "cos"),
        (lambda a: a.sqrt(), "sqrt"),
        (lambda a: autograd.sum([a, a]), "sum"),
        (lambda a: autograd.dot([a], [a]), "dot"),
    ],
)
def test_op_names(build, op_name):
    assert build(Value(1.5)).op == op_name


def test_sum_and_dot_are_one_node_each():
    xs = [Value(float(i)) for i in range(100)]
    total = autograd.sum(xs)
    assert total.parents == tuple(xs) and total.data == 4950.0
    d = autograd.dot(xs, xs, bias=1.0)
    assert len(d.parents) == 201 and d.data == 328351.0
    assert d.local_grads == tuple(float(i) for i in range(100)) * 2 + (1.0,)


def test_sum_of_nothing_is_zero():
    assert autograd.sum([]).data == 0.0


def test_dot_needs_equal_lengths():
    with pytest.raises(ValueError, match="2 weights and 3 inputs"):
        autograd.dot([Value(1.0)] * 2, [Value(1.0)] * 3)


def test_gradcheck_reports_a_mismatch_as_a_table():
    # relu at 0: backward says 0 (as PyTorch does), central differences say 0.5.
    with pytest.raises(autograd.GradcheckError) as info:
        autograd.gradcheck(lambda x, y: x.relu() + y, [Value(0.0, label="x"), Value(1.0, label="y")])
    message = str(info.value)
    for word in ("analytic", "numeric", "difference", "x", "0.5", "mismatch"):
        assert word in message
    assert sum("mismatch" in line for line in message.splitlines()) == 1  # only x's row


def test_dot_and_sum_add_left_to_right_on_every_python():
    """Both ways ops may sum (the built-in before 3.12, a loop from 3.12, where sum() compensates)
    give the plain chain ((x1 + x2) + x3) + ..., so dot equals the same graph of * and + nodes."""
    import random

    rng = random.Random(7)
    for _ in range(200):
        xs = [rng.uniform(-1e3, 1e3) * 10 ** rng.randint(-8, 8) for _ in range(rng.randint(1, 40))]
        chain = 0.0
        for x in xs:
            chain = chain + x
        assert ops._loop_sum(xs) == chain
        if sys.version_info < (3, 12):
            assert ops._builtin_sum(xs) == chain
