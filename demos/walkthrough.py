"""The classic single neuron o = tanh(x1*w1 + x2*w2 + b): forward, backward, every node printed."""

from autograd import Value, topological_order


def build():
    """The neuron from the README, with every node labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def main():
    o = build()
    o.backward()
    print("o = tanh(x1*w1 + x2*w2 + b), after o.backward():\n")
    print(f"{'node':<8} {'op':<6} {'data':>12} {'grad':>12}")
    for node in topological_order(o):
        print(f"{node.label or '?':<8} {node.op or 'leaf':<6} {node.data:>12.6f} {node.grad:>12.6f}")


if __name__ == "__main__":
    main()
