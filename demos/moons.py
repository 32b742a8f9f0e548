"""Two moons: a 2-16-16-1 MLP learns a curved boundary, to 100% training accuracy.

    python -m demos.moons [--out DIR] [--fast]

Binary cross-entropy on the logit, Adam, full batch. Prints the boundary in ASCII and writes
it as a PNG (out/moons_boundary.png).
"""

import autograd
import nn
from autograd import no_grad
from demos._common import accuracy, ascii_grid, out_dir, parser, progress, pyplot, report, save, set_postfix


def train(n_samples=100, epochs=300, lr=0.05, seed=0, hidden=(16, 16)):
    """Train on make_moons until every training point is right; returns (model, X, y, history)."""
    X, y = nn.datasets.make_moons(n_samples=n_samples, noise=0.1, seed=seed)
    model = nn.MLP(2, list(hidden) + [1], activation="relu", seed=seed)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    # The loss's graph is the same every epoch, so it is traced once into a Python program;
    # each call runs forward and backward on the parameters' current numbers.
    step = autograd.compile(lambda: nn.binary_cross_entropy_with_logits([model(x) for x in X], y))
    history = []
    bar = progress(range(epochs), total=epochs, desc="moons")
    for epoch in bar:
        opt.zero_grad()
        loss = step()  # forward and backward: the gradients are in .grad
        opt.step()
        acc = accuracy([predict(model, *x) for x in X], y)
        history.append((loss, acc))
        set_postfix(bar, loss=loss, acc=acc)
        if acc == 1.0:
            break
    return model, X, y, history


@no_grad()
def predict(model, x, y):
    """The class (0 or 1) the model gives the point (x, y)."""
    return int(model([x, y]).data > 0)


def bounds(X, margin=0.5):
    """(x_range, y_range) around the data."""
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    return (min(xs) - margin, max(xs) + margin), (min(ys) - margin, max(ys) + margin)


def plot_boundary(model, X, y, path, plt, steps=80):
    """A filled decision-boundary plot with the training points on top."""
    (x0, x1), (y0, y1) = bounds(X)
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    with no_grad():
        zz = [[model([a, b]).data for a in gx] for b in gy]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.contourf(gx, gy, zz, levels=[-1e9, 0, 1e9], colors=["#cfe8ff", "#ffe08a"], alpha=0.8)
    ax.contour(gx, gy, zz, levels=[0], colors="k", linewidths=1)
    for label, color in ((0, "#1f5fbf"), (1, "#c77c00")):
        pts = [p for p, t in zip(X, y) if t == label]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, c=color, edgecolors="k", linewidths=0.4, label=f"class {label}")
    ax.set_title("two moons: the MLP's decision boundary")
    ax.legend(loc="upper right", fontsize=8)
    return save(fig, path, plt)


def main(argv=None):
    """Train, print the ASCII boundary, write the PNG; returns a summary dict (for the tests)."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    if args.fast:
        model, X, y, history = train(n_samples=60, epochs=150, lr=0.05, hidden=(8, 8))
    else:
        model, X, y, history = train()
    loss, acc = history[-1]
    print(f"{model}")
    print(f"epochs: {len(history)}, final loss {loss:.4f}, training accuracy {acc:.0%}")
    x_range, y_range = bounds(X)
    points = [(p[0], p[1], t) for p, t in zip(X, y)]
    print("\ndecision boundary ('.' = class 1, o = class-0 point, + = class-1 point):")
    print(ascii_grid(22, 64, x_range, y_range, lambda a, b: predict(model, a, b), points))
    written = []
    plt = pyplot()
    if plt is not None:
        written.append(plot_boundary(model, X, y, out / "moons_boundary.png", plt, steps=40 if args.fast else 80))
    report(written)
    return {"accuracy": acc, "loss": loss, "epochs": len(history), "files": written}


if __name__ == "__main__":
    main()
