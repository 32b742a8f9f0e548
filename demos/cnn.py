"""Backprop through a convolution: a small conv net on the 8x8 digits, and a shared kernel's gradient.

    python -m demos.cnn [--out DIR] [--fast]

Conv2d(1, 4, 3) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(36, 10), trained with Adam on
cross-entropy: 4 kernels of 3x3 weights slide over every 8x8 glyph. Each kernel weight is used
at all 36 positions of its 6x6 map, so its gradient is a sum of 36 terms; the demo prints that
sum for one weight. Prints the held-out accuracy and the learned kernels in ASCII, and draws
them to out/cnn_kernels.png.
"""

import autograd
import nn
from autograd import Value, no_grad
from demos._common import accuracy, one_hot, out_dir, parser, progress, pyplot, report, save, set_postfix


SIDE = 8


def as_image(pixels):
    """64 pixel values as one channel of 8 rows: [[row_0, ..., row_7]]."""
    return [[pixels[r * SIDE:(r + 1) * SIDE] for r in range(SIDE)]]


def make_model(kernels=4, seed=0):
    """The conv net: Conv2d(1, kernels, 3), ReLU, MaxPool2d(2), Flatten, Linear(kernels * 9, 10)."""
    return nn.Sequential(nn.Conv2d(1, kernels, 3, seed=seed), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(kernels * 3 * 3, 10, seed=seed + 1))


@no_grad()
def predict(model, image):
    """The class with the largest logit."""
    logits = [v.data for v in model(image)]
    return max(range(len(logits)), key=logits.__getitem__)


def train(model, X, y, epochs, lr=0.02, batch_size=32):
    """Minibatch Adam on cross-entropy; returns the mean loss per epoch.

    The batch's loss is compiled (autograd.compile) with the glyphs and their one-hot targets as
    arguments: a class index would pick a logit by its number, which a program cannot follow,
    while class probabilities are numbers like any other. The max pooling's winners are chosen
    inside the program, for every glyph.
    """
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    step = autograd.compile(lambda xb, targets: nn.cross_entropy([model(x) for x in xb], targets))
    losses = []
    bar = progress(range(epochs), total=epochs, desc="cnn")
    for epoch in bar:
        total = 0.0
        for xb, yb in nn.datasets.batches(X, y, batch_size, seed=epoch):
            opt.zero_grad()
            loss = step(xb, one_hot(yb))  # forward and backward: the gradients are in .grad
            opt.step()
            total += loss * len(xb)
        losses.append(total / len(X))
        set_postfix(bar, loss=losses[-1])
    return losses


def kernels_as_text(conv, shades=" .:-=+*#%@"):
    """Every 3x3 kernel in ASCII side by side, darker for larger weights (scaled per kernel)."""
    blocks = []
    for o, kernel in enumerate(conv.weight):
        grid = [[w.data for w in row] for row in kernel[0]]
        low, high = min(map(min, grid)), max(map(max, grid))
        span = (high - low) or 1.0
        blocks.append([f"kernel {o}"] + ["".join(shades[round((v - low) / span * (len(shades) - 1))] * 2
                                                for v in row).ljust(8) for row in grid])
    return "\n".join("   ".join(block[r] for block in blocks) for r in range(len(blocks[0])))


def plot_kernels(conv, path, plt):
    count = len(conv.weight)
    fig, axes = plt.subplots(1, count, figsize=(2.2 * count, 2.4))
    for o, ax in enumerate(axes if count > 1 else [axes]):
        grid = [[w.data for w in row] for row in conv.weight[o][0]]
        limit = max(abs(v) for row in grid for v in row) or 1.0
        ax.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit)
        for r, row in enumerate(grid):
            for c, v in enumerate(row):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=7)
        ax.set_title(f"kernel {o}")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("learned 3x3 kernels (red +, blue -)")
    return save(fig, path, plt)


def main(argv=None):
    """Train, print the accuracy, the kernels and one kernel weight's gradient as a sum; returns a summary dict."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    n_per_class, epochs = (30, 10) if args.fast else (50, 16)
    X, y = nn.datasets.make_digits(n_per_class=n_per_class, seed=0)
    X_train, y_train, X_test, y_test = nn.datasets.train_test_split([as_image(x) for x in X], y, 0.25, seed=0)
    model = make_model()
    losses = train(model, X_train, y_train, epochs)
    train_acc = accuracy([predict(model, x) for x in X_train], y_train)
    test_acc = accuracy([predict(model, x) for x in X_test], y_test)
    print(model)
    print(f"{len(model.parameters())} parameters; {len(X_train)} training and {len(X_test)} held-out glyphs; "
          f"final loss {losses[-1]:.4f}")
    print(f"accuracy: training {train_acc:.0%}, held-out {test_acc:.0%} (chance: 10%)\n")
    conv = model[0]
    print(kernels_as_text(conv))

    glyph = [[[Value(v, label=f"x{r}.{c}") for c, v in enumerate(row)] for r, row in enumerate(X_test[0][0])]]
    maps = conv(glyph)  # the first layer's output, kept to name the positions
    pooled = model[2](model[1](maps))
    hidden = pooled
    for layer in list(model)[3:]:
        hidden = layer(hidden)
    loss = nn.cross_entropy(hidden, y_test[0])
    weight = conv.weight[0][0][1][1]
    terms = nn.grad_contributions(loss, weight)
    # each pooled value is a max node; its winner (the operand with derivative 1) is a relu of a position
    winners = {node.parents[node.local_grads.index(1.0)].parents[0] for row in pooled[0] for node in row}
    where = nn.positions(maps)
    where = {node: where[node] for node in sorted(where, key=lambda node: node not in winners)}  # winners first
    explanation = nn.explain_grad_sum(loss, weight, where=where, max_terms=len(winners))
    size = len(maps[0]) * len(maps[0][0])
    print(f"\nkernel 0 is applied at all {size} (row, col) positions of its map, so the gradient of its centre "
          f"weight is a sum of {len(terms)} terms,\neach ∂L/∂(output at that position) × the pixel the weight met "
          f"there (one held-out glyph of digit {y_test[0]}). Max pooling passes gradient\non from one position per "
          f"window, {len(winners)} of them (listed first); the other {len(terms) - len(winners)} terms are 0:\n{explanation}")

    written = []
    plt = pyplot()
    if plt is not None:
        written.append(plot_kernels(conv, out / "cnn_kernels.png", plt))
    report(written)
    return {"train_accuracy": train_acc, "test_accuracy": test_acc, "losses": losses,
            "explanation": explanation, "terms": terms, "winners": len(winners), "positions": size, "files": written}


if __name__ == "__main__":
    main()
