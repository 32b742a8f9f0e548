"""The classic single neuron o = tanh(x1*w1 + x2*w2 + b): forward, backward, and every step explained.

    python -m demos.walkthrough [--out DIR]

Prints the chain-rule steps, writes the graph as SVG (out/neuron.svg, needs Graphviz) and
the step-by-step page (out/neuron_walkthrough.html, open it in a browser).
"""

import autograd
from autograd import Value
from demos._common import out_dir, parser, report


def leaves():
    """The neuron's inputs and parameters (x1, x2, w1, w2, b), labelled as in the textbook picture."""
    return (Value(2.0, label="x1"), Value(0.0, label="x2"), Value(-3.0, label="w1"), Value(1.0, label="w2"),
            Value(6.8813735870195432, label="b"))


def build(given=None):
    """The neuron, with every node labelled as in the textbook picture (on the given leaves, or new ones)."""
    x1, x2, w1, w2, b = given if given is not None else leaves()
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def program():
    """The neuron's forward and backward pass as the Python program autograd.compile writes."""

    made = leaves()  # made outside the function, so the program reads them at each call

    def neuron():
        return build(made)

    f = autograd.compile(neuron)
    f.grad()
    return f.source


def main(argv=None):
    """Explain the neuron's backward pass and write its pictures; returns a summary dict."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    o = build()
    print("o = tanh(x1*w1 + x2*w2 + b)\n")
    o.backward()
    print(autograd.explanation(o))  # changes no .grad
    grads = {leaf.label: leaf.grad for leaf in autograd.topological_order(o) if not leaf.parents}
    print("\nthe graph, as text:")
    print(autograd.tree(o))
    print("\nthe same neuron through autograd.compile: this is what backward() did, as a program")
    print("(a line per node in order, then each node's gradient by the chain rule, from the output back):\n")
    print(program())

    written = []
    try:
        written.append(autograd.render(o, out / "neuron.svg", show_contributions=True))
    except autograd.GraphvizNotFoundError as error:
        print(f"\n(no SVG: {str(error).splitlines()[0]})")
        written += sorted(out.glob("neuron*.dot"))
    written.append(autograd.walkthrough(o, out / "neuron_walkthrough.html"))
    report(written)
    return {"output": o.data, "grads": grads, "files": written}


if __name__ == "__main__":
    main()
