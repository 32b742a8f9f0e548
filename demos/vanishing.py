"""Vanishing and exploding gradients, measured: each layer's gradient norm in a deep network.

    python -m demos.vanishing [--out DIR] [--fast]

The same depth, several ways: sigmoid and ReLU, each with micrograd's U(-1, 1) weights and
with a scaled initialisation (Glorot/Xavier, He), plus tanh with Xavier, the pair Xavier was
derived for. One backward pass of
the binary cross-entropy on a batch of two-moons points; for each layer the norm of the
gradient of its weights, sqrt(sum of grad**2). Prints the table, plots it (log scale) to
out/vanishing_gradients.png.
"""

import math

import nn
from demos._common import out_dir, parser, progress, pyplot, report, save

CONFIGS = [
    ("sigmoid, U(-1,1)", "sigmoid", "uniform"),
    ("sigmoid, Xavier", "sigmoid", "xavier"),
    ("tanh, Xavier", "tanh", "xavier"),
    ("relu, U(-1,1)", "relu", "uniform"),
    ("relu, He", "relu", "he"),
]


EXPLODING = 100.0  # the first layer's gradient norm over this many times the output layer's (or under 1/this)
TOO_LARGE = 10.0  # any layer's gradient norm over this


def verdict(ratio, largest):
    """The one rule the demo states: "vanishing", "exploding" or "healthy", from first/output and the largest norm."""
    if ratio < 1 / EXPLODING:
        return "vanishing"
    return "exploding" if ratio > EXPLODING or largest > TOO_LARGE else "healthy"


def layer_grad_norms(activation, init, depth, width, X, y, seed=0):
    """The gradient norm of each layer's weights (first layer first) after one backward pass."""
    model = nn.MLP(2, [width] * depth + [1], activation=activation, init=init, seed=seed)
    loss = nn.binary_cross_entropy_with_logits([model(x) for x in X], y)
    loss.backward()
    return [math.sqrt(sum(p.grad**2 for p in layer.parameters())) for layer in model.layers]


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
        tag = "output" if i == depth else str(i + 1)
        print(f"{tag:<7}" + "".join(f"{values[i]:>18.3e}" for values in norms.values()))
    print(f"\nthe verdict: vanishing when the first layer's gradient norm is under 1/{EXPLODING:g} of the output "
          f"layer's;\nexploding when it is over {EXPLODING:g} times the output layer's, or any layer's is over "
          f"{TOO_LARGE:g} (a step of\ngradient descent then jumps far); healthy otherwise (every layer learns)\n")
    print(f"  {'':<18} {'first/output':>12}  {'largest':>9}  verdict")
    ratios = {name: values[0] / values[-1] if values[-1] else math.inf for name, values in norms.items()}
    verdicts = {}
    for name, ratio in ratios.items():
        largest = max(norms[name])
        verdicts[name] = verdict(ratio, largest)
        print(f"  {name:<18} {ratio:>12.3e}  {largest:>9.2e}  {verdicts[name]}")
    print("\nsigmoid's slope is at most 1/4, so each layer shrinks the gradient whatever the weights;"
          f"\nU(-1,1) weights (variance 1/3) with {width} ReLU inputs scale the variance by {width}/3 * 1/2"
          f" = {width / 6:.2g} per layer; He's variance 2/{width} makes that 1.")
    written = []
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for name, values in norms.items():
            ax.plot(range(1, depth + 2), [max(v, 1e-30) for v in values], marker="o", markersize=3, label=name)
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = next to the input; last = output)")
        ax.set_ylabel("gradient norm of the layer's weights")
        ax.set_title(f"vanishing and exploding gradients, depth {depth}")
        ax.legend(fontsize=8)
        written.append(save(fig, out / "vanishing_gradients.png", plt))
    report(written)
    return {"norms": norms, "ratios": ratios, "verdicts": verdicts, "files": written}


if __name__ == "__main__":
    main()
