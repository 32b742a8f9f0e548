"""Each op's code(): one Python expression per value, from a small grammar and the helpers in
ops.CODE_HELPERS, giving forward's and local_grads' numbers bit for bit; the new ops (max,
detach, softplus) against PyTorch and finite differences; ops defined outside ops.py compile."""

import ast
import math
import random
import sys

import pytest
from test_ops import Case, central_differences, close, engine_value_and_grads

import autograd
from autograd import Value, ops

compile_module = sys.modules["autograd.compile"]

# Every op, with the number of operands it takes.
OPS = [
    (ops.ADD, 2), (ops.SUB, 2), (ops.MUL, 2), (ops.DIV, 2), (ops.NEG, 1), (ops.POW, 2),
    *((ops.PowConst(n), 1) for n in (2.0, 3.0, 0.5, -1.0, 0.0, 1.0, -2.5)),
    *((ops.ConstantBasePow(c), 1) for c in (2.0, 0.5, 0.0)),
    *((ops.with_constant(op, c, first), 1) for op in (ops.ADD, ops.SUB, ops.MUL, ops.DIV)
      for c in (2.5, -3.0) for first in (True, False)),
    (ops.ABS, 1), (ops.EXP, 1), (ops.LOG, 1), (ops.LOG1P, 1), (ops.TANH, 1), (ops.SIGMOID, 1), (ops.SOFTPLUS, 1),
    (ops.RELU, 1), (ops.LeakyRelu(0.01), 1), (ops.LeakyRelu(0.2), 1), (ops.SIN, 1), (ops.COS, 1), (ops.SQRT, 1),
    (ops.SUM, 1), (ops.SUM, 3), (ops.SUM, 40), (ops.dot_op(2, True), 5), (ops.dot_op(6, False), 12),
    (ops.dot_op(5, True), 11), (ops.MAX, 1), (ops.MAX, 4), (ops.DETACH, 1),
]
IDS = [f"{op.name}/{n}" for op, n in OPS]
NUMBERS = [-3.0, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 0.25, 709.0, 800.0, -800.0, 1e300, -1e300, math.inf, -math.inf, math.nan]

ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.BoolOp, ast.Call, ast.Name,
           ast.Constant, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.Not, ast.And,
           ast.Or, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)


def names(n):
    return [f"a{i}" for i in range(n)]


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and (a != a or b != b):
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@pytest.mark.parametrize("op, n", OPS, ids=IDS)
def test_every_op_writes_expressions_of_the_small_grammar(op, n):
    code = op.code(names(n), "out")
    if code is None:
        pytest.fail(f"{op.name} has no code")
    forward, locals_ = code
    assert len(locals_) == n
    for text in (forward, *locals_):
        tree = ast.parse(text, mode="eval")
        for node in ast.walk(tree):
            assert isinstance(node, ALLOWED), (text, type(node).__name__)
            if isinstance(node, ast.Call):
                assert isinstance(node.func, ast.Name) and node.func.id in ops.CODE_HELPERS and not node.keywords, text
            if isinstance(node, ast.Name):
                assert node.id in ops.CODE_HELPERS or node.id in names(n) or node.id == "out", (text, node.id)
            if isinstance(node, ast.Constant):
                assert type(node.value) is float, (text, node.value)


@pytest.mark.parametrize("op, n", OPS, ids=IDS)
def test_every_ops_expressions_give_its_numbers_bit_for_bit(op, n):
    forward, locals_ = op.code(names(n), "out")
    rng = random.Random(n)
    for _ in range(60):
        inputs = tuple(rng.choice(NUMBERS) if rng.random() < 0.6 else rng.uniform(-4, 4) for _ in range(n))
        scope = dict(ops.CODE_HELPERS, **dict(zip(names(n), inputs)))
        try:
            expected = op.forward(inputs)
        except (ValueError, ZeroDivisionError, OverflowError):
            try:
                got = eval(forward, scope)
            except (ArithmeticError, ValueError):
                continue
            assert not math.isfinite(got), (op.name, inputs, got)  # the program's check hands it to the graph
            continue
        got = eval(forward, scope)
        assert same(got, expected), (op.name, inputs, got, expected)
        scope["out"] = expected
        for k, (text, local) in enumerate(zip(locals_, op.local_grads(inputs, expected))):
            try:
                value = eval(text, scope)
            except (ArithmeticError, ValueError):  # the program hands these inputs to the graph
                continue
            assert same(float(value), float(local)) and type(value) is type(local), (op.name, inputs, k, value, local)


def test_an_op_without_code_is_called_from_the_program():
    class Cube(ops.Op):  # no code(): the program calls forward and local_grads
        name = "cube"

        def forward(self, inputs):
            return inputs[0] ** 3

        def local_grads(self, inputs, out):
            return (3 * inputs[0] ** 2,)

    cube = Cube()
    f = autograd.compile(lambda x: autograd.engine._record(cube, (x,), (x.data,)) * x)
    assert f.grad(2.0) == (16.0, [32.0])
    assert "_op0.forward((x,))" in f.source and "# _op0: the op 'cube'" in f.source


def test_an_op_defined_outside_ops_py_with_code_compiles_from_its_code():
    class Square(ops.Op):
        name = "square"

        def forward(self, inputs):
            return inputs[0] * inputs[0]

        def local_grads(self, inputs, out):
            return (2.0 * inputs[0],)

        def code(self, names, out):
            return f"{names[0]} * {names[0]}", (f"2.0 * {names[0]}",)

    square = Square()
    fn = lambda x: autograd.engine._record(square, (x,), (x.data,)).tanh()  # noqa: E731
    f = autograd.compile(fn)
    for x in (0.5, -1.25, 3.0):
        value = Value(x)
        out = fn(value)
        out.backward()
        assert f.grad(x) == (out.data, [value.grad])
    assert "v1 = x * x" in f.source and "_op" not in f.source


def test_an_op_whose_code_has_a_brace_is_refused_by_name():
    class Pick(ops.Op):
        name = "pick"

        def forward(self, inputs):
            return inputs[0]

        def local_grads(self, inputs, out):
            return (1.0,)

        def code(self, names, out):
            return f"{{0: {names[0]}}}[0]", ("1.0",)

    pick = Pick()
    f = autograd.compile(lambda x: autograd.engine._record(pick, (x,), (x.data,)) * 2.0)
    with pytest.raises(ValueError, match=r"the op 'pick' writes '\{0: __0\}\[0\]', with a brace"):
        f(1.5)


# ---- the new ops against PyTorch and finite differences, as tests/test_ops.py checks every op ---

NEW = [
    Case("max", lambda a, b, c: autograd.max([a, b, c]), lambda a, b, c: max(a, b, c),
         [(1.0, 3.0, 2.0), (-1.0, -0.5, -2.0), (0.5, 0.25, 0.125)],
         torch_build=lambda torch, a, b, c: torch.stack([a, b, c]).max(dim=0).values),
    Case("detach", lambda a, b: a * b.detach() + b, lambda a, b: a * b + b, [(2.0, 3.0), (-1.0, 0.5)],
         torch_build=lambda torch, a, b: a * b.detach() + b),
    Case("softplus", lambda a: a.softplus(), lambda a: math.log1p(math.exp(-abs(a))) + max(a, 0.0),
         [(-30.0,), (-2.0,), (0.0,), (1.5,), (40.0,), (700.0,)],
         torch_build=lambda torch, a: torch.nn.functional.softplus(a)),
]
ROWS = [pytest.param(case, point, id=f"{case.name} at {point}") for case in NEW for point in case.points]


@pytest.mark.parametrize("case, point", ROWS)
def test_new_ops_match_pytorch(case, point, torch):
    data, grads = engine_value_and_grads(case, point)
    xs = [torch.tensor(x, requires_grad=True) for x in point]
    out = case.torch_build(torch, *xs)
    out.backward()
    assert close(data, out.item()) and all(close(g, x.grad.item()) for g, x in zip(grads, xs)), (data, grads)


@pytest.mark.parametrize("case, point", [row for row in ROWS if row.values[0].name != "detach"])
def test_new_ops_match_finite_differences(case, point):
    _, grads = engine_value_and_grads(case, point)
    for analytic, approx in zip(grads, central_differences(case.ref, point)):
        assert close(analytic, approx, rel=1e-5, abs_tol=1e-7), (grads, point)


def test_max_gives_a_tie_to_the_first_as_max_pool2d_does(torch):
    xs = [Value(x) for x in (1.0, 3.0, 3.0, -0.0)]
    out = autograd.max(xs)
    out.backward()
    t = torch.tensor([[[1.0, 3.0], [3.0, -0.0]]], requires_grad=True)
    torch.nn.functional.max_pool2d(t, 2).sum().backward()
    assert [x.grad for x in xs] == t.grad.flatten().tolist() == [0.0, 1.0, 0.0, 0.0]
    zeros = [Value(-0.0), Value(0.0)]
    assert math.copysign(1.0, autograd.max(zeros).data) == -1.0  # the first of equal ones
    with_nan = [Value(1.0), Value(math.nan), Value(3.0)]
    nan_max = autograd.max(with_nan)
    assert math.isnan(nan_max.data) and nan_max.local_grads == (0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="max of an empty list"):
        autograd.max([])


def test_detach_is_a_node_whose_value_follows_and_whose_gradient_stops():
    x = Value(3.0, label="x")
    d = x.detach()
    assert (d.op, d.parents, d.local_grads, d.data) == ("detach", (x,), (0.0,), 3.0)
    y = (x - d * 0.5) ** 2
    y.backward()
    assert (y.data, x.grad) == (2.25, 3.0)
    f = autograd.compile(lambda x: (x - x.detach() * 0.5) ** 2)
    assert f.grad(3.0) == (2.25, [3.0]) and f.grad(5.0) == (6.25, [5.0])


@pytest.mark.parametrize("x", [-2.0, 0.0, 2.0, 0.25])
def test_branches_under_create_graph_compare_values_and_compiled_retraces(x):
    def fn(x):
        (d,) = autograd.grad(abs(x) * x + x.relu() * x + autograd.max([x, 0.5 * x]) * x + (x * x).sqrt(),
                             [x], create_graph=True)
        return d * x

    f = autograd.compile(fn)
    for point in (x, -x, 3 * x + 1):
        value = Value(point)
        out = fn(value)
        got, (d,) = f.grad(point)
        assert same(got, out.data) and same(d, autograd.grad(out, [value])[0]), (point, got, d)
