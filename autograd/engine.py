"""The engine: a Value records each operation into a graph; backward() applies the chain rule.

Every edge of the graph stores its local derivative (computed in the forward pass by the op,
see ops.py), so backward is one line of the chain rule, repeated in topological order:

    parent.grad += local_grad * node.grad
"""

import contextvars
import functools
import inspect
import numbers

from autograd import ops

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
    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_local_a", "_local_b")

    def __init__(self, data, label=""):
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        self.data = _to_float(data)
        self.grad = 0.0
        self.label = label
        self._op = None
        self._a = self._b = self._local_a = self._local_b = None

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
        return self.data

    def item(self):
        """The data as a plain float (PyTorch's name)."""
        return self.data

    def detach(self):
        """A new leaf with the same data, cut off from this graph."""
        return Value(self.data, self.label)

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
        return _record(ops.PowConst(_number(exponent, "**")), (self,), (self.data,))

    def __rpow__(self, base):
        return _record(ops.ConstantBasePow(_number(base, "**")), (self,), (self.data,))

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

    def relu(self):
        """max(0, self); its derivative at 0 is 0, as in PyTorch."""
        return _record(ops.RELU, (self,), (self.data,))

    def leaky_relu(self, slope=0.01):
        """self if self > 0, else slope * self."""
        return _record(ops.LeakyRelu(_number(slope, "leaky_relu")), (self,), (self.data,))

    def sin(self):
        """The sine (radians)."""
        return _record(ops.SIN, (self,), (self.data,))

    def cos(self):
        """The cosine (radians)."""
        return _record(ops.COS, (self,), (self.data,))

    def sqrt(self):
        """The square root (self must be >= 0)."""
        return _record(ops.SQRT, (self,), (self.data,))

    # Comparisons look at .data and record nothing (autograd.compile notes them as guards).
    def __lt__(self, other):
        return _compared(self, "<", other, self.data < _number(other, "<"))

    def __le__(self, other):
        return _compared(self, "<=", other, self.data <= _number(other, "<="))

    def __gt__(self, other):
        return _compared(self, ">", other, self.data > _number(other, ">"))

    def __ge__(self, other):
        return _compared(self, ">=", other, self.data >= _number(other, ">="))

    def backward(self, grad=1.0):
        """Add d(self)/d(node) * grad to every node's .grad, as PyTorch does.

        Leaves accumulate: calling backward twice doubles their grads (zero them in between).
        An inner node's .grad holds its gradient from the latest backward pass only
        (PyTorch keeps none for inner nodes unless asked to). A local derivative that does not
        exist (d(x**y)/dy at x < 0) raises ValueError when reached; grads added before it stay.
        """
        order = start_backward(self, grad)
        for _ in chain_rule(order):
            pass


def topological_order(root):
    """Every node that ``root`` depends on, each after all the nodes it was computed from.

    ``root`` comes last; backward walks the list in reverse. Iterative (a chain of a million
    nodes needs no recursion) and deterministic (the same graph always gives the same order).
    """
    order = []
    visited = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:  # marker: every parent of the node below it is in order now
            order.append(stack.pop())
        elif node not in visited:
            visited.add(node)
            if node._op is None:  # a leaf has nothing to wait for
                order.append(node)
                continue
            stack.append(node)
            stack.append(None)
            for parent in reversed(node.parents):  # the first operand comes first
                if parent not in visited:
                    stack.append(parent)
    return order


def start_backward(root, grad=1.0):
    """Begin a backward pass: order the graph, zero inner nodes' grads, add grad to root.grad.

    Returns the order for ``chain_rule``. Leaves keep their grads, so they accumulate.
    """
    grad = _number(grad, "backward")
    order = topological_order(root)
    for node in order:
        if node._op is not None:
            node.grad = 0.0
    root.grad += grad
    return order


def chain_rule(order, create_graph=False):
    """The chain rule, and the only place it is written: from the root back to the leaves.

    A generator: it yields each inner node just before passing the node's gradient on to its
    parents, so the explainer can watch one step at a time; ``backward`` simply runs it out.
    """
    for node in reversed(order):
        if node._op is not None:
            yield node
            local_grads = _local_grads_as_values(node) if create_graph else node.local_grads
            upstream = node.grad
            try:
                for parent, local in zip(node.parents, local_grads):
                    parent.grad += local * upstream
            except ValueError as error:  # an undefined local derivative (see ops.Undefined)
                raise ValueError(_failure_message(node._op, node.parents, error)) from None


def grad(output, inputs, create_graph=False):
    """d output / d input for each input, without touching any node's ``.grad``.

    With ``create_graph=True`` the results are Values wired into the graph, so they can be
    differentiated again (second and third derivatives). An input that ``output`` does not
    depend on gets 0.0 (PyTorch would need ``allow_unused=True`` and give None).
    """
    output = _expect_value(output, "grad", "output")
    inputs = [_expect_value(v, "grad", "every input") for v in inputs]
    order = topological_order(output)
    saved = {node: node.grad for node in order}
    saved.update((v, v.grad) for v in inputs if v not in saved)
    try:
        for node in saved:
            node.grad = 0.0
        output.grad = 1.0
        for _ in chain_rule(order, create_graph):
            pass
        grads = [v.grad for v in inputs]
    finally:
        for node, old in saved.items():
            node.grad = old
    if create_graph:
        return [g if isinstance(g, Value) else Value(g) for g in grads]
    return grads


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
    parents = tuple(values)
    if not parents:
        return Value(0.0)
    parents, inputs = _values_and_data(parents, "sum")
    return _record(ops.SUM, parents, inputs)


def dot(ws, xs, bias=None):
    """One node for w_1*x_1 + ... + w_n*x_n (+ bias); local derivatives x_i, w_i and 1."""
    if not isinstance(ws, (list, tuple)):
        ws = tuple(ws)
    if not isinstance(xs, (list, tuple)):
        xs = tuple(xs)
    n = len(ws)
    if n != len(xs):
        raise ValueError(f"dot needs as many weights as inputs, got {n} weights and {len(xs)} inputs")
    parents, inputs = _values_and_data((*ws, *xs) if bias is None else (*ws, *xs, bias), "dot")
    return _record(ops.dot_op(n, bias is not None), parents, inputs)


def _values_and_data(parents, op_name):
    """The parents as Values (numbers become constant leaves) and a list of their data."""
    try:
        return parents, [p.data for p in parents]
    except AttributeError:  # a plain number among them (or something that is not a number)
        parents = tuple(p if isinstance(p, Value) else _as_value(p, op_name) for p in parents)
        return parents, [p.data for p in parents]


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
        return _record(ops.with_constant(op, _number(a, op.name), True), (b,), (b.data,))
    if not isinstance(b, Value):
        return _record(ops.with_constant(op, _number(b, op.name), False), (a,), (a.data,))
    return _record(op, (a, b), (a.data, b.data))


def _record(op, parents, inputs):
    """Run op forward on the parents' data and, unless in no_grad, record the new node."""
    try:
        out = op.forward(inputs)
        if not _grad_enabled.get():
            return Value(out)
        local_grads = op.local_grads(inputs, out)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise type(error)(_failure_message(op, parents, error)) from None
    node = _new_value(Value)
    node.data = out
    node.grad = 0.0
    node.label = ""
    node._op = op
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


_guards = None  # a list while autograd.compile traces a function: one entry per comparison


def _compared(value, op, other, result):
    if _guards is not None:
        _guards.append((value, op, other, result))
    return result


def _failure_message(op, parents, reason):
    operands = " and ".join(_describe(p) for p in parents[:4])
    if len(parents) > 4:
        operands += f" and {len(parents) - 4} more"
    return f"{op.name} of {operands}: {reason}"


def _describe(value):
    return f"{value.data!r} (label {value.label!r})" if value.label else repr(value.data)


def _to_float(data):
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real):
        try:
            return float(data)
        except OverflowError:
            raise OverflowError(f"Value(data): {data!r} is too large for a float") from None
    raise TypeError(f"Value(data) needs a real number (int, float or bool), got {type(data).__name__}: {data!r}")


def _number(x, op_name):
    if type(x) is float:  # the common case, checked first because it is the cheapest
        return x
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{op_name}: expected a number or a Value, got {type(x).__name__}: {x!r}")


def _as_value(x, op_name):
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    raise TypeError(f"{op_name}: expected a number or a Value, got {type(x).__name__}: {x!r}")


def _expect_value(x, func_name, what):
    if not isinstance(x, Value):
        raise TypeError(f"{func_name}: {what} must be a Value, got {type(x).__name__}: {x!r}")
    return x

