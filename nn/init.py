"""Weight initialisers: each draws one weight from ``rng`` given the layer's fan-in and fan-out.

Biases always start at 0.0 (as in most textbooks; PyTorch's Linear draws them uniformly).
"""

from __future__ import annotations

import math

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from random import Random
    from typing import Literal, TypeAlias

    # A layer's init: a name, or a function (rng, fan_in, fan_out) -> one weight.
    Init: TypeAlias = Literal["uniform", "xavier", "he"] | Callable[[Random, int, int], float]


def uniform(rng: Random, fan_in: int, fan_out: int) -> float:
    """U(-1, 1), micrograd's choice: fine for tiny nets, too large for wide ones."""
    return rng.uniform(-1.0, 1.0)


def xavier(rng: Random, fan_in: int, fan_out: int) -> float:
    """Glorot uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)); suits tanh and sigmoid."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit)


def he(rng: Random, fan_in: int, fan_out: int) -> float:
    """Kaiming normal: N(0, 2 / fan_in), which keeps ReLU activations from shrinking or growing."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


INITIALISERS = {"uniform": uniform, "xavier": xavier, "he": he}

# init=None picks by activation: He for the ReLU family, Glorot for the rest.
DEFAULT_FOR_ACTIVATION: dict[str, Init] = {"relu": "he", "leaky_relu": "he", "tanh": "xavier", "sigmoid": "xavier",
                                           "linear": "xavier"}


def resolve(init: Init | None, activation: str) -> tuple[Callable[[Random, int, int], float], str]:
    """The initialiser function for ``init`` (a name, a callable or None) and its display name."""
    if init is None:
        init = DEFAULT_FOR_ACTIVATION[activation]
    if callable(init):
        return init, getattr(init, "__name__", repr(init))
    if init not in INITIALISERS:
        raise ValueError(f"unknown init {init!r}: choose one of {', '.join(map(repr, INITIALISERS))} or pass a function (rng, fan_in, fan_out) -> float")
    return INITIALISERS[init], init
