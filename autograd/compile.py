"""autograd.compile: trace a function's graph once and turn it into a Python program.

    f = autograd.compile(fn)    # fn takes Values (or floats, or lists of them) and returns a Value
    f(*args)                    # the output as a float; adds gradients into .grad as backward() does
    f.grad(*args)               # (output, [d output / d arg for each arg]), touching no .grad
    print(f)                    # the program: forward lines, then adjoint lines in reverse

The first call runs fn on Values and records its graph (tracing), then writes the graph as one
Python function. Each op writes its own lines (``Op.code`` in ops.py); this module only puts
them in order and sums each node's gradient over its uses. Later calls run the program on
plain floats and build no graph. The program does the same float operations in the same order
as the graph and ``backward()``, so its numbers are the graph's, bit for bit.

What the program reads at each call, and what it does not:

- **Arguments** are data: numbers, Values, and lists or tuples (nested) of them, positional or
  keyword. New numbers run the same program; a new structure (another batch size) traces again.
  ``f.grad`` returns a gradient for each positional argument, in the same nesting.
- **Leaves made before the call** and used by fn (a model's parameters) are read at each call
  (their ``.data``), and ``f(...)`` adds their gradients into ``.grad``.
- **Every other number is a constant** of the program, written into ``f.source`` as a literal:
  a number fn turns into a Value, data fn reads from a global or a closure (``batch["X"]``), a
  ``.data`` fn reads. To train on batches, pass the batch as an argument: ``f(X_batch, y_batch)``.
- **Choices**: an op that branches on a number (relu, abs, max, softplus) branches inside its
  line of the program; a comparison of Values in fn (``if x > 0:``) becomes a guard, and inputs
  that flip it trace again (``f.traces`` counts the traces; earlier programs are kept).
- **Randomness and modes**: a dropout mask (``engine.random_leaf``) is drawn afresh from its
  generator at every call, in the order fn drew it; a fact fn read through
  ``engine.depends_on`` (a module's training mode) is checked at each call, and a change traces
  again. ``no_grad()`` inside fn is a detach: the value still follows the inputs.
- **Errors**: when the program fails (a log of a negative number, a division by zero) or any
  value it computed is inf or nan, ``f`` builds the graph for those inputs, so the error (or
  the result) is exactly the engine's. A value the output does not depend on is not computed,
  so an error there is not raised.
- **Aliases**: a Value given at two places, or given and also read by fn, is one leaf; such a
  call runs on the graph, built on the Values given.

``compile(fn, check=True)`` also builds the graph at every call and raises on the first number
that differs: a sanitizer to turn on when in doubt.

Up to ``FUSE_NODES`` nodes the program reads as the graph: one line per node, named as the
graph names it (labels, or ``v<i>``, the node's place in ``topological_order``), each gradient
line commented with the rules it applies. Larger graphs are written more tightly, with the same
operations in the same order: a node used once is written inside its user's line, a gradient
equal to its one user's gets no line, and a dead relu does not compute the gradient it would
multiply by 0. Programs of more than about ``2 * NAMED_NODES`` lines keep their numbers in two
lists, V and G, and run as parts of ``PART_NODES`` nodes whose lines name other nodes by their
distance (``V[_b-1]``), so parts that repeat (a long chain, an unrolled loop) are compiled once.
A loss over a batch is written as a batch loop: one sample's forward (``_fwd``) and backward
(``_back``), run for each sample on its own numbers, then each parameter's gradient summed over
the batch in backward()'s order (see BATCH_GROUPS); a graph that is not a batch stays straight-line.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import gc
import inspect
import keyword
import math
import numbers
import re
import sys
import threading
import unicodedata
from collections import Counter
from fractions import Fraction
from itertools import chain

from autograd import engine, ops
from autograd.engine import Value

__all__ = ["compile", "Compiled"]
TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def compile(fn: Callable[..., Value], check: bool = False) -> Compiled:
    """Compile fn (Values in, one Value out) into a Python program for its forward and backward pass."""
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}: {fn!r:.60}")
    return Compiled(fn, check)


class Compiled:
    """A function traced into a program; call it like fn, or ``.grad(*args)`` for the gradients."""

    def __init__(self, fn, check=False):
        self.fn = fn
        self.check = bool(check)
        self.traces = 0
        self._traced = {}  # structure of the arguments -> programs, the latest first
        self._latest = None

    def __call__(self, *args: Any, **kwargs: Any) -> float:
        """The output as a float; adds d output / d leaf into the .grad of the Value arguments and
        of the leaves made outside fn."""
        out, _, flat, grads, live = self._run(args, kwargs, arguments=None)
        for leaf, g in live:  # as backward() commits: a program's gradients are floats
            leaf._grad += g
        added = set()
        for arg, g in zip(flat, grads):
            if isinstance(arg, Value) and id(arg) not in added:  # a Value given twice is one leaf: its total, once
                added.add(id(arg))
                arg.grad += g
        return out

    def grad(self, *args: Any, **kwargs: Any) -> tuple[float, list[Any]]:
        """(output, [d output / d arg for each positional arg, nested as the arg]) as floats; no .grad changes."""
        out, structure, _, grads, _ = self._run(args, kwargs, arguments=True)
        grads = [0.0 + g for g in grads]  # 0.0 + g: a gradient sum starts at 0.0, as the engine's
        positional, _ = _unflatten(structure[0], grads, 0)
        return out, list(positional)

    @property
    def source(self) -> str:
        """The latest trace's program."""
        if self._latest is None:
            raise RuntimeError(f"{self._name()}: nothing compiled yet; call it once to trace it")
        return self._latest.source

    def __str__(self):
        return self.source.rstrip("\n") if self._latest is not None else repr(self)

    def __repr__(self):
        if self._latest is None:
            return f"<compiled {self._name()}: not traced yet>"
        return f"<compiled {self._name()}: {self._latest.n_nodes} nodes, {self.traces} trace(s); print() shows the program>"

    def _name(self):
        name = getattr(self.fn, "__name__", None) or type(self.fn).__name__.lower()  # a Module: its class
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            return "compiled"
        return f"{name}_program" if name in _RESERVED else name  # def tanh(...) must not hide math's

    def _run(self, args, kwargs, arguments):
        """(output, structure, the flat arguments, a gradient per flat argument, [(live leaf, gradient)]).

        arguments: whether the arguments' gradients are needed (None: when one is a Value).
        """
        structure, flat = _structure(args, kwargs, self._name())
        data = [x if type(x) is float else engine.number_of(x, self._name()) for x in flat]
        given = [id(x) for x in flat if isinstance(x, Value)]
        if arguments is None:
            arguments = self.check or bool(given)
        traces = self._traced.setdefault(structure, [])
        twice = len(set(given)) < len(given)
        for traced in (False, True):
            for trace in traces:
                # A Value given at two places, or given and also read by fn (a live leaf), is one leaf whose
                # gradient the graph sums over all its uses at once; the program has a leaf per place.
                aliased = twice or (given and not trace.live_ids.isdisjoint(given))
                result = _ON_THE_GRAPH if aliased else trace.run(data, arguments)
                if result is None:  # a guard or a fact outside the graph differs: another trace
                    continue
                if result is _ON_THE_GRAPH:
                    out, grads, live = self._on_the_graph(structure, flat, data)
                    return out, structure, flat, grads, live
                self._latest = trace
                out, grads, states = result
                if self.check:
                    _restore(states)  # the graph draws the same masks
                    self._compare(trace, (out, grads), self._on_the_graph(structure, flat, data))
                return out, structure, flat, grads[: len(data)], list(zip(trace.live, grads[len(data) :]))
            if traced:
                raise RuntimeError(f"{self._name()}: a comparison came out differently for the same inputs; "
                                   "does the function depend on something besides its arguments and Values?")
            with _collector_paused():
                traces.insert(0, self._trace(structure, flat, data))
            self._latest = traces[0]

    def _trace(self, structure, flat, data):
        out, inputs, recording = self._build(structure, flat, data)
        _restore(recording.states.items())  # the program draws the trace's masks again
        self.traces += 1
        names = _argument_names(self.fn, structure)
        return _Trace(self._name(), out, inputs, names, recording)

    def _build(self, structure, flat, data, given=False):
        """fn run on new Values for the arguments (given: on the Values given, where they are), recorded:
        (output, the input Values, the Recording)."""
        inputs = [a if given and isinstance(a, Value) else Value(x, label=a.label if isinstance(a, Value) else "")
                  for x, a in zip(data, flat)]
        (args_shape, kwargs_shape) = structure
        args, _ = _unflatten(args_shape, inputs, 0)
        kwargs, _ = _unflatten(kwargs_shape, inputs, len(inputs) - _count(kwargs_shape))
        recording = engine.Recording()
        with _tracing, engine.recording_into(recording):
            out = self.fn(*args, **kwargs)
        if not isinstance(out, Value):
            hint = ""
            if isinstance(out, (list, tuple)):
                hint = (f" (a model with several outputs: compile its loss, e.g. "
                        f"autograd.compile(lambda x, y: nn.mse_loss(model(x), y)))")
            raise TypeError(f"compile: {self._name()} must return a Value, got {type(out).__name__}: {out!r:.60}{hint}")
        return out, inputs, recording

    def _on_the_graph(self, structure, flat, data):
        """The engine's own answer for these inputs: its error, or (output, arg grads, live pairs)."""
        out, inputs, recording = self._build(structure, flat, data, given=True)
        given = set(inputs)
        drawn = {leaf for leaf, _, _ in recording.draws}
        leaves = [node for node in engine.topological_order(out)
                  if node._op is None and node not in given and node not in recording.made and node not in drawn]
        grads = engine.grad(out, inputs + leaves)
        return out.data, grads[: len(inputs)], list(zip(leaves, grads[len(inputs) :]))

    def _compare(self, trace, program, graph):
        """check=True: the first number where the program and the graph differ raises."""
        out, grads = program
        graph_out, graph_grads, graph_live = graph
        n = len(graph_grads)
        pairs = [("the output", out, graph_out)]
        pairs += [(f"d/d argument {i}", g, h) for i, (g, h) in enumerate(zip(grads[:n], graph_grads))]
        live = dict(zip(trace.live, grads[n:]))
        pairs += [(f"d/d {_leaf_name(leaf)}", live.get(leaf, 0.0), h) for leaf, h in graph_live]
        for what, ours, theirs in pairs:
            if not _same(ours, theirs):
                raise RuntimeError(f"compile(check=True): {self._name()}'s program gives {what} = {ours!r}, the graph "
                                   f"{theirs!r}. This is a bug in autograd.compile; the graph's number is the right one")


_tracing = threading.RLock()  # the engine's recording is one per process: one traced run at a time
# CPython 3.11 specialises a function's bytecode (float arithmetic without a generic call) from
# its ninth call on; a program is straight-line code, so its first eight calls run about a
# quarter slower. Compiling calls it eight times first, so a training loop gets the fast form from
# its first step: a program of more than FUSE_NODES nodes takes _warm=True and returns at once
# (a call is what counts), a smaller one runs on the trace's own numbers. (3.12 and later
# specialise from the first call; 3.10 does not specialise.)
_WARM_UP_CALLS = 8 if sys.version_info[:2] == (3, 11) else 0
_ON_THE_GRAPH = object()  # a program's answer when the graph must decide


@contextlib.contextmanager
def _collector_paused():
    """Tracing and writing a program make many objects and free none in cycles; the cyclic
    garbage collector, which would walk the whole graph again at every pass, waits till the end
    (an MLP's 64.8k-node trace compiles 13% sooner)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _same(a, b):
    """Bit for bit, up to the sign of a zero; nan equals nan."""
    return a == b or (a != a and b != b)


def _leaf_name(leaf):
    return repr(leaf.label) if leaf.label else f"a leaf (data {leaf.data!r})"


def _restore(states):
    for generator, state in states:
        generator.setstate(state)


# ---- arguments: numbers, Values and nested lists or tuples of them --------------------------


def _structure(args, kwargs, owner):
    """((shape of args, shape of kwargs), [every number or Value in order]); a shape is None for one
    number, (is_tuple, shapes of the items) for a list or tuple, and the keyword names for kwargs."""
    flat = []

    def shape(x, where):
        kind = type(x)
        if kind is float or kind is Value or kind is int:  # the common cases first: isinstance of an ABC is slow
            flat.append(x)
            return None
        if isinstance(x, (list, tuple)):
            if all(type(item) is float for item in x):  # a row of numbers
                flat.extend(x)
                return (isinstance(x, tuple), (None,) * len(x))
            return (isinstance(x, tuple), tuple(shape(item, f"{where}[{i}]") for i, item in enumerate(x)))
        if isinstance(x, (Value, numbers.Real)):
            flat.append(x)
            return None
        raise TypeError(f"{owner}: expected a number or a Value, got {type(x).__name__}: {x!r:.60} as {where} "
                        f"(lists and tuples of numbers and Values work too)")

    args_shape = (True, tuple(shape(a, f"argument {i}") for i, a in enumerate(args)))
    names = tuple(sorted(kwargs))
    kwargs_shape = (names, tuple(shape(kwargs[k], f"argument {k}=") for k in names))
    return (args_shape, kwargs_shape), flat


def _count(shape):
    if shape is None:
        return 1
    return builtins.sum(_count(s) for s in shape[1])


def _unflatten(shape, items, start):
    """(the nested arguments of that shape from items[start:], the index after them)."""
    if shape is None:
        return items[start], start + 1
    kind, shapes = shape
    out = []
    for s in shapes:
        item, start = _unflatten(s, items, start)
        out.append(item)
    if kind is True:
        return tuple(out), start
    if kind is False:
        return out, start
    return dict(zip(kind, out)), start  # keyword arguments


def _argument_names(fn, structure):
    """A name per flat argument: fn's parameter names, x0, x1, ... where it has none, with the
    position inside a nested argument appended (X_0_1), keyword arguments by their keyword."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = []
    for p in parameters:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            break
    names = []

    def walk(shape, name):
        if shape is None:
            names.append(name)
        else:
            for i, s in enumerate(shape[1]):
                walk(s, f"{name}_{i}")

    args_shape, (keywords, kwargs_shapes) = structure
    for i, s in enumerate(args_shape[1]):
        walk(s, positional[i] if i < len(positional) else f"x{i}")
    for keyword_name, s in zip(keywords, kwargs_shapes):
        walk(s, keyword_name)
    return names


# ---- one traced graph and its program --------------------------------------------------------


class _Trace:
    """A traced graph written as a program, and what a call needs besides the arguments: the live
    leaves to read, the masks to draw, the facts outside the graph to check."""

    def __init__(self, fn_name, out, inputs, arg_names, recording):
        self.fn_name = fn_name
        self.reads = recording.reads
        self.draws = [(generator, draw) for _, generator, draw in recording.draws]
        self.generators = list(dict.fromkeys(generator for generator, _ in self.draws))
        generator = _Generator(fn_name, out, inputs, arg_names, recording)
        self.source, self.function, self.live, self.used_draws, self.n_nodes = generator.program()
        self.live_ids = {id(leaf) for leaf in self.live}
        self.asks_for_arguments = generator.asks_for_arguments
        self.constants = [(leaf, leaf.data) for leaf in generator.order if leaf._op is None and leaf in recording.made]
        self.constants_held = False  # not yet known which constants something else still holds
        if _WARM_UP_CALLS and not generator.in_parts:
            values = [v.data for v in (*inputs, *self.live, *generator.masks)]
            for _ in range(_WARM_UP_CALLS):
                try:
                    self.function(*values, _warm=True) if generator.warms else self.function(*values)
                except (ArithmeticError, ValueError):
                    break

    def run(self, data, arguments=True):
        """(output, gradients, generator states before the call); None when this trace does not
        apply; _ON_THE_GRAPH when the graph must decide. arguments=False: the arguments'
        gradients are not needed (they may come back as 0.0)."""
        for read, value in self.reads:
            if read() != value:
                return None
        if not self.constants_held:  # the graph is gone by now: a constant only this list holds cannot change
            self.constants = [(leaf, number) for leaf, number in self.constants if sys.getrefcount(leaf) > 3]
            self.constants_held = True
        for leaf, number in self.constants:
            if not _same(leaf.data, number):
                raise RuntimeError(
                    f"{self.fn_name}: the Value {_leaf_name(leaf)} was made while the function was traced, so its "
                    f"number, {number!r}, is a constant of the program, but it is {leaf.data!r} now. Make it before "
                    f"compiling (as a model's parameters are) to have it read at each call, or pass it as an argument")
        states = [(generator, generator.getstate()) for generator in self.generators]
        masks = [draw(generator) for generator, draw in self.draws]
        try:
            values = [*data, *[leaf.data for leaf in self.live], *[masks[i] for i in self.used_draws]]
            result = self.function(*values) if arguments or not self.asks_for_arguments else \
                self.function(*values, _arguments=False)
        except (ArithmeticError, ValueError):
            _restore(states)
            return _ON_THE_GRAPH
        if result is None:
            _restore(states)
            return None
        return result[0], result[1], states


# Programs of more lines than twice this (a line per node computed, a line per gradient) keep their
# numbers in two lists (V, G) and are compiled in parts of PART_NODES nodes: Python compiles one
# huge function in more than linear time and memory.
NAMED_NODES = 25_000
PART_NODES = 2_000
# Graphs of more than FUSE_NODES nodes (and at most FUSE_LIMIT) write a node used once, by an op
# that passes an inf or nan on, inside its user's line, up to FUSE_DEPTH deep; its gradient,
# when the user's local derivative is 1, is the user's. Smaller graphs keep a line per node.
FUSE_NODES = 2_000
FUSE_LIMIT = 200_000
FUSE_DEPTH = 60
# A gradient summed over at least this many uses is written as a sum of products over two tuples
# written once and shared (a weight's inputs over a batch, the upstream gradients); so is a dot
# node's dot(w1, ..., x1, ...) (its weights, and its inputs shared by a layer's neurons). Python
# compiles the program in time and memory that grow with the names written out.
VECTOR_TERMS = 17
# A graph of more than FUSE_NODES nodes (at most FUSE_LIMIT) in which one node combines at least
# BATCH_GROUPS copies of one subgraph, each sharing only leaves and constants with the rest (a loss
# over a batch: a copy per sample, sharing the parameters), is written as a batch loop: one copy's
# forward and backward, run for each copy on its own numbers. Python compiles one copy, not all of
# them; the numbers are the same, added in the same order. The other nodes (at most BATCH_REST)
# are written a line each. BATCH_GROUPS = 0 writes every graph as straight-line code.
BATCH_GROUPS = 8
BATCH_REST = 2_000
TUPLE_ITEMS = 30  # CPython's STACK_USE_GUIDELINE: a longer tuple display is built through a list
_SIMPLE = re.compile(r"(-?[\w.]+|\(-[\w.]+\))(\[[^\[\]]*\])?")
_WORD = re.compile(r"[A-Za-z_]\w*")
_DOT_CALL = re.compile(r"\bdot\(([^()]*)\)")


@functools.lru_cache(maxsize=1 << 16)  # the same operands come back in gradient sum after gradient sum
def _simple(text):
    return _SIMPLE.fullmatch(text) is not None


class _Template:
    """An op's code with placeholders ({0}, {1}, ... for the operands, {o} for the output), asked
    once per op: its forward, and each local derivative times an upstream gradient {g}.

    code: what op.code(["__0", ...], "__o") gave; None: the program calls the op, named fallback_name.
    """

    def __init__(self, n, code, fallback_name=None):
        self.n = n
        self.fallback = code is None
        if code is None:  # the program calls the op itself
            operands = f"({', '.join(f'__{k}' for k in range(n))},)"
            code = (f"{fallback_name}.forward({operands})",
                    [f"{fallback_name}.local_grads({operands}, __o)[{k}]" for k in range(n)])
        forward, locals_ = code
        self.helpers = set(_WORD.findall(" ".join([forward, *locals_])))
        self.forward = _placeholders(forward)
        self.locals = [_placeholders(local) for local in locals_]
        self.products = [_placeholders(_times(local)) for local in locals_]
        # the same texts as functions of (operands, output[, upstream gradient])
        self.write_forward = _writer(self.forward)
        self.write_local = [_writer(local) for local in self.locals]
        self.write_product = [_writer(product) for product in self.products]
        # the common local derivatives, written without a call: an operand ({j}: j) or 1.0 (-1)
        self.local_operand = [-1 if local == "1.0" else int(local[1:-1]) if _OPERAND.fullmatch(local) else None
                              for local in self.locals]
        self.shares_dot = "dot(" in forward
        self.reads_output = "{o}" in " ".join(self.locals)
        self.may_be_undefined = ["(" in local for local in locals_]  # a helper's result: only its product tells
        self.binds, self.places = self._fusion_facts(forward, locals_, n)

    def _fusion_facts(self, forward, locals_, n):
        """(how the forward binds: "atom", "sum", "product" or "other"; for each operand, the place it
        has in the forward if it can be written there as an expression, else None). An operand
        can when it appears once in the forward and in no local derivative, and when an inf or nan
        there makes the output inf or nan (or fails), so the program's check still sees it; only
        ops of up to 8 operands are asked (the probe tries each operand in turn)."""
        tree = ast.parse(forward, mode="eval").body
        kind = ("sum" if isinstance(tree, ast.BinOp) and isinstance(tree.op, (ast.Add, ast.Sub)) else
                "product" if isinstance(tree, ast.BinOp) and isinstance(tree.op, (ast.Mult, ast.Div)) else
                "atom" if isinstance(tree, (ast.Name, ast.Constant, ast.Call)) else "other")
        places = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                if isinstance(child, ast.Name) and child.id.startswith("__") and child.id[2:].isdigit():
                    places.setdefault(int(child.id[2:]), []).append(_place(parent, child))
        mentioned = set(_WORD.findall(" ".join(locals_)))
        fit = []
        for k in range(n):
            ok = (not self.fallback and n <= 8 and len(places.get(k, ())) == 1 and f"__{k}" not in mentioned
                  and "__o" not in forward and _keeps_infinity(forward, n, k))
            fit.append(places[k][0] if ok else None)
        return kind, fit


def _placeholders(text):
    return _PLACEHOLDER.sub(r"{\1}", text)


def _writer(template):
    """A template as a function (operands, o, g) -> its text: an f-string compiled once per op,
    a few times faster than str.format given every operand at each of a graph's lines."""
    fields = _FIELD.sub(lambda m: f"{{r[{m[1]}]}}" if m[1].isdigit() else f"{{{m[1]}}}", template)
    return eval(f"lambda r, o, g=None: f{fields!r}")


_FIELD = re.compile(r"\{(\d+|o|g)\}")
_OPERAND = re.compile(r"\{\d+\}")


def _place(parent, child):
    """Where an operand sits: "left_sum", "right_sum", "left_product", "right_product", "argument" or "other"."""
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        side = "left" if parent.left is child else "right"
        return f"{side}_{'sum' if isinstance(parent.op, (ast.Add, ast.Sub)) else 'product'}"
    if isinstance(parent, ast.Call) and child in parent.args:
        return "argument"
    return "other"


def _keeps_infinity(forward, n, k):
    """True when inf, -inf and nan as operand k make the forward inf or nan (or fail), for a few
    finite values of the other operands: an overflow there cannot be hidden by this op."""
    code = builtins.compile(forward, "<probe>", "eval")
    for finite in (1.5, 0.75, 2.0):
        scope = dict(ops.CODE_HELPERS, **{f"__{j}": finite for j in range(n)})
        try:
            eval(code, scope)
        except (ArithmeticError, ValueError):
            continue
        for bad in (math.inf, -math.inf, math.nan):
            scope[f"__{k}"] = bad
            try:
                result = eval(code, scope)
            except (ArithmeticError, ValueError):
                continue
            if math.isfinite(result):
                return False
    return True


def _grouped(expression, kind, place):
    """An operand's expression written into its user's line, in brackets only where Python's
    grouping would differ from the graph's (a + b as the right operand of +, say)."""
    if kind == "atom" or place == "argument" or (kind == "sum" and place == "left_sum") or \
            (kind == "product" and place in ("left_sum", "right_sum", "left_product")):
        return expression
    return f"({expression})"


def _times(local):
    """local * __g as source: 1.0 * g is g and -1.0 * g is -g (the same numbers), and a
    conditional multiplies in each branch, so a relu's dead branch costs no product."""
    if local == "1.0":
        return "__g"
    if _SIMPLE.fullmatch(local) and local != "-1.0":
        return f"{local} * __g"
    tree = ast.parse(local, mode="eval").body

    def times(node):
        if isinstance(node, ast.IfExp):
            return ast.IfExp(node.test, times(node.body), times(node.orelse))
        if isinstance(node, ast.Constant) and node.value == 1.0 and math.copysign(1.0, node.value) > 0:
            return ast.Name("__g")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
                isinstance(node.operand, ast.Constant) and node.operand.value == 1.0:
            return ast.UnaryOp(ast.USub(), ast.Name("__g"))
        return ast.BinOp(node, ast.Mult(), ast.Name("__g"))

    product = times(tree)
    return f"({ast.unparse(product)})" if isinstance(product, ast.IfExp) else ast.unparse(product)


_PLACEHOLDER = re.compile(r"\b__(\d+|o|g)\b")
_TEMPLATES: dict = {}


class _Generator:
    """Writes one traced graph as Python (named lines, or V/G lists in parts for large graphs)."""

    def __init__(self, fn_name, out, inputs, arg_names, recording):
        self.fn_name, self.out, self.inputs, self.arg_names, self.recording = fn_name, out, inputs, arg_names, recording
        order = engine.topological_order(out)
        self.in_graph = len(order)
        if recording.guards:
            seen = set(order)
            for value, _, other, _ in recording.guards:  # a compared Value may lie outside the output's graph
                for v in (value, other):
                    if isinstance(v, Value) and v not in seen:
                        for node in engine.topological_order(v):
                            if node not in seen:
                                seen.add(node)
                                order.append(node)
        self.order = order
        input_set = set(inputs)
        drawn = [leaf for leaf, _, _ in recording.draws]
        drawn_set, made = set(drawn), recording.made
        # varying: computed from a parameter of the program (else a constant, written as its number);
        # needed: computed from an argument or a live leaf (else it needs no gradient)
        varying, needed, live, computed = set(input_set), set(input_set), [], []
        for node in order:
            if node._op is None:
                if node in drawn_set:
                    varying.add(node)
                elif node not in made and node not in input_set:
                    live.append(node)
                    varying.add(node)
                    needed.add(node)
                continue
            a, b = node._a, node._b
            parents = (a, b) if b is not None else a if type(a) is tuple else (a,)
            for p in parents:
                if p in varying:
                    varying.add(node)
                    computed.append(node)
                    for q in parents:
                        if q in needed:
                            needed.add(node)
                            break
                    break
        self.varying, self.needed, self.live = varying, needed, live
        self.computed = computed  # the nodes the program computes, in order
        self.masks = [leaf for leaf in drawn if leaf in varying]
        position = {leaf: i for i, leaf in enumerate(drawn)}
        self.used_draws = [position[leaf] for leaf in self.masks]
        self.parameters = inputs + live + self.masks
        self.templates = {}  # (op, number of operands) -> its template
        self.asks_for_arguments = False  # True: the program takes _arguments=False to skip the arguments' gradients
        self.warms = False  # True: the program takes _warm=True and returns None at once (see _WARM_UP_CALLS)
        self.fallbacks = {}  # op -> its name in the program, for ops without code
        self.helpers = set()
        self.namespace = dict(ops.CODE_HELPERS)

    def program(self):
        """(source, function, live leaves, indices of the draws it uses, number of nodes)."""
        fused = FUSE_NODES < len(self.order) <= FUSE_LIMIT
        source = _BatchLoop.write(self) if fused and BATCH_GROUPS else None
        self.inline, aliased = self._fusion() if fused and source is None else (set(), 0)
        forward = len(self.computed)
        backward = len(self.needed) - 1 - aliased  # a line per gradient but the output's and those that are their user's
        self.in_parts = source is None and forward - len(self.inline) + backward > 2 * NAMED_NODES
        if not self.in_parts:
            source = source or self._named()
            exec(builtins.compile(source, f"<autograd.compile {self.fn_name}>", "exec"), self.namespace)
        else:
            source = self._in_parts()
        return source, self.namespace[self.fn_name], self.live, self.used_draws, self.in_graph

    # -- what every form shares

    def _fusion(self, nodes=None):
        """(The nodes written inside their one user's line rather than on a line of their own, how
        many gradients are their one user's), for graphs of more than FUSE_NODES nodes:
        ((w1*x1 + w2*x2) + w3*x3) + b, made of * and + nodes, becomes one line of the same
        operations in the same order. nodes: only those, computed nodes in order whose users are
        among them (a batch loop's copy), else the whole graph."""
        order, varying, template_of = self.order if nodes is None else nodes, self.varying, self.template_of
        compared = {v for value, _, other, _ in self.recording.guards for v in (value, other) if isinstance(v, Value)}
        parents_of = self.parents_of
        once = {node for node, count in self.use_count.items() if count == 1}
        uses = {}  # a node used once: (its user, the operand it is there)
        for node, parents in zip(self.computed, self.operands) if nodes is None else ((n, parents_of[n]) for n in nodes):
            if not once.isdisjoint(parents):
                for k, parent in enumerate(parents):
                    if parent in once:
                        uses[parent] = (node, k)
        inline, depth, aliased = set(), {}, 0
        out, needed = self.out, self.needed
        for node in order:
            use = uses.get(node)
            if use is None:
                continue
            if node in needed and template_of[use[0]].locals[use[1]] == "1.0":
                aliased += 1  # its gradient will be its user's
            if node._op is None or node is out or node not in varying or node in compared:
                continue
            below = [depth[p] for p in parents_of[node] if p in inline]
            d = depth[node] = 1 + max(below) if below else 1
            user, k = use
            if d < FUSE_DEPTH and not template_of[node].reads_output and template_of[user].places[k]:
                inline.add(node)
        return inline, aliased

    @functools.cached_property
    def operands(self):
        """Each computed node's parents (asked by _fusion and the named form: a graph of more than FUSE_LIMIT
        nodes, written in parts, never holds them all)."""
        return [node.parents for node in self.computed]

    @functools.cached_property
    def use_count(self):
        """{node: how many times it is an operand of a computed node}."""
        return Counter(chain.from_iterable(self.operands))

    @functools.cached_property
    def parents_of(self):
        """{node: its parents} for every node the program computes."""
        return dict(zip(self.computed, self.operands))

    @functools.cached_property
    def template_of(self):
        """{node: its op's template} for every node the program computes."""
        templates, last = {}, {}  # last: op -> its template, for the run of nodes of one op
        for node, parents in zip(self.computed, self.operands):
            template = last.get(node._op)
            if template is None or template.n != len(parents):
                template = last[node._op] = self._template(node._op, len(parents))
            templates[node] = template
        return templates

    def _template(self, op, n):
        template = self.templates.get((op, n))
        if template is None:
            code = op.code([f"__{k}" for k in range(n)], "__o")
            if code is None:
                fallback = self.fallbacks.get(op) or f"_op{len(self.fallbacks)}"
                template = _Template(n, None, fallback)
                self.fallbacks[op] = fallback
                self.namespace[fallback] = op
            else:  # ops that write the same code share one template, made once per process
                if any("{" in text or "}" in text for text in (code[0], *code[1])):
                    raise ValueError(f"compile: the op {op.name!r} writes {code[0]!r}, with a brace; an op's code "
                                     "is written into lines through templates, so it may not use { or }")
                key = (code[0], tuple(code[1]), n)
                template = _TEMPLATES.get(key)
                if template is None:
                    if len(_TEMPLATES) >= 10_000:
                        _TEMPLATES.clear()
                    template = _TEMPLATES[key] = _Template(n, code)
            self.templates[(op, n)] = template
            self.helpers |= template.helpers
        return template

    def _guards(self, ref, rank):
        """{rank of the later compared node (-1: only leaves): guard lines}; a guard on constants alone is dropped."""
        checks = {}
        for value, op, other, result in self.recording.guards:
            sides = [v for v in (value, other) if isinstance(v, Value)]
            if not any(v in self.varying for v in sides):
                continue
            if isinstance(other, Value):
                test = f"{ref(value)} {op} {ref(other)}"
            else:
                float_op, number = _float_comparison(op, other)
                test = "True" if float_op is True else "False" if float_op is False else f"{ref(value)} {float_op} {ops.literal(number)}"
            later = max((rank[v] for v in sides if v in self.varying and v._op is not None), default=-1)
            line = f"if not {test}: return None  # traced where {test} is {result}" if result else \
                f"if {test}: return None  # traced where {test} is {result}"
            lines = checks.setdefault(later, [])
            if line not in lines:
                lines.append(line)
        return checks

    def _sequence(self):
        """The nodes to compute, in order; a node computed only for a comparison comes as soon as its
        operands are, so its guard is checked before the lines of a branch the new inputs may not take."""
        order, in_graph = self.order, self.in_graph
        if len(order) == in_graph:
            return order
        key = {node: (i, 0) for i, node in enumerate(order[:in_graph])}
        for j, node in enumerate(order[in_graph:], start=1):
            key[node] = (max((key[p][0] for p in node.parents), default=-1), j)
        return sorted(order, key=key.__getitem__)

    def _always_fails(self):
        """True when a constant part of the graph has a derivative that does not exist: backward,
        which multiplies every edge, then always raises (the graph says how)."""
        return any(isinstance(local, ops.Undefined) for node in self.order[: self.in_graph]
                   if node._op is not None and node not in self.varying for local in node.local_grads)

    def _header(self):
        math_names = [h for h in ops.MATH_HELPERS if h in self.helpers]
        op_names = [h for h in ops.CODE_HELPERS if h in self.helpers and h not in math_names and h not in ("abs", "mul")]
        header = []
        if math_names:
            header.append(f"from math import {', '.join(math_names)}")
        if "mul" in self.helpers:
            header.append("from operator import mul")
        if op_names:
            header.append(f"from autograd.ops import {', '.join(op_names)}")
        if header:
            header.append("")
        header += [f"# {key}: the op {op.name!r} of the traced graph (it has no code of its own)"
                   for op, key in self.fallbacks.items()]
        return header

    # -- small graphs: one named line per node

    def _named(self):
        order, in_graph, varying, needed, out = self.order, self.in_graph, self.varying, self.needed, self.out
        name = _names(order, self.inputs, self.arg_names)

        operand_text = {node: name[node] if node in varying else _literal(node.data) for node in order}
        ref = operand_text.__getitem__
        sequence = self._sequence()
        rank = {node: r for r, node in enumerate(sequence)}
        checks = self._guards(ref, rank)
        body = ["raise ValueError('a derivative of a constant part does not exist: the graph says which')"] \
            if self._always_fails() else []
        body += checks.get(-1, [])
        gname = _grad_names(order[:in_graph], name)
        tuples = _Tuples(body, set(name.values()) | set(gname.values()) | _RESERVED)
        written, computed = self._write_forward(sequence, self.parents_of, self.template_of, operand_text, name,
                                                self.inline, tuples, body, checks)
        if computed:  # an op the engine would have stopped (an overflow of + - * /) may be hidden by a later one
            body.append(_overflow_check(computed))
            self.helpers.add("isfinite")

        # Backward: one line per node, in reverse. A node's gradient is the sum of local * upstream
        # over its uses, in the order backward() adds them: the later use first, operands in order.
        uses, unneeded = self._uses(reversed(order[:in_graph]), self.parents_of, written, needed, name)
        if out in needed:
            body.append(f"{gname[out]} = 1.0")
        lines = self._gradient_lines(reversed(order[: in_graph - 1]), uses, written, name, gname, tuples, body,
                                     alias=bool(self.inline))
        body += _unneeded_lines(unneeded)
        leaves = self.inputs + self.live
        returned = [gname[leaf] if leaf in uses or (leaf is out and out in needed) else "0.0" for leaf in leaves]
        for_arguments = self._for_arguments_only(body, lines, gname) if len(order) > FUSE_NODES else []
        if self.inline:
            terms = _terms(uses, gname)
            body = _skip_dead_branches(body, terms, set(returned))
            for_arguments = _skip_dead_branches(for_arguments, terms, set(returned))
        finish = [f"return {ref(out)}, {_tuple_text(returned)}"]
        keywords = []
        if for_arguments:  # gradients only the arguments need: computed when asked for
            self.asks_for_arguments = True
            keywords.append("_arguments=True")
            early = ["0.0" if i < len(self.inputs) else g for i, g in enumerate(returned)]
            finish = [f"if not _arguments: return {ref(out)}, {_tuple_text(early)}", *for_arguments, *finish]
        if _WARM_UP_CALLS and len(order) > FUSE_NODES:
            self.warms = True
            keywords.append("_warm=False")
            body.insert(0, "if _warm: return None  # compiling calls it so, to have Python 3.11 specialise it")
        parameters = [name[leaf] for leaf in self.parameters] + (["*", *keywords] if keywords else [])
        signature = f"def {self.fn_name}({', '.join(parameters)}):"
        return "\n".join(self._header() + [signature] + ["    " + line for line in body + finish]) + "\n"

    def _write_forward(self, nodes, parents_of, template_of, operand_text, name, inline, tuples, body, checks=None):
        """Writes the line of each node the program computes (the nodes in parents_of) into body, in
        the order of nodes; a node in inline is written inside its user's line instead. checks:
        {a node's place in nodes: the guard lines that follow it}. Returns ({node: (its template,
        its operands' texts)}, the names of the values computed on lines of their own)."""
        written, computed, expressions = {}, [], {}
        for r, node in enumerate(nodes):
            parents = parents_of.get(node)
            if parents is not None:
                template = template_of[node]
                refs = [operand_text[p] for p in parents]
                written[node] = (template, refs)
                operands = refs
                if inline and not inline.isdisjoint(parents):
                    places = template.places
                    operands = [_grouped(*expressions.pop(p), places[k]) if p in inline else text
                                for k, (p, text) in enumerate(zip(parents, refs))]
                forward = template.write_forward(operands, name[node])
                if node in inline:
                    expressions[node] = (forward, template.binds)
                    continue
                if template.shares_dot:
                    forward = _DOT_CALL.sub(lambda m: self._shared_dot(m.group(1), tuples), forward)
                body.append(f"{name[node]} = {forward}")
                computed.append(name[node])
            if checks and r in checks:
                body += checks[r]
        return written, computed

    def _uses(self, nodes, parents_of, written, needed, name):
        """({node: [(user, operand), ...]} in the order backward() adds a node's uses, given nodes
        latest first; the local derivatives no gradient needs but backward multiplies: they must exist)."""
        uses, unneeded = {}, []
        for node in nodes:
            if node in needed and node in parents_of:
                template, refs = written[node]
                for k, parent in enumerate(parents_of[node]):
                    if parent in needed:
                        parent_uses = uses.get(parent)
                        if parent_uses is None:
                            uses[parent] = [(node, k)]
                        else:
                            parent_uses.append((node, k))
                    elif template.may_be_undefined[k]:
                        unneeded.append(template.write_local[k](refs, name[node]))
        return uses, unneeded

    def _gradient_lines(self, nodes, uses, written, name, gname, tuples, body, alias):
        """Writes each node's gradient line into body, given nodes latest first; alias: a gradient
        equal to its one user's (a local derivative of 1.0) takes the user's name instead of a line.
        Returns {gradient name: its line's place in body}."""
        texts, lines = {}, {}  # texts: a node's operands as its rules write them, asked once per node
        for node in nodes:
            node_uses = uses.get(node)
            if node_uses is None:
                continue
            if alias and len(node_uses) == 1:
                user, k = node_uses[0]
                if written[user][0].locals[k] == "1.0":  # its gradient is its one user's: the same number
                    gname[node] = gname[user]
                    continue
            total = self._gradient_sum(node_uses, written, name, gname, tuples)
            lines[gname[node]] = len(body)
            body.append(f"{gname[node]} = {total}  # {_rules(node, node_uses, name, texts)}")
        return lines

    def _for_arguments_only(self, body, lines, gname):
        """Takes out of body the gradient lines that only the arguments' gradients read (and the
        tuples only they read), and returns them: an f(...) with no Value argument skips them."""
        needed_by_live = set(self.live)
        for node, parents in zip(self.computed, self.operands):  # a node that is not computed reads no live leaf
            if not needed_by_live.isdisjoint(parents):
                needed_by_live.add(node)
        if not needed_by_live:
            return []
        kept = {gname[node] for node in needed_by_live if node in gname}  # an argument's gradient may be its user's
        names = {gname[node] for node in self.needed if node not in needed_by_live and node in gname} - kept
        moved = [i for g, i in lines.items() if g in names]
        if not moved:
            return []
        moved_set = set(moved)
        kept_text = " ".join(line.split("  # ")[0] for i, line in enumerate(body) if i not in moved_set)
        read_by_kept = set(_TUPLE_NAME.findall(kept_text))
        moved_text = " ".join(body[i] for i in moved)
        for i, line in enumerate(body):
            if line.startswith("vec"):
                tuple_name = line[: line.index(" = ")]
                if tuple_name not in read_by_kept and tuple_name in moved_text:
                    moved_set.add(i)
        taken = [body[i] for i in sorted(moved_set)]
        body[:] = [line for i, line in enumerate(body) if i not in moved_set]
        return taken

    def _gradient_sum(self, terms, written, name, gname, tuples):
        """The sum over a node's uses of local derivative times the user's gradient."""
        if len(terms) >= VECTOR_TERMS:
            locals_ = [_local_text(user, k, written, name) for user, k in terms]
            if all(map(_simple, locals_)):
                upstream = [gname[user] for user, _ in terms]
                if all(local == "1.0" for local in locals_):
                    return _sum_text(upstream, self.helpers)
                # The first user's terms start the sum, so that the rest of both tuples is one that
                # other sums share: a weight's inputs over a batch (its L2 term first), the gradients
                # of a neuron's output over the batch.
                head = 1
                while head < len(terms) and head < 4 and terms[head][0] is terms[0][0]:
                    head += 1
                start = " + ".join(["0.0", *(f"{local} * {g}" for local, g in zip(locals_[:head], upstream[:head]))])
                return self._sum_of_products(tuples.name(locals_[head:]), tuples.name(upstream[head:]), start)
        texts = [_product_text(user, k, written, name, gname) for user, k in terms]
        return _sum_text(texts, self.helpers) if len(texts) > 1 else texts[0]

    def _shared_dot(self, arguments, tuples):
        """dot(w1, ..., wn, x1, ..., xn) as a sum of products over two shared tuples."""
        names = arguments.split(", ")
        n = len(names) // 2
        return self._sum_of_products(tuples.name(names[:n]), tuples.name(names[n:]))

    def _sum_of_products(self, a, b, start="0.0"):
        self.helpers.update(("mul",) if ops.SUM_OF_PRODUCTS.startswith("sum(") else ("sum_of_products",))
        return ops.SUM_OF_PRODUCTS.format(a, b, start)

    # -- large graphs: V and G lists, in parts that name their neighbours by distance

    def _in_parts(self):
        in_graph, varying, needed, out = self.in_graph, self.varying, self.needed, self.out
        sequence = self._sequence()
        index = {node: i for i, node in enumerate(sequence)}
        size = len(sequence)
        checks = self._guards(lambda node: f"V[{index[node]}]", index)
        # A part is written from a key: per node its template and how it names each operand (by
        # distance when near, by index when far, or a constant's number), and which need gradients.
        # Two parts with one key have one text: it is written and compiled once.
        parts, forward_parts, backward_parts = {}, [], []
        self.chunks = []
        reach = PART_NODES
        for base in range(0, size, PART_NODES):
            key = []
            for i in range(base, min(base + PART_NODES, size)):
                node = sequence[i]
                if node._op is None or node not in varying:
                    continue
                a, b = node._a, node._b
                parents = (a, b) if b is not None else a if type(a) is tuple else (a,)
                refs = []
                for p in parents:
                    if p in varying:
                        d = index[p] - base
                        refs.append(d if -reach <= d < 2 * reach else ("V", index[p]))
                    else:
                        refs.append(("c", _literal(p.data)))
                grads = (node in needed, *[p in needed for p in parents]) if node in needed else False
                key.append((i - base, self._template(node._op, len(parents)), tuple(refs), grads))
            guard_lines = tuple((i - base, line) for i in range(base, min(base + PART_NODES, size)) for line in checks.get(i, ()))
            key = (tuple(key), guard_lines)
            functions = parts.get(key)
            if functions is None:
                functions = parts[key] = self._write_part(key)
            forward, backward = functions
            if forward:
                forward_parts.append((forward, base))
            if backward:
                backward_parts.append((backward, base))
        backward_parts.reverse()
        self.helpers.add("isfinite")
        slots = [index.get(leaf, size) for leaf in self.parameters]  # an argument fn does not use: the spare slot
        self.namespace.update(_SLOTS=slots, _FORWARD=[(self.namespace[f], b) for f, b in forward_parts],
                              _BACKWARD=[(self.namespace[f], b) for f, b in backward_parts])
        leaves = self.inputs + self.live
        grads = ", ".join(f"G[{index[leaf]}]" if leaf in needed and leaf in index else "0.0" for leaf in leaves)
        result = f"V[{index[out]}]" if out in varying else _literal(out.data)
        main = [f"def {self.fn_name}(*values):",
                f"    V, G = [0.0] * {size + 1}, [0.0] * {size + 1}"]
        if self._always_fails():
            main.append("    raise ValueError('a derivative of a constant part does not exist: the graph says which')")
        main += ["    for slot, x in zip(_SLOTS, values):",
                 "        V[slot] = x",
                 *("    " + line for line in checks.get(-1, [])),
                 "    for part, _b in _FORWARD:",
                 "        if part(V, _b) is None: return None",
                 f"    if not isfinite(sum(V[:{size}])): raise OverflowError('a value is inf or nan: the graph decides')",
                 *([f"    G[{index[out]}] = 1.0"] if out in needed else []),
                 "    for part, _b in _BACKWARD:",
                 "        part(V, G, _b)",
                 f"    return {result}, ({grads}{',' if len(leaves) == 1 else ''})"]
        main_text = "\n".join(main) + "\n"
        exec(builtins.compile(main_text, f"<autograd.compile {self.fn_name}>", "exec"), self.namespace)
        header = "\n".join(self._header())
        listing = (f"_SLOTS = {slots!r}\n"
                   f"_FORWARD = [{', '.join(f'({f}, {b})' for f, b in forward_parts)}]\n"
                   f"_BACKWARD = [{', '.join(f'({f}, {b})' for f, b in backward_parts)}]\n\n\n")
        return (header + "\n" if header else "") + "".join(self.chunks) + listing + main_text

    def _write_part(self, key):
        """(forward function name, backward function name) of a part, each None when it has no lines."""
        nodes, guard_lines = key
        guards = {}
        for j, line in guard_lines:
            guards.setdefault(j, []).append(line)

        def ref(r):
            if type(r) is int:
                return f"V[_b{r:+d}]"
            return f"V[{r[1]}]" if r[0] == "V" else r[1]

        lines = []
        backward = []
        previous = 0
        for j, template, refs, grads in nodes:
            for k in range(previous, j):
                lines += guards.get(k, [])
            previous = j + 1
            texts = [ref(r) for r in refs]
            out = f"V[_b{j:+d}]"
            lines.append(f"{out} = {template.write_forward(texts, out)}")
            lines += guards.get(j, [])
            if grads:
                g = f"G[_b{j:+d}]"
                edges = []
                for k, (r, parent_needed) in enumerate(zip(refs, grads[1:])):
                    if parent_needed:
                        edges.append(f"{ref(r).replace('V[', 'G[')} += {template.write_product[k](texts, out, g)}")
                    elif template.may_be_undefined[k]:  # no gradient needs it, but backward multiplies it
                        edges.append(f"({template.write_local[k](texts, out)}) * 1.0")
                backward.append(edges)
        for k in range(previous, PART_NODES):
            lines += guards.get(k, [])
        backward = [line for edges in reversed(backward) for line in edges]  # the engine's order: the later node first
        forward = self._part("(V, _b)", lines + ["return True"]) if len(lines) else None
        return forward, self._part("(V, G, _b)", backward) if backward else None

    def _part(self, arguments, lines):
        function = f"_part{len(self.chunks)}"
        text = f"def {function}{arguments}:\n" + "\n".join("    " + line for line in lines) + "\n\n\n"
        self.chunks.append(text)
        exec(builtins.compile(text, f"<autograd.compile {self.fn_name}>", "exec"), self.namespace)
        return function

class _Slot:
    """A number one copy of a batch loop reads and another copy reads differently (its data, or a
    constant of its op): an argument of the function run for each copy."""

    __slots__ = ("name", "leaves", "literals")

    def __init__(self, name, leaves=None, literals=None):
        self.name = name
        self.leaves = leaves  # the argument, live leaf or mask of each copy, in R's order (None: constants)
        self.literals = literals  # else the number of each copy, as a literal

    def text(self, i, name):
        """What copy i reads here, as source: its leaf's name, or its number."""
        return name[self.leaves[i]] if self.leaves is not None else self.literals[i]


class _BatchLoop:
    """A graph written as a batch loop (see BATCH_GROUPS).

    The node R combines N copies of one subgraph (a loss per sample, added up). The copies are
    written once, as functions of one copy's own numbers (its slots): its forward, and its backward
    from the root's gradient, which returns the local derivatives and upstream gradients of the
    copy's uses of the shared leaves (the parameters) and the gradients of its own leaves. When the
    roots' gradient is known before the copies run (a mean's 1/N), one function _fwd does both;
    else _fwd returns the root and what the backward reads, and _back runs once the rest of the
    graph has given the roots' gradients. The rest (R, the loss, L2) is written a line per node
    around them. A shared leaf's gradient is then the sum of products over the batch, in the order
    backward() adds it: the uses after the copies, the copies from the last to the first, the uses
    before them. (A NUL character in a line of the backward stands for what its returns begin with.)
    """

    def __init__(self, gen, root):
        self.gen, self.R = gen, root

    @staticmethod
    def write(gen):
        """The program's source, or None when the graph is not a batch this form writes."""
        recording = gen.recording
        if recording.guards or gen.in_graph != len(gen.order) or gen.fallbacks or \
                gen._always_fails():
            return None
        parents_of = gen.parents_of
        template_of, use_count = gen.template_of, gen.use_count

        def kind(node):  # a WithConstant's base op and side: its number may differ between copies
            op = node._op
            return (op.op, op.constant_first) if type(op) is ops.WithConstant else template_of[node]

        candidates = [node for node, parents in parents_of.items()
                      if len(parents) >= BATCH_GROUPS and all(p in parents_of and use_count[p] == 1 for p in parents)
                      and len({kind(p) for p in parents}) == 1]
        for node in candidates[: -5 : -1]:  # the nearest the output first: a batch's sum comes late
            batch = _BatchLoop(gen, node)
            if batch.find():
                helpers = set(gen.helpers)
                source = batch.source()
                if source is not None:
                    return source
                gen.helpers, gen.asks_for_arguments = helpers, False
        return None

    def find(self):
        """True when R's operands root isomorphic copies that share only leaves and constants."""
        gen = self.gen
        parents_of, template_of, varying, needed = gen.parents_of, gen.template_of, gen.varying, gen.needed
        roots = parents_of[self.R]  # each used once, by R (see write)
        owner = {roots[0]: 0}  # node -> its copy
        first, stack = [], [roots[0]]
        while stack:
            node = stack.pop()
            first.append(node)
            for p in parents_of[node]:
                if p in parents_of and p not in owner:
                    owner[p] = 0
                    stack.append(p)
        pos = {node: i for i, node in enumerate(gen.computed)}
        first.sort(key=pos.__getitem__)
        index = {node: j for j, node in enumerate(first)}
        external = {(j, k): [p] for j, node in enumerate(first) for k, p in enumerate(parents_of[node]) if p not in index}
        constants = {j: [node._op.constant] for j, node in enumerate(first) if type(node._op) is ops.WithConstant}
        spans = [(pos[first[0]], pos[first[-1]])]
        top = first[-1]
        for i, root in enumerate(roots[1:], 1):  # each copy walked beside the first, node for node
            if root in owner:
                return False
            owner[root] = i
            image, stack = {top: root}, [top]
            while stack:
                t = stack.pop()
                g = image[t]
                pt, pg = parents_of[t], parents_of.get(g)
                if pg is None or len(pg) != len(pt):
                    return False
                j = index[t]
                if j in constants:
                    op, other = t._op, g._op
                    if type(other) is not ops.WithConstant or other.op is not op.op or \
                            other.constant_first != op.constant_first:
                        return False
                    constants[j].append(other.constant)
                elif template_of[g] is not template_of[t]:
                    return False
                for k, (a, b) in enumerate(zip(pt, pg)):
                    if a in index:
                        seen = image.get(a)
                        if seen is None:
                            if b in owner:
                                return False
                            owner[b] = i
                            image[a] = b
                            stack.append(a)
                        elif seen is not b:
                            return False
                    elif b in parents_of:
                        return False
                    else:
                        external[(j, k)].append(b)
            places = [pos[image[t]] for t in first]
            if any(a >= b for a, b in zip(places, places[1:])):  # not in the first copy's order
                return False
            spans.append((places[0], places[-1]))
        # The copies are blocks of the graph's order, and every other node comes before or after them all
        # (so a shared leaf's uses come in that order); no other node reads a copy's values but R.
        order = sorted(range(len(roots)), key=lambda i: spans[i][0])
        if any(spans[a][1] >= spans[b][0] for a, b in zip(order, order[1:])):
            return False
        low, high = spans[order[0]][0], spans[order[-1]][1]
        rest = [node for node in gen.computed if node not in owner]
        if len(rest) > BATCH_REST or rest[-1] is not gen.out:
            return False
        for node in rest:
            if low <= pos[node] <= high or (node is not self.R and not owner.keys().isdisjoint(parents_of[node])):
                return False
        # What each copy reads from outside: a shared leaf, a constant (the same number in every
        # copy: a literal), or a slot (its own leaf, or its own constants).
        operand, slots, shared, homes, counts = {}, {}, {}, {}, Counter()  # shared: a dict, for its order
        for (j, k), nodes in external.items():
            a = nodes[0]
            if all(b is a for b in nodes):
                if a in needed:
                    shared[a] = None
                operand[(j, k)] = a
                continue
            if any(b in varying for b in nodes):
                if not all(b in varying and (b in needed) == (a in needed) for b in nodes):  # all data, or all masks
                    return False
                key = tuple(nodes)
                for i, b in enumerate(nodes):
                    if homes.setdefault(b, (i, key)) != (i, key):  # a leaf of one copy only, in one slot
                        return False
                    counts[b] += 1
            else:
                texts = [_literal(b.data) for b in nodes]
                if all(text == texts[0] for text in texts):
                    operand[(j, k)] = a
                    continue
                key = tuple(texts)
            slot = slots.get(key)
            if slot is None:
                slot = slots[key] = _Slot(f"_s{len(slots)}", *((key, None) if a in varying else (None, key)))
            operand[(j, k)] = slot
        if not shared.keys().isdisjoint(homes) or any(gen.use_count[b] != n for b, n in counts.items()):
            return False
        self.vary = {}  # j -> the slot of the constant of node j (a WithConstant whose number differs between copies)
        for j, numbers in constants.items():
            texts = [ops.literal(c) for c in numbers]
            if any(text != texts[0] for text in texts):
                slot = slots.get(tuple(texts))
                if slot is None:
                    slot = slots[tuple(texts)] = _Slot(f"_s{len(slots)}", literals=tuple(texts))
                self.vary[j] = slot
        self.first, self.index, self.operand, self.shared, self.rest = first, index, operand, shared, rest
        self.slots, self.order, self.pos, self.owner, self.high = list(slots.values()), order, pos, owner, high
        return True

    def source(self):
        """The batch loop's source, or None when something in the first copy is not written this way."""
        gen, first, index, R = self.gen, self.first, self.index, self.R
        parents_of, template_of = gen.parents_of, gen.template_of
        n_copies = len(self.order)
        root = first[-1]
        # Names: the first copy's nodes name the copy's lines; the slots are _s0, _s1, ...
        keep = set(first) | set(self.rest) | set(self.shared) | set(gen.live) | set(gen.masks)
        places = {node: i for i, node in enumerate(gen.order) if node in keep}
        name = _names(list(places), gen.inputs, gen.arg_names, places)
        taken = set(name.values()) | _RESERVED
        gname = _grad_names(list(name), name)
        taken |= set(gname.values())
        for slot in self.slots:
            name[slot] = slot.name
            gname[slot] = _unique(f"g{slot.name}", taken)
        # The first copy's operands: a slot at its places, and the base op's two operands for a WithConstant whose number varies
        parents, templates, text = {}, {}, {}
        inline = gen._fusion(first)[0] - {root}
        for j, node in enumerate(first):
            own = [self.operand.get((j, k), p) for k, p in enumerate(parents_of[node])]
            template = template_of[node]
            if j in self.vary:
                template = gen._template(node._op.op, 2)
                side = 0 if node._op.constant_first else 1
                if template.may_be_undefined[side]:
                    return None
                own.insert(side, self.vary[j])
                inline -= {node, *own}
            parents[node], templates[node] = own, template
            for p in own:
                if p not in text:
                    text[p] = p.name if type(p) is _Slot else name[p] if p in name else _literal(p.data)
        inner = frozenset(name[t] for t in first) | {slot.name for slot in self.slots} | \
            {gname[t] for t in first} | {gname[slot] for slot in self.slots}
        hoisted = []
        outer = _Tuples(hoisted, taken)
        # _fwd: the copy's forward
        fwd = []
        written, computed = gen._write_forward(first, parents, templates, text, name, inline,
                                               _Tuples(fwd, taken, outer, inner), fwd)
        fwd.append(_overflow_check(computed))
        gen.helpers.add("isfinite")
        # _back: the copy's backward, from its root's gradient
        leaf_slots = [slot for slot in self.slots if slot.leaves is not None and slot.leaves[0] in gen.needed]
        needed = {t for t in first if t in gen.needed} | set(self.shared) | set(leaf_slots)
        uses, unneeded = gen._uses(reversed(first), parents, written, needed, name)
        back = []
        back_tuples = _Tuples(back, taken, outer, inner)
        inputs = set(gen.inputs)
        arguments = [slot for slot in leaf_slots if inputs.issuperset(slot.leaves)]  # their gradients: when asked for
        own = [slot for slot in leaf_slots if slot not in arguments]
        gen._gradient_lines([*reversed(first[:-1]), *own], uses, written, name, gname, back_tuples, back, alias=True)
        back += _unneeded_lines(unneeded)
        for_arguments = []
        gen._gradient_lines(arguments, uses, written, name, gname, back_tuples, for_arguments, alias=True)
        entries = {}  # what _back returns: each text once

        def column(text):
            return entries.setdefault(text, f"_c{len(entries)}")

        columns = {}  # shared leaf -> (its local derivatives over the batch, its upstream gradients)
        slot_named = {slot.name: slot for slot in self.slots}
        data = {}  # a slot a local derivative is -> its column, written outside: its numbers are the rows'
        for leaf in self.shared:
            leaf_uses = uses[leaf]
            locals_ = [_local_text(user, k, written, name) for user, k in leaf_uses]
            upstream = [gname[user] for user, _ in leaf_uses]
            if len(leaf_uses) == 1:
                local = locals_[0]
                local = "_ones" if local == "1.0" else data.setdefault(slot_named[local], f"_d{len(data)}") \
                    if local in slot_named else column(local)
                columns[leaf] = (local, column(upstream[0]))
            else:  # used m times in a copy (a conv's kernel, an rnn's weights): a copy returns m of each, in order
                columns[leaf] = (f"_chain.from_iterable({column(_tuple_text(locals_))})",
                                 f"_chain.from_iterable({column(_tuple_text(upstream))})")
        for slot in own:
            if slot in uses:
                column(gname[slot])
        others = set(entries)  # what the parameters' gradients read
        for slot in arguments:
            if slot in uses:
                column(gname[slot])
        if not entries:
            return None
        checked_outside = []  # the parameters among the factors of dead branches' sums: checked once, not per copy
        terms, returned, parameters = _terms(uses, gname), set(_WORD.findall(" ".join(entries))), {name[leaf] for leaf in self.shared}
        back = _skip_dead_branches(back, terms, returned, parameters, checked_outside)
        if for_arguments:  # a call with no Value argument skips them
            gen.asks_for_arguments = True
            early = [text if text in others else "0.0" for text in entries]
            back.append(f"if not _arguments: return \x00{_tuple_text(early)}")
            back += _skip_dead_branches(for_arguments, terms, returned, parameters, checked_outside)
        back.append(f"return \x00{_tuple_text(list(entries))}")  # (a one-pass copy returns its root too)
        defined = [name[t] for t in first if t not in inline] + [slot.name for slot in self.slots] + \
            [line[: line.index(" = ")] for line in fwd if line.startswith("vec")]
        read = set(_WORD.findall("\n".join(line.split("  # ")[0] for line in back)))  # not the comments
        if any(name[t] in read for t in inline):
            return None
        saved = [n for n in defined if n in read]
        # The rest of the graph, a line per node; R reads the roots as _r[i]
        position = {copy: i for i, copy in enumerate(self.order)}  # a copy's place in the graph's order
        rest_text = {}
        for node in self.rest:
            for p in parents_of[node]:
                if p not in rest_text:
                    rest_text[p] = f"_r[{position[self.owner[p]]}]" if p in self.owner else \
                        name[p] if p in name else _literal(p.data)
        body = []
        tuples = _Tuples(body, taken)
        written_rest, computed_rest = gen._write_forward(self.rest, parents_of, template_of, rest_text, name, set(), tuples, body)
        body.append(_overflow_check(computed_rest))
        rest_uses, rest_unneeded = gen._uses(reversed(self.rest), parents_of, written_rest, gen.needed, name)
        body.append(f"{gname[gen.out]} = 1.0")
        gen._gradient_lines(reversed(self.rest[:-1]), rest_uses, written_rest, name, gname, tuples, body, alias=False)
        body += _unneeded_lines(rest_unneeded)
        upstream = [gen._gradient_sum(rest_uses[parents_of[R][i]], written_rest, name, gname, tuples) for i in self.order]
        # One pass when the roots' gradient is known before the copies run (a mean's 1/N): each copy's
        # forward and backward in one function. Else two: every forward, the rest, then every backward.
        alike = all(g == upstream[0] for g in upstream)
        ahead = _lines_ahead(body, upstream[0], {name[node] for node in self.rest} | {"_r"}) if alike else None
        if ahead is not None:
            hoisted += [body[i] for i in ahead] + [f"{gname[root]} = {upstream[0]}  # every root's gradient"]
            body = [line for i, line in enumerate(body) if i not in ahead]
        elif alike:
            body.append(f"_B = [_back({upstream[0]}, _s) for _s in _S]")
        else:
            body.append(f"_B = [_back(_g, _s) for _g, _s in zip({_tuple_text(upstream)}, _S)]")
        body.append("_B = _B[::-1]  # backward meets the last copy first")
        body.append(f"{', '.join(entries.values())}{',' if len(entries) == 1 else ''} = zip(*_B)")
        if any("_ones" in pair for pair in columns.values()):
            body.append(f"_ones = (1.0,) * {n_copies}")
        for slot, data_name in data.items():  # the last copy first, as the rows of _B
            texts = [slot.text(i, name) for i in reversed(self.order)]
            body.append(f"{data_name} = ({', '.join(texts)},)" if slot.leaves is None else f"{data_name} = {_tuple_text(texts)}")
        # The leaves' gradients
        returned = []
        column_of_slot = {slot: entries.get(gname[slot]) for slot in leaf_slots}
        home = {}
        for slot in leaf_slots:
            for i, leaf in enumerate(slot.leaves):
                home[leaf] = (slot, n_copies - 1 - position[i])
        for leaf in gen.inputs + gen.live:
            if leaf in self.shared:
                after, before = [], []
                for user, k in rest_uses.get(leaf, ()):
                    (after if self.pos[user] > self.high else before).append(
                        _product_text(user, k, written_rest, name, gname))
                total = gen._sum_of_products(*columns[leaf], " + ".join(["0.0", *after]))
                body.append(f"{gname[leaf]} = {' + '.join([total, *before])}")
                returned.append(gname[leaf])
            elif leaf in home:
                slot, row = home[leaf]
                gradients = column_of_slot[slot]
                returned.append(f"{gradients}[{row}]" if gradients else "0.0")
            elif leaf in rest_uses:
                body.append(f"{gname[leaf]} = {gen._gradient_sum(rest_uses[leaf], written_rest, name, gname, tuples)}")
                returned.append(gname[leaf])
            else:
                returned.append("0.0")
        body.append(f"return {name[gen.out]}, {_tuple_text(returned)}")
        # The program
        if self.slots:
            rows = []
            for i in self.order:
                rows.append(f"({', '.join(slot.text(i, name) for slot in self.slots)},)")
            calls = f"[_fwd(*_row) for _row in ({', '.join(rows)})]"
        else:
            calls = f"[_fwd() for _ in range({n_copies})]"
        if checked_outside:
            hoisted.append(f"if not sum(map(abs, {_tuple_text(checked_outside)})) <= 1e100: raise OverflowError("
                           "'a gradient could be inf or nan: the graph decides')")
        slots = ", ".join(slot.name for slot in self.slots)
        if ahead is not None:
            lines = hoisted + [f"def _fwd({slots}):  # one copy, on its own numbers: forward, then backward",
                               *("    " + line.replace("\x00", f"{name[root]}, ") for line in fwd + back),
                               f"_r, _B = zip(*{calls})", *body]
        else:
            unpack = [f"{', '.join(saved)}{',' if len(saved) == 1 else ''} = _s"] if saved else []
            lines = hoisted + [f"def _fwd({slots}):  # one copy, on its own numbers",
                               *("    " + line for line in fwd), f"    return {name[root]}, {_tuple_text(saved)}",
                               f"def _back({gname[root]}, _s):  # its backward, from its root's gradient",
                               *("    " + line.replace("\x00", "") for line in unpack + back),
                               f"_r, _S = zip(*{calls})", *body]
        keywords = ["_arguments=True"] if gen.asks_for_arguments else []
        if _WARM_UP_CALLS:
            gen.warms = True
            keywords.append("_warm=False")
            lines.insert(0, "if _warm: return None  # compiling calls it so, to have Python 3.11 specialise it")
        parameters = [name[leaf] for leaf in gen.parameters] + (["*", *keywords] if keywords else [])
        signature = f"def {gen.fn_name}({', '.join(parameters)}):"
        header = gen._header()
        if any(text.startswith("_chain") for pair in columns.values() for text in pair):
            gen.namespace["_chain"] = chain
            header = ["from itertools import chain as _chain", *(header or [""])]
        return "\n".join(header + [signature] + ["    " + line for line in lines]) + "\n"


def _literal(x):
    """A constant as an operand: its number, bracketed when negative (-2.0 ** 2 is not 4)."""
    text = ops.literal(x)
    return f"({text})" if text.startswith("-") else text


def _product_text(user, k, written, name, gname):
    """The user's local derivative for its operand k times the user's gradient, as source."""
    template, refs = written[user]
    j = template.local_operand[k]
    return gname[user] if j == -1 else template.write_product[k](refs, name[user], gname[user]) if j is None \
        else f"{refs[j]} * {gname[user]}"


def _local_text(user, k, written, name):
    """The user's local derivative for its operand k, as source."""
    template, refs = written[user]
    j = template.local_operand[k]
    return "1.0" if j == -1 else template.write_local[k](refs, name[user]) if j is None else refs[j]


def _lines_ahead(body, text, forbidden):
    """The places in body of the lines text reads, and of the lines they read, in order; None when
    one of them reads a name in forbidden (a value computed from the batch)."""
    defined = {line[: line.index(" = ")]: i for i, line in enumerate(body) if _ASSIGNMENT.match(line)}
    ahead, texts = set(), [text]
    while texts:
        for word in _WORD.findall(texts.pop().split("  # ")[0]):
            if word in forbidden:
                return None
            i = defined.get(word)
            if i is not None and i not in ahead:
                ahead.add(i)
                texts.append(body[i][body[i].index(" = ") + 3 :])
    return sorted(ahead)


_ASSIGNMENT = re.compile(r"\w+ = ")


def _overflow_check(names):
    return f"if not isfinite({_check_sum(names)}): raise OverflowError('a value is inf or nan: the graph decides')"


def _unneeded_lines(locals_):
    return [f"({local}) * 1.0  # a derivative no gradient needs (backward multiplies it: it must exist)" for local in locals_]


def _terms(uses, gname):
    """{gradient name: how many terms of gradient sums read it}."""
    terms = {}
    for node_uses in uses.values():
        for user, _ in node_uses:
            terms[gname[user]] = terms.get(gname[user], 0) + 1
    return terms


def _skip_dead_branches(body, terms, returned, outside=frozenset(), checked_outside=None):
    """Gradient lines where a dead branch need not compute its upstream (large graphs only).

    A relu's gradient line reads g_v = (g_u if v > 0.0 else 0.0 * g_u). When g_u is used there
    alone and is a sum of products of names, it is written into the live branch, and the dead
    branch is 0.0: the same number as 0.0 * g_u whenever g_u is finite, up to the sign of a zero
    (which no later sum or product can turn into another number). A last line makes sure it
    is finite: it hands the call to the graph unless every factor of those sums is at most 1e100
    (so a sum of 16 products is at most 1.6e201). The factors in outside (a batch loop's
    parameters) are not checked there but added to checked_outside, to be checked once outside.
    """
    lines = {line[: line.index(" = ")]: i for i, line in enumerate(body) if line.startswith("g_")}
    factors = {}
    for i, line in enumerate(body):
        if " else 0.0 * g_" not in line:
            continue
        match = _DEAD_BRANCH.match(line)
        if match is None or terms.get(match[2]) != 1 or match[2] in returned or match[2] not in lines:
            continue
        j = lines[match[2]]
        text = body[j]
        end = text.find("  # ")
        expression = text[text.index(" = ") + 3 : end if end >= 0 else len(text)]
        if expression.count(" + ") >= VECTOR_TERMS - 1 or not _PRODUCTS_OF_NAMES.fullmatch(expression):
            continue
        factors.update(dict.fromkeys(expression.replace(" * ", " + ").split(" + ")))
        body[i] = f"{match[1]} = ({expression} if {match[3]} else 0.0){match[4] or ''}"
        body[j] = None
    body = [line for line in body if line is not None]
    names = list(dict.fromkeys(factor.lstrip("-") for factor in factors))
    if outside:
        checked_outside += [name for name in names if name in outside]
        names = [name for name in names if name not in outside]
    if names:
        body.append(f"if not sum(map(abs, {_tuple_text(names)})) <= 1e100: raise OverflowError('a gradient could be inf or nan: "
                    "the graph decides')")
    return body


_TUPLE_NAME = re.compile(r"\bvec\d+\b")
_DEAD_BRANCH = re.compile(r"(g_\w+) = \((g_\w+) if (.+) else 0\.0 \* \2\)(  # .*)?$")
_PRODUCT_OF_NAMES = r"-?(?:[\w.]+|\(-[\w.]+\))(?: \* (?:[\w.]+|\(-[\w.]+\)))?"
_PRODUCTS_OF_NAMES = re.compile(f"{_PRODUCT_OF_NAMES}(?: \\+ {_PRODUCT_OF_NAMES})*")


def _tuple_text(items):
    """A tuple of names as source: (a, b, c), and (*(a, ...), *(...)) over TUPLE_ITEMS items. CPython
    builds a longer display item by item through a list, which compiles and runs slower than a
    list extended by tuples of at most TUPLE_ITEMS."""
    if len(items) <= TUPLE_ITEMS:
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
    chunks = [", ".join(items[i : i + TUPLE_ITEMS]) for i in range(0, len(items), TUPLE_ITEMS)]
    return "(" + ", ".join(f"*({chunk},)" for chunk in chunks) + ")"


def _check_sum(names):
    """A sum that is inf or nan when any of the values is (Python's sum: any order of adding will do)."""
    return " + ".join(names) if len(names) <= ops.INLINE_TERMS else f"sum({_tuple_text(names)})"


def _sum_text(terms, helpers):
    """terms added left to right; a long sum as total(...), which Python compiles without recursion
    (and which starts from 0.0, as backward's own sums do)."""
    if len(terms) <= ops.INLINE_TERMS:
        return " + ".join(terms)
    helpers.add("total")
    return f"total({', '.join(terms)})"


def _rules(node, uses, name, texts):
    """The comment of a gradient line: the rule of the first three uses."""
    said = []
    for user, k in uses[:3]:
        if user not in texts:
            texts[user] = [name[p] if p in name else _literal(p.data) for p in user.parents]
        try:
            rule = user._op.rule(k, texts[user], name[user])
        except NotImplementedError:
            said.append(f"∂{name[user]}/∂{name[node]} of {user._op.name}")
        else:
            said.append(f"∂{name[user]}/∂{name[node]} = {rule}")
    more = f"; and {len(uses) - 3} more uses" if len(uses) > 3 else ""
    return "; ".join(said) + more


def _float_comparison(op, number):
    """(op2, f) with x op number == x op2 f for every float x, f a float; (True or False, None)
    when the comparison cannot depend on x. Python compares a float with an int or a Fraction
    exactly, and so must the program (x < Fraction(1, 3), x < 10**400)."""
    try:
        f = float(number)
    except OverflowError:
        f = math.inf if number > 0 else -math.inf
    if f == number:
        return op, f
    if op in ("==", "!="):
        return op == "!=", None
    q = Fraction(number) if isinstance(number, (int, Fraction)) else Fraction(*number.as_integer_ratio())
    if f < q:
        below, above = f, math.nextafter(f, math.inf)
    else:
        below, above = math.nextafter(f, -math.inf), f
    return ("<=", below) if op in ("<", "<=") else (">=", above)


class _Tuples:
    """Tuples of names written once into the body (vec0 = (a, b, c)) and then shared."""

    def __init__(self, body, taken, outer=None, inner=frozenset()):
        """outer: where a tuple none of whose items is in inner goes (a batch loop's tuples of the
        parameters are written once, outside the functions run for each sample)."""
        self.body, self.taken, self.names, self.count = body, taken, {}, 0
        self.outer, self.inner = outer, inner

    def name(self, items):
        if self.outer is not None and self.inner.isdisjoint(items):
            return self.outer.name(items)
        key = tuple(items)
        if key not in self.names:
            while f"vec{self.count}" in self.taken:
                self.count += 1
            self.names[key] = f"vec{self.count}"
            self.taken.add(self.names[key])
            self.count += 1
            self.body.append(f"{self.names[key]} = {_tuple_text(key)}")
        return self.names[key]


# No name in a program may be one that its lines use: Python's builtins and keywords, the
# helpers; the scaffolding's own names start with _ (labels and arguments never do here).
_RESERVED = set(dir(builtins)) | set(keyword.kwlist) | set(ops.CODE_HELPERS)


def _identifier(text):
    """A label as a Python name ("x1*w1" -> "x1_w1"), or "" when nothing usable is left."""
    if not (text.isascii() and text.isidentifier()):
        text = re.sub(r"\W+", "_", unicodedata.normalize("NFKC", text))
    text = text.strip("_")
    return text if text.isidentifier() and not keyword.iskeyword(text) else ""


def _names(order, inputs, arg_names, places=None):
    """A distinct Python name per node: the argument's name, the label, or v<i> (i: the node's
    place in order, or in places when order is a part of the graph's)."""
    wanted = {}
    for i, node in enumerate(order):
        label = node.label
        wanted[node] = (_identifier(label) if label else "") or f"v{i if places is None else places[node]}"
    for node, arg in zip(inputs, arg_names):
        wanted[node] = _identifier(arg) or "x"
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
    return {node: _unique(f"g_{name[node]}", taken) for node in nodes if node in name}
