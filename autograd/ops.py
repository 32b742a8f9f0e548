"""Every operation the engine knows: its forward value and its local derivatives, side by side.

An op has a ``name`` (what ``Value.op`` shows), ``forward(inputs)`` on a tuple of floats, and
``local_grads(inputs, out)``: the partial derivative of the output with respect to each input.
Beside them, how the op is written: ``formula(names)``, its output written from its operands'
names (``tanh(n)``), and ``rule(i, names, out)``, the derivative for operand i written from the
operands' names and the output's (``1 - o²``). Both are plain text with one spelling: ``·`` for
a product, ``²`` and ``³`` for the small powers, ``^`` for the others, ``[c]`` for 1 when c holds
else 0. Given numbers instead of names (``rule(0, ("0.881374",), "0.707107")``), the same
functions write the numbers in (``1 - 0.707107²``), with brackets where a number needs them.
And ``mistakes(i, names, out)``: how that derivative is usually gotten wrong (tanh's output
where ``1 - o²`` belongs), each wrong derivative a Python expression that ``autograd.diagnose``
evaluates to name the mistake behind a learner's wrong number.

``local_grads`` is written with arithmetic and the small helpers below only, so the same line
works on floats (in the forward pass) and on Values (when ``grad(..., create_graph=True)``
needs the derivatives as a graph that can be differentiated again). A choice made from a number
(a sign, a winner) compares with ``< <= > >=``, which on Values a trace records as a guard, so
no choice is frozen by reading ``.data``.

``code(names, out)`` is the op once more, as Python for ``autograd.compile``: a single
expression for the output from its operands' names, and one for each local derivative (which
may use the output's name). The expressions do the same float operations in the same order as
``forward`` and ``local_grads``, so compiled numbers are the graph's to the last bit. They use
only names, float literals, ``inf``, ``nan``, ``+ - * / **``, unary minus, comparisons,
``a if c else b``, ``and``/``or``/``not``, and calls to the functions in ``CODE_HELPERS`` (one
list, so another language can provide the same few functions).

An op that cannot produce a number raises ValueError, ZeroDivisionError or OverflowError with
the reason; the engine adds the op's name, the operands and their labels to the message. The
same points are data too, beside the op: ``checks(names, out)`` lists each as a ``Check``, a
condition in the language of ``code`` with the exception and the message forward raises (one
text, used by both), and each local derivative that does not exist there (``Undefined``), so
the walkthrough page, which computes in JavaScript, says what the engine says.
"""

import functools
import math
import sys
from collections import namedtuple
from operator import mul


def _is_zero(x):
    """x == 0 for a float or a Value (whose == is identity): <= and >= compare the number, and a
    trace records both as guards."""
    return x <= 0 and x >= 0


def _log(x):
    return math.log(x) if type(x) is float else x.log()


def _sin(x):
    return math.sin(x) if type(x) is float else x.sin()


def _cos(x):
    return math.cos(x) if type(x) is float else x.cos()


# What forward raises, and where: each text is written once, here, and read by forward and by checks().
TOO_LARGE = "the result is too large for a float"
DIVISION_BY_ZERO = "division by zero; the denominator must be non-zero"
COMPLEX_POWER = "a negative base needs an integer exponent (the result would be complex)"
ZERO_TO_NEGATIVE_POWER = "0 cannot be raised to a negative power"
EXPONENT_NEEDS_POSITIVE_BASE = "the derivative with respect to the exponent needs a base > 0 (it is x**y * log(x))"
EXPONENT_AT_ZERO = "the derivative with respect to the exponent is undefined at 0 ** y, y <= 0"


def _infinite_input(name):
    return f"{name} of an infinite value is undefined"


def _finite_only(name, x):
    if math.isinf(x):
        raise ValueError(_infinite_input(name))


def _unless_overflow(out, inputs):
    """out, an inf or nan, unless every input was finite: then the float overflowed (an error)."""
    if all(x - x == 0.0 for x in inputs):
        raise OverflowError(TOO_LARGE)
    return out


class Check(namedtuple("Check", "when error message operand", defaults=(None,))):
    """A point where an op gives no number: ``when`` holds there, a condition written as ``code`` is (the
    operands' names, and the output's for a check after the forward value, which is computed first);
    ``error`` is the name of the exception forward raises and ``message`` its text. With ``operand`` i the
    forward value is fine and local derivative i does not exist (``Undefined``, ``message`` its reason)."""

    __slots__ = ()


def _overflow(names, out, message=TOO_LARGE):
    """The check of an op whose finite operands may give a result too large for a float."""
    return Check(f"not isfinite({out}) and finite({', '.join(names)})", "OverflowError", message)


def _domain(condition, message):
    return Check(condition, "ValueError", message)


# ---- how ops write text: formulas and rules -----------------------------------------------------
# precedence, factor and the *_text functions write an op's formula or rule from its operands'
# texts, bracketing only where needed; autograd.diagnose writes a learner's answer with them too.
# How tightly a text binds: a sum, a product or quotient, a negation, a power, an atom (a name,
# a number, a call, or anything in one pair of brackets).
_SUM, _PRODUCT, _NEGATION, _POWER, _ATOM = 1, 2, 3, 4, 5
_SUPERSCRIPTS = {"2": "²", "3": "³"}


def precedence(text):
    """How tightly text binds: 1 a sum, 2 a product or quotient, 3 a negation, 4 a power, 5 an atom."""
    operators = _top_level(text)
    if operators & {"+", "·", "/"}:
        return _SUM if "+" in operators else _PRODUCT
    if text.startswith("-"):
        return _NEGATION
    return _POWER if "^" in operators else _ATOM


def _top_level(text):
    """The operators text has outside brackets: "+" (+ or - between terms), "·", "/", "^" (any power)."""
    depth, operators = 0, set()
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0:
            if char in "+-" and text[i - 1 : i] == " ":
                operators.add("+")
            elif char in "·/":
                operators.add(char)
            elif char in "^²³":
                operators.add("^")
    return operators


def _grouped(text, level):
    """text, in brackets when it binds less tightly than level."""
    return text if precedence(text) >= level else f"({text})"


def _after_operator(text, level):
    """text as the right operand of a binary operator of that level (a leading minus is bracketed)."""
    return f"({text})" if precedence(text) < level or text.startswith("-") else text


def factor(text):
    """text ready to be one factor in ``a · b · c``: bracketed when a sum, a quotient or starting with a minus."""
    return f"({text})" if "/" in _top_level(text) else _after_operator(text, _PRODUCT)


def sum_text(a, b, sign="+"):
    """a + b (or a - b with sign="-"), b bracketed when it needs to be: ``x - (y + z)``."""
    return f"{a} {sign} {_after_operator(b, _SUM + (sign == '-'))}"


def product_text(a, b):
    """a·b, each bracketed when it binds less tightly than a product: ``(x + 1)·y``."""
    return f"{_grouped(a, _PRODUCT)}·{factor(b)}"


def quotient_text(a, b):
    """a/b, a bracketed when a sum, b when anything but an atom or a power: ``x/(2·y)``."""
    return f"{_grouped(a, _PRODUCT)}/{_after_operator(b, _NEGATION)}"


def negation_text(a):
    """-a, a bracketed unless it is an atom or a power: ``-(x + y)``, ``-x²``."""
    return f"-{_grouped(a, _POWER)}"


def power_text(base, exponent):
    """base to the power exponent: a superscript for 2 and 3, else ^."""
    base = _grouped(base, _ATOM)
    if exponent in _SUPERSCRIPTS:
        return base + _SUPERSCRIPTS[exponent]
    return f"{base}^{_grouped(exponent, _ATOM)}"


class Op:
    """Base class: one instance per kind of operation (or per exponent / slope / constant)."""

    name = "?"

    def forward(self, inputs):
        """The output (a float) for a tuple of input floats."""
        raise NotImplementedError

    def local_grads(self, inputs, out):
        """d out / d input for each input, as a tuple aligned with inputs."""
        raise NotImplementedError

    def formula(self, names):
        """How the output is written from its operands' names (or numbers), e.g. ``tanh(n)``."""
        return f"{self.name}({', '.join(names)})"

    def rule(self, i, names, out):
        """d out / d operand i written from the operands' names and the output's, e.g. ``1 - o²``."""
        raise NotImplementedError

    def mistakes(self, i, names, out):
        """How d out/d operand i is often gotten wrong: Mistakes, each with the wrong derivative as a
        Python expression over names (identifiers, or number literals) and out."""
        return ()

    def code(self, names, out):
        """(the output as a Python expression of the operands' names, (each local derivative, ...)).

        None: autograd.compile then calls ``forward`` and ``local_grads`` from its program.
        """
        return None

    def checks(self, names, out):
        """Where forward raises, and where a local derivative does not exist: ``Check``s, in the order
        forward tests them (none: the op always gives a number)."""
        return ()

    def __repr__(self):
        return f"<op {self.name}>"


class Mistake(namedtuple("Mistake", "id sentence code")):
    """One way a learner gets a local derivative wrong: an id, a sentence, the wrong derivative as Python.

    ``code`` is a plain Python expression (names, number literals, + - * / **, unary minus, calls
    to exp, log, tanh, sin, cos, sqrt) over the names the op was given, so the same text can be
    evaluated (autograd.diagnose) and translated to JavaScript for the walkthrough page.
    """

    __slots__ = ()


def _literal(x):
    """A finite constant as a Python literal that is one operand wherever it goes: 2.0, (-3.0)."""
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def _power_mistakes(x, n, lowered):
    """The power rule's usual mistakes for x ** n (lowered is n - 1 as an operand)."""
    return (Mistake("power-missing-factor", "the power rule brings the exponent down as a factor: you left it out",
                    f"{x}**{lowered}"),
            Mistake("power-not-lowered", "the power rule lowers the exponent by one: you kept it", f"{n} * {x}**{n}"))


def _exponent_mistakes(base, x, out):
    """The usual mistakes for d(base ** x)/dx = base ** x · log(base)."""
    return (Mistake("power-rule-for-exponent", "base^x is an exponential in x: its derivative is base^x·log(base), "
                    "not the power rule's x·base^(x - 1)", f"{x} * {base}**({x} - 1.0)"),
            Mistake("log-missing", "base^x has derivative base^x·log(base) with respect to x: you left out log(base)",
                    out))


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


def number_text(x):
    """A constant as an op name shows it: every digit, and no ".0" on a whole number (``2``, ``0.5``)."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def literal(x):
    """A float as a Python expression: every digit (repr), and inf, -inf and nan by name."""
    if x - x == 0.0:
        return repr(float(x))
    return "nan" if x != x else ("inf" if x > 0 else "-inf")


class Add(Op):
    """a + b."""

    name = "+"

    def forward(self, inputs):
        a, b = inputs
        out = a + b
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        return (1.0, 1.0)

    def formula(self, names):
        return sum_text(*names)

    def rule(self, i, names, out):
        return "1"

    def mistakes(self, i, names, out):
        return (Mistake("product-rule-for-sum", "you used the rule of a product, but a sum passes its gradient "
                        "to each term unchanged (its derivative is 1)", names[1 - i]),)

    def code(self, names, out):
        x, y = names
        return f"{x} + {y}", ("1.0", "1.0")

    def checks(self, names, out):
        return (_overflow(names, out),)


class Sub(Op):
    """a - b."""

    name = "-"

    def forward(self, inputs):
        a, b = inputs
        out = a - b
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        return (1.0, -1.0)

    def formula(self, names):
        return sum_text(*names, sign="-")

    def rule(self, i, names, out):
        return "1" if i == 0 else "-1"

    def mistakes(self, i, names, out):
        if i == 0:
            return ()
        return (Mistake("minus-dropped", "you dropped the minus: a - b has derivative -1 with respect to b", "1.0"),)

    def code(self, names, out):
        x, y = names
        return f"{x} - {y}", ("1.0", "-1.0")

    def checks(self, names, out):
        return (_overflow(names, out),)


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

    def formula(self, names):
        return product_text(*names)

    def rule(self, i, names, out):
        return names[1 - i]

    def mistakes(self, i, names, out):
        return (Mistake("own-value", "you used the factor itself, but a product's derivative with respect to one "
                        "factor is the other factor", names[i]),
                Mistake("value-for-derivative", "you used the product's value where its derivative (the other "
                        "factor) belongs", out),
                Mistake("sum-rule-for-product", "you used the rule of a sum (1), but a product's derivative with "
                        "respect to one factor is the other factor", "1.0"))

    def code(self, names, out):
        x, y = names
        return f"{x} * {y}", (y, x)

    def checks(self, names, out):
        return (_overflow(names, out),)


class Div(Op):
    """a / b (b must be non-zero)."""

    name = "/"

    def forward(self, inputs):
        a, b = inputs
        if b == 0:
            raise ZeroDivisionError(DIVISION_BY_ZERO)
        out = a / b
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        a, b = inputs
        return (1.0 / b, -out / b)  # d(a/b)/db = -a/b**2, written so it does not underflow

    def formula(self, names):
        return quotient_text(*names)

    def rule(self, i, names, out):
        a, b = names
        return quotient_text("1", b) if i == 0 else quotient_text(negation_text(out), b)

    def mistakes(self, i, names, out):
        a, b = names
        if i == 0:
            return (Mistake("quotient-as-product", "you multiplied by the denominator, but a/b has derivative 1/b "
                            "with respect to a", b),)
        return (Mistake("numerator-rule-for-denominator", "you used 1/b, the derivative with respect to the "
                        "numerator; with respect to the denominator it is -a/b²", f"1.0 / {b}"),
                Mistake("square-missing", "you left out the square: a/b has derivative -a/b² with respect to b",
                        f"-{a} / {b}"),
                Mistake("minus-dropped", "you dropped the minus: a/b has derivative -a/b² with respect to b",
                        f"{a} / {b}**2"))

    def code(self, names, out):  # Python's / raises ZeroDivisionError, as forward does
        x, y = names
        return f"{x} / {y}", (f"1.0 / {y}", f"-{out} / {y}")

    def checks(self, names, out):
        return (Check(f"{names[1]} == 0.0", "ZeroDivisionError", DIVISION_BY_ZERO), _overflow(names, out))


class Neg(Op):
    """-a."""

    name = "neg"

    def forward(self, inputs):
        (a,) = inputs
        return -a

    def local_grads(self, inputs, out):
        return (-1.0,)

    def formula(self, names):
        return negation_text(names[0])

    def rule(self, i, names, out):
        return "-1"

    def mistakes(self, i, names, out):
        return (Mistake("minus-dropped", "you dropped the minus: -a has derivative -1", "1.0"),)

    def code(self, names, out):
        return f"-{names[0]}", ("-1.0",)


class PowConst(Op):
    """x ** n for a plain-number exponent n: one parent, the base."""

    def __init__(self, exponent):
        self.exponent = exponent
        self.name = f"**{number_text(exponent)}"

    def forward(self, inputs):
        (x,) = inputs
        return power(x, self.exponent)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (power_base_grad(x, self.exponent),)

    def formula(self, names):
        return power_text(names[0], number_text(self.exponent))

    def rule(self, i, names, out):
        n = self.exponent
        if n == 0 or n == 1:
            return number_text(n)
        if n == 2:
            return product_text("2", names[0])
        return product_text(number_text(n), power_text(names[0], number_text(n - 1)))

    def mistakes(self, i, names, out):
        n = self.exponent
        if n == 0 or n == 1 or not math.isfinite(n):
            return ()
        return _power_mistakes(names[0], _literal(n), _literal(n - 1))

    def code(self, names, out):
        (x,), n = names, self.exponent
        if float(n).is_integer() and n > 1:  # no complex result, no special case at 0; ** raises on overflow
            return f"{x} ** {literal(n)}", (f"{literal(n)} * {x} ** {literal(n - 1)}",)
        return f"power({x}, {literal(n)})", (f"power_base_grad({x}, {literal(n)})",)

    def checks(self, names, out):
        return _power_checks(names[0], literal(self.exponent), out)


class Pow(Op):
    """x ** y where the exponent is a Value too: two parents, base and exponent."""

    name = "**"

    def forward(self, inputs):
        x, y = inputs
        return power(x, y)

    def local_grads(self, inputs, out):
        x, y = inputs
        return (power_base_grad(x, y), power_exponent_grad(x, y, out))

    def formula(self, names):
        return power_text(*names)

    def rule(self, i, names, out):
        x, y = names
        if i == 0:
            return product_text(y, power_text(x, sum_text(y, "1", sign="-")))
        return product_text(out, f"log({x})")

    def mistakes(self, i, names, out):
        x, y = names
        if i == 0:
            return _power_mistakes(x, y, f"({y} - 1.0)")
        return _exponent_mistakes(x, y, out)

    def code(self, names, out):
        x, y = names
        return f"power({x}, {y})", (f"power_base_grad({x}, {y})", f"power_exponent_grad({x}, {y}, {out})")

    def checks(self, names, out):
        x, y = names
        return _power_checks(x, y, out) + _exponent_checks(x, y, 1)


class ConstantBasePow(Op):
    """c ** x for a plain-number base c: one parent, the exponent."""

    def __init__(self, base):
        self.base = base
        self.name = f"{number_text(base)}**"

    def forward(self, inputs):
        (x,) = inputs
        return power(self.base, x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (power_exponent_grad(self.base, x, out),)

    def formula(self, names):
        return power_text(number_text(self.base), names[0])

    def rule(self, i, names, out):
        return product_text(out, f"log({number_text(self.base)})")

    def mistakes(self, i, names, out):
        return _exponent_mistakes(_literal(self.base), names[0], out) if math.isfinite(self.base) else ()

    def code(self, names, out):
        c = literal(self.base)
        return f"power({c}, {names[0]})", (f"power_exponent_grad({c}, {names[0]}, {out})",)

    def checks(self, names, out):
        c = literal(self.base)
        return _power_checks(c, names[0], out) + _exponent_checks(c, names[0], 0)


class WithConstant(Op):
    """A two-operand op (+ - * /) with one operand a plain number, which becomes part of the op.

    ``x * 2`` is one node with one parent, x, and the op "*2"; ``1 - x`` has the op "1-". Its
    forward and local derivative are the two-operand op's own, with the number filled in.
    """

    def __init__(self, op, constant, constant_first):
        self.op, self.constant, self.constant_first = op, constant, constant_first
        number = number_text(constant)
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

    def formula(self, names):
        return self.op.formula(self._texts(names[0]))

    def rule(self, i, names, out):
        return self.op.rule(1 if self.constant_first else 0, self._texts(names[0]), out)

    def mistakes(self, i, names, out):
        if not math.isfinite(self.constant):
            return ()
        constant = _literal(self.constant)
        operands = (constant, names[0]) if self.constant_first else (names[0], constant)
        return self.op.mistakes(1 if self.constant_first else 0, operands, out)

    def code(self, names, out):
        c = literal(self.constant)
        forward, locals_ = self.op.code((c, names[0]) if self.constant_first else (names[0], c), out)
        return forward, (locals_[1 if self.constant_first else 0],)

    def checks(self, names, out):
        c = literal(self.constant)
        own = 1 if self.constant_first else 0
        checks = self.op.checks((c, names[0]) if self.constant_first else (names[0], c), out)
        return tuple(check._replace(operand=0) if check.operand == own else check
                     for check in checks if check.operand in (None, own))

    def _texts(self, name):
        constant = number_text(self.constant)
        return (constant, name) if self.constant_first else (name, constant)


def power(x, n):
    """x ** n for floats, with the checks: a negative base needs an integer exponent, 0 ** -n is a
    division by zero, and a result too large for a float is an error."""
    if x < 0 and not float(n).is_integer():
        raise ValueError(COMPLEX_POWER)
    if x == 0 and n < 0:
        raise ZeroDivisionError(ZERO_TO_NEGATIVE_POWER)
    try:
        return x**n
    except OverflowError:
        raise OverflowError(TOO_LARGE) from None


def _power_checks(x, n, out):
    """power(x, n)'s checks, in its order, for x and n written as names or literals."""
    return (_domain(f"{x} < 0.0 and not is_integer({n})", COMPLEX_POWER),
            Check(f"{x} == 0.0 and {n} < 0.0", "ZeroDivisionError", ZERO_TO_NEGATIVE_POWER),
            _overflow((x, n), out))


def power_base_grad(x, n):
    """d(x**n)/dx = n * x**(n-1); exactly 0 for n = 0, and at x = 0 with n < 1 its limit (inf).

    A derivative too large for a float is recorded as +-inf, as PyTorch does: the forward value
    is fine, and only a backward pass through it would see the inf.
    """
    if _is_zero(n):
        return 0.0
    if _is_zero(x) and n <= 1:
        return 1.0 if n >= 1 else math.inf
    try:
        return n * x ** (n - 1)
    except OverflowError:  # only on floats: |x ** (n - 1)| is beyond the largest float
        negative = (n < 0) != (x < 0 and float(n - 1).is_integer() and (n - 1) % 2 == 1)
        return -math.inf if negative else math.inf


def power_exponent_grad(x, y, out):
    """d(x**y)/dy = x**y * log(x); it needs a base > 0, or 0 with y > 0 (where it is 0)."""
    if x < 0:
        return Undefined(EXPONENT_NEEDS_POSITIVE_BASE)
    if _is_zero(x):
        if y <= 0:
            return Undefined(EXPONENT_AT_ZERO)
        return 0.0
    return out * _log(x)


def _exponent_checks(x, y, operand):
    """Where power_exponent_grad(x, y, ...), the local derivative of that operand, does not exist."""
    return (Check(f"{x} < 0.0", "ValueError", EXPONENT_NEEDS_POSITIVE_BASE, operand),
            Check(f"{x} == 0.0 and {y} <= 0.0", "ValueError", EXPONENT_AT_ZERO, operand))


class Abs(Op):
    """|x|; its derivative at 0 is 0, as in PyTorch."""

    name = "abs"

    def forward(self, inputs):
        (x,) = inputs
        return abs(x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x >= 0 else math.nan,)  # x >= 0: x is 0, not nan

    def formula(self, names):
        return f"abs({names[0]})"

    def rule(self, i, names, out):
        return f"sign({names[0]})"

    def code(self, names, out):
        x = names[0]
        return f"abs({x})", (f"1.0 if {x} > 0.0 else -1.0 if {x} < 0.0 else 0.0 if {x} >= 0.0 else nan",)


class Exp(Op):
    """e ** x."""

    name = "exp"
    too_large = f"{TOO_LARGE} (exp needs x <= 709.78)"

    def forward(self, inputs):
        (x,) = inputs
        try:
            return math.exp(x)
        except OverflowError:
            raise OverflowError(self.too_large) from None

    def local_grads(self, inputs, out):
        return (out,)

    def formula(self, names):
        return f"exp({names[0]})"

    def rule(self, i, names, out):
        return out

    def mistakes(self, i, names, out):
        (x,) = names
        return (Mistake("derivative-at-output", "exp's derivative is its output, e to the x; you put in its input x",
                        x),
                Mistake("power-rule-for-exp", "e to the x is not a power of x: its derivative is itself, not the "
                        "power rule's x·e^(x - 1)", f"{x} * exp({x} - 1.0)"))

    def code(self, names, out):  # math.exp raises OverflowError, as forward does
        return f"exp({names[0]})", (out,)

    def checks(self, names, out):
        return (_overflow(names, out, self.too_large),)


class Log(Op):
    """The natural logarithm (x > 0)."""

    name = "log"
    outside = "log is only defined for inputs > 0"

    def forward(self, inputs):
        (x,) = inputs
        if x <= 0:
            raise ValueError(self.outside)
        return math.log(x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (1.0 / x,)

    def formula(self, names):
        return f"log({names[0]})"

    def rule(self, i, names, out):
        return quotient_text("1", names[0])

    def mistakes(self, i, names, out):
        (x,) = names
        return (Mistake("value-for-derivative", "you used log's output where its derivative 1/x belongs", out),
                Mistake("reciprocal-missing", "log(x) has derivative 1/x: you used x", x))

    def code(self, names, out):  # math.log raises ValueError at x <= 0, as forward does
        return f"log({names[0]})", (f"1.0 / {names[0]}",)

    def checks(self, names, out):
        return (_domain(f"{names[0]} <= 0.0", self.outside),)


class Log1p(Op):
    """log(1 + x) (x > -1), exact even where 1 + x would round away a tiny x."""

    name = "log1p"
    outside = "log1p is only defined for inputs > -1"

    def forward(self, inputs):
        (x,) = inputs
        if x <= -1:
            raise ValueError(self.outside)
        return math.log1p(x)

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (1.0 / (1.0 + x),)

    def formula(self, names):
        return f"log({sum_text('1', names[0])})"

    def rule(self, i, names, out):
        return quotient_text("1", sum_text("1", names[0]))

    def code(self, names, out):
        return f"log1p({names[0]})", (f"1.0 / (1.0 + {names[0]})",)

    def checks(self, names, out):
        return (_domain(f"{names[0]} <= -1.0", self.outside),)


class Tanh(Op):
    """tanh(x)."""

    name = "tanh"

    def forward(self, inputs):
        (x,) = inputs
        return math.tanh(x)  # math.tanh saturates to +-1 without overflow

    def local_grads(self, inputs, out):
        return (1.0 - out * out,)

    def formula(self, names):
        return f"tanh({names[0]})"

    def rule(self, i, names, out):
        return sum_text("1", power_text(out, "2"), sign="-")

    def mistakes(self, i, names, out):
        (x,) = names
        return (Mistake("value-for-derivative", "you used tanh's output o where its derivative 1 - o² belongs", out),
                Mistake("derivative-at-output", "tanh's derivative 1 - o² is written with its output o; you put in "
                        "its input", f"1.0 - {x}**2"))

    def code(self, names, out):
        return f"tanh({names[0]})", (f"1.0 - {out} * {out}",)


class Sigmoid(Op):
    """1 / (1 + e ** -x), without overflow for any x."""

    name = "sigmoid"

    def forward(self, inputs):
        return sigmoid(inputs[0])

    def local_grads(self, inputs, out):
        return (out * (1.0 - out),)

    def formula(self, names):
        return f"sigmoid({names[0]})"

    def rule(self, i, names, out):
        return product_text(out, sum_text("1", out, sign="-"))

    def mistakes(self, i, names, out):
        (x,) = names
        return (Mistake("value-for-derivative", "you used sigmoid's output σ where its derivative σ·(1 - σ) belongs",
                        out),
                Mistake("derivative-at-output", "sigmoid's derivative σ·(1 - σ) is written with its output σ; you "
                        "put in its input", f"{x} * (1.0 - {x})"),
                Mistake("factor-missing", "sigmoid's derivative is σ·(1 - σ): you kept only 1 - σ",
                        f"1.0 - {out}"))

    def code(self, names, out):
        return f"sigmoid({names[0]})", (f"{out} * (1.0 - {out})",)


class Softplus(Op):
    """log(1 + e ** x), without overflow for any x; its derivative is sigmoid(x), also at 0."""

    name = "softplus"

    def forward(self, inputs):
        (x,) = inputs
        return x + math.log1p(math.exp(-x)) if x >= 0 else math.log1p(math.exp(x))

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (sigmoid(x) if type(x) is float else x.sigmoid(),)

    def formula(self, names):
        return f"softplus({names[0]})"

    def rule(self, i, names, out):
        return f"sigmoid({names[0]})"

    def code(self, names, out):
        x = names[0]
        return f"{x} + log1p(exp(-{x})) if {x} >= 0.0 else log1p(exp({x}))", (f"sigmoid({x})",)


class Relu(Op):
    """max(0, x); nan stays nan."""

    name = "relu"

    def forward(self, inputs):
        (x,) = inputs
        return 0.0 if x <= 0 else x

    def local_grads(self, inputs, out):
        (x,) = inputs
        return (1.0 if x > 0 else 0.0,)  # 0 at x == 0, as in PyTorch

    def formula(self, names):
        return f"relu({names[0]})"

    def rule(self, i, names, out):
        return f"[{names[0]} > 0]"

    def mistakes(self, i, names, out):
        return (Mistake("value-for-derivative", "you used relu's output where its derivative (1 for an input > 0, "
                        "else 0) belongs", out),
                Mistake("relu-always-one", "relu's derivative is 0 where its input is ≤ 0: you passed the gradient "
                        "through", "1.0"))

    def code(self, names, out):
        x = names[0]
        return f"0.0 if {x} <= 0.0 else {x}", (f"1.0 if {x} > 0.0 else 0.0",)


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

    def formula(self, names):
        return f"leaky_relu({names[0]}, {number_text(self.slope)})"

    def rule(self, i, names, out):
        return f"[{names[0]} > 0] + " + product_text(number_text(self.slope), f"[{names[0]} ≤ 0]")

    def code(self, names, out):
        x, slope = names[0], literal(self.slope)
        return f"{x} if {x} > 0.0 else {slope} * {x}", (f"1.0 if {x} > 0.0 else {slope}",)


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

    def formula(self, names):
        return f"sin({names[0]})"

    def rule(self, i, names, out):
        return f"cos({names[0]})"

    def mistakes(self, i, names, out):
        return (Mistake("value-for-derivative", "you used sin's output where its derivative cos(x) belongs", out),)

    def code(self, names, out):  # math.sin raises ValueError at +-inf, as forward does
        return f"sin({names[0]})", (f"cos({names[0]})",)

    def checks(self, names, out):
        return (_domain(f"isinf({names[0]})", _infinite_input(self.name)),)


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

    def formula(self, names):
        return f"cos({names[0]})"

    def rule(self, i, names, out):
        return f"-sin({names[0]})"

    def mistakes(self, i, names, out):
        (x,) = names
        return (Mistake("minus-dropped", "you dropped the minus: cos(x) has derivative -sin(x)", f"sin({x})"),
                Mistake("value-for-derivative", "you used cos's output where its derivative -sin(x) belongs", out))

    def code(self, names, out):
        return f"cos({names[0]})", (f"-sin({names[0]})",)

    def checks(self, names, out):
        return (_domain(f"isinf({names[0]})", _infinite_input(self.name)),)


class Sqrt(Op):
    """The square root (x >= 0)."""

    name = "sqrt"
    outside = "sqrt is only defined for inputs >= 0"

    def forward(self, inputs):
        (x,) = inputs
        if x < 0:
            raise ValueError(self.outside)
        return math.sqrt(x)

    def local_grads(self, inputs, out):
        return (math.inf if _is_zero(out) else 0.5 / out,)

    def formula(self, names):
        return f"sqrt({names[0]})"

    def rule(self, i, names, out):
        return quotient_text("1", product_text("2", out))

    def mistakes(self, i, names, out):
        return (Mistake("half-missing", "sqrt(x) has derivative 1/(2·sqrt(x)): you left out the 2", f"1.0 / {out}"),
                Mistake("value-for-derivative", "you used sqrt's output where its derivative 1/(2·sqrt(x)) belongs",
                        out))

    def code(self, names, out):  # math.sqrt raises ValueError below 0, as forward does
        return f"sqrt({names[0]})", (f"0.5 / {out} if {out} != 0.0 else inf",)

    def checks(self, names, out):
        return (_domain(f"{names[0]} < 0.0", self.outside),)


class Sum(Op):
    """sum(values) as one node: the local derivative is 1 for every input."""

    name = "sum"

    def forward(self, inputs):
        out = _left_to_right_sum(inputs)
        return out if out - out == 0.0 else _unless_overflow(out, inputs)

    def local_grads(self, inputs, out):
        return (1.0,) * len(inputs)

    def formula(self, names):
        return " + ".join([*names[:1], *(_after_operator(name, _SUM) for name in names[1:])])

    def rule(self, i, names, out):
        return "1"

    def code(self, names, out):
        forward = " + ".join(["0.0", *names]) if len(names) <= INLINE_TERMS else f"total({', '.join(names)})"
        return forward, ("1.0",) * len(names)

    def checks(self, names, out):
        return (_overflow(names, out),)


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

    def formula(self, names):
        n = self.n
        terms = [product_text(w, x) for w, x in zip(names[:n], names[n : 2 * n])]
        terms += names[2 * n :]  # the bias
        return " + ".join([*terms[:1], *(_after_operator(term, _SUM) for term in terms[1:])])

    def rule(self, i, names, out):
        n = self.n
        return names[i + n] if i < n else names[i - n] if i < 2 * n else "1"

    def code(self, names, out):
        n = self.n
        ws, xs, bias = names[:n], names[n : 2 * n], names[2 * n :]
        if n <= INLINE_PRODUCTS:
            forward = " + ".join(["0.0", *(f"{w} * {x}" for w, x in zip(ws, xs))])
        else:
            forward = f"dot({', '.join(names[: 2 * n])})"
        forward += f" + {bias[0]}" if bias else ""
        return forward, (*xs, *ws, *("1.0",) * len(bias))

    def checks(self, names, out):
        return (_overflow(names, out),)


class Max(Op):
    """The largest of its operands as one node; the derivative is 1 for the first operand equal to
    the maximum and 0 for the rest (PyTorch's max_pool2d and max(dim) do the same on a tie;
    amax would split it). With a nan among the operands the maximum is nan and the first nan
    gets the derivative, as in PyTorch."""

    name = "max"

    def forward(self, inputs):
        return maximum(*inputs)

    def local_grads(self, inputs, out):
        grads = [0.0] * len(inputs)
        for i, x in enumerate(inputs):  # compared with < <= > >=, so a trace records guards on Values
            if (x <= out and x >= out) or not x <= x:
                grads[i] = 1.0
                break
        return tuple(grads)

    def formula(self, names):
        return f"max({', '.join(names)})"

    def rule(self, i, names, out):
        return f"[{names[i]} = {out}]" if i == 0 else f"[{names[i]} = {out}, first]"

    def code(self, names, out):
        if len(names) > INLINE_TERMS:  # each derivative names the operands before it
            return None
        hits = [f"{x} == {out} or {x} != {x}" for x in names]
        locals_ = [f"1.0 if {hits[0]} else 0.0"]
        locals_ += [f"1.0 if ({hit}) and not ({' or '.join(hits[:i])}) else 0.0" for i, hit in enumerate(hits[1:], 1)]
        return f"maximum({', '.join(names)})", tuple(locals_)


class Detach(Op):
    """A stop-gradient: the value of its operand, with derivative 0 (PyTorch's detach)."""

    name = "detach"

    def forward(self, inputs):
        return inputs[0]

    def local_grads(self, inputs, out):
        return (0.0,)

    def formula(self, names):
        return f"detach({names[0]})"

    def rule(self, i, names, out):
        return "0"

    def code(self, names, out):
        return names[0], ("0.0",)


def _loop_sum(numbers, start=0.0):
    total = start
    for x in numbers:
        total += x
    return total


# A sum that equals the chain ((x1 + x2) + x3) + ... to the last bit, so a dot or sum node
# gives exactly what the same graph of + nodes gives. The built-in sum() does that, faster,
# before Python 3.12; from 3.12 it compensates rounding errors, so there we loop.
def _builtin_sum(numbers, start=0.0):
    return sum(numbers, start)


_left_to_right_sum = _builtin_sum if sys.version_info < (3, 12) else _loop_sum


# ---- the functions that ops' code calls (CODE_HELPERS lists them all) ------------------------

INLINE_TERMS = 32  # a sum of more terms is written total(a, b, ...), not a + b + ...
INLINE_PRODUCTS = 16  # a dot of more terms is written dot(w1, ..., wn, x1, ..., xn), not w1 * x1 + ...


def sigmoid(x):
    """1 / (1 + e ** -x) for a float, without overflow for any x."""
    if x >= 0:  # exp of a non-positive number never overflows
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def total(*terms):
    """terms[0] + terms[1] + ... summed left to right from 0.0, as the sum op does."""
    return _left_to_right_sum(terms)


def dot(*ws_then_xs):
    """w_1*x_1 + ... + w_n*x_n summed left to right from 0.0 for the 2n arguments w_1..w_n, x_1..x_n."""
    n = len(ws_then_xs) // 2
    return _left_to_right_sum(map(mul, ws_then_xs[:n], ws_then_xs[n:]))


def sum_of_products(xs, ys, start=0.0):
    """start + x_1*y_1 + ... + x_n*y_n summed left to right, for two sequences (a program's shared tuples)."""
    return _left_to_right_sum(map(mul, xs, ys), start)


# sum(map(mul, xs, ys), start) is sum_of_products(xs, ys, start) without a Python call, before
# Python 3.12 (from 3.12, sum() compensates rounding errors and is not the left-to-right sum).
SUM_OF_PRODUCTS = "sum(map(mul, {0}, {1}), {2})" if _left_to_right_sum is _builtin_sum else "sum_of_products({0}, {1}, {2})"


def maximum(*xs):
    """The largest of xs, the first of equal ones (max(0.0, -0.0) is 0.0); nan when any is nan."""
    return math.nan if any(map(math.isnan, xs)) else max(xs)


# The helpers that are math's own (a program imports them from math, the rest from here).
MATH_HELPERS = ("exp", "log", "log1p", "tanh", "sin", "cos", "sqrt", "isfinite", "inf", "nan")

# Every name the expressions of ops' code() use besides operand names, and the lines that
# autograd.compile writes around them (isfinite, sum_of_products): what a program needs to run.
CODE_HELPERS = {
    **{name: getattr(math, name) for name in MATH_HELPERS},
    "abs": abs,
    "power": power,
    "power_base_grad": power_base_grad,
    "power_exponent_grad": power_exponent_grad,
    "sigmoid": sigmoid,
    "maximum": maximum,
    "total": total,
    "dot": dot,
    "sum_of_products": sum_of_products,
    "mul": mul,
}


def finite(*xs):
    """True when every x is a finite number (not inf, not nan)."""
    return all(map(math.isfinite, xs))


def is_integer(x):
    """True when the float x is a whole number (not inf, not nan)."""
    return float(x).is_integer()


# The names checks() use besides CODE_HELPERS: the page's runtime provides both.
CHECK_HELPERS = {"isinf": math.isinf, "finite": finite, "is_integer": is_integer}


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
ABS, EXP, LOG, LOG1P, TANH, SIGMOID, SOFTPLUS, RELU = Abs(), Exp(), Log(), Log1p(), Tanh(), Sigmoid(), Softplus(), Relu()
SIN, COS, SQRT, SUM, MAX, DETACH = Sin(), Cos(), Sqrt(), Sum(), Max(), Detach()
