"""autograd.compile's batch loop: a loss over a batch is written as one sample's forward and
backward, run for each sample on its own numbers, and gives the graph's numbers bit for bit; a
graph that is not such a batch is written as straight-line code, with the same numbers."""

import random
import re
import sys

import pytest
from graphs import as_values, flat, same

import autograd
import nn
from autograd import Value

compile_module = sys.modules["autograd.compile"]


@pytest.fixture(autouse=True)
def small_graphs_too(monkeypatch):
    """Graphs of more than 10 nodes are written tightly here (2,000 by default), so that these
    batches, small enough to read, are written as batch loops."""
    monkeypatch.setattr(compile_module, "FUSE_NODES", 10)


def agrees(fn, params, *args):
    """fn compiled gives its graph's output, its parameters' gradients and its arguments' (numbers, or
    lists of them) bit for bit; returns the program."""
    f = autograd.compile(fn)
    inputs = as_values(list(args))
    out = fn(*inputs)
    expected = autograd.grad(out, [*params, *flat(inputs)])
    for p in params:
        p.grad = 0.0
    compiled_inputs = as_values(list(args))
    assert same(f(*compiled_inputs), out.data)
    assert all(map(same, [v.grad for v in [*params, *flat(compiled_inputs)]], expected))
    return f


def moons(n, seed=0):
    X, y = nn.datasets.make_moons(n_samples=n, noise=0.1, seed=seed)
    return X, [2.0 * t - 1.0 for t in y]


def hinge_and_l2(model, X, y):
    """The benchmark's loss: a hinge per sample, their mean, and L2 (data read from the closure: constants)."""
    params = model.parameters()
    hinges = [(1.0 - t * model(x)).relu() for x, t in zip(X, y)]
    return autograd.sum(hinges) * (1.0 / len(X)) + autograd.dot(params, params) * 1e-4


@pytest.mark.parametrize("fused", [True, False], ids=["nn.MLP", "per-node"])
def test_a_loss_over_a_batch_is_one_samples_lines_run_over_the_batch(fused):
    X, y = moons(40)
    model = nn.MLP(2, [8, 8, 1], seed=1, fused=fused)
    f = agrees(lambda: hinge_and_l2(model, X, y), model.parameters())
    assert f.source.count("def _fwd(") == 1 and "def _back(" not in f.source  # a mean: one pass per sample
    assert len(f.source.splitlines()) < 17 * 40 / 2  # straight-line code has a line per neuron per sample
    assert repr(X[7][0]) in f.source  # data read from the closure are constants: literals of the program


def test_a_batch_passed_as_arguments_gives_each_samples_gradients_in_its_place():
    X, y = moons(12)
    model = nn.MLP(2, [6, 1], seed=0)
    fn = lambda X, y: nn.binary_cross_entropy_with_logits([model(x) for x in X], y)  # noqa: E731
    f = autograd.compile(fn)
    targets = [(t + 1.0) / 2.0 for t in y]
    inputs = [[Value(a) for a in x] for x in X]
    loss = fn(inputs, targets)
    expected = autograd.grad(loss, [a for x in inputs for a in x])
    out, (grads, _) = f.grad(X, targets)
    assert "def _fwd(" in f.source and same(out, loss.data)
    assert all(map(same, [g for row in grads for g in row], expected))
    assert "def _fwd(" in f.source and "_arguments=True" in f.source  # f(X, y) on numbers skips those gradients


@pytest.mark.parametrize("l2_first", [False, True])
def test_a_parameters_uses_outside_the_batch_add_in_the_graphs_order(l2_first):
    X, y = moons(10)
    model = nn.MLP(2, [5, 1], seed=3)

    def fn():
        params = model.parameters()
        data = autograd.sum([(1.0 - t * model(x)).relu() for x, t in zip(X, y)]) * 0.1
        before = autograd.dot(params, params) * 1e-3
        return before + data + params[0] * 2.0 if l2_first else data + before + params[0] * 2.0

    f = agrees(fn, model.parameters())
    assert "def _fwd(" in f.source


def test_a_loss_whose_samples_gradient_needs_the_whole_batch_runs_every_forward_then_every_backward():
    X, y = moons(12)
    model = nn.MLP(2, [6, 1], seed=2)
    f = agrees(lambda: autograd.sum([(1.0 - t * model(x)).relu() + 0.5 for x, t in zip(X, y)]).log(),
               model.parameters())
    assert "def _fwd(" in f.source and "def _back(" in f.source  # d log(s)/ds = 1/s: known after every forward
    fn = lambda X: autograd.sum([(1.0 - model(x)).relu() + 0.5 for x in X]).log()  # noqa: E731  (X: an argument)
    g = agrees(fn, model.parameters(), X)
    loss = fn(X)
    expected = autograd.grad(loss, model.parameters())
    model.zero_grad()
    assert same(g(X), loss.data)  # plain numbers: the arguments' gradients are skipped
    assert all(map(same, [p.grad for p in model.parameters()], expected)) and "_arguments=True" in g.source


def test_a_weight_used_twice_in_each_sample_sums_its_uses_in_the_graphs_order():
    X, y = moons(9)
    w, b = Value(0.3, label="w"), Value(-0.2, label="b")
    f = agrees(lambda: autograd.sum([((w * x0 + b) * w * x1 - t).tanh() ** 2 for (x0, x1), t in zip(X, y)]), [w, b])
    assert "_chain.from_iterable(" in f.source  # each sample returns its two uses of w


def test_numbers_that_differ_between_samples_are_a_copys_arguments():
    X, y = moons(9)
    w = Value(0.5, label="w")
    f = agrees(lambda: autograd.sum([(w * x0 - Value(t) * x1).sigmoid() * t for (x0, x1), t in zip(X, y)]), [w])
    assert "def _fwd(_s0, _s1, _s2)" in f.source  # x0, x1 and t: the ops' numbers and a constant Value


def test_a_sample_that_overflows_hands_the_call_to_the_graph():
    w = Value(1.0, label="w")
    fn = lambda xs: autograd.sum([(w * x).exp() for x in xs])  # noqa: E731
    f = autograd.compile(fn)
    xs = [0.1 * i for i in range(10)]
    assert same(f(xs), fn(xs).data) and "def _fwd(" in f.source
    with pytest.raises(OverflowError) as graph_error:
        fn(xs[:9] + [800.0])
    with pytest.raises(OverflowError, match=re.escape(str(graph_error.value))):
        f(xs[:9] + [800.0])


# ---- graphs that are not batches: straight-line code, the same numbers ---------------------------


def straight_line(fn, params):
    f = agrees(fn, params)
    assert "def _fwd(" not in f.source
    return f


def test_eight_samples_are_a_batch_and_seven_are_not():
    X, y = moons(8)
    model = nn.MLP(2, [4, 1], seed=0)
    assert compile_module.BATCH_GROUPS == 8
    assert "def _fwd(" in agrees(lambda: hinge_and_l2(model, X, y), model.parameters()).source
    straight_line(lambda: hinge_and_l2(model, X[:7], y[:7]), model.parameters())


def test_a_value_all_samples_share_that_is_computed_is_not_a_batch():
    X, y = moons(10)
    w = Value(0.7, label="w")

    def fn():
        doubled = w * 2.0  # one node, every sample's operand
        return autograd.sum([(doubled * x0 + x1 * t).tanh() for (x0, x1), t in zip(X, y)])

    straight_line(fn, [w])


def test_a_samples_value_used_outside_the_sum_is_not_a_batch():
    X, y = moons(10)
    model = nn.MLP(2, [4, 1], seed=0)

    def fn():
        scores = [model(x) for x in X]
        return autograd.sum([s * s for s in scores]) + scores[0]

    straight_line(fn, model.parameters())


def test_samples_that_are_not_alike_are_not_a_batch():
    X, y = moons(10)
    w = Value(0.7, label="w")
    straight_line(lambda: autograd.sum([(w * x0).tanh() if i != 4 else (w * x0).sigmoid() for i, (x0, _) in enumerate(X)]), [w])


def test_a_choice_made_from_a_number_in_fn_is_a_guard_and_not_a_batch():
    X, y = moons(10)
    w = Value(0.7, label="w")
    fn = lambda: autograd.sum([(w * x0) if w * x0 > 0 else (w * x1) for x0, x1 in X])  # noqa: E731
    f = straight_line(fn, [w])
    assert "return None  # traced where" in f.source


@pytest.mark.parametrize("rest", [4, 5])
def test_more_than_batch_rest_other_nodes_are_written_straight(rest, monkeypatch):
    monkeypatch.setattr(compile_module, "BATCH_REST", rest)
    X, y = moons(10)
    model = nn.MLP(2, [4, 1], seed=0)
    fn = lambda: hinge_and_l2(model, X, y)  # noqa: E731  (besides the samples: sum, * 0.1, dot, * 1e-4, +)
    assert ("def _fwd(" in agrees(fn, model.parameters()).source) == (rest == 5)


def test_random_batches_of_random_samples_match_their_graphs():
    rng = random.Random(5)
    unary = ["tanh", "sigmoid", "relu", "exp", "softplus"]
    for trial in range(20):
        w = [Value(rng.uniform(-1, 1), label=f"w{i}") for i in range(3)]
        ops_ = [rng.choice(unary) for _ in range(3)]
        n = rng.randint(8, 14)
        data = [[rng.uniform(-2, 2) for _ in range(2)] for _ in range(n)]

        def sample(x0, x1):
            h = getattr(w[0] * x0 + w[1] * x1, ops_[0])()
            g = getattr(h * w[2] - x1, ops_[1])()
            return getattr(g * h + w[0], ops_[2])()

        fn = lambda X: autograd.sum([sample(*x) for x in X]) * (1.0 / n) + w[1] * w[2]  # noqa: E731
        assert "def _fwd(" in agrees(fn, w, data).source


def test_a_samples_leaf_read_in_two_places_that_another_sample_fills_with_two_leaves_is_not_a_batch():
    w = Value(0.5, label="w")
    data = [[Value(0.1 * i + 0.3), Value(0.2 * i + 0.1)] for i in range(10)]
    pairs = [(x0, x0) if i == 0 else (x0, x1) for i, (x0, x1) in enumerate(data)]  # the first sample: one leaf twice
    fn = lambda: autograd.sum([(w * a).tanh() * b for a, b in pairs])  # noqa: E731
    straight_line(fn, [w, *[v for row in data for v in row]])  # as a batch loop, the first leaf lost a use's gradient


def test_the_same_graph_is_written_as_the_same_program():
    X, y = moons(12)
    sources = set()
    for _ in range(3):  # new Values each time: no order may come from where they sit in memory
        model = nn.MLP(2, [6, 6, 1], seed=4, fused=False)
        f = autograd.compile(lambda: hinge_and_l2(model, X, y))
        f()
        sources.add(f.source)
    assert len(sources) == 1 and "def _fwd(" in sources.pop()
