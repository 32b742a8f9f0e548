"""The Value itself: what it accepts, how it prints, and the graph facts it exposes."""

import math

import pytest

import autograd
from autograd import Value

# --- construction ---------------------------------------------------------------------------

ACCEPTED = [
    # (data given, .data expected)
    (2, 2.0),
    (-7, -7.0),
    (True, 1.0),
    (False, 0.0),
    (2.5, 2.5),
    (-0.0, -0.0),
    (1e308, 1e308),
    (math.inf, math.inf),
    (-math.inf, -math.inf),
]


@pytest.mark.parametrize("given, expected", ACCEPTED)
def test_numbers_become_floats(given, expected):
    v = Value(given)
    assert type(v.data) is float
    assert v.data == expected
    assert math.copysign(1.0, v.data) == math.copysign(1.0, expected)


def test_nan_is_allowed_as_data():
    assert math.isnan(Value(math.nan).data)


@pytest.mark.parametrize(
    "given, type_name",
    [
        ("2.0", "str"),
        (None, "NoneType"),
        (1 + 2j, "complex"),
        ([1.0], "list"),
        ((1.0,), "tuple"),
    ],
)
def test_anything_else_is_a_type_error_naming_the_type(given, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(given)


def test_a_new_value_has_zero_grad_and_is_a_leaf():
    x = Value(3.0)
    assert x.grad == 0.0 and type(x.grad) is float
    assert x.label == ""
    assert x.op == ""
    assert x.parents == ()
    assert x.local_grads == ()


def test_label_is_kept_and_writable():
    x = Value(1.0, label="x")
    assert x.label == "x"
    x.label = "weight"
    assert x.label == "weight"


def test_data_and_grad_are_writable_floats():
    x = Value(1.0)
    x.data = 4.0
    x.grad = 0.5
    assert (x.data, x.grad) == (4.0, 0.5)


# --- printing and conversion ----------------------------------------------------------------

@pytest.mark.parametrize(
    "value, text",
    [
        (Value(2.0, label="x"), "Value(data=2.0, grad=0.0, label='x')"),
        (Value(2), "Value(data=2.0, grad=0.0)"),
        (Value(-0.5, label="b"), "Value(data=-0.5, grad=0.0, label='b')"),
    ],
)
def test_repr_is_short(value, text):
    assert repr(value) == text


def test_repr_shows_the_grad_after_backward():
    x = Value(2.0, label="x")
    (x * 3).backward()
    assert repr(x) == "Value(data=2.0, grad=3.0, label='x')"


def test_float_item_and_detach():
    x = Value(2.0, label="x")
    y = x * x
    assert y.data == 4.0
    assert y.item() == 4.0
    d = y.detach()  # a node: its value follows y, its local derivative is 0 (a stop-gradient)
    assert (d.data, d.op, d.parents, d.local_grads) == (4.0, "detach", (y,), (0.0,))
    (d * x).backward()
    assert x.grad == 4.0  # through d * x only: nothing comes back through d


# --- identity: == and hash -------------------------------------------------------------------

def test_equality_is_identity():
    a, b = Value(1.0), Value(1.0)
    assert a == a
    assert a != b
    assert not (a == b)


def test_values_live_in_sets_and_dicts_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert len({a, b, a}) == 2
    grads = {a: "first", b: "second"}
    assert grads[a] == "first" and grads[b] == "second"
    assert a in {a} and b not in {a}
    assert hash(a) != hash(b) or a is b  # distinct objects; hashes may collide but are identity based
    assert hash(a) == hash(a)


def test_changing_data_keeps_a_node_in_its_set():
    a = Value(1.0)
    s = {a}
    a.data = 99.0
    assert a in s


# --- comparisons look at data and record nothing ---------------------------------------------

@pytest.mark.parametrize(
    "compare, expected",
    [
        (lambda a, b: a < b, True),
        (lambda a, b: a <= b, True),
        (lambda a, b: a > b, False),
        (lambda a, b: a >= b, False),
        (lambda a, b: b > a, True),
        (lambda a, b: b >= a, True),
    ],
)
@pytest.mark.parametrize("other", [lambda: Value(2.0), lambda: 2.0, lambda: 2], ids=["Value", "float", "int"])
def test_comparisons_compare_data(compare, expected, other):
    a, b = Value(1.0), other()
    result = compare(a, b)
    assert result is expected
    assert a.op == "" and a.parents == ()


@pytest.mark.parametrize(
    "compare, expected",
    [
        (lambda a: 1.0 < a, True),
        (lambda a: 3 <= a, False),
        (lambda a: a <= 2.0, True),
        (lambda a: a >= 2.0, True),
    ],
)
def test_comparisons_with_a_number_on_the_left(compare, expected):
    assert compare(Value(2.0)) is expected


def test_sorting_and_max_use_data():
    vs = [Value(3.0), Value(-1.0), Value(2.0)]
    assert [v.data for v in sorted(vs)] == [-1.0, 2.0, 3.0]
    assert max(vs) is vs[0]


def test_comparing_with_a_non_number_is_a_type_error():
    with pytest.raises(TypeError):
        Value(1.0) < "2"


# --- read-only graph facts --------------------------------------------------------------------

@pytest.mark.parametrize("attribute", ["op", "parents", "local_grads"])
def test_graph_facts_are_read_only(attribute):
    x = Value(2.0)
    y = x * x
    with pytest.raises(AttributeError):
        setattr(y, attribute, getattr(y, attribute))


def test_no_new_attributes():
    with pytest.raises(AttributeError):
        Value(1.0).requires_grad = True


@pytest.mark.parametrize(
    "build, op, parents, local_grads",
    [
        (lambda a, b: a + a, "+", ("a", "a"), (1.0, 1.0)),
        (lambda a, b: a * a, "*", ("a", "a"), (3.0, 3.0)),
        (lambda a, b: a - b, "-", ("a", "b"), (1.0, -1.0)),
        (lambda a, b: b - a, "-", ("b", "a"), (1.0, -1.0)),
        (lambda a, b: a * b, "*", ("a", "b"), (-2.0, 3.0)),
        (lambda a, b: -a, "neg", ("a",), (-1.0,)),
        (lambda a, b: a ** 2, "**2", ("a",), (6.0,)),
        (lambda a, b: a.relu(), "relu", ("a",), (1.0,)),
        (lambda a, b: autograd.sum([a, b, a]), "sum", ("a", "b", "a"), (1.0, 1.0, 1.0)),
        (lambda a, b: autograd.dot([a], [b]), "dot", ("a", "b"), (-2.0, 3.0)),
        (lambda a, b: autograd.dot([a], [b], bias=a), "dot", ("a", "b", "a"), (-2.0, 3.0, 1.0)),
    ],
)
def test_parents_are_in_operand_order_with_aligned_local_grads(build, op, parents, local_grads):
    a, b = Value(3.0, label="a"), Value(-2.0, label="b")
    y = build(a, b)
    assert y.op == op
    assert tuple(p.label for p in y.parents) == parents
    assert y.local_grads == local_grads
    assert type(y.parents) is tuple and type(y.local_grads) is tuple


@pytest.mark.parametrize(
    "build, op, local_grad",
    [
        (lambda x: 2 * x, "2*", 2.0),
        (lambda x: x * 2, "*2", 2.0),
        (lambda x: 1 - x, "1-", -1.0),
        (lambda x: x / 4, "/4", 0.25),
        (lambda x: 2 ** x, "2**", 2**1.5 * math.log(2)),
        (lambda x: 5 + x, "5+", 1.0),
    ],
)
def test_a_plain_number_on_either_side_is_part_of_the_op(build, op, local_grad):
    """As in PyTorch, a number is not a node: x * 2 has one parent, and the 2 is in the op."""
    x = Value(1.5, label="x")
    y = build(x)
    assert (y.op, y.parents) == (op, (x,))
    assert y.local_grads == pytest.approx((local_grad,), rel=1e-15)


def test_an_op_result_is_a_new_unlabelled_node():
    x = Value(2.0, label="x")
    y = x + 1
    assert y.label == ""
    assert y.grad == 0.0
    assert repr(y).startswith("Value(data=3.0, grad=0.0")


def test_an_int_too_large_for_a_float_is_an_overflow_error():
    with pytest.raises(OverflowError, match="too large"):
        Value(10**400)
