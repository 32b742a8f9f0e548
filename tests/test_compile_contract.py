"""autograd.compile's contract, one test per bug issue 21 found: every choice the engine or nn
makes from a number is in the program or a guard, data is an argument, every other number is a
constant of the program, and sizes around every threshold of the code generator compile."""

import math
import random
import re
import sys
from fractions import Fraction

import pytest
from graphs import same

import autograd
import nn
from autograd import Value, ops

compile_module = sys.modules["autograd.compile"]


@pytest.fixture(params=["batch loop", "straight-line"])
def form(request, monkeypatch):
    """The test runs with a batch written as a batch loop (as it is by default), and as straight-line code."""
    if request.param == "straight-line":
        monkeypatch.setattr(compile_module, "BATCH_GROUPS", 0)
    return request.param


def graph(fn, *numbers):
    """(output, [d output / d argument]) from the graph."""
    xs = [Value(x) for x in numbers]
    out = fn(*xs)
    return out.data, autograd.grad(out, xs)


def agrees(f, fn, *numbers):
    out, grads = f.grad(*numbers)
    expected, expected_grads = graph(fn, *numbers)
    return same(out, expected) and len(grads) == len(expected_grads) and all(map(same, grads, expected_grads))


# ---- silent wrong numbers ---------------------------------------------------------------------


def test_max_pooling_chooses_its_winner_in_the_program():
    pool = nn.MaxPool2d(2)
    fn = lambda a, b, c, d: pool([[[a, b], [c, d]]])[0][0][0] * 1.0  # noqa: E731
    f = autograd.compile(fn)
    assert f.grad(1, 0, 0, 0) == (1.0, [1.0, 0.0, 0.0, 0.0])
    assert f.grad(0, 5, 0, 0) == (5.0, [0.0, 1.0, 0.0, 0.0])
    assert f.grad(2, 2, 2, 2) == (2.0, [1.0, 0.0, 0.0, 0.0]) and f.traces == 1


def test_a_conv_net_with_pooling_gives_the_graphs_loss_on_every_image():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 3, seed=1))
    fn = lambda image: nn.cross_entropy(model(image), [1.0, 0.0, 0.0])  # noqa: E731
    f = autograd.compile(fn)
    rng = random.Random(0)
    for _ in range(3):
        image = [[[rng.uniform(0, 1) for _ in range(8)] for _ in range(8)]]
        values = [[[Value(p) for p in row] for row in image[0]]]
        loss = fn(values)
        loss.backward()
        out, (grads,) = f.grad(image)
        assert same(out, loss.data)
        assert all(same(g, v.grad) for g_row, v_row in zip(grads[0], values[0]) for g, v in zip(g_row, v_row))
    assert f.traces == 1


def test_dropout_draws_a_new_mask_at_every_call_and_eval_mode_gets_its_own_program():
    compiled_model, graph_model = nn.MLP(2, [8, 1], dropout=0.5, seed=0), nn.MLP(2, [8, 1], dropout=0.5, seed=0)
    f = autograd.compile(lambda a, b: compiled_model([a, b]))
    outs = [f(1.0, 2.0) for _ in range(4)]
    assert outs == [graph_model([1.0, 2.0]).data for _ in range(4)] and len(set(outs)) > 1
    compiled_model.eval()
    graph_model.eval()
    assert f(1.0, 2.0) == graph_model([1.0, 2.0]).data
    compiled_model.train()
    graph_model.train()
    assert f(1.0, 2.0) == graph_model([1.0, 2.0]).data and f.traces == 2


def test_detach_is_a_stop_gradient_whose_value_follows_the_input():
    f = autograd.compile(lambda x: (x - x.detach() * 0.5) ** 2)
    assert f.grad(3.0) == (2.25, [3.0]) and f.grad(5.0) == (6.25, [5.0])


def test_no_grad_inside_the_function_is_a_detach_in_the_program():
    def fn(x):
        with autograd.no_grad():
            scale = x * 2
        return scale * x

    f = autograd.compile(fn)
    assert f.grad(3.0) == (18.0, [6.0]) and f.grad(4.0) == (32.0, [8.0])


def test_the_binary_cross_entropy_is_stable_and_exact_in_the_program():
    fn = lambda z: nn.binary_cross_entropy_with_logits(z, 1.0)  # noqa: E731
    f = autograd.compile(fn)
    for z in (40.0, 30.0, 0.0, -3.0, -800.0, 800.0):
        assert agrees(f, fn, z), z
    assert f.grad(40.0)[0] == 4.248354255291589e-18 and f.grad(0.0)[1] == [-0.5]  # sigmoid(0) - 1
    assert f.traces == 1


def test_cross_entropy_subtracts_the_largest_logit_in_the_program():
    fn = lambda a, b, c: nn.cross_entropy([a, b, c], 0)  # noqa: E731
    f = autograd.compile(fn)
    for logits in ((30.0, 1.0, 2.0), (1.0, 30.0, 2.0), (-1000.0, 1000.0, 0.0), (2.0, 2.0, 2.0)):
        assert agrees(f, fn, *logits), logits
    assert f.traces == 1


def test_cross_entropy_takes_class_probabilities_and_refuses_an_index_it_cannot_follow():
    logits = [Value(1.0), Value(2.0), Value(0.5)]
    assert nn.cross_entropy(logits, [0.0, 1.0, 0.0]).data == nn.cross_entropy(logits, 1).data
    with pytest.raises(TypeError, match="Pass class probabilities instead"):
        autograd.compile(lambda a, b, t: nn.cross_entropy([a, b], t)).grad(1.0, 2.0, 1)
    with pytest.raises(ValueError, match="3 logits need 3 class probabilities, got 2"):
        nn.cross_entropy(logits, [0.0, 1.0])


def test_abs_under_create_graph_is_not_frozen():
    def fn(x):
        (d,) = autograd.grad(abs(x) * x, [x], create_graph=True)
        return d

    f = autograd.compile(fn)
    assert f.grad(2.0) == (4.0, [2.0]) and f.grad(-2.0) == (4.0, [-2.0])


@pytest.mark.parametrize("fn", [
    lambda x: autograd.sum([x, x * 1e308, x * 1e308]).tanh(),
    lambda x: autograd.dot([x, x], [Value(1e308), Value(1e308)]).sigmoid(),
    lambda x: 1 / autograd.sum([x * 1e308, x * 1e308]),
    lambda x: autograd.max([x * 1e308 + x * 1e308, Value(1.0)]),
], ids=["sum then tanh", "dot then sigmoid", "1 / sum", "max of an overflow"])
def test_an_overflow_hidden_by_a_later_op_raises_as_the_engine_does(fn):
    f = autograd.compile(fn)
    assert agrees(f, fn, 0.5)
    with pytest.raises(OverflowError, match="too large for a float"):
        fn(Value(1.5))
    with pytest.raises(OverflowError, match="too large for a float"):
        f.grad(1.5)


def test_data_outside_the_arguments_is_a_constant_written_into_the_program():
    model = nn.MLP(2, [3, 1], seed=0)
    batch = {"X": [[1.0, 2.0], [0.5, -1.0]], "y": [0.25, -0.75]}
    f = autograd.compile(lambda: nn.mse_loss([model(x) for x in batch["X"]], batch["y"]))
    f()
    assert "0.25" in f.source and "-0.75" in f.source  # the batch's numbers, as literals
    g = autograd.compile(lambda X, y: nn.mse_loss([model(x) for x in X], y))  # the right way: an argument
    for X, y in ((batch["X"], batch["y"]), ([[3.0, 1.0], [-2.0, 0.5]], [1.0, 2.0])):
        assert same(g(X, y), nn.mse_loss([model(x) for x in X], y).data)
    assert g.traces == 1
    g([[1.0, 1.0]] * 3, [0.0] * 3)  # another batch size: another structure, another trace
    assert g.traces == 2


def test_a_value_made_inside_the_function_that_changes_later_is_an_error_not_a_stale_number():
    made = []

    def fn(x):
        if not made:
            made.append(Value(2.0, label="lazy"))  # a parameter made on the first call
        return x * made[0]

    f = autograd.compile(fn)
    assert f.grad(3.0) == (6.0, [2.0])
    made[0].data = 5.0
    with pytest.raises(RuntimeError, match="'lazy' was made while the function was traced"):
        f.grad(3.0)


# ---- crashes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("samples, form", [(300, "batch loop"), (300, "named"), (40, "in parts")])
def test_a_large_mlp_graph_with_shared_tuples_compiles(samples, form, monkeypatch):
    if form != "batch loop":
        monkeypatch.setattr(compile_module, "BATCH_GROUPS", 0)
    if form == "in parts":
        monkeypatch.setattr(compile_module, "NAMED_NODES", 0)
    X, labels = nn.datasets.make_moons(n_samples=samples, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    fn = lambda X, y: nn.binary_cross_entropy_with_logits([model(x) for x in X], y)  # noqa: E731
    f = autograd.compile(fn)
    loss = fn(X, labels)
    loss.backward()
    graph_grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    assert same(f(X, labels), loss.data) and all(map(same, [p.grad for p in model.parameters()], graph_grads))
    assert ("V[" in f.source) == (form == "in parts") and ("def _fwd(" in f.source) == (form == "batch loop")
    inputs = [[Value(a) for a in x] for x in X]  # the inputs' gradients: asked for, or Values given
    graph_loss = fn(inputs, labels)
    expected = [g for g in autograd.grad(graph_loss, [a for x in inputs for a in x])]
    out, (grads, _) = f.grad(X, labels)
    assert same(out, graph_loss.data) and all(map(same, [g for row in grads for g in row], expected))
    given = [[Value(a) for a in x] for x in X]
    f(given, labels)
    assert all(map(same, [a.grad for x in given for a in x], expected))
    assert ("_arguments=True" in f.source) == (form != "in parts")


def test_an_arguments_gradient_that_is_its_users_stays_where_the_parameters_read_it():
    model = nn.MLP(16, [48, 1], activation="tanh", seed=0, fused=False)  # about 3,000 nodes: written tightly
    fn = lambda x, t: (model(x) + t) ** 2  # noqa: E731  (t's gradient is the sum's: the same name)
    x = [0.1 * i - 0.8 for i in range(16)]
    loss = fn([Value(v) for v in x], Value(0.5))
    loss.backward()
    expected = [p.grad for p in model.parameters()]
    model.zero_grad()
    f = autograd.compile(fn)
    assert same(f(x, 0.5), loss.data)  # no Value argument: the arguments' gradients are skipped
    assert all(map(same, [p.grad for p in model.parameters()], expected))


@pytest.mark.parametrize("scale", [1.0, 1e150, 1e300])
def test_a_dead_relu_skips_its_upstream_only_where_that_is_the_same_number(scale, form):
    X, labels = nn.datasets.make_moons(n_samples=60, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=2)
    for w in model.layers[2].parameters():
        w.data *= scale  # 1e150: upstream gradients beyond the bound, the graph decides; 1e300: some overflow
    fn = lambda X, y: nn.mse_loss([model(x) for x in X], y)  # noqa: E731
    f = autograd.compile(fn)
    try:
        loss = fn(X, labels)
        loss.backward()
        expected = loss.data
    except OverflowError as error:
        with pytest.raises(OverflowError, match=re.escape(str(error))):
            f(X, labels)
        return
    graph_model_grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    assert same(f(X, labels), expected)
    assert all(map(same, [p.grad for p in model.parameters()], graph_model_grads))
    assert "else 0.0)" in f.source and "sum(map(abs, (" in f.source
    assert ("def _fwd(" in f.source) == (form == "batch loop")


@pytest.mark.parametrize("n", [3_000, 10_000])
def test_a_sum_of_many_terms_and_a_node_of_many_uses_compile(n, form):
    f = autograd.compile(lambda *xs: autograd.sum(xs) * 0.25)
    out, grads = f.grad(*[0.5] * n)
    assert out == 0.125 * n and grads == [0.25] * n
    g = autograd.compile(lambda x: autograd.sum([x * float(i) for i in range(n)]))
    assert g.grad(1.0) == graph(lambda x: autograd.sum([x * float(i) for i in range(n)]), 1.0)
    assert ("def _fwd(" in g.source) == (form == "batch loop")  # a copy per term: x times its number


def test_names_that_programs_use_themselves_are_renamed():
    def collide(V, G, _b):
        a = V * G
        a.label = "abs"
        b = a + _b
        b.label = "map"
        c = b * a
        c.label = "sum"
        return abs(c)

    f = autograd.compile(collide)
    assert agrees(f, collide, 1.0, -2.0, 0.5)
    g = autograd.compile(abs_twice)
    assert agrees(g, abs_twice, -1.5) and "def abs_program(x):" in g.source


def abs_twice(x):
    return abs(x) * 2


abs_twice.__name__ = "abs"  # a function named like a builtin the program calls


def test_names_in_a_program_in_parts(monkeypatch):
    monkeypatch.setattr(compile_module, "NAMED_NODES", 0)

    def collide(V, G):
        a = V * G
        a.label = "V"
        return abs(a) + a.relu()

    assert agrees(autograd.compile(collide), collide, 1.0, -2.0)


@pytest.mark.parametrize("x", [0.3333333333333333, 0.33333333333333337, 0.3333333333333332])
def test_a_guard_compares_as_python_compares_a_float_with_a_fraction(x):
    fn = lambda x: x * 2 if x < Fraction(1, 3) else x * 3  # noqa: E731
    f = autograd.compile(fn)
    assert agrees(f, fn, x) and agrees(f, fn, 0.1) and agrees(f, fn, 0.5) and f.traces == 2


def test_a_guard_against_a_number_beyond_floats():
    fn = lambda x: x * 0.5 if x < 10**400 else x * 3  # noqa: E731
    f = autograd.compile(fn)
    assert f.grad(1.0) == (0.5, [0.5]) and f.grad(1e308) == (5e307, [0.5])
    assert f.grad(math.inf) == (math.inf, [3.0]) and f.traces == 2  # inf < 10**400 is False
    g = autograd.compile(lambda x: x * 0.5 if x > -(10**400) else x * 3)
    assert g.grad(-1e308) == (-5e307, [0.5]) and g.grad(-math.inf) == (-math.inf, [3.0])


# ---- sizes around every threshold of the code generator ---------------------------------------


def chain(n):
    def fn(x):
        y = x
        for i in range(n // 2):
            y = y * 1.0001 + 0.0001 * (i % 3)
        return y if n % 2 == 0 else y.tanh()

    return fn


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_graphs_around_the_named_limit(delta, monkeypatch):
    monkeypatch.setattr(compile_module, "FUSE_NODES", 10**9)  # a line per node
    n = compile_module.NAMED_NODES + delta  # op nodes, one line each
    fn = chain(n)
    f = autograd.compile(fn)
    assert agrees(f, fn, 0.5) and f._latest.n_nodes == n + 1
    assert ("V[" in f.source) == (delta > 0)


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_graphs_around_the_fusion_limits(delta, monkeypatch):
    monkeypatch.setattr(compile_module, "FUSE_NODES", 100)
    fn = chain(100 + delta - 1)  # with the leaf, 100 + delta nodes
    f = autograd.compile(fn)
    assert agrees(f, fn, 0.5) and (f.source.count("\n") < 60) == (delta > 0)
    depth = compile_module.FUSE_DEPTH + delta
    fn = chain(2 * depth)  # 2 * depth nodes, each used once: lines of FUSE_DEPTH - 1 nodes at most
    monkeypatch.setattr(compile_module, "FUSE_NODES", 10)
    f = autograd.compile(fn)
    assert agrees(f, fn, 0.5) and max(line.count("*") for line in f.source.splitlines()) < compile_module.FUSE_DEPTH


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_graphs_around_a_part(delta, monkeypatch):
    monkeypatch.setattr(compile_module, "NAMED_NODES", 0)
    monkeypatch.setattr(compile_module, "PART_NODES", 50)
    fn = chain(50 + delta)
    assert agrees(autograd.compile(fn), fn, 0.5)


@pytest.mark.parametrize("size", [ops.INLINE_PRODUCTS + d for d in (-1, 0, 1)] + [ops.INLINE_TERMS + d for d in (-1, 0, 1)])
def test_sums_dots_and_maxima_around_their_written_out_limits(size):
    def fn(*xs):
        half = xs[:size]
        return autograd.sum(half) * autograd.dot(half, xs[size:]) + autograd.max(half) * autograd.max(xs[size:])

    f = autograd.compile(fn)
    rng = random.Random(size)
    for _ in range(3):
        assert agrees(f, fn, *[rng.uniform(-1, 1) for _ in range(2 * size)])


@pytest.mark.parametrize("uses", [compile_module.VECTOR_TERMS + d for d in (-1, 0, 1)])
def test_gradients_around_the_shared_tuple_limit(uses):
    def fn(w, *xs):
        return autograd.sum([(w * x).tanh() for x in xs])

    f = autograd.compile(fn)
    assert agrees(f, fn, 0.3, *[0.1 * i for i in range(uses)])


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_graphs_around_the_largest_that_fuses(delta, monkeypatch):
    monkeypatch.setattr(compile_module, "FUSE_NODES", 10)
    monkeypatch.setattr(compile_module, "FUSE_LIMIT", 100)
    fn = chain(100 + delta - 1)  # with the leaf, 100 + delta nodes
    f = autograd.compile(fn)
    assert agrees(f, fn, 0.5) and (") * 1.0001" in f.source) == (delta <= 0)  # fused: lines inside lines


def test_a_chain_in_parts_compiles_each_repeated_part_once(monkeypatch):
    monkeypatch.setattr(compile_module, "NAMED_NODES", 0)
    monkeypatch.setattr(compile_module, "PART_NODES", 12)  # the chain repeats every 6 nodes
    fn = chain(1000)
    f = autograd.compile(fn)
    assert agrees(f, fn, 0.5)
    assert f.source.count("def _part") <= 6  # the first part, the repeated one, the last one; forward and backward


# ---- calling conventions ----------------------------------------------------------------------


def test_keyword_arguments_work_as_in_the_function():
    def fn(x, scale=2.0, *, shift):
        return (x * scale + shift).tanh()

    f = autograd.compile(fn)
    assert f.grad(0.5, shift=0.25) == graph(lambda x: fn(x, shift=Value(0.25)), 0.5)
    assert f.grad(0.5, 3.0, shift=0.25) == graph(lambda x, s: fn(x, s, shift=Value(0.25)), 0.5, 3.0)
    shift = Value(0.25)
    f(0.5, shift=shift)
    assert shift.grad != 0.0  # a Value keyword argument gets its gradient, as a positional one does


def test_a_module_compiles_and_one_with_several_outputs_says_how_to_wrap_it():
    model = nn.MLP(2, [4, 1], seed=0)
    f = autograd.compile(model)
    out, (grads,) = f.grad([0.5, -1.0])
    assert out == model([0.5, -1.0]).data and len(grads) == 2 and "def mlp(" in f.source
    with pytest.raises(TypeError, match=r"compile its loss, e.g. autograd.compile\(lambda x, y: nn.mse_loss"):
        autograd.compile(nn.Linear(2, 3, seed=0))([0.5, -1.0])


def test_arguments_of_another_kind_are_refused_with_where_they_are():
    f = autograd.compile(lambda X: autograd.sum([x for row in X for x in row]))
    with pytest.raises(TypeError, match=r"got str: 'a' as argument 0\[1\]\[0\]"):
        f([[1.0], ["a"]])


def test_one_program_serves_f_and_f_grad():
    w = Value(0.5, label="w")
    f = autograd.compile(lambda x: (x * w).tanh())
    out, _ = f.grad(2.0)
    assert f(2.0) == out and len(f._traced) == 1 and f.traces == 1


def test_check_builds_the_graph_too_and_raises_on_a_difference(monkeypatch):
    w = Value(0.5, label="w")
    f = autograd.compile(lambda x: (x * w).tanh(), check=True)
    assert f.grad(2.0) == graph(lambda x: (x * w).tanh(), 2.0)
    trace = f._latest
    real = trace.function
    monkeypatch.setattr(trace, "function", lambda *a: (real(*a)[0], (1.0, 1.0)))  # a wrong program
    with pytest.raises(RuntimeError, match=r"gives d/d argument 0 = 1.0, the graph"):
        f.grad(2.0)


# ---- the README's training loop, with the batch as an argument ---------------------------------


def test_the_readme_training_loop_compiled_equals_the_graph_after_50_adam_steps(form):
    X, y = nn.datasets.make_moons(n_samples=100, noise=0.1, seed=0)
    graph_model, compiled_model = (nn.MLP(2, [16, 16, 1], activation="relu", seed=0) for _ in range(2))
    graph_opt = nn.optim.Adam(graph_model.parameters(), lr=0.05)
    compiled_opt = nn.optim.Adam(compiled_model.parameters(), lr=0.05)
    step = autograd.compile(lambda X, y: nn.binary_cross_entropy_with_logits([compiled_model(x) for x in X], y))
    for _ in range(50):
        loss = nn.binary_cross_entropy_with_logits([graph_model(x) for x in X], y)
        graph_opt.zero_grad()
        loss.backward()
        graph_opt.step()
        compiled_opt.zero_grad()
        assert same(step(X, y), loss.data)
        compiled_opt.step()
    assert [p.data for p in compiled_model.parameters()] == [p.data for p in graph_model.parameters()]
    assert step.traces == 1 and ("def _fwd(" in step.source) == (form == "batch loop")


@pytest.mark.parametrize("form", ["batch loop", "straight-line"], indirect=True)
def test_a_value_given_twice_or_also_read_by_fn_is_one_leaf_as_on_the_graph(form, monkeypatch):
    monkeypatch.setattr(compile_module, "FUSE_NODES", 10)
    monkeypatch.setattr(compile_module, "BATCH_GROUPS", 2 if form == "batch loop" else 0)
    rng = random.Random(0)
    w = Value(rng.uniform(-1, 1), label="w")
    fn = lambda v, X: autograd.sum([(w * x + v).tanh() * x for x in X])  # noqa: E731
    f = autograd.compile(fn)
    for trial in range(30):
        x = Value(rng.uniform(-2, 2))
        args = (w, [Value(0.3), Value(-0.7)]) if trial % 2 else (Value(0.1), [x, x, x, Value(0.5)])
        loss = fn(*args)
        loss.backward()  # the graph: one sum over all of a leaf's uses
        expected = [v.grad for v in (w, x, *args[1])]
        for v in (w, x, *args[1]):
            v.grad = 0.0
        assert same(f(*args), loss.data)
        assert all(map(same, [v.grad for v in (w, x, *args[1])], expected))
        for v in (w, x, *args[1]):
            v.grad = 0.0
    assert ("def _fwd(" in f.source) == (form == "batch loop")
