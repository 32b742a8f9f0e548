"""autograd.compile: the program gives the graph's numbers bit for bit, its errors are the
engine's, guards retrace when a branch flips, and parameters are read live."""

import gc
import math
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from graphs import compiled_batch, same
from test_errors import ERRORS
from test_random_graphs import EXAMPLES, LIMIT, EngineOps, build, close, programs, torch_derivatives

import autograd
import nn
from autograd import Value

compile_module = sys.modules["autograd.compile"]  # the name autograd.compile is the function


def all_same(xs, ys):
    return len(xs) == len(ys) and all(same(x, y) for x, y in zip(xs, ys))


def on_the_graph(fn, numbers, labels=None):
    """(output, [d output / d input]) from the graph and autograd.grad, or the error it raises."""
    labels = labels or [""] * len(numbers)
    xs = [Value(x, label=label) for x, label in zip(numbers, labels)]
    try:
        out = fn(*xs)
        return out.data, autograd.grad(out, xs)
    except (ArithmeticError, ValueError) as error:
        return type(error), str(error)


def compiled(f, numbers, labels=None):
    """The same through f.grad, or the error it raises."""
    labels = labels or [""] * len(numbers)
    try:
        return f.grad(*[Value(x, label=label) for x, label in zip(numbers, labels)])
    except (ArithmeticError, ValueError) as error:
        return type(error), str(error)


def agree(ours, graph):
    if isinstance(graph[0], type):  # an error: the same type and message
        return ours == graph
    return not isinstance(ours[0], type) and same(ours[0], graph[0]) and all_same(ours[1], graph[1])


# ---- the README neuron -------------------------------------------------------------------------


def make_neuron():
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")

    def neuron(x1, x2):
        n = x1 * w1 + x2 * w2 + b
        n.label = "n"
        return n.tanh()

    return neuron, (w1, w2, b)


def test_the_neuron_compiled_gives_the_graphs_numbers_and_grads():
    neuron, params = make_neuron()
    f = autograd.compile(neuron)
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    assert f(x1, x2) == 0.7071067811865477
    compiled_grads = [v.grad for v in (x1, x2, *params)]

    graph_neuron, graph_params = make_neuron()
    g1, g2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    graph_neuron(g1, g2).backward()
    assert all_same(compiled_grads, [v.grad for v in (g1, g2, *graph_params)])


def test_the_source_reads_as_the_graph_and_runs_on_its_own():
    neuron, (w1, w2, b) = make_neuron()
    f = autograd.compile(neuron)
    out, grads = f.grad(2.0, 0.0)
    source = f.source
    assert str(f) + "\n" == source
    assert source.splitlines()[:3] == ["from math import tanh, isfinite", "", "def neuron(x1, x2, w1, w2, b):"]
    assert "    n = v6 + b" in source and "    g_n = (1.0 - v9 * v9) * g_v9  # ∂v9/∂n " in source
    namespace = {}
    exec(source, namespace)  # nothing from autograd: the program is plain Python
    standalone = namespace["neuron"](2.0, 0.0, w1.data, w2.data, b.data)
    assert same(standalone[0], out) and all_same(standalone[1][:2], grads)
    assert w1.grad == w2.grad == b.grad == 0.0  # f.grad touches no .grad


def test_repr_before_and_after_tracing():
    f = autograd.compile(lambda x: x * x)
    assert repr(f) == "<compiled compiled: not traced yet>"
    with pytest.raises(RuntimeError, match="call it once"):
        f.source
    f(3.0)
    assert repr(f).startswith("<compiled compiled: 2 nodes, 1 trace(s)")


# ---- random graphs ----------------------------------------------------------------------------


def as_function(program):
    return lambda *xs: program.run(xs, EngineOps)[-1]


new_leaves = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=4, max_size=4)


@EXAMPLES
@given(program=programs(), other=new_leaves)
def test_random_graphs_compiled_equal_the_graph_bit_for_bit(program, other):
    build(program)  # skips programs whose numbers grow too large
    fn = as_function(program)
    f = autograd.compile(fn)
    first = on_the_graph(fn, program.leaves)
    assert agree(compiled(f, program.leaves), first)
    assert f.traces == 1

    numbers = other[: len(program.leaves)]
    again = on_the_graph(fn, numbers)
    assume(isinstance(again[0], type) or abs(again[0]) < LIMIT)
    assert agree(compiled(f, numbers), again), (compiled(f, numbers), again)
    assert f.traces == 1


@EXAMPLES
@given(program=programs())
def test_calling_adds_into_grad_as_backward_does(program):
    leaves, out = build(program)
    out.backward()
    f = autograd.compile(as_function(program))
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate(program.leaves)]
    assert same(f(*inputs), out.data)
    assert all_same([v.grad for v in inputs], [v.grad for v in leaves])


@settings(EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=programs())
def test_random_graphs_compiled_match_pytorch(program, torch):
    build(program)
    out, grads = autograd.compile(as_function(program)).grad(*program.leaves)
    data, torch_grads, _ = torch_derivatives(torch, program)
    assert close(out, data, 1e-12, 1e-12), (out, data)
    for ours, theirs in zip(grads, torch_grads):
        assert close(ours, theirs, 1e-10, 1e-10), (grads, torch_grads)


@settings(EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])  # the patch holds for every example
@given(program=programs(), other=new_leaves)
def test_a_large_graph_kept_in_lists_gives_the_same_numbers(program, other, monkeypatch):
    monkeypatch.setattr(compile_module, "NAMED_NODES", 0)  # every graph counts as large
    monkeypatch.setattr(compile_module, "PART_NODES", 3)  # and is cut into parts of 3 nodes
    build(program)
    fn = as_function(program)
    f = autograd.compile(fn)
    assert agree(compiled(f, program.leaves), on_the_graph(fn, program.leaves))
    assert "V[" in f.source
    numbers = other[: len(program.leaves)]
    again = on_the_graph(fn, numbers)
    assume(isinstance(again[0], type) or abs(again[0]) < LIMIT)
    assert agree(compiled(f, numbers), again)


@settings(EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=programs(ops=("dot", "sum", "*", "+", "relu", "tanh")), other=new_leaves)
def test_sums_over_tuples_give_the_same_numbers(program, other, monkeypatch):
    monkeypatch.setattr(compile_module, "VECTOR_TERMS", 1)  # every sum of products as dot(vecA, vecB)
    build(program)
    fn = as_function(program)
    f = autograd.compile(fn)
    assert agree(compiled(f, program.leaves), on_the_graph(fn, program.leaves))
    numbers = other[: len(program.leaves)]
    again = on_the_graph(fn, numbers)
    assume(isinstance(again[0], type) or abs(again[0]) < LIMIT)
    assert agree(compiled(f, numbers), again)


def test_an_mlp_step_with_rows_as_lists_is_the_graphs():
    X, labels = nn.datasets.make_moons(n_samples=6, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]
    model = nn.MLP(2, [8, 8, 1], seed=0)
    f = autograd.compile(lambda: hinge_step(model, X, y))
    out, _ = f.grad()
    f()
    compiled_grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    loss = hinge_step(model, X, y)
    loss.backward()
    assert same(out, loss.data) and all_same(compiled_grads, [p.grad for p in model.parameters()])
    assert "vec0 = (" in f.source and "map(mul, vec" in f.source or "sum_of_products(vec" in f.source


# ---- guards -----------------------------------------------------------------------------------


def test_a_flipped_comparison_traces_again_and_both_branches_stay():
    def fn(x, y):
        if x * y > 1:
            return (x * y).log()
        return (x - y).exp()

    f = autograd.compile(fn)
    for numbers, traces in [((2.0, 3.0), 1), ((0.5, 0.25), 2), ((4.0, 1.0), 2), ((-1.0, 0.5), 2)]:
        assert agree(compiled(f, numbers), on_the_graph(fn, numbers))
        assert f.traces == traces
    assert "if not x * y > 1" not in f.source  # the guard compares a node: x * y is v2
    assert "return None  # traced where" in f.source


def test_a_guard_on_a_value_outside_the_output_graph():
    def fn(x, y):
        return x * 2 if (x - y).tanh() >= 0 else y * 3

    f = autograd.compile(fn)
    assert f.grad(1.0, 0.0) == (2.0, [2.0, 0.0])
    assert f.grad(0.0, 1.0) == (3.0, [0.0, 3.0])
    assert f.traces == 2


def test_ops_with_branches_inside_need_no_guard():
    f = autograd.compile(lambda x: x.relu() + abs(x) + x**2)
    for x in (2.0, -3.0, 0.0):
        assert agree(compiled(f, [x]), on_the_graph(lambda x: x.relu() + abs(x) + x**2, [x]))
    assert f.traces == 1


# ---- errors -----------------------------------------------------------------------------------

# Each row of the engine's error table (tests/test_errors.py) as a function, inputs it traces
# well with (None: the failing number is a constant of the function) and inputs that fail.
FAILURES = {
    "log of 0": (lambda x: x.log(), [1.0], [0.0]),
    "log of -1": (lambda x: x.log(), [1.0], [-1.0]),
    "log1p of -1": (lambda x: x.log1p(), [0.5], [-1.0]),
    "sqrt of -4": (lambda x: x.sqrt(), [4.0], [-4.0]),
    "negative base, number exponent": (lambda x: x**0.5, [4.0], [-8.0]),
    "negative base, Value exponent": (lambda x, y: x**y, [4.0, 0.5], [-8.0, 0.5]),
    "negative number base": (lambda y: (-8) ** y, [2.0], [0.5]),
    "exponent derivative at a negative base": (lambda x, y: x**y, [2.0, 2.0], [-2.0, 2.0]),
    "exponent derivative at 0 ** 0": (lambda x, y: x**y, [2.0, 2.0], [0.0, 0.0]),
    "a / 0": (lambda x, z: x / z, [1.0, 2.0], [1.0, 0.0]),
    "a / number 0": (lambda x: x / 0, None, [1.0]),
    "number / 0": (lambda z: 1 / z, [2.0], [0.0]),
    "a / -0.0": (lambda x: x / -0.0, None, [1.0]),
    "0 ** -1": (lambda x: x**-1, [2.0], [0.0]),
    "0 ** -2.5": (lambda x: x**-2.5, [2.0], [0.0]),
    "0 ** Value(-2)": (lambda x, y: x**y, [2.0, -2.0], [0.0, -2.0]),
    "exp overflow": (lambda x: x.exp(), [1.0], [710.0]),
    "exp of 1e308": (lambda x: x.exp(), [1.0], [1e308]),
    "pow overflow": (lambda x: x**400, [2.0], [10.0]),
    "pow overflow, Value exponent": (lambda x, y: x**y, [2.0, 2.0], [10.0, 400.0]),
    "number base pow overflow": (lambda y: 10**y, [2.0], [400.0]),
    "sin of inf": (lambda x: x.sin(), [1.0], [math.inf]),
    "cos of -inf": (lambda x: x.cos(), [1.0], [-math.inf]),
    # beyond the table: a derivative too large, and the overflow of * and + of finite numbers
    "pow derivative overflows": (lambda x: x**-1, [2.0], [1e-300]),
    "pow derivative overflows, Value exponent": (lambda x, n: x**n, [2.0, -1.0], [1e-200, -1.0]),
    "a * b overflow": (lambda x, y: x * y, [2.0, 3.0], [1e300, 1e300]),
    "a + b overflow": (lambda x, y: (x + y) * 0.5, [2.0, 3.0], [1.7e308, 1.7e308]),
    "an overflow that tanh would hide": (lambda x: (x * x).tanh(), [2.0], [1e200]),
    "an infinite input that tanh turns finite": (lambda x: (x + 1).tanh(), [2.0], [math.inf]),
    "an overflow that relu would hide": (lambda x: (-(x * x)).relu() + (1 / (x * x)), [2.0], [1e200]),
}


def test_every_row_of_the_error_table_is_checked_through_compiled_code():
    assert {row[0] for row in ERRORS} <= set(FAILURES)


@pytest.mark.parametrize("fn, good, bad", list(FAILURES.values()), ids=list(FAILURES))
def test_errors_through_compiled_code_are_the_engines(fn, good, bad):
    labels = ["x", "y"][: len(bad)]
    graph = on_the_graph(fn, bad, labels)
    f = autograd.compile(fn)
    assert agree(compiled(f, bad, labels), graph)  # the first call: the trace itself
    if good is not None:
        f = autograd.compile(fn)
        assert agree(compiled(f, good, labels), on_the_graph(fn, good, labels))
        assert agree(compiled(f, bad, labels), graph)  # the program, then the graph behind it


def test_a_failed_call_adds_no_gradient():
    x, y = Value(2.0, label="x"), Value(2.0, label="y")
    f = autograd.compile(lambda x, y: x**y)
    f(x, y)
    x.grad = y.grad = 0.0
    with pytest.raises(ValueError, match=r"\*\* of -2.0 \(label 'x'\) and 2.0 \(label 'y'\): the derivative"):
        f(Value(-2.0, label="x"), y)
    assert y.grad == 0.0


# ---- parameters and nn ------------------------------------------------------------------------


def hinge_step(model, X, y):
    scores = [model(x) for x in X]
    params = model.parameters()
    return nn.hinge_loss(scores, y) + 1e-4 * autograd.dot(params, params)


def test_parameters_are_read_live_after_an_optimizer_step():
    X, labels = nn.datasets.make_moons(n_samples=12, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]
    graph_model, compiled_model = (nn.MLP(2, [4, 4, 1], seed=0) for _ in range(2))
    graph_opt = nn.optim.Adam(graph_model.parameters(), lr=0.05)
    compiled_opt = nn.optim.Adam(compiled_model.parameters(), lr=0.05)
    step = autograd.compile(lambda: hinge_step(compiled_model, X, y))
    for _ in range(4):
        graph_opt.zero_grad()
        loss = hinge_step(graph_model, X, y)
        loss.backward()
        graph_opt.step()
        compiled_opt.zero_grad()
        assert same(step(), loss.data)
        compiled_opt.step()
        assert all_same([p.data for p in compiled_model.parameters()], [p.data for p in graph_model.parameters()])
    assert step.traces == 1


def test_inside_no_grad_a_call_still_traces():
    f = autograd.compile(lambda x: x * x)
    with autograd.no_grad():
        assert f.grad(3.0) == (9.0, [6.0])


def test_bad_calls_say_what_is_wrong():
    with pytest.raises(TypeError, match="must return a Value, got float"):
        autograd.compile(lambda x: 2.0)(1.0)
    with pytest.raises(TypeError, match="square: expected a number or a Value, got str"):

        def square(x):
            return x * x

        autograd.compile(square)("2")
    with pytest.raises(TypeError, match="expected a function"):
        autograd.compile(3)


def test_star_import_leaves_pythons_compile_alone():
    namespace = {}
    exec("from autograd import *", namespace)
    assert "compile" not in namespace and autograd.compile is compile_module.compile


def test_the_walkthrough_demo_shows_the_neurons_program():
    from demos import walkthrough

    source = walkthrough.program()
    assert "def neuron(x1, w1, x2, w2, b):" in source
    assert "    o = tanh(n)" in source and "    g_n = (1.0 - o * o) * g_o  # ∂o/∂n " in source
    assert source.rstrip().endswith("return o, (g_x1, g_w1, g_x2, g_w2, g_b)")


def test_an_output_that_is_an_argument_and_an_unused_argument():
    assert autograd.compile(lambda x: x).grad(3.0) == (3.0, [1.0])
    assert autograd.compile(lambda x, y: x * 2).grad(1.0, 5.0) == (2.0, [2.0, 0.0])


def test_a_function_named_like_a_helper_and_labels_named_like_python():
    def tanh(x):
        y = x * 2
        y.label = "exp"
        z = y.tanh()
        z.label = "for"
        return z

    f = autograd.compile(tanh)
    assert agree(compiled(f, [0.3]), on_the_graph(tanh, [0.3]))
    assert "def tanh_program(x):" in f.source and "exp_2 = x * 2.0" in f.source


def test_a_guard_is_checked_before_the_branch_that_would_fail():
    def fn(x):
        return x.log() if x - 1 > 0 else x * 2  # x - 1 is computed only for the comparison

    f = autograd.compile(fn)
    for x, traces in [(3.0, 1), (-1.0, 2), (-2.0, 2), (5.0, 2)]:
        assert agree(compiled(f, [x]), on_the_graph(fn, [x]))
        assert f.traces == traces


def test_a_large_program_warms_up_without_running_and_the_collector_comes_back():
    """Python 3.11 specialises a function from its ninth call: compiling a large program calls it
    eight times with _warm=True, which returns at once; the cyclic collector, paused while
    compiling, runs again after (also when the traced function raises)."""
    n = compile_module.FUSE_NODES + 10

    def chain(x):
        for _ in range(n // 2):
            x = x * 1.0001 + 0.0001
        return x

    f = autograd.compile(chain)
    x = Value(0.5)
    expected = chain(x)
    expected.backward()
    assert f.grad(0.5) == (expected.data, [x.grad])
    warms = "    if _warm: return None" in f.source
    assert warms == (sys.version_info[:2] == (3, 11))
    assert gc.isenabled()

    def fails(x):
        raise KeyError("no")

    with pytest.raises(KeyError):
        autograd.compile(fails)(1.0)
    assert gc.isenabled()


def test_a_batchs_gradient_sums_share_their_tuples_and_are_the_graphs():
    """A weight's gradient over a batch of 40 is its L2 term's two products, then a sum of products
    over two tuples: its input over the batch (shared by the layer's neurons) and the gradient of
    its neuron's output over the batch (shared by the neuron's weights). A tuple of more than
    TUPLE_ITEMS names is written as tuples a list is extended by."""
    f, agrees = compiled_batch(nn.MLP(2, [4, 4, 1], seed=1))
    assert agrees
    source = f.source
    tuples = [line for line in source.splitlines() if line.startswith("    vec")]
    # 2 + 4 + 4 inputs' columns, 4 + 4 + 1 neurons' gradients, the 1.0s a bias is multiplied by, the
    # parameters for the L2 term's dot: 21 tuples, where one per weight would be 74
    assert len(tuples) == 21
    assert all(line.split(" = ", 1)[1].startswith("(*(") for line in tuples)
    assert "), 0.0 + layers_0_neurons_0_w_0 * " in source
