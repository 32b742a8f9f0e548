"""Sequential and the layers it chains: Linear, ReLU, Tanh, Sigmoid, Flatten (PyTorch's names).

A layer takes one sample (not a batch): Linear a list of numbers or Values, the activations
any nesting of lists (a vector, or ``[channel][row][col]`` feature maps), Flatten nested lists.

>>> import nn
>>> model = nn.Sequential(nn.Linear(2, 4, seed=0), nn.ReLU(), nn.Linear(4, 1, seed=1))
>>> list(model.state_dict())
['0.weight', '0.bias', '2.weight', '2.bias']
>>> len(model([0.5, -1.0]))
1
"""

from __future__ import annotations

import math
import numbers
import random

from autograd import Value, dot

from nn.module import Module, scope_of

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any, ClassVar, TypeAlias, overload

    from autograd.engine import Real
    from nn.module import Nested

    Vector: TypeAlias = Value | Real | Sequence[Value | Real]  # one number or Value when there is one


def check_size(owner, what, n):
    """n (a size: in_features, hidden_size, ...) if it is a whole number >= 1, else a ValueError naming owner and what."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{owner}: {what} must be a whole number >= 1, got {n!r}")
    return n


def _as_values(xs):
    return tuple(x if isinstance(x, Value) else Value(x) for x in xs)


def uniform_rows(rng, rows, cols, bound):
    """rows x cols Values drawn from U(-bound, bound), row by row (PyTorch's default for its layers)."""
    return [[Value(rng.uniform(-bound, bound)) for _ in range(cols)] for _ in range(rows)]


def inputs(x, owner, n):
    """x (a sequence of numbers or Values, or one of them) as a tuple of n Values; a ValueError naming owner
    for any other length."""
    if isinstance(x, (Value, numbers.Real)):
        x = [x]
    if len(x) != n:
        raise ValueError(f"{owner} expects {n} inputs, got {len(x)}")
    return _as_values(x)


def as_vector(x, owner, n):
    """x (a list of numbers or Values, or one of them when n is 1) as a tuple of n Values: ``inputs``, and a
    TypeError for anything but a list, a tuple, a number or a Value."""
    if isinstance(x, bool) or not isinstance(x, (Value, numbers.Real, list, tuple)):
        raise TypeError(f"{owner} expects a list of {n} numbers or Values, got {type(x).__name__}: {x!r:.60}")
    return inputs(x, owner, n)


class Linear(Module):
    """y = W x + b with W of shape out_features x in_features: PyTorch's Linear (no activation).

    Weights and bias start uniform in +-1/sqrt(in_features), as PyTorch's do.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, seed: int | None = None,
                 rng: random.Random | None = None) -> None:
        super().__init__()
        self.in_features = check_size("Linear", "in_features", in_features)
        self.out_features = check_size("Linear", "out_features", out_features)
        rng = rng if rng is not None else random.Random(seed)
        bound = 1.0 / math.sqrt(in_features)
        self.weight = uniform_rows(rng, out_features, in_features, bound)
        self.bias = uniform_rows(rng, 1, out_features, bound)[0] if bias else None
        self._label_parameters()

    def forward(self, x: Vector) -> list[Value]:
        """A list of out_features Values (one ``dot`` node each) for in_features inputs.

        Output r is a neuron of its own: its node gets the scope ``r`` inside the Linear's (``0.3``).
        """
        xs = as_vector(x, repr(self), self.in_features)
        scope = scope_of(self)
        outs = [dot(row, xs) for row in self.weight] if self.bias is None else \
            [dot(row, xs, b) for row, b in zip(self.weight, self.bias)]
        for r, out in enumerate(outs):
            out.scope = scope.child(str(r), "neuron")
        return outs

    if TYPE_CHECKING:  # calling the module runs forward (see Module.__call__): the same types
        __call__ = forward

    def __repr__(self):
        return f"Linear(in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None})"


def apply_elementwise(fn, x):
    """fn applied to every Value (or number) in x, keeping the nesting of lists."""
    if isinstance(x, (list, tuple)):
        return [apply_elementwise(fn, item) for item in x]
    return fn(x if isinstance(x, Value) else Value(x))


class _Elementwise(Module):
    """An activation applied to every element of x, any nesting of lists kept: ReLU, Tanh, Sigmoid."""

    _function: ClassVar[Callable[[Value], Value]]  # Value.relu, ...: read from the class, where it is a plain function

    if TYPE_CHECKING:
        @overload
        def forward(self, x: Value | Real) -> Value: ...
        @overload
        def forward(self, x: Sequence[Value | Real]) -> list[Value]: ...
        @overload
        def forward(self, x: Sequence[Any]) -> list[Any]: ...

    def forward(self, x: Nested) -> Value | list[Any]:
        """x with the activation applied elementwise (any nesting of lists)."""
        return apply_elementwise(type(self)._function, x)

    if TYPE_CHECKING:  # calling the module runs forward (see Module.__call__): the same types
        __call__ = forward

    def __repr__(self):
        return f"{type(self).__name__}()"


class ReLU(_Elementwise):
    """max(0, x) for every element."""

    _function = Value.relu


class Tanh(_Elementwise):
    """tanh(x) for every element."""

    _function = Value.tanh


class Sigmoid(_Elementwise):
    """1 / (1 + e^-x) for every element."""

    _function = Value.sigmoid


class Flatten(Module):
    """Nested lists (e.g. ``[channel][row][col]``) to one flat list, row by row.

    PyTorch's Flatten keeps dimension 0 as the batch; here a sample has no batch dimension,
    so the whole sample is flattened (the same numbers in the same order).
    """

    def forward(self, x: Nested) -> list[Any]:
        """Every element of x, in reading order, as one list."""
        flat, stack = [], [x]
        while stack:
            item = stack.pop()
            if isinstance(item, (list, tuple)):
                stack.extend(reversed(item))
            else:
                flat.append(item)
        return flat

    if TYPE_CHECKING:  # calling the module runs forward (see Module.__call__): the same types
        __call__ = forward

    def __repr__(self):
        return "Flatten()"


class Sequential(Module):
    """Modules called one after another; the state-dict keys are PyTorch's (``0.weight``, ``2.bias``).

    Its sub-modules are named by their position, ``"0"``, ``"1"``, ...; ``model[i]``, ``len(model)``
    and iteration work as in PyTorch.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {i} must be a Module (e.g. nn.Linear, nn.ReLU()), "
                                f"got {type(module).__name__}: {module!r:.60}")
        self._layers = list(modules)  # labels the parameters and names the members' scopes (Module.__setattr__)

    def _members(self):
        return [(str(i), module) for i, module in enumerate(self._layers)]

    # The output is what the last module gives, which a type checker cannot follow: Any.
    def forward(self, x: Any) -> Any:
        """x passed through every module in order, each inside its own scope (also one that defines __call__)."""
        for module in self._layers:
            with module.name_scope():
                x = module(x)
        return x

    if TYPE_CHECKING:
        @overload
        def __getitem__(self, index: int) -> Module: ...
        @overload
        def __getitem__(self, index: slice) -> Sequential: ...

    def __getitem__(self, index: int | slice) -> Module | Sequential:
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

    def __repr__(self):
        if not self._layers:
            return "Sequential()"
        lines = []
        for i, module in enumerate(self._layers):
            inner = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({i}): {inner}")
        return "Sequential(\n" + "\n".join(lines) + "\n)"
