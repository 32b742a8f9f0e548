"""SGD, SGD with momentum, RMSprop and Adam on the same problem, from the same starting weights.

    python -m demos.optimizers [--out DIR] [--fast]

Each optimizer trains a 2-8-8-1 MLP on two moons (full batch, binary cross-entropy) from
identical initial weights; prints the loss table and plots the curves
(out/optimizers_loss.png).
"""

import nn
from demos._common import out_dir, parser, progress, pyplot, report, save

OPTIMIZERS = {
    "SGD": lambda params: nn.optim.SGD(params, lr=0.1),
    "SGD + momentum": lambda params: nn.optim.SGD(params, lr=0.1, momentum=0.9),
    "RMSprop": lambda params: nn.optim.RMSprop(params, lr=0.01),
    "Adam": lambda params: nn.optim.Adam(params, lr=0.02),
}


def curve(make_optimizer, X, y, epochs):
    """The loss after each full-batch step, from the same seeded start."""
    model = nn.MLP(2, [8, 8, 1], activation="relu", seed=1)
    opt = make_optimizer(model.parameters())
    losses = []
    for _ in range(epochs):
        loss = nn.binary_cross_entropy_with_logits([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    return losses


def main(argv=None):
    """Train with each optimizer, print and plot the curves; returns {name: losses, "files": ...}."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    X, y = nn.datasets.make_moons(n_samples=40 if args.fast else 100, noise=0.1, seed=0)
    epochs = 30 if args.fast else 100
    curves = {}
    for name in progress(OPTIMIZERS, total=len(OPTIMIZERS), desc="optimizers"):
        curves[name] = curve(OPTIMIZERS[name], X, y, epochs)
    checkpoints = sorted({0, epochs // 4, epochs // 2, epochs - 1})
    print(f"loss of a 2-8-8-1 MLP on two moons ({len(X)} points), same start for all:\n")
    print(f"{'optimizer':<16}" + "".join(f"{'step ' + str(i + 1):>11}" for i in checkpoints))
    for name, losses in curves.items():
        print(f"{name:<16}" + "".join(f"{losses[i]:>11.4f}" for i in checkpoints))
    best = min(curves, key=lambda name: curves[name][-1])
    print(f"\nlowest final loss: {best}")
    written = []
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, losses in curves.items():
            ax.plot(range(1, epochs + 1), losses, label=name)
        ax.set_yscale("log")
        ax.set_xlabel("step (full batch)")
        ax.set_ylabel("training loss (log scale)")
        ax.set_title("optimizers on two moons, same initial weights")
        ax.legend(fontsize=8)
        written.append(save(fig, out / "optimizers_loss.png", plt))
    report(written)
    return {"curves": curves, "best": best, "files": written}


if __name__ == "__main__":
    main()
