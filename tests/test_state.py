"""Numbers and state you can trust: the walk owns its gradients, inputs are checked at the door,
and one overflow policy holds whatever the mode and the type."""

import math
import sys
import threading
import types
from fractions import Fraction

import pytest

import autograd
from autograd import Value, backward_steps, no_grad


def grads_of(*values):
    return [v.grad for v in values]


# --- a failed backward changes nothing -------------------------------------------------------

@pytest.mark.parametrize("make_power", [
    lambda b, e: b ** e,                      # d/de of (-2)**e does not exist
    lambda b, e: (-2.0) ** e,
    lambda b, e: 0 ** (e - 2.0),              # 0**e at e = 0
], ids=["b**e", "(-2)**e", "0**e at 0"])
def test_a_backward_that_raises_commits_nothing(make_power):
    a, c = Value(3.0, label="a"), Value(4.0, label="c")
    b, e = Value(-2.0, label="b"), Value(2.0, label="e")
    a.grad, c.grad = 0.25, -1.5  # grads from an earlier pass
    out = make_power(b, e) + a * c
    before = grads_of(a, b, c, e, out)
    with pytest.raises(ValueError, match="exponent"):
        out.backward()
    assert grads_of(a, b, c, e, out) == before


def test_backward_steps_that_raise_restore_every_grad():
    a, b, e = Value(3.0, label="a"), Value(-2.0, label="b"), Value(2.0, label="e")
    a.grad = 0.5
    out = a * a + b ** e
    before = grads_of(a, b, e, out)
    with pytest.raises(ValueError, match="exponent"):
        list(backward_steps(out))
    assert grads_of(a, b, e, out) == before


def test_leaves_accumulate_and_inner_nodes_show_the_latest_pass():
    x = Value(2.0, label="x")
    y = x * x
    z = y * 3
    z.backward()
    z.backward()
    assert x.grad == 24.0 and y.grad == 3.0 and z.grad == 1.0


# --- grad() never writes .grad, and is safe from several threads ------------------------------

def test_grad_writes_no_grad_attribute():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    x.grad, w.grad = 7.0, 8.0
    hidden = x * w
    hidden.grad = 9.0
    out = hidden.tanh()
    assert autograd.grad(out, [x, w]) == pytest.approx([-3 * (1 - math.tanh(-6) ** 2), 2 * (1 - math.tanh(-6) ** 2)])
    assert grads_of(x, w, hidden, out) == [7.0, 8.0, 9.0, 0.0]


def test_gradients_reads_the_graph_and_writes_nothing():
    x = Value(2.0, label="x")
    y = x * x + x
    grads = autograd.engine.gradients(y)
    assert grads[x] == 5.0 and grads[y] == 1.0
    assert x.grad == 0.0 and y.grad == 0.0


def _graph(shared, k):
    """A 50-node graph over the shared leaves, different for each k."""
    out = shared[k % len(shared)] * (k + 1)
    for i in range(24):
        out = (out * shared[(k + i) % len(shared)]).tanh() + shared[i % len(shared)] * 0.5
    return out


def test_grad_from_eight_threads_on_shared_leaves_equals_single_threaded():
    shared = [Value(0.1 * (i + 1), label=f"p{i}") for i in range(6)]
    graphs = [_graph(shared, k) for k in range(8)]
    expected = [autograd.grad(g, shared) for g in graphs]
    wrong, seen_scratch = [], []
    stop = threading.Event()

    def caller(k):
        for _ in range(300):
            if autograd.grad(graphs[k], shared) != expected[k]:
                wrong.append(k)

    def reader():
        while not stop.is_set():
            if any(p.grad != 0.0 for p in shared):
                seen_scratch.append(True)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=caller, args=(k,)) for k in range(8)]
        watcher = threading.Thread(target=reader)
        watcher.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        watcher.join()
    finally:
        sys.setswitchinterval(old)
    assert wrong == [] and seen_scratch == []


# --- inputs checked at the door --------------------------------------------------------------

@pytest.mark.parametrize("bad", [types.SimpleNamespace(data=3.0), "3.0", None, [1.0]],
                         ids=["has .data", "str", "None", "list"])
def test_sum_and_dot_take_only_values_and_real_numbers(bad):
    x = Value(2.0, label="x")
    with pytest.raises(TypeError, match=r"sum: item 1 must be a Value or a real number, got"):
        autograd.sum([x, bad])
    with pytest.raises(TypeError, match=r"dot: item 1 must be a Value or a real number"):
        autograd.dot([x, bad], [1.0, 2.0])


def test_sum_and_dot_convert_real_numbers_of_any_type():
    x = Value(2.0, label="x")
    total = autograd.sum([x, Fraction(1, 2), 3])
    assert total.data == 5.5 and all(type(p.data) is float for p in total.parents)


def test_sum_and_dot_with_numpy_scalars():
    np = pytest.importorskip("numpy", reason="numpy comes with matplotlib")
    x = Value(2.0, label="x")
    assert autograd.sum([x, np.float64(2.0), np.int64(1)]).data == 5.0
    assert autograd.dot([x], [np.float32(0.5)]).data == 1.0


def test_sum_and_dot_with_a_torch_tensor_refuse_it():
    torch = pytest.importorskip("torch", reason="torch is the oracle: .venv/bin/pip install torch==2.13.0")
    with pytest.raises(TypeError, match="item 1 must be a Value or a real number, got Tensor"):
        autograd.sum([Value(2.0), torch.tensor(3.0)])


@pytest.mark.parametrize("call, message", [
    (lambda: autograd.sum(5), "sum: values must be a list of Values or numbers, got int"),
    (lambda: autograd.dot(5, [1]), "dot: ws must be a list of Values or numbers, got int"),
    (lambda: autograd.dot([1], Value(1.0)), "dot: xs must be a list"),
])
def test_sum_and_dot_want_lists(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_a_finite_number_too_large_for_a_float_is_an_error_whatever_its_type():
    np = pytest.importorskip("numpy", reason="numpy comes with matplotlib")
    for big in (10**400, Fraction(10**400, 3), np.longdouble("1e400")):
        with pytest.raises(OverflowError, match="too large for a float"):
            Value(big)
    assert math.isinf(Value(math.inf).data) and math.isnan(Value(math.nan).data)


@pytest.mark.parametrize("bad", [None, "0.0", [0.0], True, Value(1.0)], ids=["None", "str", "list", "bool", "Value"])
def test_grad_must_be_set_to_a_real_number(bad):
    x = Value(2.0, label="x2")
    with pytest.raises(TypeError, match=r"\.grad of the Value labelled 'x2' must be a real number"):
        x.grad = bad
    assert x.grad == 0.0


def test_grad_set_to_a_numpy_array_is_refused_and_numbers_become_floats():
    np = pytest.importorskip("numpy", reason="numpy comes with matplotlib")
    x = Value(2.0, label="a")
    with pytest.raises(TypeError, match="'a' must be a real number, got ndarray"):
        x.grad = np.zeros(3)
    x.grad = Fraction(1, 4)
    assert type(x.grad) is float and x.grad == 0.25
    x.grad = np.float32(0.5)
    assert type(x.grad) is float


@pytest.mark.parametrize("seed", [True, Value(2.0), "1", None])
def test_one_rule_for_the_seed_gradient(seed):
    for start in (lambda o: o.backward(grad=seed), lambda o: backward_steps(o, grad=seed)):
        out = Value(2.0) * 3
        with pytest.raises(TypeError, match="grad must be a number"):
            start(out)


# --- one overflow policy ---------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda x: x * 10**400,
    lambda x: x + 10**400,
    lambda x: 10**400 - x,
    lambda x: x ** Fraction(10**400, 3),
    lambda x: x.leaky_relu(10**400),
], ids=["x*big", "x+big", "big-x", "x**Fraction", "leaky_relu"])
def test_big_constants_name_the_op_the_operand_and_the_label(make):
    x = Value(2.0, label="x")
    with pytest.raises(OverflowError, match=r"of 2\.0 \(label 'x'\) and the constant: .* is too large for a float"):
        make(x)


def test_a_big_seed_names_backward():
    with pytest.raises(OverflowError, match=r"backward\(grad=\.\.\.\): .* too large for a float"):
        (Value(2.0) * 3).backward(grad=10**400)


def test_a_constant_denominator_that_underflows_says_so():
    with pytest.raises(ZeroDivisionError, match="too small for a float and rounds to 0.0"):
        Value(2.0, label="x") / Fraction(1, 10**400)


def test_comparisons_are_python_s():
    x = Value(2.0)
    assert (x < 10**400) and (x > -(10**400)) and not (x >= 10**400)
    assert x > Fraction(1, 3)


@pytest.mark.parametrize("grad_mode", [True, False])
def test_a_derivative_too_large_for_a_float_is_inf_in_either_mode(grad_mode):
    x = Value(-1e-300, label="x")
    if grad_mode:
        y, z = x ** -1, 1 / x
        assert y.local_grads == (-math.inf,) and z.local_grads == (-math.inf,)
    else:
        with no_grad():
            y, z = x ** -1, 1 / x
    assert y.data == z.data == 1 / -1e-300


def test_power_zero_has_derivative_exactly_zero_even_at_a_subnormal():
    x = Value(5e-324)
    assert (x ** 0).local_grads == (0.0,)
    assert (x ** Value(0.0)).local_grads[0] == 0.0


@pytest.mark.parametrize("make", [
    lambda a, b: a * b, lambda a, b: a + b, lambda a, b: -a - b, lambda a, b: a / (1 / b),
    lambda a, b: autograd.sum([a, b]), lambda a, b: autograd.dot([a], [b]),
], ids=["*", "+", "-", "/", "sum", "dot"])
def test_finite_operands_that_overflow_raise_naming_op_and_labels(make):
    a, b = Value(1.5e308, label="a"), Value(1.5e308, label="b")
    with pytest.raises(OverflowError, match=r"(label 'a'|1\.5e\+308).*too large for a float"):
        make(a, b)
    with no_grad(), pytest.raises(OverflowError, match="too large for a float"):
        make(a, b)


def test_inf_written_on_purpose_flows_through_arithmetic():
    assert (Value(math.inf) + 1.0).data == math.inf
    assert math.isnan((Value(math.inf) - math.inf).data)


# --- sharp edges: a Value never silently leaves the graph --------------------------------------

@pytest.mark.parametrize("escape", [math.exp, math.sqrt, math.tanh, float])
def test_math_functions_on_a_value_teach_instead_of_escaping(escape):
    x = Value(2.0, label="x")
    with pytest.raises(TypeError, match=r"would take it out of the graph.*use the Value's own method|"
                                        r"would take it out of the graph.*x\.exp\(\)"):
        escape(x)


def test_int_and_round_explain_themselves_and_bool_is_pytorchs():
    x = Value(2.5, label="x")
    with pytest.raises(TypeError, match=r"int\(\) of the Value .* use int\(x\.data\)"):
        int(x)
    with pytest.raises(TypeError, match=r"round\(\) of the Value .* use round\(x\.data\)"):
        round(x)
    assert bool(x) and not bool(Value(0.0))
    assert x.item() == 2.5 and x.data == 2.5


def test_a_value_of_a_value_says_what_to_do():
    with pytest.raises(TypeError, match=r"use that Value itself, or its number, \.data"):
        Value(Value(2.0))


def test_version():
    assert isinstance(autograd.__version__, str) and autograd.__version__.count(".") >= 1
