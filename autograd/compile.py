"""autograd.compile: trace a function's graph once and turn it into a Python program.

    f = autograd.compile(fn)    # fn takes Values (or floats) and returns a Value
    f(*args)                    # the output as a float; adds gradients into leaves' .grad
    f.grad(*args)               # (output, [d output / d arg for each arg]), touching nothing
    print(f)                    # the program: forward lines, then adjoint lines in reverse

The first call builds the graph (tracing) and writes one line of Python per node, named as
the graph names it (labels, or ``v<i>``, the node's place in ``topological_order``): the
forward lines in order, then the adjoint lines in reverse, ``g_n`` being the sum over n's
uses of local derivative times the user's gradient, commented with the ops' derivative
rules. Later calls run that function on plain floats and build no graph.

The program does the same float operations in the same order as the graph and ``backward()``
(sums left to right, as ``dot`` and ``sum`` do; a gradient adds its uses in the order backward
adds them), so its numbers are the graph's, bit for bit. (Backward starts each sum at 0.0;
the program does not, which can only change the sign of a zero, and ``f`` and ``f.grad``
hand out +0.0 there, as backward does.)

A long sum of products (a ``dot`` node of many terms, a weight's gradient over a big batch)
is written ``total(map(mul, vec0, vec1))`` over two tuples written once and shared. Graphs of
more than ``NAMED_NODES`` nodes keep their numbers in two lists, ``V[i]`` and ``G[i]``, and
are compiled in parts, so compiling stays linear in the number of nodes.

- Every leaf that is not an argument (a model's parameters, numbers fn turns into Values) is
  read live: its ``.data`` is read at each call, and ``f(*args)`` adds its gradient to ``.grad``.
- A comparison on a Value while tracing (``if x > 0:``) becomes a guard: when new inputs flip
  it, ``f`` traces again (``f.traces`` counts the traces; earlier programs are kept).
  Reading ``.data`` inside fn is invisible to guards: that number is a constant of the program.
- When the program fails (a log of a negative number, a division by zero, an overflow) or
  its output is not finite, ``f`` builds the graph for those inputs, so the error (or the
  result) is exactly the engine's.
"""

import builtins
import functools
import inspect
import keyword
import math
import re
import threading
import unicodedata
from operator import mul

from autograd import engine, ops
from autograd.engine import Value

__all__ = ["compile", "Compiled"]


def compile(fn):
    """Compile fn (Values in, one Value out) into a Python program for its forward and backward pass."""
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}: {fn!r:.60}")
    return Compiled(fn)


class Compiled:
    """A function traced into a program; call it like fn, or ``.grad(*args)`` for the gradients."""

    def __init__(self, fn):
        self.fn = fn
        self.traces = 0
        self._traced = {}  # number of arguments -> traces, the latest first
        self._latest = None

    def __call__(self, *args):
        """The output as a float; adds d output / d leaf into the .grad of every leaf outside fn."""
        out, grads, live = self._run(args, (tuple(isinstance(a, Value) for a in args), True))
        for leaf, g in live:
            leaf.grad += g
        for arg, g in zip(args, grads):
            if isinstance(arg, Value):
                arg.grad += g
        return out

    def grad(self, *args):
        """(output, [d output / d arg for each arg]) as floats; no .grad is changed."""
        out, grads, _ = self._run(args, ((True,) * len(args), False))
        return out, [0.0 + g for g in grads]  # 0.0 + g: a gradient sum starts at 0.0, as the engine's

    @property
    def source(self):
        """The latest trace's program with every gradient (calls run it without the unneeded ones)."""
        if self._latest is None:
            raise RuntimeError(f"{self._name()}: nothing compiled yet; call it once to trace it")
        return self._latest.program(((True,) * len(self._latest.inputs), True)).source

    def __str__(self):
        return self.source.rstrip("\n") if self._latest is not None else repr(self)

    def __repr__(self):
        if self._latest is None:
            return f"<compiled {self._name()}: not traced yet>"
        return f"<compiled {self._name()}: {self._latest.n_nodes} nodes, {self.traces} trace(s); print() shows the program>"

    def _name(self):
        name = getattr(self.fn, "__name__", "")
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            return "compiled"
        return f"{name}_program" if name in _RESERVED else name  # def tanh(...) must not hide math's

    def _run(self, args, wanted):
        """(output, gradient per argument, [(live leaf, gradient)]) for these arguments.

        wanted: (for each argument, whether its gradient is needed; whether the live leaves' are).
        """
        data = [a if type(a) is float else engine._number(a, self._name()) for a in args]
        traces = self._traced.setdefault(len(args), [])
        for traced in (False, True):
            for trace in traces:
                program = trace.program(wanted)
                try:
                    result = program.function(*data, *[leaf.data for leaf in program.live])
                except (ArithmeticError, ValueError):
                    return self._on_the_graph(args, data)
                if result is None:  # a guard failed: this program traced another branch
                    continue
                out, grads = result
                if out - out != 0.0:  # inf or nan: the graph says whether an op must raise
                    return self._on_the_graph(args, data)
                self._latest = trace
                return out, grads[: len(data)], list(zip(program.live, grads[len(data) :]))
            if traced:
                raise RuntimeError(f"{self._name()}: a comparison came out differently for the same inputs; "
                                   "does the function depend on something besides its arguments and Values?")
            traces.insert(0, self._trace(args, data))

    def _trace(self, args, data):
        names = _argument_names(self.fn, len(args))
        inputs = [Value(x, label=a.label if isinstance(a, Value) else "") for x, a in zip(data, args)]
        with _tracing:
            saved, engine._guards = engine._guards, []
            token = engine._grad_enabled.set(True)
            try:
                out = self.fn(*inputs)
            finally:
                guards, engine._guards = engine._guards, saved
                engine._grad_enabled.reset(token)
        if not isinstance(out, Value):
            raise TypeError(f"compile: {self._name()} must return a Value, got {type(out).__name__}: {out!r:.60}")
        self.traces += 1
        return _Trace(self._name(), out, inputs, names, guards)

    def _on_the_graph(self, args, data):
        """The engine's own answer for these inputs: its error, or its numbers."""
        inputs = [Value(x, label=a.label if isinstance(a, Value) else "") for x, a in zip(data, args)]
        token = engine._grad_enabled.set(True)
        try:
            out = self.fn(*inputs)
        finally:
            engine._grad_enabled.reset(token)
        given = set(inputs)
        leaves = [node for node in engine.topological_order(out) if node._op is None and node not in given]
        grads = engine.grad(out, inputs + leaves)
        return out.data, grads[: len(inputs)], list(zip(leaves, grads[len(inputs) :]))


_tracing = threading.RLock()  # the engine's guard list is one per process: one trace at a time


def _argument_names(fn, n):
    """fn's positional parameter names for n arguments (x0, x1, ... where it has none)."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = []
    for p in parameters:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            break
    return [names[i] if i < len(names) else f"x{i}" for i in range(n)]


# ---- the runtime helpers the programs call (ops with branches or checks inside) -------------


def power(x, n):
    """x ** n with the engine's checks (a negative base needs an integer exponent)."""
    return ops._power(x, n)


def power_base_grad(x, n):
    """d(x ** n)/dx, as the ** ops compute it."""
    return ops._power_base_grad(x, n)


def power_exponent_grad(x, n, out):
    """d(x ** n)/dn, as the ** ops compute it (multiplying an undefined one raises)."""
    return ops._power_exponent_grad(x, n, out)


def sigmoid(x):
    """1 / (1 + e ** -x), as the sigmoid op computes it."""
    return ops.SIGMOID.forward((x,))


def total(xs):
    """x_1 + ... + x_n summed left to right from 0.0, as the sum op does."""
    return ops._left_to_right_sum(xs)


def sign(x):
    """d|x|/dx as the abs op computes it: 1.0, -1.0, and 0.0 at 0 (as in PyTorch)."""
    return ops.ABS.local_grads((x,), abs(x))[0]


_FROM_MATH = ("exp", "log", "log1p", "tanh", "sin", "cos", "sqrt", "inf", "nan")
_FROM_COMPILE = ("power", "power_base_grad", "power_exponent_grad", "sigmoid", "sign", "total")
_NAMESPACE = {**{name: getattr(math, name) for name in _FROM_MATH}, **{name: globals()[name] for name in _FROM_COMPILE}}
_NAMESPACE["mul"] = mul
if ops._left_to_right_sum is ops._builtin_sum:  # the same sum, called without a Python frame
    _NAMESPACE["total"] = functools.partial(builtins.sum, start=0.0)


# ---- code generation: each op's forward and local derivatives as Python expressions ----------


def _number(x):
    """A float as Python source: every digit; inf and nan by name."""
    if math.isfinite(x):
        return repr(x)
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


# How each op is written: its output, then the local derivative for each operand, as templates
# over the operands' names ({x}, {y}) and the output's ({o}). The same arithmetic as ops.py, in
# the same order, so the numbers are the same to the last bit.
_BINARY = {
    ops.Add: ("{x} + {y}", "1.0", "1.0"),
    ops.Sub: ("{x} - {y}", "1.0", "-1.0"),
    ops.Mul: ("{x} * {y}", "{y}", "{x}"),
    ops.Div: ("{x} / {y}", "1.0 / {y}", "-{o} / {y}"),
}
_UNARY = {
    ops.Neg: ("-{x}", "-1.0"),
    ops.Abs: ("abs({x})", "sign({x})"),
    ops.Exp: ("exp({x})", "{o}"),
    ops.Log: ("log({x})", "1.0 / {x}"),
    ops.Log1p: ("log1p({x})", "1.0 / (1 + {x})"),
    ops.Tanh: ("tanh({x})", "1.0 - {o} * {o}"),
    ops.Sigmoid: ("sigmoid({x})", "{o} * (1.0 - {o})"),
    ops.Relu: ("0.0 if {x} <= 0 else {x}", "1.0 if {x} > 0 else 0.0"),
    ops.Sin: ("sin({x})", "cos({x})"),
    ops.Cos: ("cos({x})", "-sin({x})"),
    ops.Sqrt: ("sqrt({x})", "0.5 / {o} if {o} != 0 else inf"),
}


def _forward_and_locals(op, a, out):
    """(the output as an expression of the operand names a, the local derivative for each operand)."""
    kind = type(op)
    if kind in _UNARY:
        forward, local = _UNARY[kind]
        return forward.format(x=a[0]), (local.format(x=a[0], o=out),)
    if kind in _BINARY:
        forward, *locals_ = _BINARY[kind]
        names = dict(x=a[0], y=a[1], o=out)
        return forward.format(**names), tuple(local.format(**names) for local in locals_)
    if kind is ops.WithConstant and type(op.op) in _BINARY:  # x op c, or c op x: one operand
        forward, *locals_ = _BINARY[type(op.op)]
        c = _number(op.constant)
        names = dict(x=c, y=a[0], o=out) if op.constant_first else dict(x=a[0], y=c, o=out)
        return forward.format(**names), (locals_[1 if op.constant_first else 0].format(**names),)
    if kind is ops.Dot:
        n = op.n
        ws, xs, bias = a[:n], a[n : 2 * n], a[2 * n :]
        terms = ["0.0"] + [f"{w} * {x}" for w, x in zip(ws, xs)] + list(bias)
        return " + ".join(terms), (*xs, *ws, *(["1.0"] * len(bias)))
    if kind is ops.Sum:
        return " + ".join(["0.0", *a]), ("1.0",) * len(a)
    if kind is ops.PowConst:
        (x,), n = a, op.exponent
        if float(n).is_integer() and n > 1:  # no complex result, no special case at 0
            return f"{x} ** {_number(n)}", (f"{_number(n)} * {x} ** {_number(n - 1)}",)
        return f"power({x}, {_number(n)})", (f"power_base_grad({x}, {_number(n)})",)
    if kind is ops.Pow:
        x, y = a
        return f"power({x}, {y})", (f"power_base_grad({x}, {y})", f"power_exponent_grad({x}, {y}, {out})")
    if kind is ops.ConstantBasePow:
        c, (x,) = _number(op.base), a
        return f"power({c}, {x})", (f"power_exponent_grad({c}, {x}, {out})",)
    if kind is ops.LeakyRelu:
        x, s = a[0], _number(op.slope)
        return f"{x} if {x} > 0 else {s} * {x}", (f"1.0 if {x} > 0 else {s}",)
    return None  # an op this table does not know: the program calls the op itself


_ATOM = re.compile(r"-?[\w.\[\]]+(\([^()]*\))?")
_WORD = re.compile(r"[A-Za-z_]\w*")


def _times(local, upstream):
    """local * upstream as source, with brackets only where needed."""
    return f"{local} * {upstream}" if local.isidentifier() or _ATOM.fullmatch(local) else f"({local}) * {upstream}"


class _Program:
    """One traced graph as Python: its source, the function, and the leaves it reads live."""

    def __init__(self, source, function, live):
        self.source, self.function, self.live = source, function, live


class _Trace:
    """One traced graph and its programs, one per set of wanted gradients (made when first asked)."""

    def __init__(self, fn_name, out, inputs, arg_names, guards):
        self.fn_name, self.out, self.inputs, self.arg_names, self.guards = fn_name, out, inputs, arg_names, guards
        self.programs = {}
        self.order = engine.topological_order(out)
        self.n_nodes = len(self.order)

    def program(self, wanted):
        if wanted not in self.programs:
            self.programs[wanted] = _generate(self, *wanted)
        return self.programs[wanted]


# Above this many nodes the program keeps its numbers in two lists (V[i], G[i]) and is cut
# into functions of PART_LINES lines: Python compiles one huge function in more than linear
# time and memory, and a list needs no bookkeeping of which names cross from part to part.
NAMED_NODES = 10_000
PART_LINES = 5_000
# A sum of at least this many products is written total(map(mul, vecA, vecB)) over two tuples,
# each written once and shared by every line that sums over it (a dot node's weights and
# inputs, a weight's inputs over a large batch). Python's compile spends its time per operation
# written out, so this keeps compiling short; written out, a sum runs about twice as fast.
VECTOR_TERMS = 128
DOT_TERMS = 8  # the same for a dot node's own value: the tuples of weights and inputs are shared
_SIMPLE = re.compile(r"-?[\w.\[\]]+")


def _generate(trace, wanted_args, wanted_live):
    fn_name, out, inputs, arg_names, guards = trace.fn_name, trace.out, trace.inputs, trace.arg_names, trace.guards
    order = list(trace.order)
    in_graph = len(order)
    seen = set(order)
    for value, _, other, _ in guards:  # a compared Value may lie outside the output's graph
        for v in (value, other):
            if isinstance(v, Value) and v not in seen:
                for node in engine.topological_order(v):
                    if node not in seen:
                        seen.add(node)
                        order.append(node)
    position = {node: i for i, node in enumerate(order)}
    input_set = set(inputs)
    live = [node for node in order if node._op is None and node not in input_set]
    leaves = inputs + live
    name = _names(order, inputs, arg_names)
    named = len(order) <= NAMED_NODES
    if named:
        ref, gref = name, _grad_names(order[:in_graph], name)
    else:
        ref = {node: f"V[{i}]" for i, node in enumerate(order)}
        gref = {node: f"G[{i}]" for i, node in enumerate(order[:in_graph])}
    wanted = {leaf for leaf, want in zip(inputs, wanted_args) if want} | (set(live) if wanted_live else set())
    needed = set()  # the nodes with a wanted leaf among their ancestors (or themselves)
    for node in order[:in_graph]:
        if node in wanted or any(p in needed for p in node.parents):
            needed.add(node)

    namespace = dict(_NAMESPACE)
    body = []
    tuples = _Tuples(body, set(name.values()) | set(gref.values()) | _RESERVED)
    # A node computed only for a comparison is written as soon as its operands are, so its
    # guard is checked before the lines of a branch that the new inputs may not take.
    key = {node: (i, 0) for i, node in enumerate(order[:in_graph])}
    for j, node in enumerate(order[in_graph:], start=1):
        key[node] = (max((key[p][0] for p in node.parents), default=-1), j)
    sequence = sorted(order, key=key.__getitem__)
    rank = {node: r for r, node in enumerate(sequence)}
    checks = {}  # rank of the later compared node (-1: only leaves) -> guard lines
    for value, op, other, result in guards:
        right = ref[other] if isinstance(other, Value) else _number(engine._number(other, op))
        later = max((rank[v] for v in (value, other) if isinstance(v, Value) and v._op is not None), default=-1)
        test = f"{ref[value]} {op} {right}"
        line = f"if {'not ' if result else ''}{test}: return None  # traced where {test} is {result}"
        if line not in checks.setdefault(later, []):
            checks[later].append(line)

    # Forward: one line per node, in topological order.
    body += checks.get(-1, [])
    hidden = set()  # + - * / results whose infinity a later op could turn finite again
    for node in order:
        if type(node._op) in _HIDES_INFINITY or (type(node._op) is ops.WithConstant and type(node._op.op) is ops.Div):
            hidden.update(p for p in node.parents if _arithmetic(p._op))
    local_grads = {}
    helpers = set()
    probed = set()
    for i, node in enumerate(sequence):
        op = node._op
        if op is not None:
            a = [ref[p] for p in node.parents]
            code = _forward_and_locals(op, a, ref[node])
            if code is None:  # an op with no entry above: the program calls the op itself
                op_name = f"_op{i}"
                namespace[op_name] = op
                args = f"({', '.join(a)},)"
                code = (f"{op_name}.forward({args})", [f"{op_name}.local_grads({args}, {ref[node]})[{k}]" for k in range(len(a))])
            elif op not in probed:  # which helpers this op's lines call (asked once per op)
                probed.add(op)
                helpers.update(_WORD.findall(" ".join([code[0], *code[1]])))
            forward, local_grads[node] = code
            if type(op) is ops.Dot and op.n >= DOT_TERMS:
                ws, xs = tuples.name(a[: op.n]), tuples.name(a[op.n : 2 * op.n])
                forward = f"total(map(mul, {ws}, {xs}))" + (f" + {a[-1]}" if op.has_bias else "")
                helpers.update(("total", "mul"))
            body.append(f"{ref[node]} = {forward}")
            if node in hidden:  # the engine raises on an overflow: the graph says which error
                body.append(f"if {ref[node]} in (inf, -inf): raise OverflowError('{name[node]} is too large for a float')")
                helpers.add("inf")
        body += checks.get(i, [])

    # Backward: one line per node, in reverse. A node's gradient is the sum of local * upstream
    # over its uses, in the order backward() adds them: the later use first, operands in order.
    uses = {}
    for node in reversed(order[:in_graph]):
        if node._op is not None and node in needed:
            for k, parent in enumerate(node.parents):
                uses.setdefault(parent, []).append((node, k))
    body.append(f"{gref[out]} = 1.0")
    for node in reversed(order[:in_graph - 1]):
        if node not in needed:
            continue
        locals_ = [local_grads[user][k] for user, k in uses[node]]
        upstreams = [gref[user] for user, _ in uses[node]]
        if len(locals_) >= VECTOR_TERMS and all(_SIMPLE.fullmatch(local) for local in locals_):
            if all(local == "1.0" for local in locals_):
                total = f"total({tuples.name(upstreams)})"
                helpers.add("total")
            else:
                total = f"total(map(mul, {tuples.name(locals_)}, {tuples.name(upstreams)}))"
                helpers.update(("total", "mul"))
        else:
            terms = [u if local == "1.0" else f"-{u}" if local == "-1.0" else _times(local, u) for local, u in zip(locals_, upstreams)]
            total = " + ".join(terms)
        said = []
        for user, k in uses[node][:3]:
            rule = getattr(user._op, "rule", None)
            if rule is None:
                said.append(f"∂{name[user]}/∂{name[node]} of {user._op.name}")
            else:
                said.append(f"∂{name[user]}/∂{name[node]} = {rule(k, [name[p] for p in user.parents], name[user])}")
        more = f"; and {len(uses[node]) - 3} more uses" if len(uses[node]) > 3 else ""
        body.append(f"{gref[node]} = {total}  # {'; '.join(said)}{more}")

    returned = ", ".join(gref[leaf] if leaf in wanted and (leaf in uses or leaf is out) else "0.0" for leaf in leaves)
    finish = f"return {ref[out]}, ({returned}{',' if len(leaves) == 1 else ''})"
    header = []
    math_names = [h for h in _FROM_MATH if h in helpers]
    compile_names = [h for h in _FROM_COMPILE if h in helpers]
    if math_names:
        header.append(f"from math import {', '.join(math_names)}")
    if "mul" in helpers:
        header.append("from operator import mul")
    if compile_names:
        header.append(f"from autograd.compile import {', '.join(compile_names)}")
    if header:
        header.append("")
    header += [f"# {key}: the op {namespace[key].name!r} of the traced graph" for key in namespace if key.startswith("_op")]
    signature = f"def {fn_name}({', '.join(name[leaf] for leaf in leaves)}):"
    if named:
        chunks = ["\n".join(header + [signature] + ["    " + line for line in body + [finish]]) + "\n"]
    else:  # each part is compiled on its own, so no compile holds the whole program at once
        chunks = ["\n".join(header) + "\n"] if header else []
        parts = [body[k : k + PART_LINES] for k in range(0, len(body), PART_LINES)]
        for k, part in enumerate(parts):
            chunks.append("\n".join([f"def _part{k}(V, G):"] + ["    " + line for line in part] + ["    return True", "", ""]))
        main = [signature, f"    V, G = [0.0] * {len(order)}, [0.0] * {in_graph}"]
        main += [f"    V[{position[leaf]}] = {name[leaf]}" for leaf in leaves if leaf in position]
        main += [f"    if _part{k}(V, G) is None: return None" for k in range(len(parts))]
        chunks.append("\n".join(main + ["    " + finish]) + "\n")
    for chunk in chunks:
        exec(builtins.compile(chunk, f"<autograd.compile {fn_name}>", "exec"), namespace)
    return _Program("".join(chunks), namespace[fn_name], live)


# Ops whose output can be finite when an operand is infinite (tanh(inf) is 1.0), so that an
# overflow before them would not reach the output, where the program looks for one.
_HIDES_INFINITY = (ops.Tanh, ops.Sigmoid, ops.Relu, ops.Exp, ops.Div, ops.Pow, ops.PowConst, ops.ConstantBasePow)


def _arithmetic(op):
    """True for + - * / (also with a number): the ops whose overflow the engine reports."""
    inner = op.op if type(op) is ops.WithConstant else op
    return type(inner) in _BINARY


class _Tuples:
    """Tuples of names written once into the body (vec0 = (a, b, c)) and then shared."""

    def __init__(self, body, taken):
        self.body, self.taken, self.names, self.count = body, taken, {}, 0

    def name(self, items):
        key = tuple(items)
        if key not in self.names:
            while f"vec{self.count}" in self.taken:
                self.count += 1
            self.names[key] = f"vec{self.count}"
            self.count += 1
            self.body.append(f"{self.names[key]} = ({', '.join(key)}{',' if len(key) == 1 else ''})")
        return self.names[key]


_RESERVED = set(_FROM_MATH + _FROM_COMPILE) | {"mul"}


def _identifier(text):
    """A label as a Python name ("x1*w1" -> "x1_w1"), or "" when nothing usable is left."""
    if text.isascii() and text.isidentifier() and not keyword.iskeyword(text):
        return text
    text = re.sub(r"\W+", "_", unicodedata.normalize("NFKC", text)).strip("_")
    return text if text.isidentifier() and not keyword.iskeyword(text) else ""


def _names(order, inputs, arg_names):
    """A distinct Python name per node: the argument's name, the label, or v<i>."""
    wanted = {}
    for i, node in enumerate(order):
        wanted[node] = _identifier(node.label) or f"v{i}"
    for node, arg in zip(inputs, arg_names):
        wanted[node] = arg
    taken = set(_RESERVED)
    arguments = set(inputs)
    return {node: _unique(wanted[node], taken) for node in inputs + [n for n in order if n not in arguments]}


def _unique(base, taken):
    """base, or base_2, base_3, ... : the first not in taken, which it joins."""
    candidate, k = base, 1
    while candidate in taken:
        k += 1
        candidate = f"{base}_{k}"
    taken.add(candidate)
    return candidate


def _grad_names(nodes, name):
    """g_<name> for each node's adjoint, kept apart from every value's name."""
    taken = set(name.values()) | _RESERVED
    return {node: _unique(f"g_{name[node]}", taken) for node in nodes}
