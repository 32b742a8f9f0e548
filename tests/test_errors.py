"""Bad input gets a clear exception, never a silent wrong number.

Each message names the op, the offending value(s) and the node's label when it has one. The
checks are real exceptions, not ``assert``: they still fire under ``python -O``.
"""

import ast
import math
import subprocess
import sys
from pathlib import Path

import pytest

import autograd
from autograd import Value

AUTOGRAD_DIR = Path(autograd.__file__).resolve().parent


def x_(data, label="x"):
    return Value(data, label=label)


# (id, how to fail, exception type, text the message must contain)
ERRORS = [
    ("log of 0", lambda: x_(0.0).log(), ValueError, ["log", "0.0", "'x'", "> 0"]),
    ("log of -1", lambda: x_(-1.0).log(), ValueError, ["log", "-1.0", "'x'", "> 0"]),
    ("log1p of -1", lambda: x_(-1.0).log1p(), ValueError, ["log1p", "-1.0", "'x'", "> -1"]),
    ("sqrt of -4", lambda: x_(-4.0).sqrt(), ValueError, ["sqrt", "-4.0", "'x'", ">= 0"]),
    ("negative base, number exponent", lambda: x_(-8.0) ** 0.5, ValueError, ["**", "-8.0", "'x'", "integer exponent"]),
    (
        "negative base, Value exponent",
        lambda: x_(-8.0) ** x_(0.5, "y"),
        ValueError,
        ["**", "-8.0", "'x'", "0.5", "'y'", "integer exponent"],
    ),
    ("negative number base", lambda: (-8) ** x_(0.5, "y"), ValueError, ["-8**", "0.5", "'y'", "integer exponent"]),
    (
        "exponent derivative at a negative base",
        lambda: (x_(-2.0) ** x_(2.0, "y")).backward(),  # raised when backward needs it
        ValueError,
        ["**", "-2.0", "'x'", "'y'", "exponent", "base > 0"],
    ),
    (
        "exponent derivative at 0 ** 0",
        lambda: (x_(0.0) ** x_(0.0, "y")).backward(),
        ValueError,
        ["**", "0.0", "'x'", "'y'", "exponent"],
    ),
    ("a / 0", lambda: x_(1.0) / x_(0.0, "z"), ZeroDivisionError, ["/", "1.0", "'x'", "0.0", "'z'", "division by zero"]),
    ("a / number 0", lambda: x_(1.0) / 0, ZeroDivisionError, ["/0", "1.0", "'x'", "division by zero"]),
    ("number / 0", lambda: 1 / x_(0.0, "z"), ZeroDivisionError, ["/", "0.0", "'z'", "division by zero"]),
    ("a / -0.0", lambda: x_(1.0) / -0.0, ZeroDivisionError, ["/", "division by zero"]),
    ("0 ** -1", lambda: x_(0.0) ** -1, ZeroDivisionError, ["**-1", "0.0", "'x'", "negative power"]),
    ("0 ** -2.5", lambda: x_(0.0) ** -2.5, ZeroDivisionError, ["**-2.5", "0.0", "'x'", "negative power"]),
    ("0 ** Value(-2)", lambda: x_(0.0) ** x_(-2.0, "y"), ZeroDivisionError, ["**", "0.0", "'x'", "-2.0", "'y'"]),
    ("exp overflow", lambda: x_(710.0).exp(), OverflowError, ["exp", "710.0", "'x'", "too large"]),
    ("exp of 1e308", lambda: x_(1e308).exp(), OverflowError, ["exp", "1e+308", "'x'", "too large"]),
    ("pow overflow", lambda: x_(10.0) ** 400, OverflowError, ["**400", "10.0", "'x'", "too large"]),
    ("pow overflow, Value exponent", lambda: x_(10.0) ** x_(400.0, "y"), OverflowError, ["**", "10.0", "'y'", "too large"]),
    ("number base pow overflow", lambda: 10 ** x_(400.0, "y"), OverflowError, ["**", "400.0", "'y'", "too large"]),
    ("sin of inf", lambda: x_(math.inf).sin(), ValueError, ["sin", "inf", "'x'"]),
    ("cos of -inf", lambda: x_(-math.inf).cos(), ValueError, ["cos", "-inf", "'x'"]),
]


@pytest.mark.parametrize("fail, error, fragments", [pytest.param(*row[1:], id=row[0]) for row in ERRORS])
def test_error_type_and_message(fail, error, fragments):
    with pytest.raises(error) as info:
        fail()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


def test_the_message_reads_as_a_sentence():
    with pytest.raises(ValueError) as info:
        Value(-1.0, label="x").log()
    assert str(info.value) == "log of -1.0 (label 'x'): log is only defined for inputs > 0"


def test_an_unlabelled_node_is_named_by_its_value_only():
    with pytest.raises(ValueError) as info:
        Value(-1.0).log()
    assert "label" not in str(info.value)
    assert "-1.0" in str(info.value)


def test_an_inner_node_is_named_by_its_own_label():
    x = Value(3.0, label="x")
    z = x - 5.0
    z.label = "z"
    with pytest.raises(ValueError, match=r"sqrt of -2\.0 \(label 'z'\)"):
        z.sqrt()


def test_a_failed_op_records_nothing():
    x = Value(-1.0, label="x")
    with pytest.raises(ValueError):
        x.log()
    assert (x.data, x.grad, x.op, x.parents) == (-1.0, 0.0, "", ())


def test_errors_are_raised_inside_no_grad_too():
    with autograd.no_grad():
        with pytest.raises(ValueError, match="log of -1.0"):
            Value(-1.0).log()
        with pytest.raises(ZeroDivisionError):
            Value(1.0) / 0


@pytest.mark.parametrize(
    "make",
    [lambda x: x ** -1, lambda x: x ** Value(-1.0, label="n"), lambda x: 1 / x],
    ids=["number exponent", "Value exponent", "1 / x"],
)
def test_a_derivative_too_large_for_a_float_is_recorded_as_inf(make):
    # The result (1e300) is a float; its derivative -x ** -2 is not: +-inf, as in PyTorch,
    # and no error for a user who never calls backward.
    y = make(Value(1e-300, label="x"))
    assert y.data == 1 / 1e-300 and y.local_grads[0] == -math.inf


# Wrong types are TypeErrors that name the type received.
TYPE_ERRORS = [
    ("Value + str", lambda: Value(1.0) + "2", "str"),
    ("str + Value", lambda: "2" + Value(1.0), "str"),
    ("Value * None", lambda: Value(1.0) * None, "NoneType"),
    ("Value ** list", lambda: Value(1.0) ** [2], "list"),
    ("complex - Value", lambda: (1 + 1j) - Value(1.0), "complex"),
    ("leaky_relu slope", lambda: Value(1.0).leaky_relu("0.1"), "str"),
    ("backward grad", lambda: Value(1.0).backward(grad="1"), "str"),
    ("label", lambda: Value(1.0, label=3), "int"),
    ("grad output", lambda: autograd.grad(1.0, [Value(1.0)]), "float"),
    ("grad input", lambda: autograd.grad(Value(1.0), [2.0]), "float"),
    ("sum item", lambda: autograd.sum([Value(1.0), "x"]), "str"),
]


@pytest.mark.parametrize("fail, type_name", [pytest.param(*row[1:], id=row[0]) for row in TYPE_ERRORS])
def test_wrong_types_are_type_errors(fail, type_name):
    with pytest.raises(TypeError, match=type_name):
        fail()


# Under python -O every `assert` disappears; the checks must not.
OPTIMIZED_SCRIPT = """
import sys
from autograd import Value
assert False, "unreachable unless asserts are on"
checks = [
    (lambda: Value(-1.0, label="x").log(), ValueError),
    (lambda: Value(-1.0, label="x").sqrt(), ValueError),
    (lambda: Value(-8.0, label="x") ** 0.5, ValueError),
    (lambda: (Value(-2.0, label="x") ** Value(2.0)).backward(), ValueError),
    (lambda: Value(1.0, label="x") / 0, ZeroDivisionError),
    (lambda: Value(0.0, label="x") ** -1, ZeroDivisionError),
    (lambda: Value(710.0, label="x").exp(), OverflowError),
    (lambda: Value(10.0, label="x") ** 400, OverflowError),
    (lambda: Value("1"), TypeError),
]
for fail, error in checks:
    try:
        fail()
    except error as e:
        print(type(e).__name__, "|", e)
    else:
        print("NO ERROR")
"""


def test_checks_still_raise_under_python_dash_O():
    result = subprocess.run(
        [sys.executable, "-O", "-c", OPTIMIZED_SCRIPT],
        capture_output=True,
        text=True,
        cwd=AUTOGRAD_DIR.parent,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 9, result.stdout
    assert "NO ERROR" not in result.stdout
    assert [line.split(" |")[0] for line in lines] == [
        "ValueError", "ValueError", "ValueError", "ValueError",
        "ZeroDivisionError", "ZeroDivisionError", "OverflowError", "OverflowError", "TypeError",
    ]
    assert "log of -1.0 (label 'x')" in lines[0]


def test_no_assert_statements_in_the_package():
    offenders = []
    for path in sorted(AUTOGRAD_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [f"{path.name}:{node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert not offenders, f"assert disappears under python -O; raise an exception instead: {offenders}"


def test_an_undefined_exponent_derivative_is_raised_only_when_backward_needs_it():
    """(-2) ** y has a value (4.0) and a derivative in x; only d/dy does not exist."""
    x, y = Value(-2.0, label="x"), Value(2.0, label="y")
    z = x**y
    assert z.data == 4.0 and math.isnan(z.local_grads[1])
    with pytest.raises(ValueError, match=r"\*\* of -2.0 \(label 'x'\) and 2.0 \(label 'y'\): the derivative with respect to the exponent"):
        z.backward()
    with autograd.no_grad():
        assert (Value(-2.0) ** Value(3.0)).data == -8.0
