"""RNNCell and RNN: PyTorch's Elman recurrent layers, unrolled into a graph of scalars.

One step computes, for every hidden unit i,

    h'[i] = tanh(W_ih[i] . x + b_ih[i]  +  W_hh[i] . h + b_hh[i])

as two ``dot`` nodes, a ``+`` and the nonlinearity. The same Values ``W_hh`` are used at every
time step, so after backward ``weight_hh.i.j.grad`` is a sum with one term per step
(``nn.explain_grad_sum`` writes it out). Parameter names and shapes are PyTorch's, so
``load_state_dict(torch_rnn.state_dict())`` works.

>>> import nn
>>> rnn = nn.RNN(input_size=1, hidden_size=2, seed=0)
>>> outputs, h_n = rnn([[1.0], [0.5], [-1.0]])
>>> len(outputs), len(outputs[0]), len(h_n)
(3, 2, 1)
>>> outputs[-1][0] is h_n[0][0]
True
>>> outputs[1][0].label
'h2.0'
"""

from __future__ import annotations

import math
import random

from autograd import Value, dot
from autograd.scope import name_scope

from nn.module import Module, scope_of
from nn.sequential import as_vector, check_size, uniform_rows

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal

    from nn.sequential import Vector

NONLINEARITIES = {"tanh": Value.tanh, "relu": Value.relu}


def _check_nonlinearity(owner, nonlinearity):
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"{owner}: unknown nonlinearity {nonlinearity!r}: choose 'tanh' or 'relu' (PyTorch's two)")
    return nonlinearity


def rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh, act, label=None):
    """One step of an Elman RNN: the new hidden state as a list of Values (labelled label.i if given)."""
    out = []
    for i in range(len(weight_hh)):
        if bias_ih is None:
            a = dot(weight_ih[i], x) + dot(weight_hh[i], h)
        else:
            a = dot(weight_ih[i], x, bias_ih[i]) + dot(weight_hh[i], h, bias_hh[i])
        h_i = act(a)
        if label is not None:
            h_i.label = f"{label}.{i}"
        out.append(h_i)
    return out


def _parameters(rng, input_size, hidden_size, bias):
    bound = 1.0 / math.sqrt(hidden_size)
    weight_ih = uniform_rows(rng, hidden_size, input_size, bound)
    weight_hh = uniform_rows(rng, hidden_size, hidden_size, bound)
    if not bias:
        return weight_ih, weight_hh, None, None
    return weight_ih, weight_hh, uniform_rows(rng, 1, hidden_size, bound)[0], uniform_rows(rng, 1, hidden_size, bound)[0]


class RNNCell(Module):
    """One recurrent step, ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``: PyTorch's RNNCell.

    Parameters start uniform in +-1/sqrt(hidden_size), as PyTorch's do.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: Literal["tanh", "relu"] = "tanh", seed: int | None = None,
                 rng: random.Random | None = None) -> None:
        super().__init__()
        self.input_size = check_size("RNNCell", "input_size", input_size)
        self.hidden_size = check_size("RNNCell", "hidden_size", hidden_size)
        self.nonlinearity = _check_nonlinearity("RNNCell", nonlinearity)
        rng = rng if rng is not None else random.Random(seed)
        self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh = _parameters(rng, input_size, hidden_size, bias)
        self._label_parameters()

    def forward(self, x: Vector, hx: Vector | None = None) -> list[Value]:
        """The next hidden state (a list of hidden_size Values) from input x and hidden state hx (zeros if None)."""
        x = as_vector(x, "RNNCell input", self.input_size)
        h = (0.0,) * self.hidden_size if hx is None else as_vector(hx, "RNNCell hidden state", self.hidden_size)
        return rnn_step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                        NONLINEARITIES[self.nonlinearity])

    if TYPE_CHECKING:  # calling the module runs forward (see Module.__call__): the same types
        __call__ = forward

    def __repr__(self):
        extra = "" if self.bias_ih is not None else ", bias=False"
        extra += "" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}"
        return f"RNNCell({self.input_size}, {self.hidden_size}{extra})"


class RNN(Module):
    """An RNNCell unrolled over a sequence, ``num_layers`` deep: PyTorch's RNN for one sequence.

    ``rnn(xs)`` takes a list of T input vectors and returns ``(outputs, h_n)``: outputs is the
    last layer's hidden state at every step (T vectors), h_n every layer's last hidden state
    (num_layers vectors), as PyTorch returns them for an unbatched sequence. Each hidden
    state's Values are labelled ``h<t>.<i>`` (t counts from 1; ``h<t>_l<k>.<i>`` when there are
    several layers), input numbers become Values labelled ``x<t>.<j>``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: Literal["tanh", "relu"] = "tanh", bias: bool = True, seed: int | None = None) -> None:
        super().__init__()
        self.input_size = check_size("RNN", "input_size", input_size)
        self.hidden_size = check_size("RNN", "hidden_size", hidden_size)
        self.num_layers = check_size("RNN", "num_layers", num_layers)
        self.nonlinearity = _check_nonlinearity("RNN", nonlinearity)
        self.bias = bool(bias)
        rng = random.Random(seed)
        for k in range(num_layers):
            weight_ih, weight_hh, bias_ih, bias_hh = _parameters(rng, input_size if k == 0 else hidden_size,
                                                                 hidden_size, bias)
            # PyTorch's names: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l1, ...
            setattr(self, f"weight_ih_l{k}", weight_ih)
            setattr(self, f"weight_hh_l{k}", weight_hh)
            if bias:
                setattr(self, f"bias_ih_l{k}", bias_ih)
                setattr(self, f"bias_hh_l{k}", bias_hh)
        self._label_parameters()

    def layer_parameters(self, k: int) -> tuple[list[list[Value]], list[list[Value]], list[Value] | None,
                                                list[Value] | None]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of layer k (the biases are None without bias)."""
        return (getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}"),
                getattr(self, f"bias_ih_l{k}", None), getattr(self, f"bias_hh_l{k}", None))

    def forward(self, xs: Sequence[Vector],
                hx: Sequence[Vector] | None = None) -> tuple[list[list[Value]], list[list[Value]]]:
        """(outputs, h_n) for the sequence xs (a list of input vectors) from hidden states hx (zeros if None)."""
        if not isinstance(xs, (list, tuple)) or not xs:
            raise ValueError(f"RNN expects a non-empty list of input vectors (one per time step), got {xs!r:.60}")
        if hx is not None and (not isinstance(hx, (list, tuple)) or len(hx) != self.num_layers):
            raise ValueError(f"RNN: hx must be a list of {self.num_layers} hidden state(s) "
                             f"(one per layer, each of {self.hidden_size}), got {hx!r:.60}")
        steps = []
        for t, x in enumerate(xs, start=1):
            values = as_vector(x, f"RNN input at step {t}", self.input_size)
            for j, (raw, v) in enumerate(zip(x if isinstance(x, (list, tuple)) else [x], values)):
                if not isinstance(raw, Value):
                    v.label = f"x{t}.{j}"
            steps.append(values)
        act = NONLINEARITIES[self.nonlinearity]
        h_n = []
        for k in range(self.num_layers):
            suffix = "" if self.num_layers == 1 else f"_l{k}"
            if hx is None:
                h = tuple(Value(0.0, label=f"h0{suffix}.{i}") for i in range(self.hidden_size))
            else:
                h = as_vector(hx[k], f"RNN hx[{k}]", self.hidden_size)
            params = self.layer_parameters(k)
            layer = scope_of(self) if self.num_layers == 1 else scope_of(self).child(f"l{k}", "layer")
            outputs = []
            for t, x in enumerate(steps, start=1):
                name = f"h{t}{suffix}"
                with name_scope(layer.child(f"t={t}", "step")):  # each time step is a scope: t=3
                    h = rnn_step(x, h, *params, act, label=name)
                outputs.append(h)
            h_n.append(outputs[-1])  # h: the layer's last hidden state
            steps = outputs
        return steps, h_n

    if TYPE_CHECKING:  # calling the module runs forward (see Module.__call__): the same types
        __call__ = forward

    def __repr__(self):
        extra = "" if self.num_layers == 1 else f", num_layers={self.num_layers}"
        extra += "" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}"
        extra += "" if self.bias else ", bias=False"
        return f"RNN({self.input_size}, {self.hidden_size}{extra})"
