"""Every operation the engine knows: its forward value and its local derivatives, side by side.

An op has a ``name`` (what ``Value.op`` shows), ``forward(inputs)`` on a tuple of floats, and
``local_grads(inputs, out)``: the partial derivative of the output with respect to each input.

``local_grads`` is written with arithmetic and the small helpers below only, so the same line
works on floats (in the forward pass) and on Values (when ``grad(..., create_graph=True)``
needs the derivatives as a graph that can be differentiated again).

An op that cannot produce a number raises ValueError, ZeroDivisionError or OverflowError with
the reason; the engine adds the op's name, the operands and their labels to the message.
"""

import functools
import math
import sys
from operator import mul


def _float(x):
    """The number inside a float or a Value (used for branching, never for results)."""
    return x if type(x) is float else x.data


def _log(x):
    return math.log(x) if type(x) is float else x.log()


def _sin(x):
    return math.sin(x) if type(x) is float else x.sin()


def _cos(x):
    return math.cos(x) if type(x) is float else x.cos()


def _finite_only(name, x):
    if math.isinf(x):
        raise ValueError(f"{name} of an infinite value is undefined")


def _unless_overflow(out, inputs):
    """out, an inf or nan, unless every input was finite: then the float overflowed (an error)."""
    if all(x - x == 0.0 for x in inputs):
        raise OverflowError("the result is too large for a float")
    return out


class Op:
    """Base class: one instance per kind of operation (or per exponent / slope / constant)."""

    name = "?"

    def forward(self, inputs):
        """The output (a float) for a tuple of input floats."""
        raise NotImplementedError

    def local_grads(self, inputs, out):
        """d out / d input for each input, as a tuple aligned with inputs."""
        raise NotImplementedError

    def __repr__(self):
        return f"<op {self.name}>"


class Undefined(float):
    """A local derivative that does not exist (it reads as nan): the chain rule raises, with the
    reason, as soon as backward multiplies by it, and only then (it may never be needed)."""

    def __new__(cls, reason):
        self = super().__new__(cls, math.nan)
        self.reason = reason
        return self

    def __mul__(self, other):
        raise ValueError(self.reason)

    __rmul__ = __mul__


def _number_text(x):
    """A constant as an op name shows it: every digit, and no ".0" on a whole number."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


class Add(Op):
    """a + b."""

    name = "+"

    def forward(self, inputs):
        a, b = inputs
        out = a + b
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        return (1.0, 1.0)


class Sub(Op):
    """a - b."""

    name = "-"

    def forward(self, inputs):
        a, b = inputs
        out = a - b
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        return (1.0, -1.0)


class Mul(Op):
    """a * b."""

    name = "*"

    def forward(self, inputs):
        a, b = inputs
        out = a * b
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        a, b = inputs
        return (b, a)


class Div(Op):
    """a / b (b must be non-zero)."""

    name = "/"

    def forward(self, inputs):
        a, b = inputs
        if b == 0:
            raise ZeroDivisionError("division by zero; the denominator must be non-zero")
        out = a / b
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        a, b = inputs
        return (1.0 / b, -out / b)  # d(a/b)/db = -a/b**2, written so it does not underflow


class Neg(Op):
    """-a."""

    name = "neg"

    def forward(self, inputs):
        (a,) = inputs
        return -a

    def local_grads(self, inputs, out):
        return (-1.0,)


class PowConst(Op):
    """x ** n for a plain-number exponent n: one parent, the base."""

    def __init__(self, exponent):
        self.exponent = exponent
        self.name = f"**{_number_text(exponent)}"

    def forward(self, inputs):
        (x,) = inputs
        return _power(x, self.exponent)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (_power_base_grad(x, self.exponent),)


class Pow(Op):
    """x ** y where the exponent is a Value too: two parents, base and exponent."""

    name = "**"

    def forward(self, inputs):
        x, y = inputs
        return _power(x, y)

    def local_grads(self, inputs, out):
        x, y = inputs
        return (_power_base_grad(x, y), _power_exponent_grad(x, y, out))


class ConstantBasePow(Op):
    """c ** x for a plain-number base c: one parent, the exponent."""

    def __init__(self, base):
        self.base = base
        self.name = f"{_number_text(base)}**"

    def forward(self, inputs):
        (x,) = inputs
        return _power(self.base, x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (_power_exponent_grad(self.base, x, out),)


class WithConstant(Op):
    """A two-operand op (+ - * /) with one operand a plain number, which becomes part of the op.

    ``x * 2`` is one node with one parent, x, and the op "*2"; ``1 - x`` has the op "1-". Its
    forward and local derivative are the two-operand op's own, with the number filled in.
    """

    def __init__(self, op, constant, constant_first):
        self.op, self.constant, self.constant_first = op, constant, constant_first
        number = _number_text(constant)
        self.name = f"{number}{op.name}" if constant_first else f"{op.name}{number}"

    def operands(self, x):
        return (self.constant, x) if self.constant_first else (x, self.constant)

    def forward(self, inputs):
        (x,) = inputs
        return self.op.forward(self.operands(x))

    def local_grads(self, inputs, out):
        (x,) = inputs
        grads = self.op.local_grads(self.operands(x), out)
        return (grads[1],) if self.constant_first else (grads[0],)


def _power(x, n):
    if x < 0 and not float(n).is_integer():
        raise ValueError("a negative base needs an integer exponent (the result would be complex)")
    if x == 0 and n < 0:
        raise ZeroDivisionError("0 cannot be raised to a negative power")
    try:
        return x**n
    except OverflowError:
        raise OverflowError("the result is too large for a float") from None


def _power_base_grad(x, n):
    """d(x**n)/dx = n * x**(n-1); exactly 0 for n = 0, and at x = 0 with n < 1 its limit (inf).

    A derivative too large for a float is recorded as +-inf, as PyTorch does: the forward value
    is fine, and only a backward pass through it would see the inf.
    """
    if _float(n) == 0:
        return 0.0
    if _float(x) == 0 and _float(n) <= 1:
        return 1.0 if _float(n) == 1 else math.inf
    try:
        return n * x ** (n - 1)
    except OverflowError:  # only on floats: |x ** (n - 1)| is beyond the largest float
        negative = (n < 0) != (x < 0 and float(n - 1).is_integer() and (n - 1) % 2 == 1)
        return -math.inf if negative else math.inf


def _power_exponent_grad(x, y, out):
    """d(x**y)/dy = x**y * log(x); it needs a base > 0, or 0 with y > 0 (where it is 0)."""
    base = _float(x)
    if base < 0:
        return Undefined("the derivative with respect to the exponent needs a base > 0 (it is x**y * log(x))")
    if base == 0:
        if _float(y) <= 0:
            return Undefined("the derivative with respect to the exponent is undefined at 0 ** y, y <= 0")
        return 0.0
    return out * _log(x)


class Abs(Op):
    """|x|; its derivative at 0 is 0, as in PyTorch."""

    name = "abs"

    def forward(self, inputs):
        (x,) = inputs
        return abs(x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        x = _float(x)
        return (1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else math.nan,)


class Exp(Op):
    """e ** x."""

    name = "exp"

    def forward(self, inputs):
        (x,) = inputs
        try:
            return math.exp(x)
        except OverflowError:
            raise OverflowError("the result is too large for a float (exp needs x <= 709.78)") from None

    def local_grads(self, inputs, out):
        return (out,)


class Log(Op):
    """The natural logarithm (x > 0)."""

    name = "log"

    def forward(self, inputs):
        (x,) = inputs
        if x <= 0:
            raise ValueError("log is only defined for inputs > 0")
        return math.log(x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (1.0 / x,)


class Log1p(Op):
    """log(1 + x) (x > -1), exact even where 1 + x would round away a tiny x."""

    name = "log1p"

    def forward(self, inputs):
        (x,) = inputs
        if x <= -1:
            raise ValueError("log1p is only defined for inputs > -1")
        return math.log1p(x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (1.0 / (1 + x),)


class Tanh(Op):
    """tanh(x)."""

    name = "tanh"

    def forward(self, inputs):
        (x,) = inputs
        return math.tanh(x)  # math.tanh saturates to +-1 without overflow

    def local_grads(self, inputs, out):
        return (1.0 - out * out,)


class Sigmoid(Op):
    """1 / (1 + e ** -x), without overflow for any x."""

    name = "sigmoid"

    def forward(self, inputs):
        (x,) = inputs
        if x >= 0:  # exp of a non-positive number never overflows
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)

    def local_grads(self, inputs, out):
        return (out * (1.0 - out),)


class Relu(Op):
    """max(0, x); nan stays nan."""

    name = "relu"

    def forward(self, inputs):
        (x,) = inputs
        return 0.0 if x <= 0 else x

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (1.0 if x > 0 else 0.0,)  # 0 at x == 0, as in PyTorch


class LeakyRelu(Op):
    """x for x > 0, else slope * x."""

    name = "leaky_relu"

    def __init__(self, slope):
        self.slope = slope

    def forward(self, inputs):
        (x,) = inputs
        return x if x > 0 else self.slope * x

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (1.0 if x > 0 else self.slope,)


class Sin(Op):
    """sin(x), radians."""

    name = "sin"

    def forward(self, inputs):
        (x,) = inputs
        _finite_only("sin", x)
        return math.sin(x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (_cos(x),)


class Cos(Op):
    """cos(x), radians."""

    name = "cos"

    def forward(self, inputs):
        (x,) = inputs
        _finite_only("cos", x)
        return math.cos(x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (-_sin(x),)


class Sqrt(Op):
    """The square root (x >= 0)."""

    name = "sqrt"

    def forward(self, inputs):
        (x,) = inputs
        if x < 0:
            raise ValueError("sqrt is only defined for inputs >= 0")
        return math.sqrt(x)

    def local_grads(self, inputs, out):
        return (0.5 / out if _float(out) != 0 else math.inf,)


class Sum(Op):
    """sum(values) as one node: the local derivative is 1 for every input."""

    name = "sum"

    def forward(self, inputs):
        out = _left_to_right_sum(inputs)
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        return (1.0,) * len(inputs)


class Dot(Op):
    """w . x (+ b) as one node. Inputs are w_1..w_n, x_1..x_n and then the bias, if any."""

    name = "dot"

    def __init__(self, n, has_bias):
        self.n = n
        self.has_bias = has_bias

    def forward(self, inputs):
        n = self.n
        total = _left_to_right_sum(map(mul, inputs[:n], inputs[n : 2 * n]))
        out = total + inputs[2 * n] if self.has_bias else total
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        n = self.n
        ws, xs = inputs[:n], inputs[n : 2 * n]
        return (*xs, *ws, 1.0) if self.has_bias else (*xs, *ws)


def _loop_sum(numbers):
    total = 0.0
    for x in numbers:
        total += x
    return total


# A sum that equals the chain ((x1 + x2) + x3) + ... to the last bit, so a dot or sum node
# gives exactly what the same graph of + nodes gives. The built-in sum() does that, faster,
# before Python 3.12; from 3.12 it compensates rounding errors, so there we loop.
def _builtin_sum(numbers):
    return sum(numbers, 0.0)


_left_to_right_sum = _builtin_sum if sys.version_info < (3, 12) else _loop_sum


def with_constant(op, constant, constant_first):
    """The WithConstant op for op and that number (shared by the nodes that use it)."""
    return _cached_with_constant(op, constant, constant_first, math.copysign(1.0, constant))


@functools.lru_cache(maxsize=1024)
def _cached_with_constant(op, constant, constant_first, sign):  # sign: 0.0 and -0.0 are equal keys
    return WithConstant(op, constant, constant_first)


@functools.lru_cache(maxsize=None)
def dot_op(n, has_bias):
    """The Dot op for n weights (shared by every node of that shape)."""
    return Dot(n, has_bias)


ADD, SUB, MUL, DIV, NEG, POW = Add(), Sub(), Mul(), Div(), Neg(), Pow()
ABS, EXP, LOG, LOG1P, TANH, SIGMOID, RELU = Abs(), Exp(), Log(), Log1p(), Tanh(), Sigmoid(), Relu()
SIN, COS, SQRT, SUM = Sin(), Cos(), Sqrt(), Sum()
