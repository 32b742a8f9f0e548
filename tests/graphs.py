"""Graphs the tests share, and how they compare numbers."""

import math

import autograd
import nn
from autograd import Value


def same(a, b):
    """Bit for bit: equal, with the same sign of zero, or both nan."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def as_values(x):
    """A Value for every number of a nested list, in the same nesting."""
    return [as_values(item) for item in x] if isinstance(x, (list, tuple)) else Value(x)


def compiled_batch(model, n=40):
    """A squared error over n samples plus L2, compiled: (the program, True when its loss and the
    model's gradients are the graph's bit for bit). .ci/smoke.py runs it on every Python too."""
    batch = [[math.sin(i), math.cos(3 * i)] for i in range(n)]
    params = model.parameters()

    def batch_loss():
        return autograd.sum([(model(x) - 0.5) ** 2 for x in batch]) + autograd.dot(params, params) * 1e-3

    f = autograd.compile(batch_loss)
    out = f()
    compiled_grads = [p.grad for p in params]
    model.zero_grad()
    loss = batch_loss()
    loss.backward()
    return f, same(out, loss.data) and all(map(same, compiled_grads, [p.grad for p in params]))


def neuron():
    """o = tanh(x1*w1 + x2*w2 + b), the classic neuron, every node labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    values = {"x1w1": x1 * w1, "x2w2": x2 * w2}
    values["s"] = values["x1w1"] + values["x2w2"]
    values["n"] = values["s"] + b
    values["o"] = values["n"].tanh()
    for label, value in values.items():
        value.label = label
    return values["o"]


def readme_neuron():
    """The README's neuron: inner nodes v2, v5, v6 unlabelled, n and o labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


class UserNet(nn.Module):
    """A user's module with attribute names of its own: a list holding a Linear and a list of Values, and a
    head. It defines __call__ itself, as modules written before nn had forward do."""

    def __init__(self, width=4):
        super().__init__()
        self.enc = [nn.Linear(2, width, seed=0), [Value(0.5 + 0.25 * i) for i in range(width)]]
        self.head = nn.Linear(width, 1, seed=1)

    def __call__(self, x):
        return self.head([h.relu() * g for h, g in zip(self.enc[0](x), self.enc[1])])[0]


def grads(structure):
    """The .grad of every Value in a nested list, in the same nesting."""
    if isinstance(structure, Value):
        return structure.grad
    return [grads(s) for s in structure]


def flat(nested):
    """The items of a nested list, in reading order."""
    if isinstance(nested, (list, tuple)):
        return [x for item in nested for x in flat(item)]
    return [nested]
