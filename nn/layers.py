"""Neuron, Layer, MLP and Dropout: the network is an ordinary graph of autograd Values."""

from __future__ import annotations

import numbers
import random

from autograd import Value, dot
from autograd.engine import depends_on, random_leaf

from nn import init as initialisers
from nn.module import Module, scope_of
from nn.sequential import inputs

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Literal, TypeAlias, overload

    from nn.init import Init
    from nn.sequential import Vector

    Activation: TypeAlias = Literal["relu", "tanh", "sigmoid", "leaky_relu", "linear"]

ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,  # slope 0.01, PyTorch's default
    "linear": None,
}


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: choose one of {', '.join(map(repr, ACTIVATIONS))}")
    return activation


def _weighted_sum_unfused(ws, xs, b, scope):
    """((w1*x1 + w2*x2) + ...) + b from elementary nodes, summed in the same order as ``dot``, each node
    stamped with the neuron's scope."""
    total = ws[0] * xs[0]
    total.scope = scope
    for w, x in zip(ws[1:], xs[1:]):
        product = w * x
        total = total + product
        product.scope = total.scope = scope
    total = total + b
    total.scope = scope
    return total


class Neuron(Module):
    """act(w . x + b): ``nin`` weights, one bias, one activation."""

    def __init__(self, nin: int, activation: Activation = "relu", init: Init | None = None, seed: int | None = None,
                 fused: bool = True, rng: random.Random | None = None, fan_out: int = 1) -> None:
        super().__init__()
        if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
            raise ValueError(f"a neuron needs a whole number of inputs >= 1, got {nin!r}")
        self.nin = nin
        self.activation = _check_activation(activation)
        draw, self.init = initialisers.resolve(init, activation)
        rng = rng if rng is not None else random.Random(seed)
        self.w = tuple(Value(draw(rng, nin, fan_out)) for _ in range(nin))
        self.b = Value(0.0)
        self.fused = bool(fused)
        self._act = ACTIVATIONS[activation]
        self._label_parameters()

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]  # the same order as named_parameters, without building names

    def _state_entries(self):
        return [("weight", [list(self.w)]), ("bias", [self.b])]  # the shapes of PyTorch's Linear(nin, 1)

    def forward(self, x: Vector) -> Value:
        """The neuron's output Value for the inputs x (floats or Values)."""
        return self._forward(inputs(x, "Neuron", self.nin))

    if TYPE_CHECKING:  # calling the module runs forward (see Module.__call__): the same types
        __call__ = forward

    def _forward(self, xs):
        """The output for a list of Values of the right length (no checks: the hot path)."""
        if self.fused:
            out = dot(self.w, xs, self.b)
        else:
            out = _weighted_sum_unfused(self.w, xs, self.b, scope_of(self))
        act = self._act
        return act(out) if act is not None else out

    def __repr__(self):
        return f"Neuron({self.nin} inputs, activation={self.activation!r}, init={self.init!r})"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs: PyTorch's Linear plus an activation."""

    def __init__(self, nin: int, nout: int, activation: Activation = "relu", init: Init | None = None,
                 seed: int | None = None, fused: bool = True, rng: random.Random | None = None) -> None:
        super().__init__()
        if isinstance(nout, bool) or not isinstance(nout, int) or nout < 1:
            raise ValueError(f"a layer needs a whole number of neurons >= 1, got {nout!r}")
        rng = rng if rng is not None else random.Random(seed)
        self.neurons = [Neuron(nin, activation, init, fused=fused, rng=rng, fan_out=nout) for _ in range(nout)]
        self.nin, self.nout = nin, nout
        self.activation = activation
        self.init = self.neurons[0].init
        self._fused = bool(fused)
        self._act = ACTIVATIONS[activation]
        # (no _label_parameters() here: assigning self.neurons labelled them, see Module.__setattr__)

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in (*n.w, n.b)]

    def _state_entries(self):
        return [("weight", [list(n.w) for n in self.neurons]), ("bias", [n.b for n in self.neurons])]

    def forward(self, x: Vector) -> list[Value]:
        """A list of ``nout`` output Values (always a list, even for one neuron)."""
        return self._forward(inputs(x, "Layer", self.nin))

    if TYPE_CHECKING:  # calling the module runs forward (see Module.__call__): the same types
        __call__ = forward

    def _forward(self, xs):
        # The inner loop of the whole library: one dot node and one activation node per neuron.
        # xs is a tuple of Values, so dot neither copies nor converts it. Each neuron's nodes get
        # the neuron's scope (a MLP calls this directly, without entering each neuron's scope).
        act = self._act
        outs = []
        append = outs.append
        if self._fused and act is None:
            for n in self.neurons:
                z = dot(n.w, xs, n.b)
                z.scope = scope_of(n)
                append(z)
            return outs
        if self._fused:
            for n in self.neurons:
                z = dot(n.w, xs, n.b)
                out = act(z)
                z.scope = out.scope = scope_of(n)
                append(out)
            return outs
        for n in self.neurons:
            out = _weighted_sum_unfused(n.w, xs, n.b, scope_of(n))
            if act is not None:
                scope = out.scope
                out = act(out)
                out.scope = scope
            outs.append(out)
        return outs

    def __repr__(self):
        return f"Layer({self.nin} -> {self.nout}, activation={self.activation!r}, init={self.init!r})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` is 2 inputs -> 16 -> 16 -> 1 output.

    Hidden layers use ``activation``, the last one ``output_activation``. ``init=None`` picks
    He for relu/leaky_relu and Glorot (xavier) for tanh/sigmoid/linear. ``fused=False`` builds
    each weighted sum from ``*`` and ``+`` nodes instead of one ``dot`` node (same numbers).
    ``dropout=p`` puts a ``Dropout(p)`` after every hidden layer: active in training mode,
    off after ``model.eval()``; it has no parameters, so the state dict is the same.

    >>> model = MLP(2, [4, 1], seed=0)
    >>> len(model.parameters())
    17
    >>> model.parameters()[0].label
    'layers.0.neurons.0.w.0'
    """

    def __init__(self, nin: int, nouts: int | Iterable[int], activation: Activation = "relu",
                 output_activation: Activation = "linear", init: Init | None = None, seed: int | None = None,
                 fused: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
            raise ValueError(f"an MLP needs a whole number of inputs >= 1, got {nin!r}")
        nouts = list(nouts) if not isinstance(nouts, int) else [nouts]
        if not nouts:
            raise ValueError("an MLP needs at least one layer: nouts is empty")
        _check_activation(activation)
        _check_activation(output_activation)
        rng = random.Random(seed)
        sizes = [nin] + nouts
        acts = [activation] * (len(nouts) - 1) + [output_activation]
        layer_init = init if init is not None else initialisers.DEFAULT_FOR_ACTIVATION[activation]
        self.layers = [Layer(sizes[i], sizes[i + 1], acts[i], layer_init, fused=fused, rng=rng) for i in range(len(nouts))]
        self.nin, self.nouts = nin, nouts
        self.activation, self.output_activation = activation, output_activation
        self.init = self.layers[0].init
        self.fused = bool(fused)
        # drawn after the weights, so a dropout model starts from the same weights as one without
        self.dropout = Dropout(dropout).p  # checks p
        if self.dropout and len(nouts) == 1:
            raise ValueError(f"MLP: dropout={dropout!r} goes after hidden layers, and nouts={nouts} has none")
        self.dropouts = [Dropout(dropout, seed=None if seed is None else rng.randrange(2**32)) for _ in nouts[:-1]]
        # (no _label_parameters() here: assigning self.layers labelled them, see Module.__setattr__)

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def _state_entries(self):
        # Keys of torch.nn.Sequential(Linear, act, Linear, act, ..., Linear[, act]): Linear i sits
        # at index 2*i. Use nn.Identity() for a "linear" hidden activation to keep the indices.
        entries = []
        for i, layer in enumerate(self.layers):
            for key, structure in layer._state_entries():
                entries.append((f"{2 * i}.{key}", structure))
        return entries

    # A type checker sees Value | list[Value]: which one depends on nouts[-1], a number it does not
    # know. loss functions take both; to use one output's .data, check first: isinstance(out, Value).
    def forward(self, x: Vector) -> Value | list[Value]:
        """The output Value for one output, else a list of Values; x is floats or Values."""
        xs = inputs(x, "MLP", self.nin)
        for i, layer in enumerate(self.layers):
            xs = tuple(layer._forward(xs))
            if self.dropout and i < len(self.dropouts):  # each Dropout reads the training mode itself
                xs = tuple(self.dropouts[i](list(xs)))
        return xs[0] if len(xs) == 1 else list(xs)

    if TYPE_CHECKING:  # calling the module runs forward (see Module.__call__): the same types
        __call__ = forward

    def __repr__(self):
        shape = f"{self.nin}" + "".join(
            f" -> {layer.nout} {layer.activation}" for layer in self.layers
        )
        dropout = f", dropout={self.dropout}" if self.dropout else ""
        return f"MLP({shape}; {len(self.parameters())} parameters, init={self.init!r}, fused={self.fused}{dropout})"


class Dropout(Module):
    """Zero each input with probability p in training mode and scale the rest by 1/(1-p).

    In eval mode (``model.eval()``) it passes inputs through unchanged. Each input is multiplied
    by a leaf labelled ``mask`` (0 or 1/(1-p)) drawn from the module's own generator; ``seed``
    makes the masks reproducible. Under ``autograd.compile`` the masks are drawn afresh at every
    call, in the same order, and a change of mode (or of p) traces again.
    """

    p: float
    _rng: random.Random

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be a number in [0, 1], got {p!r}")
        self.p = float(p)
        self._rng = random.Random(seed)

    if TYPE_CHECKING:
        @overload
        def __call__(self, x: Value) -> Value: ...
        @overload
        def __call__(self, x: list[Value]) -> list[Value]: ...
        @overload
        def __call__(self, x: tuple[Value, ...]) -> tuple[Value, ...] | list[Value]: ...

    def __call__(self, x: Value | list[Value] | tuple[Value, ...]) -> Value | list[Value] | tuple[Value, ...]:
        """x (a Value or a list of Values) with dropout applied in training mode."""
        training, p = depends_on(lambda: (self.training, self.p))
        if not training or p == 0.0:
            return x
        keep_scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)

        def draw(rng):
            return 0.0 if rng.random() < p else keep_scale

        xs = x if isinstance(x, (list, tuple)) else [x]
        out = [v * random_leaf(self._rng, draw, "mask") for v in xs]
        return out if isinstance(x, (list, tuple)) else out[0]

    def __repr__(self):
        return f"Dropout(p={self.p})"
