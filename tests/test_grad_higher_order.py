"""autograd.grad: first derivatives without touching .grad, and higher ones with create_graph=True."""

import math

import pytest

import autograd
from autograd import Value

FUNCTIONS = [
    # (name, f of two Values (or two tensors), a, b)
    ("a * b", lambda a, b: a * b, 1.5, -2.0),
    ("a / b", lambda a, b: a / b, 1.5, -2.0),
    ("a ** b", lambda a, b: a**b, 1.5, -2.0),
    ("b ** 3", lambda a, b: b**3, 1.5, -2.0),
    ("2 ** a", lambda a, b: 2**a, 1.5, -2.0),
    ("1 / a", lambda a, b: 1 / a, 1.5, -2.0),
    ("exp", lambda a, b: (a * b).exp(), 0.5, -1.2),
    ("log", lambda a, b: (a * a + b).log(), 1.5, 0.5),
    ("log1p", lambda a, b: (a * b).log1p(), 0.5, -1.2),
    ("tanh", lambda a, b: (a * b).tanh(), 0.5, -1.2),
    ("sigmoid", lambda a, b: (a - b).sigmoid(), 0.5, -1.2),
    ("sin", lambda a, b: (a * b).sin(), 0.5, -1.2),
    ("cos", lambda a, b: (a + b).cos(), 0.5, -1.2),
    ("sqrt", lambda a, b: (a * a + b * b).sqrt(), 0.5, -1.2),
    ("relu", lambda a, b: (a * b).relu() * a, -0.5, -1.2),
    ("abs", lambda a, b: abs(a * b) * b, 0.5, -1.2),
    ("a ** 0.5", lambda a, b: a**0.5 * b, 2.0, -1.2),
    ("composite", lambda a, b: (a * b + a.sin()).tanh() * (b / (1 + a * a)).exp(), 0.7, -0.3),
]
FUNCTION_ROWS = [pytest.param(*row[1:], id=row[0]) for row in FUNCTIONS]


def close(x, y, rel=1e-12, abs_tol=1e-300):
    return math.isclose(x, y, rel_tol=rel, abs_tol=abs_tol)


# --- first derivatives ------------------------------------------------------------------------


@pytest.mark.parametrize("f, a, b", FUNCTION_ROWS)
def test_grad_equals_backward(f, a, b):
    va, vb = Value(a), Value(b)
    out = f(va, vb)
    da, db = autograd.grad(out, [va, vb])
    out.backward()
    assert (da, db) == (va.grad, vb.grad)
    assert type(da) is float and type(db) is float


def test_grad_leaves_every_grad_untouched():
    a, b = Value(0.7), Value(-0.3)
    h = a * b
    out = (h + a.sin()).tanh()
    a.grad, b.grad, h.grad, out.grad = 0.25, -4.0, 9.0, 3.0
    autograd.grad(out, [a, b])
    autograd.grad(out, [a, h], create_graph=True)
    assert (a.grad, b.grad, h.grad, out.grad) == (0.25, -4.0, 9.0, 3.0)


def test_grad_restores_grads_when_it_raises():
    x = Value(0.5)
    y = x.exp()
    p = y ** Value(2.0)
    y.data = -1.0  # edited by hand: the exponent's derivative now needs log(-1)
    x.grad, y.grad = 1.5, 2.5
    with pytest.raises(ValueError):
        autograd.grad(p, [x], create_graph=True)
    assert (x.grad, y.grad, p.grad) == (1.5, 2.5, 0.0)


def test_grad_with_respect_to_inner_nodes_and_the_output():
    x = Value(2.0)
    h = x * x
    out = h * 3
    assert autograd.grad(out, [h, x, out]) == [3.0, 12.0, 1.0]


def test_the_same_input_twice():
    x = Value(2.0)
    assert autograd.grad(x * x, [x, x]) == [4.0, 4.0]


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_input_the_output_does_not_use_gets_zero(create_graph):
    x, unused = Value(2.0), Value(5.0)
    (dx, du) = autograd.grad(x * x, [x, unused], create_graph=create_graph)
    assert getattr(dx, "data", dx) == 4.0 and getattr(du, "data", du) == 0.0
    if create_graph:
        assert isinstance(du, Value)
        assert autograd.grad(du, [x, unused]) == [0.0, 0.0]


def test_no_inputs_gives_an_empty_list():
    assert autograd.grad(Value(1.0) * 2, []) == []


# --- higher derivatives -----------------------------------------------------------------------


def test_x_cubed_at_2_has_derivatives_12_12_6_0():
    x = Value(2.0, label="x")
    y = x**3
    (d1,) = autograd.grad(y, [x], create_graph=True)
    (d2,) = autograd.grad(d1, [x], create_graph=True)
    (d3,) = autograd.grad(d2, [x], create_graph=True)
    (d4,) = autograd.grad(d3, [x], create_graph=True)
    assert [d.data for d in (d1, d2, d3, d4)] == [12.0, 12.0, 6.0, 0.0]
    assert all(isinstance(d, Value) for d in (d1, d2, d3, d4))
    assert d1.parents, "the first derivative is wired into the graph"
    assert x.grad == 0.0


def test_a_derivative_graph_supports_backward():
    x = Value(2.0)
    (d1,) = autograd.grad(x**3, [x], create_graph=True)
    d1.backward()
    assert x.grad == 12.0  # d/dx 3x^2


@pytest.mark.parametrize(
    "f, derivatives",
    [
        (lambda x: x.exp(), [math.exp(0.5)] * 4),
        (lambda x: x.sin(), [math.cos(0.5), -math.sin(0.5), -math.cos(0.5), math.sin(0.5)]),
        (lambda x: x.log(), [2.0, -4.0, 16.0, -96.0]),
        (lambda x: 1 / x, [-4.0, 16.0, -96.0, 768.0]),
        (lambda x: x**4, [0.5, 3.0, 12.0, 24.0]),
    ],
    ids=["exp", "sin", "log", "1/x", "x**4"],
)
def test_four_derivatives_at_one_half(f, derivatives):
    x = Value(0.5)
    d = f(x)
    got = []
    for _ in derivatives:
        (d,) = autograd.grad(d, [x], create_graph=True)
        got.append(d.data)
    assert got == pytest.approx(derivatives, rel=1e-13)


def engine_hessian(f, a, b):
    va, vb = Value(a), Value(b)
    first = autograd.grad(f(va, vb), [va, vb], create_graph=True)
    return [g.data for g in first], [autograd.grad(g, [va, vb]) for g in first]


def torch_hessian(torch, f, a, b):
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    first = torch.autograd.grad(f(ta, tb), [ta, tb], create_graph=True, allow_unused=True)
    rows = []
    for g in first:
        if g is None or not g.requires_grad:  # a constant first derivative: its derivative is 0
            rows.append([0.0, 0.0])
            continue
        second = torch.autograd.grad(g, [ta, tb], retain_graph=True, allow_unused=True)
        rows.append([s.item() if s is not None else 0.0 for s in second])
    return [g.item() if g is not None else 0.0 for g in first], rows


@pytest.mark.parametrize("f, a, b", FUNCTION_ROWS)
def test_second_derivatives_match_pytorch(f, a, b, torch):
    first, hessian = engine_hessian(f, a, b)
    torch_first, torch_rows = torch_hessian(torch, f, a, b)
    for ours, theirs in zip(first, torch_first):
        assert close(ours, theirs), (first, torch_first)
    for ours, theirs in zip(hessian, torch_rows):
        for x, y in zip(ours, theirs):
            assert close(x, y, rel=1e-11), (hessian, torch_rows)


@pytest.mark.parametrize(
    "f, x0",
    [
        (lambda x: x.tanh(), 0.4),
        (lambda x: x.sigmoid(), -0.8),
        (lambda x: x.sqrt(), 2.0),
        (lambda x: x.cos(), 1.1),
        (lambda x: x**2.5, 1.3),
        (lambda x: 3**x, 0.6),
        (lambda x: x ** (x * 0.5), 1.7),
    ],
    ids=["tanh", "sigmoid", "sqrt", "cos", "x**2.5", "3**x", "x**(x/2)"],
)
def test_third_derivatives_match_pytorch(f, x0, torch):
    x = Value(x0)
    tx = torch.tensor(x0, requires_grad=True)
    d, td = f(x), f(tx)
    for order in (1, 2, 3):
        (d,) = autograd.grad(d, [x], create_graph=True)
        (td,) = torch.autograd.grad(td, [tx], create_graph=True)
        assert close(d.data, td.item(), rel=1e-10), f"derivative {order}: {d.data!r} vs {td.item()!r}"


def test_create_graph_at_zero_base_to_the_first_power():
    x, y = Value(0.0, label="x"), Value(1.0, label="y")
    (dx,) = autograd.grad(x**y, [x], create_graph=True)
    assert dx.data == 1.0  # PyTorch: 1.0


@pytest.mark.parametrize(
    "f, x0, derivatives",
    [
        (lambda x: x**2, 1.5, [3.0, 2.0]),
        (lambda x: x**3, -1.0, [3.0, -6.0, 6.0]),
        (lambda x: x**2, 0.0, [0.0, 2.0]),
        (lambda x: x**3, 0.0, [0.0, 0.0, 6.0]),
        (lambda x: x**4, 0.0, [0.0, 0.0, 0.0, 24.0]),
        (lambda x: x ** Value(2.0), 0.0, [0.0, 2.0]),
    ],
    ids=["x**2 at 1.5", "x**3 at -1", "x**2 at 0", "x**3 at 0", "x**4 at 0", "x**Value(2) at 0"],
)
def test_derivatives_of_powers_including_at_zero(f, x0, derivatives):
    """The same numbers PyTorch gives: d^n/dx^n x**n = n! everywhere, 0 included."""
    x = Value(x0)
    d = f(x)
    got = []
    for _ in derivatives:
        (d,) = autograd.grad(d, [x], create_graph=True)
        got.append(d.data)
    assert got == derivatives
