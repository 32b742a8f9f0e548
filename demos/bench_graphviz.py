"""How long a picture takes: seconds from a graph to an SVG file, for the shapes Graphviz finds hardest.

    python -m demos.bench_graphviz            (demos/benchmark.py runs it at its end)

Every shape has at most 500 value nodes (the default max_nodes) and at most 2,000 arrows (4 per
allowed node), so render accepts it without max_nodes=None. Graphviz's time grows with the
columns an arrow crosses and with the arrows between two columns, not with nodes alone; before
a far operand was drawn again next to its use, ``x+x+...+x`` with 100 terms kept ``dot`` busy for
minutes. The goal: every shape here in under 10 s (render stops ``dot`` after DOT_TIMEOUT).
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import autograd
from autograd import Value, render, topological_order
from autograd.viz import arrow_count


def fan_in_sum(terms):
    """x + x + ... + x, as the command line builds it: one leaf used by every "+" of a long chain."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(terms - 1):
        y = y + x
    return y


def fan_in_product(terms):
    """x * x * ... * x: the same shape with a local derivative that changes along the chain."""
    x = Value(1.0001, label="x")
    y = x
    for _ in range(terms - 1):
        y = y * x
    return y


def reused_inner(terms):
    """e = exp(x), then e * e * ... * e: an inner node (not a leaf) used all along a chain."""
    e = Value(0.01, label="x").exp()
    e.label = "e"
    y = e
    for _ in range(terms - 2):
        y = y * e
    return y


def ladder(count):
    """v[k] = v[k-1] + v[k // 2]: every value used twice, once nearby and once far away."""
    values = [Value(1.0, label="a"), Value(1.0, label="b")]
    while len(values) < count:
        values.append(values[-1] + values[len(values) // 2])
    return values[-1]


def all_previous(count):
    """v[k] = sum(v[0..k-1]): each value feeds every later one (few nodes, many long arrows)."""
    values = [Value(1.0, label="x")]
    while len(values) < count:
        values.append(autograd.sum(values))
    return values[-1]


def complete_bipartite(count):
    """sum of dot(xs, rotated xs): count leaves each used by count operations side by side."""
    xs = [Value(1.0, label=f"x{i}") for i in range(count)]
    return autograd.sum([autograd.dot(xs, xs[i:] + xs[:i]) for i in range(count)])


def same_operand(count):
    """sum([x] * count): one operation using the same value count times (drawn as one arrow ×count)."""
    return autograd.sum([Value(1.0, label="x")] * count)


def mlp(_):
    """A 2-8-8-1 nn.MLP and its squared error: the clustered picture of a real model."""
    import nn

    model = nn.MLP(2, [8, 8, 1], seed=0)
    return nn.mse_loss(model([Value(0.5, label="x0"), Value(-1.0, label="x1")]), 1.0)


def deep_chain(count):
    """sin(sin(...sin(x))): 500 nodes in a row, the widest picture."""
    y = Value(0.5, label="x")
    for _ in range(count - 1):
        y = y.sin()
    return y


# (shape, size): each within 500 nodes and 2,000 arrows.
SHAPES = [
    (fan_in_sum, 100), (fan_in_sum, 500), (fan_in_product, 51), (fan_in_product, 500),
    (reused_inner, 500), (ladder, 500), (all_previous, 62), (complete_bipartite, 31),
    (same_operand, 499), (mlp, 0), (deep_chain, 500),
]


def seconds_to_svg(root, repeats):
    """The median seconds render takes to write root's picture (with contributions) as SVG."""
    times = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            start = time.perf_counter()
            render(root, os.path.join(folder, "graph.svg"), show_contributions=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(quick=False):
    """Print seconds to SVG for every shape and the worst; returns the worst (shape, seconds)."""
    repeats = 1 if quick else 3
    if shutil.which("dot") is None:
        print("\nGraphviz: not measured, Graphviz's dot is not installed")
        return None
    print(f"\nGraphviz: seconds from a graph to an SVG file with render (median of {repeats}; goal < 10 s)")
    worst = None
    for make, size in SHAPES:
        root = make(size)
        root.backward()
        order = topological_order(root)
        seconds = seconds_to_svg(root, repeats)
        shape = f"{make.__name__}({size})" if size else make.__name__
        print(f"  {shape:26} {len(order):4} nodes {arrow_count(order):5} arrows {seconds:7.2f} s")
        if worst is None or seconds > worst[1]:
            worst = (shape, seconds)
    print(f"  worst: {worst[0]}, {worst[1]:.2f} s")
    return worst


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per shape")
    main(parser.parse_args().quick)
    sys.exit(0)
