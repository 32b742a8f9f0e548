"""autograd.compile: trace a function's graph once and turn it into a Python program.

    f = autograd.compile(fn)    # fn takes Values (or floats) and returns a Value
    f(*args)                    # the output as a float; adds gradients into leaves' .grad
    f.grad(*args)               # (output, [d output / d arg for each arg]), touching nothing
    print(f)                    # the program: forward lines, then adjoint lines in reverse

The first call builds the graph (tracing) and writes one line of Python per node, named as
the graph names it (labels, or ``v<i>``, the node's place in ``topological_order``): the
forward lines in order, then one adjoint line per edge in reverse, each commented with the
op's derivative rule. Later calls run that function on plain floats and build no graph.

The program does the same float operations in the same order as the graph and ``backward()``
(sums left to right, as ``dot`` and ``sum`` do), so its numbers are the graph's, bit for bit.

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
import inspect
import keyword
import math
import re
import threading
import unicodedata
from itertools import repeat
from operator import add, mul

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
        return name if name.isidentifier() and not keyword.iskeyword(name) else "compiled"

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


_tracing = threading.Lock()  # the engine's guard list is one per process: one trace at a time


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


def dot(ws, xs):
    """w_1*x_1 + ... + w_n*x_n summed left to right from 0.0, as the dot op does."""
    return ops._left_to_right_sum(map(mul, ws, xs))


def add_products(gs, xs, g):
    """[gs[i] + xs[i] * g for each i]: one chain-rule step for a whole row of a dot node."""
    return list(map(add, gs, map(mul, xs, repeat(g))))


def sign(x):
    """d|x|/dx: 1.0, -1.0, 0.0 at 0 (as PyTorch), nan for nan."""
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else math.nan


_FROM_MATH = ("exp", "log", "log1p", "tanh", "sin", "cos", "sqrt", "inf", "nan")
_FROM_COMPILE = ("power", "power_base_grad", "power_exponent_grad", "sigmoid", "sign", "dot", "add_products")
_NAMESPACE = {**{name: getattr(math, name) for name in _FROM_MATH}, **{name: globals()[name] for name in _FROM_COMPILE}}


# ---- code generation: each op's forward and local derivatives as Python expressions ----------


def _number(x):
    """A float as Python source: every digit; inf and nan by name."""
    if math.isfinite(x):
        return repr(x)
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


_INFIX = {ops.Add: "+", ops.Sub: "-", ops.Mul: "*", ops.Div: "/"}


def _forward_and_locals(op, a, out):
    """(the output as an expression of the operand names a, the local derivative for each operand)."""
    kind = type(op)
    if kind in _INFIX:
        x, y = a
        locals_ = {ops.Add: ("1.0", "1.0"), ops.Sub: ("1.0", "-1.0"), ops.Mul: (y, x), ops.Div: (f"1.0 / {y}", f"-{out} / {y}")}
        return f"{x} {_INFIX[kind]} {y}", locals_[kind]
    if kind is ops.WithConstant and type(op.op) in _INFIX:
        c, (x,) = _number(op.constant), a
        inner = type(op.op)
        if op.constant_first:
            local = {ops.Add: "1.0", ops.Sub: "-1.0", ops.Mul: c, ops.Div: f"-{out} / {x}"}[inner]
            return f"{c} {_INFIX[inner]} {x}", (local,)
        local = {ops.Add: "1.0", ops.Sub: "1.0", ops.Mul: c, ops.Div: f"1.0 / {c}"}[inner]
        return f"{x} {_INFIX[inner]} {c}", (local,)
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
    (x,) = a if len(a) == 1 else (None,)
    unary = {
        ops.Neg: (f"-{x}", "-1.0"),
        ops.Abs: (f"abs({x})", f"sign({x})"),
        ops.Exp: (f"exp({x})", out),
        ops.Log: (f"log({x})", f"1.0 / {x}"),
        ops.Log1p: (f"log1p({x})", f"1.0 / (1 + {x})"),
        ops.Tanh: (f"tanh({x})", f"1.0 - {out} * {out}"),
        ops.Sigmoid: (f"sigmoid({x})", f"{out} * (1.0 - {out})"),
        ops.Relu: (f"0.0 if {x} <= 0 else {x}", f"1.0 if {x} > 0 else 0.0"),
        ops.Sin: (f"sin({x})", f"cos({x})"),
        ops.Cos: (f"cos({x})", f"-sin({x})"),
        ops.Sqrt: (f"sqrt({x})", f"0.5 / {out} if {out} != 0 else inf"),
    }
    if kind in unary:
        forward, local = unary[kind]
        return forward, (local,)
    if kind is ops.LeakyRelu:
        s = _number(op.slope)
        return f"{x} if {x} > 0 else {s} * {x}", (f"1.0 if {x} > 0 else {s}",)
    return None


_ATOM = re.compile(r"-?[\w.\[\]]+(\([^()]*\))?")
_WORD = re.compile(r"[A-Za-z_]\w*")


def _times(local, upstream):
    """local * upstream as source, with brackets only where needed."""
    return f"{local} * {upstream}" if _ATOM.fullmatch(local) else f"({local}) * {upstream}"


class _Program:
    """One traced graph as Python: its source, the function, and the leaves it reads live."""

    def __init__(self, source, function, live):
        self.source, self.function, self.live = source, function, live


class _Trace:
    """One traced graph and its programs, one per set of wanted gradients (made when first asked)."""

    def __init__(self, fn_name, out, inputs, arg_names, guards):
        self.fn_name, self.out, self.inputs, self.arg_names, self.guards = fn_name, out, inputs, arg_names, guards
        self.programs = {}
        self.n_nodes = len(engine.topological_order(out))

    def program(self, wanted):
        if wanted not in self.programs:
            self.programs[wanted] = _generate(self, *wanted)
        return self.programs[wanted]


# Above this many nodes the program keeps its numbers in two lists (V[i], G[i]) and is cut
# into functions of PART_LINES lines: Python compiles one huge function in more than linear
# time and memory, and a list needs no bookkeeping of which names cross from part to part.
NAMED_NODES = 10_000
PART_LINES = 5_000
# A dot node over at least this many terms reads its weights and inputs as two tuples, and a
# row whose gradients live in one list takes its chain-rule step in one line (add_products).
# Python's compile spends its time per operation written out, so this keeps compiling short.
VECTOR_TERMS = 8


def _generate(trace, wanted_args, wanted_live):
    fn_name, out, inputs, arg_names, guards = trace.fn_name, trace.out, trace.inputs, trace.arg_names, trace.guards
    order = engine.topological_order(out)
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
    vectors, homes = _vectors(order[:in_graph], name, gref) if named else ({}, {})
    for group, home in homes.items():
        for i, node in enumerate(group):
            gref[node] = f"{home}[{i}]"

    namespace = dict(_NAMESPACE)
    checks = {}  # position of the later compared node -> guard lines
    for value, op, other, result in guards:
        right = ref[other] if isinstance(other, Value) else _number(engine._number(other, op))
        later = max(position[value], position[other] if isinstance(other, Value) else -1)
        test = f"{ref[value]} {op} {right}"
        line = f"if {'not ' if result else ''}{test}: return None  # traced where {test} is {result}"
        if line not in checks.setdefault(later, []):
            checks[later].append(line)

    body = checks.get(-1, [])
    local_grads = {}
    helpers = set()
    probed = {}
    written = set()
    for i, node in enumerate(order):
        op = node._op
        if op is not None:
            a = [ref[p] for p in node.parents]
            code = _forward_and_locals(op, a, ref[node])
            groups = _dot_groups(node)
            if groups and groups[0] in vectors:
                for group in groups:
                    if group not in written:
                        written.add(group)
                        body.append(f"{vectors[group]} = ({', '.join(ref[p] for p in group)},)")
                bias = f" + {a[-1]}" if op.has_bias else ""
                code = (f"dot({vectors[groups[0]]}, {vectors[groups[1]]}){bias}", code[1])
            if code is None:  # an op with no entry above: the program calls the op itself
                op_name = f"_op{i}"
                namespace[op_name] = op
                args = f"({', '.join(a)},)"
                code = (f"{op_name}.forward({args})", [f"{op_name}.local_grads({args}, {ref[node]})[{k}]" for k in range(len(a))])
            elif op not in probed:  # which helpers this op's lines call (asked once per op)
                probed[op] = True
                helpers.update(_WORD.findall(" ".join([code[0], *code[1]])))
            forward, local_grads[node] = code
            body.append(f"{ref[node]} = {forward}")
        body += checks.get(i, [])

    defined = set()
    for group, home in homes.items():
        if any(p in needed for p in group):
            body.append(f"{home} = [0.0] * {len(group)}")
            defined.update(group)
    body.append(f"{gref[out]} = 1.0")  # the output is no node's operand, so no row keeps its gradient
    defined.add(out)
    for node in reversed(order[:in_graph]):
        if node._op is None or node not in needed:
            continue
        upstream = gref[node]
        rule = getattr(node._op, "rule", None)
        operands = [name[p] for p in node.parents]
        groups = _dot_groups(node)
        done = set()  # operands whose rows were stepped as a whole
        if groups and groups[0] in vectors:
            for group, other, start in ((groups[0], groups[1], 0), (groups[1], groups[0], node._op.n)):
                if group in homes:
                    done.update(range(start, start + len(group)))
                    if any(p in needed for p in group):
                        row, by = homes[group], vectors[other]
                        helpers.add("add_products")
                        body.append(f"{row} = add_products({row}, {by}, {upstream})  # ∂{name[node]}/∂{vectors[group]}[i] = {by}[i]")
        for k, (parent, local) in enumerate(zip(node.parents, local_grads[node])):
            if parent not in needed or k in done:
                continue
            target, first = gref[parent], named and parent not in defined
            if local == "1.0":
                statement = f"{target} = {upstream}" if first else f"{target} += {upstream}"
            elif local == "-1.0":
                statement = f"{target} = -{upstream}" if first else f"{target} -= {upstream}"
            else:
                statement = f"{target} {'=' if first else '+='} {_times(local, upstream)}"
            defined.add(parent)
            said = f"= {rule(k, operands, name[node])}" if rule is not None else f"of {node._op.name}"
            body.append(f"{statement}  # ∂{name[node]}/∂{operands[k]} {said}")

    returned = ", ".join(gref[leaf] if leaf in defined and leaf in wanted else "0.0" for leaf in leaves)
    finish = f"return {ref[out]}, ({returned}{',' if len(leaves) == 1 else ''})"
    header = []
    math_names = [h for h in _FROM_MATH if h in helpers]
    compile_names = [h for h in _FROM_COMPILE if h in helpers]
    if math_names:
        header.append(f"from math import {', '.join(math_names)}")
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


def _dot_groups(node):
    """A dot node's weights and inputs as two tuples of nodes, or () for any other node."""
    op = node._op
    if type(op) is not ops.Dot or op.n < VECTOR_TERMS:
        return ()
    parents = node.parents
    return parents[: op.n], parents[op.n : 2 * op.n]


def _vectors(order, name, gref):
    """Names for the dot nodes' tuples of weights and inputs, and for the lists that keep the
    gradients of a tuple's nodes (when the tuple is the first with any of them, and has no repeats)."""
    taken = set(name.values()) | set(gref.values()) | _RESERVED
    vectors, homes, housed = {}, {}, set()
    for node in order:
        for group in _dot_groups(node):
            if group in vectors:
                continue
            k = len(vectors)
            while f"vec{k}" in taken or f"g_vec{k}" in taken:
                k += 1
            vectors[group] = f"vec{k}"
            taken.update((f"vec{k}", f"g_vec{k}"))
            if len(set(group)) == len(group) and not housed.intersection(group):
                homes[group] = f"g_vec{k}"
                housed.update(group)
    return vectors, homes


_RESERVED = set(_FROM_MATH + _FROM_COMPILE)


def _identifier(text):
    """A label as a Python name ("x1*w1" -> "x1_w1"), or "" when nothing usable is left."""
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
    name = {}
    for node in inputs + [n for n in order if n not in set(inputs)]:
        base = wanted[node]
        candidate, k = base, 1
        while candidate in taken:
            k += 1
            candidate = f"{base}_{k}"
        taken.add(candidate)
        name[node] = candidate
    return name


def _grad_names(nodes, name):
    """g_<name> for each node's adjoint, kept apart from every value's name."""
    taken = set(name.values()) | _RESERVED
    grad = {}
    for node in nodes:
        candidate, k = f"g_{name[node]}", 1
        while candidate in taken:
            k += 1
            candidate = f"g_{name[node]}_{k}"
        taken.add(candidate)
        grad[node] = candidate
    return grad
