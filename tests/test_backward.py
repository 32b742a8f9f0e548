"""backward(): reused nodes, fan-out, accumulation, deep graphs, memory and global state."""

import gc
import math
import sys
import tracemalloc

import pytest

import autograd
from autograd import Value

# --- reused nodes and fan-out, with gradients worked out by hand ------------------------------


def diamond(a, b):
    top = a * 2  # a feeds two paths that meet again in `bottom`
    side = a + 1
    return top * side  # 2a(a + 1): d/da = 4a + 2


def shared_subexpression(a, b):
    s = a * b
    return s * s + s  # (ab)^2 + ab


def fan_out(a, b):
    return a.tanh() + a.exp() + a * b + a  # a is used by four different nodes


def deep_reuse(a, b):
    y = a
    for _ in range(5):
        y = y * y  # a ** 32, every node used twice
    return y


HAND_WORKED = [
    # (name, build, a, b, expected d/da, expected d/db)
    ("a + a", lambda a, b: a + a, 3.0, 0.0, 2.0, 0.0),
    ("a * a", lambda a, b: a * a, 3.0, 0.0, 6.0, 0.0),
    ("a * a * a", lambda a, b: a * a * a, 3.0, 0.0, 27.0, 0.0),
    ("a - a", lambda a, b: a - a, 3.0, 0.0, 0.0, 0.0),
    ("a / a", lambda a, b: a / a, 3.0, 0.0, 0.0, 0.0),
    ("(a + a) * (a + a)", lambda a, b: (a + a) * (a + a), 3.0, 0.0, 24.0, 0.0),
    ("sum([a, a, b])", lambda a, b: autograd.sum([a, a, b]), 3.0, 5.0, 2.0, 1.0),
    ("dot([a, a], [a, b])", lambda a, b: autograd.dot([a, a], [a, b]), 3.0, 5.0, 11.0, 3.0),
    ("diamond", diamond, 3.0, 0.0, 14.0, 0.0),
    ("shared subexpression", shared_subexpression, 2.0, 3.0, 2 * 6 * 3 + 3, 2 * 6 * 2 + 2),
    ("a ** 32 by squaring", deep_reuse, 1.5, 0.0, 32 * 1.5**31, 0.0),
]


@pytest.mark.parametrize("build, a, b, da, db", [pytest.param(*row[1:], id=row[0]) for row in HAND_WORKED])
def test_reused_nodes_get_every_path(build, a, b, da, db):
    a, b = Value(a, label="a"), Value(b, label="b")
    build(a, b).backward()
    assert a.grad == pytest.approx(da, rel=1e-14)
    assert b.grad == pytest.approx(db, rel=1e-14)


GRAPHS = [
    ("diamond", diamond),
    ("shared subexpression", shared_subexpression),
    ("fan-out", fan_out),
    ("a ** 32 by squaring", deep_reuse),
    ("a * a", lambda a, b: a * a),
    ("mixed", lambda a, b: ((a * b).sin() + (a + b).tanh() * a) / (1 + b * b)),
]


@pytest.mark.parametrize("build", [pytest.param(g, id=name) for name, g in GRAPHS])
@pytest.mark.parametrize("a, b", [(0.7, -1.3), (-0.4, 2.0)])
def test_reused_nodes_match_pytorch(build, a, b, torch):
    va, vb = Value(a), Value(b)
    build(va, vb).backward()
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    build(ta, tb).backward()
    assert va.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    torch_db = tb.grad.item() if tb.grad is not None else 0.0  # None: the graph does not use b
    assert vb.grad == pytest.approx(torch_db, rel=1e-12)


def test_fan_out_to_several_outputs():
    x = Value(2.0, label="x")
    outputs = [x * 3, x * x, x.exp()]
    for out in outputs:
        out.backward()
    assert x.grad == pytest.approx(3 + 4 + math.exp(2.0), rel=1e-15)


# --- accumulation, as in PyTorch ---------------------------------------------------------------


def test_calling_backward_twice_doubles_leaf_grads_exactly():
    a, b = Value(0.3), Value(-1.7)
    y = (a * b).tanh() + a.exp()
    y.backward()
    once = (a.grad, b.grad)
    y.backward()
    assert (a.grad, b.grad) == (2 * once[0], 2 * once[1])


def test_accumulation_matches_pytorch(torch):
    a, b = Value(0.3), Value(-1.7)
    y = (a * b).tanh() + a.exp()
    ta, tb = torch.tensor(0.3, requires_grad=True), torch.tensor(-1.7, requires_grad=True)
    ty = (ta * tb).tanh() + ta.exp()
    for _ in range(3):
        y.backward()
        ty.backward(retain_graph=True)
        assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
        assert b.grad == pytest.approx(tb.grad.item(), rel=1e-12)


def test_inner_nodes_hold_the_latest_pass_only():
    a = Value(2.0)
    h = a * 3
    y = h * h
    y.backward()
    y.backward()
    assert h.grad == 2 * h.data  # dy/dh = 2h, not accumulated
    assert y.grad == 1.0
    assert a.grad == 2 * 36.0  # dy/da = 18a = 36, twice


def test_zeroing_grads_between_passes():
    a = Value(2.0)
    y = a * a
    y.backward()
    a.grad = 0.0
    y.backward()
    assert a.grad == 4.0


@pytest.mark.parametrize("seed", [2.0, -0.5, 0.0])
def test_backward_with_a_seed_gradient(seed, torch):
    a = Value(1.2)
    y = a.sin() * a
    y.backward(grad=seed)
    ta = torch.tensor(1.2, requires_grad=True)
    (ta.sin() * ta).backward(torch.tensor(seed))
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert y.grad == seed


def test_backward_seed_scales_the_gradient():
    a, b = Value(1.2), Value(1.2)
    (a.sin() * a).backward()
    (b.sin() * b).backward(grad=2.0)
    assert b.grad == 2 * a.grad


def test_backward_of_a_leaf():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


def test_a_plain_number_is_part_of_the_op_and_a_value_constant_is_a_leaf():
    x = Value(2.0)
    y = 3 * x
    y.backward()
    assert (y.op, y.parents, y.local_grads, x.grad) == ("3*", (x,), (3.0,), 3.0)
    c = Value(3.0)  # a constant made a Value is a leaf with a gradient of its own
    z = c * x
    z.backward()
    assert z.parents == (c, x) and c.grad == 2.0  # d(cx)/dc = x


# --- topological order ------------------------------------------------------------------------


def test_topological_order_puts_every_node_after_its_parents():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    y = shared_subexpression(a, b) + diamond(a, b) + fan_out(b, a)
    order = autograd.topological_order(y)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order), "each node once"
    assert order[-1] is y
    assert a in position and b in position
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]


def test_topological_order_is_deterministic():
    def labelled_order():
        a, b = Value(1.0, label="a"), Value(2.0, label="b")
        y = shared_subexpression(a, b) + diamond(a, b)
        for i, node in enumerate(autograd.topological_order(y)):
            if not node.label:
                node.label = f"n{i}"
        return [(n.label, n.op, tuple(p.label for p in n.parents)) for n in autograd.topological_order(y)]

    assert labelled_order() == labelled_order()


def test_topological_order_of_a_leaf():
    x = Value(1.0)
    assert autograd.topological_order(x) == [x]


# --- a chain of a million nodes at the default recursion limit -------------------------------


def test_million_node_chain():
    limit = sys.getrecursionlimit()
    steps = 500_000  # each step adds a "*" and a "+" node: 1,000,000 nodes deep
    x = Value(1.0, label="x")
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.0001
    y.backward()

    assert sys.getrecursionlimit() == limit <= 1000
    depth, node = 0, y
    while node.parents:
        node = node.parents[0]
        depth += 1
    assert node is x and depth == 2 * steps

    data, slope = 1.0, 1.0
    for _ in range(steps):
        data = data * 1.0001 + 0.0001
        slope *= 1.0001  # d/dx of y = y * 1.0001 + 0.0001
    assert y.data == data
    assert x.grad == slope  # the same products in the same order: exactly equal
    assert x.grad == pytest.approx(1.0001**steps, rel=1e-9)  # closed form
    del y, node  # freeing a deep chain must not overflow the C stack either


# --- graphs are freed as soon as the last reference goes (no reference cycles) ----------------


def build_graph(x, n=2000):
    y = x
    for i in range(n):
        y = (y * 0.999 + x.sin() * 0.001).tanh() + i * 1e-6
    return y


@pytest.fixture
def gc_off():
    """The cycle collector off, so only reference counting can free a graph."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


def test_memory_returns_to_baseline_after_del(gc_off):
    x = Value(0.5)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        out = build_graph(x, n=4_000)
        out.backward()
        grads = autograd.grad(out, [x], create_graph=True)
        while_alive = tracemalloc.get_traced_memory()[0]
        del out, grads
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert while_alive - baseline > 4_000_000  # the graph was big
    # All gone, with no gc.collect(). What stays is CPython's tuple free lists (at most 2000 small
    # tuples per length, about 0.2 MB here), which tracemalloc still counts as allocated.
    assert after - baseline < 500_000


def test_a_leaf_refcount_returns_after_del(gc_off):
    x = Value(0.5)
    before = sys.getrefcount(x)
    out = build_graph(x, n=100)
    out.backward()
    assert sys.getrefcount(x) > before
    del out
    assert sys.getrefcount(x) == before


def test_no_reference_cycles_for_the_collector_to_find(gc_off):
    gc.collect()
    x = Value(0.5)
    out = build_graph(x, n=500)
    out.backward()
    (g,) = autograd.grad(out, [x], create_graph=True)
    g.backward()
    autograd.topological_order(out)
    del out, g
    assert gc.collect() == 0


# --- the engine leaves the garbage collector as it found it -----------------------------------


def big_backward():
    x = Value(0.5)
    build_graph(x, n=20_000).backward()


def higher_order():
    x = Value(0.5)
    (g,) = autograd.grad(build_graph(x, n=200), [x], create_graph=True)
    autograd.grad(g, [x])


def failing_op():
    with pytest.raises(ValueError):
        (build_graph(Value(0.5), n=100) - 10.0).log()


def failing_grad():
    x = Value(0.5)
    y = build_graph(x, n=100)
    p = y ** Value(2.0)
    y.data = -1.0  # edited after the fact: the exponent's derivative needs log(-1)
    with pytest.raises(ValueError):
        autograd.grad(p, [x], create_graph=True)


def failing_backward_seed():
    with pytest.raises(TypeError):
        build_graph(Value(0.5), n=100).backward(grad="one")


@pytest.mark.parametrize("action", [big_backward, higher_order, failing_op, failing_grad, failing_backward_seed])
@pytest.mark.parametrize("enabled", [True, False], ids=["gc on", "gc off"])
def test_gc_state_is_unchanged(action, enabled):
    was_enabled, thresholds = gc.isenabled(), gc.get_threshold()
    try:
        gc.set_threshold(1234, 11, 12)
        (gc.enable if enabled else gc.disable)()
        action()
        assert gc.isenabled() is enabled
        assert gc.get_threshold() == (1234, 11, 12)
    finally:
        gc.set_threshold(*thresholds)
        (gc.enable if was_enabled else gc.disable)()
