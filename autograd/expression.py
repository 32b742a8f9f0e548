"""A tiny language for the CLI, parsed with a whitelist and never run as Python.

>>> from autograd.expression import parse
>>> expr = parse("tanh(x1*w1 + x2*w2 + b)")
>>> expr.variables
('x1', 'w1', 'x2', 'w2', 'b')
>>> root, leaves = expr.build({"x1": 2, "w1": -3, "x2": 0, "w2": 1, "b": 6.8813735870195432})
>>> round(root.data, 6), root.label
(0.707107, 'out')

A program is a sequence of statements ``name = expression``, separated by ``;`` or newlines,
with ``#`` comments; the last statement (which may also be a bare expression) is the output.
Each name labels its node, and a name used twice is one node:

>>> program = parse("z = w*x + b; a = sigmoid(z); L = 0.5*(a - y)**2")
>>> program.variables, program.names
(('w', 'x', 'b', 'y'), ('z', 'a', 'L'))
>>> root, leaves = program.build({"w": 0.6, "x": 1.5, "b": -0.2, "y": 1})
>>> root.label, round(root.data, 7)
('L', 0.0550497)

Python's own parser (``ast.parse``) turns the text into a syntax tree; this module then walks
that tree and accepts only these kinds of node: assignments to one new name, numbers, names,
``+ - * / **``, unary minus and plus, and calls of the engine's functions with one argument.
Anything else is an ExpressionError that points at the statement, line and column. Nothing is
ever evaluated by Python: the Value graph is built by walking the accepted tree, and numbers
are folded into the ops that use them, as the library does (``1 + x`` is one node, op ``1+``).
"""

import ast
import math
import unicodedata
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
MATH_FUNCTIONS = tuple(name for name in FUNCTIONS if hasattr(math, name))  # math.exp(x) is read as exp(x)
LIBRARIES = {"math", "np", "numpy", "torch", "F", "jnp", "tf"}  # in np.exp() the name is a library's, not a value's
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
    """The program cannot be used: the message says what is wrong and where (statement, line, column)."""

    def __init__(self, message, source="", column=None, width=1, statement=None, line=None):
        self.reason = message
        self.source = source  # the line the problem is on, as typed
        self.column = column  # 1-based, or None when the problem has no single place
        self.width = max(1, width)
        self.statement = statement  # 1-based, or None in a one-statement program
        self.line = line  # 1-based, or None in a one-line program
        where = []
        if statement:
            where.append(f"statement {statement}")
        if line:
            where.append(f"line {line}")
        if column:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)

    @property
    def pointer(self):
        """Two lines: the line of the program and a caret line under the offending part ("" if no place)."""
        if not self.column or not self.source:
            return ""
        shown = "".join(c if c.isprintable() else "?" for c in self.source)  # never a raw control character
        return f"  {shown}\n  {' ' * (self.column - 1)}{'^' * self.width}"


class Statement:
    """One statement of a program: the name it assigns ("" for a bare last expression), its text and line."""

    def __init__(self, name, text, line, tree, new_variables=(), uses=()):
        self.name = name
        self.text = text
        self.line = line
        self._tree = tree
        self.new_variables = tuple(new_variables)  # the variables this statement is the first to use
        self.uses = tuple(uses)  # every name it reads, variables and earlier statements

    @property
    def constant(self):
        """True for a statement that gives a number (w5 = 0.40): a value the command line may replace."""
        return not self.uses

    def __repr__(self):
        return f"Statement({self.name!r}, {self.text!r}, line={self.line})"


class Expression:
    """A parsed, checked program: its statements, its free variables and how to build its Value graph."""

    def __init__(self, text, statements, variables, source):
        self.text = text
        self.statements = statements
        self.variables = variables
        self._source = source

    @property
    def respelled(self):
        """{name as typed: name as Python reads it} for the names typed in another spelling (ℌ: H)."""
        return dict(self._source.respelled)

    @property
    def names(self):
        """The names the statements assign, in order."""
        return tuple(statement.name for statement in self.statements if statement.name)

    @property
    def output(self):
        """The output's name: the last statement's name, "out" for a computed bare expression."""
        last = self.statements[-1]
        if last.name:
            return last.name
        tree = last._tree
        return tree.id if isinstance(tree, ast.Name) else "out"

    def __repr__(self):
        return f"Expression({self.text!r}, variables={self.variables!r})"

    def build(self, values):
        """Build the graph for these variable values: returns (root Value, {name: leaf Value}).

        The leaves are in the order the program first mentions them; see build_named for the
        value of every statement too.
        """
        root, leaves, _ = self.build_named(values)
        return root, leaves

    def build_named(self, values):
        """Build the graph; returns (root Value, {name: leaf Value}, {statement name: its Value}).

        A variable used twice is one leaf, and a statement's name used twice is one node, so
        gradients collect every use. A statement whose value is a plain number (``w = 0.6``)
        makes a leaf with that value, or with the one in ``values`` when it has one (a teacher
        changes one number of a worked example). Domain errors from the engine (log of a negative number,
        division by zero) propagate with their type; in a program of several statements the
        message starts with the statement they came from.
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise ValueError(f"no value given for {_names(missing)}")
        assigned = {statement.name: statement for statement in self.statements if statement.name}
        for name in values:
            if name in assigned and not assigned[name].constant:
                statement = assigned[name]
                numbers = [s.name for s in self.statements if s.name and s.constant]
                allowed = f" (here {_names(numbers)})" if numbers else ""
                raise ValueError(f"{name} is computed by the program ({name} = {statement.text}), so it cannot be "
                                 f"given a value; NAME=NUMBER gives a variable its value or replaces a number the "
                                 f"program names{allowed}")
        extra = [name for name in values if name not in self.variables and name not in assigned]
        if extra:
            used = _names(self.variables) if self.variables else "no variables"
            raise ValueError(f"{_names(extra)} not in the expression (it uses {used})")
        variables = {name: Value(values[name], label=name) for name in self.variables}
        env, leaves, named = dict(variables), {}, {}
        value = None
        for number, statement in enumerate(self.statements, 1):
            leaves.update((name, variables[name]) for name in statement.new_variables)
            try:
                if statement.constant and statement.name in values:  # w5=0.5 replaces the program's w5 = 0.40
                    value = float(values[statement.name])
                else:
                    value = _build(statement._tree, self._source, env)
            except (ValueError, ArithmeticError) as error:
                if len(self.statements) == 1:
                    raise
                raise _in_statement(error, number, statement) from None
            if isinstance(value, float):  # a number: a leaf with that value ("w = 0.6", or "3 * 4")
                value = Value(value, label=statement.name or "out")
                if statement.name:
                    leaves[statement.name] = value
            elif statement.name:
                value.label = statement.name  # (never a leaf or a named node: the check refused "c = a")
            elif value.op and not any(value is node for node in env.values()):
                value.label = "out"
            if statement.name:
                env[statement.name] = named[statement.name] = value
        return value, leaves, named


def _in_statement(error, number, statement):
    """The engine's error (log of a negative number, ...), saying which statement it came from."""
    where = f"statement {number} ({statement.name + ' = ' if statement.name else ''}{statement.text}): "
    try:
        return type(error)(where + str(error))
    except Exception:  # an exception type that wants other arguments: keep it as it is
        return error


class _Source:
    """The program's lines, for columns and carets: ast counts UTF-8 bytes, people count characters."""

    def __init__(self, lines, indents):
        self.lines = lines  # as typed (whitespace made plain spaces)
        self.indents = indents  # leading spaces removed from each line before Python read it
        self.statements = 1
        self.respelled = {}  # {name as typed: name as Python reads it} where the two differ (ℌ: H)

    def place(self, node, statement, line=None, shift=0, width=None):
        """(line text, column, width, statement, line) for ExpressionError, pointing at node."""
        lineno = getattr(node, "lineno", line) or 1
        text = self.lines[lineno - 1]
        start = self.column(lineno, node.col_offset) + shift
        if width is None:
            same_line = getattr(node, "end_lineno", lineno) == lineno and node.end_col_offset is not None
            end = self.column(lineno, node.end_col_offset) if same_line else len(text)
            width = max(1, end - start)
        return text, start + 1, width, *self.where(statement, lineno)

    def column(self, lineno, byte_offset):
        """The 0-based character column in the typed line of a byte offset in the line Python read."""
        read = self.lines[lineno - 1][self.indents[lineno - 1]:]
        return self.indents[lineno - 1] + len(read.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))

    def where(self, statement, lineno):
        """(statement, line) as ExpressionError shows them: each only when there is more than one."""
        return (statement if self.statements > 1 else None), (lineno if len(self.lines) > 1 else None)

    def note_spelling(self, node, name):
        """Remember how a name node was typed when Python reads it differently (NFKC: ℌ is H)."""
        if node.lineno == node.end_lineno:
            typed = self.lines[node.lineno - 1][self.column(node.lineno, node.col_offset):
                                                self.column(node.lineno, node.end_col_offset)]
            if typed != name:
                self.respelled.setdefault(typed, name)

    def segment(self, node):
        """The node's text as Python reads it: comments and line-ending backslashes dropped, spaces
        collapsed, names in Python's spelling (NFKC: ℌ is H). No strings can reach here."""
        first, last = node.lineno - 1, node.end_lineno - 1
        pieces = []
        for index in range(first, last + 1):
            read = self.lines[index][self.indents[index]:].encode("utf-8")
            begin = node.col_offset if index == first else 0
            stop = node.end_col_offset if index == last else len(read)
            piece = read[begin:stop].decode("utf-8", errors="ignore").split("#")[0]
            pieces.append(piece.rstrip().removesuffix("\\") if index < last else piece)  # (a continued line)
        return unicodedata.normalize("NFKC", " ".join(" ".join(pieces).split()))


def parse(text):
    """Parse and check a program (or one expression); returns an Expression or raises ExpressionError."""
    if not isinstance(text, str):
        raise TypeError(f"parse needs the expression as a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = ["".join(" " if c.isspace() else c for c in line).rstrip() for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise ExpressionError("the expression is empty")
    indents = [len(line) - len(line.lstrip(" ")) for line in lines]
    source = _Source(lines, indents)
    for number, line in enumerate(lines, 1):
        if "\x00" in line:
            raise ExpressionError("the expression contains a NUL character", line, line.index("\x00") + 1,
                                  line=number if len(lines) > 1 else None)
    program = "\n".join(line[indent:] for line, indent in zip(lines, indents))
    try:
        with warnings.catch_warnings():  # "1if x" and the like warn; the error or result is enough
            warnings.simplefilter("ignore")
            module = ast.parse(program, mode="exec")
    except SyntaxError as error:
        lineno = min(max(error.lineno or 1, 1), len(lines))
        line = lines[lineno - 1]
        # Python's offset counts characters of the line it read (1-based); past the end means "it ended here".
        column = indents[lineno - 1] + min(max(error.offset or 1, 1), len(line) - indents[lineno - 1] + 1)
        statement, total = _statement_at(program, lineno, column - indents[lineno - 1])
        reason, width = _reason(error), 1
        if error.msg.startswith("cannot assign to") and error.end_offset and error.end_lineno == error.lineno:
            width = error.end_offset - error.offset
            reason = _not_a_name(line[column - 1:], width)
        raise ExpressionError(reason, line, column, width, statement=statement if total > 1 else None,
                              line=lineno if len(lines) > 1 else None) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    except ValueError as error:  # e.g. a number literal with more than 4300 digits
        raise ExpressionError(f"invalid expression ({error})") from None
    if not module.body:
        raise ExpressionError("the program has no statements (only comments)")
    source.statements = len(module.body)
    statements, variables = _check_program(module.body, source)
    shown = "; ".join(f"{s.name} = {s.text}" if s.name else s.text for s in statements)
    return Expression(shown, statements, variables, source)


def _statement_at(program, lineno, column):
    """(number of the statement at line lineno, column (1-based), number of statements) for a program
    Python could not parse: statements end at ; or at a newline outside brackets; # starts a comment."""
    number, total, depth, content, comment = 1, 0, 0, False, False
    line, col = 1, 0
    for char in program + "\n":
        col += 1
        if (line, col) == (lineno, column):
            number = total + 1
        if char == "\n":
            line, col, comment = line + 1, 0, False
        if comment:
            continue
        if char == "#":
            comment = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        if char == ";" or (char == "\n" and depth == 0):
            total += content
            content = False
        elif not char.isspace() and not comment:
            content = True
    total += content  # a statement still open at the end (an unclosed bracket)
    if (line, col) < (lineno, column):  # the error is at the very end
        number = max(total, 1)
    return number, total


def _check_program(body, source):
    """Each statement is NAME = expression (the last may be a bare expression); returns (statements, variables)."""
    statements, variables, assigned, used_at = [], {}, {}, {}
    for number, node in enumerate(body, 1):
        last = number == len(body)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, tree = node.targets[0], node.value
        elif isinstance(node, ast.Expr) and last:
            target, tree = None, node.value
        elif isinstance(node, ast.Expr):
            raise ExpressionError(
                "only the last statement can be a bare expression; give this one a name, as in "
                f"name = {source.segment(node.value)}", *source.place(node, number))
        elif isinstance(node, ast.Assign):
            raise ExpressionError(
                "a statement assigns exactly one name, as in z = w*x + b", *source.place(node.targets[-1], number))
        else:
            raise ExpressionError(
                f"only statements of the form name = expression are allowed; use {_ALLOWED}",
                *source.place(node, number))
        names = _check(tree, source, number)
        bare = tree
        while isinstance(bare, ast.UnaryOp) and isinstance(bare.op, ast.UAdd):
            bare = bare.operand
        if target is not None and isinstance(bare, ast.Name):
            raise ExpressionError(f"{target.id} = {source.segment(tree)} only gives {bare.id} a second name; "
                                  f"use {bare.id} itself", *source.place(tree, number))
        new_variables = []
        for name in names:
            if name not in assigned and name not in variables:
                variables[name] = None
                new_variables.append(name)
                used_at[name] = (number, node.lineno)
        text = source.segment(tree)
        if target is not None:
            name = target.id
            source.note_spelling(target, name)
            if name in FUNCTIONS:
                raise ExpressionError(f"{name} is a function and cannot be assigned; choose another name",
                                      *source.place(target, number))
            if name in assigned:
                first_number, first_line = assigned[name]
                raise ExpressionError(
                    f"{name} is assigned twice: in statement {first_number} (line {first_line}) and again in "
                    f"statement {number} (line {node.lineno}); give the new value its own name",
                    *source.place(target, number))
            if name in names:
                raise ExpressionError(
                    f"{name} = {text} would update {name}, but a name here is one value (one node of the graph): "
                    f"give the new value a new name, as in {name}_new = {text}", *source.place(target, number))
            if name in used_at:
                first_number, first_line = used_at[name]
                raise ExpressionError(
                    f"{name} is used in statement {first_number} (line {first_line}) before this statement "
                    "assigns it; put the statement that computes it first", *source.place(target, number))
            assigned[name] = (number, node.lineno)
            statements.append(Statement(name, text, node.lineno, tree, new_variables, names))
        else:
            statements.append(Statement("", text, node.lineno, tree, new_variables, names))
    return statements, tuple(variables)


def _not_a_name(text, width):
    """What to say when the left of '=' (the first width characters of text) is not a name: f(x) = x*2."""
    target = text[:width].strip()
    value = text[width:].partition("=")[2].split(";")[0].split("#")[0].strip() or "..."
    function, bracket, arguments = target.partition("(")
    function = function.strip()
    if bracket and function.isidentifier():
        name = function if function not in FUNCTIONS else "y"
        given = ", ".join(f"{a.strip()}=NUMBER" for a in arguments.rstrip(")").split(",") if a.strip().isidentifier())
        return (f"{target} = {value} would define a function; here a statement names a value: write "
                f"{name} = {value}" + (f" and give {given}" if given else ""))
    return f"the left of '=' must be one name, as in z = w*x + b, and {target} is not a name"


def _reason(error):
    """Python's message for a syntax error, reworded where it talks about Python statements."""
    message = error.msg
    if "'(' was never closed" in message or "was never closed" in message:
        return "invalid syntax: a bracket is never closed"
    if message.startswith("unmatched"):
        return "invalid syntax: a closing bracket has no opening one"
    if message.startswith("Maybe you meant '==' or ':=' instead of '='"):
        return "invalid syntax: '=' is not allowed here; a statement is name = expression"
    if message.startswith("unexpected indent") or message.startswith("unindent"):
        return "invalid syntax: a statement cannot continue on the next line outside brackets"
    message = message.rstrip(".")
    return message if message.startswith("invalid syntax") else f"invalid syntax: {message}"


def _check(tree, source, statement=1):
    """Walk one expression (iteratively), reject every node outside the whitelist; return its names."""
    names = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                _reject_operator(node, source, statement)
            stack += [node.right, node.left]
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                symbol = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
                raise ExpressionError(f"the operator {symbol} is not supported; use {_ALLOWED}",
                                      *source.place(node, statement, width=len(symbol)))
            stack.append(node.operand)
        elif isinstance(node, ast.Constant):
            _number_of(node, source, statement)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ExpressionError(f"{node.id} is a function: call it, as in {node.id}(x)",
                                      *source.place(node, statement))
            names.setdefault(node.id, None)
            source.note_spelling(node, node.id)
        elif isinstance(node, ast.Call):
            stack.append(_check_call(node, source, statement))
        else:
            what = _DESCRIPTIONS.get(type(node), f"a {type(node).__name__} expression")
            if _math_function(node):
                raise ExpressionError(f"math.{node.attr} is a function: call it, as in math.{node.attr}(x)",
                                      *source.place(node, statement))
            if isinstance(node, ast.Attribute):
                text, column, _, *where = source.place(node, statement)
                dot = _attribute_dot(node, source)
                raise ExpressionError(f"attribute access (.{node.attr}) is not allowed; use {_ALLOWED}",
                                      text, dot + 1, len(node.attr) + 1, *where)
            raise ExpressionError(f"{what} is not allowed; use {_ALLOWED}", *source.place(node, statement))
    return tuple(names)


def _math_function(node):
    """The function node names when it is math.FUNCTION, as textbooks write it ("exp" for math.exp); else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "math" \
            and node.attr in MATH_FUNCTIONS:
        return node.attr
    return None


def _function_name(node):
    """The function a call names: "exp" for exp(x) and for math.exp(x); else None."""
    func = node.func
    return func.id if isinstance(func, ast.Name) else _math_function(func)


def _check_call(node, source, statement):
    """A call must be FUNCTION(one argument); returns the argument to check next."""
    func, name = node.func, _function_name(node)
    if name is None and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        written = f"{func.value.id}.{func.attr}"
        if func.attr in FUNCTIONS:  # np.exp(x), torch.sigmoid(x), math.sigmoid(x); n.tanh(), as micrograd writes it
            if len(node.args) == 1:
                argument = source.segment(node.args[0])
            else:
                method = not node.args and not node.keywords and func.value.id not in LIBRARIES
                argument = func.value.id if method else "x"
            raise ExpressionError(f"{written} is not read here: write {func.attr}({argument})",
                                  *source.place(func, statement))
        raise ExpressionError(f"unknown function {written!r}; the functions are {', '.join(FUNCTIONS)}, "
                              f"and math.{', math.'.join(MATH_FUNCTIONS)} may be written so too",
                              *source.place(func, statement))
    if name is None:
        # Report on the callee itself: in "f(1).g(x)" the problem is the attribute access.
        if isinstance(node.func, (ast.Attribute, ast.Subscript, ast.Lambda)):
            _check(node.func, source, statement)
        raise ExpressionError(f"only the named functions can be called ({', '.join(FUNCTIONS)})",
                              *source.place(node.func, statement))
    if name not in FUNCTIONS:
        raise ExpressionError(f"unknown function {name!r}; the functions are {', '.join(FUNCTIONS)}",
                              *source.place(node.func, statement))
    if node.keywords:
        raise ExpressionError(f"{name} takes no keyword arguments", *source.place(node.keywords[0].value, statement))
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise ExpressionError(f"{name} takes no starred (*) arguments", *source.place(node, statement))
    if len(node.args) != 1:
        raise ExpressionError(f"{name} takes exactly one argument, got {len(node.args)}", *source.place(node, statement))
    return node.args[0]


def _number_of(node, source, statement=1):
    """The float of a number literal; rejects bool, None, strings, complex and non-finite."""
    value = node.value
    if isinstance(value, bool) or value is None or value is Ellipsis:
        raise ExpressionError(f"{value!r} is not a number; use {_ALLOWED}", *source.place(node, statement))
    if isinstance(value, (str, bytes)):
        raise ExpressionError(f"strings are not allowed; use {_ALLOWED}", *source.place(node, statement))
    if isinstance(value, complex):
        raise ExpressionError("complex numbers are not allowed; the engine works with real numbers",
                              *source.place(node, statement))
    if not isinstance(value, (int, float)):
        raise ExpressionError(f"{type(value).__name__} constants are not allowed", *source.place(node, statement))
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExpressionError("the number is too large for a float", *source.place(node, statement))
    return number


def _build(tree, source, env):
    """Turn one checked expression into Values, post-order and without recursion.

    Numbers stay plain floats, so the engine folds them into the op that uses them (``1 + x`` is
    one node); an op on numbers only is worked out by the engine (for its error messages) and
    stays a number.
    """
    done = {}
    stack = [(tree, False)]
    while stack:
        node, children_done = stack.pop()
        if isinstance(node, ast.Name):
            done[node] = env[node.id]
            continue
        if isinstance(node, ast.Constant):
            done[node] = _number_of(node, source)
            continue
        children = _children(node)
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        operands = [done[child] for child in children]
        numbers_only = all(isinstance(operand, float) for operand in operands)
        if numbers_only:
            operands = [Value(operand) for operand in operands]
        if isinstance(node, ast.BinOp):
            value = _apply_binary(type(node.op), *operands)
        elif isinstance(node, ast.UnaryOp):
            value = -operands[0] if isinstance(node.op, ast.USub) else operands[0]
        else:
            value = FUNCTIONS[_function_name(node)](operands[0])
        if numbers_only:
            value = value.data
        elif value.op and not value.label:
            value.label = _label(node, source)
        done[node] = value
    return done[tree]


def _children(node):
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
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


def _label(node, source):
    """An inner node's name: its own text as typed, shortened in the middle (…) when it is long."""
    text = source.segment(node)
    if len(text) <= MAX_LABEL:
        return text
    if isinstance(node, ast.Call):
        inner = source.segment(node.args[0])
        function = source.segment(node.func)  # as typed: exp, or math.exp
        return f"{function}({_shorten(inner, MAX_LABEL - len(function) - 2)})"
    return _shorten(text, MAX_LABEL)


def _shorten(text, budget):
    """Keep whole words from both ends around " … ": "x1*w1 + x2*w2 + … + x9*w9 + b"."""
    if len(text) <= budget:
        return text
    words = text.split(" ")
    head, tail = [], []
    while len(head) + len(tail) < len(words):
        take_head = len(" ".join(head)) <= len(" ".join(tail))
        candidate = (head + [words[len(head)]], tail) if take_head else (head, [words[-len(tail) - 1]] + tail)
        if len(" ".join(candidate[0]) + " … " + " ".join(candidate[1])) > budget:
            break
        head, tail = candidate
    operators = {"+", "-", "*", "/", "**"}
    while head and head[-1] not in operators and operators & set(head):
        head.pop()  # cut between operands, not inside one: "a*b + … + c"
    while tail and tail[0] not in operators and operators & set(tail):
        tail.pop(0)
    if head or tail:
        return (" ".join(head) + " … " + " ".join(tail)).strip()
    keep = max(1, (budget - 1) // 2)  # one long word: keep characters from both ends
    return text[:keep] + "…" + text[-keep:]


def _attribute_dot(node, source):
    """The column (0-based, in the typed line) of the '.' before the attribute name."""
    line = source.lines[node.end_lineno - 1]
    end = source.column(node.end_lineno, node.end_col_offset)
    dot = line.rfind(".", 0, end - len(node.attr) + 1)
    return dot if dot >= 0 else end - len(node.attr)


def _reject_operator(node, source, statement):
    """Point at the operator between the two operands of a BinOp."""
    symbol = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
    text, start, _, *where = source.place(node.left, statement)
    lineno = node.left.end_lineno
    begin = source.column(lineno, node.left.end_col_offset)
    stop = source.column(node.right.lineno, node.right.col_offset) if node.right.lineno == lineno else len(text)
    found = source.lines[lineno - 1].find(symbol, begin, stop)
    column = found if found >= 0 else begin
    raise ExpressionError(f"the operator {symbol} is not supported; use {_ALLOWED}",
                          source.lines[lineno - 1], column + 1, len(symbol), *source.where(statement, lineno))


def _names(names):
    return ", ".join(names)
