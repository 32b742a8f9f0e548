"""Graphs the tests share."""

from autograd import Value


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
