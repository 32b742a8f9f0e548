"""A tiny expression language for the CLI, parsed with a whitelist and never run as Python.

>>> from autograd.expression import parse
>>> expr = parse("tanh(x1*w1 + x2*w2 + b)")
>>> expr.variables
('x1', 'w1', 'x2', 'w2', 'b')
>>> root, leaves = expr.build({"x1": 2, "w1": -3, "x2": 0, "w2": 1, "b": 6.8813735870195432})
>>> round(root.data, 6), root.label
(0.707107, 'tanh(x1*w1 + x2*w2 + b)')

Python's own parser (``ast.parse`` in ``mode="eval"``) turns the text into a syntax tree; this
module then walks that tree and accepts only these kinds of node: numbers, names, ``+ - * /
**``, unary minus and plus, and calls of the engine's functions with one argument. Anything
else is an ExpressionError that points at the offending part. Nothing is ever evaluated by
Python: the Value graph is built by walking the accepted tree.
"""

import ast
import math
import warnings

from autograd.engine import Value

FUNCTIONS = {
    "exp": Value.exp,
    "log": Value.log,
    "log1p": Value.log1p,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "sin": Value.sin,
    "cos": Value.cos,
    "sqrt": Value.sqrt,
    "abs": Value.__abs__,
}
MAX_LENGTH = 10_000
MAX_LABEL = 32  # inner nodes are labelled with their source text when it is at most this long

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_OTHER_OPERATORS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
}
_DESCRIPTIONS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript ([...])",
    ast.Lambda: "a lambda",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "an if/else expression",
    ast.Tuple: "a tuple (a comma)",
    ast.List: "a list",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "the := operator",
    ast.JoinedStr: "an f-string",
    ast.Starred: "a starred argument (*)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
}
_ALLOWED = "numbers, variable names, + - * / **, unary minus, parentheses and calls of " + ", ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """The expression cannot be used: the message says what is wrong and at which column."""

    def __init__(self, message, source="", column=None, width=1):
        self.reason = message
        self.source = source
        self.column = column  # 1-based, or None when the problem has no single place
        self.width = max(1, width)
        super().__init__(f"column {column}: {message}" if column else message)

    @property
    def pointer(self):
        """Two lines: the expression and a caret line under the offending part ("" if no place)."""
        if not self.column or not self.source:
            return ""
        return f"  {self.source}\n  {' ' * (self.column - 1)}{'^' * self.width}"


class Expression:
    """A parsed, checked expression: its variable names and how to build its Value graph."""

    def __init__(self, text, tree, variables):
        self.text = text
        self._tree = tree
        self.variables = variables

    def __repr__(self):
        return f"Expression({self.text!r}, variables={self.variables!r})"

    def build(self, values):
        """Build the graph for these variable values: returns (root Value, {name: leaf Value}).

        A variable used twice is one leaf, so its gradient collects both uses. Domain errors
        from the engine (log of a negative number, division by zero) propagate unchanged.
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise ValueError(f"no value given for {_names(missing)}")
        extra = [name for name in values if name not in self.variables]
        if extra:
            used = _names(self.variables) if self.variables else "no variables"
            raise ValueError(f"{_names(extra)} not in the expression (it uses {used})")
        leaves = {name: Value(values[name], label=name) for name in self.variables}
        return _build(self._tree, self.text, leaves), leaves


def parse(text):
    """Parse and check ``text``; returns an Expression or raises ExpressionError."""
    if not isinstance(text, str):
        raise TypeError(f"parse needs the expression as a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})")
    # One line, so columns and the caret line are meaningful; outer spaces are not part of it.
    source = "".join(" " if c.isspace() else c for c in text).strip()
    if not source:
        raise ExpressionError("the expression is empty")
    if "\x00" in source:
        raise ExpressionError("the expression contains a NUL character", source, source.index("\x00") + 1)
    try:
        with warnings.catch_warnings():  # "1if x" and the like warn; the error or result is enough
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval").body
    except SyntaxError as error:
        column = min(max(error.offset or 1, 1), len(source))
        raise ExpressionError(_reason(error), source, column) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    except ValueError as error:  # e.g. a number literal with more than 4300 digits
        raise ExpressionError(f"invalid expression ({error})") from None
    return Expression(source, tree, _check(tree, source))


def _reason(error):
    """Python's message for a syntax error, reworded where it talks about Python statements."""
    message = error.msg
    if "'(' was never closed" in message or "was never closed" in message:
        return "invalid syntax: a bracket is never closed"
    if message.startswith("unmatched"):
        return "invalid syntax: a closing bracket has no opening one"
    if message.startswith("Maybe you meant '==' or ':=' instead of '='"):
        return "invalid syntax: '=' is not allowed in the expression; give values as separate arguments like x=2"
    message = message.rstrip(".")
    return message if message.startswith("invalid syntax") else f"invalid syntax: {message}"


def _check(tree, source):
    """Walk the tree (iteratively), reject every node outside the whitelist; return the names."""
    names = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                _reject_operator(node, source)
            stack += [node.right, node.left]
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                symbol = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
                raise _error(f"the operator {symbol} is not supported; use {_ALLOWED}", node, source, 0, len(symbol))
            stack.append(node.operand)
        elif isinstance(node, ast.Constant):
            _number_of(node, source)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise _error(f"{node.id} is a function: call it, as in {node.id}(x)", node, source)
            names.setdefault(node.id, None)
        elif isinstance(node, ast.Call):
            stack.append(_check_call(node, source))
        else:
            what = _DESCRIPTIONS.get(type(node), f"a {type(node).__name__} expression")
            if isinstance(node, ast.Attribute):
                where = _attribute_start(node, source)
                raise ExpressionError(
                    f"attribute access (.{node.attr}) is not allowed; use {_ALLOWED}",
                    source, where + 1, len(node.attr) + 1,
                )
            raise _error(f"{what} is not allowed; use {_ALLOWED}", node, source)
    return tuple(names)


def _check_call(node, source):
    """A call must be FUNCTION(one argument); returns the argument to check next."""
    if not isinstance(node.func, ast.Name):
        # Report on the callee itself: in "f(1).g(x)" the problem is the attribute access.
        if isinstance(node.func, (ast.Attribute, ast.Subscript, ast.Lambda)):
            _check(node.func, source)
        raise _error(f"only the named functions can be called ({', '.join(FUNCTIONS)})", node.func, source)
    name = node.func.id
    if name not in FUNCTIONS:
        raise _error(f"unknown function {name!r}; the functions are {', '.join(FUNCTIONS)}", node.func, source)
    if node.keywords:
        raise _error(f"{name} takes no keyword arguments", node.keywords[0].value, source)
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise _error(f"{name} takes no starred (*) arguments", node, source)
    if len(node.args) != 1:
        raise _error(f"{name} takes exactly one argument, got {len(node.args)}", node, source)
    return node.args[0]


def _number_of(node, source):
    """The float of a number literal; rejects bool, None, strings, complex and non-finite."""
    value = node.value
    if isinstance(value, bool) or value is None or value is Ellipsis:
        raise _error(f"{value!r} is not a number; use {_ALLOWED}", node, source)
    if isinstance(value, (str, bytes)):
        raise _error(f"strings are not allowed; use {_ALLOWED}", node, source)
    if isinstance(value, complex):
        raise _error("complex numbers are not allowed; the engine works with real numbers", node, source)
    if not isinstance(value, (int, float)):
        raise _error(f"{type(value).__name__} constants are not allowed", node, source)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _error("the number is too large for a float", node, source)
    return number


def _build(tree, source, leaves):
    """Turn the checked tree into Values, post-order and without recursion."""
    done = {}
    stack = [(tree, False)]
    while stack:
        node, children_done = stack.pop()
        if isinstance(node, ast.Name):
            done[node] = leaves[node.id]
            continue
        if isinstance(node, ast.Constant):
            done[node] = Value(_number_of(node, source))  # unlabelled: the picture shows it as a constant
            continue
        children = _children(node)
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        if isinstance(node, ast.BinOp):
            exponent = _literal_exponent(node, source)
            left = done[node.left]
            if exponent is not None:
                value = left**exponent
            else:
                right = done[node.right]
                value = _apply_binary(type(node.op), left, right)
        elif isinstance(node, ast.UnaryOp):
            operand = done[node.operand]
            value = -operand if isinstance(node.op, ast.USub) else operand
        else:
            value = FUNCTIONS[node.func.id](done[node.args[0]])
        if value.op and not value.label:
            value.label = _label(node, source)
        done[node] = value
    return done[tree]


def _children(node):
    if isinstance(node, ast.BinOp):
        return [node.left] if _literal_exponent(node, None) is not None else [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    return [node.args[0]]


def _apply_binary(op_type, left, right):
    if op_type is ast.Add:
        return left + right
    if op_type is ast.Sub:
        return left - right
    if op_type is ast.Mult:
        return left * right
    if op_type is ast.Div:
        return left / right
    return left**right


def _literal_exponent(node, source):
    """For x ** NUMBER (or x ** -NUMBER) the plain number, so the engine makes a "**n" node."""
    if not isinstance(node.op, ast.Pow):
        return None
    exponent, sign = node.right, 1.0
    while isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(exponent.op, ast.USub) else sign
        exponent = exponent.operand
    if isinstance(exponent, ast.Constant):
        return sign * _number_of(exponent, source)
    return None


def _label(node, source):
    """A call keeps its text, "tanh(x)"; others get brackets, "(x1*w1)", so "(x1*w1).grad" reads right."""
    text = _segment(node, source)
    if text and not isinstance(node, ast.Call):
        text = f"({text})" if len(text) + 2 <= MAX_LABEL else ""
    return text


def _segment(node, source):
    """The node's source text with spaces collapsed, or "" when it is too long to be a label."""
    if node.end_col_offset - node.col_offset > 4 * MAX_LABEL:  # ast counts UTF-8 bytes
        return ""
    raw = source.encode("utf-8")[node.col_offset : node.end_col_offset].decode("utf-8", errors="ignore")
    text = " ".join(raw.split())
    return text if len(text) <= MAX_LABEL else ""


def _column(source, byte_offset):
    """ast counts columns in UTF-8 bytes; the caret needs characters."""
    return len(source.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _error(message, node, source, shift=0, width=None):
    start = _column(source, node.col_offset) + shift
    end = _column(source, node.end_col_offset) if node.end_col_offset is not None else start + 1
    return ExpressionError(message, source, start + 1, width or max(1, end - start))


def _attribute_start(node, source):
    """The column (0-based) of the '.' before the attribute name."""
    end = _column(source, node.end_col_offset)
    dot = source.rfind(".", 0, end - len(node.attr) + 1)
    return dot if dot >= 0 else end - len(node.attr)


def _reject_operator(node, source):
    """Point at the operator between the two operands of a BinOp."""
    symbol = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
    start = _column(source, node.left.end_col_offset)
    stop = _column(source, node.right.col_offset)
    found = source.find(symbol, start, stop)
    column = found if found >= 0 else start
    raise ExpressionError(f"the operator {symbol} is not supported; use {_ALLOWED}", source, column + 1, len(symbol))


def _names(names):
    return ", ".join(names)
