"""Vanishing and exploding gradients, measured: each layer's gradient norm in a deep network.

    python -m demos.vanishing [--out DIR] [--fast]

The same depth, several ways: sigmoid and ReLU, each with micrograd's U(-1, 1) weights and
with a scaled initialisation (Glorot/Xavier, He), plus tanh with Xavier, the pair Xavier was
derived for. One backward pass of
the binary cross-entropy on a batch of two-moons points; for each layer the norm of the
gradient of its weights, sqrt(sum of grad**2). One rule (RULE, below) turns each column
into a verdict. Prints the table, plots it (log scale, the rule's band shaded) to
out/vanishing_gradients.png.
"""

import math

import nn
from demos._common import out_dir, parser, progress, pyplot, report, save

# The one rule every verdict follows: a layer learns at a useful pace when the gradient norm of
# its weights is in the band [LOW, HIGH].
LOW, HIGH = 1e-3, 10.0
RULE = (f"the rule: a layer learns at a useful pace when its gradient norm is between {LOW:g} and {HIGH:g};"
        f"\nbelow {LOW:g} a step of lr 0.1 barely moves it (vanishing), above {HIGH:g} one step moves it by more"
        f"\nthan 1 (exploding). A network is healthy when every layer is in the band:")

CONFIGS = [
    ("sigmoid, U(-1,1)", "sigmoid", "uniform"),
    ("sigmoid, Xavier", "sigmoid", "xavier"),
    ("tanh, Xavier", "tanh", "xavier"),
    ("relu, U(-1,1)", "relu", "uniform"),
    ("relu, He", "relu", "he"),
]


def layer_grad_norms(activation, init, depth, width, X, y, seed=0):
    """The gradient norm of each layer's weights (first layer first) after one backward pass."""
    model = nn.MLP(2, [width] * depth + [1], activation=activation, init=init, seed=seed)
    loss = nn.binary_cross_entropy_with_logits([model(x) for x in X], y)
    loss.backward()
    return [math.sqrt(sum(p.grad**2 for p in layer.parameters())) for layer in model.layers]


def verdict(norms):
    """The rule applied to one network's layer norms: "vanishing", "exploding", both, or "healthy"."""
    below, above = min(norms) < LOW, max(norms) > HIGH
    if below and above:
        return "vanishing and exploding"
    return "vanishing" if below else "exploding" if above else "healthy"


def mark(norm):
    """'<' below the band, '>' above it, ' ' inside."""
    return "<" if norm < LOW else ">" if norm > HIGH else " "


def tag(i, depth):
    """The layer's name in the table: 1 .. depth, then "output"."""
    return "output" if i == depth else str(i + 1)


def where(i, depth):
    """'layer 3' or 'the output layer'."""
    return "the output layer" if i == depth else f"layer {i + 1}"


def main(argv=None):
    """Measure every configuration, print the table, plot it; returns a summary dict."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    depth, width, n = (8, 16, 8) if args.fast else (12, 16, 32)
    X, y = nn.datasets.make_moons(n_samples=n, noise=0.1, seed=0)
    norms = {}
    for name, activation, init in progress(CONFIGS, total=len(CONFIGS), desc="vanishing"):
        norms[name] = layer_grad_norms(activation, init, depth, width, X, y)
    print(f"gradient norm of each layer's weights: {depth} hidden layers of {width}, one backward pass on {n} points\n")
    print(f"{'layer':<7}" + "".join(f"{name:>18}" for name in norms))
    for i in range(depth + 1):
        print(f"{tag(i, depth):<7}" + "".join(f"{values[i]:>17.3e}{mark(values[i])}" for values in norms.values()))
    print(f"(< below {LOW:g}, > above {HIGH:g})")
    print(f"\n{RULE}\n")
    verdicts = {}
    for name, values in norms.items():
        verdicts[name] = verdict(values)
        low, high = min(values), max(values)
        print(f"  {name:<18} smallest {low:.2e} ({where(values.index(low), depth)}), "
              f"largest {high:.2e} ({where(values.index(high), depth)}): {verdicts[name]}")
    print("\nsigmoid's slope is at most 1/4, so each layer shrinks the gradient whatever the weights;"
          f"\nU(-1,1) weights (variance 1/3) with {width} ReLU inputs scale the variance by {width}/3 * 1/2"
          f" = {width / 6:.2g} per layer; He's variance 2/{width} makes that 1.")
    written = []
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for name, values in norms.items():
            ax.plot(range(1, depth + 2), [max(v, 1e-30) for v in values], marker="o", markersize=3, label=name)
        ax.axhspan(LOW, HIGH, color="#2ca02c", alpha=0.08, label=f"the rule's band [{LOW:g}, {HIGH:g}]")
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = next to the input; last = output)")
        ax.set_ylabel("gradient norm of the layer's weights")
        ax.set_title(f"vanishing and exploding gradients, depth {depth}")
        ax.legend(fontsize=8)
        written.append(save(fig, out / "vanishing_gradients.png", plt))
    report(written)
    return {"norms": norms, "verdicts": verdicts, "band": (LOW, HIGH), "files": written}


if __name__ == "__main__":
    main()
