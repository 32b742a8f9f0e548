"""The engine: a Value records each operation into a graph; backward() applies the chain rule.

Every edge of the graph stores its local derivative (computed in the forward pass by the op,
see ops.py), so backward is one line of the chain rule, repeated in topological order:

    grads[parent] += local_grad * grads[node]

The walk keeps the gradients in a dict of its own and writes ``.grad`` only when it has
finished (``backward``), so a failed pass changes nothing and ``grad()`` changes nothing at all.
"""

import contextvars
from collections import deque
import functools
import inspect
import math
import numbers

from autograd import ops
from autograd.scope import CURRENT

_current_scope = CURRENT.get  # the innermost name scope now (see scope.py): stamped on every node recorded

_grad_enabled = contextvars.ContextVar("chainrule_grad_enabled", default=True)
_saved_grad_modes = contextvars.ContextVar("chainrule_saved_grad_modes", default=())  # for nesting


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back through it.

    ``==`` and ``hash`` are by identity (two Values with equal data are different nodes), so
    Values can be dict keys and set members; compare numbers with ``x.data == y.data`` or
    with ``< <= > >=``, which compare ``.data`` and record nothing.
    """

    # A node made by a one- or two-operand op keeps its operands and their local derivatives
    # in its own slots (_a, _b, _local_a, _local_b), not in a tuple: one object per node instead
    # of two makes Python's garbage collector, which visits every live node, about three times
    # cheaper. An n-ary node (sum, dot) keeps tuples in _a and _local_a. A leaf has _op None.
    # scope: the part of a model that made the node (see scope.py): the name scope a node is
    # recorded in; a leaf's is None until nn names it as a module's parameter.
    __slots__ = ("data", "_grad", "label", "_op", "_a", "_b", "_local_a", "_local_b", "scope")

    def __init__(self, data, label=""):
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        if isinstance(data, Value):
            raise TypeError(f"Value(data) got a Value ({_describe(data)}): use that Value itself, "
                            f"or its number, .data, to start a new leaf")
        self.data = _to_float(data, "Value(data)")
        self._grad = 0.0
        self.label = label
        self._op = None
        self._a = self._b = self._local_a = self._local_b = self.scope = None
        if _recording is not None:  # autograd.compile is tracing: a leaf made now is a constant of the program
            _recording.made.add(self)

    @property
    def grad(self):
        """d(output)/d(self) from the latest backward(); leaves add up over passes."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if type(value) is not float:
            if isinstance(value, (bool, Value)) or not isinstance(value, numbers.Real):
                raise TypeError(f".grad of {_name(self)} must be a real number, "
                                f"got {type(value).__name__}: {value!r}")
            value = _to_float(value, f".grad of {_name(self)}")
        self._grad = value

    # Read-only graph facts: what backward, the visualiser and the explainer read.
    @property
    def op(self):
        """The operation that made this node ("+", "*", "tanh", ...), or "" for a leaf."""
        return self._op.name if self._op is not None else ""

    @property
    def parents(self):
        """The operands, in order: ``(a + a).parents == (a, a)``."""
        a, b = self._a, self._b
        if b is not None:
            return (a, b)
        if a is None:
            return ()
        return a if type(a) is tuple else (a,)

    @property
    def local_grads(self):
        """d(self)/d(parent) for each parent, aligned with ``parents``, from the forward pass."""
        local_a, local_b = self._local_a, self._local_b
        if local_b is not None:
            return (local_a, local_b)
        if local_a is None:
            return ()
        return local_a if type(local_a) is tuple else (local_a,)

    def __repr__(self):
        extra = f", label={self.label!r}" if self.label else (f", op={self.op!r}" if self._op else "")
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __float__(self):
        raise TypeError(
            f"float() of the Value {_describe(self)} would take it out of the graph, so its "
            f"gradient would be lost; math.exp(x), math.sqrt(x), math.tanh(x) do this too. Use the "
            f"Value's own method (x.exp(), x.sqrt(), x.tanh(), ...), or x.data / x.item() for the number")

    def __int__(self):
        raise TypeError(f"int() of the Value {_describe(self)} has no gradient; use int(x.data) for the number")

    def __round__(self, ndigits=None):
        raise TypeError(f"round() of the Value {_describe(self)} has no gradient; "
                        f"use round(x.data) for the number")

    def __bool__(self):
        """True when the data is non-zero, as a one-element tensor in PyTorch."""
        return _compared(self, "!=", 0.0, self.data != 0)

    def item(self):
        """The data as a plain float (PyTorch's name)."""
        return self.data

    def detach(self):
        """self's value with no gradient through it (PyTorch's detach): a node whose local derivative is 0.

        It stays in the graph (drawn as a "detach" node) so that autograd.compile computes its value
        from self at every call. Backward adds 0 * its gradient into self (PyTorch cuts the edge).
        """
        return _record(ops.DETACH, (self,), (self.data,))

    # Arithmetic. A plain number on either side is part of the op, not a node (as in PyTorch):
    # x * 2 has one parent, x, and the op "*2". Value(2.0) * x keeps the 2 as a leaf.
    def __add__(self, other):
        return _binary(ops.ADD, self, other)

    def __radd__(self, other):
        return _binary(ops.ADD, other, self)

    def __sub__(self, other):
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other):
        return _binary(ops.SUB, other, self)

    def __mul__(self, other):
        return _binary(ops.MUL, self, other)

    def __rmul__(self, other):
        return _binary(ops.MUL, other, self)

    def __truediv__(self, other):
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other):
        return _binary(ops.DIV, other, self)

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            return _binary(ops.POW, self, exponent)
        return _record(ops.PowConst(_number(exponent, "**", self)), (self,), (self.data,))

    def __rpow__(self, base):
        return _record(ops.ConstantBasePow(_number(base, "**", self)), (self,), (self.data,))

    def __neg__(self):
        return _record(ops.NEG, (self,), (self.data,))

    def __abs__(self):
        return _record(ops.ABS, (self,), (self.data,))

    def exp(self):
        """e ** self."""
        return _record(ops.EXP, (self,), (self.data,))

    def log(self):
        """The natural logarithm (self must be > 0)."""
        return _record(ops.LOG, (self,), (self.data,))

    def log1p(self):
        """log(1 + self), accurate for tiny self (self must be > -1)."""
        return _record(ops.LOG1P, (self,), (self.data,))

    def tanh(self):
        """The hyperbolic tangent."""
        return _record(ops.TANH, (self,), (self.data,))

    def sigmoid(self):
        """1 / (1 + e ** -self), computed without overflow."""
        return _record(ops.SIGMOID, (self,), (self.data,))

    def softplus(self):
        """log(1 + e ** self), computed without overflow; its derivative is self.sigmoid()."""
        return _record(ops.SOFTPLUS, (self,), (self.data,))

    def relu(self):
        """max(0, self); its derivative at 0 is 0, as in PyTorch."""
        return _record(ops.RELU, (self,), (self.data,))

    def leaky_relu(self, slope=0.01):
        """self if self > 0, else slope * self (slope a number)."""
        if isinstance(slope, Value):
            raise TypeError(f"leaky_relu of {_describe(self)}: slope must be a number, got a Value "
                            f"({_describe(slope)}); for a learned slope write x.relu() - slope * (-x).relu()")
        return _record(ops.LeakyRelu(_number(slope, "leaky_relu", self)), (self,), (self.data,))

    def sin(self):
        """The sine (radians)."""
        return _record(ops.SIN, (self,), (self.data,))

    def cos(self):
        """The cosine (radians)."""
        return _record(ops.COS, (self,), (self.data,))

    def sqrt(self):
        """The square root (self must be >= 0)."""
        return _record(ops.SQRT, (self,), (self.data,))

    # Comparisons look at .data and record nothing (autograd.compile notes them as guards); a
    # plain number is compared exactly, as Python compares a float with an int (x < 10**400).
    def __lt__(self, other):
        return _compared(self, "<", other, self.data < _comparable(other, "<"))

    def __le__(self, other):
        return _compared(self, "<=", other, self.data <= _comparable(other, "<="))

    def __gt__(self, other):
        return _compared(self, ">", other, self.data > _comparable(other, ">"))

    def __ge__(self, other):
        return _compared(self, ">=", other, self.data >= _comparable(other, ">="))

    def backward(self, grad=1.0):
        """Add d(self)/d(node) * grad to every node's .grad, as PyTorch does.

        The gradients are computed first and written only when the whole pass has succeeded:
        a pass that raises (an undefined derivative, say d(x**y)/dy at x < 0) changes no .grad.
        Leaves accumulate: calling backward twice doubles their grads (zero them in between).
        An inner node's .grad holds its gradient from the latest pass only (PyTorch keeps none
        for inner nodes unless asked to).
        """
        seed = seed_gradient(grad, "backward")
        order, grads = _order_and_grads(self)
        grads[self] = seed
        deque(chain_rule(order, grads), maxlen=0)  # run the walk out
        for node, g in grads.items():  # commit
            if node._op is None:
                node._grad += g
            else:
                node._grad = g


def topological_order(root):
    """Every node that ``root`` depends on, each after all the nodes it was computed from.

    ``root`` comes last; backward walks the list in reverse. Iterative (a chain of a million
    nodes needs no recursion) and deterministic (the same graph always gives the same order).
    """
    return _order_and_grads(root)[0]


def _order_and_grads(root):
    """topological_order(root), and a dict {node: 0.0} for the walk: it is the visited set too."""
    order = []
    grads = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:  # marker: every parent of the node below it is in order now
            order.append(stack.pop())
        elif node not in grads:
            grads[node] = 0.0
            if node._op is None:  # a leaf has nothing to wait for
                order.append(node)
                continue
            stack.append(node)
            stack.append(None)
            a, b = node._a, node._b  # the parents' slots, read directly: this is a hot loop
            if b is not None:  # pushed last operand first, so the first operand comes first
                if b not in grads:
                    stack.append(b)
                if a not in grads:
                    stack.append(a)
            elif type(a) is tuple:
                for parent in reversed(a):
                    if parent not in grads:
                        stack.append(parent)
            elif a not in grads:
                stack.append(a)
    return order, grads


def start_grads(order, seed):
    """The walk's own storage: a gradient for every node of ``order``, 0.0 but the root's seed."""
    grads = dict.fromkeys(order, 0.0)
    grads[order[-1]] = seed
    return grads


def chain_rule(order, grads, create_graph=False, mistake=None):
    """The chain rule, and the only place it is written: from the root back to the leaves.

    ``grads`` is the walk's own storage, ``{node: gradient}`` for every node of ``order``
    (see ``start_grads``); the walk adds into it and never writes a node's ``.grad``. A
    generator: it yields each inner node, whose gradient is then complete, just before passing
    it on to the node's parents, so the explainer can watch one step at a time.

    ``mistake`` models a learner who gets the chain rule wrong (``autograd.diagnose``): a function
    ``mistake(node, i, local, upstream, so_far)`` that gives operand i's gradient after this edge,
    where the rule gives ``so_far + local * upstream``.
    """
    special = create_graph or mistake is not None  # decided once, so the plain walk tests one flag, as before
    for node in reversed(order):
        if node._op is None:
            continue
        upstream = grads[node]
        yield node
        try:
            if special:
                if mistake is None:
                    for parent, local in zip(node.parents, _local_grads_as_values(node)):
                        grads[parent] += local * upstream
                else:
                    for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
                        grads[parent] = mistake(node, i, local, upstream, grads[parent])
            elif node._b is not None:  # two operands (the slots are read directly: the hot path)
                grads[node._a] += node._local_a * upstream
                grads[node._b] += node._local_b * upstream
            elif type(node._a) is tuple:  # sum, dot
                for parent, local in zip(node._a, node._local_a):
                    grads[parent] += local * upstream
            else:
                grads[node._a] += node._local_a * upstream
        except ValueError as error:  # an undefined local derivative (see ops.Undefined)
            raise ValueError(_failure_message(node._op, node.parents, error)) from None


def gradients(root, grad=1.0):
    """{node: d root/d node * grad} for every node of root's graph; writes no ``.grad``."""
    seed = seed_gradient(grad, "gradients")
    order, grads = _order_and_grads(root)
    grads[root] = seed
    deque(chain_rule(order, grads), maxlen=0)
    return grads


def grad(output, inputs, create_graph=False):
    """d output / d input for each input; reads the graph and writes no node's ``.grad``.

    Safe to call from several threads at once, also on graphs that share leaves. With
    ``create_graph=True`` the results are Values wired into the graph, so they can be
    differentiated again (second and third derivatives). An input that ``output`` does not
    depend on gets 0.0 (PyTorch would need ``allow_unused=True`` and give None).
    """
    output = _expect_value(output, "grad", "output")
    inputs = [_expect_value(v, "grad", "every input") for v in inputs]
    order, grads = _order_and_grads(output)
    grads[output] = 1.0
    deque(chain_rule(order, grads, create_graph), maxlen=0)
    results = [grads.get(v, 0.0) for v in inputs]
    if create_graph:
        return [g if isinstance(g, Value) else Value(g) for g in results]
    return results


def seed_gradient(grad, func_name):
    """The gradient a backward pass starts from: a real number (not a bool, not a Value)."""
    if isinstance(grad, Value):
        raise TypeError(f"{func_name}: grad must be a number, got a Value ({_describe(grad)}); "
                        f"pass its number, grad=v.data")
    if isinstance(grad, bool) or not isinstance(grad, numbers.Real):
        raise TypeError(f"{func_name}: grad must be a number, got {type(grad).__name__}: {grad!r}")
    return _to_float(grad, f"{func_name}(grad=...)")


def _local_grads_as_values(node):
    """The node's local derivatives rebuilt as Values (for create_graph=True)."""
    try:
        return node._op.local_grads(node.parents, node)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise type(error)(_failure_message(node._op, node.parents, error)) from None


def sum(values):
    """One node for values[0] + values[1] + ...: local derivative 1 for every input.

    Python's built-in sum would build a chain of "+" nodes as deep as the list.
    """
    parents = tuple(_operands(values, "sum", "values"))
    if not parents:
        return Value(0.0)
    parents, inputs = _values_and_data(parents, "sum")
    return _record(ops.SUM, parents, inputs)


def dot(ws, xs, bias=None):
    """One node for w_1*x_1 + ... + w_n*x_n (+ bias); local derivatives x_i, w_i and 1."""
    ws = _operands(ws, "dot", "ws")
    xs = _operands(xs, "dot", "xs")
    n = len(ws)
    if n != len(xs):
        raise ValueError(f"dot needs as many weights as inputs, got {n} weights and {len(xs)} inputs")
    parents, inputs = _values_and_data((*ws, *xs) if bias is None else (*ws, *xs, bias), "dot")
    return _record(ops.dot_op(n, bias is not None), parents, inputs)


def max(values):
    """One node for the largest of values: local derivative 1 for the first largest, 0 for the rest.

    PyTorch's max_pool2d and max(dim) give a tie to the first too (amax splits it); a nan makes
    the maximum nan. Compare with ``max(v.data for v in values)``, a number that is not in the graph.
    """
    parents = _operands(values, "max", "values")
    if not parents:
        raise ValueError("max of an empty list: it needs at least one Value or number")
    parents, inputs = _values_and_data(tuple(parents), "max")
    return _record(ops.MAX, parents, inputs)


def _operands(items, func_name, argument):
    if type(items) is list or type(items) is tuple:
        return items
    if isinstance(items, (str, bytes, dict, Value)) or not hasattr(items, "__iter__"):
        raise TypeError(f"{func_name}: {argument} must be a list of Values or numbers, "
                        f"got {type(items).__name__}: {items!r}")
    return tuple(items)


def _values_and_data(parents, op_name):
    """The parents as Values (numbers become constant leaves) and a list of their data.

    Exactly Values and real numbers are taken; anything else (an object that merely has a
    .data, a tensor, a string) is refused with its position and type.
    """
    inputs = [p.data for p in parents if type(p) is Value]
    if len(inputs) == len(parents):  # the common case: all Values
        return parents, inputs
    converted = []
    for position, p in enumerate(parents):
        if isinstance(p, Value):
            converted.append(p)
        elif type(p) is float:
            converted.append(Value(p))
        elif isinstance(p, numbers.Real) and not isinstance(p, bool):
            converted.append(Value(_to_float(p, f"{op_name}: item {position}")))
        else:
            raise TypeError(f"{op_name}: item {position} must be a Value or a real number, "
                            f"got {type(p).__name__}: {p!r}")
    return tuple(converted), [p.data for p in converted]


class no_grad:
    """Inside ``with no_grad():`` (or a function decorated ``@no_grad()``) ops record no graph.

    Per thread and per async task (contextvars); nests; one instance may be shared by threads.
    """

    def __enter__(self):
        _saved_grad_modes.set(_saved_grad_modes.get() + (_grad_enabled.get(),))
        _grad_enabled.set(False)
        return self

    def __exit__(self, *exc_info):
        saved = _saved_grad_modes.get()
        _grad_enabled.set(saved[-1])
        _saved_grad_modes.set(saved[:-1])
        return False

    def __call__(self, func):
        if inspect.isgeneratorfunction(func) or inspect.iscoroutinefunction(func):
            raise TypeError(f"@no_grad() decorates plain functions; use 'with no_grad():' inside {func.__name__}")

        @functools.wraps(func)
        def without_graph(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        return without_graph


def is_grad_enabled():
    """False inside ``no_grad()``."""
    return _grad_enabled.get()


def _binary(op, a, b):
    """Record a two-operand op; a plain number on either side becomes part of the op."""
    if not isinstance(a, Value):
        return _record(ops.with_constant(op, _number(a, op.name, b), True), (b,), (b.data,))
    if not isinstance(b, Value):
        constant = _number(b, op.name, a)
        if constant == 0 and op is ops.DIV and b != 0:
            raise ZeroDivisionError(f"/ of {_describe(a)} by the constant {_short(b)}: it is too small "
                                    f"for a float and rounds to 0.0")
        return _record(ops.with_constant(op, constant, False), (a,), (a.data,))
    return _record(op, (a, b), (a.data, b.data))


def _record(op, parents, inputs):
    """Run op forward on the parents' data and, unless in no_grad, record the new node."""
    try:
        out = op.forward(inputs)
        if not _grad_enabled.get():
            return Value(out) if _recording is None else _detached(op, parents, inputs)
        local_grads = op.local_grads(inputs, out)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise type(error)(_failure_message(op, parents, error)) from None
    node = _new_value(Value)
    node.data = out
    node._grad = 0.0
    node.label = ""
    node._op = op
    node.scope = _current_scope()
    if len(parents) == 2:
        node._a, node._b = parents
        node._local_a, node._local_b = local_grads
    elif len(parents) == 1:
        node._a, node._local_a = parents[0], local_grads[0]
        node._b = node._local_b = None
    else:
        node._a, node._local_a = parents, tuple(local_grads)
        node._b = node._local_b = None
    return node


_new_value = object.__new__


def _detached(op, parents, inputs):
    """An op under no_grad while autograd.compile traces: the node and a detach after it, so the
    program computes the value from its inputs at every call and no gradient passes."""
    token = _grad_enabled.set(True)
    try:
        return _record(op, parents, inputs).detach()
    finally:
        _grad_enabled.reset(token)


class Recording:
    """What one run of a function tells autograd.compile besides its graph (see _recording)."""

    def __init__(self):
        self.guards = []  # (value, op, other, result) for each comparison of a Value
        self.made = set()  # the leaves made during the run: numbers of the function's own
        self.draws = []  # (leaf, generator, draw) for each leaf drawn at random, in order
        self.states = {}  # generator -> its state before the run's first draw from it
        self.reads = []  # (read, value): facts outside the graph the run depended on


_recording = None  # a Recording while autograd.compile runs a function (one at a time)


def _compared(value, op, other, result):
    if _recording is not None:
        _recording.guards.append((value, op, other, result))
    return result


def random_leaf(generator, draw, label=""):
    """A leaf holding draw(generator), for a random.Random generator (a dropout mask, say).

    autograd.compile draws it afresh from the generator at every call, in the order they were
    made, so a seeded model gives the same numbers compiled or not, call for call.
    """
    if _recording is not None and generator not in _recording.states:
        _recording.states[generator] = generator.getstate()
    leaf = Value(draw(generator), label)
    if _recording is not None:
        _recording.made.discard(leaf)
        _recording.draws.append((leaf, generator, draw))
    return leaf


def depends_on(read):
    """read(), a fact outside the graph that the graph depends on (a module's training mode).

    autograd.compile notes it, and a call where read() gives another value traces again.
    """
    value = read()
    if _recording is not None:
        _recording.reads.append((read, value))
    return value


def _failure_message(op, parents, reason):
    operands = " and ".join(_describe(p) for p in parents[:4])
    if len(parents) > 4:
        operands += f" and {len(parents) - 4} more"
    return f"{op.name} of {operands}: {reason}"


def _describe(value):
    return f"{value.data!r} (label {value.label!r})" if value.label else repr(value.data)


def _to_float(data, where):
    """A real number as a float; a finite number too large for a float is an error, whatever
    its type (int, Fraction, numpy.longdouble), while an inf or nan written on purpose stays."""
    if type(data) is float:
        return data
    if not isinstance(data, numbers.Real):
        raise TypeError(f"{where} needs a real number (int, float, Fraction, numpy scalar), "
                        f"got {type(data).__name__}: {data!r}")
    try:
        x = float(data)
    except OverflowError:
        x = math.inf
    if math.isinf(x) and data == data and data != math.inf and data != -math.inf:  # exact compares
        raise OverflowError(f"{where}: {_short(data)} is too large for a float")
    return x


def _number(x, op_name, operand=None):
    """A constant operand of an op, as a float (a Value gives its data)."""
    if type(x) is float:  # the common case, checked first because it is the cheapest
        return x
    if isinstance(x, Value):
        return x.data
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{op_name}: expected a number or a Value, got {type(x).__name__}: {x!r}")
    where = op_name if operand is None else f"{op_name} of {_describe(operand)} and the constant"
    return _to_float(x, where)


def _comparable(x, op_name):
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real):
        return x  # Python compares float with int and Fraction exactly
    raise TypeError(f"{op_name}: expected a number or a Value, got {type(x).__name__}: {x!r}")


def _short(number):
    text = repr(number)
    return text if len(text) <= 40 else f"{text[:18]}...{text[-18:]} ({len(text)} characters)"


def _name(value):
    return f"the Value labelled {value.label!r}" if value.label else f"a Value (data {value.data!r})"


def _expect_value(x, func_name, what):
    if not isinstance(x, Value):
        raise TypeError(f"{func_name}: {what} must be a Value, got {type(x).__name__}: {x!r}")
    return x

